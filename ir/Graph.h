// The graph IR: values, nodes with attributes, and the graph that owns them.
#pragma once

#include "ir/Ops.h"
#include "ir/Support.h"
#include "ir/Types.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mlc {

class Node;

/// Immutable host data of a constant tensor, shared between copies of a graph.
/// Bytes are little-endian, row-major, densely packed (bool: one byte 0/1).
struct TensorData {
  TensorType type;
  std::shared_ptr<const std::vector<uint8_t>> bytes;

  /// Pointer to the first element, viewed as T.
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes->data());
  }
  /// Number of elements (type must be static).
  int64_t numElements() const;
  bool operator==(const TensorData &other) const;
};

/// Creates tensor data, checking that `bytes` has exactly the type's size.
Expected<TensorData> makeTensorData(TensorType type, std::vector<uint8_t> bytes);

/// An attribute value. Float attributes are f64; integer lists are i64. A
/// dim list (Shape) is an integer list with symbolic entries (`[1, ?seq]`):
/// builders store a list without symbols as std::vector<int64_t>, so each
/// list has one form.
using Attribute =
    std::variant<int64_t, double, std::string, std::vector<int64_t>,
                 std::vector<double>, DType, TensorData, Shape>;

/// A dim list as an attribute: std::vector<int64_t> when every dim is
/// static (the canonical form), else the Shape.
Attribute dimsAttribute(const Shape &dims);

/// Attributes of a node, sorted by name so that printing is deterministic.
using AttributeMap = std::map<std::string, Attribute>;

/// An SSA value: a graph input or a node result.
class Value {
public:
  /// Unique name inside its graph (printed as %name).
  const std::string &name() const { return name_; }
  /// Element type and shape.
  const TensorType &type() const { return type_; }
  /// Replaces the type; used by type inference when shapes get refined.
  void setType(TensorType type) { type_ = std::move(type); }
  /// The node that defines this value, or null for graph inputs.
  Node *producer() const { return producer_; }
  /// Result index in the producer.
  unsigned resultIndex() const { return resultIndex_; }

private:
  friend class Graph;
  std::string name_;
  TensorType type_;
  Node *producer_ = nullptr;
  unsigned resultIndex_ = 0;
};

/// One operation: an op kind applied to operand values, producing results.
class Node {
public:
  OpKind kind() const { return kind_; }
  /// Name of the source node (e.g. the ONNX node name); for diagnostics.
  const std::string &name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }
  const std::vector<Value *> &operands() const { return operands_; }
  Value *operand(size_t i) const { return operands_[i]; }
  size_t numOperands() const { return operands_.size(); }
  /// Replaces operand `i`; the caller keeps the graph well typed.
  void setOperand(size_t i, Value *value) { operands_[i] = value; }
  const std::vector<Value *> &results() const { return results_; }
  Value *result(size_t i = 0) const { return results_[i]; }
  const AttributeMap &attrs() const { return attrs_; }
  AttributeMap &mutableAttrs() { return attrs_; }
  /// True when attribute `name` is present.
  bool hasAttr(const std::string &name) const { return attrs_.count(name); }
  /// Typed attribute access; asserts presence and type.
  int64_t intAttr(const std::string &name) const;
  double floatAttr(const std::string &name) const;
  const std::string &stringAttr(const std::string &name) const;
  const std::vector<int64_t> &intsAttr(const std::string &name) const;
  /// An integer list or dim list attribute as dims.
  Shape dimsAttr(const std::string &name) const;
  DType dtypeAttr(const std::string &name) const;
  const TensorData &tensorAttr(const std::string &name) const;
  /// Kernel group assigned by fusion; -1 when not grouped.
  int64_t group() const { return group_; }
  void setGroup(int64_t group) { group_ = group; }

private:
  friend class Graph;
  OpKind kind_ = OpKind::Constant;
  std::string name_;
  std::vector<Value *> operands_;
  std::vector<Value *> results_;
  AttributeMap attrs_;
  int64_t group_ = -1;
};

/// How a symbol that no input shape binds gets its value (docs/ir.md,
/// "Symbol definitions"). All arithmetic is on int64; overflow is a run-time
/// error; floordiv and mod round toward negative infinity, and by zero give 0
/// (select evaluates both sides, so the unselected one must not trap).
enum class SymbolOp : uint8_t {
  /// An element of a graph input (i32, i64, or f32 / f64), times the
  /// definition's `scale` (f32 / f64 in double precision, then truncated
  /// toward zero), read before the run.
  Value,
  Add,
  Sub,
  Mul,
  FloorDiv,
  Mod,
  Min,
  Max,
  /// 1 when the operands are equal, else 0.
  Eq,
  /// 1 when operand 0 is less than operand 1, else 0.
  Lt,
  /// Operand 0 non-zero ? operand 1 : operand 2.
  Select,
  /// An element of a tensor the run computes (an integer node result), read
  /// once it is computed and clamped into [0, bound]: data-dependent dims
  /// (NonZero's count). The arena is sized for the bound.
  Load,
  /// The most pieces an element of a str graph input splits into at
  /// `delimiter` (runs of whitespace when empty), at most `maxSplit` + 1
  /// (unlimited when negative), read before the run: StringSplit's width.
  Split,
};

