// Tests of running CUDA artifacts, on the mock driver (cuda/mock_cuda.c) and,
// where the machine has one, on a real GPU.
#include "artifact_util.h"
#include "cuda/mock_cuda.h"

#include "mlc/runtime.h"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace mlc::test;

namespace {

/// The mock driver's control functions, from the library the runtime loads.
struct Mock {
  void (*configure)(int, int, int) = nullptr;
  void (*fail)(const char *, int, int) = nullptr;
  void (*getStats)(mock_cuda_stats *) = nullptr;
  void (*resetCounters)() = nullptr;
  void *(*deviceAlloc)(uint64_t) = nullptr;
  void (*deviceFree)(void *) = nullptr;
  void *(*userContext)() = nullptr;
  int (*pushContext)(void *) = nullptr;
  int (*popContext)(void **) = nullptr;
  int (*currentContext)(void **) = nullptr;

  /// True when this process runs on the mock driver (ctest's
  /// mlc_runtime_tests.cuda_mock sets MLC_CUDA_DRIVER).
  bool open() {
    const char *driver = std::getenv("MLC_CUDA_DRIVER");
    if (!driver || std::string(driver) != MLC_TEST_MOCK_CUDA) {
      WARN("run with MLC_CUDA_DRIVER=" MLC_TEST_MOCK_CUDA
           " (ctest -R cuda_mock) to test on the mock driver");
      return false;
    }
    void *handle = dlopen(MLC_TEST_MOCK_CUDA, RTLD_NOW | RTLD_LOCAL);
    REQUIRE(handle != nullptr);
    lookup(handle, "mock_cuda_configure", configure);
    lookup(handle, "mock_cuda_fail", fail);
    lookup(handle, "mock_cuda_get_stats", getStats);
    lookup(handle, "mock_cuda_reset_counters", resetCounters);
    lookup(handle, "mock_cuda_device_alloc", deviceAlloc);
    lookup(handle, "mock_cuda_device_free", deviceFree);
    lookup(handle, "mock_cuda_user_context", userContext);
    lookup(handle, "cuCtxPushCurrent_v2", pushContext);
    lookup(handle, "cuCtxPopCurrent_v2", popContext);
    lookup(handle, "cuCtxGetCurrent", currentContext);
    configure(1, 8, 6);
    fail(nullptr, 0, 0);
    resetCounters();
    return true;
  }

  mock_cuda_stats stats() const {
    mock_cuda_stats s;
    getStats(&s);
    return s;
  }

  /// Checks that nothing the runtime made on the device is left.
  void checkAllFreed() const {
    mock_cuda_stats s = stats();
    CHECK(s.live_allocations == 0);
    CHECK(s.live_streams == 0);
    CHECK(s.live_graphs == 0);
    CHECK(s.live_execs == 0);
    CHECK(s.live_modules == 0);
    CHECK(s.primary_retains == 0);
    CHECK(s.dropped_ops == 0);
    INFO("last misuse: " << s.last_misuse);
    CHECK(s.misuses == 0);
  }

private:
  template <typename F>
  static void lookup(void *handle, const char *name, F &out) {
    void *symbol = dlsym(handle, name);
    REQUIRE(symbol != nullptr);
    std::memcpy(&out, &symbol, sizeof(symbol));
  }
};

/// A tensor of `shape` on `device`.
DLTensor tensor(void *data, DLDevice device, std::vector<int64_t> &shape) {
  DLTensor t = {};
  t.data = data;
  t.device = device;
  t.ndim = static_cast<int32_t>(shape.size());
  t.dtype = {kDLFloat, 32, 1};
  t.shape = shape.data();
  return t;
}

/// Inputs and outputs of one run of the chain model, in host memory.
struct ChainCall {
  std::vector<float> x = std::vector<float>(64), y = std::vector<float>(64);
  std::vector<float> a = std::vector<float>(64, -1.0f),
                     b = std::vector<float>(64, -1.0f);
  std::vector<int64_t> shape{64};
  DLTensor inputs[2], outputs[2];

  explicit ChainCall(float base) {
    for (int i = 0; i < 64; ++i) {
      x[i] = base + static_cast<float>(i);
      y[i] = base * 3.0f - static_cast<float>(i);
    }
    DLDevice cpu = {kDLCPU, 0};
    inputs[0] = tensor(x.data(), cpu, shape);
    inputs[1] = tensor(y.data(), cpu, shape);
    outputs[0] = tensor(a.data(), cpu, shape);
    outputs[1] = tensor(b.data(), cpu, shape);
  }

