// The mlc command-line tool: compile, run and inspect model artifacts.
#include "compiler/Compiler.h"
#include "tools/mlc/Npy.h"

#include "mlc/artifact_format.h"
#include "mlc/runtime.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <sstream>
#include <sys/stat.h>

namespace {

using namespace mlc;

constexpr const char *kMainHelp =
    R"(usage: mlc <command> [options]

Commands:
  compile   compile an ONNX model into a native artifact (.so)
  run       run an artifact on inputs and write its outputs
  bench     time an artifact's runs on seeded random inputs
  inspect   show an artifact's metadata

Run 'mlc <command> --help' for the options of a command.
)";

constexpr const char *kCompileHelp =
    R"(usage: mlc compile MODEL.onnx -o OUT [options]

Options:
  -o FILE                    output file (artifact, or text for --emit);
                             '-' writes to standard output
  --target=llvm|cuda         code generation target: the host CPU family
                             (default), or NVIDIA GPUs (PTX + cubins);
                             cuda-emulate runs the CUDA kernels and
                             launches on this CPU (for testing)
  -mcpu=NAME                 CPU to generate code for (default: this host);
                             with --target=cuda the PTX architecture
                             (default: sm_80)
  --cuda-cubins=LIST         GPU architectures to embed cubins for
                             (default: sm_80,sm_90a; empty: PTX only);
                             sm_90a (H100/H200 only) runs matmuls and
                             convolutions on wgmma, the rest on mma.sync
  --emulate-arch=ARCH        --target=cuda-emulate: the architecture whose
                             kernels run (sm_80, the default, or sm_90a)
  --ptxas=PATH               ptxas for the cubins (default: from PATH or
                             /usr/local/cuda/bin); 'none' embeds PTX only
  --precision=fp32|fp16|bf16 compute the model's f32 math in f16 or bf16
                             (inputs and outputs stay f32, sums f32; on
                             sm_80+ its matmuls and convolutions then run on
                             tensor cores); default fp32
  --allow-tf32               --target=cuda: f32 matmuls and convolutions may
                             use TF32 tensor cores (about 1e-3 relative
                             error, as PyTorch's allow_tf32)
  --mtriple=TRIPLE           LLVM target triple (default: this host)
  --input-shape NAME=DIMS    fix a dynamic input shape, e.g. input=1x3x224x224
                             (repeatable; a sequence's element k is NAME.k)
  --sequence-length NAME=N   the number of tensors of sequence input NAME (or
                             of the sequence an optional input holds): fixed
                             at compile time (repeatable)
  --absent-input NAME        compile optional input NAME as absent (optional
                             inputs are present by default; repeatable)
  --emit=KIND                artifact (default), ir, mlir, llvm, obj, or
                             ptx (--target=cuda)
  --print-after-all          print the IR after every pass (to stderr)
  --print-after=PASS         print the IR after PASS (repeatable)
  --time-passes              print the time spent in each pass (to stderr)
  --schedule-report          print the schedule chosen for each kernel
  --linker=CC                C compiler driver used to link (default: cc)
)";

constexpr const char *kRunHelp =
    R"(usage: mlc run ARTIFACT [options]

Options:
  --input NAME=FILE    input tensor from a .npy or ONNX TensorProto .pb file
                       (repeatable); inputs not given are seeded random; a
                       sequence or optional input from an ONNX SequenceProto
                       or OptionalProto .pb file
  --input-shape NAME=DIMS
                       the shape of a seeded random input whose dims are
                       symbolic (a model compiled with dynamic shapes),
                       e.g. input_ids=1x77 (repeatable)
  --output-dir DIR     write each output as DIR/<output name>.npy (.pb, an
                       ONNX TensorProto, for bf16, float8 and sub-byte types;
                       a SequenceProto or OptionalProto for a sequence or
                       optional output)
  --seed N             seed of the random inputs (default 0)
  --iterations N       run N times and report the median latency (default 1)
  --threads N          threads per run: 0 for one per CPU (default), 1 for
                       the calling thread only
  --device DEV         cpu, cuda or cuda:N (default: the device the artifact
                       is for); inputs and outputs stay in host memory
)";

constexpr const char *kBenchHelp =
    R"(usage: mlc bench ARTIFACT [options]

Runs the artifact on seeded random inputs (or the given ones): WARMUP untimed
runs, then ITERS runs each timed with a monotonic clock. Prints the median,
mean, 90th percentile, min and max latency in milliseconds.

Options:
  --threads N          threads per run: 0 for one per CPU (default), 1 for
                       the calling thread only
  --device DEV         cpu, cuda or cuda:N (default: the device the artifact
                       is for); each timed run includes copying the inputs
                       to the device and the outputs back
  --warmup N           untimed runs first (default 3)
  --warmup-ms MS       and more untimed runs until MS milliseconds have
                       passed (default 0): sub-millisecond models need
                       thousands of runs to reach a steady state
  --iters N            timed runs (default 20)
  --input NAME=FILE    input tensor from a .npy or ONNX TensorProto .pb file
                       (repeatable); inputs not given are seeded random
                       (string inputs must be given)
  --input-shape NAME=DIMS
                       the shape of a seeded random input whose dims are
                       symbolic (a model compiled with dynamic shapes),
                       e.g. input_ids=1x77 (repeatable)
  --seed N             seed of the random inputs (default 0)
  --json               also print the results as one JSON object, the last
                       line of standard output: artifact, device, threads,
                       warmup (untimed runs made), iters, load_ms,
                       median_ms, mean_ms, p90_ms,
                       min_ms, max_ms, stddev_ms and times_ms (every timed
                       run, in order)
)";

constexpr const char *kInspectHelp =
    R"(usage: mlc inspect ARTIFACT [--launches]

Prints the artifact's metadata: versions, target, CPU features, arena size,
source-model hash, inputs and outputs. For a CUDA artifact it first sums up
the GPU code (PTX architecture, cubins, launches) and leaves the cuda_launch
lines out.

Options:
  --launches           print the cuda_launch lines of a CUDA artifact too
)";

int fail(const std::string &message) {
  std::fprintf(stderr, "mlc: error: %s\n", message.c_str());
  return 1;
}

