// mlc-codegen-check: compiles one small graph per op (and fused groups),
// links each object into a shared library, runs it through the artifact ABI
// and compares with the reference interpreter. `--bench` times a 1024^3
// matmul and a ResNet-50 3x3 conv instead.
#include "codegen/Codegen.h"
#include "ir/Interpreter.h"
#include "mlc/artifact_format.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace mlc;

namespace {

using RunFn = int32_t (*)(const mlc_exec_context *, void *const *,
                          void *const *, void *);

/// parallel_for for the check: splits [0, count) into `*pool` (an int
/// thread count) near-equal ranges, the first on the caller, the rest on
/// fresh threads; uneven counts exercise the split arithmetic.
void threadedParallelFor(void *pool, mlc_task_fn fn, void *args,
                         int64_t count) {
  int64_t threads = std::min<int64_t>(*static_cast<int *>(pool), count);
  if (threads <= 1) {
    fn(args, 0, count);
    return;
  }
  std::vector<std::thread> workers;
  for (int64_t t = 1; t < threads; ++t)
    workers.emplace_back(
        [=] { fn(args, count * t / threads, count * (t + 1) / threads); });
  fn(args, 0, count / threads);
  for (std::thread &w : workers)
    w.join();
}

/// A context running parallel loops on `threads` threads.
struct CheckContext {
  int threads;
  mlc_exec_context context;
  explicit CheckContext(int n) : threads(n) {
    context.struct_size = sizeof(context);
    context.num_threads = n;
    context.pool = &threads;
    context.parallel_for = threadedParallelFor;
  }
};

/// A graph under test and the range of its random inputs.
struct Case {
  std::string name;
  Graph graph;
  double lo = -1.0, hi = 1.0;
  /// Compiled with TargetOptions::allowTf32, its f32 inputs rounded to tf32
  /// values (so that the tensor-core products are exact and the usual
  /// tolerance still checks every fragment index).
  bool tf32 = false;
};

/// `x` rounded to nearest, ties away from zero, to 10 mantissa bits.
float roundToTf32(float x) {
  if (std::isnan(x))
    return x;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x1000u) & 0xFFFFE000u;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "mlc-codegen-check: %s\n", message.c_str());
  std::exit(2);
}

TensorType tt(DType d, std::vector<int64_t> s) { return {d, makeShape(s)}; }

Value *input(Graph &g, const std::string &name, DType d,
             std::vector<int64_t> shape) {
  auto v = g.addInput(name, tt(d, std::move(shape)));
  if (!v.ok())
    die(v.message());
  return *v;
}

Value *op(Graph &g, OpKind kind, std::vector<Value *> operands,
          AttributeMap attrs = {}, int64_t group = -1) {
  auto n = g.addNode(kind, std::move(operands), std::move(attrs));
  if (!n.ok())
    die(std::string(opName(kind)) + ": " + n.message());
  (*n)->setGroup(group);
  return (*n)->result();
}

/// Random tensor data of `type` with values in [lo, hi] (integers rounded,
/// bool 0/1).
TensorData randomData(const TensorType &type, double lo, double hi,
                      std::mt19937 &rng) {
  int64_t n = *elementCount(type.shape);
  std::vector<uint8_t> bytes(static_cast<size_t>(n * dtypeSize(type.dtype)));
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < n; ++i) {
    double v = dist(rng);
    void *p = bytes.data() + i * dtypeSize(type.dtype);
    auto put = [&](auto x) { std::memcpy(p, &x, sizeof(x)); };
    switch (type.dtype) {
    case DType::F32:
      put(static_cast<float>(v));
      break;
    case DType::F64:
      put(v);
      break;
    case DType::F16:
      // Multiples of 2^-10 (exact in f16 for |v| <= 2^5).
      put(static_cast<_Float16>(std::round(v * 1024) / 1024));
      break;
    case DType::BF16: {
      // Multiples of 2^-7 (exact in bf16 for |v| <= 2): the top half of
      // the f32.
      float x = static_cast<float>(std::round(v * 128) / 128);
      uint32_t bits;
      std::memcpy(&bits, &x, sizeof bits);
      put(static_cast<uint16_t>(bits >> 16));
      break;
    }
    case DType::I8:
      put(static_cast<int8_t>(std::lround(v)));
      break;
    case DType::I16:
      put(static_cast<int16_t>(std::lround(v)));
      break;
    case DType::I32:
      put(static_cast<int32_t>(std::lround(v)));
      break;
    case DType::I64:
      put(static_cast<int64_t>(std::lround(v)));
      break;
    case DType::U8:
      put(static_cast<uint8_t>(std::lround(std::fabs(v))));
      break;
    case DType::U16:
      put(static_cast<uint16_t>(std::lround(std::fabs(v))));
      break;
    case DType::U32:
      put(static_cast<uint32_t>(std::lround(std::fabs(v))));
      break;
    case DType::U64:
      put(static_cast<uint64_t>(std::lround(std::fabs(v))));
      break;
    case DType::Bool:
      put(static_cast<uint8_t>(rng() & 1));
      break;
    default:
      if (!isNarrow(type.dtype))
        die("random data for " + std::string(dtypeName(type.dtype)));
      // Any code at all (NaNs, infinities and subnormals included), as the
      // type stores it (i4 and i2 sign-extended, 4-bit codes in the low
      // bits).
      if (type.dtype == DType::F4E2M1)
        put(static_cast<uint8_t>(rng() % 16));
      else if (isNarrowFloat(type.dtype))
        put(static_cast<uint8_t>(rng() % 256));
      else
        put(narrowFromInteger(type.dtype, static_cast<int64_t>(rng() % 256),
                              true));
    }
  }
  return *makeTensorData(type, std::move(bytes));
}

Value *constant(Graph &g, DType d, std::vector<int64_t> shape, double lo,
                double hi, std::mt19937 &rng) {
  auto v = g.addConstant(randomData(tt(d, std::move(shape)), lo, hi, rng));
  if (!v.ok())
    die(v.message());
  return *v;
}

double element(const TensorData &t, int64_t i) {
  const uint8_t *p = t.bytes->data() + i * dtypeSize(t.type.dtype);
  auto get = [&](auto x) {
    std::memcpy(&x, p, sizeof(x));
    return static_cast<double>(x);
  };
  switch (t.type.dtype) {
  case DType::F32:
    return get(float());
  case DType::F64:
    return get(double());
  case DType::I8:
    return get(int8_t());
  case DType::I16:
    return get(int16_t());
  case DType::I32:
    return get(int32_t());
  case DType::I64:
    return get(int64_t());
  case DType::U8:
  case DType::Bool:
    return get(uint8_t());
  case DType::U16:
    return get(uint16_t());
  case DType::U32:
    return get(uint32_t());
  case DType::U64:
    return get(uint64_t());
  default:
    if (isNarrow(t.type.dtype)) // the stored code: compared exactly
      return get(uint8_t());
    return std::nan("");
  }
}

/// The target the cases compile for: "llvm", or "cuda-emulate" (the CUDA
/// target's kernels and launches run on the host), from --target=.
std::string &checkTarget() {
  static std::string target = "llvm";
  return target;
}

/// For "cuda-emulate": the architecture whose kernels are emulated
/// (TargetOptions::specificArchs, e.g. sm_90a's wgmma), from --arch=;
/// empty: sm_80's.
std::string &checkArch() {
  static std::string arch;
  return arch;
}

