// Graph -> one MLIR module (text): a kernel per fusion group plus the entry.
#include "codegen/KernelEmitter.h"

#include "codegen/Codegen.h"
#include "codegen/MemoryPlan.h"
#include "ir/Regex.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace mlc::codegen {

bool supportsDynamicShapes(OpKind kind) {
  switch (kind) {
  case OpKind::MatMul:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::LayerNorm:
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::Concat:
  case OpKind::Slice:
  case OpKind::Gather:
  case OpKind::Expand:
  case OpKind::Iota:
  case OpKind::SymbolValues:
    return true;
  default:
    return isElementwise(kind) && kind != OpKind::BitCast;
  }
}

Expected<std::vector<std::string>>
emitNode(KernelBuilder &b, const Node &node,
         const std::vector<std::string> &operands,
         std::vector<ContractionSite> &sites) {
  bool dynamic = false;
  for (const auto *list : {&node.operands(), &node.results()})
    for (const Value *v : *list)
      dynamic |= hasDynamicExtent(extents(v));
  if (dynamic && !supportsDynamicShapes(node.kind())) {
    if (std::optional<size_t> symbol = perItemSymbol(node))
      return emitPerItem(b, node, operands, sites, *symbol);
    return makeError("codegen: op '" + std::string(opName(node.kind())) +
                     "' with symbolic dims is not supported yet");
  }
  Expected<std::string> r = makeError("");
  switch (node.kind()) {
  case OpKind::Constant:
    return makeError("codegen: constant nodes cannot be inside a kernel");
  case OpKind::MatMul:
    r = emitMatMul(b, node, operands, sites);
    break;
  case OpKind::Conv:
    r = emitConv(b, node, operands, sites);
    break;
  case OpKind::MaxPool:
  case OpKind::AvgPool:
    r = emitPool(b, node, operands);
    break;
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ReduceProd:
  case OpKind::ArgMax:
    r = emitReduction(b, node, operands);
    break;
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::LayerNorm:
  case OpKind::BatchNorm:
    r = emitNormalization(b, node, operands);
    break;
  case OpKind::Reshape:
  case OpKind::Transpose:
  case OpKind::Concat:
  case OpKind::Slice:
  case OpKind::Gather:
  case OpKind::GatherElements:
  case OpKind::Expand:
  case OpKind::Pad:
  case OpKind::Iota:
  case OpKind::SymbolValues:
    r = emitDataMovement(b, node, operands);
    break;
  default:
    r = emitElementwise(b, node, operands);
    break;
  }
  if (!r.ok())
    return r.error();
  return std::vector<std::string>{*r};
}

namespace {

/// One fusion group: its nodes, external inputs and outputs, in order.
struct Group {
  std::vector<const Node *> nodes;
  std::vector<const Value *> inputs;
  std::vector<const Value *> outputs;
};

/// Whether every element of `v` (f32) is exactly a `half` (f16 or bf16)
/// value: a cast from `half` (WidenHalfAccumulation's, or the model's), a
/// reshape or transpose of such a value, or a constant whose values all
/// convert to `half` and back unchanged.
bool holdsHalfValues(const Value *v, DType half) {
  while (const Node *p = v->producer()) {
    switch (p->kind()) {
    case OpKind::Cast:
      return p->operand(0)->type().dtype == half;
    case OpKind::Reshape:
    case OpKind::Transpose:
      v = p->operand(0);
      continue;
    case OpKind::Constant: {
      const TensorData &data = p->tensorAttr("value");
      if (data.type.dtype != DType::F32)
        return false;
      const float *x = data.data<float>();
      for (int64_t i = 0, n = data.numElements(); i < n; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &x[i], sizeof bits);
        // A bf16 value is the top half of its f32; an f16 value has at
        // most 11 significant bits.
        if (half == DType::BF16) {
          if ((bits & 0xFFFF) != 0)
            return false;
          continue;
        }
        if ((bits & 0x1FFF) != 0)
          return false;
        llvm::APFloat f(x[i]);
        bool losesInfo = false;
        if (f.convert(llvm::APFloat::IEEEhalf(),
                      llvm::APFloat::rmNearestTiesToEven,
                      &losesInfo) != llvm::APFloat::opOK ||
            losesInfo)
          return false;
      }
      return true;
    }
    default:
      return false;
    }
  }
  return false;
}

/// The tensor-core form of group `g`'s contraction on the CUDA target
/// (GpuTiling.cpp, `mlc.mma`): "f16" ("bf16") when both of its operands
/// hold f16 (bf16) values (a half model, computed in f32 by
/// WidenHalfAccumulation: the products are exact and the sums stay f32),
/// else "tf32" for an f32 contraction when the user allows it, else none.
std::string mmaMode(const Group &g, bool allowTf32) {
  // The mode covers the whole kernel function, so every contraction of the
  // group must qualify for the same one (FuseKernels puts one in a group;
  // hand-written graphs may put more).
  std::string mode;
  for (const Node *node : g.nodes) {
    if (node->kind() != OpKind::MatMul && node->kind() != OpKind::Conv)
      continue;
    if (node->result()->type().dtype != DType::F32)
      return "";
    std::string own = allowTf32 ? "tf32" : "";
    for (DType half : {DType::F16, DType::BF16})
      if (holdsHalfValues(node->operand(0), half) &&
          holdsHalfValues(node->operand(1), half)) {
        own = half == DType::F16 ? "f16" : "bf16";
        break;
      }
    if (own.empty() || (!mode.empty() && own != mode))
      return "";
    mode = own;
  }
  return mode;
}

/// Splits the non-constant nodes into contiguous groups (group -1: alone).
std::vector<Group> formGroups(const Graph &graph) {
  std::vector<Group> groups;
  int64_t lastKey = 0;
  bool haveLast = false;
  for (const auto &node : graph.nodes()) {
    if (node->kind() == OpKind::Constant)
      continue;
    int64_t key = node->group();
    if (key < 0 || !haveLast || key != lastKey)
      groups.emplace_back();
    groups.back().nodes.push_back(node.get());
    lastKey = key;
    haveLast = key >= 0;
  }
  std::set<const Value *> graphOutputs(graph.outputs().begin(),
                                       graph.outputs().end());
  // Values that symbols load leave their group too (@mlc_graph reads them).
  for (const SymbolDef &def : graph.symbolDefs())
    if (def.op == SymbolOp::Load)
      if (const Value *v = graph.findValue(def.input))
        graphOutputs.insert(v);
  auto users = graph.users();
  std::map<const Node *, size_t> groupOf;
  for (size_t g = 0; g < groups.size(); ++g)
    for (const Node *n : groups[g].nodes)
      groupOf[n] = g;
  for (size_t g = 0; g < groups.size(); ++g) {
    Group &group = groups[g];
    std::set<const Value *> defined, seen;
    for (const Node *n : group.nodes) {
      for (const Value *v : n->operands())
        if (!defined.count(v) && seen.insert(v).second)
          group.inputs.push_back(v);
      for (const Value *v : n->results())
        defined.insert(v);
    }
    for (const Node *n : group.nodes)
      for (const Value *v : n->results()) {
        bool external = graphOutputs.count(v) > 0;
        auto it = users.find(v);
        if (it != users.end())
          for (const Node *u : it->second)
            external |= groupOf.count(u) && groupOf[u] != g;
        if (external)
          group.outputs.push_back(v);
      }
  }
  return groups;
}

