// Tests of the thread pool (runtime/src/pool.c) through its internal API:
// every iteration of a parallel_for runs exactly once, for any count and
// thread count, with concurrent callers, and when one thread is slow (its
// home range is then stolen).
extern "C" {
#include "../../../runtime/src/internal.h"
}

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace {

/// What a task counts into: one counter per iteration.
struct Counts {
  std::vector<std::atomic<int32_t>> hits;
  /// Iteration whose chunk sleeps (-1: none).
  int64_t slow = -1;
  explicit Counts(int64_t n) : hits(static_cast<size_t>(n)) {}
};

void countTask(void *args, int64_t begin, int64_t end) {
  auto *counts = static_cast<Counts *>(args);
  for (int64_t i = begin; i < end; ++i) {
    if (i == counts->slow)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    counts->hits[static_cast<size_t>(i)].fetch_add(1);
  }
}

/// Number of iterations that did not run exactly once.
int64_t wrongCounts(const Counts &counts) {
  int64_t wrong = 0;
  for (const std::atomic<int32_t> &h : counts.hits)
    wrong += h.load() != 1;
  return wrong;
}

} // namespace

TEST_CASE("every iteration runs exactly once", "[pool]") {
  for (int32_t threads : {2, 3, 4, 7}) {
    mlc_pool *pool = nullptr;
    REQUIRE(mlc_pool_create(threads, &pool) == MLC_OK);
    REQUIRE(pool != nullptr);
    for (int64_t count : {1, 2, 3, 5, 7, 8, 9, 16, 27, 31, 100, 1000, 4099}) {
      INFO("threads " << threads << ", count " << count);
      Counts counts(count);
      mlc_pool_parallel_for(pool, countTask, &counts, count);
      CHECK(wrongCounts(counts) == 0);
    }
    mlc_pool_free(pool);
  }
}

TEST_CASE("a slow thread's home range is taken over", "[pool]") {
  mlc_pool *pool = nullptr;
  REQUIRE(mlc_pool_create(3, &pool) == MLC_OK);
  // The sleeping iteration lies in each thread's home range in turn.
  for (int64_t slow : {0, 5, 11}) {
    INFO("slow iteration " << slow);
    Counts counts(12);
    counts.slow = slow;
    mlc_pool_parallel_for(pool, countTask, &counts, 12);
    CHECK(wrongCounts(counts) == 0);
  }
  mlc_pool_free(pool);
}

TEST_CASE("concurrent callers share the workers", "[pool]") {
  mlc_pool *pool = nullptr;
  REQUIRE(mlc_pool_create(3, &pool) == MLC_OK);
  std::atomic<int64_t> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int r = 0; r < 50; ++r) {
        int64_t count = 1 + (t * 37 + r * 13) % 200;
        Counts counts(count);
        mlc_pool_parallel_for(pool, countTask, &counts, count);
        wrong += wrongCounts(counts);
      }
    });
  for (std::thread &caller : callers)
    caller.join();
  CHECK(wrong.load() == 0);
  mlc_pool_free(pool);
}
