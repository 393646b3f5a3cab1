// Whole-graph verification: definitions before uses, types equal to the
// type rules' results, well-formed groups.
#include "ir/Graph.h"

#include <cstdint>
#include <set>

namespace mlc {

namespace {
std::string describe(const Node &node) {
  if (!node.name().empty())
    return "node '" + node.name() + "'";
  if (!node.results().empty())
    return "node '%" + node.result()->name() + "'";
  return "node of op '" + std::string(opName(node.kind())) + "'";
}

Status fail(const Node &node, const std::string &message) {
  return makeError(describe(node) + ": " + message);
}

/// Symbol definitions: unique names, operands defined before use, value
/// symbols reading an element of an integer input of static shape;
/// requirements on known symbols. Adds every symbol to `known`.
Status verifySymbols(const Graph &graph, std::set<std::string> &known) {
  for (const std::string &s : graph.inputSymbols())
    known.insert(s);
  for (const SymbolDef &def : graph.symbolDefs()) {
    std::string where = "symbol ?" + def.name + ": ";
    if (def.name.empty() || known.count(def.name))
      return makeError(where + "is defined twice");
    if (def.op != SymbolOp::Value && def.scale != 1)
      return makeError(where + "only 'value' takes a scale");
    if (def.op != SymbolOp::Split &&
        (!def.delimiter.empty() || def.maxSplit != -1))
      return makeError(where + "only 'split' takes a delimiter and max split");
    if (def.op == SymbolOp::Load) {
      const Value *v = graph.findValue(def.input);
      if (!v || !v->producer())
        return makeError(where + "loads '%" + def.input +
                         "', which is not a node result");
      DType t = v->type().dtype;
      Expected<int64_t> count = elementCount(v->type().shape);
      if ((t != DType::I64 && t != DType::I32) || !isStatic(v->type().shape) ||
          !count || def.element < 0 || def.element >= *count ||
          def.bound < 0 || !def.args.empty())
        return makeError(where + "loads element " +
                         std::to_string(def.element) + " of '%" + def.input +
                         "', which is not an element of an i32 or i64 value "
                         "of static shape, or its bound is negative");
    } else if (def.op == SymbolOp::Split) {
      const Value *in = nullptr;
      for (const Value *v : graph.inputs())
        if (v->name() == def.input)
          in = v;
      if (!in || in->type().dtype != DType::Str)
        return makeError(where + "splits '%" + def.input +
                         "', which is not a str graph input");
      if (!def.args.empty() || def.element != 0 || def.bound != 0 ||
          def.maxSplit < -1 || def.maxSplit == INT64_MAX)
        return makeError(where + "'split' takes no operands, element or "
                                 "bound, and a max split from -1 (unlimited) "
                                 "to 2^63 - 2");
    } else if (def.op == SymbolOp::Value) {
      const Value *in = nullptr;
      for (const Value *v : graph.inputs())
        if (v->name() == def.input)
          in = v;
      if (!in)
        return makeError(where + "reads '%" + def.input +
                         "', which is not a graph input");
      DType t = in->type().dtype;
      if ((t != DType::I64 && t != DType::I32 && t != DType::F32 &&
           t != DType::F64) ||
          !isStatic(in->type().shape))
        return makeError(where + "reads '%" + def.input +
                         "', which is not an i32, i64, f32 or f64 input of "
                         "static shape");
      Expected<int64_t> count = elementCount(in->type().shape);
      if (!count || def.element < 0 || def.element >= *count)
        return makeError(where + "element " + std::to_string(def.element) +
                         " of '%" + def.input + "' is out of range");
      if (!def.args.empty())
        return makeError(where + "'value' takes no operands");
      if (def.scale < 1)
        return makeError(where + "the scale " + std::to_string(def.scale) +
                         " is not positive");
    } else if (static_cast<int>(def.args.size()) != symbolOpArity(def.op)) {
      return makeError(where + "'" + std::string(symbolOpName(def.op)) +
                       "' takes " + std::to_string(symbolOpArity(def.op)) +
                       " operands");
    }
    for (const SymbolArg &a : def.args)
      if (const auto *name = std::get_if<std::string>(&a))
        if (!known.count(*name))
          return makeError(where + "operand ?" + *name +
                           " is used before it is defined");
    known.insert(def.name);
  }
  for (const Requirement &r : graph.requirements()) {
    if (!known.count(r.condition))
      return makeError("requirement on unknown symbol ?" + r.condition);
    if (graph.isLateSymbol(r.condition))
      return makeError("requirement on ?" + r.condition +
                       ", which is known only during the run");
  }
  return Status::success();
}

/// The values whose elements late symbol `name` loads (directly or through
/// the symbols it is computed from).
void loadSources(const Graph &graph, const std::string &name,
                 std::set<std::string> &sources) {
  for (const SymbolDef &def : graph.symbolDefs()) {
    if (def.name != name)
      continue;
    if (def.op == SymbolOp::Load)
      sources.insert(def.input);
    for (const SymbolArg &a : def.args)
      if (const auto *s = std::get_if<std::string>(&a))
        loadSources(graph, *s, sources);
  }
}
} // namespace

Status verify(const Graph &graph) {
  std::set<const Value *> defined;
  std::set<std::string> names;
  for (const Value *in : graph.inputs()) {
    if (!names.insert(in->name()).second)
      return makeError("value '%" + in->name() + "' is defined twice");
    defined.insert(in);
  }
  std::set<std::string> knownSymbols;
  MLC_RETURN_IF_ERROR(verifySymbols(graph, knownSymbols));
  std::set<int64_t> closedGroups;
  int64_t currentGroup = -1;
  for (const auto &nodePtr : graph.nodes()) {
    const Node &node = *nodePtr;
    const OpInfo &info = opInfo(node.kind());
    if (node.numOperands() < info.minOperands ||
        node.numOperands() > info.maxOperands)
      return fail(node, "'" + std::string(info.name) + "' takes " +
                            std::to_string(info.minOperands) +
                            (info.minOperands == info.maxOperands
                                 ? ""
                                 : " to " + std::to_string(info.maxOperands)) +
                            " operands, got " +
                            std::to_string(node.numOperands()));
    std::vector<TensorType> operandTypes;
    for (size_t i = 0; i < node.numOperands(); ++i) {
      const Value *operand = node.operand(i);
      if (!operand || !defined.count(operand))
        return fail(node, "operand " + std::to_string(i) +
                              " is used before it is defined");
      operandTypes.push_back(operand->type());
    }
    std::vector<TensorType> expected;
    if (node.kind() == OpKind::Constant) {
      auto it = node.attrs().find("value");
      if (it == node.attrs().end() ||
          !std::holds_alternative<TensorData>(it->second))
        return fail(node, "constant needs a tensor attribute 'value'");
      const TensorData &data = std::get<TensorData>(it->second);
      Expected<int64_t> size = byteSize(data.type);
      if (!size)
        return fail(node, size.message());
      if (!data.bytes || static_cast<uint64_t>(*size) != data.bytes->size())
        return fail(node, "constant data size does not match its type");
      expected.push_back(data.type);
    } else {
      Expected<std::vector<TensorType>> inferred =
          inferResultTypes(node.kind(), operandTypes, node.attrs());
      if (!inferred)
        return fail(node, std::string(info.name) + ": " + inferred.message());
      expected = inferred.take();
    }
    if (expected.size() != node.results().size())
      return fail(node, "has " + std::to_string(node.results().size()) +
                            " results, expected " +
                            std::to_string(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
      const Value *r = node.result(i);
      if (!(r->type() == expected[i]))
        return fail(node, "result " + std::to_string(i) + " has type " +
                              typeToString(r->type()) + ", expected " +
                              typeToString(expected[i]));
      if (!names.insert(r->name()).second)
        return fail(node, "value '%" + r->name() + "' is defined twice");
      for (const Dim &d : r->type().shape) {
        if (!d.isStatic() && !knownSymbols.count(d.symbolName()))
          return fail(node, "result " + std::to_string(i) +
                                " uses symbol ?" + d.symbolName() +
                                ", which no input binds and no symbol "
                                "definition defines");
        if (d.isStatic() || !graph.isLateSymbol(d.symbolName()))
          continue;
        std::set<std::string> sources;
        loadSources(graph, d.symbolName(), sources);
        for (const std::string &s : sources) {
          const Value *v = graph.findValue(s);
          if (!v || !defined.count(v) || v->producer() == &node)
            return fail(node, "result " + std::to_string(i) +
                                  " uses symbol ?" + d.symbolName() +
                                  " before '%" + s + "', which it loads, is "
                                  "computed");
        }
      }
      defined.insert(r);
    }
    int64_t group = node.group();
    if (group < -1)
      return fail(node, "invalid group id " + std::to_string(group));
    if (node.kind() == OpKind::Constant) {
      // Constants are hoisted into the weights; they never join a kernel and
      // do not interrupt one.
      if (group != -1)
        return fail(node, "constants cannot belong to a group");
      continue;
    }
    if (group != currentGroup) {
      if (currentGroup >= 0)
        closedGroups.insert(currentGroup);
      if (group >= 0 && closedGroups.count(group))
        return fail(node, "group " + std::to_string(group) +
                              " is not contiguous");
      currentGroup = group;
    }
  }
  for (const Value *out : graph.outputs())
    if (!out || !defined.count(out))
      return makeError("graph output is not defined");
  return Status::success();
}

} // namespace mlc
