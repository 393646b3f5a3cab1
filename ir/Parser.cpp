// Parses the textual form printed by Printer.cpp (a hand-written recursive
// descent parser with line:column diagnostics).
#include "ir/Parser.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace mlc {

namespace {

class Parser {
public:
  Parser(std::string_view text, std::string_view bufferName)
      : text_(text), bufferName_(bufferName) {}

  Expected<Graph> parse();

private:
  // Lexing helpers.
  void skipSpace();
  bool atEnd() {
    skipSpace();
    return pos_ >= text_.size();
  }
  char peek() {
    skipSpace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool consumeIf(std::string_view token);
  Status expect(std::string_view token);
  Expected<std::string> parseIdentifier();
  Expected<std::string> parseName();
  Expected<std::string> parseQuoted();
  Expected<TensorType> parseType();
  Expected<Attribute> parseAttribute();
  Expected<std::string> parseNumberToken();
  Expected<double> parseFloatToken(const std::string &token);
  Expected<int64_t> parseIntToken(const std::string &token);
  Expected<Value *> parseValueRef();
  Status parseNode();
  Status parseSymbolDef();
  Status parseRequirement();
  Expected<SymbolArg> parseSymbolArg();

  Error error(const std::string &message) {
    return error(message, pos_);
  }
  Error error(const std::string &message, size_t at) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return makeError(std::string(bufferName_) + ":" + std::to_string(line) +
                     ":" + std::to_string(col) + ": error: " + message);
  }

  std::string_view text_;
  std::string_view bufferName_;
  size_t pos_ = 0;
  Graph graph_;
};

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '$' ||
         c == '-';
}

void Parser::skipSpace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '#') {
      while (pos_ < text_.size() && text_[pos_] != '\n')
        ++pos_;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else {
      break;
    }
  }
}

bool Parser::consumeIf(std::string_view token) {
  skipSpace();
  if (text_.substr(pos_, token.size()) != token)
    return false;
  // Keywords must not be a prefix of a longer identifier.
  if (isNameChar(token.back()) && pos_ + token.size() < text_.size() &&
      isNameChar(text_[pos_ + token.size()]))
    return false;
  pos_ += token.size();
  return true;
}

Status Parser::expect(std::string_view token) {
  if (consumeIf(token))
    return Status::success();
  return error("expected '" + std::string(token) + "'");
}

Expected<std::string> Parser::parseIdentifier() {
  skipSpace();
  size_t start = pos_;
  while (pos_ < text_.size() &&
         ((text_[pos_] >= 'a' && text_[pos_] <= 'z') ||
          (text_[pos_] >= 'A' && text_[pos_] <= 'Z') ||
          (text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '_'))
    ++pos_;
  if (start == pos_)
    return error("expected an identifier");
  return std::string(text_.substr(start, pos_ - start));
}

Expected<std::string> Parser::parseQuoted() {
  skipSpace();
  if (pos_ >= text_.size() || text_[pos_] != '"')
    return error("expected a string");
  size_t start = pos_++;
  std::string out;
  while (true) {
    if (pos_ >= text_.size())
      return error("unterminated string", start);
    char c = text_[pos_++];
    if (c == '"')
      break;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (pos_ >= text_.size())
      return error("unterminated string", start);
    char e = text_[pos_];
    if (e == '"' || e == '\\') {
      out += e;
      ++pos_;
      continue;
    }
    if (pos_ + 2 > text_.size())
      return error("bad escape in string");
    unsigned value = 0;
    auto res = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 2,
                               value, 16);
    if (res.ec != std::errc() || res.ptr != text_.data() + pos_ + 2)
      return error("bad escape in string");
    out += static_cast<char>(value);
    pos_ += 2;
  }
  return out;
}

Expected<std::string> Parser::parseName() {
  skipSpace();
  if (peek() == '"')
    return parseQuoted();
  size_t start = pos_;
  while (pos_ < text_.size() && isNameChar(text_[pos_]))
    ++pos_;
  if (start == pos_)
    return error("expected a name");
  return std::string(text_.substr(start, pos_ - start));
}

