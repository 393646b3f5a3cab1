// Tests of CUDA artifacts that need no driver: strict metadata, ELF symbols,
// device options, and loading on a machine without a GPU.
#include "artifact_util.h"

#include "mlc/runtime.h"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <vector>

using namespace mlc::test;

namespace {

/// Builds an artifact from `elf` and `metadata`, loads it expecting failure
/// and returns the status; `message` gets the error.
mlc_status loadFails(const char *elf, const std::string &metadata,
                     std::string &message,
                     const mlc_load_options *options = nullptr) {
  std::string path = makeArtifact(elf, metadata, "cuda_case.mlc");
  mlc_model *model = reinterpret_cast<mlc_model *>(1);
  mlc_status status =
      mlc_model_load_with_options(path.c_str(), options, &model);
  CHECK(model == nullptr);
  message = mlc_last_error();
  return status;
}

/// `text` with the first line that starts with `key ` (or is `key`) replaced
/// by `line`, or removed when `line` is empty.
std::string replaceLine(const std::string &text, const std::string &key,
                        const std::string &line) {
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string current = text.substr(at, end - at);
    if (current == key || current.rfind(key + " ", 0) == 0)
      return text.substr(0, at) + (line.empty() ? "" : line + "\n") +
             text.substr(end + 1);
    at = end + 1;
  }
  FAIL("no line with key " << key);
  return text;
}

/// The chain model with `launch` as one more cuda_launch line.
std::string withLaunch(const std::string &launch) {
  return cudaChainMetadata() + "cuda_launch " + launch + "\n";
}

} // namespace