/// The textual name of a symbol op ("floordiv", ...).
std::string_view symbolOpName(SymbolOp op);
/// Looks a symbol op up by its textual name.
std::optional<SymbolOp> parseSymbolOp(std::string_view name);
/// Operand count of a symbol op (0 for Value).
int symbolOpArity(SymbolOp op);
/// Evaluates a symbol op on constants (not Value); nullopt on overflow.
std::optional<int64_t> evaluateSymbolOp(SymbolOp op,
                                        const std::vector<int64_t> &args);

/// An operand of a symbol definition: a constant of any sign or a symbol.
using SymbolArg = std::variant<int64_t, std::string>;

/// A symbol the graph defines: `?name = op(args)`, or for SymbolOp::Value
/// element `element` (row-major) of the graph input named `input`.
struct SymbolDef {
  std::string name;
  SymbolOp op = SymbolOp::Value;
  std::vector<SymbolArg> args;
  /// Value and Load: the value read (a graph input, a node result) and the
  /// element.
  std::string input;
  int64_t element = 0;
  /// Load: the largest value.
  int64_t bound = 0;
  /// Value: the factor the element is multiplied by (>= 1): Resize's output
  /// dim floor(scale * extent) from a run-time f32 scale.
  int64_t scale = 1;
  /// Split: where the strings of `input` split (whitespace when empty) and
  /// the most splits per string (negative: unlimited).
  std::string delimiter = {};
  int64_t maxSplit = -1;
  bool operator==(const SymbolDef &other) const = default;
};

/// A run-time check: `condition` must be non-zero before the run starts;
/// otherwise the run fails with `message`.
struct Requirement {
  std::string condition;
  std::string message;
  bool operator==(const Requirement &other) const = default;
};

/// A symbol argument as a dim: the symbol, or a constant (which must be
/// >= 0).
Dim symbolArgDim(const SymbolArg &arg);

/// A function-like graph: typed inputs, nodes in topological order, outputs.
/// The graph owns its values and nodes. Node order is the execution order
/// and the print order.
class Graph {
public:
  Graph() = default;
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;
  Graph(Graph &&) = default;
  Graph &operator=(Graph &&) = default;

  /// Graph name (printed as @name).
  const std::string &name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  /// Adds a graph input. Fails if the name is taken.
  Expected<Value *> addInput(const std::string &name, TensorType type);
  /// Validating builder: infers result types from operand types and
  /// attributes, and fails with a message if they are invalid. The node is
  /// appended at the end of the node list. `resultNames` may be empty (fresh
  /// names are made) or give one name per result.
  Expected<Node *> addNode(OpKind kind, std::vector<Value *> operands,
                           AttributeMap attrs = {}, std::string name = {},
                           std::vector<std::string> resultNames = {});
  /// Adds a constant node holding `data` and returns its result.
  Expected<Value *> addConstant(TensorData data, std::string name = {});
  /// Adds a node whose result types are given rather than inferred; used by
  /// the parser and deserializer, which re-verify afterwards.
  Expected<Node *> addNodeWithTypes(OpKind kind, std::vector<Value *> operands,
                                    AttributeMap attrs,
                                    std::vector<TensorType> resultTypes,
                                    std::string name = {},
                                    std::vector<std::string> resultNames = {});