Expected<TensorType> Parser::parseType() {
  skipSpace();
  size_t at = pos_;
  Expected<std::string> dtypeName = parseIdentifier();
  if (!dtypeName)
    return dtypeName.error();
  std::optional<DType> dtype = parseDType(*dtypeName);
  if (!dtype)
    return error("unknown element type '" + *dtypeName + "'", at);
  TensorType type;
  type.dtype = *dtype;
  MLC_RETURN_IF_ERROR(expect("["));
  if (consumeIf("]"))
    return type;
  while (true) {
    skipSpace();
    if (consumeIf("?")) {
      Expected<std::string> sym = parseIdentifier();
      if (!sym)
        return sym.error();
      type.shape.push_back(Dim::symbol(*sym));
    } else {
      size_t dimAt = pos_;
      Expected<std::string> tok = parseNumberToken();
      if (!tok)
        return tok.error();
      Expected<int64_t> v = parseIntToken(*tok);
      if (!v || *v < 0)
        return error("dims must be non-negative integers", dimAt);
      type.shape.push_back(Dim(*v));
    }
    if (consumeIf("]"))
      break;
    MLC_RETURN_IF_ERROR(expect(","));
  }
  return type;
}

Expected<std::string> Parser::parseNumberToken() {
  skipSpace();
  size_t start = pos_;
  if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+'))
    ++pos_;
  while (pos_ < text_.size() &&
         (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
          text_[pos_] == '.' ||
          ((text_[pos_] == '-' || text_[pos_] == '+') &&
           (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))))
    ++pos_;
  if (start == pos_)
    return error("expected a number");
  return std::string(text_.substr(start, pos_ - start));
}

Expected<int64_t> Parser::parseIntToken(const std::string &token) {
  int64_t v = 0;
  const char *b = token.data(), *e = token.data() + token.size();
  if (*b == '+')
    ++b;
  auto res = std::from_chars(b, e, v);
  if (res.ec != std::errc() || res.ptr != e)
    return error("invalid integer '" + token + "'");
  return v;
}

Expected<double> Parser::parseFloatToken(const std::string &token) {
  if (token == "nan")
    return std::numeric_limits<double>::quiet_NaN();
  if (token == "inf" || token == "+inf")
    return std::numeric_limits<double>::infinity();
  if (token == "-inf")
    return -std::numeric_limits<double>::infinity();
  double v = 0;
  const char *b = token.data(), *e = token.data() + token.size();
  if (*b == '+')
    ++b;
  auto res = std::from_chars(b, e, v);
  if (res.ec != std::errc() || res.ptr != e)
    return error("invalid number '" + token + "'");
  return v;
}

static bool looksFloat(const std::string &t) {
  return t.find_first_of(".eE") != std::string::npos || t == "nan" ||
         t == "inf" || t == "-inf" || t == "+inf";
}

