// Runs f16 and bf16 contractions and reductions in f32.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Rewrites every matmul, conv, avg_pool, reduce_sum, reduce_mean,
/// reduce_prod, softmax, log_softmax and layer_norm whose result is f16 or
/// bf16 into the same op on f32: its f16/bf16 operands are cast to f32 and
/// its results cast back. Other operands (integer axes, indices) are left
/// alone.
///
/// Why: codegen computes in the element type of the op, so a 16-bit
/// contraction would round every partial sum to 11 (f16) or 8 (bf16)
/// significant bits and lose about log2(K) more bits over a K-term sum.
/// numpy (the ONNX reference), onnxruntime and cuBLAS all accumulate
/// 16-bit products in f32 and round once; so does mlc. The products of two
/// f16 values are exact in f32, so a widened matmul rounds exactly as
/// numpy's does. The casts are elementwise and fuse into the neighbouring
/// kernels; a constant operand's cast stays a run-time kernel (the pass
/// runs after fold-constants), so 16-bit weights stay 16-bit in the
/// artifact.
Status widenHalfAccumulation(Graph &graph);

} // namespace mlc
