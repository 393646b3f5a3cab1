// The mlc command-line tool: compile, run and inspect model artifacts.
#include "compiler/Compiler.h"
#include "tools/mlc/Npy.h"

#include "mlc/artifact_format.h"
#include "mlc/runtime.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <algorithm>
#include <iostream>
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
  inspect   show an artifact's metadata

Run 'mlc <command> --help' for the options of a command.
)";

constexpr const char *kCompileHelp =
    R"(usage: mlc compile MODEL.onnx -o OUT [options]

Options:
  -o FILE                    output file (artifact, or text for --emit);
                             '-' writes to standard output
  --target=llvm              code generation target (host CPU family)
  -mcpu=NAME                 CPU to generate code for (default: this host)
  --mtriple=TRIPLE           LLVM target triple (default: this host)
  --input-shape NAME=DIMS    fix a dynamic input shape, e.g. input=1x3x224x224
                             (repeatable)
  --emit=KIND                artifact (default), ir, mlir, llvm or obj
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
                       (repeatable); inputs not given are seeded random
  --output-dir DIR     write each output as DIR/<output name>.npy
  --seed N             seed of the random inputs (default 0)
  --iterations N       run N times and report the median latency (default 1)
)";

constexpr const char *kInspectHelp =
    R"(usage: mlc inspect ARTIFACT

