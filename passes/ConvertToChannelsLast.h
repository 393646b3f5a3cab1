// Convolutions and pools in channels-last layout, with the layout changes
// pushed to the edges of each convolutional region.
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Rewrites every f32 conv, max_pool and avg_pool to its `channels_last`
/// form ([N, D.., C] in, [N, O.., F] out) between two transposes, then
/// sinks each transpose back to channels-first ([0, r-1, 1, .., r-2]) below
/// the ops that commute with it, until it meets the next conv's transpose
/// to channels-last (simplify-algebra then cancels the pair) or an op it
/// cannot cross. It crosses:
///  - elementwise ops whose other operands are transposed the same way,
///    have a transpose to channels-last already (a conv's input: the
///    residual add of a block that starts at a graph input), or are
///    constants (a constant gets the inverse transpose, which
///    fold-constants evaluates; a lower-rank one is first reshaped to the
///    full rank, as broadcasting would);
///  - concat, whose axis is renumbered, when every operand is transposed
///    the same way or constant;
///  - reductions with keepdims, whose axes are renumbered.
/// A graph output keeps its name and layout: the last transpose takes it.
///
/// Why: in channels-last order a convolution is a GEMM of the activations
/// [N*O.., K*C] with the packed weights, the operand that streams is
/// contiguous and the result needs no transposing pass (in NCHW, ResNet-50
/// spent 12% of its time in transposes and im2col copies and its 1x1
/// convs ran at 55-60% of peak). Depthwise convs and pools vectorize over
/// channels. The CUDA pipeline does not run this pass: its kernels map one
/// thread per output element and do not care.
Status convertToChannelsLast(Graph &graph);

} // namespace mlc
