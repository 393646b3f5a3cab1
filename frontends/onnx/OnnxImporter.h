// Public entry points of the ONNX frontend: ONNX ModelProto -> verified IR.
#pragma once

#include "ir/Graph.h"
#include "ir/Support.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mlc {

/// Settings of one ONNX import.
struct OnnxImportOptions {
  /// Fixes dynamic input dims: input name -> full static extents. The rank
  /// must match the model's and static dims must agree with it.
  std::map<std::string, std::vector<int64_t>> inputShapes;
};

/// Oldest default-domain opset the importer accepts; each op is further
/// checked against the oldest of its versions the importer implements
/// (oldestImplementedVersion in ImporterContext.h).
inline constexpr int64_t kOnnxMinOpset = 1;
/// Newest default-domain opset the importer accepts.
inline constexpr int64_t kOnnxMaxOpset = 28;

/// Reads an .onnx file (and its external data, which must lie inside the
/// model's directory) into a verified IR graph.
Expected<Graph> importOnnxFile(const std::string &path,
                               const OnnxImportOptions &options);

/// Same from bytes already in memory; `baseDir` resolves external data (""
/// forbids it). `displayName` names the model in messages.
Expected<Graph> importOnnxBytes(std::string_view bytes,
                                const std::string &baseDir,
                                const OnnxImportOptions &options,
                                const std::string &displayName = "<memory>");

/// Reads a serialized ONNX TensorProto file (e.g. ONNX test data `.pb`).
Expected<TensorData> importOnnxTensorFile(const std::string &path);

/// Writes `data` as a serialized ONNX TensorProto named `name` (raw data,
/// sub-byte types packed): the form `mlc run` writes for dtypes that .npy
/// cannot hold (bf16 and the narrow types).
Status exportOnnxTensorFile(const std::string &path, const TensorData &data,
                            const std::string &name);

} // namespace mlc
