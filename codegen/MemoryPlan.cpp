// Static activation-memory plan: liveness over kernel order, best-fit reuse.
#include "codegen/MemoryPlan.h"

#include <algorithm>
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

} // namespace mlc::codegen
