// Tests of mlc_model_run: results, per-call validation, arenas and threads.
#include "artifact_util.h"

#include "mlc/runtime.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace mlc::test;

namespace {

/// A CPU DLTensor over `data` with `shape` (kept alive by the caller).
DLTensor cpuTensor(void *data, DLDataType dtype, std::vector<int64_t> &shape) {
  DLTensor t = {};
  t.data = data;
  t.device = {kDLCPU, 0};
  t.ndim = static_cast<int32_t>(shape.size());
  t.dtype = dtype;
  t.shape = shape.empty() ? nullptr : shape.data();
  return t;
}

const DLDataType kF32 = {kDLFloat, 32, 1};
const DLDataType kF64 = {kDLFloat, 64, 1};

/// Loads a model built from `elf` and `metadata`; frees it on scope exit.
struct LoadedModel {
  mlc_model *model = nullptr;
  LoadedModel(const char *elf, const std::string &metadata,
              const std::string &name) {
    std::string path = makeArtifact(elf, metadata, name);
    REQUIRE(mlc_model_load(path.c_str(), &model) == MLC_OK);
  }
  ~LoadedModel() { mlc_model_free(model); }
};

/// Inputs and outputs of the arena kernel for one call.
struct ArenaCall {
  float x[8];
  float scale;
  float out[8];
  double sum;
  std::vector<int64_t> vecShape{8}, scalarShape{};
  DLTensor inputs[2], outputs[2];

  ArenaCall(float base, float s) : scale(s) {
    for (int i = 0; i < 8; ++i) {
      x[i] = base + static_cast<float>(i);
      out[i] = -1.0f;
    }
    sum = -1.0;
    inputs[0] = cpuTensor(x, kF32, vecShape);
    inputs[1] = cpuTensor(&scale, kF32, scalarShape);
    outputs[0] = cpuTensor(out, kF32, vecShape);
    outputs[1] = cpuTensor(&sum, kF64, scalarShape);
  }

  /// True if the outputs are what the kernel must compute.
  bool correct() const {
    double total = 0.0;
    for (int i = 0; i < 8; ++i) {
      float expected = x[i] * scale + x[i];
      if (out[i] != expected)
        return false;
      total += expected;
    }
    return sum == total;
  }
};

} // namespace

TEST_CASE("run computes the affine model", "[run]") {
  LoadedModel m(MLC_TEST_AFFINE_ELF, affineMetadata(), "run_affine.mlc");
  std::vector<int64_t> shape{2, 3};
  float x[6] = {0, 1, 2, 3, -4, 0.5f};
  float y[6] = {};
  DLTensor in = cpuTensor(x, kF32, shape);
  DLTensor out = cpuTensor(y, kF32, shape);
  REQUIRE(mlc_model_run(m.model, &in, 1, &out, 1) == MLC_OK);
  for (int i = 0; i < 6; ++i)
    CHECK(y[i] == 2 * x[i] + 1);

  // byte_offset is honored and explicit compact strides are accepted.
  float padded[8] = {99, 99, 1, 2, 3, 4, 5, 6};
  float result[7] = {};
  std::vector<int64_t> strides{3, 1};
  in.data = padded;
  in.byte_offset = 2 * sizeof(float);
  in.strides = strides.data();
  out.data = result;
  out.byte_offset = sizeof(float);
  REQUIRE(mlc_model_run(m.model, &in, 1, &out, 1) == MLC_OK);
  CHECK(result[0] == 0);
  for (int i = 0; i < 6; ++i)
    CHECK(result[i + 1] == 2 * padded[i + 2] + 1);
}

