// The pass pipeline: the ordered pass list, as data, and the driver that
// runs it with verification, IR dumps and timing.
#pragma once

#include "ir/Graph.h"

#include <iostream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace mlc {

/// One entry of a pass list.
struct PassInfo {
  /// Name used by --passes, --print-after and in diagnostics.
  std::string_view name;
  /// One line for --help.
  std::string_view summary;
  Status (*run)(Graph &graph);
};

/// Everything that changes how passes run; there are no other knobs.
struct PipelineOptions {
  /// Run the verifier after every pass; a failure names the pass. On in
  /// mlc-opt and tests; release compiles may turn it off.
  bool verifyEach = true;
  /// Print the IR after every pass to `dump`.
  bool printAfterAll = false;
  /// Print the IR after each pass with one of these names.
  std::vector<std::string> printAfter;
  /// Print a table of pass times to `dump` at the end.
  bool timePasses = false;
  /// Where dumps and timings go.
  std::ostream *dump = &std::cerr;
};

/// Every pass, in the order of the default pipeline's first use; the
/// vocabulary of parsePassList.
const std::vector<PassInfo> &allPasses();

/// What the pipeline prepares the graph for.
enum class PipelineTarget {
  /// CPU code: convolutions and pools in channels-last layout.
  Cpu,
  /// CUDA kernels (one thread per output element): the layout stays as
  /// the model has it.
  Gpu,
};

/// The default pass list, in order:
/// infer-shapes, simplify-algebra, convert-to-channels-last (Cpu only),
/// fold-constants, simplify-algebra, lower-precision-f16 or -bf16 (when
/// `precision` is f16 or bf16; f32 is the model's own precision),
/// widen-half-accumulation, eliminate-common-subexpressions,
/// eliminate-dead-code, fuse-kernels.
std::vector<PassInfo>
defaultPipeline(PipelineTarget target = PipelineTarget::Cpu,
                DType precision = DType::F32);

/// Runs `passes` over `graph` in order. Errors read
/// `pass '<name>': <message>` when a pass fails and
/// `after pass '<name>': <verifier message>` when it leaves a bad graph.
Status runPipeline(Graph &graph, const PipelineOptions &options,
                   const std::vector<PassInfo> &passes);

/// Parses a comma-separated list of pass names ("fold-constants,fuse-kernels");
/// "default" stands for the default (CPU) pipeline. Empty input is an empty list.
Expected<std::vector<PassInfo>> parsePassList(std::string_view names);

/// True when `name` names a pass.
bool isPassName(std::string_view name);

} // namespace mlc
