// Schedules as data: per-contraction tile records, a heuristic that picks
// them, and the transform-dialect script that applies them.
#include "codegen/Schedule.h"

#include <algorithm>

namespace mlc::codegen {
int64_t divisorUpTo(int64_t n, int64_t limit, int64_t unit) {
  for (int64_t d = std::min(n, limit); d >= unit; --d)
    if (n % d == 0 && d % unit == 0)
      return d;
  return 0;
}

namespace {

/// The generic (m, n / w, w, k) forms with B in panels.
bool isPanelForm(const std::string &op) {
  return op == "matmul_t" || op == "matmul_p";
}

/// Cache tiles are also the unit of multithreading (one scf.forall
/// iteration each, claimed dynamically by the pool's threads): shrink them,
/// N first, until the problem has at least this many, as long as a tile
/// keeps two register tiles per side, then one while it keeps
/// kMinTileWork multiply-adds. With 8, SqueezeNet's 1000-filter conv had 9
/// tiles, run 5 + 4 on two threads; with 16 the zoo ran the same or up to
/// ~4% faster at 2 threads; with 32 ResNet-50 ran slower (58 -> 64 ms at 2
/// threads in one A/B run).
constexpr int64_t kMinTiles = 16;

/// Multiply-adds below which a tile is not split further (~1 µs).
constexpr int64_t kMinTileWork = 1 << 16;

/// Independent accumulator vectors a panel-form register tile aims for.
constexpr int64_t kAccumulators = 8;
/// The same for 16-wide AVX-512 vectors: 12 (a 6x32 tile), with 2 weight
/// vectors and a broadcast, fits the 32 registers. On a Zen 5 core (two
/// 512-bit FMA pipes) 6 accumulators reached 181 GFLOP/s at 1024^3 and 12
/// reached 236 (86% of the 274 measured peak); 24 (6x64) 227.
constexpr int64_t kAccumulatorsAvx512 = 12;

/// Panel forms with K up to this take all of K in one cache tile, so that
/// the accumulator fill fuses into each register tile (transformScript).
constexpr int64_t kWholeK = 1152;

/// `unitN`: cache tiles in N stay multiples of it (whole register tiles:
/// regN, or regN times the panels of a panel-form register tile).
void splitForThreads(ScheduleRecord &r, int64_t unitN = 0) {
  if (unitN == 0)
    unitN = r.regN;
  auto tiles = [&] { return (r.m / r.tileM) * (r.n / r.tileN) * r.batch; };
  while (tiles() < kMinTiles) {
    int64_t n = divisorUpTo(r.n, r.tileN - 1, unitN);
    if (n >= 2 * r.regN) {
      r.tileN = n;
      continue;
    }
    int64_t m = divisorUpTo(r.m, r.tileM - 1, r.regM);
    if (m >= 2 * r.regM) {
      r.tileM = m;
      continue;
    }
    // Down to one register tile per side while a tile keeps enough work.
    if (n >= r.regN && r.tileM * n * r.k >= kMinTileWork) {
      r.tileN = n;
      continue;
    }
    if (m >= r.regM && m * r.tileN * r.k >= kMinTileWork) {
      r.tileM = m;
      continue;
    }
    break;
  }
}

/// Weight panels per register tile of a panel form: among the divisors p
/// of the cache tile's panel count, the one whose tile keeps the target
/// number of accumulator vectors (kAccumulators 8-wide, AVX-512:
/// kAccumulatorsAvx512 16-wide) or the fewest above it, else the most
/// below it; p weight vectors, a broadcast and the accumulators must fit
/// the vector registers (32, AVX2 16) with one to spare. A 6-row tile of
/// 9 panels (144 filters) gets 3 panels (18 accumulators), not 1 (6).
int64_t registerPanels(const ScheduleRecord &r, const ScheduleTarget &target) {
  int64_t lanes = target.avx512 ? 16 : 8;
  int64_t registers = target.avx512 ? 32 : 16;
  int64_t want = target.avx512 ? kAccumulatorsAvx512 : kAccumulators;
  int64_t perPanel = std::max<int64_t>(1, r.regN / lanes);
  int64_t total = r.tileN / r.regN, best = 1;
  for (int64_t p = 1; p <= total; ++p) {
    if (total % p != 0)
      continue;
    int64_t acc = r.regM * perPanel * p;
    if (acc + p * perPanel + 1 > registers - 1)
      break;
    int64_t bestAcc = r.regM * perPanel * best;
    bool better = bestAcc < want ? acc > bestAcc : acc >= want && acc < bestAcc;
    if (better)
      best = p;
  }
  return best;
}

} // namespace

int64_t widePanelRows(int64_t rows) {
  int64_t best = 0;
  double bestCost = 0;
  for (int64_t r : {7, 8, 6, 4}) {
    double cost =
        static_cast<double>((rows + r - 1) / r * r) / (r == 4 ? 0.93 : 1.0);
    if (best == 0 || cost < bestCost) {
      best = r;
      bestCost = cost;
    }
  }
  return best;
}

std::optional<ScheduleRecord> chooseSchedule(const ContractionSite &site,
                                             const ScheduleTarget &target) {
  ScheduleRecord r;
  r.id = site.id;
  r.op = site.op;
  r.batch = site.batch;
  r.m = site.m;
  r.n = site.n;
  r.k = site.k;
  if (site.m < 0 || site.n < 0 || site.k < 0 || site.batch < 0 ||
      site.m * site.n * site.k < 4096 || site.k == 0)
    return std::nullopt;
  if (site.op == "matmul_t" || site.op == "matmul_p") {
    // The panel forms: N (filters, columns) is a multiple of 8; the emitter
    // pads M to a multiple of 6 or 4 (panelRows in EmitStructured.cpp: 6
    // only for matmul_p), or leaves fewer than 4 rows as they are. regN
    // must equal the weight panel width (weightPanel), as the loops are
    // (m, n / panel, panel, k).
    // matmul_p panels of 8 get 8 rows (8 accumulators; panelRows).
    r.regN = site.n % 16 == 0 ? 16 : 8;
    bool packed = site.op == "matmul_p";
    // On AVX-512, 16-wide panels take widePanelRows rows (panelRows with
    // wideVectors).
    int64_t wide = packed && target.avx512 && r.regN == 16 && site.m >= 4
                       ? widePanelRows(site.m)
                       : 0;
    bool six = packed && site.m % 6 == 0 && r.regN == 16;
    bool eight = packed && r.regN == 8 && site.m % 8 == 0;
    r.regM = wide != 0 && site.m % wide == 0 ? wide
             : six                           ? 6
             : eight                         ? 8
             : site.m < 4                    ? site.m
                                             : divisorUpTo(site.m, 4, 1);
    if (r.regM == 0 || site.n % 8 != 0)
      return std::nullopt;
    r.tileM = divisorUpTo(site.m, kPanelTileM, r.regM);
    r.tileN = divisorUpTo(site.n, 256, r.regN);
    r.tileK = site.k <= kWholeK ? site.k : divisorUpTo(site.k, 256, 1);
    // Up to kAccumulators 8-wide (AVX-512: kAccumulatorsAvx512 16-wide)
    // accumulators per register tile (FMA latency x FMA ports), from more
    // panels when the tile has fewer rows than that (GEMVs: batch-1 Linear
    // layers); the split for threads then keeps that many panels per cache
    // tile.
    int64_t panels = registerPanels(r, target);
    splitForThreads(r, panels * r.regN);
    r.regPanels = divisorUpTo(r.tileN / r.regN, panels, 1);
    return r;
  }
  // Register tile: AVX-512 holds an 8x32 f32 accumulator in 16 of its 32
  // registers; AVX2 a 4x16 one in 8 of its 16 ymm (4x32 needs all 16 for
  // accumulators and LLVM spills them in the k loop: 20 vs 35+ GFLOP/s).
  int64_t wantM = target.avx512 ? 8 : 4, wantN = target.avx512 ? 32 : 16;
  r.regM = divisorUpTo(site.m, wantM, 1);
  r.regN = divisorUpTo(site.n, wantN, 8);
  if (r.regN == 0)
    r.regN = divisorUpTo(site.n, wantN, 4);
  if (r.regM == 0 || r.regN == 0)
    return std::nullopt;
  r.regK = 1;
  r.tileM = divisorUpTo(site.m, 64, r.regM);
  r.tileN = divisorUpTo(site.n, 256, r.regN);
  r.tileK = divisorUpTo(site.k, 256, 1);
  splitForThreads(r);
  return r;
}

std::string formatSchedules(const std::vector<ScheduleRecord> &records) {
  std::string s;
  for (const ScheduleRecord &r : records) {
    s += "sched " + std::to_string(r.id) + " " + r.op + " ";
    if (r.op == "batch_matmul")
      s += std::to_string(r.batch) + "x";
    s += std::to_string(r.m) + "x" + std::to_string(r.n) + "x" +
         std::to_string(r.k) + " tile " + std::to_string(r.tileM) + "x" +
         std::to_string(r.tileN) + "x" + std::to_string(r.tileK) + " reg " +
         std::to_string(r.regM) + "x" + std::to_string(r.regN * r.regPanels) +
         "x" + std::to_string(r.regK) + "\n";
  }
  return s;
}

std::string transformScript(const std::vector<ScheduleRecord> &records) {
  if (records.empty())
    return "";
  const std::string anyOp = "!transform.any_op";
  std::string s = "module attributes {transform.with_named_sequence} {\n"
                  "  transform.named_sequence @__transform_main(%root: " +
                  anyOp + " {transform.readonly}) {\n";
  // `out` = `in` tiled by (m, n, k) (batch 1) with tile_using_for.
  auto tile = [&](const std::string &in, const std::string &out,
                  const ScheduleRecord &r, int64_t m, int64_t n, int64_t k) {
    bool batched = r.op == "batch_matmul";
    std::vector<int64_t> sizes = {m, n, k};
    if (batched)
      sizes.insert(sizes.begin(), 1);
    // matmul_t loops are (m, n / panel, panel, k); the panel is never tiled.
    if (isPanelForm(r.op))
      sizes = {m, n / r.regN, 0, k};
    std::string list, results = "(" + anyOp;
    for (size_t i = 0; i < sizes.size(); ++i) {
      list += (i ? ", " : "") + std::to_string(sizes[i]);
      if (sizes[i] != 0)
        results += ", " + anyOp;
    }
    results += ")";
    int loops = static_cast<int>(
        std::count_if(sizes.begin(), sizes.end(), [](int64_t v) { return v; }));
    s += "    " + out + ", %l" + out.substr(1) + ":" + std::to_string(loops) +
         " = transform.structured.tile_using_for " + in + " tile_sizes [" +
         list + "]" +
         " : (" + anyOp + ") -> " + results + "\n";
  };
  // The cache tiles as an scf.forall (independent iterations, which
  // Parallelize hands to the thread pool), with the accumulator's
  // linalg.fill (operand 2 of every scheduled op) fused into each tile
  // instead of zeroing the whole result up front.
  auto forallTile = [&](const std::string &in, const std::string &out,
                        const ScheduleRecord &r, const std::string &id) {
    std::vector<int64_t> sizes = {r.tileM, r.tileN};
    if (r.op == "batch_matmul")
      sizes.insert(sizes.begin(), 1);
    if (isPanelForm(r.op))
      sizes = {r.tileM, r.tileN / r.regN, 0};
    std::string list;
    for (size_t i = 0; i < sizes.size(); ++i)
      list += (i ? ", " : "") + std::to_string(sizes[i]);
    s += "    %fill" + id + " = transform.get_producer_of_operand " + in +
         "[2] : (" + anyOp + ") -> " + anyOp + "\n";
    s += "    " + out + ", %forall" + id +
         " = transform.structured.tile_using_forall " + in + " tile_sizes [" +
         list + "] : (" + anyOp + ") -> (" + anyOp + ", " + anyOp + ")\n";
    s += "    %fused" + id + ", %forallf" + id +
         " = transform.structured.fuse_into_containing_op %fill" + id +
         " into %forall" + id + " : (" + anyOp + ", " + anyOp + ") -> (" +
         anyOp + ", " + anyOp + ")\n";
  };
  for (const ScheduleRecord &r : records) {
    std::string id = std::to_string(r.id);
    std::string opName = isPanelForm(r.op) ? "generic" : r.op;
    s += "    %m" + id + " = transform.structured.match ops{[\"linalg." + opName +
         "\"]} attributes{mlc.sched = " + id + " : i64} in %root : (" + anyOp +
         ") -> " + anyOp + "\n";
    forallTile("%m" + id, "%c" + id, r, id);
    if (r.tileK == r.k) {
      // One k tile: tile to register tiles with structured.fuse, which
      // pulls the (cache-tile) fill into each register tile. Vectorized,
      // the fill is a zero vector that the accumulator read folds into:
      // no memset of the C tile and no reading it back.
      std::vector<int64_t> sizes = {r.regM, r.regN};
      if (r.op == "batch_matmul")
        sizes.insert(sizes.begin(), 1);
      if (isPanelForm(r.op))
        sizes = {r.regM, r.regPanels};
      std::string list;
      for (size_t i = 0; i < sizes.size(); ++i)
        list += (i ? ", " : "") + std::to_string(sizes[i]);
      s += "    %a" + id + ", %la" + id + ":" + std::to_string(sizes.size()) +
           " = transform.structured.fuse %c" + id + " {tile_sizes = [" + list +
           "]} : (" + anyOp + ") -> (" + anyOp;
      for (size_t i = 0; i < sizes.size(); ++i)
        s += ", " + anyOp;
      s += ")\n";
      tile("%a" + id, "%b" + id, r, 0, 0, r.regK);
      s += "    %fills" + id +
           " = transform.structured.match ops{[\"linalg.fill\"]} in %la" +
           id + "#0 : (" + anyOp + ") -> " + anyOp + "\n";
      s += "    transform.structured.vectorize %fills" + id + " : " + anyOp +
           "\n";
    } else {
      tile("%c" + id, "%a" + id, r, 0, 0, r.tileK);
      tile("%a" + id, "%b" + id, r, r.regM, r.regN * r.regPanels, r.regK);
    }
    s += "    transform.structured.vectorize %b" + id + " : " + anyOp + "\n";
  }
  // Function-wide clean-up: fold the tile slices into the transfers, hoist
  // the accumulator out of the k loop (on tensors, where it is provably not
  // aliased) and lower the contractions to FMAs.
  s += "    %f = transform.structured.match ops{[\"func.func\"]} in %root : (" +
       anyOp + ") -> " + anyOp + "\n";
  s += "    transform.apply_patterns to %f {\n"
       "      transform.apply_patterns.canonicalization\n"
       "      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers\n"
       "    } : " + anyOp + "\n";
  s += "    transform.apply_cse to %f : " + anyOp + "\n";
  s += "    %loops = transform.structured.match ops{[\"scf.for\"]} in %root : (" +
       anyOp + ") -> " + anyOp + "\n";
  s += "    transform.apply_licm to %loops : " + anyOp + "\n";
  s += "    transform.loop.hoist_loop_invariant_subsets %loops : " + anyOp + "\n";
  s += "    transform.apply_patterns to %f {\n"
       "      transform.apply_patterns.vector.lower_contraction lowering_strategy = \"outerproduct\"\n"
       "      transform.apply_patterns.vector.lower_outerproduct\n"
       "      transform.apply_patterns.canonicalization\n"
       "    } : " + anyOp + "\n";
  // Break the 2-D transfers, broadcasts and shape casts into 1-D vector ops
  // while still on tensors; left to the generic lowering they scalarize.
  s += "    transform.apply_patterns to %f {\n"
       "      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1\n"
       "      transform.apply_patterns.vector.lower_broadcast\n"
       "      transform.apply_patterns.vector.lower_shape_cast\n"
       "    } : " + anyOp + "\n";
  // Canonicalization runs on its own: mixed with broadcast lowering it can
  // rewrite back and forth forever (docs/codegen-notes/conv.md, traps).
  s += "    transform.apply_patterns to %f {\n"
       "      transform.apply_patterns.canonicalization\n"
       "    } : " + anyOp + "\n";
  s += "    transform.yield\n  }\n}\n";
  return s;
}

} // namespace mlc::codegen
