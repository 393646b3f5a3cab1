// Public face of code generation. Only this header is seen outside codegen/;
// it exposes no MLIR or LLVM types.
#pragma once

#include "codegen/MemoryPlan.h"
#include "ir/Graph.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mlc {

/// What to generate code for.
struct TargetOptions {
  /// "llvm" (CPUs, see `triple`), "cuda" (NVIDIA GPUs through PTX), or
  /// "cuda-emulate": the CUDA target's kernels and launches compiled for
  /// the host CPU as an ordinary CPU artifact, each launch a loop over its
  /// blocks and threads (tests the GPU mapping where there is no GPU).
  std::string target = "llvm";
  /// LLVM target triple; empty means the host's. Unused for "cuda".
  std::string triple;
  /// CPU name for -mcpu; empty or "native" means the build host's CPU. For
  /// "cuda": the GPU architecture of the PTX, `sm_XY` (default sm_80).
  std::string cpu;
  /// Top-level parallel loops of kernels whose estimated work (operations
  /// executed) is below this run on the calling thread; the rest are split
  /// across the runtime's threads. A fork-join costs a few microseconds;
  /// 0 parallelizes every loop it can (tests use that).
  int64_t minParallelWork = 32768;
  /// Fill CodegenResult::mlir and ::llvmIR (costly for big models; the
  /// weights are elided from the LLVM IR text).
  bool emitText = false;
  /// "cuda" and "cuda-emulate": f32 matmuls and convolutions may run on
  /// tensor cores in TF32 (operands rounded to 10 mantissa bits, f32
  /// sums), as PyTorch's `allow_tf32`. Off by default: results then differ
  /// from f32 by about 1e-3 relative. (Contractions of f16 or bf16 values
  /// use f16 or bf16 tensor cores regardless: their products are exact and
  /// their sums f32.) Tensor cores need sm_80 or newer.
  bool allowTf32 = false;
  /// "cuda": the architecture-specific cubins the artifact will hold
  /// (`sm_90a`, from CompileOptions::cudaCubins). Each whose own features
  /// the kernels use (wgmma on sm_90a, when the model has tensor-core
  /// contractions) gets a PTX of its own, CodegenResult::archPtx, with the
  /// same launch plan. "cuda-emulate": the kernels emulated are those of the
  /// first one, if any, else sm_80's.
  std::vector<std::string> specificArchs;
};

/// One kernel launch of a CUDA artifact's plan (docs/artifact.md,
/// `cuda_launch`).
struct GpuLaunch {
  /// The kernel's name in the PTX (`k<N>`).
  std::string kernel;
  /// Grid and block extents (x, y, z).
  int64_t grid[3] = {1, 1, 1};
  int64_t block[3] = {1, 1, 1};
  /// Dynamic shared memory bytes.
  int64_t sharedBytes = 0;
  /// One device pointer each: `in<i>`, `out<j>`, `arena` or `weights`.
  std::vector<std::string> args;
};

/// The number of a CUDA architecture name `sm_XY` / `sm_XYZ`, or of an
/// architecture-specific one `sm_XYa` (80 for sm_80, 90 for sm_90a), or -1
/// for anything else.
int cudaArchNumber(const std::string &arch);

/// Whether `arch` names an architecture-specific target (`sm_90a`): code
/// that uses its own features (wgmma) and runs on that architecture only.
bool cudaArchSpecific(const std::string &arch);

/// The position of the runtime host function (in mlc_host_api, after
/// struct_size and reserved) host op `kind` calls; -1 for other ops.
int hostFunctionIndex(OpKind kind);

/// The metadata line of a launch (docs/artifact.md): `cuda_launch <kernel>
/// <gx>,<gy>,<gz> <bx>,<by>,<bz> <shared> <args>` (no newline).
std::string formatLaunch(const GpuLaunch &launch);

/// Everything codegen produces for one model.
struct CodegenResult {
  /// Relocatable object file (ELF) holding the kernels, the entry point
  /// `mlc_artifact_run` and the weights.
  std::string object;
  /// Textual MLIR before scheduling, for --emit=mlir.
  std::string mlir;
  /// Textual LLVM IR before instruction selection, for --emit=llvm.
  std::string llvmIR;
  /// Bytes of scratch memory the entry point needs (the activation arena).
  int64_t arenaBytes = 0;
  /// Sum of the sizes of all intermediate buffers, for reporting the gain
  /// of memory planning.
  int64_t naiveIntermediateBytes = 0;
  /// Resolved triple, CPU name and the CPU features the code may use (the
  /// runtime checks the latter before running).
  std::string triple;
  std::string cpu;
  std::vector<std::string> cpuFeatures;
  /// One line per scheduled contraction (Schedule.h's ScheduleRecord), for
  /// --schedule-report.
  std::string scheduleReport;

  /// Dynamic shapes: the graph's symbols, in the order mlc_artifact_plan
  /// and the context take their values (empty for static graphs; then
  /// `arenaBytes` is the kernels' static scratch only and the object exports
  /// mlc_artifact_plan), and the run-time checks: symbol `first` at most
  /// `second`.
  std::vector<std::string> symbols;
  std::vector<std::pair<int64_t, int64_t>> constraints;
  /// How each symbol is bound (input shape, input value, computed by the
  /// plan), and the messages of the plan's checks (`require` lines).
  std::vector<codegen::SymbolBinding> bindings;
  std::vector<std::string> checkMessages;

  /// CUDA target only (then `object` is empty, `triple` is
  /// nvptx64-nvidia-cuda and `cpu` the PTX architecture): the PTX text, the
  /// launch plan, the weights blob the kernels read, and the triple of the
  /// host the artifact's ELF part is built for.
  std::string ptx;
  std::vector<GpuLaunch> launches;
  /// PTX of architecture-specific kernels (TargetOptions::specificArchs):
  /// (architecture, text), in the order asked for; the same launches.
  std::vector<std::pair<std::string, std::string>> archPtx;
  std::string weights;
  std::string hostTriple;
};

/// A named read-only byte array for emitDataObject.
struct DataSymbol {
  /// Symbol name; `<name>_size` (uint64_t) is defined beside it.
  std::string name;
  std::string bytes;
};

/// Lowers a fused, statically shaped graph (every non-constant node carries
/// a group id) to a native object implementing artifact ABI 2, or, for the
/// CUDA target, to PTX and a launch plan (see docs/artifact.md).
Expected<CodegenResult> generateCode(const Graph &graph,
                                     const TargetOptions &options);

/// Only the first stage: the MLIR module text (kernels + entry) that
/// generateCode would lower for `options` (its target, and for CPUs the
/// target's vector width), without scheduling or lowering it. Cheap; for
/// --emit=mlir and debugging.
Expected<std::string> emitMLIR(const Graph &graph,
                               const TargetOptions &options);

/// A relocatable object for the host (`triple`, empty for the build host)
/// that defines each symbol as an exported, 256-byte aligned constant array
/// plus its `_size`: the ELF part of a CUDA artifact.
Expected<std::string> emitDataObject(const std::vector<DataSymbol> &symbols,
                                     const std::string &triple);

} // namespace mlc
