// Static activation-memory plan: liveness over kernel order, best-fit reuse.
#include "codegen/MemoryPlan.h"

#include <algorithm>
#include <climits>
#include <map>

namespace mlc::codegen {
namespace {

constexpr int64_t kAlign = 64;

int64_t alignUp(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

} // namespace

MemoryPlan planMemory(const std::vector<BufferRequest> &requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  // Requests grouped by their first kernel; within a kernel, larger first
  // (ties by request index) so that big buffers get the best fits.
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].first != requests[b].first)
      return requests[a].first < requests[b].first;
    return alignUp(requests[a].bytes) > alignUp(requests[b].bytes);
  });
  std::map<int64_t, int64_t> freeBlocks; // offset -> size, coalesced.
  std::vector<size_t> live;
  int64_t end = 0;
  auto release = [&](int64_t offset, int64_t size) {
    auto next = freeBlocks.lower_bound(offset);
    if (next != freeBlocks.end() && offset + size == next->first) {
      size += next->second;
      next = freeBlocks.erase(next);
    }
    if (next != freeBlocks.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == offset) {
        prev->second += size;
        return;
      }
    }
    freeBlocks[offset] = size;
  };
  for (size_t idx : order) {
    const BufferRequest &req = requests[idx];
    // Free everything whose last use is before this buffer's first kernel.
    std::vector<size_t> stillLive;
    for (size_t l : live) {
      if (requests[l].last < req.first)
        release(plan.offsets[l], alignUp(requests[l].bytes));
      else
        stillLive.push_back(l);
    }
    live = std::move(stillLive);
    int64_t size = alignUp(req.bytes);
    plan.naiveBytes += size;
    if (size == 0) {
      plan.offsets[idx] = 0;
      continue;
    }
    auto best = freeBlocks.end();
    for (auto it = freeBlocks.begin(); it != freeBlocks.end(); ++it)
      if (it->second >= size &&
          (best == freeBlocks.end() || it->second < best->second))
        best = it;
    int64_t offset;
    if (best != freeBlocks.end()) {
      offset = best->first;
      int64_t rest = best->second - size;
      freeBlocks.erase(best);
      if (rest > 0)
        freeBlocks[offset + size] = rest;
    } else if (!freeBlocks.empty() &&
               std::prev(freeBlocks.end())->first +
                       std::prev(freeBlocks.end())->second ==
                   end) {
      // Extend the free block at the end of the arena.
      auto last = std::prev(freeBlocks.end());
      offset = last->first;
      freeBlocks.erase(last);
      end = offset + size;
    } else {
      offset = end;
      end += size;
    }
    plan.offsets[idx] = offset;
    live.push_back(idx);
  }
  plan.arenaBytes = end;
  return plan;
}

namespace {

/// bytes * prod(symbols) with every symbol at its value; nullopt on
/// overflow.
std::optional<int64_t> sizeAt(const DynamicBufferRequest &r,
                              const std::vector<int64_t> &values) {
  int64_t size = r.bytes;
  for (int64_t s : r.symbols) {
    int64_t v = values.at(static_cast<size_t>(s));
    if (v < 0 || __builtin_mul_overflow(size, v, &size))
      return std::nullopt;
  }
  return size;
}

} // namespace

DynamicMemoryPlan
planDynamicMemory(const std::vector<DynamicBufferRequest> &requests,
                  int64_t hint) {
  int64_t numSymbols = 0;
  for (const auto &r : requests)
    for (int64_t s : r.symbols)
      numSymbols = std::max(numSymbols, s + 1);
  std::vector<int64_t> hints(static_cast<size_t>(numSymbols), hint);
  std::vector<BufferRequest> at;
  for (const auto &r : requests) {
    // A hint that overflows is clamped: the order only needs to be total.
    at.push_back(
        {sizeAt(r, hints).value_or(int64_t{1} << 40), r.first, r.last});
  }
  MemoryPlan hinted = planMemory(at);
  DynamicMemoryPlan plan;
  plan.order.resize(requests.size());
  for (size_t i = 0; i < requests.size(); ++i)
    plan.order[i] = i;
  // By offset; at one offset, empty buffers after the others (which they
  // count as below them).
  std::stable_sort(plan.order.begin(), plan.order.end(),
                   [&](size_t a, size_t b) {
                     return std::make_pair(hinted.offsets[a], at[a].bytes == 0) <
                            std::make_pair(hinted.offsets[b], at[b].bytes == 0);
                   });
  plan.below.resize(requests.size());
  for (size_t i = 0; i < requests.size(); ++i)
    for (size_t j = 0; j < requests.size(); ++j) {
      bool overlap = requests[i].first <= requests[j].last &&
                     requests[j].first <= requests[i].last;
      if (i != j && overlap && at[j].bytes > 0 &&
          (hinted.offsets[j] < hinted.offsets[i] ||
           (hinted.offsets[j] == hinted.offsets[i] && at[i].bytes == 0)))
        plan.below[i].push_back(j);
    }
  return plan;
}

std::optional<MemoryPlan>
evaluateDynamicPlan(const DynamicMemoryPlan &plan,
                    const std::vector<DynamicBufferRequest> &requests,
                    const std::vector<int64_t> &symbols, int64_t base) {
  MemoryPlan out;
  out.offsets.assign(requests.size(), 0);
  std::vector<int64_t> sizes(requests.size(), 0);
  int64_t limit = INT64_MAX - kAlign;
  out.arenaBytes = alignUp(base);
  for (size_t i : plan.order) {
    std::optional<int64_t> size = sizeAt(requests[i], symbols);
    if (!size || *size > limit)
      return std::nullopt;
    sizes[i] = alignUp(*size);
    int64_t offset = alignUp(base);
    for (size_t j : plan.below[i]) {
      int64_t end;
      if (__builtin_add_overflow(out.offsets[j], sizes[j], &end))
        return std::nullopt;
      offset = std::max(offset, end);
    }
    int64_t end;
    if (offset > limit || __builtin_add_overflow(offset, sizes[i], &end) ||
        end > limit)
      return std::nullopt;
    out.offsets[i] = offset;
    out.arenaBytes = std::max(out.arenaBytes, end);
    out.naiveBytes += sizes[i];
  }
  return out;
}

} // namespace mlc::codegen