TEST_CASE("run checks every argument on every call", "[run]") {
  LoadedModel m(MLC_TEST_AFFINE_ELF, affineMetadata(), "run_checks.mlc");
  std::vector<int64_t> shape{2, 3}, wide{2, 4}, flat{6};
  float x[8] = {}, y[8] = {};
  int64_t ix[6] = {};
  DLTensor in = cpuTensor(x, kF32, shape);
  DLTensor out = cpuTensor(y, kF32, shape);
  DLTensor two[2] = {in, in};

  auto expect = [&](DLTensor *inputs, int32_t numInputs, DLTensor *outputs,
                    int32_t numOutputs, mlc_status status,
                    const std::string &message) {
    CHECK(mlc_model_run(m.model, inputs, numInputs, outputs, numOutputs) ==
          status);
    CHECK(std::string(mlc_last_error()) == message);
  };

  expect(two, 2, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "the model takes 1 inputs, got 2");
  expect(&in, 1, &out, 0, MLC_ERROR_INVALID_ARGUMENT,
         "the model produces 1 outputs, got 0");
  expect(nullptr, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "mlc_model_run: NULL tensor array");
  CHECK(mlc_model_run(nullptr, &in, 1, &out, 1) == MLC_ERROR_INVALID_ARGUMENT);

  DLTensor bad = cpuTensor(x, kF32, wide);
  expect(&bad, 1, &out, 1, MLC_ERROR_SHAPE_MISMATCH,
         "input 'x' (index 0): expected shape 2x3, got 2x4");
  bad = cpuTensor(x, kF32, flat);
  expect(&bad, 1, &out, 1, MLC_ERROR_SHAPE_MISMATCH,
         "input 'x' (index 0): expected shape 2x3, got 6");
  bad = cpuTensor(y, kF32, wide);
  expect(&in, 1, &bad, 1, MLC_ERROR_SHAPE_MISMATCH,
         "output 'y' (index 0): expected shape 2x3, got 2x4");

  bad = cpuTensor(ix, DLDataType{kDLInt, 64, 1}, shape);
  expect(&bad, 1, &out, 1, MLC_ERROR_DTYPE_MISMATCH,
         "input 'x' (index 0): expected dtype f32, got i64");
  bad = cpuTensor(x, DLDataType{kDLFloat, 32, 4}, shape);
  expect(&bad, 1, &out, 1, MLC_ERROR_DTYPE_MISMATCH,
         "input 'x' (index 0): expected dtype f32, got (code 2, bits 32, "
         "lanes 4)");

  bad = in;
  bad.device = {kDLCUDA, 0};
  expect(&bad, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "input 'x' (index 0): expected a CPU tensor (kDLCPU), got device "
         "type 2");

  std::vector<int64_t> transposed{1, 2};
  bad = in;
  bad.strides = transposed.data();
  expect(&bad, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "input 'x' (index 0): strides 1x2 are not compact row-major");
  std::vector<int64_t> padded{4, 1};
  bad.strides = padded.data();
  expect(&bad, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "input 'x' (index 0): strides 4x1 are not compact row-major");

  bad = in;
  bad.data = nullptr;
  expect(&bad, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "input 'x' (index 0): data is NULL");
  bad = in;
  bad.byte_offset = 2;
  expect(&bad, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "input 'x' (index 0): data is not aligned to 4 bytes");
  bad = in;
  bad.shape = nullptr;
  expect(&bad, 1, &out, 1, MLC_ERROR_INVALID_ARGUMENT,
         "input 'x' (index 0): invalid ndim 2 or NULL shape");

  // Nothing above touched the output.
  for (float v : y)
    CHECK(v == 0);
}

TEST_CASE("extents of 1 may have any stride", "[run]") {
  std::string metadata = metadataHeader() + "input x f32 2x1x3\noutput y f32 6\n";
  LoadedModel m(MLC_TEST_AFFINE_ELF, metadata, "unit_dims.mlc");
  std::vector<int64_t> shape{2, 1, 3}, flat{6}, strides{3, 77, 1};
  float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {};
  DLTensor in = cpuTensor(x, kF32, shape);
  in.strides = strides.data();
  DLTensor out = cpuTensor(y, kF32, flat);
  REQUIRE(mlc_model_run(m.model, &in, 1, &out, 1) == MLC_OK);
  CHECK(y[5] == 13);
}

