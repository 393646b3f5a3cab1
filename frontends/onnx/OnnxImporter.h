// Public entry points of the ONNX frontend: ONNX ModelProto -> verified IR.
#pragma once

#include "ir/Graph.h"
#include "ir/Support.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mlc {

/// Settings of one ONNX import.
struct OnnxImportOptions {
  /// Fixes dynamic input dims: input name -> full static extents. The rank
  /// must match the model's and static dims must agree with it.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// The number of tensors of each sequence input (and of each optional
  /// input holding a sequence): a sequence's structure is fixed at compile
  /// time.
  std::map<std::string, int64_t> sequenceLengths;
  /// Optional inputs compiled as absent (the others are present).
  std::set<std::string> absentInputs;
};

/// A graph input or output that ONNX types as a sequence or an optional.
/// In the IR it is `count` tensors from position `first` of the graph's
/// inputs (or outputs): a sequence's elements are named NAME.0, NAME.1,
/// ...; a present optional tensor is the tensor NAME.
struct StructuredValue {
  enum class Kind {
    /// A sequence of `count` tensors.
    Sequence,
    /// An optional tensor: present when `count` is 1, absent when 0.
    Optional,
    /// A present optional holding a sequence of `count` tensors.
    OptionalSequence,
    /// An absent optional of a sequence (`count` 0).
    AbsentOptionalSequence,
  };
  Kind kind = Kind::Sequence;
  /// True for a graph output, false for an input.
  bool isOutput = false;
  /// The ONNX name.
  std::string name;
  /// Position of the first tensor among the graph's inputs (or outputs).
  size_t first = 0;
  /// Number of tensors.
  size_t count = 0;
};

/// Oldest default-domain opset the importer accepts; each op is further
/// checked against the oldest of its versions the importer implements
/// (oldestImplementedVersion in ImporterContext.h).
inline constexpr int64_t kOnnxMinOpset = 1;
/// Newest default-domain opset the importer accepts.
inline constexpr int64_t kOnnxMaxOpset = 28;

/// Reads an .onnx file (and its external data, which must lie inside the
/// model's directory) into a verified IR graph.
/// When `structured` is given it receives the sequence and optional inputs
/// and outputs, inputs first, each in graph order.
Expected<Graph>
importOnnxFile(const std::string &path, const OnnxImportOptions &options,
               std::vector<StructuredValue> *structured = nullptr);

/// Same from bytes already in memory; `baseDir` resolves external data (""
/// forbids it). `displayName` names the model in messages.
Expected<Graph>
importOnnxBytes(std::string_view bytes, const std::string &baseDir,
                const OnnxImportOptions &options,
                const std::string &displayName = "<memory>",
                std::vector<StructuredValue> *structured = nullptr);

/// Reads a serialized ONNX TensorProto file (e.g. ONNX test data `.pb`).
Expected<TensorData> importOnnxTensorFile(const std::string &path);

/// A string tensor read from or written to an ONNX TensorProto file.
struct StringTensor {
  std::vector<int64_t> shape;
  /// Row-major, one per element.
  std::vector<std::string> strings;
};

/// Reads a serialized ONNX TensorProto of STRING elements.
Expected<StringTensor> importOnnxStringTensorFile(const std::string &path);

/// Writes `tensor` as a serialized ONNX TensorProto (string_data) named
/// `name`.
Status exportOnnxStringTensorFile(const std::string &path,
                                  const StringTensor &tensor,
                                  const std::string &name);

/// Reads a serialized ONNX SequenceProto of tensors.
Expected<std::vector<TensorData>>
importOnnxSequenceFile(const std::string &path);

/// An OptionalProto's content: absent, a tensor, or a sequence of tensors.
struct OptionalContent {
  bool present = false;
  bool isSequence = false;
  std::vector<TensorData> tensors;
};

/// Reads a serialized ONNX OptionalProto holding a tensor or a sequence of
/// tensors (or nothing).
Expected<OptionalContent> importOnnxOptionalFile(const std::string &path);

/// Writes `tensors` as a serialized ONNX SequenceProto named `name`, each
/// element as exportOnnxTensorFile writes a tensor.
Status exportOnnxSequenceFile(const std::string &path,
                              const std::vector<TensorData> &tensors,
                              const std::string &name);

/// Writes `content` as a serialized ONNX OptionalProto named `name`.
Status exportOnnxOptionalFile(const std::string &path,
                              const OptionalContent &content,
                              const std::string &name);

/// Writes `data` as a serialized ONNX TensorProto named `name` (raw data,
/// sub-byte types packed): the form `mlc run` writes for dtypes that .npy
/// cannot hold (bf16 and the narrow types).
Status exportOnnxTensorFile(const std::string &path, const TensorData &data,
                            const std::string &name);

} // namespace mlc
