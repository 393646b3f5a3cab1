// The CUDA target's tiled contractions: matmuls, batched matmuls and
// convolutions as blocks of threads that share tiles of their operands
// through shared memory. Internal to codegen.
#pragma once

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>

namespace mlc::codegen {

/// A gpu.launch of `grid` x `block` threads (x only) before `b`'s insertion
/// point, with an empty, terminated body.
mlir::gpu::LaunchOp createGpuLaunch(mlir::OpBuilder &b, mlir::Location loc,
                                    int64_t grid, int64_t block);

/// Replaces every bufferized linalg contraction of `module` that is large
/// enough (static shapes, two inputs, one output, a trap-free body) by a
/// gpu.launch of the tiled kernel:
///   - the parallel loops split into batch, row and column dimensions (row:
///     used by the first operand only, column: by the second only; the
///     operands swap so that the output's innermost dimension is a column
///     one, which makes the output stores coalesced), the reduction loops
///     into one depth dimension;
///   - one block of 16 x 16 threads per 64 x 64 output tile, each thread
///     owning a 4 x 4 micro-tile of adjacent outputs (vector loads from
///     shared memory) in private memory, which LLVM keeps in registers;
///   - the depth walked in tiles of 16: the block loads a 64 x 16 tile of
///     each operand into shared memory (through the operands' own indexing
///     maps, so a convolution is an implicit GEMM), a barrier, every thread
///     applies the op's body to its micro-tile, a barrier.
/// The accumulators start from the output's current value, or from the value
/// of a linalg.fill of the output right before the op (which then goes);
/// an elementwise linalg.generic right after the op that reads its output
/// (a bias add, a relu) is applied to each result in the stores (and goes
/// too); an input that is a padded copy of another buffer (tensor.pad,
/// bufferized) is read in place, the padding value where the index falls
/// outside the source. The accumulators take the depth in the op's own order,
/// as the one-thread-per-element form does (on the GPU both contract a multiply
/// and add into an fma). Elements are at most 64 bits wide. Smaller
/// contractions stay with the one-thread-per-element mapping of createLaunches.
///
/// In a kernel function marked `mlc.mma = "f16"`, `"bf16"` or `"tf32"` (by
/// the emitter: operands that hold f16 or bf16 values, or f32 ones with
/// TargetOptions::allowTf32), a contraction whose body is `out + a * b` on
/// f32 runs on tensor cores instead: its tiles are stored to shared memory
/// as f16, bf16 or tf32-rounded f32, and the block's 8 warps compute 2 x 2
/// nvgpu.mma.sync tiles of 16 x 8 each (m16n8k16, or m16n8k8 for tf32)
/// into the same 16 f32 accumulators per thread (docs/codegen.md, "Tensor
/// cores"). With `wgmma` (sm_90a) the tensor-core form uses warpgroups
/// instead: the tiles are stored in wgmma's core-matrix layout, and each of
/// the block's 2 warpgroups computes its 64 x 32 half of the output tile
/// with nvvm.wgmma.mma_async (m64n32k16, or m64n32k8 for tf32) reading
/// both operands from shared memory through matrix descriptors.
mlir::LogicalResult tileContractions(mlir::ModuleOp module, bool wgmma);

} // namespace mlc::codegen
