// Graph construction, mutation and cloning. Typing rules live in
// TypeInference.cpp; whole-graph checks in Verifier.cpp.
#include "ir/Graph.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace mlc {

int64_t TensorData::numElements() const {
  Expected<int64_t> n = elementCount(type.shape);
  return n ? *n : 0;
}

bool TensorData::operator==(const TensorData &other) const {
  if (!(type == other.type))
    return false;
  if (bytes == other.bytes)
    return true;
  if (!bytes || !other.bytes)
    return false;
  return *bytes == *other.bytes;
}

Expected<TensorData> makeTensorData(TensorType type,
                                    std::vector<uint8_t> bytes) {
  Expected<int64_t> size = byteSize(type);
  if (!size)
    return size.error();
  if (static_cast<uint64_t>(*size) != bytes.size())
    return makeError("tensor data has " + std::to_string(bytes.size()) +
                     " bytes, type " + typeToString(type) + " needs " +
                     std::to_string(*size));
  TensorData data;
  data.type = std::move(type);
  data.bytes =
      std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  return data;
}

template <typename T>
static const T &getAttr(const AttributeMap &attrs, const std::string &name) {
  auto it = attrs.find(name);
  assert(it != attrs.end() && "missing attribute");
  assert(std::holds_alternative<T>(it->second) && "wrong attribute kind");
  return std::get<T>(it->second);
}

int64_t Node::intAttr(const std::string &name) const {
  return getAttr<int64_t>(attrs_, name);
}
double Node::floatAttr(const std::string &name) const {
  return getAttr<double>(attrs_, name);
}
const std::string &Node::stringAttr(const std::string &name) const {
  return getAttr<std::string>(attrs_, name);
}
Attribute dimsAttribute(const Shape &dims) {
  if (isStatic(dims))
    return staticExtents(dims);
  return dims;
}

Shape Node::dimsAttr(const std::string &name) const {
  auto it = attrs_.find(name);
  assert(it != attrs_.end() && "missing attribute");
  if (auto *dims = std::get_if<Shape>(&it->second))
    return *dims;
  return makeShape(std::get<std::vector<int64_t>>(it->second));
}

const std::vector<int64_t> &Node::intsAttr(const std::string &name) const {
  return getAttr<std::vector<int64_t>>(attrs_, name);
}
DType Node::dtypeAttr(const std::string &name) const {
  return getAttr<DType>(attrs_, name);
}
const TensorData &Node::tensorAttr(const std::string &name) const {
  return getAttr<TensorData>(attrs_, name);
}

Value *Graph::newValue(std::string name, TensorType type) {
  auto value = std::make_unique<Value>();
  value->name_ = std::move(name);
  value->type_ = std::move(type);
  Value *raw = value.get();
  valueByName_[raw->name_] = raw;
  values_.push_back(std::move(value));
  return raw;
}

std::string Graph::freshName(const std::string &hint) {
  std::string base = hint.empty() ? "v" : hint;
  if (!hint.empty() && !valueByName_.count(base))
    return base;
  while (true) {
    std::string candidate = base + "_" + std::to_string(nextId_++);
    if (!valueByName_.count(candidate))
      return candidate;
  }
}

Expected<Value *> Graph::addInput(const std::string &name, TensorType type) {
  if (name.empty())
    return makeError("graph input has an empty name");
  if (valueByName_.count(name))
    return makeError("value name '" + name + "' is already defined");
  Value *v = newValue(name, std::move(type));
  inputs_.push_back(v);
  return v;
}

Expected<Node *> Graph::addNodeWithTypes(OpKind kind,
                                         std::vector<Value *> operands,
                                         AttributeMap attrs,
                                         std::vector<TensorType> resultTypes,
                                         std::string name,
                                         std::vector<std::string> resultNames) {
  if (!resultNames.empty() && resultNames.size() != resultTypes.size())
    return makeError("expected " + std::to_string(resultTypes.size()) +
                     " result names, got " +
                     std::to_string(resultNames.size()));
  for (size_t i = 0; i < operands.size(); ++i)
    if (!operands[i])
      return makeError("operand " + std::to_string(i) + " is null");
  std::set<std::string> seen;
  for (const std::string &rn : resultNames) {
    if (rn.empty())
      return makeError("empty result name");
    if (valueByName_.count(rn) || !seen.insert(rn).second)
      return makeError("value name '" + rn + "' is already defined");
  }
  auto node = std::make_unique<Node>();
  node->kind_ = kind;
  node->name_ = std::move(name);
  node->operands_ = std::move(operands);
  node->attrs_ = std::move(attrs);
  Node *raw = node.get();
  for (size_t i = 0; i < resultTypes.size(); ++i) {
    std::string rn = resultNames.empty() ? freshName() : resultNames[i];
    Value *v = newValue(std::move(rn), std::move(resultTypes[i]));
    v->producer_ = raw;
    v->resultIndex_ = static_cast<unsigned>(i);
    raw->results_.push_back(v);
  }
  nodes_.push_back(std::move(node));
  return raw;
}

