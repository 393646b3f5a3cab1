// Symbol definitions and run-time requirements of a graph: dims computed
// from input values and from other dims (docs/ir.md, "Symbol definitions").
#include "ir/Graph.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>

namespace mlc {

namespace {

struct SymbolOpInfo {
  SymbolOp op;
  std::string_view name;
  int arity;
};

constexpr std::array<SymbolOpInfo, 13> kSymbolOps = {{
    {SymbolOp::Value, "value", 0},
    {SymbolOp::Add, "add", 2},
    {SymbolOp::Sub, "sub", 2},
    {SymbolOp::Mul, "mul", 2},
    {SymbolOp::FloorDiv, "floordiv", 2},
    {SymbolOp::Mod, "mod", 2},
    {SymbolOp::Min, "min", 2},
    {SymbolOp::Max, "max", 2},
    {SymbolOp::Eq, "eq", 2},
    {SymbolOp::Lt, "lt", 2},
    {SymbolOp::Select, "select", 3},
    {SymbolOp::Load, "load", 0},
    {SymbolOp::Split, "split", 0},
}};

bool isCommutative(SymbolOp op) {
  return op == SymbolOp::Add || op == SymbolOp::Mul || op == SymbolOp::Min ||
         op == SymbolOp::Max || op == SymbolOp::Eq;
}

/// Constants before symbols, then by value or name.
bool argLess(const SymbolArg &a, const SymbolArg &b) {
  if (a.index() != b.index())
    return a.index() < b.index();
  return a < b;
}

bool isConst(const SymbolArg &a, int64_t v) {
  return std::holds_alternative<int64_t>(a) && std::get<int64_t>(a) == v;
}

} // namespace

std::string_view symbolOpName(SymbolOp op) {
  return kSymbolOps[static_cast<size_t>(op)].name;
}

std::optional<SymbolOp> parseSymbolOp(std::string_view name) {
  for (const SymbolOpInfo &info : kSymbolOps)
    if (info.name == name)
      return info.op;
  return std::nullopt;
}

int symbolOpArity(SymbolOp op) {
  return kSymbolOps[static_cast<size_t>(op)].arity;
}

std::optional<int64_t> evaluateSymbolOp(SymbolOp op,
                                        const std::vector<int64_t> &args) {
  int64_t r = 0;
  switch (op) {
  case SymbolOp::Value:
  case SymbolOp::Load:
  case SymbolOp::Split:
    return std::nullopt;
  case SymbolOp::Add:
    if (__builtin_add_overflow(args[0], args[1], &r))
      return std::nullopt;
    return r;
  case SymbolOp::Sub:
    if (__builtin_sub_overflow(args[0], args[1], &r))
      return std::nullopt;
    return r;
  case SymbolOp::Mul:
    if (__builtin_mul_overflow(args[0], args[1], &r))
      return std::nullopt;
    return r;
  case SymbolOp::FloorDiv:
  case SymbolOp::Mod: {
    int64_t a = args[0], b = args[1];
    if (b == 0)
      return 0;
    if (a == INT64_MIN && b == -1)
      return op == SymbolOp::Mod ? std::optional<int64_t>(0) : std::nullopt;
    int64_t q = a / b, m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) {
      --q;
      m += b;
    }
    return op == SymbolOp::FloorDiv ? q : m;
  }
  case SymbolOp::Min:
    return std::min(args[0], args[1]);
  case SymbolOp::Max:
    return std::max(args[0], args[1]);
  case SymbolOp::Eq:
    return args[0] == args[1] ? 1 : 0;
  case SymbolOp::Lt:
    return args[0] < args[1] ? 1 : 0;
  case SymbolOp::Select:
    return args[0] != 0 ? args[1] : args[2];
  }
  return std::nullopt;
}

Dim symbolArgDim(const SymbolArg &arg) {
  if (const auto *s = std::get_if<std::string>(&arg))
    return Dim::symbol(*s);
  return Dim(std::get<int64_t>(arg));
}