  const std::vector<Value *> &inputs() const { return inputs_; }
  const std::vector<Value *> &outputs() const { return outputs_; }
  /// Sets the graph outputs (values of this graph).
  void setOutputs(std::vector<Value *> outputs) { outputs_ = std::move(outputs); }
  /// Nodes in execution order.
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }

  /// Looks a value up by name; null if absent.
  Value *findValue(const std::string &name) const;
  /// Renames `value`; fails if `name` is empty or taken by another value.
  Status renameValue(Value *value, const std::string &name);
  /// Replaces every use of `from` (operands and outputs) with `to`.
  void replaceAllUsesWith(Value *from, Value *to);
  /// Number of uses of each value by nodes, plus one per graph output slot
  /// and one per symbol that loads it.
  std::map<const Value *, int> useCounts() const;
  /// Users of each value, in node order.
  std::map<const Value *, std::vector<Node *>> users() const;
  /// Removes nodes whose results are all unused; returns how many.
  int removeDeadNodes();
  /// Removes the symbol definitions no type, dims attribute, requirement or
  /// other kept definition uses (a split symbol would otherwise make every
  /// run scan its input's strings); returns how many.
  int removeUnusedSymbols();
  /// Removes the given nodes; their results must be unused.
  void eraseNodes(const std::vector<Node *> &nodes);
  /// Reorders nodes topologically, keeping the current order where it is
  /// already valid. Fails on a cycle.
  Status sortTopologically();
  /// Returns a fresh value name not used in this graph.
  std::string freshName(const std::string &hint = "");
  /// Deep copy (constant bytes are shared, being immutable).
  Graph clone() const;

  /// Symbols defined by the graph, in definition order (an operand is an
  /// input-shape symbol or an earlier definition).
  const std::vector<SymbolDef> &symbolDefs() const { return symbolDefs_; }
  /// Run-time checks on symbols, in order.
  const std::vector<Requirement> &requirements() const { return requirements_; }
  /// Defines `op(args)`: folds constants and identities (x + 0, select on a
  /// constant, ...), orders the operands of commutative ops and reuses an
  /// equal definition, so equal expressions give the same symbol. Fails on
  /// an argument count that does not match the op, an unknown operand or a
  /// constant that overflows.
  Expected<SymbolArg> defineSymbol(SymbolOp op, std::vector<SymbolArg> args);
  /// The symbol standing for element `element` of input `input` (i32, i64,
  /// f32 or f64 of static shape) times `scale` (>= 1; one per element and
  /// scale, defined on first use).
  Expected<std::string> defineValueSymbol(const Value *input, int64_t element,
                                          int64_t scale = 1);
  /// The symbol for the most pieces an element of the str graph input
  /// `input` splits into (SymbolOp::Split; one per input, delimiter and
  /// maxSplit, defined on first use).
  Expected<std::string> defineSplitSymbol(const Value *input,
                                          const std::string &delimiter,
                                          int64_t maxSplit);
  /// The symbol for element `element` of `value` (an i32 or i64 node result
  /// of static shape), read during the run once it is computed, at most
  /// `bound`.
  Expected<std::string> defineLoadSymbol(const Value *value, int64_t element,
                                         int64_t bound);
  /// True for symbols known only during the run: Load symbols and those
  /// computed from them.
  bool isLateSymbol(const std::string &name) const;
  /// Adds a requirement that `condition` is non-zero. A constant non-zero
  /// condition is dropped; a constant zero one fails with `message`.
  Status require(const SymbolArg &condition, std::string message);
  /// Appends a definition as given, for the parser and deserializer; verify
  /// checks it.
  void addSymbolDef(SymbolDef def) { symbolDefs_.push_back(std::move(def)); }
  /// Appends a requirement as given (parser, deserializer).
  void addRequirement(Requirement r) { requirements_.push_back(std::move(r)); }
  /// Symbols bound by the shapes of the inputs, in order of first use.
  std::vector<std::string> inputSymbols() const;
  /// True when `name` is an input-shape symbol or a defined symbol.
  bool isKnownSymbol(const std::string &name) const;
  /// True when `arg` is never negative: a constant >= 0, an input-shape
  /// symbol, or an expression that keeps that (sums, products, comparisons
  /// of such).
  bool isNonNegative(const SymbolArg &arg) const;

private:
  Value *newValue(std::string name, TensorType type);

  std::string name_ = "main";
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value *> valueByName_;
  std::vector<Value *> inputs_;
  std::vector<Value *> outputs_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<SymbolDef> symbolDefs_;
  std::vector<Requirement> requirements_;
  int64_t nextId_ = 0;
  int64_t nextSymbolId_ = 0;
};

/// Numpy broadcasting of two shapes (right-aligned; a dim broadcasts
/// against 1, a symbol only against 1 or itself), or an error naming the
/// dims.
Expected<Shape> broadcastShapes(const Shape &a, const Shape &b);

/// Result types of applying `kind` to operands of `operandTypes` with
/// `attrs`, or an error naming what is wrong (lowercase, no node name).
/// This is the single source of typing rules for builders, the verifier and
/// type inference.
Expected<std::vector<TensorType>>
inferResultTypes(OpKind kind, const std::vector<TensorType> &operandTypes,
                 const AttributeMap &attrs);

/// Checks the whole graph: unique names, operands defined before use, result
/// types equal to the inferred ones, group ids well formed. The message has
/// the form `<node name or value>: <lowercase message>`.
Status verify(const Graph &graph);

} // namespace mlc