Expected<Node *> Graph::addNode(OpKind kind, std::vector<Value *> operands,
                                AttributeMap attrs, std::string name,
                                std::vector<std::string> resultNames) {
  std::vector<TensorType> operandTypes;
  for (size_t i = 0; i < operands.size(); ++i) {
    if (!operands[i])
      return makeError("operand " + std::to_string(i) + " is null");
    operandTypes.push_back(operands[i]->type());
  }
  Expected<std::vector<TensorType>> types =
      inferResultTypes(kind, operandTypes, attrs);
  if (!types)
    return makeError(std::string(opName(kind)) + ": " + types.message());
  return addNodeWithTypes(kind, std::move(operands), std::move(attrs),
                          types.take(), std::move(name),
                          std::move(resultNames));
}

Expected<Value *> Graph::addConstant(TensorData data, std::string name) {
  AttributeMap attrs;
  TensorType type = data.type;
  attrs["value"] = std::move(data);
  std::vector<std::string> names;
  if (!name.empty())
    names.push_back(freshName(name));
  Expected<Node *> node = addNodeWithTypes(OpKind::Constant, {}, attrs,
                                           {type}, "", std::move(names));
  if (!node)
    return node.error();
  return (*node)->result();
}

Value *Graph::findValue(const std::string &name) const {
  auto it = valueByName_.find(name);
  return it == valueByName_.end() ? nullptr : it->second;
}

Status Graph::renameValue(Value *value, const std::string &name) {
  if (name.empty())
    return makeError("cannot rename '%" + value->name_ + "' to an empty name");
  if (value->name_ == name)
    return Status::success();
  if (valueByName_.count(name))
    return makeError("value name '" + name + "' is already defined");
  for (SymbolDef &def : symbolDefs_)
    if (def.input == value->name_)
      def.input = name;
  valueByName_.erase(value->name_);
  value->name_ = name;
  valueByName_[name] = value;
  return Status::success();
}

void Graph::replaceAllUsesWith(Value *from, Value *to) {
  for (auto &node : nodes_)
    for (Value *&operand : node->operands_)
      if (operand == from)
        operand = to;
  for (Value *&out : outputs_)
    if (out == from)
      out = to;
  for (SymbolDef &def : symbolDefs_)
    if (def.op == SymbolOp::Load && def.input == from->name())
      def.input = to->name();
}

std::map<const Value *, int> Graph::useCounts() const {
  std::map<const Value *, int> counts;
  for (const auto &node : nodes_)
    for (const Value *operand : node->operands_)
      ++counts[operand];
  for (const Value *out : outputs_)
    ++counts[out];
  // A value a symbol loads is used by the run.
  for (const SymbolDef &def : symbolDefs_)
    if (def.op == SymbolOp::Load)
      if (const Value *v = findValue(def.input))
        ++counts[v];
  return counts;
}

std::map<const Value *, std::vector<Node *>> Graph::users() const {
  std::map<const Value *, std::vector<Node *>> result;
  for (const auto &node : nodes_)
    for (const Value *operand : node->operands_) {
      std::vector<Node *> &list = result[operand];
      if (list.empty() || list.back() != node.get())
        list.push_back(node.get());
    }
  return result;
}

void Graph::eraseNodes(const std::vector<Node *> &nodes) {
  if (nodes.empty())
    return;
  std::set<const Node *> doomed(nodes.begin(), nodes.end());
  std::set<const Value *> deadValues;
  for (const Node *n : doomed)
    for (const Value *v : n->results_)
      deadValues.insert(v);
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(),
                              [&](const std::unique_ptr<Node> &n) {
                                return doomed.count(n.get()) != 0;
                              }),
               nodes_.end());
  for (const Value *v : deadValues)
    valueByName_.erase(v->name_);
  values_.erase(std::remove_if(values_.begin(), values_.end(),
                               [&](const std::unique_ptr<Value> &v) {
                                 return deadValues.count(v.get()) != 0;
                               }),
                values_.end());
}

