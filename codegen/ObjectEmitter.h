// LLVM stages: target machine, weights global, ABI entry, O3, ELF object.
// Internal to codegen.
#pragma once

#include "codegen/MemoryPlan.h"
#include "ir/Support.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlc::codegen {

/// A configured x86-64 target.
struct Target {
  std::string triple;
  std::string cpu;
  /// Sorted `+feat,-feat` string handed to the TargetMachine.
  std::string featureString;
  /// The features from the runtime's check list that are enabled.
  std::vector<std::string> features;
  bool avx512 = false;
  std::unique_ptr<llvm::TargetMachine> machine;
};

/// Creates the target for `triple` (empty: host) and `cpu` (empty or
/// "native": host CPU with the host's features), PIC, FMA contraction on.
Expected<Target> createTarget(const std::string &triple, const std::string &cpu);

/// What a graph with symbolic dims adds to the artifact entry.
struct DynamicEntry {
  /// Number of symbols (mlc_exec_context::symbols holds their values), of
  /// them the first numKernelSymbols go to mlc_graph.
  size_t numSymbols = 0;
  size_t numKernelSymbols = 0;
  /// How each symbol is bound, what the plan computes, what it checks
  /// (KernelEmitter's EmittedModule).
  const std::vector<SymbolBinding> *bindings = nullptr;
  const std::vector<ComputedSymbol> *computed = nullptr;
  const std::vector<PlanCheck> *checks = nullptr;
  /// The arena buffers and their plan (KernelEmitter's EmittedModule).
  const std::vector<DynamicBufferRequest> *buffers = nullptr;
  const DynamicMemoryPlan *plan = nullptr;
  /// Symbol `first` must be at most `second`.
  std::vector<std::pair<int64_t, int64_t>> constraints;
  /// Where the plan's buffers start: after the kernels' static scratch.
  int64_t base = 0;
};

/// Turns the lowered module into the artifact: adds `mlc_weights` (one
/// 64-aligned private constant) and the exported C entry
/// `int32_t mlc_artifact_run(void *const *inputs, void *const *outputs,
/// void *arena)` that calls `mlc_graph`; everything else becomes internal.
/// With `dynamic`, it also exports `int64_t mlc_artifact_plan(int64_t
/// *symbols, int64_t *offsets)` (docs/artifact.md), and the entry reads the
/// symbols from the context, plans, and passes symbols and offsets on.
Status finalizeArtifact(llvm::Module &module, const Target &target,
                        const std::string &weights, size_t numInputs,
                        size_t numOutputs,
                        const DynamicEntry *dynamic = nullptr);

/// Runs the new pass manager's O3 pipeline.
void optimize(llvm::Module &module, const Target &target);

/// Emits a relocatable ELF object.
Expected<std::string> emitObject(llvm::Module &module, const Target &target);

/// Prints the module with the weights initializer elided.
std::string printWithoutWeights(llvm::Module &module);

} // namespace mlc::codegen
