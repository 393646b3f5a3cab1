// The regex compiler of regex_full_match (see Regex.h): a recursive descent
// parser into a small tree, then Thompson's construction over bytes.
#include "ir/Regex.h"

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace mlc {

namespace {

/// Most instructions a program may have (counted repetition copies).
constexpr size_t kMaxInstructions = 1 << 16;
/// Deepest nesting of groups (and of repetitions of repetitions).
constexpr int kMaxNesting = 200;

/// A set of ASCII bytes, and whether non-ASCII characters match too.
struct CharSet {
  std::array<bool, 128> ascii{};
  bool nonAscii = false;
};

struct Node {
  enum class Kind { Empty, Bytes, Set, Concat, Alt, Repeat, Assert };
  Kind kind = Kind::Empty;
  std::string bytes;                        ///< Bytes: the literal sequence.
  CharSet set;                              ///< Set: one character of the set.
  std::vector<std::unique_ptr<Node>> parts; ///< Concat, Alt; Repeat: one.
  int min = 0, max = -1;                    ///< Repeat; max -1: unbounded.
  int assertion = 0;                        ///< Assert: 0 ^, 1 $, 2 \b, 3 \B.
};

bool isWord(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/// Adds the class escape `c` (w, d, s or their capitals) to `set`.
void addClassEscape(CharSet &set, char c) {
  bool negate = c >= 'A' && c <= 'Z';
  char lower = negate ? static_cast<char>(c - 'A' + 'a') : c;
  for (int b = 0; b < 128; ++b) {
    bool in = lower == 'w'   ? isWord(static_cast<unsigned char>(b))
              : lower == 'd' ? (b >= '0' && b <= '9')
                             : (b == ' ' || (b >= '\t' && b <= '\r'));
    if (in != negate)
      set.ascii[static_cast<size_t>(b)] = true;
  }
  if (negate)
    set.nonAscii = true;
}

class Parser {
public:
  explicit Parser(std::string_view p) : p_(p) {}

  Expected<std::unique_ptr<Node>> parse() {
    auto n = alternation();
    if (!n)
      return n;
    if (at_ < p_.size())
      return fail("unexpected ')'");
    return n;
  }

private:
  Error fail(const std::string &why) const {
    return makeError("regex pattern: " + why + " at offset " +
                     std::to_string(at_));
  }

  Expected<std::unique_ptr<Node>> alternation() {
    auto first = concatenation();
    if (!first)
      return first;
    if (at_ >= p_.size() || p_[at_] != '|')
      return first;
    auto alt = std::make_unique<Node>();
    alt->kind = Node::Kind::Alt;
    alt->parts.push_back(first.take());
    while (at_ < p_.size() && p_[at_] == '|') {
      ++at_;
      auto next = concatenation();
      if (!next)
        return next;
      alt->parts.push_back(next.take());
    }
    return alt;
  }

  Expected<std::unique_ptr<Node>> concatenation() {
    auto cat = std::make_unique<Node>();
    cat->kind = Node::Kind::Concat;
    while (at_ < p_.size() && p_[at_] != '|' && p_[at_] != ')') {
      auto a = repetition();
      if (!a)
        return a;
      cat->parts.push_back(a.take());
    }
    return cat;
  }

  /// A decimal number for {n,m}; -1 when absent.
  int number() {
    int n = -1;
    while (at_ < p_.size() && p_[at_] >= '0' && p_[at_] <= '9' && n < 100000)
      n = (n < 0 ? 0 : n * 10) + (p_[at_++] - '0');
    return n;
  }

  Expected<std::unique_ptr<Node>> repetition() {
    auto atom = this->atom();
    if (!atom)
      return atom;
    std::unique_ptr<Node> node = atom.take();
    int quantifiers = 0;
    while (at_ < p_.size()) {
      int lo, hi;
      char c = p_[at_];
      if (c == '*' || c == '+' || c == '?') {
        ++at_;
        lo = c == '+' ? 1 : 0;
        hi = c == '?' ? 1 : -1;
      } else if (c == '{' && at_ + 1 < p_.size() && p_[at_ + 1] >= '0' &&
                 p_[at_ + 1] <= '9') {
        ++at_;
        lo = number();
        hi = lo;
        if (at_ < p_.size() && p_[at_] == ',') {
          ++at_;
          hi = number();
        }
        if (at_ >= p_.size() || p_[at_] != '}')
          return fail("'{' without a closing '}'");
        ++at_;
        if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo))
          return fail("bad repetition count");
      } else {
        break;
      }
      if (at_ < p_.size() && p_[at_] == '?')
        ++at_; // lazy: the same under full matching
      if (node->kind == Node::Kind::Assert || node->kind == Node::Kind::Empty)
        return fail("nothing to repeat");
      if (++quantifiers > kMaxNesting)
        return fail("too many quantifiers in a row");
      auto rep = std::make_unique<Node>();
      rep->kind = Node::Kind::Repeat;
      rep->min = lo;
      rep->max = hi;
      rep->parts.push_back(std::move(node));
      node = std::move(rep);
    }
    return node;
  }

  Expected<std::unique_ptr<Node>> atom() {
    auto node = std::make_unique<Node>();
    char c = p_[at_++];
    switch (c) {
    case '(': {
      // Nesting is recursion here and in the emitter: bounded.
      if (++depth_ > kMaxNesting)
        return fail("groups nest more than " + std::to_string(kMaxNesting) +
                    " deep");
      if (at_ < p_.size() && p_[at_] == '?') {
        if (at_ + 1 < p_.size() && p_[at_ + 1] == ':')
          at_ += 2;
        else
          return fail("group flags and named groups are not supported");
      }
      auto inner = alternation();
      if (!inner)
        return inner;
      if (at_ >= p_.size() || p_[at_] != ')')
        return fail("'(' without a closing ')'");
      ++at_;
      --depth_;
      return inner;
    }
    case '[':
      return charClass();
    case '.':
      node->kind = Node::Kind::Set;
      for (int b = 0; b < 128; ++b)
        node->set.ascii[static_cast<size_t>(b)] = b != '\n';
      node->set.nonAscii = true;
      return node;
    case '^':
    case '$':
      node->kind = Node::Kind::Assert;
      node->assertion = c == '^' ? 0 : 1;
      return node;
    case '\\':
      return escape(false);
    case '*':
    case '+':
    case '?':
      return fail("nothing to repeat");
    default:
      node->kind = Node::Kind::Bytes;
      node->bytes = std::string(1, c);
      return node;
    }
  }

  /// After a backslash; inside a class only literal and class escapes.
  Expected<std::unique_ptr<Node>> escape(bool inClass) {
    if (at_ >= p_.size())
      return fail("trailing backslash");
    char c = p_[at_++];
    auto node = std::make_unique<Node>();
    if (c == 'w' || c == 'W' || c == 'd' || c == 'D' || c == 's' || c == 'S') {
      node->kind = Node::Kind::Set;
      addClassEscape(node->set, c);
      return node;
    }
    if (!inClass && (c == 'b' || c == 'B')) {
      node->kind = Node::Kind::Assert;
      node->assertion = c == 'b' ? 2 : 3;
      return node;
    }
    char literal;
    switch (c) {
    case 'n':
      literal = '\n';
      break;
    case 't':
      literal = '\t';
      break;
    case 'r':
      literal = '\r';
      break;
    case 'f':
      literal = '\f';
      break;
    case 'v':
      literal = '\v';
      break;
    default:
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9'))
        return fail(std::string("the escape \\") + c + " is not supported");
      literal = c; // escaped punctuation
    }
    node->kind = Node::Kind::Bytes;
    node->bytes = std::string(1, literal);
    return node;
  }

  Expected<std::unique_ptr<Node>> charClass() {
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::Set;
    bool negate = at_ < p_.size() && p_[at_] == '^';
    if (negate)
      ++at_;
    bool first = true;
    while (at_ < p_.size() && (p_[at_] != ']' || first)) {
      first = false;
      unsigned char lo;
      if (p_[at_] == '\\') {
        ++at_;
        auto e = escape(true);
        if (!e)
          return e;
        if ((*e)->kind == Node::Kind::Set) {
          for (int b = 0; b < 128; ++b)
            node->set.ascii[static_cast<size_t>(b)] |=
                (*e)->set.ascii[static_cast<size_t>(b)];
          node->set.nonAscii |= (*e)->set.nonAscii;
          continue;
        }
        lo = static_cast<unsigned char>((*e)->bytes[0]);
      } else {
        lo = static_cast<unsigned char>(p_[at_++]);
      }
      unsigned char hi = lo;
      if (at_ + 1 < p_.size() && p_[at_] == '-' && p_[at_ + 1] != ']') {
        ++at_;
        if (p_[at_] == '\\') {
          ++at_;
          auto e = escape(true);
          if (!e)
            return e;
          if ((*e)->kind != Node::Kind::Bytes)
            return fail("a class escape cannot end a range");
          hi = static_cast<unsigned char>((*e)->bytes[0]);
        } else {
          hi = static_cast<unsigned char>(p_[at_++]);
        }
      }
      if (lo >= 0x80 || hi >= 0x80)
        return fail("non-ASCII characters in a class are not supported");
      if (hi < lo)
        return fail("a class range is reversed");
      for (unsigned b = lo; b <= hi; ++b)
        node->set.ascii[b] = true;
    }
    if (at_ >= p_.size())
      return fail("'[' without a closing ']'");
    ++at_;
    if (negate) {
      for (bool &b : node->set.ascii)
        b = !b;
      node->set.nonAscii = !node->set.nonAscii;
    }
    return node;
  }

  std::string_view p_;
  size_t at_ = 0;
  int depth_ = 0;
};

/// Thompson's construction into instructions {op, x, y}.
class Emitter {
public:
  Status emit(const Node &n) {
    if (code_.size() > kMaxInstructions)
      return makeError("regex pattern: the program is too large (at most " +
                       std::to_string(kMaxInstructions) + " instructions)");
    switch (n.kind) {
    case Node::Kind::Empty:
      return Status::success();
    case Node::Kind::Bytes:
      for (char c : n.bytes)
        add(1, static_cast<unsigned char>(c), 0);
      return Status::success();
    case Node::Kind::Set:
      return emitSet(n.set);
    case Node::Kind::Assert:
      add(5, static_cast<uint32_t>(n.assertion), 0);
      return Status::success();
    case Node::Kind::Concat:
      for (const auto &p : n.parts)
        MLC_RETURN_IF_ERROR(emit(*p));
      return Status::success();
    case Node::Kind::Alt: {
      // split L1, next; L1: a; jmp end; next: split L2, ...
      std::vector<size_t> jumps;
      for (size_t i = 0; i < n.parts.size(); ++i) {
        size_t split = 0;
        if (i + 1 < n.parts.size())
          split = add(3, 0, 0);
        if (i + 1 < n.parts.size())
          code_[split][1] = static_cast<uint32_t>(code_.size());
        MLC_RETURN_IF_ERROR(emit(*n.parts[i]));
        if (i + 1 < n.parts.size()) {
          jumps.push_back(add(4, 0, 0));
          code_[split][2] = static_cast<uint32_t>(code_.size());
        }
      }
      for (size_t j : jumps)
        code_[j][1] = static_cast<uint32_t>(code_.size());
      return Status::success();
    }
    case Node::Kind::Repeat: {
      const Node &body = *n.parts[0];
      for (int i = 0; i < n.min; ++i)
        MLC_RETURN_IF_ERROR(emit(body));
      if (n.max < 0) {
        // L: split body, end; body; jmp L
        size_t loop = add(3, 0, 0);
        code_[loop][1] = static_cast<uint32_t>(code_.size());
        MLC_RETURN_IF_ERROR(emit(body));
        add(4, static_cast<uint32_t>(loop), 0);
        code_[loop][2] = static_cast<uint32_t>(code_.size());
        return Status::success();
      }
      // Optional copies: split body, end (each jumping to the end).
      std::vector<size_t> splits;
      for (int i = n.min; i < n.max; ++i) {
        splits.push_back(add(3, 0, 0));
        code_[splits.back()][1] = static_cast<uint32_t>(code_.size());
        MLC_RETURN_IF_ERROR(emit(body));
        if (code_.size() > kMaxInstructions)
          return makeError("regex pattern: the program is too large");
      }
      for (size_t s : splits)
        code_[s][2] = static_cast<uint32_t>(code_.size());
      return Status::success();
    }
    }
    return Status::success();
  }

  std::string finish() {
    add(0, 0, 0);
    std::string out;
    auto put = [&](uint32_t v) {
      for (int i = 0; i < 4; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
    };
    put(static_cast<uint32_t>(code_.size()));
    put(static_cast<uint32_t>(sets_.size()));
    for (const auto &ins : code_) {
      put(ins[0]);
      put(ins[1]);
      put(ins[2]);
      put(0);
    }
    for (const auto &set : sets_)
      for (int w = 0; w < 8; ++w) {
        uint32_t word = 0;
        for (int b = 0; b < 32; ++b)
          if (set[static_cast<size_t>(w * 32 + b)])
            word |= 1u << b;
        put(word);
      }
    return out;
  }

private:
  size_t add(uint32_t op, uint32_t x, uint32_t y) {
    code_.push_back({op, x, y});
    return code_.size() - 1;
  }

  uint32_t addSet(const std::array<bool, 256> &set) {
    sets_.push_back(set);
    return static_cast<uint32_t>(sets_.size() - 1);
  }

  std::array<bool, 256> range(int lo, int hi) {
    std::array<bool, 256> s{};
    for (int b = lo; b <= hi; ++b)
      s[static_cast<size_t>(b)] = true;
    return s;
  }

  /// One character of `set`: an ASCII byte, or (nonAscii) one UTF-8
  /// sequence of 2 to 4 bytes.
  Status emitSet(const CharSet &set) {
    std::array<bool, 256> ascii{};
    for (int b = 0; b < 128; ++b)
      ascii[static_cast<size_t>(b)] = set.ascii[static_cast<size_t>(b)];
    if (!set.nonAscii) {
      add(2, addSet(ascii), 0);
      return Status::success();
    }
    uint32_t cont = addSet(range(0x80, 0xBF));
    uint32_t lead[3] = {addSet(range(0xC2, 0xDF)), addSet(range(0xE0, 0xEF)),
                        addSet(range(0xF0, 0xF4))};
    uint32_t asciiSet = addSet(ascii);
    // split ascii, (split two, (split three, four))
    std::vector<size_t> jumps;
    for (int alt = 0; alt < 4; ++alt) {
      size_t split = 0;
      if (alt < 3) {
        split = add(3, 0, 0);
        code_[split][1] = static_cast<uint32_t>(code_.size());
      }
      if (alt == 0) {
        add(2, asciiSet, 0);
      } else {
        add(2, lead[alt - 1], 0);
        for (int k = 0; k < alt; ++k)
          add(2, cont, 0);
      }
      if (alt < 3) {
        jumps.push_back(add(4, 0, 0));
        code_[split][2] = static_cast<uint32_t>(code_.size());
      }
    }
    for (size_t j : jumps)
      code_[j][1] = static_cast<uint32_t>(code_.size());
    return Status::success();
  }

  std::vector<std::array<uint32_t, 3>> code_;
  std::vector<std::array<bool, 256>> sets_;
};

} // namespace

Expected<std::string> compileRegex(std::string_view pattern) {
  Parser parser(pattern);
  auto tree = parser.parse();
  if (!tree)
    return tree.error();
  Emitter emitter;
  MLC_RETURN_IF_ERROR(emitter.emit(**tree));
  return emitter.finish();
}

} // namespace mlc