/// Splits "--key=value" or "--key value" forms.
bool takeValue(int argc, char **argv, int &i, const std::string &flag,
               std::string &value) {
  std::string arg = argv[i];
  if (arg == flag) {
    if (i + 1 >= argc)
      return false;
    value = argv[++i];
    return true;
  }
  if (arg.rfind(flag + "=", 0) == 0) {
    value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

Expected<std::vector<int64_t>> parseDims(const std::string &text) {
  std::vector<int64_t> dims;
  if (text == "scalar")
    return dims;
  size_t start = 0;
  while (start <= text.size()) {
    size_t x = text.find('x', start);
    std::string part = text.substr(
        start, x == std::string::npos ? std::string::npos : x - start);
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || *end || errno || v < 0)
      return makeError("invalid dims '" + text +
                       "' (expected e.g. 1x3x224x224)");
    dims.push_back(v);
    if (x == std::string::npos)
      break;
    start = x + 1;
  }
  return dims;
}

/// Records `--input-shape NAME=DIMS` of mlc run / bench into `shapes`;
/// returns the error message, or "" on success.
std::string addInputShape(const std::string &value,
                          std::map<std::string, std::vector<int64_t>> &shapes) {
  size_t eq = value.rfind('=');
  if (eq == std::string::npos || eq == 0)
    return "--input-shape expects NAME=DIMS, got '" + value + "'";
  Expected<std::vector<int64_t>> dims = parseDims(value.substr(eq + 1));
  if (!dims)
    return "--input-shape " + value + ": " + dims.message();
  shapes[value.substr(0, eq)] = *dims;
  return "";
}

int compileCommand(int argc, char **argv) {
  CompileOptions options;
  std::string input, output, value;
  bool wantReport = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kCompileHelp, stdout);
      return 0;
    }
    if (takeValue(argc, argv, i, "-o", value)) {
      output = value;
    } else if (takeValue(argc, argv, i, "--target", value)) {
      if (value != "llvm" && value != "cuda" && value != "cuda-emulate")
        return fail("unsupported target '" + value +
                    "' (supported: llvm, cuda, cuda-emulate)");
      options.target.target = value;
    } else if (takeValue(argc, argv, i, "--cuda-cubins", value)) {
      options.cudaCubins.clear();
      for (size_t start = 0; start < value.size();) {
        size_t end = value.find(',', start);
        if (end == std::string::npos)
          end = value.size();
        if (end > start)
          options.cudaCubins.push_back(value.substr(start, end - start));
        start = end + 1;
      }
    } else if (takeValue(argc, argv, i, "--emulate-arch", value)) {
      if (value != "sm_80" && value != "sm_90a")
        return fail("unsupported --emulate-arch '" + value +
                    "' (supported: sm_80, sm_90a)");
      options.target.specificArchs = {value};
    } else if (takeValue(argc, argv, i, "--ptxas", value)) {
      options.ptxas = value;
    } else if (takeValue(argc, argv, i, "--precision", value)) {
      if (value == "fp32" || value == "f32")
        options.precision = DType::F32;
      else if (value == "fp16" || value == "f16")
        options.precision = DType::F16;
      else if (value == "bf16")
        options.precision = DType::BF16;
      else
        return fail("--precision expects fp32, fp16 or bf16, got '" + value +
                    "'");
    } else if (arg == "--allow-tf32") {
      options.target.allowTf32 = true;
    } else if (takeValue(argc, argv, i, "-mcpu", value) ||
               takeValue(argc, argv, i, "--mcpu", value)) {
      options.target.cpu = value;
    } else if (takeValue(argc, argv, i, "--mtriple", value)) {
      options.target.triple = value;
    } else if (takeValue(argc, argv, i, "--input-shape", value)) {
      size_t eq = value.rfind('=');
      if (eq == std::string::npos || eq == 0)
        return fail("--input-shape expects NAME=DIMS, got '" + value + "'");
      Expected<std::vector<int64_t>> dims = parseDims(value.substr(eq + 1));
      if (!dims)
        return fail(dims.message());
      options.import.inputShapes[value.substr(0, eq)] = *dims;
    } else if (takeValue(argc, argv, i, "--sequence-length", value)) {
      size_t eq = value.rfind('=');
      std::string digits = eq == std::string::npos ? "" : value.substr(eq + 1);
      bool number = !digits.empty() && digits.size() <= 4 &&
                    std::all_of(digits.begin(), digits.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
      int length = number ? std::atoi(digits.c_str()) : -1;
      if (eq == std::string::npos || eq == 0 || length < 0 || length > 4096)
        return fail("--sequence-length expects NAME=N with N in 0..4096, "
                    "got '" +
                    value + "'");
      options.import.sequenceLengths[value.substr(0, eq)] = length;
    } else if (takeValue(argc, argv, i, "--absent-input", value)) {
      if (value.empty())
        return fail("--absent-input expects an input name");
      options.import.absentInputs.insert(value);
    } else if (takeValue(argc, argv, i, "--emit", value)) {
      if (value == "artifact")
        options.emit = EmitKind::Artifact;
      else if (value == "ir")
        options.emit = EmitKind::IR;
      else if (value == "mlir")
        options.emit = EmitKind::MLIR;
      else if (value == "llvm")
        options.emit = EmitKind::LLVM;
      else if (value == "obj")
        options.emit = EmitKind::Object;
      else if (value == "ptx")
        options.emit = EmitKind::PTX;
      else
        return fail("unknown --emit kind '" + value +
                    "' (expected artifact, ir, mlir, llvm, obj or ptx)");
    } else if (arg == "--print-after-all") {
      options.pipeline.printAfterAll = true;
    } else if (takeValue(argc, argv, i, "--print-after", value)) {
      options.pipeline.printAfter.push_back(value);
    } else if (arg == "--time-passes") {
      options.pipeline.timePasses = true;
    } else if (arg == "--schedule-report") {
      wantReport = true;
    } else if (takeValue(argc, argv, i, "--linker", value)) {
      options.linker = value;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see mlc compile --help)");
    } else if (input.empty()) {
      input = arg;
    } else {
      return fail("unexpected argument '" + arg + "'");
    }
  }
  if (input.empty())
    return fail("no model given (see mlc compile --help)");
  if (output.empty())
    return fail("no output given: use -o FILE");
  if (!options.target.specificArchs.empty() &&
      options.target.target != "cuda-emulate")
    return fail("--emulate-arch needs --target=cuda-emulate");
  if (wantReport)
    options.scheduleReport = &std::cout;
  options.warnings = &std::cerr;
  Expected<std::string> result = compileModel(input, options);
  if (!result)
    return fail(result.message());
  if (output == "-") {
    std::fwrite(result->data(), 1, result->size(), stdout);
    return 0;
  }
  std::string tmp = output + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      return fail("cannot write '" + output + "'");
    out.write(result->data(), static_cast<std::streamsize>(result->size()));
    if (!out)
      return fail("cannot write '" + output + "'");
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0)
    return fail("cannot write '" + output + "'");
  return 0;
}

