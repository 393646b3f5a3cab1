// Internal state shared by the ONNX importer's model reader and op table.
#pragma once

#include "frontends/onnx/OnnxImporter.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mlc::onnx_import {

/// Converts an ONNX TensorProto (inline or external data) into tensor data.
/// `baseDir` resolves external data; "" forbids it.
Expected<TensorData> convertTensor(const onnx::TensorProto &tensor,
                                   const std::string &baseDir);

/// Maps an ONNX TensorProto_DataType to an IR dtype.
Expected<DType> convertDType(int32_t onnxType);

/// Builds tensor data of `type` (static) filled with `value` converted to
/// the dtype (f16/bf16 rounded to nearest even, integers truncated).
Expected<TensorData> makeFilledTensor(const TensorType &type, double value);

/// Builds tensor data of the static `type` from `values` (one per element,
/// row-major), each converted as makeFilledTensor converts its value.
Expected<TensorData> makeTensorFromDoubles(const TensorType &type,
                                           const std::vector<double> &values);

/// Reads element `i` of a tensor as a double (any dtype).
double tensorElementAsDouble(const TensorData &data, int64_t i);

/// A sequence or optional value of the ONNX graph. Its structure (how many
/// elements, whether present) is fixed at import time; its elements are
/// ordinary IR tensors (docs/frontends.md, "Sequences and optionals"). In
/// the scopes it is named by a token: an IR value that no tensor op may
/// read (importNodes checks), which the importer maps to the aggregate.
struct Aggregate {
  enum class Kind { Sequence, Optional };
  Kind kind = Kind::Sequence;
  /// Sequence: its tensors, in order. Optional: its content when present
  /// (one tensor, or the token of a sequence), empty when absent.
  std::vector<Value *> elements;
  /// Sequence: the element dtype, when known without an element (a
  /// SequenceEmpty's dtype, a declared input type).
  std::optional<DType> elemDtype;
  /// Optional: true when the content is (or would be) a sequence.
  bool ofSequence = false;
};

/// The importer's state while translating one graph.
class Importer {
public:
  Importer(Graph &graph, int64_t opset, std::string baseDir)
      : graph_(graph), opset_(opset), baseDir_(std::move(baseDir)) {}

  Graph &graph() { return graph_; }
  int64_t opset() const { return opset_; }
  /// Directory that external data resolves against ("" forbids it).
  const std::string &baseDir() const { return baseDir_; }

  /// Appends an IR node named `nodeName` and returns its first result,
  /// named `resultName` when given (a fresh name otherwise).
  Expected<Value *> emit(OpKind kind, std::vector<Value *> operands,
                         AttributeMap attrs = {},
                         const std::string &resultName = {});
  /// Appends a constant node and returns its result.
  Expected<Value *> emitConstant(TensorData data,
                                 const std::string &resultName = {});
  /// A constant scalar (rank 0) of `dtype` holding `value`.
  Expected<Value *> emitScalar(DType dtype, double value);
  /// A constant 1-D i64 tensor.
  Expected<Value *> emitInts(const std::vector<int64_t> &values);
  /// A reshape of `x` to the static `extents`.
  Expected<Value *> emitReshape(Value *x, const std::vector<int64_t> &extents,
                                const std::string &resultName = {});

  /// The value of `v` when it is computable at import time (its producers
  /// are all constants), evaluated with the reference interpreter.
  Expected<TensorData> requireConstant(Value *v, const std::string &what);
  /// Like requireConstant, for an integer tensor read as int64 values.
  Expected<std::vector<int64_t>> requireInts(Value *v, const std::string &what);

  /// Dim values: small integer tensors (rank 0 or 1) whose elements are
  /// dims with symbols, such as the Shape of a value with a symbolic dim.
  /// Shape-taking inputs (Reshape's shape, Slice's ends, ...) read the
  /// dims; other readers read the data, the symbols' run-time values
  /// (symbol_values, cast to `dtype`). Scalar: rank 0 (one dim).
  Expected<Value *> emitDimValue(const Shape &dims, bool scalar,
                                 const std::string &resultName,
                                 DType dtype = DType::I64);
  /// The dims of a dim value, or null when `v` is not one.
  const Shape *dimValue(const Value *v) const;

