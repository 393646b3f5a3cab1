// Text builder shared by the per-op emitters: SSA names, types, linalg.generic.
#pragma once

#include "ir/Graph.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mlc::codegen {

/// Symbolic dims in codegen's integer shapes (dynamic shapes): symbol k of
/// the module's symbol table is the extent symbolExtent(k) = -2 - k, which
/// types print as `?` and kernels read as the index value `%sym<k>`
/// (dimText); kDynamicExtent is a dynamic extent with no symbol of its own
/// (a collapsed product), which only types may hold.
inline constexpr int64_t kDynamicExtent = -1;
/// The extent standing for symbol `k`.
inline int64_t symbolExtent(size_t k) { return -2 - static_cast<int64_t>(k); }
/// True for symbolic and other dynamic extents.
inline bool isDynamicExtent(int64_t extent) { return extent < 0; }
/// True when some extent is dynamic.
bool hasDynamicExtent(const std::vector<int64_t> &shape);

/// Makes `symbols` the symbol table that extents() and dimText() use on
/// this thread while it lives (emitModule holds one per module), so that
/// the per-op emitters keep their plain integer shapes.
class SymbolScope {
public:
  explicit SymbolScope(const std::vector<std::string> &symbols);
  ~SymbolScope();
  SymbolScope(const SymbolScope &) = delete;
  SymbolScope &operator=(const SymbolScope &) = delete;

private:
  const std::vector<std::string> *previous_;
};

/// While alive, symbol `symbol` reads as the static extent `extent` in
/// extents() on this thread (nested scopes stack). The per-item emission
/// of a node with a symbolic batch dim (emitPerItem) emits the node's
/// static form for one item this way.
class SymbolOverride {
public:
  SymbolOverride(size_t symbol, int64_t extent);
  ~SymbolOverride();
  SymbolOverride(const SymbolOverride &) = delete;
  SymbolOverride &operator=(const SymbolOverride &) = delete;

private:
  size_t symbol_;
  int64_t extent_;
  const SymbolOverride *previous_;
  friend int64_t extentOf(const Dim &dim);
};

/// The extent of `dim` under the symbol table in scope: its value, or
/// symbolExtent of its symbol (kDynamicExtent for an unknown symbol), or a
/// SymbolOverride's extent.
int64_t extentOf(const Dim &dim);

/// The symbol (index into the table in scope) of a node that is computed
/// item by item along a symbolic dim 0 (a batch): every result and every
/// operand that is not static has that symbol as dim 0 and static dims
/// otherwise, and the op treats the items independently (convs, pools,
/// batch norm, reductions and normalizations not over dim 0, transposes
/// keeping dim 0, ...). nullopt for other nodes.
std::optional<size_t> perItemSymbol(const Node &node);
/// perItemSymbol, or with `anyOp` also for elementwise ops and matmuls of a
/// batched A by a static B (which have symbolic forms of their own, but
/// inside a group computed item by item run per item as well).
std::optional<size_t> itemSymbol(const Node &node, bool anyOp);
/// A dim as an SSA operand or attribute text: `12`, or `%sym<k>`.
std::string dimText(int64_t extent);

/// MLIR element type used in memory for `type` (bool is stored as i8; the
/// unsigned types use signless integers of the same width).
std::string storageType(DType type);
/// MLIR element type used for arithmetic (bool is i1).
std::string computeType(DType type);
/// `tensor<2x3xf32>` / `tensor<f32>` for the storage form of `type`.
std::string tensorType(const TensorType &type);
/// `memref<2x3xf32>` for the storage form of `type`.
std::string memrefType(const TensorType &type);
/// Like tensorType, from explicit extents.
std::string tensorType(DType dtype, const std::vector<int64_t> &shape);
/// `affine_map<(d0, ..) -> (exprs)>` over `numDims` dims.
std::string affineMap(int numDims, const std::vector<std::string> &exprs);
/// The identity map of rank `rank`.
std::string identityMap(int rank);
/// The numpy-broadcast map reading an operand of shape `operand` inside an
/// iteration space equal to the (static) shape `result`.
std::string broadcastMap(const std::vector<int64_t> &operand,
                         const std::vector<int64_t> &result);
/// `d<i>` as an affine expression.
std::string dim(int i);
/// An exact literal of `value` in `type` for arith.constant (hex for floats).
std::string floatLiteral(double value, DType type);

/// One operand of a linalg.generic: SSA tensor value, its type and its map.
struct GenericOperand {
  std::string value;
  DType dtype;
  std::vector<int64_t> shape;
  std::string map;
};

