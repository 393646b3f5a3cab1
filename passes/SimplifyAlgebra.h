// Local algebraic rewrites that keep results exact (up to the rounding of
// folded constants).
#pragma once

#include "ir/Graph.h"

namespace mlc {

/// Applies these rewrites, sweeping in node order until nothing changes:
///  - batch_norm after a conv whose result has no other use folds into the
///    conv's weights and bias (computed in f64, rounded once; the conv gains
///    a bias when it had none). Other batch_norms with constant parameters
///    become mul + add by per-channel constants shaped [C,1,..,1];
///  - reshape(reshape(x)) -> reshape(x); transpose(transpose(x)) -> one
///    transpose with the composed permutation, removed if it is the identity;
///    a transpose that only moves dims of extent 1 becomes a reshape;
///  - identities vanish: reshape to the same shape, identity transpose,
///    cast to the same dtype, expand/pad/slice that change nothing, concat
///    of one operand, reductions over no axes;
///  - x+0, 0+x, x-0, x*1, 1*x, x/1 with a constant splat that broadcasts
///    into x's type (the result type must equal x's type) become x.
/// Only f32/f64 batch norms are folded. A rewrite that would replace a graph
/// output by another value gives that value the output's name, or is
/// skipped when the value is a graph input or an output itself.
/// Deliberately absent: div by constant -> mul by reciprocal, reassociation,
/// x-x -> 0 and x*0 -> 0 (all inexact for floats or for NaN/inf).
/// x+0 -> x is exact except that -0.0 + 0.0 is +0.0, which no consumer in
/// these models can observe (it compares equal).
///
/// Why: torch exports conv + batch_norm (ResNet, MobileNet), reshape and
/// transpose chains around attention (BERT), and no-op casts/expands from
/// tracing. Folding batch_norm removes a whole kernel per conv; the other
/// rewrites remove data movement that fusion cannot hide.
Status simplifyAlgebra(Graph &graph);

} // namespace mlc