  mlc_status run(mlc_model *model) {
    return mlc_model_run(model, inputs, 2, outputs, 2);
  }

  /// a = 2 * (x + weights), weights[i] = i / 2; b = y + 1. All exact.
  bool correct() const {
    for (int i = 0; i < 64; ++i)
      if (a[i] != 2.0f * (x[i] + 0.5f * static_cast<float>(i)) ||
          b[i] != y[i] + 1.0f)
        return false;
    return true;
  }
};

/// Loads `metadata` over kernels/cuda_image.c; frees on scope exit.
struct CudaModel {
  mlc_model *model = nullptr;
  std::string path;
  CudaModel(const std::string &metadata, const std::string &name,
            int32_t deviceId = 0) {
    path = makeArtifact(MLC_TEST_CUDA_IMAGE_ELF, metadata, name);
    mlc_load_options options = {};
    options.struct_size = sizeof(options);
    options.device_id = deviceId;
    mlc_status status =
        mlc_model_load_with_options(path.c_str(), &options, &model);
    INFO(mlc_last_error());
    REQUIRE(status == MLC_OK);
  }
  ~CudaModel() { mlc_model_free(model); }
};

/// Loads `metadata` expecting failure; returns the status and the message.
mlc_status loadFails(const std::string &metadata, std::string &message,
                     int32_t deviceId = 0) {
  std::string path =
      makeArtifact(MLC_TEST_CUDA_IMAGE_ELF, metadata, "cuda_fail.mlc");
  mlc_load_options options = {};
  options.struct_size = sizeof(options);
  options.device_id = deviceId;
  mlc_model *model = reinterpret_cast<mlc_model *>(1);
  mlc_status status =
      mlc_model_load_with_options(path.c_str(), &options, &model);
  CHECK(model == nullptr);
  message = mlc_last_error();
  return status;
}

} // namespace

TEST_CASE("a CUDA model runs its launch plan on host tensors", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  {
    CudaModel m(cudaChainMetadata(), "chain.mlc");
    CHECK(std::string(mock.stats().last_image) == "sm_86");
    DLDevice device = mlc_model_device(m.model);
    CHECK(device.device_type == kDLCUDA);
    CHECK(device.device_id == 0);
    CHECK(mlc_model_num_threads(m.model) == 1);
    CHECK(std::string(mlc_model_metadata(m.model, "device")) == "cuda");
    CHECK(std::string(mlc_model_metadata(m.model, "cuda_launch")) ==
          "add_weights 1,1,1 64,1,1 0 in0,weights,arena");
    mock.resetCounters();

    ChainCall first(1.0f);
    REQUIRE(first.run(m.model) == MLC_OK);
    CHECK(first.correct());
    mock_cuda_stats s = mock.stats();
    CHECK(s.captures == 1);
    CHECK(s.instantiations == 1);
    CHECK(s.graph_launches == 1);
    CHECK(s.kernel_runs == 3);
    CHECK(s.htod_copies == 2);
    CHECK(s.dtoh_copies == 2);
    CHECK(s.dtod_copies == 0);

    // The slot and its graph are reused: no more captures.
    for (int i = 0; i < 5; ++i) {
      ChainCall call(static_cast<float>(10 * i));
      REQUIRE(call.run(m.model) == MLC_OK);
      CHECK(call.correct());
    }
    s = mock.stats();
    CHECK(s.captures == 1);
    CHECK(s.instantiations == 1);
    CHECK(s.graph_launches == 6);
    CHECK(s.kernel_runs == 18);
    CHECK(s.live_streams == 1);
    CHECK(s.live_execs == 1);
    CHECK(s.live_graphs == 0);
    // Weights plus one slot's buffer.
    CHECK(s.live_allocations == 2);
    CHECK(s.primary_retains == 1);

    // Every tensor is still checked like on the CPU.
    ChainCall bad(0.0f);
    bad.shape[0] = 63;
    CHECK(bad.run(m.model) == MLC_ERROR_SHAPE_MISMATCH);
    CHECK(std::string(mlc_last_error()) ==
          "input 'x' (index 0): expected shape 64, got 63");
  }
  mock.checkAllFreed();
}