/// Accumulates the text of one kernel function.
class KernelBuilder {
public:
  /// Body callback: receives the block arguments (storage types; ins then
  /// outs) and returns the values to yield (storage types).
  using BodyFn = std::function<Expected<std::vector<std::string>>(
      KernelBuilder &, const std::vector<std::string> &)>;

  /// A fresh SSA name, `%v<N>`.
  std::string fresh();
  /// Appends one line at the current indentation.
  void line(const std::string &text);
  /// The accumulated text.
  const std::string &text() const { return text_; }

  /// `arith.constant` of index type.
  std::string indexConst(int64_t value);
  /// An extent as an index value: a constant, or `%sym<k>`.
  std::string dimValue(int64_t extent);
  /// `arith.constant` of a float value in compute type of `dtype`.
  std::string floatConst(double value, DType dtype);
  /// `arith.constant` of an integer value in compute type of `dtype`.
  std::string intConst(int64_t value, DType dtype);
  /// The constant `value` in `dtype` (float or integer as the dtype says).
  std::string scalarConst(double value, DType dtype);
  /// Lowest / highest finite-or-infinite value (identity of max / min).
  std::string lowestConst(DType dtype);
  std::string highestConst(DType dtype);

  /// `tensor.empty` of the given shape.
  std::string empty(DType dtype, const std::vector<int64_t> &shape);
  /// `linalg.fill` of a scalar SSA value (compute type) into a fresh tensor.
  std::string filled(const std::string &scalar, DType dtype,
                     const std::vector<int64_t> &shape);
  /// Converts a storage-typed scalar to compute type (bool: i8 -> i1).
  std::string toCompute(const std::string &value, DType dtype);
  /// Converts a compute-typed scalar to storage type (bool: i1 -> i8).
  std::string toStorage(const std::string &value, DType dtype);

  /// Emits a linalg.generic and returns its result names (one per out).
  Expected<std::vector<std::string>>
  generic(const std::vector<GenericOperand> &ins,
          const std::vector<GenericOperand> &outs,
          const std::vector<std::string> &iterators, const BodyFn &body,
          const std::string &attrs = "");
  /// A generic over `shape` writing a fresh tensor of `outType` from `ins`
  /// (all parallel, output map identity).
  Expected<std::string> map(const std::vector<GenericOperand> &ins,
                            DType outType, const std::vector<int64_t> &shape,
                            const BodyFn &body);
  /// Reshapes through collapse/expand (same element count; with dynamic
  /// extents through one flat dim).
  std::string reshape(const std::string &value, DType dtype,
                      const std::vector<int64_t> &from,
                      const std::vector<int64_t> &to);
  /// The dynamic case of reshape.
  std::string reshapeDynamic(const std::string &value, DType dtype,
                             const std::vector<int64_t> &from,
                             const std::vector<int64_t> &to);

  /// Next id for a scheduled op attribute (`mlc.sched = N`).
  int64_t nextScheduleId = 0;
  /// Weights that the weights blob stores pre-packed in panels (see
  /// weightPanel): conv W[F, C, K..] as Wp[F/w, C*K.., w], matmul B[K, N]
  /// as Bp[N/w, K, w]; lookups only.
  std::set<const Value *> packedWeights;
  /// Emit the portable forms only (GPU targets): plain linalg contractions,
  /// direct convolutions, no weight panels and no padding to CPU register
  /// tiles.
  bool portable = false;
  /// The target has 32 512-bit vector registers (AVX-512): panel
  /// contractions with 16-wide panels take widePanelRows rows per register
  /// tile (7, 8, 6 or 4, whichever pads least; panelRows), so the 7 x 2^k
  /// spatial sizes of 224x224 CNNs need no padding or remainder.
  bool wideVectors = false;

private:
  std::string text_;
  int indent_ = 2;
  int64_t counter_ = 0;
};

/// What the emitter records about a scheduled contraction (for Schedule.h).
struct ContractionSite {
  int64_t id;
  /// "matmul", "batch_matmul", or a linalg.generic over (m, n / w, w, k)
  /// with B in panels of w (weightPanel): "matmul_t", the transposed conv
  /// form C[m, n] += A[k, m] * Bp[n / w, k, n % w], or "matmul_p", the
  /// packed matmul C[m, n] += A[m, k] * Bp[n / w, k, n % w].
  std::string op;
  int64_t batch, m, n, k;
};