TEST_CASE("run uses an aligned arena and reports kernel failure", "[run]") {
  LoadedModel m(MLC_TEST_ARENA_ELF, arenaMetadata(), "run_arena.mlc");
  for (int i = 0; i < 5; ++i) {
    ArenaCall call(static_cast<float>(i), 0.5f);
    REQUIRE(mlc_model_run(m.model, call.inputs, 2, call.outputs, 2) == MLC_OK);
    CHECK(call.correct());
  }
  ArenaCall failing(1.0f, -1.0f);
  CHECK(mlc_model_run(m.model, failing.inputs, 2, failing.outputs, 2) ==
        MLC_ERROR_RUN_FAILED);
  CHECK(std::string(mlc_last_error()) ==
        "the compiled model failed with code 7");
  ArenaCall after(2.0f, 3.0f);
  REQUIRE(mlc_model_run(m.model, after.inputs, 2, after.outputs, 2) == MLC_OK);
  CHECK(after.correct());
}

TEST_CASE("run is safe from many threads on one model", "[run][threads]") {
  LoadedModel m(MLC_TEST_ARENA_ELF, arenaMetadata(), "run_threads.mlc");
  constexpr int kThreads = 8;
  constexpr int kRuns = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        ArenaCall call(static_cast<float>(t * 1000 + r),
                       static_cast<float>(t + 1));
        if (mlc_model_run(m.model, call.inputs, 2, call.outputs, 2) !=
                MLC_OK ||
            !call.correct())
          ++failures;
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  CHECK(failures.load() == 0);
}

TEST_CASE("the last error is per thread", "[run][threads]") {
  LoadedModel m(MLC_TEST_AFFINE_ELF, affineMetadata(), "last_error.mlc");
  CHECK(mlc_model_run(m.model, nullptr, 3, nullptr, 1) ==
        MLC_ERROR_INVALID_ARGUMENT);
  const std::string mine = "the model takes 1 inputs, got 3";
  REQUIRE(std::string(mlc_last_error()) == mine);

  std::string fresh, other;
  std::thread thread([&] {
    fresh = mlc_last_error();
    DLDataType dtype;
    mlc_dtype_from_name("nope", &dtype);
    other = mlc_last_error();
  });
  thread.join();
  CHECK(fresh.empty());
  CHECK(other == "unknown dtype 'nope'");
  CHECK(std::string(mlc_last_error()) == mine);

  // Success leaves the last error alone.
  DLDataType dtype;
  CHECK(mlc_dtype_from_name("f32", &dtype) == MLC_OK);
  CHECK(std::string(mlc_last_error()) == mine);
}

namespace {

const DLDataType kI32 = {kDLInt, 32, 1};

/// Runs the parallel kernel once; returns the status and fills `together`.
mlc_status runParallel(mlc_model *model, float base, int32_t &together,
                       bool &correct) {
  std::vector<float> x(4096), y(4096, -1.0f);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = base + static_cast<float>(i);
  std::vector<int64_t> vecShape{4096}, scalarShape{};
  together = -1;
  DLTensor inputs[1] = {cpuTensor(x.data(), kF32, vecShape)};
  DLTensor outputs[2] = {cpuTensor(y.data(), kF32, vecShape),
                         cpuTensor(&together, kI32, scalarShape)};
  mlc_status status = mlc_model_run(model, inputs, 1, outputs, 2);
  correct = true;
  for (size_t i = 0; i < x.size(); ++i)
    correct &= y[i] == x[i] * 3.0f;
  return status;
}

/// Loads the parallel kernel with `threads` threads.
mlc_model *loadParallel(int32_t threads, const std::string &name) {
  std::string path =
      makeArtifact(MLC_TEST_PARALLEL_ELF, parallelMetadata(), name);
  mlc_load_options options = {};
  options.struct_size = sizeof(options);
  options.num_threads = threads;
  mlc_model *model = nullptr;
  REQUIRE(mlc_model_load_with_options(path.c_str(), &options, &model) ==
          MLC_OK);
  return model;
}

} // namespace

