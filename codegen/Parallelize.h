// Multithreading: kernels' top-level parallel loops become tasks for the
// runtime's thread pool. Internal to codegen.
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>

namespace mlc::codegen {

/// Prefix of the dispatch functions Parallelize declares; ObjectEmitter
/// defines them in LLVM IR (finalizeDispatchers).
inline constexpr const char *kDispatchPrefix = "mlc_dispatch_";

/// Whether `f` is a kernel: a defined function, other than @mlc_graph,
/// whose first argument is the `!llvm.ptr` execution context.
bool isKernel(mlir::func::FuncOp f);

/// Outlines each top-level `scf.forall` / `scf.parallel` of every kernel
/// (a func.func whose first argument is the `!llvm.ptr` execution context)
/// whose estimated work (operations executed) reaches `minWork`. The loop body
/// moves to a function
/// `@<kernel>_p<N>(captures..., %begin: index, %end: index)` that runs the
/// linearized iterations [begin, end) of the distributed dimensions, and the
/// loop is replaced by a call to the declared
/// `@mlc_dispatch_<kernel>_p<N>(%ctx, captures..., %count)`.
///
/// Runs on bufferized IR (memrefs), before the lowering to the LLVM dialect.
/// Captured memrefs must be static with identity layout (bare pointers);
/// views of them are recomputed inside the body. Loops it cannot outline
/// stay serial, which is always correct.
mlir::LogicalResult outlineParallelLoops(mlir::ModuleOp module,
                                         int64_t minWork);

} // namespace mlc::codegen