/// Compiles `graph`, links it with `cc` and returns the loaded entry.
/// `everyLoopParallel` outlines every parallel loop however small, so that
/// threaded runs exercise the dispatch of every kernel shape.
RunFn compileAndLoad(const Graph &graph, const std::string &dir,
                     const std::string &name, CodegenResult &result,
                     std::string &error, bool everyLoopParallel,
                     bool allowTf32 = false) {
  TargetOptions options;
  options.target = checkTarget();
  options.allowTf32 = allowTf32;
  if (!checkArch().empty())
    options.specificArchs = {checkArch()};
  if (everyLoopParallel)
    options.minParallelWork = 0;
  auto r = generateCode(graph, options);
  if (!r.ok()) {
    error = r.message();
    return nullptr;
  }
  result = r.take();
  std::string obj = dir + "/" + name + ".o", so = dir + "/" + name + ".so";
  std::ofstream(obj, std::ios::binary) << result.object;
  std::string cmd = "cc -shared " + obj + " -o " + so + " -lm";
  if (std::system(cmd.c_str()) != 0) {
    error = "link failed: " + cmd;
    return nullptr;
  }
  void *lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    error = std::string("dlopen: ") + dlerror();
    return nullptr;
  }
  auto fn = reinterpret_cast<RunFn>(dlsym(lib, "mlc_artifact_run"));
  if (!fn)
    error = "no mlc_artifact_run";
  return fn;
}

bool runCase(const Case &c, const std::string &dir) {
  std::mt19937 rng(1234);
  std::vector<TensorData> inputs;
  for (const Value *v : c.graph.inputs()) {
    inputs.push_back(randomData(v->type(), c.lo, c.hi, rng));
    if (c.tf32 && v->type().dtype == DType::F32) {
      std::vector<uint8_t> bytes = *inputs.back().bytes;
      for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
        float x;
        std::memcpy(&x, &bytes[i], 4);
        x = roundToTf32(x);
        std::memcpy(&bytes[i], &x, 4);
      }
      inputs.back() = *makeTensorData(v->type(), std::move(bytes));
    }
  }
  auto expected = interpretGraph(c.graph, inputs);
  if (!expected.ok()) {
    std::printf("SKIP %-28s interpreter: %s\n", c.name.c_str(),
                expected.message().c_str());
    return true;
  }
  CodegenResult result;
  std::string error;
  static int serial = 0;
  RunFn run = compileAndLoad(c.graph, dir, "case" + std::to_string(serial++),
                             result, error, /*everyLoopParallel=*/true, c.tf32);
  if (!run) {
    std::printf("FAIL %-28s %s\n", c.name.c_str(), error.c_str());
    return false;
  }
  std::vector<void *> in, out;
  for (TensorData &t : inputs)
    in.push_back(const_cast<uint8_t *>(t.bytes->data()));
  std::vector<std::vector<uint8_t>> outBufs;
  for (const Value *v : c.graph.outputs())
    outBufs.emplace_back(static_cast<size_t>(*byteSize(v->type())) + 1, 0xCD);
  for (auto &b : outBufs)
    out.push_back(b.data());
  std::vector<uint8_t> arena(static_cast<size_t>(result.arenaBytes) + 64);
  void *arenaPtr =
      arena.data() + (64 - reinterpret_cast<uintptr_t>(arena.data()) % 64) % 64;
  // One thread first, then three: both must give the same bytes.
  CheckContext serialContext(1), threadedContext(3);
  if (run(&serialContext.context, in.data(), out.data(), arenaPtr) != 0) {
    std::printf("FAIL %-28s nonzero status\n", c.name.c_str());
    return false;
  }
  std::vector<std::vector<uint8_t>> serialOut = outBufs;
  for (auto &b : outBufs)
    std::fill(b.begin(), b.end() - 1, 0xAB);
  if (run(&threadedContext.context, in.data(), out.data(), arenaPtr) != 0) {
    std::printf("FAIL %-28s nonzero status with 3 threads\n", c.name.c_str());
    return false;
  }
  if (outBufs != serialOut) {
    std::printf("FAIL %-28s 3 threads give other bytes than 1\n",
                c.name.c_str());
    return false;
  }
  double worst = 0;
  for (size_t o = 0; o < outBufs.size(); ++o) {
    const TensorData &e = (*expected)[o];
    outBufs[o].pop_back();
    TensorData got = *makeTensorData(e.type, outBufs[o]);
    bool exact = !isFloat(e.type.dtype);
    for (int64_t i = 0; i < e.numElements(); ++i) {
      double x = element(got, i), y = element(e, i);
      bool ok = exact ? x == y
                      : x == y || (std::isnan(x) && std::isnan(y)) ||
                            std::fabs(x - y) <= 1e-4 + 1e-3 * std::fabs(y);
      if (!ok) {
        std::printf("FAIL %-28s output %zu element %lld: got %.8g want %.8g\n",
                    c.name.c_str(), o, static_cast<long long>(i), x, y);
        return false;
      }
      if (!exact && std::isfinite(y))
        worst =
            std::max(worst, std::fabs(x - y) / (1e-4 + 1e-3 * std::fabs(y)));
    }
  }
  std::printf("ok   %-28s arena %lld/%lld bytes, worst err %.2f of tolerance\n",
              c.name.c_str(), static_cast<long long>(result.arenaBytes),
              static_cast<long long>(result.naiveIntermediateBytes), worst);
  return true;
}