TEST_CASE("the thread pool runs num_threads chunks at once",
          "[run][threads][pool]") {
  for (int32_t threads : {1, 2, 3, 4}) {
    INFO("threads " << threads);
    mlc_model *model = loadParallel(threads, "pool.mlc");
    CHECK(mlc_model_num_threads(model) == threads);
    for (int round = 0; round < 20; ++round) {
      int32_t together = -1;
      bool correct = false;
      REQUIRE(runParallel(model, static_cast<float>(round), together,
                          correct) == MLC_OK);
      CHECK(correct);
      CHECK(together == 1);
    }
    mlc_model_free(model);
  }
}

TEST_CASE("one pool serves concurrent runs", "[run][threads][pool]") {
  mlc_model *model = loadParallel(2, "pool_concurrent.mlc");
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int r = 0; r < 10; ++r) {
        int32_t together = -1;
        bool correct = false;
        if (runParallel(model, static_cast<float>(t * 100 + r), together,
                        correct) != MLC_OK ||
            !correct)
          ++failures;
      }
    });
  for (std::thread &caller : callers)
    caller.join();
  CHECK(failures.load() == 0);
  mlc_model_free(model);
}

TEST_CASE("load options are checked", "[load][threads]") {
  std::string path =
      makeArtifact(MLC_TEST_AFFINE_ELF, affineMetadata(), "options.mlc");
  mlc_model *model = nullptr;
  mlc_load_options options = {};
  options.num_threads = 1;
  CHECK(mlc_model_load_with_options(path.c_str(), &options, &model) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()).find("struct_size") !=
        std::string::npos);
  CHECK(model == nullptr);
  options.struct_size = sizeof(options);
  options.num_threads = -1;
  CHECK(mlc_model_load_with_options(path.c_str(), &options, &model) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) ==
        "num_threads must be 0 (one per CPU) or 1..256, got -1");
  // NULL options and 0 threads: one per CPU.
  REQUIRE(mlc_model_load_with_options(path.c_str(), nullptr, &model) ==
          MLC_OK);
  CHECK(mlc_model_num_threads(model) >= 1);
  mlc_model_free(model);
  CHECK(mlc_model_num_threads(nullptr) == -1);
}

TEST_CASE("a model with symbolic dims runs at any extent", "[run][dynamic]") {
  LoadedModel m(MLC_TEST_DYNAMIC_ELF, dynamicMetadata(), "dynamic.mlc");
  mlc_tensor_info info;
  REQUIRE(mlc_model_input_info(m.model, 0, &info) == MLC_OK);
  REQUIRE(info.ndim == 1);
  CHECK(info.shape[0] == -1); // symbolic
  for (int64_t n : {0, 1, 7, 300, 1000}) {
    INFO("n = " << n);
    std::vector<float> x(static_cast<size_t>(n) + 1),
        w(static_cast<size_t>(n) + 1), y(static_cast<size_t>(n) + 1, -5.0f);
    float total = 0;
    for (int64_t i = 0; i < n; ++i) {
      x[i] = static_cast<float>(i);
      w[i] = 0.5f;
    }
    std::vector<int64_t> s = {n}, scalar;
    DLTensor in[2] = {cpuTensor(x.data(), kF32, s),
                      cpuTensor(w.data(), kF32, s)};
    DLTensor out[2] = {cpuTensor(y.data(), kF32, s),
                       cpuTensor(&total, kF32, scalar)};
    int64_t shape[1] = {-7};
    REQUIRE(mlc_model_output_shape(m.model, in, 2, 0, shape) == MLC_OK);
    CHECK(shape[0] == n);
    // The run reports the outputs' extents; the tensors stay as given.
    int64_t got0[1] = {-7}, *got[2] = {got0, nullptr};
    REQUIRE(mlc_model_run_with_output_shapes(m.model, in, 2, out, 2, got) ==
            MLC_OK);
    CHECK(got0[0] == n);
    CHECK(out[0].shape[0] == n);
    REQUIRE(mlc_model_run(m.model, in, 2, out, 2) == MLC_OK);
    float expect = 0;
    for (int64_t i = 0; i < n; ++i) {
      CHECK(y[i] == x[i] * 0.5f + 1.0f);
      expect += y[i];
    }
    CHECK(total == expect);
    CHECK(y[n] == -5.0f); // nothing written past the extent
  }
}

