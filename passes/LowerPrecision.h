// Computes an f32 model in f16 or bf16 (`mlc compile --precision`).
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Rewrites the graph's f32 computation into `half` (f16 or bf16), keeping
/// its interface:
///  - f32 values made from something other than f32 stay f32: casts to f32
///    of integers (positions, counts, shape math: f16 holds integers exactly
///    only up to 2048, bf16 up to 256) or of 16-bit values (a mixed model's
///    deliberate upcasts), bitcasts to f32, and what is computed from those
///    and f32 constants alone; they meet 16-bit data through a cast;
///  - each f32 graph input is cast to `half` where it is used;
///  - f32 constants become `half` constants (f16: finite magnitudes beyond
///    65504 saturate, nonzero ones below 1e-7 become 1e-7, as
///    onnxconverter-common's float16 conversion does, so neither becomes an
///    infinity or a zero), with an f32 original kept for the f32 part;
///  - casts to f32 of f32 values become casts to `half`; a bitcast of f32
///    bits reads an f32 cast;
///  - every result type is re-derived from the type rules, so all f32
///    values downstream become `half`; a node whose rule rejects that is an
///    error naming it;
///  - each output that was f32 is cast back to f32 under its own name.
/// Contractions and reductions still sum in f32 (widen-half-accumulation
/// runs after this pass), so what the mode rounds is each op's result.
///
/// Why: tensor cores multiply f16 and bf16 (docs/codegen.md, "Tensor
/// cores"), weights take half the bytes, and the memory traffic of every
/// elementwise kernel halves; deployments accept the ~1e-3 relative
/// rounding per op of f16 (8e-3 for bf16) for that, as with TensorRT's fp16
/// mode.
Status lowerPrecisionToF16(Graph &graph);

/// As lowerPrecisionToF16, to bf16 (no saturation: bf16 has f32's range).
Status lowerPrecisionToBF16(Graph &graph);

} // namespace mlc