int Graph::removeDeadNodes() {
  std::set<const Value *> live(outputs_.begin(), outputs_.end());
  for (const SymbolDef &def : symbolDefs_)
    if (def.op == SymbolOp::Load)
      if (const Value *v = findValue(def.input))
        live.insert(v);
  std::vector<Node *> dead;
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) {
    Node *node = it->get();
    bool used = false;
    for (const Value *r : node->results_)
      used |= live.count(r) != 0;
    if (!used) {
      dead.push_back(node);
      continue;
    }
    for (const Value *operand : node->operands_)
      live.insert(operand);
  }
  eraseNodes(dead);
  return static_cast<int>(dead.size());
}

Status Graph::sortTopologically() {
  // Kahn's algorithm that always picks the earliest ready node in the current
  // order, so an already valid order is kept as is.
  size_t n = nodes_.size();
  std::map<const Node *, size_t> index;
  for (size_t i = 0; i < n; ++i)
    index[nodes_[i].get()] = i;
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> consumers(n);
  // A result typed with a load symbol depends on the node whose result it
  // loads (through computed symbols too), like an operand.
  std::map<std::string, const SymbolDef *> defs;
  bool anyLoad = false;
  for (const SymbolDef &def : symbolDefs_) {
    defs[def.name] = &def;
    anyLoad = anyLoad || def.op == SymbolOp::Load;
  }
  std::map<std::string, std::set<const Node *>> loadProducers;
  std::function<const std::set<const Node *> &(const std::string &)>
      producersOf =
          [&](const std::string &name) -> const std::set<const Node *> & {
    auto it = loadProducers.find(name);
    if (it != loadProducers.end())
      return it->second;
    std::set<const Node *> out;
    auto d = defs.find(name);
    if (d != defs.end()) {
      if (d->second->op == SymbolOp::Load) {
        if (const Value *v = findValue(d->second->input); v && v->producer_)
          out.insert(v->producer_);
      } else {
        for (const SymbolArg &a : d->second->args)
          if (const auto *s = std::get_if<std::string>(&a)) {
            const std::set<const Node *> &inner = producersOf(*s);
            out.insert(inner.begin(), inner.end());
          }
      }
    }
    return loadProducers[name] = std::move(out);
  };
  for (size_t i = 0; i < n; ++i) {
    std::set<size_t> producers;
    for (const Value *operand : nodes_[i]->operands_)
      if (operand->producer_)
        producers.insert(index.at(operand->producer_));
    if (anyLoad)
      for (const Value *r : nodes_[i]->results())
        for (const Dim &d : r->type().shape)
          if (!d.isStatic())
            for (const Node *p : producersOf(d.symbolName()))
              if (p != nodes_[i].get() && index.count(p))
                producers.insert(index.at(p));
    pending[i] = static_cast<int>(producers.size());
    for (size_t p : producers)
      consumers[p].push_back(i);
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.insert(i);
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(n);
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    for (size_t c : consumers[i])
      if (--pending[c] == 0)
        ready.insert(c);
    sorted.push_back(std::move(nodes_[i]));
  }
  if (sorted.size() != n) {
    // Put the nodes back so the graph stays intact.
    for (auto &node : nodes_)
      if (node)
        sorted.push_back(std::move(node));
    nodes_ = std::move(sorted);
    return makeError("graph has a cycle");
  }
  nodes_ = std::move(sorted);
  return Status::success();
}

Graph Graph::clone() const {
  Graph copy;
  copy.name_ = name_;
  copy.nextId_ = nextId_;
  copy.nextSymbolId_ = nextSymbolId_;
  copy.symbolDefs_ = symbolDefs_;
  copy.requirements_ = requirements_;
  std::map<const Value *, Value *> map;
  for (const Value *in : inputs_) {
    Value *v = copy.newValue(in->name_, in->type_);
    copy.inputs_.push_back(v);
    map[in] = v;
  }
  for (const auto &node : nodes_) {
    auto n = std::make_unique<Node>();
    n->kind_ = node->kind_;
    n->name_ = node->name_;
    n->attrs_ = node->attrs_;
    n->group_ = node->group_;
    for (const Value *operand : node->operands_)
      n->operands_.push_back(map.at(operand));
    for (const Value *r : node->results_) {
      Value *v = copy.newValue(r->name_, r->type_);
      v->producer_ = n.get();
      v->resultIndex_ = r->resultIndex_;
      n->results_.push_back(v);
      map[r] = v;
    }
    copy.nodes_.push_back(std::move(n));
  }
  for (const Value *out : outputs_)
    copy.outputs_.push_back(map.at(out));
  return copy;
}

} // namespace mlc
