// Versioned binary serialization of the IR as a protobuf message (IR.proto).
#pragma once

#include "ir/Graph.h"

#include <string>
#include <string_view>

namespace mlc {

/// Version of the serialized IR written by this build. Readers accept
/// versions up to and including it; a newer one is a clear error.
inline constexpr uint32_t kIRVersion = 2;
/// The version written for graphs without symbol definitions or
/// requirements (their bytes are unchanged since version 1).
inline constexpr uint32_t kIRVersionWithoutSymbols = 1;

/// Serializes `graph` (deterministically) to bytes.
std::string serializeGraph(const Graph &graph);
/// Reads bytes written by serializeGraph, checking the version and
/// verifying the result.
Expected<Graph> deserializeGraph(std::string_view bytes);

} // namespace mlc