Expected<Attribute> Parser::parseAttribute() {
  char c = peek();
  if (c == '"') {
    Expected<std::string> s = parseQuoted();
    if (!s)
      return s.error();
    return Attribute(*s);
  }
  if (c == '[') {
    ++pos_;
    std::vector<std::string> tokens;
    bool anySymbol = false;
    if (!consumeIf("]")) {
      while (true) {
        skipSpace();
        if (consumeIf("?")) {
          // A dim list entry: `?name`.
          Expected<std::string> sym = parseIdentifier();
          if (!sym)
            return sym.error();
          tokens.push_back("?" + *sym);
          anySymbol = true;
          if (consumeIf("]"))
            break;
          MLC_RETURN_IF_ERROR(expect(","));
          continue;
        }
        Expected<std::string> t = parseNumberToken();
        if (!t)
          return t.error();
        tokens.push_back(*t);
        if (consumeIf("]"))
          break;
        MLC_RETURN_IF_ERROR(expect(","));
      }
    }
    if (anySymbol) {
      Shape dims;
      for (const std::string &t : tokens) {
        if (t[0] == '?') {
          dims.push_back(Dim::symbol(t.substr(1)));
          continue;
        }
        // Negative entries: each op's type rule says where they may be
        // (symbol_values holds any integers).
        Expected<int64_t> v = parseIntToken(t);
        if (!v)
          return error("dim list entries must be integers or ?symbols");
        dims.push_back(Dim(*v));
      }
      return Attribute(dims);
    }
    bool anyFloat = false;
    for (const std::string &t : tokens)
      anyFloat |= looksFloat(t);
    if (anyFloat) {
      std::vector<double> values;
      for (const std::string &t : tokens) {
        Expected<double> v = parseFloatToken(t);
        if (!v)
          return v.error();
        values.push_back(*v);
      }
      return Attribute(values);
    }
    std::vector<int64_t> values;
    for (const std::string &t : tokens) {
      Expected<int64_t> v = parseIntToken(t);
      if (!v)
        return v.error();
      values.push_back(*v);
    }
    return Attribute(values);
  }
  if (consumeIf("dense")) {
    MLC_RETURN_IF_ERROR(expect("<"));
    Expected<TensorType> type = parseType();
    if (!type)
      return type.error();
    MLC_RETURN_IF_ERROR(expect(">"));
    if (consumeIf("elided"))
      return error("cannot parse an elided constant (print with full "
                   "constants to round-trip)");
    size_t at = pos_;
    Expected<std::string> hex = parseQuoted();
    if (!hex)
      return hex.error();
    if (hex->size() < 2 || hex->substr(0, 2) != "0x" || hex->size() % 2)
      return error("tensor data must be a hex string \"0x...\"", at);
    std::vector<uint8_t> bytes((hex->size() - 2) / 2);
    for (size_t i = 0; i < bytes.size(); ++i) {
      unsigned v = 0;
      const char *b = hex->data() + 2 + 2 * i;
      auto res = std::from_chars(b, b + 2, v, 16);
      if (res.ec != std::errc() || res.ptr != b + 2)
        return error("invalid hex digit in tensor data", at);
      bytes[i] = static_cast<uint8_t>(v);
    }
    Expected<TensorData> data = makeTensorData(*type, std::move(bytes));
    if (!data)
      return error(data.message(), at);
    return Attribute(data.take());
  }
  if (std::isalpha(static_cast<unsigned char>(c))) {
    size_t at = pos_;
    Expected<std::string> id = parseIdentifier();
    if (!id)
      return id.error();
    if (*id == "nan" || *id == "inf")
      return Attribute(*parseFloatToken(*id));
    if (std::optional<DType> d = parseDType(*id))
      return Attribute(*d);
    return error("unknown attribute value '" + *id + "'", at);
  }
  Expected<std::string> t = parseNumberToken();
  if (!t)
    return t.error();
  if (looksFloat(*t)) {
    Expected<double> v = parseFloatToken(*t);
    if (!v)
      return v.error();
    return Attribute(*v);
  }
  Expected<int64_t> v = parseIntToken(*t);
  if (!v)
    return v.error();
  return Attribute(*v);
}

Expected<Value *> Parser::parseValueRef() {
  size_t at = pos_;
  MLC_RETURN_IF_ERROR(expect("%"));
  Expected<std::string> name = parseName();
  if (!name)
    return name.error();
  Value *v = graph_.findValue(*name);
  if (!v)
    return error("use of undefined value '%" + *name + "'", at);
  return v;
}

