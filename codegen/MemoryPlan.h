// Static activation-memory plan: liveness over kernel order, best-fit reuse.
#pragma once

#include <cstdint>
#include <vector>

namespace mlc::codegen {

/// One buffer to place: live from kernel `first` through kernel `last`
/// (inclusive; the defining kernel writes it, the last user reads it).
struct BufferRequest {
  int64_t bytes = 0;
  int64_t first = 0;
  int64_t last = 0;
};

/// Where each requested buffer lives in the arena.
struct MemoryPlan {
  /// Byte offset of each request, in request order (64-byte aligned).
  std::vector<int64_t> offsets;
  /// Arena size needed (a multiple of 64).
  int64_t arenaBytes = 0;
  /// Sum of the aligned request sizes (what no reuse would need).
  int64_t naiveBytes = 0;
};

/// Plans the arena: walks kernels in order, frees buffers whose last use is
/// behind, and places each new buffer in the smallest free block that fits
/// (lowest offset on ties), growing the arena only when none does. Buffers
/// live at the same kernel never overlap. Deterministic.
MemoryPlan planMemory(const std::vector<BufferRequest> &requests);

} // namespace mlc::codegen
