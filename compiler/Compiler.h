// The compile driver: ONNX file -> IR -> pass pipeline -> codegen -> artifact.
#pragma once

#include "codegen/Codegen.h"
#include "compiler/Pipeline.h"
#include "frontends/onnx/OnnxImporter.h"

#include <ostream>
#include <string>
#include <vector>

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
  /// The PTX of the kernels (--target=cuda).
  PTX,
};

/// Everything `mlc compile` can be asked to do.
struct CompileOptions {
  OnnxImportOptions import;
  PipelineOptions pipeline;
  TargetOptions target;
  EmitKind emit = EmitKind::Artifact;
  /// C compiler driver used to link the shared library.
  std::string linker = "cc";
  /// CUDA target: the `ptxas` that assembles the cubins. Empty means the
  /// first on PATH, else /usr/local/cuda/bin/ptxas; "none" (or none found)
  /// embeds PTX only, which the driver compiles when the model loads.
  std::string ptxas;
  /// CUDA target: GPU architectures to embed cubins for (each at least the
  /// PTX architecture, TargetOptions::cpu). An architecture-specific one
  /// (`sm_90a`) runs on that architecture only and may use its own
  /// instructions: sm_90a's contractions use wgmma (a PTX of their own,
  /// TargetOptions::specificArchs), where the portable PTX and the other
  /// cubins use mma.sync.
  std::vector<std::string> cudaCubins = {"sm_80", "sm_90a"};
  /// The precision f32 computation runs in: f32 (the model's own), or f16 /
  /// bf16 (lower-precision-f16/-bf16: inputs and outputs stay f32, sums
  /// stay f32; see passes/LowerPrecision.h).
  DType precision = DType::F32;
  /// Receives warnings (one line each) when set.
  std::ostream *warnings = nullptr;
  /// Writes a per-kernel summary of the chosen schedules to this stream
  /// when set.
  std::ostream *scheduleReport = nullptr;
};

/// Compiles the ONNX model at `modelPath` and returns the bytes (artifact,
/// object) or text (IR, MLIR, LLVM IR) that `options.emit` asks for.
Expected<std::string> compileModel(const std::string &modelPath,
                                   const CompileOptions &options);

/// Links `object` into a shared library and appends the artifact metadata
/// and trailer with `flags` (MLC_ARTIFACT_FLAG_*; docs/artifact.md).
/// Exposed for tests.
Expected<std::string> linkArtifact(const std::string &object,
                                   const std::string &metadata,
                                   const std::string &linker,
                                   uint32_t flags = 0);

/// Builds the metadata text of an artifact for `graph` compiled to `code`;
/// for the CUDA target, `cubins` lists the embedded cubin architectures;
/// `structured` gives the `structure` lines (sequence and optional inputs
/// and outputs).
std::string
buildArtifactMetadata(const Graph &graph, const CodegenResult &code,
                      const std::string &modelHash,
                      const std::vector<std::string> &cubins = {},
                      const std::vector<StructuredValue> &structured = {});

/// Lowercase hex SHA-256 of `bytes`, used for the source-model hash.
std::string sha256Hex(std::string_view bytes);

} // namespace mlc
