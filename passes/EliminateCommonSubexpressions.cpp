// Merges nodes that compute the same value. See
// EliminateCommonSubexpressions.h.
#include "passes/EliminateCommonSubexpressions.h"

#include "ir/Printer.h"
#include "passes/PassUtils.h"

#include <cstring>
#include <unordered_map>

namespace mlc {

namespace {

uint64_t mix(uint64_t hash, uint64_t word) {
  hash ^= word + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
  return hash;
}

uint64_t hashBytes(uint64_t hash, const uint8_t *bytes, size_t size) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    hash = mix(hash, word * 0xff51afd7ed558ccdull);
  }
  for (; i < size; ++i)
    hash = mix(hash, bytes[i]);
  return hash;
}

uint64_t hashString(uint64_t hash, const std::string &text) {
  return hashBytes(mix(hash, text.size()),
                   reinterpret_cast<const uint8_t *>(text.data()), text.size());
}

bool sameData(const TensorData &a, const TensorData &b) {
  return a.type == b.type && (a.bytes == b.bytes || *a.bytes == *b.bytes);
}

bool sameDoubles(const double *a, const double *b, size_t n) {
  return std::memcmp(a, b, n * sizeof(double)) == 0;
}

/// Attribute equality with floats compared bit for bit.
bool sameAttribute(const Attribute &a, const Attribute &b) {
  if (a.index() != b.index())
    return false;
  if (const auto *x = std::get_if<double>(&a))
    return sameDoubles(x, &std::get<double>(b), 1);
  if (const auto *x = std::get_if<std::vector<double>>(&a)) {
    const auto &y = std::get<std::vector<double>>(b);
    return x->size() == y.size() && sameDoubles(x->data(), y.data(), x->size());
  }
  if (const auto *x = std::get_if<TensorData>(&a))
    return sameData(*x, std::get<TensorData>(b));
  return a == b;
}

bool sameAttributes(const AttributeMap &a, const AttributeMap &b) {
  if (a.size() != b.size())
    return false;
  for (auto x = a.begin(), y = b.begin(); x != a.end(); ++x, ++y)
    if (x->first != y->first || !sameAttribute(x->second, y->second))
      return false;
  return true;
}

bool equivalent(const Node &a, const Node &b) {
  if (a.kind() != b.kind() || a.operands() != b.operands() ||
      a.results().size() != b.results().size())
    return false;
  for (size_t i = 0; i < a.results().size(); ++i)
    if (a.result(i)->type() != b.result(i)->type())
      return false;
  return sameAttributes(a.attrs(), b.attrs());
}

/// Hash over everything `equivalent` compares. Operands are hashed by their
/// position in a numbering made in node order, never by address, so that
/// nothing depends on allocation (the table is only ever probed, not
/// iterated, but this keeps hashes reproducible for debugging too).
uint64_t hashNode(const Node &node,
                  const std::unordered_map<const Value *, uint64_t> &ids) {
  uint64_t hash = mix(0, static_cast<uint64_t>(node.kind()));
  for (const Value *operand : node.operands())
    hash = mix(hash, ids.at(operand));
  for (const auto &[name, attr] : node.attrs()) {
    hash = hashString(hash, name);
    if (const auto *data = std::get_if<TensorData>(&attr)) {
      hash = hashString(hash, typeToString(data->type));
      hash = hashBytes(hash, data->bytes->data(), data->bytes->size());
    } else {
      hash = hashString(hash, printAttribute(attr));
    }
  }
  return hash;
}

} // namespace

Status eliminateCommonSubexpressions(Graph &graph) {
  Rewriter rewriter(graph);
  std::unordered_map<const Value *, uint64_t> ids;
  for (const Value *input : graph.inputs())
    ids.emplace(input, ids.size());
  std::unordered_map<uint64_t, std::vector<Node *>> seen;
  for (const auto &owned : graph.nodes()) {
    Node *node = owned.get();
    for (const Value *result : node->results())
      ids.emplace(result, ids.size());
    // Operands were already redirected to surviving nodes, so chains of
    // duplicates collapse in this single sweep.
    std::vector<Node *> &bucket = seen[hashNode(*node, ids)];
    Node *match = nullptr;
    for (Node *candidate : bucket)
      if (equivalent(*candidate, *node)) {
        match = candidate;
        break;
      }
    bool isOutput = false;
    for (const Value *result : node->results())
      isOutput = isOutput || rewriter.isOutput(result);
    if (!match || isOutput) {
      bucket.push_back(node);
      continue;
    }
    for (size_t i = 0; i < node->results().size(); ++i)
      rewriter.replaceAllUsesWith(node->result(i), match->result(i));
  }
  return rewriter.finish();
}

} // namespace mlc