TEST_CASE("a model with symbolic dims checks how inputs bind them",
          "[run][dynamic]") {
  LoadedModel m(MLC_TEST_DYNAMIC_ELF, dynamicMetadata(), "dynamic.mlc");
  std::vector<float> x(2000), w(2000), y(2000);
  float total = 0;
  std::vector<int64_t> s4 = {4}, s5 = {5}, s2x2 = {2, 2}, scalar;
  std::vector<int64_t> big = {1001}, negative = {-1};
  auto run = [&](std::vector<int64_t> &xs, std::vector<int64_t> &ws,
                 std::vector<int64_t> &ys) {
    DLTensor in[2] = {cpuTensor(x.data(), kF32, xs),
                      cpuTensor(w.data(), kF32, ws)};
    DLTensor out[2] = {cpuTensor(y.data(), kF32, ys),
                       cpuTensor(&total, kF32, scalar)};
    return mlc_model_run(m.model, in, 2, out, 2);
  };
  CHECK(run(s4, s5, s4) == MLC_ERROR_SHAPE_MISMATCH);
  CHECK_THAT(mlc_last_error(),
             Catch::Contains("input 'w' (index 1): dim 0 is 5, but n is 4 "
                             "in input 'x'"));
  CHECK(run(s4, s4, s5) == MLC_ERROR_SHAPE_MISMATCH);
  CHECK_THAT(mlc_last_error(),
             Catch::Contains("output 'y' (index 0): expected shape 4, got 5"));
  CHECK(run(s2x2, s4, s4) == MLC_ERROR_SHAPE_MISMATCH);
  CHECK_THAT(mlc_last_error(), Catch::Contains("expected rank 1, got 2"));
  CHECK(run(big, big, big) == MLC_ERROR_SHAPE_MISMATCH);
  CHECK_THAT(mlc_last_error(),
             Catch::Contains("n = 1001 exceeds 1000, the largest the model "
                             "allows"));
  CHECK(run(negative, negative, negative) == MLC_ERROR_SHAPE_MISMATCH);
  CHECK_THAT(mlc_last_error(), Catch::Contains("dim 0 is negative"));
  int64_t shape[1];
  DLTensor in[2] = {cpuTensor(x.data(), kF32, s4),
                    cpuTensor(w.data(), kF32, s5)};
  CHECK(mlc_model_output_shape(m.model, in, 2, 0, shape) ==
        MLC_ERROR_SHAPE_MISMATCH);
  CHECK(mlc_model_output_shape(m.model, in, 2, 2, shape) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(mlc_model_output_shape(m.model, in, 1, 0, shape) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(run(s4, s4, s4) == MLC_OK); // still usable
}

TEST_CASE("a model with symbolic dims runs from many threads at once",
          "[run][dynamic][threads]") {
  LoadedModel m(MLC_TEST_DYNAMIC_ELF, dynamicMetadata(), "dynamic.mlc");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      // Each thread its own extent: arenas of different sizes, reused.
      int64_t n = 50 + 100 * t;
      std::vector<float> x(n, 1.0f), w(n, static_cast<float>(t)), y(n);
      float total = 0;
      std::vector<int64_t> s = {n}, scalar;
      for (int iter = 0; iter < 200; ++iter) {
        DLTensor in[2] = {cpuTensor(x.data(), kF32, s),
                          cpuTensor(w.data(), kF32, s)};
        DLTensor out[2] = {cpuTensor(y.data(), kF32, s),
                           cpuTensor(&total, kF32, scalar)};
        if (mlc_model_run(m.model, in, 2, out, 2) != MLC_OK ||
            total != static_cast<float>(n) * (static_cast<float>(t) + 1.0f))
          ++failures;
      }
    });
  for (std::thread &th : threads)
    th.join();
  CHECK(failures == 0);
}