TEST_CASE("a CUDA model takes tensors on its device", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  {
    CudaModel m(cudaChainMetadata(), "device_tensors.mlc");
    // x starts 4 floats into its buffer: byte_offset applies on the device
    // too.
    float *x = static_cast<float *>(mock.deviceAlloc(68 * sizeof(float)));
    float *a = static_cast<float *>(mock.deviceAlloc(64 * sizeof(float)));
    ChainCall call(7.0f);
    std::memcpy(x + 4, call.x.data(), 64 * sizeof(float));
    DLDevice gpu = {kDLCUDA, 0};
    call.inputs[0] = tensor(x, gpu, call.shape);
    call.inputs[0].byte_offset = 4 * sizeof(float);
    call.outputs[0] = tensor(a, gpu, call.shape);
    mock.resetCounters();
    REQUIRE(call.run(m.model) == MLC_OK);
    std::memcpy(call.a.data(), a, 64 * sizeof(float));
    CHECK(call.correct());
    mock_cuda_stats s = mock.stats();
    CHECK(s.dtod_copies == 2);
    CHECK(s.htod_copies == 1);
    CHECK(s.dtoh_copies == 1);

    // Another device, or pinned host memory, is refused.
    call.inputs[0].device = {kDLCUDA, 1};
    CHECK(call.run(m.model) == MLC_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(mlc_last_error()) ==
          "input 'x' (index 0): expected a CPU tensor (kDLCPU) or one on "
          "cuda:0 (kDLCUDA), got device type 2 id 1");
    call.inputs[0].device = {kDLCUDAHost, 0};
    CHECK(call.run(m.model) == MLC_ERROR_INVALID_ARGUMENT);
    mock.deviceFree(x);
    mock.deviceFree(a);
  }
  mock.checkAllFreed();
}

TEST_CASE("the image is chosen by compute capability", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  struct Case {
    int major, minor;
    std::string cubins, image;
  };
  const Case cases[] = {
      {8, 0, "sm_80,sm_86,sm_90", "sm_80"},
      {8, 6, "sm_80,sm_86,sm_90", "sm_86"},
      {8, 9, "sm_80,sm_86,sm_90", "sm_86"},
      {9, 0, "sm_80,sm_86,sm_90", "sm_90"},
      {10, 0, "sm_80,sm_86,sm_90", "ptx"},
      {8, 6, "sm_90", "ptx"},
      {8, 6, "", "ptx"},
      {9, 0, "sm_80,sm_86", "ptx"},
      // An architecture-specific cubin runs on exactly its architecture,
      // and before the portable one of the same number.
      {9, 0, "sm_80,sm_90a", "sm_90a"},
      {9, 0, "sm_80,sm_90,sm_90a", "sm_90a"},
      {9, 9, "sm_80,sm_90a", "ptx"},
      {9, 9, "sm_80,sm_90,sm_90a", "sm_90"},
      {8, 6, "sm_80,sm_90a", "sm_80"},
  };
  for (const Case &c : cases) {
    INFO("device " << c.major << "." << c.minor << ", cubins '" << c.cubins
                   << "'");
    mock.configure(1, c.major, c.minor);
    CudaModel m(cudaChainMetadata(c.cubins), "image.mlc");
    CHECK(std::string(mock.stats().last_image) == c.image);
    ChainCall call(2.0f);
    REQUIRE(call.run(m.model) == MLC_OK);
    CHECK(call.correct());
  }

  // A device older than the PTX cannot run the artifact at all.
  std::string message;
  mock.configure(1, 7, 5);
  CHECK(loadFails(cudaChainMetadata(), message) == MLC_ERROR_NO_DEVICE);
  CHECK(message == workPath("cuda_fail.mlc") +
                       ": the artifact needs sm_80 or newer, CUDA device 0 "
                       "is sm_75");
  mock.configure(1, 8, 6);
  CHECK(loadFails(cudaMetadataHeader(256, "", "sm_90") + cudaChainBody(),
                  message) == MLC_ERROR_NO_DEVICE);
  CHECK_THAT(message, Catch::EndsWith("needs sm_90 or newer, CUDA device 0 "
                                      "is sm_86"));
  mock.checkAllFreed();
}