std::vector<std::string> Graph::inputSymbols() const {
  std::vector<std::string> symbols;
  for (const Value *in : inputs_)
    for (const Dim &d : in->type().shape)
      if (!d.isStatic() && std::find(symbols.begin(), symbols.end(),
                                     d.symbolName()) == symbols.end())
        symbols.push_back(d.symbolName());
  return symbols;
}

bool Graph::isNonNegative(const SymbolArg &arg) const {
  if (const auto *c = std::get_if<int64_t>(&arg))
    return *c >= 0;
  const std::string &name = std::get<std::string>(arg);
  for (const SymbolDef &def : symbolDefs_) {
    if (def.name != name)
      continue;
    switch (def.op) {
    case SymbolOp::Eq:
    case SymbolOp::Lt:
    case SymbolOp::Load:
    case SymbolOp::Split:
      return true;
    case SymbolOp::Add:
    case SymbolOp::Mul:
    case SymbolOp::Min:
      return isNonNegative(def.args[0]) && isNonNegative(def.args[1]);
    case SymbolOp::Max:
      return isNonNegative(def.args[0]) || isNonNegative(def.args[1]);
    case SymbolOp::Select:
      return isNonNegative(def.args[1]) && isNonNegative(def.args[2]);
    case SymbolOp::FloorDiv:
      return isNonNegative(def.args[0]) && isNonNegative(def.args[1]);
    case SymbolOp::Mod:
      return isNonNegative(def.args[1]);
    default:
      return false;
    }
  }
  // Input-shape symbols are extents.
  for (const Value *in : inputs_)
    for (const Dim &d : in->type().shape)
      if (!d.isStatic() && d.symbolName() == name)
        return true;
  return false;
}

bool Graph::isKnownSymbol(const std::string &name) const {
  for (const SymbolDef &def : symbolDefs_)
    if (def.name == name)
      return true;
  for (const Value *in : inputs_)
    for (const Dim &d : in->type().shape)
      if (!d.isStatic() && d.symbolName() == name)
        return true;
  return false;
}

bool Graph::isLateSymbol(const std::string &name) const {
  for (const SymbolDef &def : symbolDefs_) {
    if (def.name != name)
      continue;
    if (def.op == SymbolOp::Load)
      return true;
    for (const SymbolArg &a : def.args)
      if (const auto *s = std::get_if<std::string>(&a); s && isLateSymbol(*s))
        return true;
    return false;
  }
  return false;
}

Expected<std::string> Graph::defineLoadSymbol(const Value *value,
                                              int64_t element, int64_t bound) {
  if (!value || !value->producer())
    return makeError("load symbols read node results");
  DType t = value->type().dtype;
  if ((t != DType::I64 && t != DType::I32) || !isStatic(value->type().shape))
    return makeError("load symbols read i32 or i64 values of static shape");
  Expected<int64_t> count = elementCount(value->type().shape);
  if (!count)
    return count.error();
  if (element < 0 || element >= *count || bound < 0)
    return makeError("bad element or bound for a load symbol");
  std::string name;
  do {
    name = "k" + std::to_string(nextSymbolId_++);
  } while (isKnownSymbol(name));
  SymbolDef def{name, SymbolOp::Load, {}, value->name(), element};
  def.bound = bound;
  symbolDefs_.push_back(std::move(def));
  return name;
}