Status Parser::parseNode() {
  size_t nodeAt = pos_;
  std::vector<std::string> resultNames;
  while (true) {
    MLC_RETURN_IF_ERROR(expect("%"));
    Expected<std::string> name = parseName();
    if (!name)
      return name.error();
    if (graph_.findValue(*name))
      return error("redefinition of value '%" + *name + "'", nodeAt);
    resultNames.push_back(*name);
    if (!consumeIf(","))
      break;
  }
  MLC_RETURN_IF_ERROR(expect("="));
  size_t opAt = pos_;
  skipSpace();
  opAt = pos_;
  Expected<std::string> opNameStr = parseIdentifier();
  if (!opNameStr)
    return opNameStr.error();
  std::optional<OpKind> kind = parseOpKind(*opNameStr);
  if (!kind)
    return error("unknown op '" + *opNameStr + "'", opAt);
  MLC_RETURN_IF_ERROR(expect("("));
  std::vector<Value *> operands;
  if (!consumeIf(")")) {
    while (true) {
      Expected<Value *> v = parseValueRef();
      if (!v)
        return v.error();
      operands.push_back(*v);
      if (consumeIf(")"))
        break;
      MLC_RETURN_IF_ERROR(expect(","));
    }
  }
  AttributeMap attrs;
  if (consumeIf("{")) {
    while (true) {
      size_t keyAt = pos_;
      Expected<std::string> key = parseIdentifier();
      if (!key)
        return key.error();
      MLC_RETURN_IF_ERROR(expect("="));
      Expected<Attribute> attr = parseAttribute();
      if (!attr)
        return attr.error();
      if (!attrs.emplace(*key, attr.take()).second)
        return error("duplicate attribute '" + *key + "'", keyAt);
      if (consumeIf("}"))
        break;
      MLC_RETURN_IF_ERROR(expect(","));
    }
  }
  int64_t group = -1;
  if (consumeIf("group")) {
    MLC_RETURN_IF_ERROR(expect("("));
    size_t at = pos_;
    Expected<std::string> t = parseNumberToken();
    if (!t)
      return t.error();
    Expected<int64_t> g = parseIntToken(*t);
    if (!g || *g < 0)
      return error("group id must be a non-negative integer", at);
    group = *g;
    MLC_RETURN_IF_ERROR(expect(")"));
  }
  MLC_RETURN_IF_ERROR(expect(":"));
  std::vector<TensorType> types;
  while (true) {
    Expected<TensorType> t = parseType();
    if (!t)
      return t.error();
    types.push_back(t.take());
    if (!consumeIf(","))
      break;
  }
  std::string sourceName;
  if (consumeIf("loc")) {
    MLC_RETURN_IF_ERROR(expect("("));
    Expected<std::string> s = parseQuoted();
    if (!s)
      return s.error();
    sourceName = *s;
    MLC_RETURN_IF_ERROR(expect(")"));
  }
  if (types.size() != resultNames.size())
    return error(std::to_string(resultNames.size()) + " results but " +
                     std::to_string(types.size()) + " types",
                 nodeAt);
  Expected<Node *> node =
      graph_.addNodeWithTypes(*kind, std::move(operands), std::move(attrs),
                              std::move(types), sourceName, resultNames);
  if (!node)
    return error(node.message(), nodeAt);
  (*node)->setGroup(group);
  return Status::success();
}

Expected<SymbolArg> Parser::parseSymbolArg() {
  if (consumeIf("?")) {
    Expected<std::string> sym = parseIdentifier();
    if (!sym)
      return sym.error();
    return SymbolArg(*sym);
  }
  Expected<std::string> tok = parseNumberToken();
  if (!tok)
    return tok.error();
  Expected<int64_t> v = parseIntToken(*tok);
  if (!v)
    return v.error();
  return SymbolArg(*v);
}

/// `symbol ?name = op args`, `symbol ?name = value %input[element]`,
/// `load %value[element] max N` or `split %input "delimiter" [maxsplit N]`.
Status Parser::parseSymbolDef() {
  MLC_RETURN_IF_ERROR(expect("?"));
  Expected<std::string> name = parseIdentifier();
  if (!name)
    return name.error();
  MLC_RETURN_IF_ERROR(expect("="));
  size_t opAt = pos_;
  Expected<std::string> opText = parseIdentifier();
  if (!opText)
    return opText.error();
  std::optional<SymbolOp> op = parseSymbolOp(*opText);
  if (!op)
    return error("unknown symbol op '" + *opText + "'", opAt);
  SymbolDef def;
  def.name = *name;
  def.op = *op;
  if (*op == SymbolOp::Value || *op == SymbolOp::Load) {
    MLC_RETURN_IF_ERROR(expect("%"));
    Expected<std::string> input = parseName();
    if (!input)
      return input.error();
    def.input = *input;
    MLC_RETURN_IF_ERROR(expect("["));
    Expected<std::string> tok = parseNumberToken();
    if (!tok)
      return tok.error();
    Expected<int64_t> element = parseIntToken(*tok);
    if (!element)
      return element.error();
    def.element = *element;
    MLC_RETURN_IF_ERROR(expect("]"));
    if (*op == SymbolOp::Value && consumeIf("*")) {
      Expected<std::string> stok = parseNumberToken();
      if (!stok)
        return stok.error();
      Expected<int64_t> scale = parseIntToken(*stok);
      if (!scale)
        return scale.error();
      def.scale = *scale;
    }
    if (*op == SymbolOp::Load) {
      MLC_RETURN_IF_ERROR(expect("max"));
      Expected<std::string> btok = parseNumberToken();
      if (!btok)
        return btok.error();
      Expected<int64_t> bound = parseIntToken(*btok);
      if (!bound)
        return bound.error();
      def.bound = *bound;
    }
  } else if (*op == SymbolOp::Split) {
    // `split %input "delimiter" [maxsplit N]`.
    MLC_RETURN_IF_ERROR(expect("%"));
    Expected<std::string> input = parseName();
    if (!input)
      return input.error();
    def.input = *input;
    Expected<std::string> delimiter = parseQuoted();
    if (!delimiter)
      return delimiter.error();
    def.delimiter = *delimiter;
    if (consumeIf("maxsplit")) {
      Expected<std::string> tok = parseNumberToken();
      if (!tok)
        return tok.error();
      Expected<int64_t> maxSplit = parseIntToken(*tok);
      if (!maxSplit)
        return maxSplit.error();
      if (*maxSplit < 0)
        return error("maxsplit must be non-negative (leave it out for no "
                     "limit)");
      def.maxSplit = *maxSplit;
    }
  } else {
    for (int i = 0; i < symbolOpArity(*op); ++i) {
      if (i)
        MLC_RETURN_IF_ERROR(expect(","));
      Expected<SymbolArg> arg = parseSymbolArg();
      if (!arg)
        return arg.error();
      def.args.push_back(arg.take());
    }
  }
  graph_.addSymbolDef(std::move(def));
  return Status::success();
}