  /// A token standing for `aggregate` (a fresh IR value no tensor op
  /// reads; dead code once the import ends).
  Expected<Value *> emitAggregate(Aggregate aggregate);
  /// The aggregate `v` stands for, or null when `v` is a tensor.
  const Aggregate *aggregate(const Value *v) const;
  /// The elements of an integer tensor of rank 0 or 1 as dims: a dim
  /// value's, or the constant values (requireInts).
  Expected<Shape> requireDims(Value *v, const std::string &what);

  /// Static shapes the model declares for values (its graph outputs and
  /// value_info), by ONNX name: hints for ops whose output type depends on
  /// a run-time value (DFT's axis). Never trusted without a check.
  std::map<std::string, std::vector<int64_t>> declaredShapes;

  /// A result name for ONNX name `name`: itself if free, else a fresh one.
  std::string resultNameFor(const std::string &name);

  /// Name given to every IR node emitted for the current ONNX node.
  std::string nodeName;

  /// Imports a subgraph's initializers and nodes (Scan bodies, If branches)
  /// into the graph being built, resolving names in `scope` and adding the
  /// subgraph's values to it.
  std::function<Status(const onnx::GraphProto &body,
                       std::map<std::string, Value *> &scope,
                       const std::string &prefix)>
      importSubgraph;

private:
  Graph &graph_;
  int64_t opset_;
  std::string baseDir_;
  /// Values whose producers transitively depend only on constants.
  std::set<const Value *> constantLike_;
  /// Values already evaluated at import time. Looked up only, never iterated.
  std::map<const Value *, TensorData> known_;
  /// The dims of each dim value (emitDimValue).
  std::map<const Value *, Shape> dimValues_;
  /// The aggregate of each token (emitAggregate).
  std::map<const Value *, Aggregate> aggregates_;
};

/// One ONNX node being translated: its proto, resolved inputs and the
/// outputs the translation defines.
struct NodeContext {
  const onnx::NodeProto &proto;
  Importer &importer;
  /// Resolved inputs; null for an absent optional input ("").
  std::vector<Value *> inputs;
  /// Values for each ONNX output; set by the translation (null = none).
  std::vector<Value *> outputs;
  /// True for each ONNX output consumed later (by a node or graph output).
  std::vector<bool> outputUsed;
  /// The names visible at this node (its graph's and enclosing ones).
  const std::map<std::string, Value *> *scope = nullptr;

  /// Number of ONNX inputs, counting absent optional ones.
  size_t numInputs() const { return inputs.size(); }
  /// Input `i`, or an error when it is absent.
  Expected<Value *> input(size_t i) const;
  /// Input `i`, or null when absent or beyond the list.
  Value *optionalInput(size_t i) const {
    return i < inputs.size() ? inputs[i] : nullptr;
  }
  /// Result name for ONNX output `i` (fresh when empty or taken).
  std::string outputName(size_t i) const;
  /// Fails when ONNX output `i` (an output the IR cannot produce) is used.
  Status requireUnused(size_t i, const std::string &what) const;

  /// Attribute lookup; null when absent.
  const onnx::AttributeProto *attr(const std::string &name) const;
  /// Typed attribute readers: default when absent, error on a wrong type.
  Expected<int64_t> intAttr(const std::string &name, int64_t def) const;
  Expected<double> floatAttr(const std::string &name, double def) const;
  Expected<std::string> stringAttr(const std::string &name,
                                   const std::string &def) const;
  Expected<std::vector<int64_t>> intsAttr(const std::string &name) const;
  Expected<std::vector<double>> floatsAttr(const std::string &name) const;
  /// True when attribute `name` is present.
  bool hasAttr(const std::string &name) const { return attr(name); }
};