TEST_CASE("device_id picks the CUDA device", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  mock.configure(2, 9, 0);
  {
    CudaModel m(cudaChainMetadata(), "second_gpu.mlc", 1);
    DLDevice device = mlc_model_device(m.model);
    CHECK(device.device_type == kDLCUDA);
    CHECK(device.device_id == 1);
    ChainCall call(3.0f);
    REQUIRE(call.run(m.model) == MLC_OK);
    CHECK(call.correct());
    call.inputs[1].device = {kDLCUDA, 0};
    CHECK(call.run(m.model) == MLC_ERROR_INVALID_ARGUMENT);
    CHECK_THAT(std::string(mlc_last_error()),
               Catch::Contains("or one on cuda:1 (kDLCUDA), got device type "
                               "2 id 0"));
  }
  std::string message;
  CHECK(loadFails(cudaChainMetadata(), message, 2) == MLC_ERROR_NO_DEVICE);
  CHECK(message == workPath("cuda_fail.mlc") +
                       ": there is no CUDA device 2 (this machine has 2)");
  mock.configure(0, 9, 0);
  CHECK(loadFails(cudaChainMetadata(), message) == MLC_ERROR_NO_DEVICE);
  CHECK_THAT(message, Catch::EndsWith("there is no CUDA device 0 (this "
                                      "machine has 0)"));
  mock.checkAllFreed();
}

TEST_CASE("the caller's current context is left alone", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  void *user = mock.userContext();
  REQUIRE(mock.pushContext(user) == 0);
  auto current = [&] {
    void *context = nullptr;
    mock.currentContext(&context);
    return context;
  };
  {
    CudaModel m(cudaChainMetadata(), "context.mlc");
    CHECK(current() == user);
    ChainCall call(4.0f);
    REQUIRE(call.run(m.model) == MLC_OK);
    CHECK(call.correct());
    CHECK(current() == user);
  }
  CHECK(current() == user);
  void *popped = nullptr;
  REQUIRE(mock.popContext(&popped) == 0);
  CHECK(popped == user);
  // The mock refuses work without the primary context current, so runs
  // from a thread with no context at all prove the runtime pushes it.
  mock.checkAllFreed();
}

TEST_CASE("four threads run one CUDA model at once", "[cudamock][threads]") {
  Mock mock;
  if (!mock.open())
    return;
  {
    CudaModel m(cudaChainMetadata(), "threads.mlc");
    mock.resetCounters();
    constexpr int kThreads = 4, kRuns = 50;
    std::vector<int> wrong(kThreads, 0), failed(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int r = 0; r < kRuns; ++r) {
          ChainCall call(static_cast<float>(t * 1000 + r));
          if (call.run(m.model) != MLC_OK)
            ++failed[t];
          else if (!call.correct())
            ++wrong[t];
        }
      });
    for (std::thread &thread : threads)
      thread.join();
    for (int t = 0; t < kThreads; ++t) {
      CHECK(failed[t] == 0);
      CHECK(wrong[t] == 0);
    }
    mock_cuda_stats s = mock.stats();
    // One slot (and graph) per run in flight at most, each captured once.
    CHECK(s.instantiations >= 1);
    CHECK(s.instantiations <= kThreads);
    CHECK(s.instantiations == s.live_execs);
    CHECK(s.live_streams == s.live_execs);
    CHECK(s.graph_launches == kThreads * kRuns);
  }
  mock.checkAllFreed();
}

TEST_CASE("plans without an arena, with empty tensors and big shared memory",
          "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  {
    std::string metadata = cudaMetadataHeader(0) +
                           "input e f32 0x3\ninput x f32 64\noutput y f32 64\n"
                           "cuda_launch add_one 1,1,1 64,1,1 65536 in1,out0\n"
                           "cuda_launch scale2 1,1,1 64,1,1 0 out0,out0\n";
    CudaModel m(metadata, "no_arena.mlc");
    std::vector<float> x(64), y(64);
    for (int i = 0; i < 64; ++i)
      x[i] = static_cast<float>(i);
    std::vector<int64_t> empty{0, 3}, shape{64};
    DLDevice cpu = {kDLCPU, 0};
    DLTensor inputs[2] = {tensor(nullptr, cpu, empty),
                          tensor(x.data(), cpu, shape)};
    DLTensor output = tensor(y.data(), cpu, shape);
    REQUIRE(mlc_model_run(m.model, inputs, 2, &output, 1) == MLC_OK);
    for (int i = 0; i < 64; ++i)
      CHECK(y[i] == 2.0f * (x[i] + 1.0f));
  }
  // More shared memory than the (mock) device has.
  std::string message;
  CHECK(loadFails(cudaMetadataHeader(0) +
                      "input x f32 64\noutput y f32 64\n"
                      "cuda_launch add_one 1,1,1 64,1,1 200000 in0,out0\n",
                  message) == MLC_ERROR_NO_DEVICE);
  CHECK_THAT(message,
             Catch::EndsWith("metadata line 15: kernel 'add_one' needs 200000 "
                             "bytes of shared memory: cuFuncSetAttribute "
                             "failed: CUDA_ERROR_INVALID_VALUE"));
  // A kernel the module lacks.
  CHECK(loadFails(cudaMetadataHeader(0) +
                      "input x f32 64\noutput y f32 64\n"
                      "cuda_launch no_such_kernel 1,1,1 64,1,1 0 in0,out0\n",
                  message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::EndsWith("metadata line 15: kernel "
                                      "'no_such_kernel' is not in the sm_86 "
                                      "cubin"));
  mock.checkAllFreed();
}