/// Maps a DLPack dtype to the IR dtype with the same metadata name.
std::optional<DType> dtypeOf(DLDataType dl) {
  return parseDType(mlc_dtype_name(dl));
}

/// Deterministic pseudo-random input for `type`.
TensorData randomTensor(const TensorType &type, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int64_t n = *elementCount(type.shape);
  std::vector<uint8_t> bytes(static_cast<size_t>(n * dtypeSize(type.dtype)));
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int64_t i = 0; i < n; ++i) {
    uint8_t *p = bytes.data() + i * dtypeSize(type.dtype);
    switch (type.dtype) {
    case DType::F32: {
      float v = static_cast<float>(normal(rng));
      std::memcpy(p, &v, 4);
      break;
    }
    case DType::F64: {
      double v = normal(rng);
      std::memcpy(p, &v, 8);
      break;
    }
    case DType::Bool:
      *p = rng() & 1;
      break;
    default: {
      if (isNarrow(type.dtype)) { // a valid element of the narrow type
        *p = isNarrowFloat(type.dtype)
                 ? narrowFromDouble(type.dtype, normal(rng), true)
                 : narrowFromInteger(type.dtype,
                                     static_cast<int64_t>(rng() % 256), true);
        break;
      }
      // Integers: small non-negative values, valid as indices into any
      // reasonably sized table.
      uint64_t v = rng() % 100;
      std::memcpy(p, &v, static_cast<size_t>(dtypeSize(type.dtype)));
      break;
    }
    }
  }
  return *makeTensorData(type, std::move(bytes));
}

Expected<TensorData> readInputFile(const std::string &path) {
  if (path.size() >= 4 && path.substr(path.size() - 4) == ".npy")
    return readNpy(path);
  if (path.size() >= 3 && path.substr(path.size() - 3) == ".pb")
    return importOnnxTensorFile(path);
  return makeError("input file '" + path +
                   "' must be a .npy or an ONNX TensorProto .pb file");
}

std::string summarize(const TensorData &t) {
  std::string s = typeToString(t.type);
  if (t.type.dtype != DType::F32)
    return s;
  const float *v = t.data<float>();
  int64_t n = t.numElements();
  double sum = 0, mn = INFINITY, mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) {
    sum += v[i];
    mn = std::min<double>(mn, v[i]);
    mx = std::max<double>(mx, v[i]);
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf), "  min %.6g  max %.6g  mean %.6g  first [",
                mn, mx, n ? sum / n : 0.0);
  s += buf;
  for (int64_t i = 0; i < std::min<int64_t>(n, 5); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%.6g", i ? ", " : "", v[i]);
    s += buf;
  }
  return s + (n > 5 ? ", ...]" : "]");
}

/// Output file stem for a tensor name: bytes outside [A-Za-z0-9_.-] become
/// %XX, and so does a leading '.' (tests/e2e/npy_names.py is the same rule).
std::string fileNameFor(const std::string &name) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                 (c == '.' && i > 0);
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct ArtifactFile {
  uint64_t size = 0;
  uint64_t elfSize = 0;
  uint32_t abiVersion = 0;
  std::string metadata;
};

/// Reads an artifact's trailer and metadata text without loading its code,
/// so that artifacts built for another CPU can be inspected too.
Expected<ArtifactFile> readArtifactFile(const std::string &artifact) {
  std::ifstream in(artifact, std::ios::binary);
  if (!in)
    return makeError("cannot open '" + artifact + "'");
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < MLC_ARTIFACT_TRAILER_SIZE)
    return makeError("'" + artifact + "' is not an mlc artifact (too small)");
  mlc_artifact_trailer trailer;
  mlc_artifact_trailer_decode(reinterpret_cast<const uint8_t *>(bytes.data()) +
                                  bytes.size() - MLC_ARTIFACT_TRAILER_SIZE,
                              &trailer);
  if (std::memcmp(trailer.magic, MLC_ARTIFACT_MAGIC, MLC_ARTIFACT_MAGIC_SIZE) !=
      0)
    return makeError("'" + artifact + "' is not an mlc artifact (bad trailer)");
  uint64_t payload = bytes.size() - MLC_ARTIFACT_TRAILER_SIZE;
  if (trailer.elf_size > payload ||
      trailer.metadata_size != payload - trailer.elf_size)
    return makeError("'" + artifact + "' is corrupt or truncated");
  if (mlc_artifact_checksum(bytes.data(), payload) != trailer.checksum)
    return makeError("'" + artifact +
                     "': checksum mismatch: the artifact is "
                     "corrupt or truncated");
  ArtifactFile file;
  file.size = bytes.size();
  file.elfSize = trailer.elf_size;
  file.abiVersion = trailer.abi_version;
  file.metadata = bytes.substr(trailer.elf_size, trailer.metadata_size);
  return file;
}

/// The metadata dtype names of the `kind` ("input" or "output") tensors, in
/// order. `bool` and `u8` share a DLPack type, so only the metadata tells
/// `mlc run` which one to read and write.
std::vector<std::string> metadataDTypes(const std::string &metadata,
                                        const std::string &kind) {
  std::vector<std::string> names;
  std::istringstream lines(metadata);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, name, dtype;
    if (words >> key >> name >> dtype && key == kind)
      names.push_back(dtype);
  }
  return names;
}

