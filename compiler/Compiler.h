// The compile driver: ONNX file -> IR -> pass pipeline -> codegen -> artifact.
#pragma once

#include "codegen/Codegen.h"
#include "compiler/Pipeline.h"
#include "frontends/onnx/OnnxImporter.h"

#include <ostream>
#include <string>

namespace mlc {

/// What `compileModel` should produce.
enum class EmitKind {
  /// The loadable artifact (.so with metadata and trailer).
  Artifact,
  /// The IR after the pass pipeline, in textual form (constants elided).
  IR,
  /// The MLIR module handed to the scheduler.
  MLIR,
  /// The LLVM IR handed to instruction selection.
  LLVM,
  /// The object file holding kernels, entry point and weights.
  Object,
};

/// Everything `mlc compile` can be asked to do.
struct CompileOptions {
  OnnxImportOptions import;
  PipelineOptions pipeline;
  TargetOptions target;
  EmitKind emit = EmitKind::Artifact;
  /// C compiler driver used to link the shared library.
  std::string linker = "cc";
  /// Writes a per-kernel summary of the chosen schedules to this stream
  /// when set.
  std::ostream *scheduleReport = nullptr;
};

/// Compiles the ONNX model at `modelPath` and returns the bytes (artifact,
/// object) or text (IR, MLIR, LLVM IR) that `options.emit` asks for.
Expected<std::string> compileModel(const std::string &modelPath,
                                   const CompileOptions &options);

/// Links `object` into a shared library and appends the artifact metadata
/// and trailer (docs/artifact.md). Exposed for tests.
Expected<std::string> linkArtifact(const std::string &object,
                                   const std::string &metadata,
                                   const std::string &linker);

/// Builds the metadata text of an artifact for `graph` compiled to `code`.
std::string buildArtifactMetadata(const Graph &graph,
                                  const CodegenResult &code,
                                  const std::string &modelHash);

/// Lowercase hex SHA-256 of `bytes`, used for the source-model hash.
std::string sha256Hex(std::string_view bytes);

} // namespace mlc