TEST_CASE("driver failures at load become one-line errors", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  struct Case {
    const char *call;
    int skip, error;
    mlc_status status;
    std::string message;
  };
  const Case cases[] = {
      {"cuDeviceGetCount", 0, 3, MLC_ERROR_NO_DEVICE,
       "cuDeviceGetCount failed: CUDA_ERROR_NOT_INITIALIZED"},
      {"cuDeviceGetAttribute", 1, 101, MLC_ERROR_NO_DEVICE,
       "cuDeviceGetAttribute failed: CUDA_ERROR_INVALID_DEVICE"},
      {"cuDevicePrimaryCtxRetain", 0, 101, MLC_ERROR_NO_DEVICE,
       "cuDevicePrimaryCtxRetain failed: CUDA_ERROR_INVALID_DEVICE"},
      {"cuModuleLoadDataEx", 0, 200, MLC_ERROR_INCOMPATIBLE_ARTIFACT,
       "cannot load the sm_86 cubin: cuModuleLoadDataEx failed: "
       "CUDA_ERROR_INVALID_IMAGE: ptxas fatal   : mock failure"},
      {"cuModuleLoadDataEx", 0, 2, MLC_ERROR_OUT_OF_MEMORY,
       "cannot load the sm_86 cubin: cuModuleLoadDataEx failed: "
       "CUDA_ERROR_OUT_OF_MEMORY: ptxas fatal   : mock failure"},
      {"cuModuleGetFunction", 2, 400, MLC_ERROR_INCOMPATIBLE_ARTIFACT,
       "cuModuleGetFunction failed: CUDA_ERROR_INVALID_HANDLE"},
      {"cuMemAlloc_v2", 0, 2, MLC_ERROR_OUT_OF_MEMORY,
       "cuMemAlloc (weights) failed: CUDA_ERROR_OUT_OF_MEMORY"},
      {"cuMemcpyHtoD_v2", 0, 12345, MLC_ERROR_NO_DEVICE,
       "cuMemcpyHtoD (weights) failed: CUDA error 12345"},
  };
  for (const Case &c : cases) {
    INFO(c.call);
    mock.fail(c.call, c.skip, c.error);
    std::string message;
    CHECK(loadFails(cudaChainMetadata(), message) == c.status);
    CHECK(message == workPath("cuda_fail.mlc") + ": " + c.message);
    mock.fail(nullptr, 0, 0);
    mock.checkAllFreed();
  }
}

