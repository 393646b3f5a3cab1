// Schedules as data: per-contraction tile records, a heuristic that picks
// them, and the transform-dialect script that applies them.
#pragma once

#include "codegen/EmitContext.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlc::codegen {

/// The schedule of one matmul / batch_matmul: a cache tile, then a register
/// tile that is vectorized (on tensors, before bufferization), with the
/// accumulator hoisted out of the k loop and the contraction lowered to
/// outer-product FMAs. Tile sizes are (M, N, K); batch tiles are always 1.
struct ScheduleRecord {
  /// The op it applies to (`mlc.sched` id in the kernel text).
  int64_t id = 0;
  std::string op;
  /// Problem size, for reports.
  int64_t batch = 1, m = 0, n = 0, k = 0;
  /// Cache tile.
  int64_t tileM = 0, tileN = 0, tileK = 0;
  /// Register tile (vectorized; tileK 1 gives outer products).
  int64_t regM = 0, regN = 0, regK = 1;
  /// Panel forms: weight panels (of regN columns) per register tile. More
  /// than one when the tile has few rows, so that it still keeps several
  /// independent accumulators (a 1-row GEMV tile with one 16-wide panel is
  /// bound by the FMA latency of two chains).
  int64_t regPanels = 1;
  bool operator==(const ScheduleRecord &) const = default;
};

/// Largest divisor of `n` that is <= `limit` and a multiple of `unit`
/// (0 when there is none). Tile sizes are chosen this way, so that every
/// tile is full.
int64_t divisorUpTo(int64_t n, int64_t limit, int64_t unit);

/// Rows per register tile of a matmul_p with 16-wide weight panels on
/// AVX-512, for `rows` (>= 4) rows of A: of 7, 8, 6 and 4, the one that
/// pads the fewest rows (4 counted at 0.93 of the others' speed), the
/// first of that list on a tie (3136 rows: 7x32 tiles ran ResNet-50 at 2
/// threads in 21.4 ms, 8x32 in 22.8; 128 rows: 8). With two panels per tile
/// that is 16, 14 or 12 zmm accumulators, 2 weight vectors and a broadcast in
/// 32 registers. The emitter pads A to a multiple of it (panelRows);
/// chooseSchedule calls it again on the padded count and checks that it divides
/// it.
int64_t widePanelRows(int64_t rows);

/// Upper bound of a panel form's cache tile in M (rows of A).
inline constexpr int64_t kPanelTileM = 196;

/// Target facts the heuristic looks at.
struct ScheduleTarget {
  /// 512-bit vectors with 32 registers (else AVX2: 256-bit, 16 registers).
  bool avx512 = false;
};

/// Picks a schedule for `site`, or none when the op is too small or its
/// shape admits no exact tiling (then it lowers to plain loops). Tile sizes
/// always divide the problem so that every vector is full.
std::optional<ScheduleRecord> chooseSchedule(const ContractionSite &site,
                                             const ScheduleTarget &target);

/// One line per record, e.g. `sched 0 matmul 128x768x768 tile 64x256x256
/// reg 8x32x1`, for --schedule-report.
std::string formatSchedules(const std::vector<ScheduleRecord> &records);

/// The transform-dialect library module (`@__transform_main`) that applies
/// `records`; empty when there are none.
std::string transformScript(const std::vector<ScheduleRecord> &records);

} // namespace mlc::codegen