/// A `structure` line of the metadata: a sequence or optional input or
/// output, made of `count` tensors from position `first` (docs/artifact.md).
struct Structure {
  std::string kind; ///< sequence, optional or optional_sequence
  bool output = false;
  size_t first = 0, count = 0;
  std::string name;
};

/// The `structure` lines of `metadata`, checked against the artifact's
/// tensor counts.
Expected<std::vector<Structure>> metadataStructures(const std::string &metadata,
                                                    size_t numInputs,
                                                    size_t numOutputs) {
  std::vector<Structure> out;
  std::istringstream lines(metadata);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, side, encoded;
    Structure s;
    if (!(words >> key) || key != "structure")
      continue;
    if (!(words >> side >> s.kind >> s.first >> s.count >> encoded) ||
        (side != "input" && side != "output") ||
        (s.kind != "sequence" && s.kind != "optional" &&
         s.kind != "optional_sequence" &&
         s.kind != "absent_optional_sequence") ||
        (s.kind == "optional" && s.count > 1) ||
        (s.kind == "absent_optional_sequence" && s.count != 0))
      return makeError("the artifact has a malformed structure line '" + line +
                       "'");
    s.output = side == "output";
    size_t limit = s.output ? numOutputs : numInputs;
    if (s.first > limit || s.count > limit - s.first)
      return makeError("the artifact's structure line '" + line +
                       "' names tensors it does not have");
    std::string name(encoded.size() + 1, '\0');
    int64_t n =
        mlc_artifact_name_decode(encoded.data(), encoded.size(), name.data());
    if (n <= 0)
      return makeError("the artifact's structure line '" + line +
                       "' has a malformed name");
    name.resize(static_cast<size_t>(n));
    s.name = name;
    out.push_back(s);
  }
  return out;
}

/// Parses a non-negative integer option value into `out`.
bool parseCount(const std::string &text, long long max, int &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || v < 0 || v > max)
    return false;
  out = static_cast<int>(v);
  return true;
}

/// Unloads a model when it goes out of scope.
struct ModelGuard {
  mlc_model *model = nullptr;
  ~ModelGuard() { mlc_model_free(model); }
};

/// Parses a --device value: cpu, cuda or cuda:N. `out` keeps device type 0
/// (the artifact's own) unless the option is given.
bool parseDevice(const std::string &text, DLDevice &out) {
  int id = 0;
  if (text == "cpu") {
    out.device_type = kDLCPU;
  } else if (text == "cuda") {
    out.device_type = kDLCUDA;
  } else if (text.rfind("cuda:", 0) == 0 &&
             parseCount(text.substr(5), 1 << 20, id)) {
    out.device_type = kDLCUDA;
  } else {
    return false;
  }
  out.device_id = id;
  return true;
}

/// The load options run and bench share: --threads N and --device DEV.
/// True when argv[i] is one of them (then i moves past its value); `error`
/// is set when the value is bad.
bool takeLoadOption(int argc, char **argv, int &i, int &threads,
                    DLDevice &device, std::string &error) {
  std::string value;
  error.clear();
  if (takeValue(argc, argv, i, "--threads", value)) {
    if (!parseCount(value, 1 << 20, threads))
      error = "--threads expects a count (0: one per CPU), got '" + value + "'";
    return true;
  }
  if (takeValue(argc, argv, i, "--device", value)) {
    if (!parseDevice(value, device))
      error = "--device expects cpu, cuda or cuda:N, got '" + value + "'";
    return true;
  }
  return false;
}

/// "cpu" or "cuda:N".
std::string deviceName(DLDevice device) {
  if (device.device_type == kDLCUDA)
    return "cuda:" + std::to_string(device.device_id);
  return "cpu";
}

/// Loads `artifact` for runs on `threads` threads (0: one per CPU) on
/// `device` (type 0: the one the artifact is for).
Expected<mlc_model *> loadModel(const std::string &artifact, int threads,
                                DLDevice device) {
  mlc_load_options options;
  std::memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  options.num_threads = threads;
  options.device_type = device.device_type;
  options.device_id = device.device_id;
  mlc_model *model = nullptr;
  if (mlc_model_load_with_options(artifact.c_str(), &options, &model) != MLC_OK)
    return makeError(mlc_last_error());
  return model;
}

/// A model's input and output tensors, ready for mlc_model_run. The
/// DLTensors point into the vectors here, so a ModelIO is never copied.
struct ModelIO {
  ModelIO() = default;
  ModelIO(const ModelIO &) = delete;
  ModelIO &operator=(const ModelIO &) = delete;

  std::vector<TensorData> inputs;
  /// Packed copies of the sub-byte inputs (empty for the others).
  std::vector<std::vector<uint8_t>> packedInputs;
  std::vector<std::vector<int64_t>> inputShapes;
  std::vector<DLTensor> inputTensors;
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<TensorType> outputTypes;
  std::vector<std::string> outputNames;
  std::vector<std::vector<int64_t>> outputShapes;
  std::vector<DLTensor> outputTensors;
  /// The sequence and optional inputs and outputs (`structure` lines).
  std::vector<Structure> structures;
  /// The bytes of the string inputs, which their mlc_string elements (in
  /// `inputs`) point into.
  std::vector<std::unique_ptr<std::vector<std::string>>> strings;

  /// The outputs' extents after the last run (dims the run computes from
  /// the data have their actual values there).
  std::vector<std::vector<int64_t>> resultShapes;

  /// The strings the last run made (string outputs point into it).
  std::unique_ptr<mlc_strings, void (*)(mlc_strings *)> store{
      mlc_strings_create(), mlc_strings_destroy};

  mlc_status run(mlc_model *model) {
    resultShapes = outputShapes;
    std::vector<int64_t *> slots;
    for (std::vector<int64_t> &s : resultShapes)
      slots.push_back(s.data());
    mlc_strings_clear(store.get());
    return mlc_model_run_with_strings(
        model, inputTensors.data(), static_cast<int32_t>(inputTensors.size()),
        outputTensors.data(), static_cast<int32_t>(outputTensors.size()),
        slots.data(), store.get());
  }
};

