// Unit tests of the activation-memory plans: the static best-fit plan and
// the plan of buffers with symbolic sizes (dynamic shapes), which must never
// overlap two buffers live at once, whatever the symbols are bound to.
#include "codegen/MemoryPlan.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

using namespace mlc::codegen;

namespace {

/// Fails when two buffers live in the same kernel overlap.
void checkDisjoint(const std::vector<int64_t> &sizes,
                   const std::vector<int64_t> &first,
                   const std::vector<int64_t> &last, const MemoryPlan &plan) {
  for (size_t i = 0; i < sizes.size(); ++i) {
    CHECK(plan.offsets[i] % 64 == 0);
    CHECK(plan.offsets[i] + sizes[i] <= plan.arenaBytes);
    for (size_t j = i + 1; j < sizes.size(); ++j) {
      bool live = first[i] <= last[j] && first[j] <= last[i];
      bool apart = plan.offsets[i] + sizes[i] <= plan.offsets[j] ||
                   plan.offsets[j] + sizes[j] <= plan.offsets[i];
      if (live && sizes[i] > 0 && sizes[j] > 0)
        CHECK(apart);
    }
  }
}

} // namespace

TEST_CASE("the dynamic plan keeps live buffers apart at every binding") {
  // An attention-like chain: [seq, 768] activations and [12, seq, seq]
  // scores, with overlapping lifetimes.
  std::vector<DynamicBufferRequest> requests = {
      {768 * 4, {0}, 0, 3},    {768 * 4, {0}, 1, 2},
      {12 * 4, {0, 0}, 2, 3},  {12 * 4, {0, 0}, 3, 4},
      {768 * 4, {0}, 4, 5},    {3072 * 4, {0}, 5, 6},
      {1000, {}, 0, 6},        {0, {0}, 2, 2}};
  DynamicMemoryPlan plan = planDynamicMemory(requests, 128);
  REQUIRE(plan.order.size() == requests.size());
  for (int64_t seq : {0, 1, 7, 16, 77, 128, 512, 4096}) {
    auto placed = evaluateDynamicPlan(plan, requests, {seq}, 256);
    REQUIRE(placed);
    std::vector<int64_t> sizes, first, last;
    for (const auto &r : requests) {
      int64_t size = r.bytes;
      for (size_t k = 0; k < r.symbols.size(); ++k)
        size *= seq;
      sizes.push_back(size);
      first.push_back(r.first);
      last.push_back(r.last);
    }
    checkDisjoint(sizes, first, last, *placed);
    for (int64_t offset : placed->offsets)
      CHECK(offset >= 256);
  }
}

TEST_CASE("at the hint the dynamic plan is the static plan") {
  std::vector<DynamicBufferRequest> requests = {
      {64, {0}, 0, 1}, {128, {0}, 1, 2}, {64, {0}, 2, 3}, {4096, {}, 0, 3}};
  std::vector<BufferRequest> fixed;
  for (const auto &r : requests)
    fixed.push_back({r.bytes * (r.symbols.empty() ? 1 : 32), r.first, r.last});
  MemoryPlan expected = planMemory(fixed);
  auto placed =
      evaluateDynamicPlan(planDynamicMemory(requests, 32), requests, {32}, 0);
  REQUIRE(placed);
  CHECK(placed->arenaBytes <= expected.arenaBytes);
}

TEST_CASE("random dynamic plans never overlap live buffers") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<DynamicBufferRequest> requests;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      DynamicBufferRequest r;
      r.bytes = static_cast<int64_t>(rng() % 5000);
      for (unsigned k = rng() % 3; k > 0; --k)
        r.symbols.push_back(static_cast<int64_t>(rng() % 2));
      r.first = static_cast<int64_t>(rng() % 8);
      r.last = r.first + static_cast<int64_t>(rng() % 4);
      requests.push_back(r);
    }
    DynamicMemoryPlan plan =
        planDynamicMemory(requests, 1 + static_cast<int64_t>(rng() % 200));
    std::vector<int64_t> symbols = {static_cast<int64_t>(rng() % 300),
                                    static_cast<int64_t>(rng() % 300)};
    auto placed = evaluateDynamicPlan(plan, requests, symbols, 0);
    REQUIRE(placed);
    std::vector<int64_t> sizes, first, last;
    for (const auto &r : requests) {
      int64_t size = r.bytes;
      for (int64_t s : r.symbols)
        size *= symbols[static_cast<size_t>(s)];
      sizes.push_back(size);
      first.push_back(r.first);
      last.push_back(r.last);
    }
    checkDisjoint(sizes, first, last, *placed);
  }
}

TEST_CASE("a dynamic plan whose sizes overflow is refused") {
  std::vector<DynamicBufferRequest> requests = {{1 << 20, {0, 0}, 0, 0}};
  DynamicMemoryPlan plan = planDynamicMemory(requests, 8);
  CHECK_FALSE(evaluateDynamicPlan(plan, requests, {int64_t{1} << 31}, 0));
  CHECK(evaluateDynamicPlan(plan, requests, {4}, 0));
}