Expected<SymbolArg> Graph::defineSymbol(SymbolOp op,
                                        std::vector<SymbolArg> args) {
  if (op == SymbolOp::Value || op == SymbolOp::Load || op == SymbolOp::Split ||
      static_cast<int>(args.size()) != symbolOpArity(op))
    return makeError("symbol op '" + std::string(symbolOpName(op)) +
                     "' takes " + std::to_string(symbolOpArity(op)) +
                     " operands, got " + std::to_string(args.size()));
  bool allConst = true;
  std::vector<int64_t> values;
  for (const SymbolArg &a : args) {
    if (const auto *s = std::get_if<std::string>(&a)) {
      if (!isKnownSymbol(*s))
        return makeError("unknown symbol ?" + *s);
      allConst = false;
    } else {
      values.push_back(std::get<int64_t>(a));
    }
  }
  if (allConst) {
    std::optional<int64_t> v = evaluateSymbolOp(op, values);
    if (!v)
      return makeError("symbol arithmetic overflows int64");
    return SymbolArg(*v);
  }
  if (isCommutative(op))
    std::sort(args.begin(), args.end(), argLess);
  // max(0, x) and max(x, c) fold where x is known to be non-negative (a
  // dim, a count, a comparison), and -(-x) is x.
  if ((op == SymbolOp::Max) && std::holds_alternative<int64_t>(args[0]) &&
      std::get<int64_t>(args[0]) <= 0 && isNonNegative(args[1]))
    return args[1];
  if (op == SymbolOp::Sub && isConst(args[0], 0))
    if (const auto *name = std::get_if<std::string>(&args[1]))
      for (const SymbolDef &def : symbolDefs_)
        if (def.name == *name && def.op == SymbolOp::Sub &&
            isConst(def.args[0], 0))
          return def.args[1];
  // Identities (commutative ops have their constant first).
  switch (op) {
  case SymbolOp::Add:
    if (isConst(args[0], 0))
      return args[1];
    break;
  case SymbolOp::Sub:
    if (isConst(args[1], 0))
      return args[0];
    if (args[0] == args[1])
      return SymbolArg(int64_t{0});
    break;
  case SymbolOp::Mul:
    if (isConst(args[0], 1))
      return args[1];
    if (isConst(args[0], 0))
      return SymbolArg(int64_t{0});
    break;
  case SymbolOp::FloorDiv:
    if (isConst(args[1], 1))
      return args[0];
    // (c1 * x) / c2 with c2 dividing c1: (c1 / c2) * x.
    if (const auto *c2 = std::get_if<int64_t>(&args[1]); c2 && *c2 > 0)
      if (const auto *name = std::get_if<std::string>(&args[0]))
        for (const SymbolDef &def : symbolDefs_)
          if (def.name == *name && def.op == SymbolOp::Mul)
            if (const auto *c1 = std::get_if<int64_t>(&def.args[0]);
                c1 && *c1 % *c2 == 0)
              return defineSymbol(SymbolOp::Mul, {*c1 / *c2, def.args[1]});
    break;
  case SymbolOp::Min:
  case SymbolOp::Max:
    if (args[0] == args[1])
      return args[0];
    break;
  case SymbolOp::Eq:
    if (args[0] == args[1])
      return SymbolArg(int64_t{1});
    break;
  case SymbolOp::Lt:
    if (args[0] == args[1])
      return SymbolArg(int64_t{0});
    break;
  case SymbolOp::Select:
    if (const auto *c = std::get_if<int64_t>(&args[0]))
      return *c != 0 ? args[1] : args[2];
    if (args[1] == args[2])
      return args[1];
    break;
  default:
    break;
  }
  for (const SymbolDef &def : symbolDefs_)
    if (def.op == op && def.args == args)
      return SymbolArg(def.name);
  std::string name;
  do {
    name = "s" + std::to_string(nextSymbolId_++);
  } while (isKnownSymbol(name));
  symbolDefs_.push_back(SymbolDef{name, op, std::move(args), {}, 0});
  return SymbolArg(name);
}