Prints the artifact's metadata: versions, target, CPU features, arena size,
source-model hash, inputs and outputs.
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
  size_t start = 0;
  while (start <= text.size()) {
    size_t x = text.find('x', start);
    std::string part = text.substr(start, x == std::string::npos
                                              ? std::string::npos
                                              : x - start);
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
      if (value != "llvm")
        return fail("unsupported target '" + value + "' (supported: llvm)");
      options.target.target = value;
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
      else
        return fail("unknown --emit kind '" + value +
                    "' (expected artifact, ir, mlir, llvm or obj)");
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
  if (wantReport)
    options.scheduleReport = &std::cout;
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
  mlc_artifact_trailer_decode(
      reinterpret_cast<const uint8_t *>(bytes.data()) + bytes.size() -
          MLC_ARTIFACT_TRAILER_SIZE,
      &trailer);
  if (std::memcmp(trailer.magic, MLC_ARTIFACT_MAGIC,
                  MLC_ARTIFACT_MAGIC_SIZE) != 0)
    return makeError("'" + artifact + "' is not an mlc artifact (bad trailer)");
  uint64_t payload = bytes.size() - MLC_ARTIFACT_TRAILER_SIZE;
  if (trailer.elf_size > payload ||
      trailer.metadata_size != payload - trailer.elf_size)
    return makeError("'" + artifact + "' is corrupt or truncated");
  if (mlc_artifact_checksum(bytes.data(), payload) != trailer.checksum)
    return makeError("'" + artifact + "': checksum mismatch: the artifact is "
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

int runCommand(int argc, char **argv) {
  std::string artifact, outputDir, value;
  std::map<std::string, std::string> inputFiles;
  uint64_t seed = 0;
  int iterations = 1;
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
    } else if (takeValue(argc, argv, i, "--output-dir", value)) {
      outputDir = value;
    } else if (takeValue(argc, argv, i, "--seed", value)) {
      seed = std::strtoull(value.c_str(), nullptr, 10);
    } else if (takeValue(argc, argv, i, "--iterations", value)) {
      iterations = std::atoi(value.c_str());
      if (iterations < 1)
        return fail("--iterations must be at least 1");
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
  mlc_model *model = nullptr;
  if (mlc_model_load(artifact.c_str(), &model) != MLC_OK)
    return fail(mlc_last_error());
  struct Guard {
    mlc_model *m;
    ~Guard() { mlc_model_free(m); }
  } guard{model};

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
  std::vector<TensorData> inputs;
  std::vector<DLTensor> inputTensors(static_cast<size_t>(numInputs));
  std::map<std::string, bool> used;
  for (int32_t i = 0; i < numInputs; ++i) {
    mlc_tensor_info info;
    if (mlc_model_input_info(model, i, &info) != MLC_OK)
      return fail(mlc_last_error());
    Expected<TensorType> type = infoType(info, inputDTypes, i);
    if (!type)
      return fail(type.message());
    auto it = inputFiles.find(info.name);
    if (it != inputFiles.end()) {
      Expected<TensorData> data = readInputFile(it->second);
      if (!data)
        return fail(data.message());
      inputs.push_back(data.take());
      used[info.name] = true;
    } else {
      inputs.push_back(randomTensor(*type, seed * 1000003 + i));
    }
  }
  for (const auto &[name, file] : inputFiles)
    if (!used.count(name))
      return fail("the artifact has no input named '" + name + "'");
  std::vector<std::vector<int64_t>> inputShapes(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (const Dim &d : inputs[i].type.shape)
      inputShapes[i].push_back(d.value());
    DLTensor &t = inputTensors[i];
    t = DLTensor{};
    t.data = const_cast<uint8_t *>(inputs[i].bytes->data());
    t.device = {kDLCPU, 0};
    t.ndim = static_cast<int32_t>(inputShapes[i].size());
    mlc_status st = mlc_dtype_from_name(
        std::string(dtypeName(inputs[i].type.dtype)).c_str(), &t.dtype);
    if (st != MLC_OK)
      return fail(mlc_last_error());
    t.shape = inputShapes[i].data();
  }
  std::vector<std::vector<uint8_t>> outputs(static_cast<size_t>(numOutputs));
  std::vector<TensorType> outputTypes;
  std::vector<std::string> outputNames;
  std::vector<DLTensor> outputTensors(static_cast<size_t>(numOutputs));
  std::vector<std::vector<int64_t>> outputShapes(outputs.size());
  for (int32_t i = 0; i < numOutputs; ++i) {
    mlc_tensor_info info;
    if (mlc_model_output_info(model, i, &info) != MLC_OK)
      return fail(mlc_last_error());
    Expected<TensorType> type = infoType(info, outputDTypes, i);
    if (!type)
      return fail(type.message());
    Expected<int64_t> bytes = byteSize(*type);
    if (!bytes)
      return fail(bytes.message());
    outputs[i].resize(static_cast<size_t>(*bytes));
    outputTypes.push_back(*type);
    outputNames.push_back(info.name);
    outputShapes[i].assign(info.shape, info.shape + info.ndim);
    DLTensor &t = outputTensors[i];
    t = DLTensor{};
    t.data = outputs[i].data();
    t.device = {kDLCPU, 0};
    t.ndim = info.ndim;
    t.dtype = info.dtype;
    t.shape = outputShapes[i].data();
  }
  std::vector<double> times;
  for (int it = 0; it < iterations; ++it) {
    auto start = std::chrono::steady_clock::now();
    if (mlc_model_run(model, inputTensors.data(), numInputs,
                      outputTensors.data(), numOutputs) != MLC_OK)
      return fail(mlc_last_error());
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  if (!outputDir.empty())
    mkdir(outputDir.c_str(), 0755);
  std::printf("ran %s: %d input(s), %d output(s), %d iteration(s), median "
              "%.3f ms\n",
              artifact.c_str(), numInputs, numOutputs, iterations,
              times[times.size() / 2]);
  for (int32_t i = 0; i < numOutputs; ++i) {
    Expected<TensorData> data =
        makeTensorData(outputTypes[i], std::move(outputs[i]));
    if (!data)
      return fail(data.message());
    std::printf("  output '%s': %s\n", outputNames[i].c_str(),
                summarize(*data).c_str());
    if (!outputDir.empty()) {
      std::string path = outputDir + "/" + fileNameFor(outputNames[i]) + ".npy";
      Status st = writeNpy(path, *data);
      if (!st)
        return fail(st.message());
    }
  }
  return 0;
}

int inspectCommand(int argc, char **argv) {
  std::string artifact;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kInspectHelp, stdout);
      return 0;
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
              static_cast<unsigned long long>(file->elfSize),
              file->abiVersion);
  std::fwrite(file->metadata.data(), 1, file->metadata.size(), stdout);
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
  if (command == "inspect")
    return inspectCommand(argc, argv);
  return fail("unknown command '" + command + "' (see mlc --help)");
}