/// `require ?condition "message"`.
Status Parser::parseRequirement() {
  MLC_RETURN_IF_ERROR(expect("?"));
  Expected<std::string> name = parseIdentifier();
  if (!name)
    return name.error();
  Expected<std::string> message = parseQuoted();
  if (!message)
    return message.error();
  graph_.addRequirement(Requirement{*name, *message});
  return Status::success();
}

Expected<Graph> Parser::parse() {
  MLC_RETURN_IF_ERROR(expect("graph"));
  MLC_RETURN_IF_ERROR(expect("@"));
  Expected<std::string> name = parseName();
  if (!name)
    return name.error();
  graph_.setName(*name);
  MLC_RETURN_IF_ERROR(expect("("));
  if (!consumeIf(")")) {
    while (true) {
      size_t at = pos_;
      MLC_RETURN_IF_ERROR(expect("%"));
      Expected<std::string> inName = parseName();
      if (!inName)
        return inName.error();
      MLC_RETURN_IF_ERROR(expect(":"));
      Expected<TensorType> type = parseType();
      if (!type)
        return type.error();
      Expected<Value *> in = graph_.addInput(*inName, type.take());
      if (!in)
        return error(in.message(), at);
      if (consumeIf(")"))
        break;
      MLC_RETURN_IF_ERROR(expect(","));
    }
  }
  MLC_RETURN_IF_ERROR(expect("->"));
  MLC_RETURN_IF_ERROR(expect("("));
  std::vector<std::pair<std::string, size_t>> outputNames;
  if (!consumeIf(")")) {
    while (true) {
      size_t at = pos_;
      MLC_RETURN_IF_ERROR(expect("%"));
      Expected<std::string> outName = parseName();
      if (!outName)
        return outName.error();
      outputNames.push_back({*outName, at});
      if (consumeIf(")"))
        break;
      MLC_RETURN_IF_ERROR(expect(","));
    }
  }
  MLC_RETURN_IF_ERROR(expect("{"));
  while (!consumeIf("}")) {
    if (atEnd())
      return error("expected '}' at the end of the graph");
    if (consumeIf("symbol")) {
      MLC_RETURN_IF_ERROR(parseSymbolDef());
      continue;
    }
    if (consumeIf("require")) {
      MLC_RETURN_IF_ERROR(parseRequirement());
      continue;
    }
    MLC_RETURN_IF_ERROR(parseNode());
  }
  if (!atEnd())
    return error("unexpected text after the graph");
  std::vector<Value *> outputs;
  for (const auto &[outName, at] : outputNames) {
    Value *v = graph_.findValue(outName);
    if (!v)
      return error("graph output '%" + outName + "' is not defined", at);
    outputs.push_back(v);
  }
  graph_.setOutputs(std::move(outputs));
  Status st = verify(graph_);
  if (!st)
    return makeError(std::string(bufferName_) + ": error: " + st.message());
  return std::move(graph_);
}

} // namespace

Expected<Graph> parseGraph(std::string_view text, std::string_view bufferName) {
  Parser parser(text, bufferName);
  return parser.parse();
}

} // namespace mlc