bool isZeroSize(const Value *v) {
  for (int64_t d : extents(v))
    if (d == 0)
      return true;
  return false;
}

constexpr int64_t kAlign = 64;

/// Emits `nodes` in order, reading operands from and recording results in
/// `values`; an error names the node (once, also through emitPerItem).
Status emitNodes(KernelBuilder &b, const std::vector<const Node *> &nodes,
                 std::map<const Value *, std::string> &values,
                 std::vector<ContractionSite> &sites) {
  for (const Node *n : nodes) {
    std::vector<std::string> operands;
    for (const Value *v : n->operands())
      operands.push_back(values.at(v));
    auto results = emitNode(b, *n, operands, sites);
    if (!results.ok()) {
      std::string msg = results.message();
      std::string where = " (node " + n->name() + ")";
      if (!n->name().empty() &&
          (msg.size() < where.size() ||
           msg.compare(msg.size() - where.size(), where.size(), where) != 0))
        msg += where;
      return makeError(msg);
    }
    for (size_t i = 0; i < n->results().size(); ++i)
      values[n->result(i)] = (*results)[i];
  }
  return Status::success();
}

/// The batch symbol of a group that runs item by item as a whole: more
/// than one node, every node either static or computed per item along the
/// same symbol (itemSymbol with anyOp), and every output batched.
std::optional<size_t> groupItemSymbol(const Group &g) {
  std::optional<size_t> symbol;
  size_t batched = 0;
  for (const Node *n : g.nodes) {
    bool dynamic = false;
    for (const auto *list : {&n->operands(), &n->results()})
      for (const Value *v : *list)
        dynamic |= hasDynamicExtent(extents(v));
    if (!dynamic)
      continue;
    std::optional<size_t> s = itemSymbol(*n, /*anyOp=*/true);
    if (!s || (symbol && *s != *symbol))
      return std::nullopt;
    symbol = s;
    ++batched;
  }
  if (!symbol || batched < 2)
    return std::nullopt;
  for (const Value *v : g.outputs) {
    std::vector<int64_t> e = extents(v);
    if (e.empty() || e[0] != symbolExtent(*symbol))
      return std::nullopt;
  }
  return symbol;
}

/// Emits group `g` as one scf.for over the items of `symbol`: batched
/// inputs are sliced, every node is emitted in its static form (under a
/// SymbolOverride of the symbol to 1), and the outputs are assembled from
/// the items. Sets tensors[output] for each group output.
Status emitGroupPerItem(KernelBuilder &b, const Group &g, size_t symbol,
                        std::map<const Value *, std::string> &tensors,
                        std::vector<ContractionSite> &sites) {
  auto offsets = [](const std::string &first, size_t rank) {
    std::string text = "[" + first;
    for (size_t i = 1; i < rank; ++i)
      text += ", 0";
    return text + "]";
  };
  auto itemSizes = [](const std::vector<int64_t> &e) {
    std::string text = "[1";
    for (size_t i = 1; i < e.size(); ++i)
      text += ", " + std::to_string(e[i]);
    return text + "]";
  };
  auto ones = [](size_t rank) {
    std::string text = "[1";
    for (size_t i = 1; i < rank; ++i)
      text += ", 1";
    return text + "]";
  };
  auto itemOf = [](std::vector<int64_t> e) {
    e[0] = 1;
    return e;
  };
  std::vector<std::string> inits, types, accs;
  for (const Value *v : g.outputs) {
    inits.push_back(b.empty(v->type().dtype, extents(v)));
    types.push_back(tensorType(v->type().dtype, extents(v)));
    accs.push_back(b.fresh());
  }
  std::string zero = b.indexConst(0), one = b.indexConst(1);
  std::string loop = b.fresh(), iv = b.fresh();
  std::string iterArgs, typeList;
  for (size_t i = 0; i < inits.size(); ++i) {
    iterArgs += (i ? ", " : "") + accs[i] + " = " + inits[i];
    typeList += (i ? ", " : "") + types[i];
  }
  size_t numOutputs = g.outputs.size();
  b.line(loop + (numOutputs > 1 ? ":" + std::to_string(numOutputs) : "") +
         " = scf.for " + iv + " = " + zero + " to " +
         dimText(symbolExtent(symbol)) + " step " + one + " iter_args(" +
         iterArgs + ") -> (" + typeList + ") {");
  std::map<const Value *, std::string> items;
  for (const Value *v : g.inputs) {
    auto it = tensors.find(v);
    if (it == tensors.end())
      continue;
    std::vector<int64_t> e = extents(v);
    if (!hasDynamicExtent(e)) {
      items[v] = it->second;
      continue;
    }
    std::string item = b.fresh();
    b.line(item + " = tensor.extract_slice " + it->second +
           offsets(iv, e.size()) + " " + itemSizes(e) + " " + ones(e.size()) +
           " : " + tensorType(v->type().dtype, e) + " to " +
           tensorType(v->type().dtype, itemOf(e)));
    items[v] = item;
  }
  {
    SymbolOverride item(symbol, 1);
    MLC_RETURN_IF_ERROR(emitNodes(b, g.nodes, items, sites));
  }
  std::string yield;
  for (size_t i = 0; i < numOutputs; ++i) {
    const Value *v = g.outputs[i];
    std::vector<int64_t> e = extents(v);
    std::string updated = b.fresh();
    b.line(updated + " = tensor.insert_slice " + items.at(v) + " into " +
           accs[i] + offsets(iv, e.size()) + " " + itemSizes(e) + " " +
           ones(e.size()) + " : " + tensorType(v->type().dtype, itemOf(e)) +
           " into " + types[i]);
    yield += (i ? ", " : "") + updated;
  }
  b.line("scf.yield " + yield + " : " + typeList);
  b.line("}");
  for (size_t i = 0; i < numOutputs; ++i)
    tensors[g.outputs[i]] =
        numOutputs > 1 ? loop + "#" + std::to_string(i) : loop;
  return Status::success();
}