Expected<std::string> Graph::defineValueSymbol(const Value *input,
                                               int64_t element, int64_t scale) {
  if (scale < 1)
    return makeError("value symbols scale by a positive factor");
  if (std::find(inputs_.begin(), inputs_.end(), input) == inputs_.end())
    return makeError("value symbols read graph inputs only");
  DType t = input->type().dtype;
  if (t != DType::I64 && t != DType::I32 && t != DType::F32 && t != DType::F64)
    return makeError("value symbols read i32, i64, f32 or f64 inputs only");
  if (!isStatic(input->type().shape))
    return makeError("value symbols read inputs of static shape only");
  Expected<int64_t> count = elementCount(input->type().shape);
  if (!count)
    return count.error();
  if (element < 0 || element >= *count)
    return makeError("element " + std::to_string(element) + " of input %" +
                     input->name() + " is out of range");
  for (const SymbolDef &def : symbolDefs_)
    if (def.op == SymbolOp::Value && def.input == input->name() &&
        def.element == element && def.scale == scale)
      return def.name;
  std::string name;
  do {
    name = "v" + std::to_string(nextSymbolId_++);
  } while (isKnownSymbol(name));
  SymbolDef def{name, SymbolOp::Value, {}, input->name(), element};
  def.scale = scale;
  symbolDefs_.push_back(std::move(def));
  return name;
}

int Graph::removeUnusedSymbols() {
  std::set<std::string> used;
  auto useShape = [&](const Shape &shape) {
    for (const Dim &d : shape)
      if (!d.isStatic())
        used.insert(d.symbolName());
  };
  for (const auto &v : values_)
    useShape(v->type().shape);
  for (const auto &node : nodes_)
    for (const auto &[name, attr] : node->attrs())
      if (const auto *dims = std::get_if<Shape>(&attr))
        useShape(*dims);
  for (const Requirement &r : requirements_)
    used.insert(r.condition);
  // Definitions only use earlier ones: one backward sweep.
  for (auto it = symbolDefs_.rbegin(); it != symbolDefs_.rend(); ++it)
    if (used.count(it->name))
      for (const SymbolArg &a : it->args)
        if (const auto *s = std::get_if<std::string>(&a))
          used.insert(*s);
  size_t before = symbolDefs_.size();
  symbolDefs_.erase(std::remove_if(symbolDefs_.begin(), symbolDefs_.end(),
                                   [&](const SymbolDef &def) {
                                     return !used.count(def.name);
                                   }),
                    symbolDefs_.end());
  return static_cast<int>(before - symbolDefs_.size());
}

Expected<std::string> Graph::defineSplitSymbol(const Value *input,
                                               const std::string &delimiter,
                                               int64_t maxSplit) {
  if (std::find(inputs_.begin(), inputs_.end(), input) == inputs_.end())
    return makeError("split symbols read graph inputs only");
  if (input->type().dtype != DType::Str)
    return makeError("split symbols read str inputs only");
  // Negative: no limit; beyond any string's length the same as 2^63 - 2
  // (the serialized form stores maxSplit + 1).
  maxSplit = maxSplit < 0 ? -1 : std::min(maxSplit, INT64_MAX - 1);
  for (const SymbolDef &def : symbolDefs_)
    if (def.op == SymbolOp::Split && def.input == input->name() &&
        def.delimiter == delimiter && def.maxSplit == maxSplit)
      return def.name;
  std::string name;
  do {
    name = "w" + std::to_string(nextSymbolId_++);
  } while (isKnownSymbol(name));
  SymbolDef def{name, SymbolOp::Split, {}, input->name(), 0};
  def.delimiter = delimiter;
  def.maxSplit = maxSplit;
  symbolDefs_.push_back(std::move(def));
  return name;
}

Status Graph::require(const SymbolArg &condition, std::string message) {
  if (const auto *c = std::get_if<int64_t>(&condition)) {
    if (*c != 0)
      return Status::success();
    return makeError(message);
  }
  const std::string &name = std::get<std::string>(condition);
  if (!isKnownSymbol(name))
    return makeError("unknown symbol ?" + name);
  for (const Requirement &r : requirements_)
    if (r.condition == name)
      return Status::success();
  requirements_.push_back(Requirement{name, std::move(message)});
  return Status::success();
}

} // namespace mlc