/// Fills `io` for `model`: inputs named in `inputFiles` are read from their
/// files, the others get seeded random data; outputs get zeroed buffers.
Status prepareIO(mlc_model *model,
                 const std::map<std::string, std::string> &inputFiles,
                 const std::map<std::string, std::vector<int64_t>> &inputShapes,
                 uint64_t seed, ModelIO &io) {
  std::string metadata = mlc_model_metadata_text(model);
  std::vector<std::string> inputDTypes = metadataDTypes(metadata, "input");
  std::vector<std::string> outputDTypes = metadataDTypes(metadata, "output");
  auto infoType = [](const mlc_tensor_info &info,
                     const std::vector<std::string> &dtypeNames,
                     int32_t index) -> Expected<TensorType> {
    std::optional<DType> dtype = dtypeOf(info.dtype);
    if (!dtype)
      return makeError("unsupported dtype in artifact");
    size_t i = static_cast<size_t>(index);
    if (*dtype == DType::U8 && i < dtypeNames.size() && dtypeNames[i] == "bool")
      dtype = DType::Bool;
    TensorType type;
    type.dtype = *dtype;
    for (int32_t d = 0; d < info.ndim; ++d)
      type.shape.push_back(Dim(info.shape[d]));
    return type;
  };

  int32_t numInputs = mlc_model_num_inputs(model);
  int32_t numOutputs = mlc_model_num_outputs(model);
  std::map<std::string, bool> used;
  Expected<std::vector<Structure>> structures =
      metadataStructures(metadata, static_cast<size_t>(numInputs),
                         static_cast<size_t>(numOutputs));
  if (!structures)
    return structures.error();
  io.structures = *structures;
  // Sequence and optional inputs given as files: their tensors, by input
  // position.
  std::map<size_t, TensorData> given;
  for (const Structure &s : *structures) {
    auto it = inputFiles.find(s.name);
    if (s.output || it == inputFiles.end())
      continue;
    used[s.name] = true;
    std::vector<TensorData> tensors;
    const std::string &file = it->second;
    if (s.kind == "sequence") {
      Expected<std::vector<TensorData>> seq = importOnnxSequenceFile(file);
      if (!seq)
        return seq.error();
      tensors = seq.take();
    } else {
      Expected<OptionalContent> opt = importOnnxOptionalFile(file);
      if (!opt)
        return opt.error();
      bool wantSequence =
          s.kind == "optional_sequence" || s.kind == "absent_optional_sequence";
      bool wantPresent = s.kind == "optional_sequence" || s.count == 1;
      if (opt->present != wantPresent ||
          (opt->present && opt->isSequence != wantSequence))
        return makeError("input '" + s.name + "' was compiled " +
                         (wantPresent
                              ? std::string("present, holding a ") +
                                    (wantSequence ? "sequence" : "tensor")
                              : std::string("absent")) +
                         " (fixed at compile time), but '" + file + "' holds " +
                         (!opt->present     ? "nothing"
                          : opt->isSequence ? "a sequence"
                                            : "a tensor"));
      tensors = std::move(opt->tensors);
    }
    if (tensors.size() != s.count)
      return makeError("input '" + s.name + "' is a sequence of " +
                       std::to_string(s.count) +
                       " tensors in this artifact (fixed at compile time), "
                       "but '" +
                       file + "' holds " + std::to_string(tensors.size()));
    for (size_t k = 0; k < tensors.size(); ++k)
      given.emplace(s.first + k, std::move(tensors[k]));
  }
  for (int32_t i = 0; i < numInputs; ++i) {
    mlc_tensor_info info;
    if (mlc_model_input_info(model, i, &info) != MLC_OK)
      return makeError(mlc_last_error());
    Expected<TensorType> type = infoType(info, inputDTypes, i);
    if (!type)
      return makeError(type.message());
    auto it = inputFiles.find(info.name);
    if (type->dtype == DType::Str) {
      // Strings: an ONNX TensorProto of string_data, as mlc_string
      // elements pointing into io.strings.
      if (it == inputFiles.end())
        return makeError("input '" + std::string(info.name) +
                         "' is a string tensor; give its data with --input " +
                         info.name + "=FILE.pb (an ONNX TensorProto)");
      Expected<StringTensor> st = importOnnxStringTensorFile(it->second);
      if (!st)
        return st.error();
      io.strings.push_back(
          std::make_unique<std::vector<std::string>>(std::move(st->strings)));
      const std::vector<std::string> &owned = *io.strings.back();
      std::vector<uint8_t> bytes(owned.size() * sizeof(mlc_string));
      for (size_t k = 0; k < owned.size(); ++k) {
        mlc_string s{owned[k].data(), owned[k].size()};
        std::memcpy(bytes.data() + k * sizeof(mlc_string), &s, sizeof(s));
      }
      TensorType t{DType::Str, {}};
      for (int64_t d : st->shape)
        t.shape.push_back(Dim(d));
      Expected<TensorData> data = makeTensorData(t, std::move(bytes));
      if (!data)
        return data.error();
      io.inputs.push_back(data.take());
      used[info.name] = true;
    } else if (auto g = given.find(static_cast<size_t>(i)); g != given.end()) {
      io.inputs.push_back(std::move(g->second));
    } else if (it != inputFiles.end()) {
      Expected<TensorData> data = readInputFile(it->second);
      if (!data)
        return makeError(data.message());
      io.inputs.push_back(data.take());
      used[info.name] = true;
    } else {
      auto shape = inputShapes.find(info.name);
      if (shape != inputShapes.end()) {
        // Fills the symbolic dims; the static ones must match.
        if (static_cast<int32_t>(shape->second.size()) != info.ndim)
          return makeError("--input-shape " + std::string(info.name) +
                           ": the input has rank " + std::to_string(info.ndim));
        for (int32_t d = 0; d < info.ndim; ++d) {
          int64_t extent = shape->second[static_cast<size_t>(d)];
          if (info.shape[d] >= 0 && info.shape[d] != extent)
            return makeError("--input-shape " + std::string(info.name) +
                             ": dim " + std::to_string(d) + " is " +
                             std::to_string(info.shape[d]) + ", not " +
                             std::to_string(extent));
          type->shape[static_cast<size_t>(d)] = Dim(extent);
        }
        used[info.name] = true;
      }
      for (int32_t d = 0; d < info.ndim; ++d)
        if (type->shape[static_cast<size_t>(d)].value() < 0)
          return makeError("input '" + std::string(info.name) +
                           "' has symbolic dims; give its data with --input " +
                           info.name +
                           "=FILE.npy or its shape with "
                           "--input-shape " +
                           info.name + "=DIMS");
      if (!elementCount(type->shape))
        return makeError("--input-shape " + std::string(info.name) +
                         ": too many elements");
      io.inputs.push_back(randomTensor(*type, seed * 1000003 + i));
    }
  }
  for (const auto &[name, file] : inputFiles)
    if (!used.count(name))
      return makeError("the artifact has no input named '" + name + "'");
  for (const auto &[name, dims] : inputShapes)
    if (!used.count(name))
      return makeError("--input-shape names '" + name +
                       "', which is not an input of the artifact");
  io.inputShapes.resize(io.inputs.size());
  io.inputTensors.resize(io.inputs.size());
  io.packedInputs.resize(io.inputs.size());
  for (size_t i = 0; i < io.inputs.size(); ++i) {
    for (const Dim &d : io.inputs[i].type.shape)
      io.inputShapes[i].push_back(d.value());
    DLTensor &t = io.inputTensors[i];
    t = DLTensor{};
    t.data = const_cast<uint8_t *>(io.inputs[i].bytes->data());
    if (dtypeBits(io.inputs[i].type.dtype) < 8) { // packed at the C API
      io.packedInputs[i] =
          packSubByte(io.inputs[i].type.dtype, io.inputs[i].bytes->data(),
                      io.inputs[i].numElements());
      t.data = io.packedInputs[i].data();
    }
    t.device = {kDLCPU, 0};
    t.ndim = static_cast<int32_t>(io.inputShapes[i].size());
    mlc_status st = mlc_dtype_from_name(
        std::string(dtypeName(io.inputs[i].type.dtype)).c_str(), &t.dtype);
    if (st != MLC_OK)
      return makeError(mlc_last_error());
    t.shape = io.inputShapes[i].data();
  }
  size_t n = static_cast<size_t>(numOutputs);
  io.outputs.resize(n);
  io.outputShapes.resize(n);
  io.outputTensors.resize(n);
  for (int32_t i = 0; i < numOutputs; ++i) {
    mlc_tensor_info info;
    if (mlc_model_output_info(model, i, &info) != MLC_OK)
      return makeError(mlc_last_error());
    Expected<TensorType> type = infoType(info, outputDTypes, i);
    if (!type)
      return makeError(type.message());
    // Symbolic dims take their extents from the inputs.
    std::vector<int64_t> shape(static_cast<size_t>(info.ndim));
    if (mlc_model_output_shape(model, io.inputTensors.data(), numInputs, i,
                               shape.data()) != MLC_OK)
      return makeError(mlc_last_error());
    for (int32_t d = 0; d < info.ndim; ++d)
      type->shape[static_cast<size_t>(d)] = Dim(shape[static_cast<size_t>(d)]);
    Expected<int64_t> bytes = byteSize(*type);
    if (!bytes)
      return makeError(bytes.message());
    // Sub-byte outputs come packed (one byte per element is more than
    // enough room); unpackOutput undoes it.
    // Run-time sizes can ask for more than the machine has: one error line,
    // not an abort.
    try {
      io.outputs[i].resize(static_cast<size_t>(*bytes));
    } catch (const std::bad_alloc &) {
      return makeError("output '" + std::string(info.name) + "' needs " +
                       std::to_string(*bytes) +
                       " bytes, more memory than is available");
    }
    io.outputTypes.push_back(*type);
    io.outputNames.push_back(info.name);
    io.outputShapes[i] = shape;
    DLTensor &t = io.outputTensors[i];
    t = DLTensor{};
    t.data = io.outputs[i].data();
    t.device = {kDLCPU, 0};
    t.ndim = info.ndim;
    t.dtype = info.dtype;
    t.shape = io.outputShapes[i].data();
  }
  return Status();
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

int runCommand(int argc, char **argv) {
  std::string artifact, outputDir, value;
  std::map<std::string, std::string> inputFiles;
  std::map<std::string, std::vector<int64_t>> inputShapes;
  uint64_t seed = 0;
  int iterations = 1;
  int threads = 0;
  DLDevice device = {static_cast<DLDeviceType>(0), 0};
  std::string error;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kRunHelp, stdout);
      return 0;
    }
    if (takeValue(argc, argv, i, "--input", value)) {
      size_t eq = value.rfind('=');
      if (eq == std::string::npos || eq == 0)
        return fail("--input expects NAME=FILE, got '" + value + "'");
      inputFiles[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (takeValue(argc, argv, i, "--input-shape", value)) {
      std::string err = addInputShape(value, inputShapes);
      if (!err.empty())
        return fail(err);
    } else if (takeValue(argc, argv, i, "--output-dir", value)) {
      outputDir = value;
    } else if (takeValue(argc, argv, i, "--seed", value)) {
      seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (takeValue(argc, argv, i, "--iterations", value)) {
      iterations = std::atoi(value.c_str());
      if (iterations < 1)
        return fail("--iterations must be at least 1");
    } else if (takeLoadOption(argc, argv, i, threads, device, error)) {
      if (!error.empty())
        return fail(error);
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see mlc run --help)");
    } else if (artifact.empty()) {
      artifact = arg;
    } else {
      return fail("unexpected argument '" + arg + "'");
    }
  }
  if (artifact.empty())
    return fail("no artifact given (see mlc run --help)");
  Expected<mlc_model *> loaded = loadModel(artifact, threads, device);
  if (!loaded)
    return fail(loaded.message());
  ModelGuard guard{*loaded};
  mlc_model *model = *loaded;
  ModelIO io;
  Status prepared = prepareIO(model, inputFiles, inputShapes, seed, io);
  if (!prepared)
    return fail(prepared.message());

  std::vector<double> times;
  for (int it = 0; it < iterations; ++it) {
    auto start = std::chrono::steady_clock::now();
    if (io.run(model) != MLC_OK)
      return fail(mlc_last_error());
    times.push_back(millisecondsSince(start));
  }
  std::sort(times.begin(), times.end());
  if (!outputDir.empty())
    mkdir(outputDir.c_str(), 0755);
  std::string on = mlc_model_device(model).device_type == kDLCUDA
                       ? " on " + deviceName(mlc_model_device(model))
                       : "";
  std::printf("ran %s%s: %zu input(s), %zu output(s), %d iteration(s), "
              "median %.3f ms\n",
              artifact.c_str(), on.c_str(), io.inputTensors.size(),
              io.outputTensors.size(), iterations, times[times.size() / 2]);
  // The output tensors that sequence and optional outputs are made of are
  // written as those, not one by one.
  std::vector<const Structure *> partOf(io.outputs.size(), nullptr);
  for (const Structure &s : io.structures)
    if (s.output)
      for (size_t k = 0; k < s.count; ++k)
        partOf[s.first + k] = &s;
  std::vector<TensorData> results;
  for (size_t i = 0; i < io.outputs.size(); ++i) {
    // Dims the run computed (NonZero's count) came back in the shape.
    TensorType type = io.outputTypes[i];
    for (size_t d = 0; d < type.shape.size(); ++d)
      type.shape[d] = Dim(io.resultShapes[i][d]);
    std::vector<uint8_t> bytes = std::move(io.outputs[i]);
    if (dtypeBits(type.dtype) >= 8) {
      Expected<int64_t> used = byteSize(type);
      if (used && static_cast<size_t>(*used) < bytes.size())
        bytes.resize(static_cast<size_t>(*used));
    }
    if (dtypeBits(type.dtype) < 8)
      bytes =
          unpackSubByte(type.dtype, bytes.data(), *elementCount(type.shape));
    Expected<TensorData> data = makeTensorData(type, std::move(bytes));
    if (!data)
      return fail(data.message());
    std::printf("  output '%s': %s\n", io.outputNames[i].c_str(),
                summarize(*data).c_str());
    results.push_back(data.take());
    if (outputDir.empty() || partOf[i])
      continue;
    const TensorData &t = results.back();
    if (t.type.dtype == DType::Str) {
      // The elements point into the inputs' strings or the run's store.
      StringTensor st;
      for (const Dim &d : t.type.shape)
        st.shape.push_back(d.value());
      for (int64_t k = 0; k < t.numElements(); ++k) {
        mlc_string s;
        std::memcpy(&s, t.bytes->data() + k * sizeof(s), sizeof(s));
        st.strings.emplace_back(s.data ? std::string(s.data, s.size) : "");
      }
      Status written = exportOnnxStringTensorFile(
          outputDir + "/" + fileNameFor(io.outputNames[i]) + ".pb", st,
          io.outputNames[i]);
      if (!written)
        return fail(written.message());
      continue;
    }
    // .npy has no bf16, float8 or sub-byte types: those are written as
    // ONNX TensorProtos.
    bool npy = t.type.dtype != DType::BF16 && !isNarrow(t.type.dtype);
    std::string path = outputDir + "/" + fileNameFor(io.outputNames[i]) +
                       (npy ? ".npy" : ".pb");
    Status st = npy ? writeNpy(path, t)
                    : exportOnnxTensorFile(path, t, io.outputNames[i]);
    if (!st)
      return fail(st.message());
  }
  for (const Structure &s : io.structures) {
    if (!s.output || outputDir.empty())
      continue;
    std::vector<TensorData> tensors(results.begin() + s.first,
                                    results.begin() + s.first + s.count);
    std::string path = outputDir + "/" + fileNameFor(s.name) + ".pb";
    Status st;
    if (s.kind == "sequence") {
      st = exportOnnxSequenceFile(path, tensors, s.name);
    } else {
      OptionalContent content;
      content.isSequence =
          s.kind == "optional_sequence" || s.kind == "absent_optional_sequence";
      content.present = s.kind == "optional_sequence" || s.count == 1;
      content.tensors = std::move(tensors);
      st = exportOnnxOptionalFile(path, content, s.name);
    }
    if (!st)
      return fail(st.message());
  }
  return 0;
}