/// A dynamic value's memref rebuilt from its bare pointer `pointer` (a 0-d
/// memref) and the `%sym<k>` arguments: a row-major strided view. Sets
/// `type` to the view's type.
std::string dynamicView(KernelBuilder &b, const std::string &pointer,
                        const Value *v, std::string &type) {
  std::vector<int64_t> shape = extents(v);
  std::vector<std::string> strides(shape.size());
  std::string stride;   // SSA value of the running product, when dynamic
  int64_t constant = 1; // static factor of the running product
  bool dyn = false;
  std::string layout;
  for (size_t i = shape.size(); i-- > 0;) {
    if (!dyn) {
      strides[i] = std::to_string(constant);
    } else {
      std::string c = b.indexConst(constant);
      std::string s = b.fresh();
      b.line(s + " = arith.muli " + stride + ", " + c + " : index");
      strides[i] = s;
    }
    layout = (dyn ? "?" : std::to_string(constant)) +
             (layout.empty() ? "" : ", " + layout);
    if (isDynamicExtent(shape[i])) {
      if (!dyn) {
        stride = dimText(shape[i]);
        dyn = true;
      } else {
        std::string s = b.fresh();
        b.line(s + " = arith.muli " + stride + ", " + dimText(shape[i]) +
               " : index");
        stride = s;
      }
    } else {
      constant *= shape[i];
    }
  }
  std::string sizes, strideList;
  for (size_t i = 0; i < shape.size(); ++i) {
    sizes += (i ? ", " : "") + dimText(shape[i]);
    strideList += (i ? ", " : "") + strides[i];
  }
  std::string elem = storageType(v->type().dtype);
  std::string dims;
  for (int64_t d : shape)
    dims += (isDynamicExtent(d) ? std::string("?") : std::to_string(d)) + "x";
  type = "memref<" + dims + elem + ", strided<[" + layout + "]>>";
  std::string view = b.fresh();
  b.line(view + " = memref.reinterpret_cast " + pointer +
         " to offset: [0], sizes: [" + sizes + "], strides: [" + strideList +
         "] : memref<" + elem + "> to " + type);
  return view;
}

/// Where a value lives from the entry function's point of view.
struct Location {
  enum Kind { Input, Output, Weights, Arena } kind;
  int64_t index = 0; // argument index or byte offset
};

} // namespace

Expected<std::vector<std::string>>
emitPerItem(KernelBuilder &b, const Node &node,
            const std::vector<std::string> &operands,
            std::vector<ContractionSite> &sites, size_t symbol) {
  // A group of one node.
  Group g;
  g.nodes.push_back(&node);
  std::map<const Value *, std::string> tensors;
  for (size_t i = 0; i < node.numOperands(); ++i)
    if (tensors.emplace(node.operand(i), operands[i]).second)
      g.inputs.push_back(node.operand(i));
  for (const Value *v : node.results())
    g.outputs.push_back(v);
  MLC_RETURN_IF_ERROR(emitGroupPerItem(b, g, symbol, tensors, sites));
  std::vector<std::string> results;
  for (const Value *v : node.results())
    results.push_back(tensors.at(v));
  return results;
}

/// The symbol table of a graph (docs/codegen.md, "Dynamic shapes"): the
/// inputs' symbolic dims in input and dim order, then the defined symbols
/// some value has as a dim, then the other defined ones (each group in
/// definition order); how each is bound, what the plan computes and checks.
static Status buildSymbolTable(const Graph &graph, EmittedModule &out) {
  for (const std::string &s : graph.inputSymbols()) {
    out.symbols.push_back(s);
    out.bindings.push_back({});
  }
  // Symbols in value dims (which must be >= 0) or in attributes: the
  // kernels read both.
  std::set<std::string> dims, typeDims;
  for (const auto &node : graph.nodes()) {
    for (const Value *v : node->results())
      for (const Dim &d : v->type().shape)
        if (!d.isStatic())
          typeDims.insert(d.symbolName());
    for (const auto &[name, attr] : node->attrs())
      if (const auto *list = std::get_if<Shape>(&attr))
        for (const Dim &d : *list)
          if (!d.isStatic())
            dims.insert(d.symbolName());
  }
  dims.insert(typeDims.begin(), typeDims.end());
  for (const Value *v : graph.inputs())
    for (const Dim &d : v->type().shape)
      if (!d.isStatic())
        dims.erase(d.symbolName());
  // The position of the graph input value and split symbols read.
  auto inputIndex = [&](const std::string &name) {
    for (size_t i = 0; i < graph.inputs().size(); ++i)
      if (graph.inputs()[i]->name() == name)
        return static_cast<int64_t>(i);
    return int64_t{0}; // the verifier makes these graph inputs
  };
  for (int pass = 0; pass < 2; ++pass)
    for (const SymbolDef &def : graph.symbolDefs()) {
      if (dims.count(def.name) != (pass == 0 ? 1u : 0u))
        continue;
      SymbolBinding binding;
      if (def.op == SymbolOp::Load) {
        binding.kind = SymbolBinding::Kind::Late;
        binding.source = graph.findValue(def.input);
        binding.element = def.element;
        binding.bound = def.bound;
      } else if (graph.isLateSymbol(def.name)) {
        return makeError("codegen: symbol ?" + def.name +
                         " is computed from a symbol known only during the "
                         "run, which is not supported yet");
      } else if (def.op == SymbolOp::Value) {
        binding.kind = SymbolBinding::Kind::Value;
        binding.input = inputIndex(def.input);
        binding.element = def.element;
        binding.scale = def.scale;
      } else if (def.op == SymbolOp::Split) {
        binding.kind = SymbolBinding::Kind::Split;
        binding.input = inputIndex(def.input);
        binding.delimiter = def.delimiter;
        binding.maxSplit = def.maxSplit;
      } else {
        binding.kind = SymbolBinding::Kind::Computed;
      }
      out.symbols.push_back(def.name);
      out.bindings.push_back(binding);
      if (pass == 0)
        out.numKernelSymbols = out.symbols.size();
    }
  if (out.numKernelSymbols < graph.inputSymbols().size())
    out.numKernelSymbols = graph.inputSymbols().size();
  if (out.symbols.size() > 1024)
    return makeError("codegen: the graph has " +
                     std::to_string(out.symbols.size()) +
                     " symbols; artifacts hold at most 1024");
  auto indexOf = [&](const std::string &name) {
    return static_cast<int64_t>(
        std::find(out.symbols.begin(), out.symbols.end(), name) -
        out.symbols.begin());
  };
  for (const SymbolDef &def : graph.symbolDefs()) {
    if (def.op == SymbolOp::Value || def.op == SymbolOp::Load ||
        def.op == SymbolOp::Split)
      continue;
    ComputedSymbol c;
    c.index = static_cast<size_t>(indexOf(def.name));
    c.op = def.op;
    for (const SymbolArg &a : def.args) {
      if (const auto *name = std::get_if<std::string>(&a))
        c.args.push_back({true, indexOf(*name)});
      else
        c.args.push_back({false, std::get<int64_t>(a)});
    }
    out.computed.push_back(std::move(c));
  }
  for (const Requirement &r : graph.requirements()) {
    PlanCheck check;
    check.symbol = indexOf(r.condition);
    check.message = r.message;
    out.checks.push_back(std::move(check));
  }
  for (size_t k = graph.inputSymbols().size(); k < out.numKernelSymbols; ++k) {
    if (!typeDims.count(out.symbols[k]) ||
        out.bindings[k].kind == SymbolBinding::Kind::Late ||
        out.bindings[k].kind == SymbolBinding::Kind::Split) // counts
      continue;
    PlanCheck check;
    check.kind = PlanCheck::Kind::NonNegative;
    check.symbol = static_cast<int64_t>(k);
    check.message = "the dim ?" + out.symbols[k] +
                    " computed from the input values is negative";
    out.checks.push_back(std::move(check));
  }
  return Status::success();
}

