// Kernel temporaries in the arena instead of malloc. Internal to codegen.
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>

namespace mlc::codegen {

/// Scratch placement for one module.
struct ScratchLayout {
  /// Bytes of the scratch region, appended to the arena at `offset`.
  int64_t bytes = 0;
  /// Where the region starts (the planned arena size, rounded up to 64).
  int64_t offset = 0;
  /// Sum of every kernel's temporaries, for the naive-size report.
  int64_t totalBytes = 0;
};

/// Moves every kernel's top-level, statically shaped `memref.alloc` (the
/// temporaries one-shot bufferization creates between a group's ops) into
/// one scratch region after the planned arena, and drops their deallocs.
/// Kernels run one at a time within a call, so they share the region: it
/// is as large as the largest kernel's temporaries. Each kernel that has
/// any gains a trailing `memref<S x i8>` argument, and @mlc_graph passes a
/// view of its arena, whose type grows to `arenaBytes` + the region.
///
/// Runs on bufferized IR, before Parallelize (whose task bodies then
/// capture the views like any other buffer). Without it, a kernel mallocs
/// and frees its temporaries on every call; large ones come back from the
/// OS zeroed each time (page faults).
mlir::FailureOr<ScratchLayout> placeKernelScratch(mlir::ModuleOp module,
                                                  int64_t arenaBytes);

} // namespace mlc::codegen
