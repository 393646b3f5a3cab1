// Prints graphs in the textual form of docs/ir.md.
#include "ir/Printer.h"

#include <charconv>
#include <cmath>

namespace mlc {

namespace {
bool isBareNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '$' ||
         c == '-';
}

std::string quoteString(const std::string &s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += '\\';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string printName(const std::string &name) {
  bool bare = !name.empty();
  for (char c : name)
    bare &= isBareNameChar(c);
  return bare ? name : quoteString(name);
}

std::string printFloat(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

std::string printValue(const Value *v) { return "%" + printName(v->name()); }

void printTensor(std::string &out, const TensorData &data, int64_t elide) {
  out += "dense<" + typeToString(data.type) + "> ";
  if (elide >= 0 && data.numElements() > elide) {
    out += "elided";
    return;
  }
  static const char *hex = "0123456789ABCDEF";
  out += "\"0x";
  out.reserve(out.size() + data.bytes->size() * 2 + 1);
  for (uint8_t b : *data.bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  out += '"';
}

void printAttr(std::string &out, const Attribute &attr, int64_t elide) {
  if (auto *i = std::get_if<int64_t>(&attr)) {
    out += std::to_string(*i);
  } else if (auto *f = std::get_if<double>(&attr)) {
    out += printFloat(*f);
  } else if (auto *s = std::get_if<std::string>(&attr)) {
    out += quoteString(*s);
  } else if (auto *is = std::get_if<std::vector<int64_t>>(&attr)) {
    out += '[';
    for (size_t k = 0; k < is->size(); ++k)
      out += (k ? ", " : "") + std::to_string((*is)[k]);
    out += ']';
  } else if (auto *fs = std::get_if<std::vector<double>>(&attr)) {
    out += '[';
    for (size_t k = 0; k < fs->size(); ++k)
      out += (k ? ", " : "") + printFloat((*fs)[k]);
    out += ']';
  } else if (auto *d = std::get_if<DType>(&attr)) {
    out += dtypeName(*d);
  } else if (auto *ds = std::get_if<Shape>(&attr)) {
    out += '[';
    for (size_t k = 0; k < ds->size(); ++k) {
      const Dim &dim = (*ds)[k];
      out += k ? ", " : "";
      out +=
          dim.isStatic() ? std::to_string(dim.value()) : "?" + dim.symbolName();
    }
    out += ']';
  } else {
    printTensor(out, std::get<TensorData>(attr), elide);
  }
}
} // namespace

std::string printAttribute(const Attribute &attr) {
  std::string out;
  printAttr(out, attr, -1);
  return out;
}

std::string printGraph(const Graph &graph, const PrintOptions &options) {
  std::string out = "graph @" + printName(graph.name()) + "(";
  for (size_t i = 0; i < graph.inputs().size(); ++i) {
    const Value *in = graph.inputs()[i];
    out += (i ? ", " : "") + printValue(in) + ": " + typeToString(in->type());
  }
  out += ") -> (";
  for (size_t i = 0; i < graph.outputs().size(); ++i)
    out += (i ? ", " : "") + printValue(graph.outputs()[i]);
  out += ") {\n";
  auto printArg = [](const SymbolArg &a) {
    if (const auto *name = std::get_if<std::string>(&a))
      return "?" + *name;
    return std::to_string(std::get<int64_t>(a));
  };
  for (const SymbolDef &def : graph.symbolDefs()) {
    out += "  symbol ?" + def.name + " = " +
           std::string(symbolOpName(def.op));
    if (def.op == SymbolOp::Value || def.op == SymbolOp::Load)
      out += " %" + printName(def.input) + "[" + std::to_string(def.element) +
             "]";
    if (def.op == SymbolOp::Value && def.scale != 1)
      out += " * " + std::to_string(def.scale);
    if (def.op == SymbolOp::Load)
      out += " max " + std::to_string(def.bound);
    if (def.op == SymbolOp::Split) {
      out += " %" + printName(def.input) + " " + quoteString(def.delimiter);
      if (def.maxSplit >= 0)
        out += " maxsplit " + std::to_string(def.maxSplit);
    }
    for (size_t i = 0; i < def.args.size(); ++i)
      out += (i ? ", " : " ") + printArg(def.args[i]);
    out += '\n';
  }
  for (const Requirement &r : graph.requirements())
    out += "  require ?" + r.condition + " " + quoteString(r.message) + "\n";
  for (const auto &node : graph.nodes()) {
    out += "  ";
    for (size_t i = 0; i < node->results().size(); ++i)
      out += (i ? ", " : "") + printValue(node->result(i));
    out += " = ";
    out += opName(node->kind());
    out += '(';
    for (size_t i = 0; i < node->numOperands(); ++i)
      out += (i ? ", " : "") + printValue(node->operand(i));
    out += ')';
    if (!node->attrs().empty()) {
      out += " {";
      bool first = true;
      for (const auto &[key, attr] : node->attrs()) {
        out += (first ? "" : ", ") + key + " = ";
        printAttr(out, attr, options.elideConstantsAbove);
        first = false;
      }
      out += '}';
    }
    if (node->group() >= 0)
      out += " group(" + std::to_string(node->group()) + ")";
    out += " : ";
    for (size_t i = 0; i < node->results().size(); ++i)
      out += (i ? ", " : "") + typeToString(node->result(i)->type());
    if (!node->name().empty())
      out += " loc(" + quoteString(node->name()) + ")";
    out += '\n';
  }
  out += "}\n";
  return out;
}

} // namespace mlc
