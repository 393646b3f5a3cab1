// Graph <-> IR.proto conversion with an IR version check.
#include "ir/Serialize.h"

#include "IR.pb.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace mlc {

namespace {
void writeType(const TensorType &type, proto::TensorType *out) {
  out->set_dtype(std::string(dtypeName(type.dtype)));
  for (const Dim &d : type.shape) {
    proto::Dim *pd = out->add_dims();
    if (d.isStatic())
      pd->set_value(d.value());
    else
      pd->set_symbol(d.symbolName());
  }
}

Expected<TensorType> readType(const proto::TensorType &in) {
  std::optional<DType> dtype = parseDType(in.dtype());
  if (!dtype)
    return makeError("unknown dtype '" + in.dtype() + "'");
  TensorType type;
  type.dtype = *dtype;
  for (const proto::Dim &d : in.dims()) {
    if (d.kind_case() == proto::Dim::kSymbol) {
      if (d.symbol().empty())
        return makeError("empty dim symbol");
      type.shape.push_back(Dim::symbol(d.symbol()));
    } else {
      if (d.value() < 0)
        return makeError("negative dim " + std::to_string(d.value()));
      type.shape.push_back(Dim(d.value()));
    }
  }
  return type;
}

void writeAttr(const std::string &name, const Attribute &attr,
               proto::Attribute *out) {
  out->set_name(name);
  if (auto *i = std::get_if<int64_t>(&attr)) {
    out->set_i(*i);
  } else if (auto *f = std::get_if<double>(&attr)) {
    out->set_f(*f);
  } else if (auto *s = std::get_if<std::string>(&attr)) {
    out->set_s(*s);
  } else if (auto *is = std::get_if<std::vector<int64_t>>(&attr)) {
    auto *list = out->mutable_ints();
    for (int64_t v : *is)
      list->add_values(v);
  } else if (auto *fs = std::get_if<std::vector<double>>(&attr)) {
    auto *list = out->mutable_floats();
    for (double v : *fs)
      list->add_values(v);
  } else if (auto *d = std::get_if<DType>(&attr)) {
    out->set_dtype(std::string(dtypeName(*d)));
  } else if (auto *ds = std::get_if<Shape>(&attr)) {
    TensorType dims{DType::I64, *ds};
    writeType(dims, out->mutable_dims());
  } else {
    const TensorData &t = std::get<TensorData>(attr);
    writeType(t.type, out->mutable_tensor()->mutable_type());
    out->mutable_tensor()->set_data(t.bytes->data(), t.bytes->size());
  }
}

Expected<Attribute> readAttr(const proto::Attribute &in) {
  switch (in.value_case()) {
  case proto::Attribute::kI:
    return Attribute(in.i());
  case proto::Attribute::kF:
    return Attribute(in.f());
  case proto::Attribute::kS:
    return Attribute(in.s());
  case proto::Attribute::kInts:
    return Attribute(std::vector<int64_t>(in.ints().values().begin(),
                                          in.ints().values().end()));
  case proto::Attribute::kFloats:
    return Attribute(std::vector<double>(in.floats().values().begin(),
                                         in.floats().values().end()));
  case proto::Attribute::kDtype: {
    std::optional<DType> d = parseDType(in.dtype());
    if (!d)
      return makeError("unknown dtype '" + in.dtype() + "'");
    return Attribute(*d);
  }
  case proto::Attribute::kTensor: {
    Expected<TensorType> type = readType(in.tensor().type());
    if (!type)
      return type.error();
    const std::string &data = in.tensor().data();
    Expected<TensorData> t = makeTensorData(
        type.take(), std::vector<uint8_t>(data.begin(), data.end()));
    if (!t)
      return t.error();
    return Attribute(t.take());
  }
  case proto::Attribute::kDims: {
    Expected<TensorType> dims = readType(in.dims());
    if (!dims)
      return dims.error();
    return dimsAttribute(dims->shape);
  }
  case proto::Attribute::VALUE_NOT_SET:
    break;
  }
  return makeError("attribute '" + in.name() + "' has no value");
}
} // namespace

