// Textual form of the IR: parsing what Printer.h prints.
#pragma once

#include "ir/Graph.h"

#include <string_view>

namespace mlc {

/// Parses a graph from its textual form and verifies it. Errors read
/// `<buffer>:<line>:<col>: error: <message>`.
Expected<Graph> parseGraph(std::string_view text,
                           std::string_view bufferName = "<input>");

} // namespace mlc
