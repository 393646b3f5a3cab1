// Graph -> one MLIR module (text): a kernel per fusion group plus the entry.
#pragma once

#include "codegen/EmitContext.h"
#include "codegen/MemoryPlan.h"
#include "ir/Graph.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlc::codegen {

/// The MLIR text of a whole graph and the facts later stages need.
struct EmittedModule {
  /// `func.func private @k<N>` per group and `func.func @mlc_graph`.
  std::string text;
  /// Whether some kernel is marked `mlc.mma` (may use tensor cores).
  bool tensorCores = false;
  /// Contractions that may get a schedule, by `mlc.sched` id.
  std::vector<ContractionSite> sites;
  /// Constants placed in the weights blob, and their byte offsets.
  std::vector<const Value *> constants;
  std::vector<int64_t> constantOffsets;
  /// Per constant: 0, or the panel width w when it is stored packed (see
  /// weightPanel): as [dim 0 / w, rest, w] (conv weights), or, when
  /// constantPanelFromKN is set, a matmul's B[K, N] as [N / w, K, w].
  std::vector<int64_t> constantPanel;
  std::vector<bool> constantPanelFromKN;
  /// Per packed conv weight W[F, C, K..]: its rows are packed in (K.., C)
  /// order, for channels-last convs (Wp[F/w, K..*C, w]).
  std::vector<bool> constantPanelChannelsLast;
  /// Tables the host ops read (string_index's sorted keys), by offset in
  /// the weights blob.
  std::vector<std::pair<int64_t, std::string>> hostBlobs;
  int64_t weightsBytes = 0;
  /// Activation arena size and the no-reuse total, from the memory plan
  /// (static graphs; a dynamic graph's arena is `dynamicPlan`'s).
  int64_t arenaBytes = 0;
  int64_t naiveIntermediateBytes = 0;

  /// Dynamic shapes: the graph's symbols (from its inputs' symbolic dims,
  /// in input and dim order). Empty for a static graph. Then @mlc_graph
  /// takes, after the weights, each symbol as `%sym<k>: index` and each
  /// arena buffer's byte offset as `%off<i>: index`, placed by
  /// `dynamicPlan` over `dynamicBuffers` (MemoryPlan.h).
  std::vector<std::string> symbols;
  /// How each symbol gets its value, and how many of them (the first ones:
  /// those in some value's dims) the kernels and @mlc_graph take.
  std::vector<SymbolBinding> bindings;
  size_t numKernelSymbols = 0;
  /// Symbols the plan computes and the checks it makes (graph
  /// requirements, computed dims >= 0, checked reshapes' counts).
  std::vector<ComputedSymbol> computed;
  std::vector<PlanCheck> checks;
  std::vector<DynamicBufferRequest> dynamicBuffers;
  DynamicMemoryPlan dynamicPlan;
  /// Run-time checks: symbol `constraints[i].first` must be at most
  /// `.second` (a slice `0 : ?n` of a static dim).
  std::vector<std::pair<int64_t, int64_t>> constraints;
};

/// string_index's table of `keys` (docs/artifact.md, "Host functions"): a
/// u64 count K, u64 flags (bit 0: ASCII case folded: the keys are stored
/// lowercase and the queries compared lowercased), then per key sorted
/// bytewise {u64 offset, u64 length, i64 position in `keys`}, then the
/// bytes; offsets from the table's start, little-endian. Equal keys keep
/// the first position.
std::string hostStringTable(std::vector<std::string> keys, bool foldCase);

/// string_split's spec (docs/artifact.md, "Host functions"): i64 the most
/// splits per string (-1: unlimited), u64 the delimiter's length L, then its
/// L bytes (L = 0: split at runs of whitespace); little-endian.
std::string hostSplitSpec(const std::string &delimiter, int64_t maxSplit);

/// Emits the module: kernels in destination-passing style on memrefs
/// (arguments: the execution context, external inputs, then outputs;
/// tensors inside), and the entry
/// `@mlc_graph(context, inputs..., outputs..., arena, weights)` that carves
/// static views out of the arena and the weights and calls the kernels in
/// order. `portable` selects the forms every target can run (GPU targets): no
/// packed weights, no CPU register-tile shapes (KernelBuilder::portable),
/// and output copies as linalg.copy. `wideVectors` (AVX-512 targets) gives
/// panel contractions widePanelRows-row register tiles (KernelBuilder).
/// With `tensorCores` (a CUDA architecture with mma.sync, sm_80 and newer),
/// a kernel whose contractions may use them is marked `mlc.mma`
/// (GpuTiling.h): "f16" ("bf16") when their operands hold f16 (bf16)
/// values, "tf32" for other f32 contractions when `allowTf32`.
Expected<EmittedModule> emitModule(const Graph &graph, bool portable = false,
                                   bool wideVectors = false,
                                   bool tensorCores = false,
                                   bool allowTf32 = false);

} // namespace mlc::codegen