/// Latency statistics over the timed runs of `mlc bench`, in milliseconds.
struct BenchStats {
  double median = 0, mean = 0, p90 = 0, min = 0, max = 0, stddev = 0;
};

/// `times` must be non-empty. The median of an even count is the mean of the
/// middle two; p90 is the nearest-rank 90th percentile.
BenchStats computeStats(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  BenchStats s;
  s.min = times.front();
  s.max = times.back();
  s.median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = times[std::max<size_t>(rank, 1) - 1];
  double sum = 0;
  for (double t : times)
    sum += t;
  s.mean = sum / static_cast<double>(n);
  double sq = 0;
  for (double t : times)
    sq += (t - s.mean) * (t - s.mean);
  s.stddev = n > 1 ? std::sqrt(sq / static_cast<double>(n - 1)) : 0.0;
  return s;
}

/// `text` as a JSON string literal.
std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

int benchCommand(int argc, char **argv) {
  std::string artifact, value;
  std::map<std::string, std::string> inputFiles;
  std::map<std::string, std::vector<int64_t>> inputShapes;
  uint64_t seed = 0;
  int threads = 0, warmup = 3, iters = 20, warmupMs = 0;
  DLDevice device = {static_cast<DLDeviceType>(0), 0};
  std::string error;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kBenchHelp, stdout);
      return 0;
    }
    if (takeLoadOption(argc, argv, i, threads, device, error)) {
      if (!error.empty())
        return fail(error);
    } else if (takeValue(argc, argv, i, "--warmup", value)) {
      if (!parseCount(value, 1 << 30, warmup))
        return fail("--warmup expects a count, got '" + value + "'");
    } else if (takeValue(argc, argv, i, "--warmup-ms", value)) {
      if (!parseCount(value, 1 << 24, warmupMs))
        return fail("--warmup-ms expects milliseconds, got '" + value + "'");
    } else if (takeValue(argc, argv, i, "--iters", value)) {
      if (!parseCount(value, 1 << 30, iters) || iters < 1)
        return fail("--iters expects a count of at least 1, got '" + value +
                    "'");
    } else if (takeValue(argc, argv, i, "--input", value)) {
      size_t eq = value.rfind('=');
      if (eq == std::string::npos || eq == 0)
        return fail("--input expects NAME=FILE, got '" + value + "'");
      inputFiles[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (takeValue(argc, argv, i, "--input-shape", value)) {
      std::string err = addInputShape(value, inputShapes);
      if (!err.empty())
        return fail(err);
    } else if (takeValue(argc, argv, i, "--seed", value)) {
      seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (arg == "--json") {
      json = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see mlc bench --help)");
    } else if (artifact.empty()) {
      artifact = arg;
    } else {
      return fail("unexpected argument '" + arg + "'");
    }
  }
  if (artifact.empty())
    return fail("no artifact given (see mlc bench --help)");
  auto loadStart = std::chrono::steady_clock::now();
  Expected<mlc_model *> loaded = loadModel(artifact, threads, device);
  if (!loaded)
    return fail(loaded.message());
  double loadMs = millisecondsSince(loadStart);
  ModelGuard guard{*loaded};
  mlc_model *model = *loaded;
  ModelIO io;
  Status prepared = prepareIO(model, inputFiles, inputShapes, seed, io);
  if (!prepared)
    return fail(prepared.message());

  auto warmupStart = std::chrono::steady_clock::now();
  int warmupRuns = 0;
  while (warmupRuns < warmup ||
         millisecondsSince(warmupStart) < static_cast<double>(warmupMs)) {
    if (io.run(model) != MLC_OK)
      return fail(mlc_last_error());
    ++warmupRuns;
  }
  std::vector<double> times;
  times.reserve(static_cast<size_t>(iters));
  for (int it = 0; it < iters; ++it) {
    auto start = std::chrono::steady_clock::now();
    if (io.run(model) != MLC_OK)
      return fail(mlc_last_error());
    times.push_back(millisecondsSince(start));
  }
  BenchStats s = computeStats(times);
  int32_t usedThreads = mlc_model_num_threads(model);
  std::string usedDevice = deviceName(mlc_model_device(model));
  std::printf("bench %s: %d thread(s), %d warmup, %d timed run(s), load "
              "%.1f ms, device %s\n",
              artifact.c_str(), usedThreads, warmupRuns, iters, loadMs,
              usedDevice.c_str());
  std::printf("  median %.3f ms  mean %.3f ms  p90 %.3f ms  min %.3f ms  "
              "max %.3f ms  stddev %.3f ms\n",
              s.median, s.mean, s.p90, s.min, s.max, s.stddev);
  if (json) {
    std::printf("{\"artifact\": %s, \"device\": %s, \"threads\": %d, "
                "\"warmup\": %d, \"iters\": %d, \"load_ms\": %.4f, "
                "\"median_ms\": %.4f, \"mean_ms\": %.4f, \"p90_ms\": %.4f, "
                "\"min_ms\": %.4f, \"max_ms\": %.4f, \"stddev_ms\": %.4f, "
                "\"times_ms\": [",
                jsonString(artifact).c_str(), jsonString(usedDevice).c_str(),
                usedThreads, warmupRuns, iters, loadMs, s.median, s.mean, s.p90,
                s.min, s.max, s.stddev);
    for (size_t i = 0; i < times.size(); ++i)
      std::printf("%s%.4f", i ? ", " : "", times[i]);
    std::printf("]}\n");
  }
  return 0;
}