/// Whether a group-1 f32 conv is emitted in the transposed GEMM form
/// out^T[N*O, F] = col^T[N*O, C*K] x W^T[C*K, F], vectorized along F (always
/// a multiple of 8 in practice), instead of out[F, N*O] = W x col, which
/// needs N*O to be a multiple of the vector width. Used when N*O is small
/// or awkward (7x7 = 49, 14x14 = 196, 28x28 = 784: docs/codegen-notes/conv.md).
bool convUsesTransposedForm(const Node &conv);

/// The columns P (= N * output pixels) of a plain-form conv's GEMM: P, or
/// P rounded up to a multiple of 32 (zero im2col columns, dropped from the
/// result) for convs with a large, awkward P that build an im2col anyway.
int64_t convPlainColumns(const Node &conv);

/// True for a conv or pool with `channels_last` = 1 (docs/ir.md).
bool isChannelsLast(const Node &node);

/// The panel width w (16 when the output channels allow, else 8) of the
/// weights of a transposed-form conv, read as Wp[F/w, C*K.., w], of a
/// channels-last conv of group 1, read as Wp[F/w, K..*C, w], or of a
/// 2-D f32 matmul's B[K, N], read as Bp[N/w, K, w]; 0 for other nodes.
/// A matmul uses the packed form when its B is stored packed or has at
/// least kMinPackedRows rows of A to amortize packing at run time.
int64_t weightPanel(const Node &node);

/// See weightPanel.
inline constexpr int64_t kMinPackedRows = 16;

/// `n` rounded up to a whole number of panels of width `panel`: the rows
/// (output channels) a panel-form conv computes, its packed weights padded
/// with zero rows (see weightPanel).
int64_t paddedToPanel(int64_t n, int64_t panel);

/// True for the ops whose emitters handle symbolic extents (plain forms:
/// no weight panels, no schedules).
bool supportsDynamicShapes(OpKind kind);

/// Emits a node whose dim 0 is the symbol `symbol` (perItemSymbol) as an
/// scf.for over the items, each the node's static form (under a
/// SymbolOverride of the symbol to 1) on its slices of the batched operands.
Expected<std::vector<std::string>>
emitPerItem(KernelBuilder &b, const Node &node,
            const std::vector<std::string> &operands,
            std::vector<ContractionSite> &sites, size_t symbol);

/// Emits the computation of one node into `b`. `operands` are the tensor SSA
/// names of the node's operands; returns the result tensor names.
/// Contractions worth scheduling are appended to `sites`.
Expected<std::vector<std::string>>
emitNode(KernelBuilder &b, const Node &node,
         const std::vector<std::string> &operands,
         std::vector<ContractionSite> &sites);

// Per-family emitters, called by emitNode.
Expected<std::string> emitElementwise(KernelBuilder &b, const Node &node,
                                      const std::vector<std::string> &operands);
Expected<std::string> emitMatMul(KernelBuilder &b, const Node &node,
                                 const std::vector<std::string> &operands,
                                 std::vector<ContractionSite> &sites);
Expected<std::string> emitConv(KernelBuilder &b, const Node &node,
                               const std::vector<std::string> &operands,
                               std::vector<ContractionSite> &sites);
Expected<std::string> emitPool(KernelBuilder &b, const Node &node,
                               const std::vector<std::string> &operands);
Expected<std::string> emitReduction(KernelBuilder &b, const Node &node,
                                    const std::vector<std::string> &operands);
Expected<std::string>
emitNormalization(KernelBuilder &b, const Node &node,
                  const std::vector<std::string> &operands);
Expected<std::string>
emitDataMovement(KernelBuilder &b, const Node &node,
                 const std::vector<std::string> &operands);

/// Scalar binary op on compute-typed values; used by several emitters.
Expected<std::string> emitScalarBinary(KernelBuilder &b, OpKind kind,
                                       DType dtype, const std::string &x,
                                       const std::string &y);
/// Scalar unary op on a compute-typed value.
Expected<std::string> emitScalarUnary(KernelBuilder &b, const Node &node,
                                      DType dtype, const std::string &x);

/// The standard "op on dtype unsupported" error.
Error unsupported(const Node &node, DType dtype);
/// Extents of a value's type (symbols as symbolExtent, see SymbolScope).
std::vector<int64_t> extents(const Value *value);
/// Extents of a type (symbols as symbolExtent).
std::vector<int64_t> extents(const TensorType &type);

} // namespace mlc::codegen