std::string hostStringTable(std::vector<std::string> keys, bool foldCase) {
  if (foldCase)
    for (std::string &k : keys)
      for (char &ch : k)
        if (ch >= 'A' && ch <= 'Z')
          ch = static_cast<char>(ch - 'A' + 'a');
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  // A repeated key keeps its first position (the stable sort put it first).
  order.erase(
      std::unique(order.begin(), order.end(),
                  [&](size_t a, size_t b) { return keys[a] == keys[b]; }),
      order.end());
  std::string out;
  auto put = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put(order.size());
  put(foldCase ? 1 : 0);
  uint64_t at = 16 + 24 * order.size();
  for (size_t i : order) {
    put(at);
    put(keys[i].size());
    put(i);
    at += keys[i].size();
  }
  for (size_t i : order)
    out += keys[i];
  return out;
}

std::string hostSplitSpec(const std::string &delimiter, int64_t maxSplit) {
  std::string out;
  auto put = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put(static_cast<uint64_t>(maxSplit < 0 ? int64_t{-1} : maxSplit));
  put(delimiter.size());
  out += delimiter;
  return out;
}

Expected<EmittedModule> emitModule(const Graph &graph, bool portable,
                                   bool wideVectors, bool tensorCores,
                                   bool allowTf32) {
  EmittedModule out;
  MLC_RETURN_IF_ERROR(buildSymbolTable(graph, out));
  bool dynamic = !out.symbols.empty();
  for (const Value *v : graph.inputs()) {
    if (isStatic(v->type().shape))
      continue;
    if (portable)
      return makeError("input '" + v->name() + "' has dynamic shape " +
                       typeToString(v->type()) +
                       ": GPU code generation needs static shapes; fix it "
                       "with --input-shape " +
                       v->name() + "=<dims>");
  }
  if (dynamic) {
    std::vector<const Value *> io(graph.inputs().begin(), graph.inputs().end());
    io.insert(io.end(), graph.outputs().begin(), graph.outputs().end());
    for (const Value *v : io)
      if (dtypeBits(v->type().dtype) < 8)
        return makeError("'" + v->name() + "' has the sub-byte type " +
                         std::string(dtypeName(v->type().dtype)) +
                         ", which graphs with symbolic dims do not support as "
                         "an input or output yet; fix the dims with "
                         "--input-shape");
  }
  SymbolScope scope(out.symbols);
  for (const auto &node : graph.nodes())
    for (const Value *v : node->results())
      for (const Dim &d : v->type().shape)
        if (!d.isStatic() && std::find(out.symbols.begin(), out.symbols.end(),
                                       d.symbolName()) == out.symbols.end())
          return makeError("codegen: value %" + v->name() + " has dim ?" +
                           d.symbolName() +
                           ", which no graph input's shape binds");
  // Reshapes with `checked = 1` compare their element counts at run time.
  for (const auto &node : graph.nodes()) {
    if (node->kind() != OpKind::Reshape || !node->hasAttr("checked") ||
        node->intAttr("checked") != 1)
      continue;
    PlanCheck check;
    check.kind = PlanCheck::Kind::EqualCounts;
    check.lhs = extents(node->operand(0));
    check.rhs = extents(node->result());
    std::string name = node->name().empty() ? "%" + node->result()->name()
                                            : "'" + node->name() + "'";
    // The target's dims are computed symbols (internal names): say what
    // the input holds instead.
    const Shape &from = node->operand(0)->type().shape;
    Expected<int64_t> count = isStatic(from) ? elementCount(from)
                                             : Expected<int64_t>(int64_t{-1});
    check.message =
        "node " + name + ": the target shape does not hold " +
        (count.ok() && *count >= 0
             ? "the " + std::to_string(*count) + " elements of "
             : std::string("the elements of ")) +
        typeToString(node->operand(0)->type()) + " at these input values";
    out.checks.push_back(std::move(check));
  }
  // Slices 0 : ?n of a static dim need n <= dim at run time.
  for (const auto &node : graph.nodes()) {
    if (node->kind() != OpKind::Slice)
      continue;
    std::vector<int64_t> in = extents(node->operand(0));
    std::vector<int64_t> res = extents(node->result());
    for (size_t d = 0; d < in.size(); ++d)
      if (!isDynamicExtent(in[d]) && isDynamicExtent(res[d])) {
        std::pair<int64_t, int64_t> c{-2 - res[d], in[d]};
        if (std::find(out.constraints.begin(), out.constraints.end(), c) ==
            out.constraints.end())
          out.constraints.push_back(c);
      }
  }
  std::vector<Group> groups = formGroups(graph);

  // Locations: graph inputs, first output slot of each produced value,
  // constants in the weights blob, the rest in the arena.
  std::map<const Value *, Location> loc;
  for (size_t i = 0; i < graph.inputs().size(); ++i)
    loc[graph.inputs()[i]] = {Location::Input, static_cast<int64_t>(i)};
  std::map<const Value *, size_t> producedBy;
  for (size_t g = 0; g < groups.size(); ++g)
    for (const Value *v : groups[g].outputs)
      producedBy[v] = g;
  for (size_t j = 0; j < graph.outputs().size(); ++j) {
    const Value *v = graph.outputs()[j];
    if (producedBy.count(v) && !loc.count(v))
      loc[v] = {Location::Output, static_cast<int64_t>(j)};
  }
  // Weights used only as operand 1 of panel-form convs (Wp[F/w, C*K.., w])
  // or matmuls (Bp[N/w, K, w]) are stored packed: the packing happens here,
  // at compile time (see weightPanel).
  std::map<const Value *, int64_t> panelOf;
  std::set<const Value *> panelFromKN, panelChannelsLast;
  std::set<const Value *> graphOutputs(graph.outputs().begin(),
                                       graph.outputs().end());
  auto users = graph.users();
  for (const auto &node : graph.nodes()) {
    const Value *v =
        node->kind() == OpKind::Constant ? node->result() : nullptr;
    if (portable || !v || graphOutputs.count(v) || !users.count(v) ||
        v->type().rank() < 2)
      continue;
    const Node *first = users.at(v).front();
    int64_t panel = weightPanel(*first);
    bool all = panel != 0;
    for (const Node *u : users.at(v)) {
      if (!all)
        break;
      bool ok = weightPanel(*u) == panel && u->numOperands() > 1 &&
                u->operand(1) == v &&
                u->kind() == first->kind() &&
                isChannelsLast(*u) == isChannelsLast(*first);
      for (size_t i = 0; i < u->numOperands(); ++i)
        ok &= i == 1 || u->operand(i) != v;
      all &= ok;
    }
    if (all) {
      panelOf[v] = panel;
      if (first->kind() == OpKind::MatMul)
        panelFromKN.insert(v);
      if (isChannelsLast(*first))
        panelChannelsLast.insert(v);
    }
  }
  std::set<const Value *> packed;
  for (const auto &[v, panel] : panelOf)
    packed.insert(v);
  // The memref type of `v` as kernels and the entry see it.
  auto storedMemref = [&](const Value *v) {
    auto it = panelOf.find(v);
    if (it == panelOf.end())
      return memrefType(v->type());
    std::vector<int64_t> s = extents(v);
    if (panelFromKN.count(v))
      std::swap(s[0], s[1]); // B[K, N] packs like W[N, K]
    int64_t rest = 1;
    for (size_t i = 1; i < s.size(); ++i)
      rest *= s[i];
    return "memref<" +
           std::to_string(paddedToPanel(s[0], it->second) / it->second) + "x" +
           std::to_string(rest) + "x" + std::to_string(it->second) + "x" +
           storageType(v->type().dtype) + ">";
  };
  auto placeConstant = [&](const Value *v) -> Status {
    if (loc.count(v))
      return Status::success();
    const Node *p = v->producer();
    if (!p || p->kind() != OpKind::Constant)
      return makeError("codegen: value %" + v->name() + " has no producer");
    auto bytes = byteSize(v->type());
    if (!bytes.ok())
      return bytes.status();
    if (auto it = panelOf.find(v);
        it != panelOf.end() && !panelFromKN.count(v)) {
      // Conv weights in panels: F rounded up to whole panels (zero rows).
      int64_t f = extents(v)[0];
      *bytes = *bytes / f * paddedToPanel(f, it->second);
    }
    out.weightsBytes = (out.weightsBytes + kAlign - 1) / kAlign * kAlign;
    loc[v] = {Location::Weights, out.weightsBytes};
    out.constants.push_back(v);
    out.constantOffsets.push_back(out.weightsBytes);
    out.constantPanel.push_back(panelOf.count(v) ? panelOf.at(v) : 0);
    out.constantPanelFromKN.push_back(panelFromKN.count(v) > 0);
    out.constantPanelChannelsLast.push_back(panelChannelsLast.count(v) > 0);
    out.weightsBytes += *bytes;
    return Status::success();
  };
  for (const Group &g : groups)
    for (const Value *v : g.inputs)
      if (!producedBy.count(v) && !loc.count(v))
        MLC_RETURN_IF_ERROR(placeConstant(v));
  for (const Value *v : graph.outputs())
    if (!producedBy.count(v) && !loc.count(v))
      MLC_RETURN_IF_ERROR(placeConstant(v));

  // The host ops' tables (string_index's keys), after the constants.
  std::map<const Node *, int64_t> hostBlobOffset;
  for (const Group &g : groups)
    for (const Node *node : g.nodes) {
      std::string blob;
      if (node->kind() == OpKind::StringIndex) {
        auto keys = decodeStringList(node->stringAttr("keys"));
        if (!keys)
          return makeError("codegen: string_index has malformed keys");
        bool fold = node->hasAttr("fold_case") && node->intAttr("fold_case");
        blob = hostStringTable(*keys, fold);
      } else if (node->kind() == OpKind::RegexFullMatch) {
        auto program = compileRegex(node->stringAttr("pattern"));
        if (!program)
          return program.error();
        blob = program.take();
      } else if (node->kind() == OpKind::StringSplit ||
                 node->kind() == OpKind::StringSplitCount) {
        blob = hostSplitSpec(node->stringAttr("delimiter"),
                             node->intAttr("maxsplit"));
      } else {
        continue;
      }
      out.weightsBytes = (out.weightsBytes + kAlign - 1) / kAlign * kAlign;
      hostBlobOffset[node] = out.weightsBytes;
      out.hostBlobs.emplace_back(out.weightsBytes, std::move(blob));
      out.weightsBytes +=
          static_cast<int64_t>(out.hostBlobs.back().second.size());
    }

  // Memory plan for the arena values.
  std::vector<const Value *> arenaValues;
  std::vector<BufferRequest> requests;
  std::map<const Value *, int64_t> lastUse;
  for (size_t g = 0; g < groups.size(); ++g)
    for (const Value *v : groups[g].inputs)
      lastUse[v] = static_cast<int64_t>(g);
  for (size_t g = 0; g < groups.size(); ++g)
    for (const Value *v : groups[g].outputs) {
      if (loc.count(v))
        continue;
      int64_t first = static_cast<int64_t>(g);
      int64_t last = lastUse.count(v) ? std::max(lastUse[v], first) : first;
      arenaValues.push_back(v);
      if (dynamic) {
        // bytes x the symbols of the shape.
        DynamicBufferRequest r{dtypeSize(v->type().dtype), {}, first, last};
        for (int64_t e : extents(v)) {
          if (isDynamicExtent(e)) {
            r.symbols.push_back(-2 - e);
          } else {
            auto m = checkedMul(r.bytes, e);
            if (!m.ok())
              return m.error();
            r.bytes = *m;
          }
        }
        out.dynamicBuffers.push_back(r);
        continue;
      }
      auto bytes = byteSize(v->type());
      if (!bytes.ok())
        return bytes.error();
      requests.push_back({*bytes, first, last});
    }
  if (dynamic) {
    // The order of the plan at 128 for every symbol (a typical sequence
    // length); offsets are computed per run (`%off<i>`).
    out.dynamicPlan = planDynamicMemory(out.dynamicBuffers, 128);
    for (size_t i = 0; i < arenaValues.size(); ++i)
      loc[arenaValues[i]] = {Location::Arena, static_cast<int64_t>(i)};
  } else {
    MemoryPlan plan = planMemory(requests);
    for (size_t i = 0; i < arenaValues.size(); ++i)
      loc[arenaValues[i]] = {Location::Arena, plan.offsets[i]};
    out.arenaBytes = plan.arenaBytes;
    out.naiveIntermediateBytes = plan.naiveBytes;
  }
  // A dynamic value crosses function boundaries as its bare pointer, a 0-d
  // memref (bare-pointer calling convention), with the symbols beside it.
  auto isDynamicValue = [&](const Value *v) {
    return hasDynamicExtent(extents(v));
  };
  auto pointerType = [&](const Value *v) {
    return "memref<" + storageType(v->type().dtype) + ">";
  };

  std::string text = "module {\n";
  KernelBuilder entry;
  std::map<const Value *, std::string> views;
  auto viewOf = [&](const Value *v) -> std::string {
    auto it = views.find(v);
    if (it != views.end())
      return it->second;
    const Location &l = loc.at(v);
    std::string name;
    if (l.kind == Location::Input) {
      name = "%in" + std::to_string(l.index);
    } else if (l.kind == Location::Output) {
      name = "%out" + std::to_string(l.index);
    } else if (dynamic && l.kind == Location::Arena) {
      name = entry.fresh();
      entry.line(name + " = memref.view %arena[%off" + std::to_string(l.index) +
                 "][] : memref<1xi8> to " +
                 (isDynamicValue(v) ? pointerType(v) : storedMemref(v)));
    } else {
      std::string off = entry.indexConst(l.index);
      name = entry.fresh();
      bool w = l.kind == Location::Weights;
      entry.line(name + " = memref.view " + (w ? "%weights" : "%arena") + "[" +
                 off + "][] : memref<" +
                 std::to_string(w ? out.weightsBytes : out.arenaBytes) +
                 "xi8> to " + storedMemref(v));
    }
    views[v] = name;
    return name;
  };

  // Symbols as @mlc_graph passes them on: its arguments, or for late
  // symbols the value loaded after the kernel that computes it.
  std::vector<std::string> symbolSSA;
  for (size_t k = 0; k < out.numKernelSymbols; ++k)
    symbolSSA.push_back("%sym" + std::to_string(k));
  auto loadLateSymbols = [&](const Group &g) {
    for (size_t k = 0; k < out.numKernelSymbols; ++k) {
      const SymbolBinding &sb = out.bindings[k];
      if (sb.kind != SymbolBinding::Kind::Late ||
          std::find(g.outputs.begin(), g.outputs.end(), sb.source) ==
              g.outputs.end())
        continue;
      // Element `element` of the value, clamped into [0, bound], stored
      // in context->symbols[k] for the runtime (output shapes), and passed
      // to the later kernels.
      std::vector<int64_t> dims = extents(sb.source);
      std::string indices;
      int64_t rest = sb.element;
      std::vector<std::string> parts(dims.size());
      for (size_t d = dims.size(); d-- > 0;) {
        parts[d] = entry.indexConst(rest % dims[d]);
        rest /= dims[d];
      }
      for (size_t d = 0; d < parts.size(); ++d)
        indices += (d ? ", " : "") + parts[d];
      std::string elem = storageType(sb.source->type().dtype);
      std::string raw = entry.fresh();
      entry.line(raw + " = memref.load " + viewOf(sb.source) + "[" + indices +
                 "] : " + storedMemref(sb.source));
      if (elem != "i64") {
        std::string wide = entry.fresh();
        entry.line(wide + " = arith.extsi " + raw + " : " + elem + " to i64");
        raw = wide;
      }
      std::string zero = entry.fresh(), top = entry.fresh();
      entry.line(zero + " = arith.constant 0 : i64");
      entry.line(top + " = arith.constant " + std::to_string(sb.bound) +
                 " : i64");
      std::string lo = entry.fresh(), v = entry.fresh();
      entry.line(lo + " = arith.maxsi " + raw + ", " + zero + " : i64");
      entry.line(v + " = arith.minsi " + lo + ", " + top + " : i64");
      std::string at = entry.fresh(), table = entry.fresh(),
                  slot = entry.fresh();
      entry.line(at + " = llvm.getelementptr %ctx[24] : (!llvm.ptr) -> "
                      "!llvm.ptr, i8");
      entry.line(table + " = llvm.load " + at + " : !llvm.ptr -> !llvm.ptr");
      entry.line(slot + " = llvm.getelementptr " + table + "[" +
                 std::to_string(k) + "] : (!llvm.ptr) -> !llvm.ptr, i64");
      entry.line("llvm.store " + v + ", " + slot + " : i64, !llvm.ptr");
      std::string index = entry.fresh();
      entry.line(index + " = arith.index_cast " + v + " : i64 to index");
      symbolSSA[k] = index;
    }
  };

  // `v`'s data as an !llvm.ptr in @mlc_graph: the aligned pointer of the
  // argument it lies in plus its byte offset (the aligned pointer of a
  // memref.view would fold to its source's, losing the offset).
  auto pointerOf = [&](const Value *v) {
    const Location &l = loc.at(v);
    std::string base, type, offset;
    if (l.kind == Location::Input || l.kind == Location::Output) {
      base = (l.kind == Location::Input ? "%in" : "%out") +
             std::to_string(l.index);
      type = isDynamicValue(v) ? pointerType(v) : memrefType(v->type());
    } else if (l.kind == Location::Weights) {
      base = "%weights";
      type = "memref<" + std::to_string(out.weightsBytes) + "xi8>";
      offset = entry.indexConst(l.index);
    } else {
      base = "%arena";
      type = dynamic ? "memref<1xi8>"
                     : "memref<" + std::to_string(out.arenaBytes) + "xi8>";
      offset = dynamic ? "%off" + std::to_string(l.index)
                       : entry.indexConst(l.index);
    }
    std::string at = entry.fresh();
    entry.line(at + " = memref.extract_aligned_pointer_as_index " + base +
               " : " + type + " -> index");
    if (!offset.empty()) {
      std::string shifted = entry.fresh();
      entry.line(shifted + " = arith.addi " + at + ", " + offset + " : index");
      at = shifted;
    }
    std::string i64 = entry.fresh(), p = entry.fresh();
    entry.line(i64 + " = arith.index_cast " + at + " : index to i64");
    entry.line(p + " = llvm.inttoptr " + i64 + " : i64 to !llvm.ptr");
    return p;
  };
  // `v`'s element count as an i64 in @mlc_graph.
  auto countOf = [&](const Value *v) {
    std::string n = entry.indexConst(1);
    for (int64_t e : extents(v)) {
      std::string d =
          isDynamicExtent(e) ? symbolSSA[-2 - e] : entry.indexConst(e);
      std::string m = entry.fresh();
      entry.line(m + " = arith.muli " + n + ", " + d + " : index");
      n = m;
    }
    std::string c = entry.fresh();
    entry.line(c + " = arith.index_cast " + n + " : index to i64");
    return c;
  };
  // A host op: a call through the runtime's host function table
  // (mlc_host_api, at context offset 32; docs/artifact.md).
  auto emitHostCall = [&](const Node &node) -> Status {
    std::string slotAt = entry.fresh(), table = entry.fresh();
    entry.line(slotAt + " = llvm.getelementptr %ctx[32] : (!llvm.ptr) -> "
                        "!llvm.ptr, i8");
    entry.line(table + " = llvm.load " + slotAt + " : !llvm.ptr -> !llvm.ptr");
    auto function = [&](int index) {
      std::string at = entry.fresh(), fn = entry.fresh();
      entry.line(at + " = llvm.getelementptr " + table + "[" +
                 std::to_string(8 + 8 * index) +
                 "] : (!llvm.ptr) -> !llvm.ptr, i8");
      entry.line(fn + " = llvm.load " + at + " : !llvm.ptr -> !llvm.ptr");
      return fn;
    };
    const Value *result = node.result();
    if (node.kind() == OpKind::StringEqual) {
      std::string fn = function(hostFunctionIndex(node.kind()));
      std::string a = pointerOf(node.operand(0));
      std::string b = pointerOf(node.operand(1));
      std::string o = pointerOf(result), n = countOf(result);
      entry.line("llvm.call " + fn + "(" + a + ", " + b + ", " + o + ", " + n +
                 ") : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64) -> ()");
      return Status::success();
    }
    // The address of the node's table in the weights (hostBlobOffset).
    auto blobOf = [&]() {
      int64_t offset = hostBlobOffset.at(&node);
      std::string base = entry.fresh(), at = entry.fresh(), i64 = entry.fresh(),
                  k = entry.fresh();
      entry.line(base +
                 " = memref.extract_aligned_pointer_as_index %weights : "
                 "memref<" +
                 std::to_string(out.weightsBytes) + "xi8> -> index");
      entry.line(at + " = arith.addi " + base + ", " +
                 entry.indexConst(offset) + " : index");
      entry.line(i64 + " = arith.index_cast " + at + " : index to i64");
      entry.line(k + " = llvm.inttoptr " + i64 + " : i64 to !llvm.ptr");
      return k;
    };
    if (node.kind() == OpKind::StringSplit ||
        node.kind() == OpKind::StringSplitCount) {
      // One function gives the pieces (at most `width` per string) or the
      // piece counts; the other pointer is null.
      bool pieces = node.kind() == OpKind::StringSplit;
      std::string fn = function(hostFunctionIndex(node.kind()));
      std::string x = pointerOf(node.operand(0)), n = countOf(node.operand(0));
      std::string spec = blobOf();
      std::string null = entry.fresh(), width = entry.fresh();
      entry.line(null + " = llvm.mlir.zero : !llvm.ptr");
      int64_t last = pieces ? extents(result).back() : 0;
      std::string w =
          isDynamicExtent(last) ? symbolSSA[-2 - last] : entry.indexConst(last);
      entry.line(width + " = arith.index_cast " + w + " : index to i64");
      std::string o = pointerOf(result);
      entry.line("llvm.call " + fn + "(" + x + ", " + n + ", " + spec + ", " +
                 width + ", " + (pieces ? o : null) + ", " +
                 (pieces ? null : o) +
                 ") : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, i64, !llvm.ptr, "
                 "!llvm.ptr) -> ()");
      return Status::success();
    }
    if (node.kind() == OpKind::StringIndex ||
        node.kind() == OpKind::RegexFullMatch) {
      // The keys' table or the regex program, placed in the weights blob
      // before the entry.
      std::string fn = function(hostFunctionIndex(node.kind()));
      std::string x = pointerOf(node.operand(0)), n = countOf(result);
      std::string k = blobOf();
      std::string o = pointerOf(result);
      entry.line("llvm.call " + fn + "(" + x + ", " + n + ", " + k + ", " + o +
                 ") : !llvm.ptr, (!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> ()");
      return Status::success();
    }
    if (node.kind() == OpKind::StringConcat ||
        node.kind() == OpKind::StringCase) {
      // Both make strings: their bytes go to the run's string store,
      // which the functions find through the context.
      bool concat = node.kind() == OpKind::StringConcat;
      std::string fn = function(hostFunctionIndex(node.kind()));
      std::string a = pointerOf(node.operand(0));
      std::string b = concat ? pointerOf(node.operand(1)) : "";
      std::string o = pointerOf(result), n = countOf(result);
      if (concat) {
        entry.line("llvm.call " + fn + "(%ctx, " + a + ", " + b + ", " + o +
                   ", " + n +
                   ") : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, "
                   "!llvm.ptr, i64) -> ()");
      } else {
        std::string upper = entry.fresh();
        entry.line(upper + " = arith.constant " +
                   std::string(node.stringAttr("mode") == "upper" ? "1" : "0") +
                   " : i64");
        entry.line("llvm.call " + fn + "(%ctx, " + a + ", " + o + ", " + n +
                   ", " + upper +
                   ") : !llvm.ptr, (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, "
                   "i64) -> ()");
      }
      return Status::success();
    }
    return makeError("codegen: unknown host op '" +
                     std::string(opName(node.kind())) + "'");
  };

  int64_t kernelId = 0;
  for (const Group &g : groups) {
    bool allEmpty = true;
    for (const Value *v : g.outputs)
      allEmpty &= isZeroSize(v);
    if (g.outputs.empty() || allEmpty)
      continue;
    if (g.nodes.size() == 1 && isHostOp(g.nodes[0]->kind())) {
      MLC_RETURN_IF_ERROR(emitHostCall(*g.nodes[0]));
      loadLateSymbols(g);
      continue;
    }
    KernelBuilder b;
    b.nextScheduleId = static_cast<int64_t>(out.sites.size());
    b.packedWeights = packed;
    b.portable = portable;
    b.wideVectors = wideVectors && !portable;
    std::string name = "@k" + std::to_string(kernelId++);
    // Every kernel takes the execution context first; the parallelization
    // stage hands it to the runtime's parallel_for (Parallelize.cpp).
    std::string sig = "%ctx: !llvm.ptr";
    std::map<const Value *, std::string> tensors;
    std::vector<std::string> callArgs = {"%ctx"}, callTypes = {"!llvm.ptr"};
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      const Value *v = g.inputs[i];
      if (isZeroSize(v)) {
        // No data to pass (and a memref with a zero extent has no
        // bare-pointer form): an empty tensor of the same type stands in.
        std::string t = b.fresh();
        b.line(t + " = tensor.empty() : " + tensorType(v->type()));
        tensors[v] = t;
        continue;
      }
      std::string arg = "%a" + std::to_string(i);
      std::string t = b.fresh();
      if (isDynamicValue(v)) {
        sig += ", " + arg + ": " + pointerType(v);
        std::string type;
        std::string view = dynamicView(b, arg, v, type);
        b.line(t + " = bufferization.to_tensor " + view +
               " restrict : " + type);
        callTypes.push_back(pointerType(v));
      } else {
        sig += ", " + arg + ": " + storedMemref(v);
        b.line(t + " = bufferization.to_tensor " + arg +
               " restrict : " + storedMemref(v));
        callTypes.push_back(storedMemref(v));
      }
      tensors[v] = t;
      callArgs.push_back(viewOf(v));
    }
    std::vector<std::string> outViews(g.outputs.size());
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const Value *v = g.outputs[i];
      if (isZeroSize(v))
        continue; // nothing to write
      std::string arg = "%o" + std::to_string(i);
      if (isDynamicValue(v)) {
        sig += ", " + arg + ": " + pointerType(v);
        callTypes.push_back(pointerType(v));
      } else {
        sig += ", " + arg + ": " + memrefType(v->type());
        callTypes.push_back(memrefType(v->type()));
      }
      callArgs.push_back(viewOf(v));
    }
    for (size_t k = 0; k < out.numKernelSymbols; ++k) {
      sig += ", %sym" + std::to_string(k) + ": index";
      callArgs.push_back(symbolSSA[k]);
      callTypes.push_back("index");
    }
    // Dynamic outputs: strided views of the bare pointers.
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const Value *v = g.outputs[i];
      if (isZeroSize(v) || !isDynamicValue(v))
        continue;
      std::string type;
      std::string view = dynamicView(b, "%o" + std::to_string(i), v, type);
      outViews[i] = view + " : (" + tensorType(v->type()) + ", " + type + ")";
    }
    if (std::optional<size_t> symbol = groupItemSymbol(g)) {
      // The whole group item by item: one loop around its nodes' static
      // forms keeps them fusable (per-node loops would not).
      MLC_RETURN_IF_ERROR(emitGroupPerItem(b, g, *symbol, tensors, out.sites));
    } else {
      MLC_RETURN_IF_ERROR(emitNodes(b, g.nodes, tensors, out.sites));
    }
    for (size_t i = 0; i < g.outputs.size(); ++i) {
      const Value *v = g.outputs[i];
      if (isZeroSize(v))
        continue;
      if (!outViews[i].empty()) {
        b.line("bufferization.materialize_in_destination " + tensors.at(v) +
               " in restrict writable " + outViews[i] + " -> ()");
        continue;
      }
      b.line("bufferization.materialize_in_destination " + tensors.at(v) +
             " in restrict writable %o" + std::to_string(i) + " : (" +
             tensorType(v->type()) + ", " + memrefType(v->type()) + ") -> ()");
    }
    b.line("return");
    std::string attrs;
    if (tensorCores)
      if (std::string mma = mmaMode(g, allowTf32); !mma.empty()) {
        attrs = " attributes {mlc.mma = \"" + mma + "\"}";
        out.tensorCores = true;
      }
    text += "  func.func private " + name + "(" + sig + ")" + attrs + " {\n" +
            b.text() + "  }\n";
    std::string args, types;
    for (size_t i = 0; i < callArgs.size(); ++i) {
      args += (i ? ", " : "") + callArgs[i];
      types += (i ? ", " : "") + callTypes[i];
    }
    entry.line("func.call " + name + "(" + args + ") : (" + types + ") -> ()");
    loadLateSymbols(g);
  }
  // Output slots not written by a kernel: copies.
  for (size_t j = 0; j < graph.outputs().size(); ++j) {
    const Value *v = graph.outputs()[j];
    const Location &l = loc.at(v);
    if ((l.kind == Location::Output && l.index == static_cast<int64_t>(j)) ||
        isZeroSize(v))
      continue;
    if (isDynamicValue(v))
      return makeError("codegen: output '" + v->name() +
                       "' is not computed by a kernel (an input or another "
                       "output), which dynamic shapes do not support yet");
    std::string type = memrefType(v->type());
    if (portable)
      entry.line("linalg.copy ins(" + viewOf(v) + " : " + type + ") outs(%out" +
                 std::to_string(j) + " : " + type + ")");
    else
      entry.line("memref.copy " + viewOf(v) + ", %out" + std::to_string(j) +
                 " : " + type + " to " + type);
  }
  entry.line("return");
  // Zero-size inputs and outputs are never read or written: an opaque
  // pointer (a memref with a zero extent has no bare-pointer form).
  auto entryType = [&](const Value *v) {
    if (isDynamicValue(v))
      return pointerType(v);
    return isZeroSize(v) ? std::string("!llvm.ptr") : memrefType(v->type());
  };
  std::string sig = "%ctx: !llvm.ptr, ";
  for (size_t i = 0; i < graph.inputs().size(); ++i)
    sig +=
        "%in" + std::to_string(i) + ": " + entryType(graph.inputs()[i]) + ", ";
  for (size_t j = 0; j < graph.outputs().size(); ++j)
    sig += "%out" + std::to_string(j) + ": " + entryType(graph.outputs()[j]) +
           ", ";
  if (dynamic) {
    // The arena's type is a placeholder (its views take dynamic offsets);
    // kernel scratch grows it from 0 (KernelScratch), and the dynamic
    // plan's buffers start after that.
    sig += "%arena: memref<1xi8> {mlc.arena}, %weights: memref<" +
           std::to_string(out.weightsBytes) + "xi8>";
    for (size_t k = 0; k < out.numKernelSymbols; ++k)
      sig += ", %sym" + std::to_string(k) + ": index";
    for (size_t i = 0; i < arenaValues.size(); ++i)
      sig += ", %off" + std::to_string(i) + ": index";
  } else {
    sig += "%arena: memref<" + std::to_string(out.arenaBytes) +
           "xi8>, %weights: memref<" + std::to_string(out.weightsBytes) +
           "xi8>";
  }
  text += "  func.func @mlc_graph(" + sig + ") {\n" + entry.text() + "  }\n}\n";
  out.text = std::move(text);
  return out;
}

} // namespace mlc::codegen