TEST_CASE("driver failures in a run become one-line errors", "[cudamock]") {
  Mock mock;
  if (!mock.open())
    return;
  struct Case {
    const char *call;
    int skip, error;
    mlc_status status;
    std::string message;
  };
  const Case cases[] = {
      {"cuStreamCreate", 0, 1, MLC_ERROR_RUN_FAILED,
       "creating an execution slot: cuStreamCreate failed: "
       "CUDA_ERROR_INVALID_VALUE"},
      {"cuMemAlloc_v2", 0, 2, MLC_ERROR_OUT_OF_MEMORY,
       "allocating 1280 bytes of device buffers: cuMemAlloc failed: "
       "CUDA_ERROR_OUT_OF_MEMORY"},
      {"cuStreamBeginCapture_v2", 0, 900, MLC_ERROR_RUN_FAILED,
       "capturing the launches: cuStreamBeginCapture failed: "
       "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
      {"cuLaunchKernel", 1, 1, MLC_ERROR_RUN_FAILED,
       "kernel 'scale2' (metadata line 18): cuLaunchKernel failed: "
       "CUDA_ERROR_INVALID_VALUE"},
      {"cuStreamEndCapture", 0, 1, MLC_ERROR_RUN_FAILED,
       "capturing the launches: cuStreamEndCapture failed: "
       "CUDA_ERROR_INVALID_VALUE"},
      {"cuGraphInstantiateWithFlags", 0, 1, MLC_ERROR_RUN_FAILED,
       "capturing the launches: cuGraphInstantiateWithFlags failed: "
       "CUDA_ERROR_INVALID_VALUE"},
      {"cuMemcpyHtoDAsync_v2", 1, 1, MLC_ERROR_RUN_FAILED,
       "input 'y' (index 1): cuMemcpyHtoDAsync failed: "
       "CUDA_ERROR_INVALID_VALUE"},
      {"cuGraphLaunch", 0, 719, MLC_ERROR_RUN_FAILED,
       "running the launches: cuGraphLaunch failed: CUDA_ERROR_LAUNCH_FAILED"},
      {"cuMemcpyDtoHAsync_v2", 1, 700, MLC_ERROR_RUN_FAILED,
       "output 'b' (index 1): cuMemcpyDtoHAsync failed: "
       "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {"cuStreamSynchronize", 0, 719, MLC_ERROR_RUN_FAILED,
       "waiting for the run: cuStreamSynchronize failed: "
       "CUDA_ERROR_LAUNCH_FAILED"},
      {"cuCtxPushCurrent_v2", 0, 201, MLC_ERROR_RUN_FAILED,
       "entering the model's CUDA context: cuCtxPushCurrent failed: "
       "CUDA_ERROR_INVALID_CONTEXT"},
  };
  for (const Case &c : cases) {
    INFO(c.call);
    {
      CudaModel m(cudaChainMetadata(), "run_fail.mlc");
      // Warm one slot first for failures that happen on any run; the ones
      // that happen while making a slot need a fresh model.
      bool makesSlot = std::strcmp(c.call, "cuStreamCreate") == 0 ||
                       std::strcmp(c.call, "cuMemAlloc_v2") == 0 ||
                       std::strstr(c.call, "Capture") ||
                       std::strcmp(c.call, "cuLaunchKernel") == 0 ||
                       std::strcmp(c.call, "cuGraphInstantiateWithFlags") == 0;
      if (!makesSlot) {
        ChainCall warm(1.0f);
        REQUIRE(warm.run(m.model) == MLC_OK);
      }
      mock.fail(c.call, c.skip, c.error);
      ChainCall call(5.0f);
      CHECK(call.run(m.model) == c.status);
      CHECK(std::string(mlc_last_error()) == c.message);
      mock.fail(nullptr, 0, 0);
      // The model stays usable: a failed slot is dropped, not reused.
      ChainCall again(6.0f);
      REQUIRE(again.run(m.model) == MLC_OK);
      CHECK(again.correct());
    }
    mock.checkAllFreed();
  }
}

TEST_CASE("a CUDA model runs on a real GPU where there is one", "[cuda]") {
  if (std::getenv("MLC_CUDA_DRIVER"))
    return; // The mock's process: the real-GPU run is for the plain one.
  void *real = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!real) {
    WARN("no libcuda.so.1: the real-GPU run is skipped");
    return;
  }
  dlclose(real);
  // The stand-in cubins are for the mock: a real driver gets the PTX.
  std::string path = makeArtifact(MLC_TEST_CUDA_IMAGE_ELF,
                                  cudaChainMetadata(""), "real_gpu.mlc");
  mlc_model *model = nullptr;
  mlc_status status = mlc_model_load(path.c_str(), &model);
  if (status == MLC_ERROR_NO_DEVICE) {
    WARN("libcuda.so.1 but no usable GPU: " << mlc_last_error());
    return;
  }
  INFO(mlc_last_error());
  REQUIRE(status == MLC_OK);
  for (int i = 0; i < 3; ++i) {
    ChainCall call(static_cast<float>(i));
    REQUIRE(call.run(model) == MLC_OK);
    CHECK(call.correct());
  }
  mlc_model_free(model);
}
