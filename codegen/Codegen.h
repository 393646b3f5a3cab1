// Public face of code generation. Only this header is seen outside codegen/;
// it exposes no MLIR or LLVM types.
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlc {

/// What to generate code for.
struct TargetOptions {
  /// "llvm" (the host CPU family) is the only target so far.
  std::string target = "llvm";
  /// LLVM target triple; empty means the host's.
  std::string triple;
  /// CPU name for -mcpu; empty or "native" means the build host's CPU.
  std::string cpu;
  /// Top-level parallel loops of kernels whose estimated work (operations
  /// executed) is below this run on the calling thread; the rest are split
  /// across the runtime's threads. A fork-join costs a few microseconds;
  /// 0 parallelizes every loop it can (tests use that).
  int64_t minParallelWork = 32768;
  /// Fill CodegenResult::mlir and ::llvmIR (costly for big models; the
  /// weights are elided from the LLVM IR text).
  bool emitText = false;
};

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
};

/// Lowers a fused, statically shaped graph (every non-constant node carries
/// a group id) to a native object implementing artifact ABI v1 (see
/// docs/artifact.md).
Expected<CodegenResult> generateCode(const Graph &graph,
                                     const TargetOptions &options);

/// Only the first stage: the MLIR module text (kernels + entry) that
/// generateCode would lower, without scheduling or lowering it. Cheap;
/// for --emit=mlir and debugging.
Expected<std::string> emitMLIR(const Graph &graph);

} // namespace mlc