/// One line summing up the GPU code of a CUDA artifact's metadata, or "" for
/// a CPU artifact.
std::string cudaSummary(const std::string &metadata) {
  std::map<std::string, std::string> keys;
  std::map<std::string, int> kernels;
  int launches = 0;
  std::istringstream lines(metadata);
  std::string line;
  while (std::getline(lines, line)) {
    size_t space = line.find(' ');
    std::string key = line.substr(0, space);
    std::string value =
        space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "cuda_launch") {
      ++launches;
      ++kernels[value.substr(0, value.find(' '))];
    } else if (!keys.count(key)) {
      keys[key] = value;
    }
  }
  if (keys["device"] != "cuda")
    return "";
  std::string cubins = keys["cuda_cubins"];
  std::replace(cubins.begin(), cubins.end(), ',', ' ');
  return "device cuda: PTX " + keys["cuda_ptx"] + ", cubins " +
         (cubins.empty() ? "none (the driver compiles the PTX)" : cubins) +
         ", " + std::to_string(launches) + " launch(es) of " +
         std::to_string(kernels.size()) + " kernel(s), host " +
         keys["host_target"];
}

int inspectCommand(int argc, char **argv) {
  std::string artifact;
  bool launches = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kInspectHelp, stdout);
      return 0;
    }
    if (arg == "--launches") {
      launches = true;
      continue;
    }
    if (!arg.empty() && arg[0] == '-')
      return fail("unknown option '" + arg + "' (see mlc inspect --help)");
    if (!artifact.empty())
      return fail("unexpected argument '" + arg + "'");
    artifact = arg;
  }
  if (artifact.empty())
    return fail("no artifact given (see mlc inspect --help)");
  Expected<ArtifactFile> file = readArtifactFile(artifact);
  if (!file)
    return fail(file.message());
  std::printf("artifact %s (%llu bytes, ELF %llu bytes, ABI %u)\n",
              artifact.c_str(), static_cast<unsigned long long>(file->size),
              static_cast<unsigned long long>(file->elfSize), file->abiVersion);
  std::string summary = cudaSummary(file->metadata);
  if (summary.empty()) {
    std::fwrite(file->metadata.data(), 1, file->metadata.size(), stdout);
    return 0;
  }
  std::printf("%s\n", summary.c_str());
  std::istringstream lines(file->metadata);
  std::string line;
  while (std::getline(lines, line))
    if (launches || line.rfind("cuda_launch ", 0) != 0)
      std::printf("%s\n", line.c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return fail("no command given (see mlc --help)");
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kMainHelp, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("mlc 0.1.0 (runtime %s, artifact ABI %u)\n",
                mlc_runtime_version(), mlc_runtime_abi_version());
    return 0;
  }
  if (command == "compile")
    return compileCommand(argc, argv);
  if (command == "run")
    return runCommand(argc, argv);
  if (command == "bench")
    return benchCommand(argc, argv);
  if (command == "inspect")
    return inspectCommand(argc, argv);
  return fail("unknown command '" + command + "' (see mlc --help)");
}