TEST_CASE("CUDA metadata is parsed strictly", "[cuda][metadata]") {
  struct Case {
    std::string metadata;
    std::string message;
  };
  const std::string good = cudaChainMetadata();
  const Case cases[] = {
      // Required keys.
      {replaceLine(good, "host_target", ""),
       "missing required key 'host_target' (device cuda)"},
      {replaceLine(good, "cuda_ptx", ""), "missing required key 'cuda_ptx'"},
      {replaceLine(good, "cuda_cubins", ""),
       "missing required key 'cuda_cubins'"},
      {replaceLine(good, "cuda_weights_bytes", ""),
       "missing required key 'cuda_weights_bytes'"},
      {cudaMetadataHeader() + "input x f32 64\noutput a f32 64\n",
       "no 'cuda_launch' line"},
      {replaceLine(good, "target", "target x86_64-unknown-linux-gnu"),
       "target is 'x86_64-unknown-linux-gnu', expected 'nvptx64-nvidia-cuda'"},
      {replaceLine(good, "cpu_features", "cpu_features sse2"),
       "cpu_features must be empty for device cuda"},
      {good + "host_target " + hostTriple() + "\n",
       "line 20: duplicate key 'host_target'"},
      {good + "device cuda\n", "line 20: duplicate key 'device'"},
      // Architectures.
      {replaceLine(good, "cuda_ptx", "cuda_ptx sm80"), "bad cuda_ptx 'sm80'"},
      {replaceLine(good, "cuda_ptx", "cuda_ptx sm_8"), "bad cuda_ptx 'sm_8'"},
      {replaceLine(good, "cuda_ptx", "cuda_ptx sm_080"),
       "bad cuda_ptx 'sm_080'"},
      {replaceLine(good, "cuda_ptx", "cuda_ptx sm_1000"),
       "bad cuda_ptx 'sm_1000'"},
      {replaceLine(good, "cuda_ptx", "cuda_ptx sm_90b"),
       "bad cuda_ptx 'sm_90b'"},
      {replaceLine(good, "cuda_ptx", "cuda_ptx sm_a"), "bad cuda_ptx 'sm_a'"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins sm_80,sm_90a,sm_90"),
       "cuda_cubins must be strictly ascending, 'sm_90' is out of order"},
      {replaceLine(good, "cuda_ptx", "cuda_ptx compute_80"),
       "line 10: bad cuda_ptx 'compute_80' (expected sm_XY or sm_XYa)"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins sm_80,"),
       "line 11: bad cubin architecture '' (expected sm_XY or sm_XYa)"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins ,sm_80"),
       "bad cubin architecture ''"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins sm_80 sm_86"),
       "bad cubin architecture 'sm_80 sm_86'"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins sm_90,sm_86"),
       "cuda_cubins must be strictly ascending, 'sm_86' is out of order"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins sm_86,sm_86"),
       "'sm_86' is out of order"},
      {replaceLine(good, "cuda_cubins", "cuda_cubins sm_75,sm_80"),
       "cubin sm_75 is older than cuda_ptx sm_80"},
      {replaceLine(good, "cuda_weights_bytes", "cuda_weights_bytes 0256"),
       "line 12: bad cuda_weights_bytes '0256'"},
      {replaceLine(good, "cuda_weights_bytes", "cuda_weights_bytes -1"),
       "bad cuda_weights_bytes '-1'"},
      {replaceLine(good, "cuda_weights_bytes", "cuda_weights_bytes"),
       "bad cuda_weights_bytes ''"},
      // Launch lines.
      {withLaunch("add_one 1,1,1 1,1,1 0"),
       "line 20: expected 'cuda_launch <kernel> <gx>,<gy>,<gz> <bx>,<by>,<bz> "
       "<shared> <args>'"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in0,out0 extra"),
       "line 20: expected 'cuda_launch"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in0,out0 "),
       "line 20: expected 'cuda_launch"},
      {withLaunch("add_one  1,1,1 1,1,1 0 in0,out0"),
       "line 20: expected 'cuda_launch"},
      {cudaChainMetadata() + "cuda_launch\n", "line 20: expected 'cuda_launch"},
      {withLaunch("add-one 1,1,1 1,1,1 0 in0,out0"),
       "line 20: bad kernel name 'add-one'"},
      {withLaunch("add_one 0,1,1 1,1,1 0 in0,out0"), "bad grid '0,1,1'"},
      {withLaunch("add_one 1,1 1,1,1 0 in0,out0"), "bad grid '1,1'"},
      {withLaunch("add_one 1,1,1,1 1,1,1 0 in0,out0"), "bad grid '1,1,1,1'"},
      {withLaunch("add_one 1,,1 1,1,1 0 in0,out0"), "bad grid '1,,1'"},
      {withLaunch("add_one 01,1,1 1,1,1 0 in0,out0"), "bad grid '01,1,1'"},
      {withLaunch("add_one 2147483648,1,1 1,1,1 0 in0,out0"),
       "bad grid '2147483648,1,1' (expected X,Y,Z with 1 <= X < 2^31 and 1 "
       "<= Y, Z < 65536)"},
      {withLaunch("add_one 1,65536,1 1,1,1 0 in0,out0"),
       "bad grid '1,65536,1'"},
      {withLaunch("add_one 1,1,65536 1,1,1 0 in0,out0"),
       "bad grid '1,1,65536'"},
      {withLaunch("add_one 1,1,1 1025,1,1 0 in0,out0"),
       "line 20: bad block '1025,1,1' (expected X,Y,Z with X, Y <= 1024, Z <= "
       "64, each >= 1, at most 1024 threads)"},
      {withLaunch("add_one 1,1,1 32,32,2 0 in0,out0"), "bad block '32,32,2'"},
      {withLaunch("add_one 1,1,1 1,1,65 0 in0,out0"), "bad block '1,1,65'"},
      {withLaunch("add_one 1,1,1 1,0,1 0 in0,out0"), "bad block '1,0,1'"},
      {withLaunch("add_one 1,1,1 1,1,1 -1 in0,out0"),
       "line 20: bad shared memory size '-1'"},
      {withLaunch("add_one 1,1,1 1,1,1 4294967296 in0,out0"),
       "bad shared memory size '4294967296'"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in0,,out0"),
       "line 20: bad argument '' (expected in<i>, out<j>, arena or weights)"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in0,out0,"), "bad argument ''"},
      {withLaunch("add_one 1,1,1 1,1,1 0 input0,out0"),
       "bad argument 'input0'"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in01,out0"), "bad argument 'in01'"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in,out0"), "bad argument 'in'"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in0,scratch"),
       "bad argument 'scratch'"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in2,out0"),
       "line 20: argument 'in2' but the model has 2 inputs"},
      {withLaunch("add_one 1,1,1 1,1,1 0 in0,out2"),
       "line 20: argument 'out2' but the model has 2 outputs"},
  };
  for (const Case &c : cases) {
    INFO(c.metadata);
    std::string message;
    CHECK(loadFails(MLC_TEST_CUDA_IMAGE_ELF, c.metadata, message) ==
          MLC_ERROR_CORRUPT_ARTIFACT);
    CHECK_THAT(message, Catch::Contains(c.message));
    CHECK_THAT(message,
               Catch::StartsWith(workPath("cuda_case.mlc") + ": corrupt "
                                                             "metadata: "));
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("CUDA artifacts check the device kind and host architecture",
          "[cuda][metadata]") {
  std::string message;
  std::string good = cudaChainMetadata();
  CHECK(loadFails(MLC_TEST_CUDA_IMAGE_ELF,
                  replaceLine(good, "device", "device rocm"),
                  message) == MLC_ERROR_INCOMPATIBLE_ARTIFACT);
  CHECK_THAT(message, Catch::EndsWith("metadata line 8: device 'rocm' is not "
                                      "one this runtime supports (cpu, "
                                      "cuda)"));
#if defined(__x86_64__)
  const char *foreign = "aarch64-unknown-linux-gnu";
#else
  const char *foreign = "x86_64-unknown-linux-gnu";
#endif
  CHECK(loadFails(MLC_TEST_CUDA_IMAGE_ELF,
                  replaceLine(good, "host_target",
                              std::string("host_target ") + foreign),
                  message) == MLC_ERROR_UNSUPPORTED_CPU);
  CHECK_THAT(message, Catch::Contains(std::string("artifact targets '") +
                                      foreign + "' but this host is"));
}

TEST_CASE("a CPU artifact ignores the CUDA keys", "[cuda][metadata]") {
  // `device cpu` is the default spelled out; CUDA keys mean nothing here.
  std::string metadata = affineMetadata() +
                         "device cpu\nhost_target nonsense\ncuda_ptx x\n"
                         "cuda_launch not a launch\n";
  std::string path =
      makeArtifact(MLC_TEST_AFFINE_ELF, metadata, "cpu_with_cuda_keys.mlc");
  mlc_model *model = nullptr;
  REQUIRE(mlc_model_load(path.c_str(), &model) == MLC_OK);
  DLDevice device = mlc_model_device(model);
  CHECK(device.device_type == kDLCPU);
  CHECK(device.device_id == 0);
  float x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {};
  int64_t shape[2] = {2, 3};
  DLTensor in = {};
  in.data = x;
  in.device = {kDLCPU, 0};
  in.ndim = 2;
  in.dtype = {kDLFloat, 32, 1};
  in.shape = shape;
  DLTensor out = in;
  out.data = y;
  CHECK(mlc_model_run(model, &in, 1, &out, 1) == MLC_OK);
  CHECK(y[5] == 11.0f);
  // A CPU model takes no CUDA tensors.
  in.device = {kDLCUDA, 0};
  CHECK(mlc_model_run(model, &in, 1, &out, 1) == MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) ==
        "input 'x' (index 0): expected a CPU tensor (kDLCPU), got device type "
        "2");
  mlc_model_free(model);
}

TEST_CASE("CUDA artifacts check their ELF data symbols", "[cuda][metadata]") {
  std::string message;
  std::string path = workPath("cuda_case.mlc");
  // An ELF part without any CUDA data.
  CHECK(loadFails(MLC_TEST_AFFINE_ELF, cudaChainMetadata(), message) ==
        MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(message ==
        path + ": the ELF part does not export 'mlc_cuda_cubin_sm_80'");
  CHECK(loadFails(MLC_TEST_AFFINE_ELF, cudaChainMetadata(""), message) ==
        MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(message == path + ": the ELF part does not export 'mlc_cuda_ptx'");
  // A listed cubin that is not there.
  CHECK(loadFails(MLC_TEST_CUDA_IMAGE_ELF, cudaChainMetadata("sm_80,sm_89"),
                  message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(message ==
        path + ": the ELF part does not export 'mlc_cuda_cubin_sm_89'");
  // Weights of another size.
  CHECK(loadFails(MLC_TEST_CUDA_IMAGE_ELF,
                  cudaMetadataHeader(256, "sm_86", "sm_80", 128) +
                      cudaChainBody(),
                  message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(message == path + ": 'mlc_cuda_weights_size' is 256 but "
                          "cuda_weights_bytes is 128");
  // A cubin that is not ELF, and PTX without its NUL.
  CHECK(loadFails(MLC_TEST_CUDA_BAD_ELF, cudaChainMetadata("sm_80"), message) ==
        MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(message == path + ": 'mlc_cuda_cubin_sm_80' is not an ELF cubin");
  CHECK(loadFails(MLC_TEST_CUDA_BAD_ELF, cudaChainMetadata("sm_86"), message) ==
        MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::StartsWith(path + ": 'mlc_cuda_ptx' is not one "
                                               "NUL-terminated text of"));
}

TEST_CASE("load options pick the device", "[cuda][options]") {
  std::string cpu =
      makeArtifact(MLC_TEST_AFFINE_ELF, affineMetadata(), "device_options.mlc");
  mlc_model *model = nullptr;
  mlc_load_options options = {};
  options.struct_size = sizeof(options);

  options.device_type = 3; // kDLCUDAHost
  CHECK(mlc_model_load_with_options(cpu.c_str(), &options, &model) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) ==
        "device_type must be 0 (the artifact's), kDLCPU (1) or kDLCUDA (2), "
        "got 3");
  options.device_type = 0;
  options.device_id = -1;
  CHECK(mlc_model_load_with_options(cpu.c_str(), &options, &model) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) == "device_id must be >= 0, got -1");

  // A CPU artifact runs on the CPU only.
  options.device_type = kDLCUDA;
  options.device_id = 0;
  CHECK(mlc_model_load_with_options(cpu.c_str(), &options, &model) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) ==
        cpu + ": the artifact is for the CPU; it cannot run on cuda:0");
  options.device_type = kDLCPU;
  options.device_id = 1;
  CHECK(mlc_model_load_with_options(cpu.c_str(), &options, &model) ==
        MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) ==
        cpu + ": the artifact is for the CPU; device_id must be 0, got 1");
  options.device_id = 0;
  REQUIRE(mlc_model_load_with_options(cpu.c_str(), &options, &model) == MLC_OK);
  CHECK(mlc_model_device(model).device_type == kDLCPU);
  mlc_model_free(model);

  // A CUDA artifact runs on CUDA only; this is checked before the driver.
  std::string message;
  options.device_type = kDLCPU;
  CHECK(loadFails(MLC_TEST_CUDA_IMAGE_ELF, cudaChainMetadata(), message,
                  &options) == MLC_ERROR_INVALID_ARGUMENT);
  CHECK(message == workPath("cuda_case.mlc") +
                       ": the artifact is for CUDA; it cannot run on the "
                       "CPU");

  // Callers built before device_type existed pass the old, smaller size.
  struct OldOptions {
    uint32_t struct_size;
    int32_t num_threads;
  } old = {sizeof(OldOptions), 1};
  REQUIRE(mlc_model_load_with_options(
              cpu.c_str(), reinterpret_cast<mlc_load_options *>(&old),
              &model) == MLC_OK);
  CHECK(mlc_model_num_threads(model) == 1);
  CHECK(mlc_model_device(model).device_type == kDLCPU);
  mlc_model_free(model);

  DLDevice none = mlc_model_device(nullptr);
  CHECK(none.device_type == 0);
  CHECK(none.device_id == -1);
  CHECK(std::string(mlc_status_string(MLC_ERROR_NO_DEVICE)) == "no device");
}

TEST_CASE("a CUDA artifact without a usable driver fails with one line",
          "[cuda][nodevice]") {
  if (std::getenv("MLC_CUDA_DRIVER")) {
    WARN("MLC_CUDA_DRIVER is set: the no-driver case is not checked");
    return;
  }
  void *real = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (real) {
    // A machine with a driver: see cuda_mock_test.cpp for the real-GPU run.
    dlclose(real);
    WARN("this machine has libcuda.so.1: the no-driver case is not checked");
    return;
  }
  std::string path =
      makeArtifact(MLC_TEST_CUDA_IMAGE_ELF, cudaChainMetadata(), "nogpu.mlc");
  mlc_load_options options = {};
  options.struct_size = sizeof(options);
  for (int32_t id : {0, 0, 3}) { // The driver is looked for once, then cached.
    options.device_id = id;
    mlc_model *model = reinterpret_cast<mlc_model *>(1);
    CHECK(mlc_model_load_with_options(path.c_str(), &options, &model) ==
          MLC_ERROR_NO_DEVICE);
    CHECK(model == nullptr);
    std::string message = mlc_last_error();
    CHECK_THAT(message, Catch::StartsWith(path + ": cannot load the CUDA "
                                                 "driver: libcuda.so.1: "));
    CHECK(message.find('\n') == std::string::npos);
  }
}