std::string serializeGraph(const Graph &graph) {
  proto::Graph pg;
  bool symbols = !graph.symbolDefs().empty() || !graph.requirements().empty();
  pg.set_ir_version(symbols ? kIRVersion : kIRVersionWithoutSymbols);
  pg.set_name(graph.name());
  for (const SymbolDef &def : graph.symbolDefs()) {
    proto::SymbolDef *pd = pg.add_symbols();
    pd->set_name(def.name);
    pd->set_op(std::string(symbolOpName(def.op)));
    for (const SymbolArg &a : def.args) {
      proto::SymbolArg *pa = pd->add_args();
      if (const auto *name = std::get_if<std::string>(&a))
        pa->set_symbol(*name);
      else
        pa->set_value(std::get<int64_t>(a));
    }
    pd->set_input(def.input);
    pd->set_element(def.element);
    pd->set_bound(def.bound);
    if (def.scale != 1)
      pd->set_scale(def.scale);
    pd->set_delimiter(def.delimiter);
    if (def.maxSplit >= 0)
      pd->set_max_split(def.maxSplit + 1);
  }
  for (const Requirement &r : graph.requirements()) {
    proto::Requirement *pr = pg.add_requirements();
    pr->set_condition(r.condition);
    pr->set_message(r.message);
  }
  for (const Value *in : graph.inputs()) {
    proto::Value *pv = pg.add_inputs();
    pv->set_name(in->name());
    writeType(in->type(), pv->mutable_type());
  }
  for (const Value *out : graph.outputs())
    pg.add_outputs(out->name());
  for (const auto &node : graph.nodes()) {
    proto::Node *pn = pg.add_nodes();
    pn->set_op(std::string(opName(node->kind())));
    pn->set_name(node->name());
    pn->set_group(node->group());
    for (const Value *operand : node->operands())
      pn->add_operands(operand->name());
    for (const Value *r : node->results()) {
      proto::Value *pv = pn->add_results();
      pv->set_name(r->name());
      writeType(r->type(), pv->mutable_type());
    }
    for (const auto &[name, attr] : node->attrs())
      writeAttr(name, attr, pn->add_attributes());
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    pg.SerializeToCodedStream(&coded);
  }
  return bytes;
}

Expected<Graph> deserializeGraph(std::string_view bytes) {
  proto::Graph pg;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !pg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("not a valid serialized mlc IR graph");
  if (pg.ir_version() == 0)
    return makeError("serialized IR has no version");
  if (pg.ir_version() > kIRVersion)
    return makeError("unsupported IR version " +
                     std::to_string(pg.ir_version()) +
                     " (this build reads up to " + std::to_string(kIRVersion) +
                     ")");
  Graph graph;
  graph.setName(pg.name());
  for (const proto::SymbolDef &pd : pg.symbols()) {
    std::optional<SymbolOp> op = parseSymbolOp(pd.op());
    if (!op)
      return makeError("symbol ?" + pd.name() + ": unknown symbol op '" +
                       pd.op() + "'");
    SymbolDef def;
    def.name = pd.name();
    def.op = *op;
    for (const proto::SymbolArg &pa : pd.args()) {
      if (pa.kind_case() == proto::SymbolArg::kSymbol)
        def.args.push_back(pa.symbol());
      else if (pa.kind_case() == proto::SymbolArg::kValue)
        def.args.push_back(pa.value());
      else
        return makeError("symbol ?" + pd.name() + ": an operand has no value");
    }
    def.input = pd.input();
    def.element = pd.element();
    def.bound = pd.bound();
    def.scale = pd.scale() == 0 ? 1 : pd.scale();
    def.delimiter = pd.delimiter();
    if (pd.max_split() < 0)
      return makeError("symbol ?" + pd.name() + ": negative max_split");
    def.maxSplit = pd.max_split() - 1;
    graph.addSymbolDef(std::move(def));
  }
  for (const proto::Requirement &pr : pg.requirements())
    graph.addRequirement(Requirement{pr.condition(), pr.message()});
  for (const proto::Value &pv : pg.inputs()) {
    Expected<TensorType> type = readType(pv.type());
    if (!type)
      return makeError("input '" + pv.name() + "': " + type.message());
    Expected<Value *> in = graph.addInput(pv.name(), type.take());
    if (!in)
      return in.error();
  }
  for (const proto::Node &pn : pg.nodes()) {
    std::optional<OpKind> kind = parseOpKind(pn.op());
    if (!kind)
      return makeError("unknown op '" + pn.op() + "'");
    std::vector<Value *> operands;
    for (const std::string &name : pn.operands()) {
      Value *v = graph.findValue(name);
      if (!v)
        return makeError("node '" + pn.name() + "': undefined operand '" +
                         name + "'");
      operands.push_back(v);
    }
    AttributeMap attrs;
    for (const proto::Attribute &pa : pn.attributes()) {
      Expected<Attribute> attr = readAttr(pa);
      if (!attr)
        return attr.error();
      attrs[pa.name()] = attr.take();
    }
    std::vector<TensorType> types;
    std::vector<std::string> names;
    for (const proto::Value &pv : pn.results()) {
      Expected<TensorType> type = readType(pv.type());
      if (!type)
        return makeError("value '" + pv.name() + "': " + type.message());
      types.push_back(type.take());
      names.push_back(pv.name());
    }
    Expected<Node *> node =
        graph.addNodeWithTypes(*kind, std::move(operands), std::move(attrs),
                               std::move(types), pn.name(), names);
    if (!node)
      return node.error();
    if (pn.group() < -1)
      return makeError("node '" + pn.name() + "': invalid group");
    (*node)->setGroup(pn.group());
  }
  std::vector<Value *> outputs;
  for (const std::string &name : pg.outputs()) {
    Value *v = graph.findValue(name);
    if (!v)
      return makeError("graph output '" + name + "' is not defined");
    outputs.push_back(v);
  }
  graph.setOutputs(std::move(outputs));
  MLC_RETURN_IF_ERROR(verify(graph));
  return graph;
}

} // namespace mlc
