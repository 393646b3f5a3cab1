// The pass pipeline: the pass list as data and its driver. See Pipeline.h.
#include "compiler/Pipeline.h"

#include "ir/Printer.h"
#include "passes/ConvertToChannelsLast.h"
#include "passes/EliminateCommonSubexpressions.h"
#include "passes/EliminateDeadCode.h"
#include "passes/FoldConstants.h"
#include "passes/FuseKernels.h"
#include "passes/InferShapes.h"
#include "passes/LowerPrecision.h"
#include "passes/SimplifyAlgebra.h"
#include "passes/WidenHalfAccumulation.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace mlc {

namespace {

const PassInfo kInferShapes{
    "infer-shapes", "recompute result types from the type rules", inferShapes};
const PassInfo kSimplifyAlgebra{
    "simplify-algebra",
    "fold batch_norm into conv, cancel reshapes/transposes, drop identities",
    simplifyAlgebra};
const PassInfo kConvertToChannelsLast{
    "convert-to-channels-last",
    "convs and pools in channels-last layout, transposes sunk and cancelled",
    convertToChannelsLast};
const PassInfo kFoldConstants{"fold-constants",
                              "evaluate nodes with only constant operands",
                              foldConstants};
const PassInfo kEliminateCommonSubexpressions{
    "eliminate-common-subexpressions", "merge nodes computing the same value",
    eliminateCommonSubexpressions};
const PassInfo kEliminateDeadCode{"eliminate-dead-code",
                                  "remove nodes no output depends on",
                                  eliminateDeadCode};
const PassInfo kWidenHalfAccumulation{
    "widen-half-accumulation",
    "f16/bf16 contractions and reductions computed in f32",
    widenHalfAccumulation};
const PassInfo kLowerPrecisionF16{
    "lower-precision-f16",
    "compute the f32 graph in f16 (inputs and outputs stay f32)",
    lowerPrecisionToF16};
const PassInfo kLowerPrecisionBF16{
    "lower-precision-bf16",
    "compute the f32 graph in bf16 (inputs and outputs stay f32)",
    lowerPrecisionToBF16};
const PassInfo kFuseKernels{"fuse-kernels",
                            "group nodes into kernels (anchor + epilogue)",
                            fuseKernels};

constexpr int kElideConstantsAbove = 16;

struct Timing {
  std::string_view name;
  double seconds;
};

void printTimings(std::ostream &out, const std::vector<Timing> &timings,
                  double verifySeconds) {
  double total = verifySeconds;
  for (const Timing &timing : timings)
    total += timing.seconds;
  auto row = [&](double seconds, std::string_view name) {
    char line[64];
    double percent = total > 0 ? 100.0 * seconds / total : 0.0;
    std::snprintf(line, sizeof(line), "  %10.4f (%5.1f%%)  ", seconds, percent);
    out << line << name << "\n";
  };
  out << "===- pass execution timing report -===\n";
  out << "      wall (s)    share   pass\n";
  for (const Timing &timing : timings)
    row(timing.seconds, timing.name);
  row(verifySeconds, "(verifier)");
  row(total, "total");
}

} // namespace

const std::vector<PassInfo> &allPasses() {
  static const std::vector<PassInfo> passes = {
      kInferShapes,
      kSimplifyAlgebra,
      kConvertToChannelsLast,
      kFoldConstants,
      kEliminateCommonSubexpressions,
      kEliminateDeadCode,
      kLowerPrecisionF16,
      kLowerPrecisionBF16,
      kWidenHalfAccumulation,
      kFuseKernels,
  };
  return passes;
}

std::vector<PassInfo> defaultPipeline(PipelineTarget target, DType precision) {
  // The compiler's table of contents. Simplification runs twice: once to
  // expose constant subgraphs (batch_norm parameters, reshape chains on
  // weights) before the layout change, once to clean up what the layout
  // change and folding left (transpose pairs, splats of 0 and 1).
  static const std::vector<PassInfo> cpu = {
      kInferShapes,
      kSimplifyAlgebra,
      kConvertToChannelsLast,
      kFoldConstants,
      kSimplifyAlgebra,
      kWidenHalfAccumulation,
      kEliminateCommonSubexpressions,
      kEliminateDeadCode,
      kFuseKernels,
  };
  static const std::vector<PassInfo> gpu = {
      kInferShapes,           kSimplifyAlgebra,
      kFoldConstants,         kSimplifyAlgebra,
      kWidenHalfAccumulation, kEliminateCommonSubexpressions,
      kEliminateDeadCode,     kFuseKernels,
  };
  std::vector<PassInfo> passes = target == PipelineTarget::Cpu ? cpu : gpu;
  // --precision: after the f32 simplifications (batch norms fold into the
  // weights in f32, before those round), before the accumulations widen.
  if (precision == DType::F16 || precision == DType::BF16) {
    auto widen =
        std::find_if(passes.begin(), passes.end(), [](const PassInfo &p) {
          return p.name == kWidenHalfAccumulation.name;
        });
    passes.insert(widen, precision == DType::F16 ? kLowerPrecisionF16
                                                 : kLowerPrecisionBF16);
  }
  return passes;
}

Status runPipeline(Graph &graph, const PipelineOptions &options,
                   const std::vector<PassInfo> &passes) {
  using Clock = std::chrono::steady_clock;
  std::vector<Timing> timings;
  double verifySeconds = 0.0;
  PrintOptions printOptions;
  printOptions.elideConstantsAbove = kElideConstantsAbove;
  for (const PassInfo &pass : passes) {
    Clock::time_point start = Clock::now();
    Status status = pass.run(graph);
    timings.push_back(
        {pass.name,
         std::chrono::duration<double>(Clock::now() - start).count()});
    if (!status.ok())
      return makeError("pass '" + std::string(pass.name) +
                       "': " + status.message());
    if (options.verifyEach) {
      start = Clock::now();
      Status verified = verify(graph);
      verifySeconds +=
          std::chrono::duration<double>(Clock::now() - start).count();
      if (!verified.ok())
        return makeError("after pass '" + std::string(pass.name) +
                         "': " + verified.message());
    }
    bool print = options.printAfterAll ||
                 std::find(options.printAfter.begin(), options.printAfter.end(),
                           pass.name) != options.printAfter.end();
    if (print && options.dump)
      *options.dump << "# ----- IR after " << pass.name << " -----\n"
                    << printGraph(graph, printOptions);
  }
  if (options.timePasses && options.dump)
    printTimings(*options.dump, timings, verifySeconds);
  return Status::success();
}

bool isPassName(std::string_view name) {
  for (const PassInfo &pass : allPasses())
    if (pass.name == name)
      return true;
  return false;
}

Expected<std::vector<PassInfo>> parsePassList(std::string_view names) {
  std::vector<PassInfo> passes;
  while (!names.empty()) {
    size_t comma = names.find(',');
    std::string_view name = names.substr(0, comma);
    names = comma == std::string_view::npos ? std::string_view()
                                            : names.substr(comma + 1);
    if (name == "default") {
      const auto &defaults = defaultPipeline();
      passes.insert(passes.end(), defaults.begin(), defaults.end());
      continue;
    }
    auto it = std::find_if(allPasses().begin(), allPasses().end(),
                           [&](const PassInfo &p) { return p.name == name; });
    if (it == allPasses().end()) {
      std::string known;
      for (const PassInfo &pass : allPasses())
        known += (known.empty() ? "" : ", ") + std::string(pass.name);
      return makeError("unknown pass '" + std::string(name) +
                       "' (known: " + known + ")");
    }
    passes.push_back(*it);
  }
  return passes;
}

} // namespace mlc
