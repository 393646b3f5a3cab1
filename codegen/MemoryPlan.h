// Static activation-memory plan: liveness over kernel order, best-fit reuse.
#pragma once

#include "ir/Graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlc::codegen {

/// One buffer to place: live from kernel `first` through kernel `last`
/// (inclusive; the defining kernel writes it, the last user reads it).
struct BufferRequest {
  int64_t bytes = 0;
  int64_t first = 0;
  int64_t last = 0;
};

/// Where each requested buffer lives in the arena.
struct MemoryPlan {
  /// Byte offset of each request, in request order (64-byte aligned).
  std::vector<int64_t> offsets;
  /// Arena size needed (a multiple of 64).
  int64_t arenaBytes = 0;
  /// Sum of the aligned request sizes (what no reuse would need).
  int64_t naiveBytes = 0;
};

/// Plans the arena: walks kernels in order, frees buffers whose last use is
/// behind, and places each new buffer in the smallest free block that fits
/// (lowest offset on ties), growing the arena only when none does. Buffers
/// live at the same kernel never overlap. Deterministic.
MemoryPlan planMemory(const std::vector<BufferRequest> &requests);

/// A buffer whose size depends on run-time symbols (dynamic shapes): `bytes`
/// times the product of the symbol values `symbols` names (indices into the
/// graph's symbol table; repeated for powers, ?seq x ?seq attention scores).
struct DynamicBufferRequest {
  int64_t bytes = 0;
  std::vector<int64_t> symbols;
  int64_t first = 0;
  int64_t last = 0;
};

/// A placement that is valid for every binding of the symbols. Buffers are
/// placed in `order`; buffer i goes at the 64-byte aligned maximum of the
/// base and offset + size of each buffer in below[i]: those live at the same
/// time as i that the plan at the hint (every symbol = hint) put lower. So
/// two buffers live at once never overlap, and at the hint no buffer sits
/// higher than in planMemory's plan. The run time evaluates it
/// (evaluateDynamicPlan is the reference).
struct DynamicMemoryPlan {
  std::vector<size_t> order;
  std::vector<std::vector<size_t>> below;
};

/// Plans buffers with symbolic sizes from the static plan at `hint` (> 0).
/// Deterministic.
DynamicMemoryPlan
planDynamicMemory(const std::vector<DynamicBufferRequest> &requests,
                  int64_t hint);

/// Offsets and arena size of `plan` for the symbol values `symbols`, with
/// the buffers starting at `base`; nullopt when a size or offset overflows
/// int64.
std::optional<MemoryPlan>
evaluateDynamicPlan(const DynamicMemoryPlan &plan,
                    const std::vector<DynamicBufferRequest> &requests,
                    const std::vector<int64_t> &symbols, int64_t base);

/// How the run time gets a symbol's value (docs/artifact.md, `symbol`).
struct SymbolBinding {
  enum class Kind { Shape, Value, Computed, Late, Split };
  Kind kind = Kind::Shape;
  /// Kind::Value: element `element` of graph input `input`, times `scale`.
  int64_t input = 0;
  int64_t element = 0;
  int64_t scale = 1;
  /// Kind::Split (StringSplit's width, from the strings of graph input
  /// `input`): the delimiter (whitespace when empty) and the most splits
  /// (negative: unlimited).
  std::string delimiter;
  int64_t maxSplit = -1;
  /// Kind::Late (loaded during the run): the value loaded, and the bound
  /// the plan sizes for.
  const Value *source = nullptr;
  int64_t bound = 0;
};

/// A symbol mlc_artifact_plan computes, in order: symbols[index] =
/// op(args); an operand is a symbol index (first = true) or a constant.
struct ComputedSymbol {
  size_t index = 0;
  SymbolOp op = SymbolOp::Add;
  std::vector<std::pair<bool, int64_t>> args;
};

/// A run-time check of mlc_artifact_plan (after the constraints, in order):
/// symbol `symbol` is non-zero or non-negative, or the element counts
/// `lhs` and `rhs` (extents, symbols as -2 - k) are equal.
struct PlanCheck {
  enum class Kind { NonZero, NonNegative, EqualCounts };
  Kind kind = Kind::NonZero;
  int64_t symbol = 0;
  std::vector<int64_t> lhs, rhs;
  /// What the run time reports when the check fails.
  std::string message;
};

} // namespace mlc::codegen