std::vector<Case> makeCases() {
  std::vector<Case> cases;
  std::mt19937 rng(7);
  auto add = [&](const std::string &name, std::function<void(Graph &)> build,
                 double lo = -1.0, double hi = 1.0) {
    Case c;
    c.name = name;
    c.lo = lo;
    c.hi = hi;
    build(c.graph);
    cases.push_back(std::move(c));
  };
  const DType f = DType::F32;
  auto unary = [&](OpKind k, double lo = -2, double hi = 2, AttributeMap a = {},
                   DType d = DType::F32) {
    std::string suffix;
    if (k == OpKind::Cast)
      suffix = "_to_" + std::string(dtypeName(std::get<DType>(a.at("to"))));
    if (a.count("saturate") && std::get<int64_t>(a.at("saturate")) == 0)
      suffix += "_nosat";
    add(
        std::string(opName(k)) + "_" + std::string(dtypeName(d)) + suffix,
        [=](Graph &g) {
          Value *x = input(g, "x", d, {3, 17});
          g.setOutputs({op(g, k, {x}, a)});
        },
        lo, hi);
  };
  for (OpKind k : {OpKind::Neg, OpKind::Abs, OpKind::Exp, OpKind::Tanh,
                   OpKind::Sigmoid, OpKind::Relu, OpKind::Erf, OpKind::Floor,
                   OpKind::Ceil, OpKind::Sin, OpKind::Cos})
    unary(k, -3, 3);
  for (OpKind k : {OpKind::Log, OpKind::Sqrt, OpKind::Reciprocal})
    unary(k, 0.1, 5);
  for (OpKind k : {OpKind::Asin, OpKind::Acos, OpKind::Atanh})
    unary(k, -0.99, 0.99);
  for (OpKind k : {OpKind::Atan, OpKind::Asinh, OpKind::Round})
    unary(k, -5, 5);
  unary(OpKind::Acosh, 1, 9);
  unary(OpKind::Round, -5, 5, {}, DType::F64);
  unary(OpKind::Atan, -5, 5, {}, DType::F64);
  unary(OpKind::Clip, -2, 2, {{"min", -0.25}, {"max", 0.5}});
  unary(OpKind::Clip, -9, 9, {{"min", -3.0}, {"max", 4.0}}, DType::I32);
  unary(OpKind::LeakyRelu, -2, 2, {{"alpha", 0.1}});
  unary(OpKind::Neg, -9, 9, {}, DType::I32);
  unary(OpKind::Abs, -9, 9, {}, DType::I64);
  unary(OpKind::Relu, -9, 9, {}, DType::I8);
  unary(OpKind::Not, 0, 1, {}, DType::Bool);
  unary(OpKind::Exp, -3, 3, {}, DType::F64);
  unary(OpKind::Erf, -3, 3, {}, DType::F64);
  unary(OpKind::Cast, -9, 9, {{"to", DType::I32}});
  unary(OpKind::Cast, -2, 2, {{"to", DType::Bool}});
  unary(OpKind::Cast, -2, 2, {{"to", DType::F64}});
  unary(OpKind::Cast, -9, 9, {{"to", DType::F32}}, DType::I32);
  unary(OpKind::Cast, -9, 9, {{"to", DType::I64}}, DType::I32);
  unary(OpKind::Cast, -300, 300, {{"to", DType::I8}}, DType::I32);
  unary(OpKind::Cast, 0, 1, {{"to", DType::F32}}, DType::Bool);
  unary(OpKind::Cast, 0, 1, {{"to", DType::I32}}, DType::Bool);
  // Narrow types (docs/ir.md): every float8 format from f32 in and beyond
  // its range (saturating and not), and from f64 and i32; every code back
  // to f32; the integer formats from floats and integers. (f16 has no
  // random data here: tests/e2e/check_narrow_casts.py and the conformance
  // guard cover f16.)
  for (DType n :
       {DType::F8E4M3FN, DType::F8E4M3FNUZ, DType::F8E5M2, DType::F8E5M2FNUZ}) {
    unary(OpKind::Cast, -3, 3, {{"to", n}, {"saturate", int64_t(1)}});
    unary(OpKind::Cast, -7e4, 7e4, {{"to", n}, {"saturate", int64_t(0)}});
    unary(OpKind::Cast, -7e4, 7e4, {{"to", n}, {"saturate", int64_t(1)}},
          DType::F64);
    unary(OpKind::Cast, -600, 600, {{"to", n}, {"saturate", int64_t(1)}},
          DType::I32);
    unary(OpKind::Cast, 0, 0, {{"to", DType::F32}}, n);
  }
  unary(OpKind::Cast, -8, 8, {{"to", DType::F4E2M1}});
  for (const char *mode : {"up", "down", "nearest"})
    for (int64_t saturate : {int64_t(0), int64_t(1)})
      add(
          std::string("cast_f32_to_f8e8m0_") + mode +
              (saturate ? "" : "_nosat"),
          [=](Graph &g) {
            Value *x = input(g, "x", DType::F32, {3, 17});
            g.setOutputs({op(g, OpKind::Cast, {x},
                             {{"to", DType::F8E8M0},
                              {"saturate", saturate},
                              {"round_mode", std::string(mode)}})});
          },
          -1e30, 1e30);
  unary(OpKind::Cast, -3, 3, {{"to", DType::F8E8M0}});
  unary(OpKind::Cast, 0, 0, {{"to", DType::F32}}, DType::F8E8M0);
  unary(OpKind::Cast, 0, 0, {{"to", DType::F32}}, DType::F4E2M1);
  for (DType n : {DType::I4, DType::U4, DType::I2, DType::U2}) {
    unary(OpKind::Cast, -20, 20, {{"to", n}});
    unary(OpKind::Cast, -300, 300, {{"to", n}}, DType::I32);
    unary(OpKind::Cast, 0, 0, {{"to", DType::F32}}, n);
    unary(OpKind::Cast, 0, 0, {{"to", DType::I8}}, n);
  }
  unary(OpKind::Cast, 0, 0, {{"to", DType::I4}}, DType::F8E4M3FN);
  unary(OpKind::Cast, 0, 0, {{"to", DType::F8E5M2}}, DType::I4);
  auto binary = [&](OpKind k, DType d, double lo = -2, double hi = 2) {
    add(
        std::string(opName(k)) + "_" + std::string(dtypeName(d)),
        [=](Graph &g) {
          Value *x = input(g, "x", d, {3, 1, 5});
          Value *y = input(g, "y", d, {4, 5});
          g.setOutputs({op(g, k, {x, y})});
        },
        lo, hi);
  };
  for (OpKind k :
       {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max,
        OpKind::Min, OpKind::Equal, OpKind::Less, OpKind::Greater})
    binary(k, f);
  binary(OpKind::Pow, f, 0.1, 3);
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Max,
                   OpKind::Min, OpKind::Equal, OpKind::Less, OpKind::Greater})
    binary(k, DType::I32, -9, 9);
  binary(OpKind::Div, DType::I32, 1, 9);
  binary(OpKind::And, DType::Bool, 0, 1);
  binary(OpKind::Or, DType::Bool, 0, 1);
  binary(OpKind::Equal, DType::Bool, 0, 1);
  // Bitwise ops, shifts (amounts past the bit width give 0) and the two
  // remainders (divisors 0 and -1 give 0; the bare instructions trap).
  binary(OpKind::Xor, DType::Bool, 0, 1);
  for (OpKind k : {OpKind::And, OpKind::Or, OpKind::Xor})
    binary(k, DType::I32, -9, 9);
  unary(OpKind::Not, -9, 9, {}, DType::I16);
  binary(OpKind::Shl, DType::U8, 0, 12);
  binary(OpKind::Shr, DType::U32, 0, 40);
  binary(OpKind::Shl, DType::U64, 0, 70);
  binary(OpKind::Shl, DType::I8, -12, 12);
  binary(OpKind::Shr, DType::I32, -40, 40);
  for (OpKind k : {OpKind::Mod, OpKind::Fmod}) {
    binary(k, f, -5, 5);
    binary(k, DType::F64, -5, 5);
    binary(k, DType::I32, -9, 9);
    binary(k, DType::I8, -9, 9);
    binary(k, DType::U16, 0, 9);
  }
  add("where", [&](Graph &g) {
    Value *c = input(g, "c", DType::Bool, {3, 1});
    Value *x = input(g, "x", f, {4});
    Value *y = input(g, "y", f, {3, 4});
    g.setOutputs({op(g, OpKind::Where, {c, x, y})});
  });

  auto matmul = [&](const std::string &name, std::vector<int64_t> a,
                    std::vector<int64_t> b, DType d = DType::F32) {
    add(
        name,
        [=](Graph &g) {
          Value *x = input(g, "a", d, a), *y = input(g, "b", d, b);
          g.setOutputs({op(g, OpKind::MatMul, {x, y})});
        },
        d == f ? -1 : -4, d == f ? 1 : 4);
  };
  matmul("matmul_small", {4, 8}, {8, 16});
  matmul("matmul_sched", {64, 96}, {96, 128});
  matmul("matmul_odd", {30, 50}, {50, 70});
  // Panel forms: 6-row register tiles with A padded (64 -> 66 rows), with
  // the remainder split off (514 = 6 * 85 + 4), and 8-wide panels.
  matmul("matmul_panel_pad", {64, 40}, {40, 48});
  matmul("matmul_panel_split", {514, 24}, {24, 32});
  matmul("matmul_panel_8", {20, 16}, {16, 24});
  matmul("matmul_fold_batch", {2, 3, 8, 16}, {16, 32});
  matmul("matmul_batched", {3, 16, 32}, {3, 32, 64});
  // Attention-like: M and N padded (13 -> 16 rows, 13 -> 16 columns).
  matmul("matmul_batched_pad", {2, 13, 24}, {2, 24, 13});
  matmul("matmul_bcast", {1, 3, 8, 4}, {2, 1, 4, 8});
  matmul("matmul_i32", {5, 7}, {7, 3}, DType::I32);
  // Large enough for the CUDA target's tiled contractions (GpuTiling.h):
  // ragged 64 x 64 output tiles and a depth of two full 16-deep tiles plus
  // 13; batched; broadcast batches (which become row and column
  // dimensions); integers and f64.
  matmul("matmul_tiled_ragged", {70, 45}, {45, 133});
  matmul("matmul_tiled_batched", {3, 40, 37}, {3, 37, 50});
  matmul("matmul_tiled_bcast", {2, 1, 33, 20}, {3, 20, 40});
  matmul("matmul_tiled_i32", {40, 33}, {33, 50}, DType::I32);
  matmul("matmul_tiled_f64", {17, 64}, {64, 65}, DType::F64);

  // [N, C, D..] -> [N, D.., C], for the channels-last variants.
  auto toLast = [](std::vector<int64_t> s) {
    int64_t c = s[1];
    s.erase(s.begin() + 1);
    s.push_back(c);
    return s;
  };
  // Every conv case also runs channels-last ("<name>_cl"), with x and the
  // result in [N, D.., C] order.
  auto conv = [&](const std::string &name, std::vector<int64_t> xs,
                  std::vector<int64_t> ws, std::vector<int64_t> strides,
                  std::vector<int64_t> pads, std::vector<int64_t> dil,
                  int64_t group, bool bias) {
    for (int64_t last : {0, 1})
      add(name + (last ? "_cl" : ""), [=, &rng](Graph &g) {
        Value *x = input(g, "x", f, last ? toLast(xs) : xs);
        Value *w = input(g, "w", f, ws);
        std::vector<Value *> ops = {x, w};
        if (bias)
          ops.push_back(constant(g, f, {ws[0]}, -1, 1, rng));
        AttributeMap a = {{"strides", strides},
                          {"pads", pads},
                          {"dilations", dil},
                          {"group", group}};
        if (last)
          a["channels_last"] = int64_t(1);
        g.setOutputs({op(g, OpKind::Conv, ops, a)});
      });
  };
  conv("conv2d_3x3_bias", {1, 3, 8, 8}, {4, 3, 3, 3}, {1, 1}, {1, 1, 1, 1},
       {1, 1}, 1, true);
  conv("conv2d_s2_d2_batch2", {2, 3, 9, 9}, {5, 3, 3, 3}, {2, 2}, {2, 1, 0, 2},
       {2, 2}, 1, false);
  conv("conv2d_1x1", {1, 16, 7, 7}, {8, 16, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1},
       1, true);
  conv("conv2d_grouped", {1, 4, 6, 6}, {6, 2, 3, 3}, {1, 1}, {1, 1, 1, 1},
       {1, 1}, 2, true);
  conv("conv2d_depthwise", {2, 4, 7, 7}, {8, 1, 3, 3}, {2, 2}, {1, 1, 1, 1},
       {1, 1}, 4, false);
  conv("conv1d", {2, 3, 11}, {4, 3, 3}, {2}, {1, 0}, {1}, 1, true);
  conv("conv3d", {1, 2, 4, 5, 5}, {3, 2, 2, 3, 3}, {1, 1, 2},
       {0, 1, 1, 0, 1, 1}, {1, 1, 1}, 1, false);
  conv("conv2d_resnet_like", {1, 64, 14, 14}, {64, 64, 3, 3}, {1, 1},
       {1, 1, 1, 1}, {1, 1}, 1, true);
  // Implicit GEMMs of the CUDA target's tiled contractions.
  conv("conv2d_tiled_s2_d2", {2, 8, 15, 15}, {24, 8, 3, 3}, {2, 2},
       {2, 1, 0, 2}, {2, 2}, 1, true);
  conv("conv1d_tiled", {2, 16, 40}, {20, 16, 5}, {1}, {2, 2}, {1}, 1, false);
  conv("conv2d_1x1_s2_tiled", {1, 32, 14, 14}, {48, 32, 1, 1}, {2, 2},
       {0, 0, 0, 0}, {1, 1}, 1, true);

  // The CUDA target's tensor-core forms (GpuTiling.h). f16 models: the
  // operands are casts of f16 values (as WidenHalfAccumulation leaves
  // them) or f32 constants that hold f16 values; mma.sync m16n8k16 with
  // f32 sums. tf32 (allowTf32): mma.sync m16n8k8.
  auto halfMatmul = [&](const std::string &name, std::vector<int64_t> a,
                        std::vector<int64_t> b, bool constantB,
                        DType half = DType::F16) {
    add(name, [=](Graph &g) {
      Value *x = op(g, OpKind::Cast, {input(g, "a", half, a)}, {{"to", f}});
      Value *y;
      if (constantB) {
        // Multiples of 1/64 in [-2, 2]: exactly f16 and bf16 values.
        TensorType type = tt(f, b);
        std::vector<uint8_t> bytes(*byteSize(type));
        for (size_t i = 0; i < bytes.size() / 4; ++i) {
          float v =
              static_cast<float>(static_cast<int>(i * 37 % 257) - 128) / 64.0f;
          std::memcpy(&bytes[4 * i], &v, 4);
        }
        auto data = makeTensorData(type, std::move(bytes));
        auto c = g.addConstant(*data);
        if (!c.ok())
          die(c.message());
        y = *c;
      } else {
        y = op(g, OpKind::Cast, {input(g, "b", half, b)}, {{"to", f}});
      }
      g.setOutputs({op(g, OpKind::MatMul, {x, y})});
    });
  };
  halfMatmul("mma_f16_matmul_ragged", {70, 45}, {45, 133}, false);
  halfMatmul("mma_f16_matmul_batched", {3, 40, 37}, {3, 37, 50}, false);
  halfMatmul("mma_f16_matmul_const", {33, 64}, {64, 80}, true);
  halfMatmul("mma_bf16_matmul_ragged", {70, 45}, {45, 133}, false, DType::BF16);
  halfMatmul("mma_bf16_matmul_const", {33, 64}, {64, 80}, true, DType::BF16);
  add("mma_f16_conv2d_s2_d2", [=, &rng](Graph &g) {
    Value *x = op(g, OpKind::Cast, {input(g, "x", DType::F16, {2, 8, 15, 15})},
                  {{"to", f}});
    Value *w = op(g, OpKind::Cast, {input(g, "w", DType::F16, {24, 8, 3, 3})},
                  {{"to", f}});
    g.setOutputs({op(g, OpKind::Conv, {x, w, constant(g, f, {24}, -1, 1, rng)},
                     {{"strides", std::vector<int64_t>{2, 2}},
                      {"pads", std::vector<int64_t>{2, 1, 0, 2}},
                      {"dilations", std::vector<int64_t>{2, 2}},
                      {"group", int64_t{1}}})});
  });
  // A padded conv with bias, relu and a residual add: the padded input is
  // read in place and the rest is the contraction's epilogue (one launch).
  add("mma_f16_conv2d_pad_bias_relu_add", [=, &rng](Graph &g) {
    Value *x = op(g, OpKind::Cast, {input(g, "x", DType::F16, {2, 16, 12, 12})},
                  {{"to", f}});
    Value *w = op(g, OpKind::Cast, {input(g, "w", DType::F16, {32, 16, 3, 3})},
                  {{"to", f}});
    Value *conv = op(g, OpKind::Conv, {x, w, constant(g, f, {32}, -1, 1, rng)},
                     {{"strides", std::vector<int64_t>{1, 1}},
                      {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                      {"dilations", std::vector<int64_t>{1, 1}},
                      {"group", int64_t{1}}});
    Value *relu = op(g, OpKind::Relu, {conv});
    g.setOutputs(
        {op(g, OpKind::Add, {relu, input(g, "r", f, {2, 32, 12, 12})})});
  });
  auto tf32Case = [&](const std::string &name) {
    cases.back().tf32 = true;
    cases.back().name = name;
  };
  matmul("", {70, 45}, {45, 133});
  tf32Case("mma_tf32_matmul_ragged");
  matmul("", {3, 40, 37}, {3, 37, 50});
  tf32Case("mma_tf32_matmul_batched");
  conv("", {2, 16, 40}, {20, 16, 5}, {1}, {2, 2}, {1}, 1, false);
  cases.pop_back(); // the channels-last twin
  tf32Case("mma_tf32_conv1d");

  // Pools run channels-last too ("<name>_cl").
  auto pool = [&](const std::string &name, OpKind k, std::vector<int64_t> xs,
                  AttributeMap a, DType d = DType::F32) {
    for (int64_t last : {0, 1})
      add(
          name + (last ? "_cl" : ""),
          [=](Graph &g) {
            AttributeMap attrs = a;
            if (last)
              attrs["channels_last"] = int64_t(1);
            Value *x = input(g, "x", d, last ? toLast(xs) : xs);
            g.setOutputs({op(g, k, {x}, attrs)});
          },
          -5, 5);
  };
  pool("max_pool_2x2", OpKind::MaxPool, {1, 2, 8, 8},
       {{"kernel", std::vector<int64_t>{2, 2}},
        {"strides", std::vector<int64_t>{2, 2}},
        {"pads", std::vector<int64_t>{0, 0, 0, 0}},
        {"dilations", std::vector<int64_t>{1, 1}},
        {"ceil_mode", int64_t(0)}});
  pool("max_pool_3x3_pad_ceil", OpKind::MaxPool, {2, 3, 9, 10},
       {{"kernel", std::vector<int64_t>{3, 3}},
        {"strides", std::vector<int64_t>{2, 2}},
        {"pads", std::vector<int64_t>{1, 1, 1, 1}},
        {"dilations", std::vector<int64_t>{1, 1}},
        {"ceil_mode", int64_t(1)}});
  pool("max_pool_i32_dil", OpKind::MaxPool, {1, 2, 9},
       {{"kernel", std::vector<int64_t>{2}},
        {"strides", std::vector<int64_t>{1}},
        {"pads", std::vector<int64_t>{1, 1}},
        {"dilations", std::vector<int64_t>{2}},
        {"ceil_mode", int64_t(0)}},
       DType::I32);
  for (int64_t includePad : {0, 1})
    pool("avg_pool_ceil_pad" + std::to_string(includePad), OpKind::AvgPool,
         {1, 2, 7, 8},
         {{"kernel", std::vector<int64_t>{3, 2}},
          {"strides", std::vector<int64_t>{2, 2}},
          {"pads", std::vector<int64_t>{1, 0, 1, 1}},
          {"ceil_mode", int64_t(1)},
          {"count_include_pad", includePad}});
  pool("avg_pool_global", OpKind::AvgPool, {1, 8, 7, 7},
       {{"kernel", std::vector<int64_t>{7, 7}},
        {"strides", std::vector<int64_t>{1, 1}},
        {"pads", std::vector<int64_t>{0, 0, 0, 0}},
        {"ceil_mode", int64_t(0)},
        {"count_include_pad", int64_t(0)}});

  auto reduce = [&](OpKind k, std::vector<int64_t> axes, int64_t keep,
                    DType d = DType::F32, double lo = -2, double hi = 2) {
    add(
        std::string(opName(k)) + "_" + std::string(dtypeName(d)) + "_k" +
            std::to_string(keep),
        [=](Graph &g) {
          Value *x = input(g, "x", d, {3, 5, 7});
          g.setOutputs({op(g, k, {x}, {{"axes", axes}, {"keepdims", keep}})});
        },
        lo, hi);
  };
  reduce(OpKind::ReduceSum, {1}, 0);
  reduce(OpKind::ReduceMean, {0, 2}, 1);
  reduce(OpKind::ReduceMax, {2}, 0);
  reduce(OpKind::ReduceMin, {0, 1, 2}, 0);
  reduce(OpKind::ReduceProd, {1}, 1, DType::F32, 0.5, 1.5);
  reduce(OpKind::ReduceSum, {0, 2}, 0, DType::I32, -9, 9);
  reduce(OpKind::ReduceMax, {1}, 1, DType::I64, -9, 9);
  reduce(OpKind::ReduceSum, {}, 0);
  for (int64_t last : {0, 1})
    add(
        "arg_max_last" + std::to_string(last),
        [=](Graph &g) {
          Value *x = input(g, "x", DType::I32, {3, 5, 4});
          g.setOutputs({op(g, OpKind::ArgMax, {x},
                           {{"axis", int64_t(1)},
                            {"keepdims", last},
                            {"select_last_index", last}})});
        },
        -3, 3);
  add("arg_max_f32", [=](Graph &g) {
    Value *x = input(g, "x", f, {4, 9});
    g.setOutputs({op(g, OpKind::ArgMax, {x},
                     {{"axis", int64_t(1)},
                      {"keepdims", int64_t(0)},
                      {"select_last_index", int64_t(0)}})});
  });
  for (OpKind k : {OpKind::Softmax, OpKind::LogSoftmax})
    add(
        std::string(opName(k)),
        [=](Graph &g) {
          Value *x = input(g, "x", f, {2, 5, 7});
          g.setOutputs({op(g, k, {x}, {{"axis", int64_t(1)}})});
        },
        -4, 4);
  add("layer_norm", [=](Graph &g) {
    Value *x = input(g, "x", f, {2, 3, 16});
    Value *s = input(g, "s", f, {16});
    Value *b = input(g, "b", f, {16});
    g.setOutputs({op(g, OpKind::LayerNorm, {x, s, b},
                     {{"axis", int64_t(2)}, {"epsilon", 1e-5}})});
  });
  add("layer_norm_axis1_nobias", [=](Graph &g) {
    Value *x = input(g, "x", f, {2, 3, 4});
    Value *s = input(g, "s", f, {3, 4});
    g.setOutputs({op(g, OpKind::LayerNorm, {x, s},
                     {{"axis", int64_t(1)}, {"epsilon", 1e-3}})});
  });
  add("batch_norm", [&](Graph &g) {
    Value *x = input(g, "x", f, {2, 3, 4, 5});
    Value *s = constant(g, f, {3}, 0.5, 1.5, rng);
    Value *b = constant(g, f, {3}, -1, 1, rng);
    Value *m = constant(g, f, {3}, -1, 1, rng);
    Value *v = constant(g, f, {3}, 0.5, 2, rng);
    g.setOutputs(
        {op(g, OpKind::BatchNorm, {x, s, b, m, v}, {{"epsilon", 1e-5}})});
  });

  add("reshape", [=](Graph &g) {
    Value *x = input(g, "x", f, {2, 3, 4});
    g.setOutputs(
        {op(g, OpKind::Reshape, {x}, {{"shape", std::vector<int64_t>{4, 6}}})});
  });
  // Unit dims at the start of a reshape group (5x1x24 -> 5x4x6 groups the
  // 1 with the 5, reshapeGroups) feeding a head-splitting transpose, and
  // one in the first group (1x5x24 -> 5x4x6).
  for (bool leading : {false, true})
    add(leading ? "reshape_unit_dims_first_transpose"
                : "reshape_unit_dims_transpose",
        [=](Graph &g) {
          Value *x = input(g, "x", f,
                           leading ? std::vector<int64_t>{1, 5, 24}
                                   : std::vector<int64_t>{5, 1, 24});
          Value *r = op(g, OpKind::Reshape, {x},
                        {{"shape", std::vector<int64_t>{5, 4, 6}}}, 0);
          g.setOutputs({op(g, OpKind::Transpose, {r},
                           {{"perm", std::vector<int64_t>{1, 0, 2}}}, 0)});
        });
  add("reshape_scalar", [=](Graph &g) {
    Value *x = input(g, "x", f, {1, 1});
    g.setOutputs(
        {op(g, OpKind::Reshape, {x}, {{"shape", std::vector<int64_t>{}}})});
  });
  add("transpose", [=](Graph &g) {
    Value *x = input(g, "x", f, {2, 3, 4});
    g.setOutputs({op(g, OpKind::Transpose, {x},
                     {{"perm", std::vector<int64_t>{2, 0, 1}}})});
  });
  // Blocked transposes: the output's innermost dim (x's dim 1, 32 = 2
  // blocks of 16; x's dim 0, 24 = 3 blocks of 8) becomes the innermost loop.
  add("transpose_blocked_nchw_to_nhwc", [=](Graph &g) {
    Value *x = input(g, "x", f, {2, 32, 5, 6});
    g.setOutputs({op(g, OpKind::Transpose, {x},
                     {{"perm", std::vector<int64_t>{0, 2, 3, 1}}})});
  });
  add("transpose_blocked_2d_i32", [=](Graph &g) {
    Value *x = input(g, "x", DType::I32, {24, 7});
    g.setOutputs({op(g, OpKind::Transpose, {x},
                     {{"perm", std::vector<int64_t>{1, 0}}})});
  });
  add("concat", [=](Graph &g) {
    Value *a = input(g, "a", f, {2, 3, 4});
    Value *b = input(g, "b", f, {2, 1, 4});
    Value *c = input(g, "c", f, {2, 5, 4});
    g.setOutputs({op(g, OpKind::Concat, {a, b, c}, {{"axis", int64_t(1)}})});
  });
  // Zero-size operands with a zero inner extent ([2, 0, 4], whose memrefs
  // have no bare-pointer form): a graph input and a kernel result that an
  // empty slice produces, both consumed by a concat in another kernel.
  add("concat_zero_size_parts", [=](Graph &g) {
    Value *a = input(g, "a", f, {2, 3, 4});
    Value *z = input(g, "z", f, {2, 0, 4});
    Value *e = op(g, OpKind::Slice, {a},
                  {{"starts", std::vector<int64_t>{0, 3, 0}},
                   {"ends", std::vector<int64_t>{2, 3, 4}},
                   {"steps", std::vector<int64_t>{1, 1, 1}}},
                  0);
    Value *r = op(g, OpKind::Relu, {a}, {}, 1);
    g.setOutputs(
        {op(g, OpKind::Concat, {r, z, e}, {{"axis", int64_t(1)}}, 2), z});
  });
  add("slice_steps", [=](Graph &g) {
    Value *x = input(g, "x", f, {5, 8, 6});
    g.setOutputs({op(g, OpKind::Slice, {x},
                     {{"starts", std::vector<int64_t>{1, 7, 0}},
                      {"ends", std::vector<int64_t>{5, -1, 6}},
                      {"steps", std::vector<int64_t>{2, -3, 1}}})});
  });
  add(
      "gather_i64_axis1",
      [=](Graph &g) {
        Value *x = input(g, "x", f, {3, 4, 5});
        Value *i = input(g, "i", DType::I64, {2, 3});
        g.setOutputs({op(g, OpKind::Gather, {x, i}, {{"axis", int64_t(1)}})});
      },
      -4, 3);
  add(
      "gather_i32_axis0",
      [=](Graph &g) {
        Value *x = input(g, "x", DType::I32, {6, 5});
        Value *i = input(g, "i", DType::I32, {4});
        g.setOutputs({op(g, OpKind::Gather, {x, i}, {{"axis", int64_t(0)}})});
      },
      -6, 5);
  // Indices smaller than the data off the axis; negative and out-of-range
  // ones (wrapped, then clamped).
  add(
      "gather_elements_i64_axis1",
      [=](Graph &g) {
        Value *x = input(g, "x", f, {3, 4, 5});
        Value *i = input(g, "i", DType::I64, {2, 6, 5});
        g.setOutputs(
            {op(g, OpKind::GatherElements, {x, i}, {{"axis", int64_t(1)}})});
      },
      -6, 5);
  add(
      "gather_elements_i32_axis0",
      [=](Graph &g) {
        Value *x = input(g, "x", DType::I32, {6, 5});
        Value *i = input(g, "i", DType::I32, {3, 5});
        g.setOutputs(
            {op(g, OpKind::GatherElements, {x, i}, {{"axis", int64_t(0)}})});
      },
      -6, 5);
  add("expand", [=](Graph &g) {
    Value *x = input(g, "x", f, {3, 1});
    g.setOutputs({op(g, OpKind::Expand, {x},
                     {{"shape", std::vector<int64_t>{2, 3, 4}}})});
  });
  for (std::string mode : {"constant", "reflect", "edge"})
    add("pad_" + mode, [=](Graph &g) {
      Value *x = input(g, "x", f, {2, 4, 5});
      g.setOutputs({op(g, OpKind::Pad, {x},
                       {{"pads", std::vector<int64_t>{0, 2, 1, 1, 3, 2}},
                        {"mode", mode},
                        {"value", 0.5}})});
    });

  // Fused groups.
  add("fused_matmul_bias_relu", [&](Graph &g) {
    Value *x = input(g, "x", f, {32, 64});
    Value *w = constant(g, f, {64, 128}, -1, 1, rng);
    Value *b = constant(g, f, {128}, -1, 1, rng);
    Value *m = op(g, OpKind::MatMul, {x, w}, {}, 0);
    Value *a = op(g, OpKind::Add, {m, b}, {}, 0);
    g.setOutputs({op(g, OpKind::Relu, {a}, {}, 0)});
  });
  // The residual a view made between the matmul and its epilogue (the CUDA
  // target's tiled kernel runs the add in its stores, so the launch goes
  // after the view).
  add("fused_matmul_slice_residual", [&](Graph &g) {
    Value *x = input(g, "x", f, {70, 45});
    Value *w = input(g, "w", f, {45, 133});
    Value *r = input(g, "r", f, {80, 133});
    Value *m = op(g, OpKind::MatMul, {x, w}, {}, 0);
    Value *s = op(g, OpKind::Slice, {r},
                  {{"starts", std::vector<int64_t>{5, 0}},
                   {"ends", std::vector<int64_t>{75, 133}},
                   {"axes", std::vector<int64_t>{0, 1}},
                   {"steps", std::vector<int64_t>{1, 1}}},
                  0);
    g.setOutputs({op(g, OpKind::Add, {m, s}, {}, 0)});
  });
  // GEMVs (1 and 2 rows) with constant weights: register tiles of several
  // panels (16-wide: 1x64; 8-wide, 1000 -> 1000 columns: 1x64 of 8 panels),
  // K split into cache tiles (1280 > 1152) in the second.
  add("gemv_panels_16", [&](Graph &g) {
    Value *x = input(g, "x", f, {2, 96});
    Value *w = constant(g, f, {96, 256}, -1, 1, rng);
    g.setOutputs({op(g, OpKind::MatMul, {x, w}, {}, 0)});
  });
  add("gemv_panels_8_split_k", [&](Graph &g) {
    Value *x = input(g, "x", f, {1, 1280});
    Value *w = constant(g, f, {1280, 1000}, -1, 1, rng);
    g.setOutputs({op(g, OpKind::MatMul, {x, w}, {}, 0)});
  });
  add("fused_conv_bias_relu_add", [&](Graph &g) {
    Value *x = input(g, "x", f, {1, 8, 10, 10});
    Value *r = input(g, "r", f, {1, 16, 10, 10});
    Value *w = constant(g, f, {16, 8, 3, 3}, -1, 1, rng);
    Value *b = constant(g, f, {16}, -1, 1, rng);
    Value *c = op(g, OpKind::Conv, {x, w, b},
                  {{"strides", std::vector<int64_t>{1, 1}},
                   {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                   {"dilations", std::vector<int64_t>{1, 1}},
                   {"group", int64_t(1)}},
                  0);
    Value *y = op(g, OpKind::Relu, {c}, {}, 0);
    g.setOutputs({op(g, OpKind::Add, {y, r}, {}, 0)});
  });
  // Constant weights of transposed-form convs are stored packed in the
  // weights blob; batch 2 x 7x7 = 98 positions are padded to 100 rows.
  add("conv_const_w_packed_batch2", [&](Graph &g) {
    Value *x = input(g, "x", f, {2, 32, 7, 7});
    Value *w = constant(g, f, {16, 32, 3, 3}, -1, 1, rng);
    Value *b = constant(g, f, {16}, -1, 1, rng);
    g.setOutputs({op(g, OpKind::Conv, {x, w, b},
                     {{"strides", std::vector<int64_t>{1, 1}},
                      {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                      {"dilations", std::vector<int64_t>{1, 1}},
                      {"group", int64_t(1)}})});
  });
  // 72 filters (a multiple of 8, not of 16) in the transposed form: the
  // weights are padded with zero rows to 80 for 16-wide panels, packed at
  // compile time (constant) or in the kernel (an input).
  add("conv_padded_panels_const_w", [&](Graph &g) {
    Value *x = input(g, "x", f, {1, 24, 7, 7});
    Value *w = constant(g, f, {72, 24, 1, 1}, -1, 1, rng);
    Value *b = constant(g, f, {72}, -1, 1, rng);
    g.setOutputs({op(g, OpKind::Conv, {x, w, b},
                     {{"strides", std::vector<int64_t>{1, 1}},
                      {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                      {"dilations", std::vector<int64_t>{1, 1}},
                      {"group", int64_t(1)}})});
  });
  add("conv_padded_panels_input_w", [&](Graph &g) {
    Value *x = input(g, "x", f, {1, 24, 7, 7});
    Value *w = input(g, "w", f, {72, 24, 3, 3});
    g.setOutputs({op(g, OpKind::Conv, {x, w},
                     {{"strides", std::vector<int64_t>{1, 1}},
                      {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                      {"dilations", std::vector<int64_t>{1, 1}},
                      {"group", int64_t(1)}})});
  });
  // Channels-last convs with constant weights, packed at compile time in
  // (K.., C) order: 16-wide panels (32 filters), 8-wide panels padded from
  // 20 to 24 filters, 16-wide ones padded from 72 to 80, a 1x1 stride-2
  // conv (an im2col of one tap), batch 2 with 6-row tiles split, and a
  // depthwise conv whose weights are transposed per call.
  auto convConst = [&](const std::string &name, std::vector<int64_t> xs,
                       std::vector<int64_t> ws, int64_t stride, int64_t pad,
                       int64_t group) {
    add(name, [=, &rng](Graph &g) {
      Value *x = input(g, "x", f, xs);
      Value *w = constant(g, f, ws, -1, 1, rng);
      Value *b = constant(g, f, {ws[0]}, -1, 1, rng);
      Value *c = op(g, OpKind::Conv, {x, w, b},
                    {{"strides", std::vector<int64_t>{stride, stride}},
                     {"pads", std::vector<int64_t>{pad, pad, pad, pad}},
                     {"dilations", std::vector<int64_t>{1, 1}},
                     {"group", group},
                     {"channels_last", int64_t(1)}},
                    0);
      g.setOutputs({op(g, OpKind::Relu, {c}, {}, 0)});
    });
  };
  convConst("conv_cl_const_3x3", {1, 9, 9, 16}, {32, 16, 3, 3}, 1, 1, 1);
  convConst("conv_cl_const_panel8_pad", {1, 6, 6, 12}, {20, 12, 3, 3}, 1, 1,
            1);
  convConst("conv_cl_const_panel16_pad", {1, 7, 7, 24}, {72, 24, 1, 1}, 1, 0,
            1);
  convConst("conv_cl_const_1x1_s2", {1, 8, 8, 16}, {32, 16, 1, 1}, 2, 0, 1);
  convConst("conv_cl_const_batch2_split", {2, 23, 23, 8}, {16, 8, 1, 1}, 1,
            0, 1);
  convConst("conv_cl_const_depthwise", {1, 10, 10, 24}, {24, 1, 3, 3}, 2, 1,
            24);
  // 7x7 = 49 output rows padded to 54: the im2col of an unpadded conv runs
  // its first output dim on to 8 rows (clamped reads), and so does the
  // view of a 1x1 conv's x (panel16_pad above).
  convConst("conv_cl_const_valid_rows_extended", {1, 9, 9, 8}, {16, 8, 3, 3},
            1, 0, 1);
  // P = 2 x 33 x 33 = 2178, not a multiple of 32, with an im2col: the plain
  // form with zero columns up to 2208 (convPlainColumns).
  add("conv_plain_padded_columns", [&](Graph &g) {
    Value *x = input(g, "x", f, {2, 3, 35, 35});
    Value *w = constant(g, f, {16, 3, 3, 3}, -1, 1, rng);
    Value *b = constant(g, f, {16}, -1, 1, rng);
    g.setOutputs({op(g, OpKind::Conv, {x, w, b},
                     {{"strides", std::vector<int64_t>{1, 1}},
                      {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                      {"dilations", std::vector<int64_t>{1, 1}},
                      {"group", int64_t(1)}})});
  });
  // Integer division by 0 (defined as 0) and by -1 (negation, wrapping at
  // the minimum): the bare instructions trap.
  for (DType d : {DType::I32, DType::I64, DType::U8})
    add("div_by_zero_and_minus_one_" + std::string(dtypeName(d)),
        [&, d](Graph &g) {
          Value *x = input(g, "x", d, {2, 8});
          Value *zero = constant(g, d, {8}, 0, 0, rng);
          Value *q0 = op(g, OpKind::Div, {x, zero}, {}, 0);
          Value *out = q0;
          if (d != DType::U8) {
            Value *minusOne = constant(g, d, {8}, -1, -1, rng);
            Value *q1 = op(g, OpKind::Div, {x, minusOne}, {}, 0);
            out = op(g, OpKind::Add, {q0, q1}, {}, 0);
          }
          g.setOutputs({out});
        });
  // One constant weight shared by two convs in different kernels.
  add("conv_shared_const_w", [&](Graph &g) {
    Value *x = input(g, "x", f, {1, 16, 6, 6});
    Value *w = constant(g, f, {16, 16, 1, 1}, -1, 1, rng);
    AttributeMap a = {{"strides", std::vector<int64_t>{1, 1}},
                      {"pads", std::vector<int64_t>{0, 0, 0, 0}},
                      {"dilations", std::vector<int64_t>{1, 1}},
                      {"group", int64_t(1)}};
    Value *c1 = op(g, OpKind::Conv, {x, w}, a);
    Value *c2 = op(g, OpKind::Conv, {c1, w}, a);
    g.setOutputs({c2});
  });
  add("gelu_softmax_chain", [&](Graph &g) {
    Value *x = input(g, "x", f, {4, 32});
    Value *half = constant(g, f, {}, 0.5, 0.5, rng);
    Value *e = op(g, OpKind::Erf, {x}, {}, 0);
    Value *m = op(g, OpKind::Mul, {e, half}, {}, 0);
    Value *s = op(g, OpKind::Softmax, {m}, {{"axis", int64_t(1)}}, 1);
    Value *t = op(g, OpKind::Tanh, {s}, {}, 2);
    g.setOutputs({op(g, OpKind::Add, {t, x}, {}, 3)});
  });
  // Long rows, which LLVM vectorizes (float sums are reassociable, max is
  // llvm.maximum), with a remainder; and NaNs (sqrt of the negative half)
  // through max reductions, softmax, relu and max.
  add("row_reductions_vectorized", [&](Graph &g) {
    Value *x = input(g, "x", f, {3, 203});
    Value *scale = input(g, "s", f, {203});
    AttributeMap rows = {{"axes", std::vector<int64_t>{1}},
                         {"keepdims", int64_t(0)}};
    g.setOutputs({op(g, OpKind::ReduceSum, {x}, rows, 0),
                  op(g, OpKind::ReduceMax, {x}, rows, 1),
                  op(g, OpKind::Softmax, {x}, {{"axis", int64_t(1)}}, 2),
                  op(g, OpKind::LayerNorm, {x, scale},
                     {{"axis", int64_t(1)}, {"epsilon", 1e-5}}, 3)});
  });
  add("nan_propagation", [&](Graph &g) {
    Value *x = input(g, "x", f, {2, 67});
    Value *y = op(g, OpKind::Sqrt, {x}, {}, 0);
    AttributeMap rows = {{"axes", std::vector<int64_t>{1}},
                         {"keepdims", int64_t(0)}};
    g.setOutputs({op(g, OpKind::ReduceMax, {y}, rows, 1),
                  op(g, OpKind::ReduceMin, {y}, rows, 2),
                  op(g, OpKind::Softmax, {y}, {{"axis", int64_t(1)}}, 3),
                  op(g, OpKind::Relu, {y}, {}, 4),
                  op(g, OpKind::Max, {y, x}, {}, 5)});
  });
  // Output corner cases: input as output, duplicate output, constant
  // output, zero-size output, an intermediate that is also an output.
  add("outputs_corner_cases", [&](Graph &g) {
    Value *x = input(g, "x", f, {3, 4});
    Value *z = input(g, "z", f, {0, 4});
    Value *c = constant(g, f, {2}, -1, 1, rng);
    Value *e = op(g, OpKind::Exp, {x}, {}, 0);
    Value *n = op(g, OpKind::Neg, {e}, {}, 1);
    Value *zz = op(g, OpKind::Neg, {z}, {}, 2);
    g.setOutputs({x, e, n, e, c, zz});
  });
  return cases;
}

/// Median and best of `runs` timings of `fn`, in seconds.
std::pair<double, double> timeRuns(const std::function<void()> &fn, int runs) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t[0]};
}

int bench(const std::string &dir) {
  struct Bench {
    std::string name;
    Graph graph;
    double flops;
  };
  std::vector<Bench> benches;
  {
    Bench b{"matmul_1024", Graph(), 2.0 * 1024 * 1024 * 1024};
    Value *x = input(b.graph, "a", DType::F32, {1024, 1024});
    Value *y = input(b.graph, "b", DType::F32, {1024, 1024});
    b.graph.setOutputs({op(b.graph, OpKind::MatMul, {x, y})});
    benches.push_back(std::move(b));
  }
  {
    Bench b{"conv_resnet_64x56x56_3x3", Graph(), 2.0 * 64 * 56 * 56 * 64 * 9};
    Value *x = input(b.graph, "x", DType::F32, {1, 64, 56, 56});
    Value *w = input(b.graph, "w", DType::F32, {64, 64, 3, 3});
    b.graph.setOutputs({op(b.graph, OpKind::Conv, {x, w},
                           {{"strides", std::vector<int64_t>{1, 1}},
                            {"pads", std::vector<int64_t>{1, 1, 1, 1}},
                            {"dilations", std::vector<int64_t>{1, 1}},
                            {"group", int64_t(1)}})});
    benches.push_back(std::move(b));
  }
  std::mt19937 rng(1);
  CheckContext serial(1);
  for (Bench &b : benches) {
    CodegenResult result;
    std::string error;
    RunFn run = compileAndLoad(b.graph, dir, b.name, result, error,
                               /*everyLoopParallel=*/false);
    if (!run) {
      std::printf("FAIL %s: %s\n", b.name.c_str(), error.c_str());
      return 1;
    }
    std::vector<TensorData> inputs;
    std::vector<void *> in, out;
    for (const Value *v : b.graph.inputs()) {
      inputs.push_back(randomData(v->type(), -1, 1, rng));
      in.push_back(const_cast<uint8_t *>(inputs.back().bytes->data()));
    }
    std::vector<uint8_t> outBuf(*byteSize(b.graph.outputs()[0]->type()));
    out.push_back(outBuf.data());
    std::vector<uint8_t> arena(result.arenaBytes + 64);
    void *arenaPtr = arena.data() +
                     (64 - reinterpret_cast<uintptr_t>(arena.data()) % 64) % 64;
    auto [median, best] = timeRuns(
        [&] { run(&serial.context, in.data(), out.data(), arenaPtr); }, 9);
    std::printf("%-26s median %8.3f ms %6.1f GFLOP/s, best %6.1f GFLOP/s\n%s",
                b.name.c_str(), median * 1e3, b.flops / median * 1e-9,
                b.flops / best * 1e-9, result.scheduleReport.c_str());
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string filter;
  bool doBench = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--bench")
      doBench = true;
    else if (a.rfind("--target=", 0) == 0)
      checkTarget() = a.substr(9);
    else if (a.rfind("--arch=", 0) == 0)
      checkArch() = a.substr(7);
    else
      filter = a;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  char tmpl[] = "/tmp/mlc-codegen-check-XXXXXX";
  if (!mkdtemp(tmpl))
    die("cannot create a temporary directory");
  std::string dir = tmpl;
  if (doBench) {
    int rc = bench(dir);
    std::system(("rm -rf " + dir).c_str());
    return rc;
  }
  int failures = 0, count = 0;
  for (const Case &c : makeCases()) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos)
      continue;
    ++count;
    failures += runCase(c, dir) ? 0 : 1;
  }
  std::system(("rm -rf " + dir).c_str());
  std::printf("%d of %d cases passed\n", count - failures, count);
  return failures ? 1 : 0;
}
