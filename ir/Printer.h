// Textual form of the IR: printing. Parser.h reads the same form back.
#pragma once

#include "ir/Graph.h"

#include <string>

namespace mlc {

/// Printer settings.
struct PrintOptions {
  /// Constants with more elements than this print as `dense<elided>`, which
  /// the parser rejects; -1 prints every constant in full (round-trips).
  int64_t elideConstantsAbove = -1;
};

/// Prints `graph` in the textual form documented in docs/ir.md. The output
/// is deterministic and `print(parse(print(g))) == print(g)`.
std::string printGraph(const Graph &graph, const PrintOptions &options = {});

/// Prints one attribute value as it appears in the textual form.
std::string printAttribute(const Attribute &attr);

} // namespace mlc