/// Declares `decl` from an Expected, returning its error from the caller.
#define ONNX_ASSIGN(decl, expr)                                                \
  auto decl##OrErr_ = (expr);                                                  \
  if (!decl##OrErr_)                                                           \
    return decl##OrErr_.error();                                               \
  auto decl = decl##OrErr_.take()

/// Sets ONNX output `i` of the node to `value` (ignored beyond the node's
/// outputs), or returns its error.
Status setOutput(NodeContext &ctx, size_t i, Expected<Value *> value);

/// Translates a node on dim values symbolically (Shape of a value with
/// symbolic dims; Gather, Slice, Concat, Unsqueeze, Squeeze, Reshape, Cast
/// and Identity of dim values). Returns true when it handled the node.
Expected<bool> translateDimValueNode(NodeContext &ctx);

/// Largest number of nodes an unrolled Scan, Loop or SequenceMap body may
/// add.
inline constexpr int64_t kMaxUnrolledNodes = int64_t{1} << 20;

/// Most tensors of a sequence (an input's length, a split's count).
inline constexpr int64_t kMaxSequenceLength = 4096;

/// Largest graph that unrolling subgraphs may build (checked before each
/// unrolled body is imported, so nested unrolls are bounded too).
inline constexpr int64_t kMaxGraphNodes = int64_t{1} << 20;

/// Most elements of a run-time integer input that may give dims.
inline constexpr int64_t kMaxRunTimeInts = 64;
/// True when `v` gives dims by its values at run time (ValueShapes.cpp): an
/// i32 or i64 graph input of static shape, rank <= 1, with 1 to
/// kMaxRunTimeInts elements.
bool isRunTimeInts(const Value *v);
/// True when `v` is a graph input of one i32, i64, f32 or f64 element (a
/// value symbol reads it at run time).
bool isRunTimeScalar(const Value *v);
/// The elements of an integer tensor of rank 0 or 1 as symbol arguments:
/// constants, a dim value's dims, or value symbols of a run-time input.
Expected<std::vector<SymbolArg>> requireSymbolArgs(Importer &im, Value *v,
                                                   const std::string &what);
/// Range of integers whose start, limit or delta is known only at run time
/// (a dim value or a run-time input): iota scaled and shifted.
Status rangeFromSymbols(NodeContext &ctx, Value *start, Value *limit,
                        Value *delta);
/// Reshape to the shape held by run-time input `shape` (0 copies, -1
/// infers; the counts compare at run time).
Status reshapeFromValues(NodeContext &ctx, Value *x, Value *shape,
                         bool allowZero);
/// Expand of `x` to the shape held by run-time input `shape` or dim value
/// `shape` (numpy broadcasting, checked at run time).
Status expandFromValues(NodeContext &ctx, Value *x, Value *shape);
/// Slice whose starts, ends, axes or steps are run-time inputs (clamped as
/// ONNX says, at run time; gathers along each sliced dim).
Status sliceFromSymbols(NodeContext &ctx, Value *x);
/// Pad by gathers (modes constant, edge, reflect, wrap; negative pads
/// crop), with pads, axes or the value given at run time or not.
Status padFromSymbols(NodeContext &ctx, Value *x, const std::string &mode);
/// `y` (static shape) in the leading corner of a zero tensor of the shape
/// held by `shape` (run-time input, dim value or constant): MaxUnpool's
/// output_shape. Requires each dim at least y's extent at run time.
Expected<Value *> zeroExtendTo(NodeContext &ctx, Value *y, Value *shape);
/// CenterCropPad to the sizes of input `shape` (run-time or constant)
/// along the normalized `axes`, by gathers.
Status centerCropPadFromSymbols(NodeContext &ctx, Value *x,
                                const std::vector<int64_t> &axes);
/// Tile by repeats given at run time (or a dim value): the output extents
/// are the products, the data a reshape, an expand and a reshape.
Status tileFromSymbols(NodeContext &ctx, Value *x, Value *repeats);
/// Resize's attributes, as resizeOp reads them (the axes normalized).
struct ResizeOptions {
  std::string mode, coordinateMode, nearestMode, policy;
  double cubicA = -0.75, extrapolation = 0.0;
  bool antialias = false, excludeOutside = false;
  std::vector<int64_t> axes;
};
/// Resize-11+ of `x` (static shape, already in the compute dtype f32 or
/// f64) whose scales, sizes or roi are run-time inputs: the output extents
/// are value symbols (floor(scale * extent), or the sizes), and each
/// resized axis computes its taps' positions and weights in IR ops from
/// the run-time values, as onnx's reference computes them. `roi`, `scales`
/// and `sizes` are the inputs (null when absent); exactly one of scales
/// and sizes has elements.
Expected<Value *> resizeFromValues(NodeContext &ctx, Value *x,
                                   const ResizeOptions &o, Value *roi,
                                   Value *scales, Value *sizes);
/// STFT-17: frames of the signal (frame_step and frame_length constant or
/// run-time values; the frame count a symbol), times the window, times a
/// DFT matrix [N, K] computed in f64 from iota ((t k) mod N keeps the
/// angles exact), as onnx's reference (onesided by default).
Status stftOp(NodeContext &ctx, OpKind);
/// MelWeightMatrix-17, as onnx's reference: triangular filters between the
/// bins of num_mel_bins + 2 mel-spaced edges; num_mel_bins and dft_length
/// may be run-time values (the output dims are symbols).
Status melWeightMatrixOp(NodeContext &ctx, OpKind);
/// Col2Im-18: each output pixel sums the input columns of the blocks that
/// cover it (a gather over the [image, block] grid of candidate block
/// offsets, masked where the offset does not land on a block, and a
/// reduce_sum over the offsets); image_shape and block_shape constant or
/// run-time values.
Status col2ImOp(NodeContext &ctx, OpKind);
/// AffineGrid-20: the sampling grid of theta over the positions `size`
/// gives (its spatial extents may be run-time values).
Status affineGridOp(NodeContext &ctx, OpKind);
/// Split along `axis` with the sizes held by run-time input `split`.
Status splitFromSymbols(NodeContext &ctx, Value *x, int64_t axis,
                        Value *split);
/// Squeeze / Unsqueeze with the axes held by run-time input `axes`.
Status squeezeFromValues(NodeContext &ctx, Value *x, Value *axes);
Status unsqueezeFromValues(NodeContext &ctx, Value *x, Value *axes);

/// Reduce axes held by a run-time input: per dim of the input, whether an
/// axis names it, as a symbol (0 / 1) and as data (a bool of the input's
/// rank with all extents 1).
struct RunTimeAxes {
  Value *axes = nullptr;
  std::vector<SymbolArg> mask;
  std::vector<Value *> maskValues;
};
/// Reads the axes of a Reduce* node from run-time input `axes` (the input
/// `x` must have a static shape).
Expected<RunTimeAxes> runTimeReduceAxes(NodeContext &ctx, Value *x,
                                        Value *axes);
/// `kind` (reduce_sum, _mean, _max, _min, _prod) of `t` over the run-time
/// axes, broadcast back along them: `t`'s shape, with dims of extent 0
/// becoming 1.
Expected<Value *> reduceFull(Importer &im, OpKind kind, Value *t,
                             const RunTimeAxes &axes);
/// The Reduce result from reduceFull's form: one element along each
/// reduced dim, which keepdims = 0 then drops (`in` is the input's shape).
Expected<Value *> finishReduce(NodeContext &ctx, Value *full, const Shape &in,
                               const RunTimeAxes &axes, bool keepdims);

/// Makes the operands of an elementwise op broadcast: where a dynamic dim
/// meets a different non-1 dim (static or another symbol) at the same
/// position, the operand is reshaped to the other dim, with the run-time
/// requirement that they are equal (a dynamic dim broadcasts only against
/// an equal one, or a static 1). Returns the operands unchanged when there
/// is nothing to unify or the shapes cannot broadcast anyway.
Expected<std::vector<Value *>>
unifyBroadcastDims(Importer &im, const std::vector<Value *> &operands);
/// The same for a concat along `concatAxis` (>= 0): every dim but the
/// axis must agree, a dynamic dim taking the other operands' (static
/// first); with a negative axis, unifyBroadcastDims.
Expected<std::vector<Value *>> unifyDims(Importer &im,
                                         const std::vector<Value *> &operands,
                                         int64_t concatAxis);

/// `v` with each dynamic dim j that differs from `target[j]` (when set)
/// replaced by it: a checked reshape, with the run-time requirement that
/// the two are equal (the message names `what` and says `why`).
Expected<Value *> matchDims(Importer &im, Value *v,
                            const std::vector<std::optional<Dim>> &target,
                            const std::string &what, const std::string &why);

/// Sequence and optional ops (SequenceOps.cpp): SequenceConstruct, -Empty,
/// -Insert, -Erase, -At, -Length, ConcatFromSequence, SplitToSequence,
/// SequenceMap, Optional, OptionalHasElement, OptionalGetElement.
Status sequenceConstructOp(NodeContext &ctx, OpKind);
Status sequenceEmptyOp(NodeContext &ctx, OpKind);
Status sequenceInsertOp(NodeContext &ctx, OpKind);
Status sequenceEraseOp(NodeContext &ctx, OpKind);
Status sequenceAtOp(NodeContext &ctx, OpKind);
Status sequenceLengthOp(NodeContext &ctx, OpKind);
Status concatFromSequenceOp(NodeContext &ctx, OpKind);
Status splitToSequenceOp(NodeContext &ctx, OpKind);
Status sequenceMapOp(NodeContext &ctx, OpKind);
Status optionalOp(NodeContext &ctx, OpKind);
Status optionalHasElementOp(NodeContext &ctx, OpKind);
Status optionalGetElementOp(NodeContext &ctx, OpKind);
/// Loop-1/11+ unrolled at import time: the trip count and every
/// iteration's condition must be computable then (SequenceMap's function
/// body loops over a sequence's length). Carried values may be sequences.
Status loopOp(NodeContext &ctx, OpKind);
/// `cond ? a : b` for tensors, or element by element for sequences and
/// optionals of the same structure (If with a run-time condition).
Expected<Value *> selectAggregates(Importer &im, Value *cond, Value *a,
                                   Value *b);
/// The positions of the true elements of bool `mask` [n], in order, as an
/// i64 [?k] whose length ?k the run computes (a load symbol of the count,
/// at most n).
Expected<Value *> truePositions(Importer &im, Value *mask, int64_t n);
/// StringConcat-20: string_concat of the inputs expanded to their broadcast
/// shape (static shapes).
Status stringConcatOp(NodeContext &ctx, OpKind);
/// StringSplit-20: string_split for Y, whose last dim (the most pieces) is
/// a split symbol the runtime computes from the strings of X, a graph
/// input, before the run; string_split_count for Z.
Status stringSplitOp(NodeContext &ctx, OpKind);
/// RegexFullMatch-20: regex_full_match (RE2 syntax, ir/Regex.h).
Status regexFullMatchOp(NodeContext &ctx, OpKind);
/// StringNormalizer-10: the stopwords dropped (string_index, then a gather
/// of the kept positions, whose count the run computes; none left gives
/// one empty string), then string_case for LOWER / UPPER.
Status stringNormalizerOp(NodeContext &ctx, OpKind);
/// Equal of two str tensors (StringOps.cpp): static shapes broadcast by
/// expanding both, then string_equal.
Expected<Value *> stringEqual(Importer &im, Value *a, Value *b,
                              const std::string &name);
/// ai.onnx.ml LabelEncoder-2/4 with string keys: string_index, then a
/// gather of the numeric values and the default where no key matches.
Status labelEncoderOp(NodeContext &ctx, OpKind);
/// True when op `opType` (default domain) takes or gives sequences and
/// optionals; the other ops see tensors only.
bool takesAggregates(const std::string &opType);

/// Translates one ONNX node in the default domain, setting ctx.outputs.
/// Errors are plain messages; the caller prefixes the node and op.
Status translateNode(NodeContext &ctx);

/// True when `opType` is in the op table.
bool isSupportedOp(const std::string &opType);
/// The domain of the training ops (Adagrad, Adam, Momentum; version 1).
inline constexpr const char *kTrainingDomain = "ai.onnx.preview.training";
/// The preview domain (FlexAttention; version 1).
inline constexpr const char *kPreviewDomain = "ai.onnx.preview";
/// The classical-ML domain (ArrayFeatureExtractor, Binarizer).
inline constexpr const char *kMlDomain = "ai.onnx.ml";
/// The newest opset of non-default `domain` that mlc reads (kTrainingDomain
/// and kPreviewDomain 1, kMlDomain 5), or 0 for a domain it has no ops of.
int64_t newestDomainOpset(const std::string &domain);
/// True when translateNode handles `opType` of the non-default `domain`.
bool isSupportedDomainOp(const std::string &domain, const std::string &opType);

/// The version of default-domain op `opType` that a model importing `opset`
/// uses: the newest of the op's schema versions (OnnxOpVersions.inc) not
/// above `opset`; 0 for an op unknown to the pinned onnx or newer than
/// `opset`.
int64_t opVersion(const std::string &opType, int64_t opset);

/// The oldest version of a supported op the importer implements. The
/// importer follows each op's opset-13 schema (and the newer ones); older
/// versions are accepted only where they mean the same for every model that
/// uses them (listed, with the reason, in OnnxOps.cpp).
int64_t oldestImplementedVersion(const std::string &opType);

/// Normalizes axis `axis` against `rank` (negative counts from the end).
Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlc::onnx_import
