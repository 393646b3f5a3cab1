// The compile driver: runs the frontend, the pass pipeline and codegen, then
// links the object and wraps it into an artifact.
#include "compiler/Compiler.h"

#include "ir/Printer.h"
#include "mlc/artifact_format.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace mlc {

namespace {
std::string encodeName(const std::string &name) {
  size_t need = mlc_artifact_name_encode(name.data(), name.size(), nullptr, 0);
  std::string out(need + 1, '\0');
  mlc_artifact_name_encode(name.data(), name.size(), out.data(), out.size());
  out.resize(need);
  return out;
}

/// Metadata dims: extents joined by `x`, a symbolic dim as `?<index>` of
/// its `symbol` line (docs/artifact.md).
std::string dimsText(const TensorType &type,
                     const std::vector<std::string> &symbols) {
  if (type.shape.empty())
    return "scalar";
  std::string text;
  for (size_t i = 0; i < type.shape.size(); ++i) {
    const Dim &d = type.shape[i];
    text += i ? "x" : "";
    if (d.isStatic()) {
      text += std::to_string(d.value());
      continue;
    }
    auto it = std::find(symbols.begin(), symbols.end(), d.symbolName());
    text += "?" + std::to_string(it - symbols.begin());
  }
  return text;
}

Expected<std::string> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("cannot open '" + path + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad())
    return makeError("cannot read '" + path + "'");
  return buffer.str();
}

Status writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return makeError("cannot write '" + path + "': " + std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    return makeError("cannot write '" + path + "'");
  return Status::success();
}

/// A temporary directory removed (with its files) on destruction.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/mlc-link-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()))
      path_ = buf.data();
  }
  ~TempDir() {
    for (const std::string &f : files_)
      unlink(f.c_str());
    if (!path_.empty())
      rmdir(path_.c_str());
  }
  bool ok() const { return !path_.empty(); }
  std::string file(const std::string &name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

private:
  std::string path_;
  std::vector<std::string> files_;
};

/// Runs `argv` without a shell; stderr goes to `errPath`. Returns the exit
/// status or an error if it could not start.
Expected<int> runProcess(const std::vector<std::string> &argv,
                         const std::string &errPath) {
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    return makeError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    int fd = open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 2);
      dup2(fd, 1);
      close(fd);
    }
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run '%s': %s\n", args[0],
                 std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return makeError(std::string("waitpid failed: ") + std::strerror(errno));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
} // namespace

std::string
buildArtifactMetadata(const Graph &graph, const CodegenResult &code,
                      const std::string &modelHash,
                      const std::vector<std::string> &cubins,
                      const std::vector<StructuredValue> &structured) {
  bool cuda = !code.launches.empty();
  std::string md;
  md += "mlc_artifact " + std::to_string(MLC_ARTIFACT_ABI_VERSION) + "\n";
  md += "mlc_version 0.1.0\n";
  md += "target " + code.triple + "\n";
  md += "cpu " + code.cpu + "\n";
  md += "cpu_features";
  for (size_t i = 0; i < code.cpuFeatures.size(); ++i)
    md += (i ? "," : " ") + code.cpuFeatures[i];
  md += "\n";
  md += "arena_bytes " + std::to_string(code.arenaBytes) + "\n";
  md += "model_hash " + modelHash + "\n";
  // The host functions the code calls: a runtime with fewer refuses it.
  int hostFunctions = 0;
  for (const auto &node : graph.nodes())
    hostFunctions =
        std::max(hostFunctions, hostFunctionIndex(node->kind()) + 1);
  if (hostFunctions > 0)
    md += "host_functions " + std::to_string(hostFunctions) + "\n";
  for (const auto &node : graph.nodes())
    if (node->kind() == OpKind::StringConcat ||
        node->kind() == OpKind::StringCase) {
      md += "makes_strings 1\n"; // runs need a string store
      break;
    }
  if (cuda) {
    md += "device cuda\n";
    md += "host_target " + code.hostTriple + "\n";
    md += "cuda_ptx " + code.cpu + "\n";
    md += "cuda_cubins";
    for (size_t i = 0; i < cubins.size(); ++i)
      md += (i ? "," : " ") + cubins[i];
    md += "\n";
    md += "cuda_weights_bytes " + std::to_string(code.weights.size()) + "\n";
  }
  for (size_t k = 0; k < code.symbols.size(); ++k) {
    md += "symbol " + encodeName(code.symbols[k]);
    const codegen::SymbolBinding &binding = code.bindings[k];
    if (binding.kind == codegen::SymbolBinding::Kind::Value)
      md += " value " + std::to_string(binding.input) + " " +
            std::to_string(binding.element);
    if (binding.kind == codegen::SymbolBinding::Kind::Value &&
        binding.scale != 1)
      md += " " + std::to_string(binding.scale);
    else if (binding.kind == codegen::SymbolBinding::Kind::Computed)
      md += " computed";
    else if (binding.kind == codegen::SymbolBinding::Kind::Late)
      md += " late " + std::to_string(binding.bound);
    if (binding.kind == codegen::SymbolBinding::Kind::Split) {
      // `split INPUT MAXSPLIT DELIMITER`: `none` for no limit, the
      // delimiter's bytes in hex or `-` for whitespace.
      md += " split " + std::to_string(binding.input) + " " +
            (binding.maxSplit < 0 ? std::string("none")
                                  : std::to_string(binding.maxSplit)) +
            " ";
      static const char *hex = "0123456789abcdef";
      for (unsigned char c : binding.delimiter) {
        md += hex[c >> 4];
        md += hex[c & 15];
      }
      if (binding.delimiter.empty())
        md += "-";
    }
    md += "\n";
  }
  for (const auto &[symbol, max] : code.constraints)
    md += "constraint " + std::to_string(symbol) + " " + std::to_string(max) +
          "\n";
  for (const std::string &message : code.checkMessages)
    md += "require " + encodeName(message) + "\n";
  for (const Value *in : graph.inputs())
    md += "input " + encodeName(in->name()) + " " +
          std::string(dtypeName(in->type().dtype)) + " " +
          dimsText(in->type(), code.symbols) + "\n";
  for (const Value *out : graph.outputs())
    md += "output " + encodeName(out->name()) + " " +
          std::string(dtypeName(out->type().dtype)) + " " +
          dimsText(out->type(), code.symbols) + "\n";
  for (const StructuredValue &sv : structured) {
    const char *kind = "sequence";
    if (sv.kind == StructuredValue::Kind::Optional)
      kind = "optional";
    else if (sv.kind == StructuredValue::Kind::OptionalSequence)
      kind = "optional_sequence";
    else if (sv.kind == StructuredValue::Kind::AbsentOptionalSequence)
      kind = "absent_optional_sequence";
    md += std::string("structure ") + (sv.isOutput ? "output " : "input ") +
          kind + " " + std::to_string(sv.first) + " " +
          std::to_string(sv.count) + " " + encodeName(sv.name) + "\n";
  }
  for (const GpuLaunch &l : code.launches)
    md += formatLaunch(l) + "\n";
  return md;
}

namespace {

/// The ptxas to run: `requested` if set ("none": nothing), else the first
/// on PATH, else the CUDA toolkit's default location; "" if there is none.
std::string findPtxas(const std::string &requested) {
  if (requested == "none")
    return "";
  if (!requested.empty())
    return requested;
  std::vector<std::string> candidates;
  if (const char *path = std::getenv("PATH")) {
    std::string dirs = path;
    for (size_t start = 0; start <= dirs.size();) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos)
        end = dirs.size();
      if (end > start)
        candidates.push_back(dirs.substr(start, end - start) + "/ptxas");
      start = end + 1;
    }
  }
  candidates.push_back("/usr/local/cuda/bin/ptxas");
  for (const std::string &c : candidates)
    if (access(c.c_str(), X_OK) == 0)
      return c;
  return "";
}

/// The CUDA artifact: cubins from ptxas, a host object holding PTX, cubins
/// and weights, the metadata with the launch plan.
Expected<std::string>
buildCudaArtifact(const Graph &graph,
                  const std::vector<StructuredValue> &structured,
                  const CodegenResult &code, const std::string &modelHash,
                  const CompileOptions &options) {
  int ptxArch = cudaArchNumber(code.cpu);
  std::vector<std::string> archs = options.cudaCubins;
  for (const std::string &arch : archs) {
    // PTX for an architecture-specific target assembles for it alone.
    if (cudaArchSpecific(code.cpu) && arch != code.cpu)
      return makeError("cannot build a cubin for '" + arch + "' from " +
                       code.cpu + " PTX (it assembles for " + code.cpu +
                       " only; pass --cuda-cubins=" + code.cpu + ")");
    if (cudaArchNumber(arch) < ptxArch)
      return makeError("cannot build a cubin for '" + arch +
                       "': expected sm_XY or sm_XYa, at least the PTX "
                       "architecture " +
                       code.cpu);
  }
  // Ascending, an architecture-specific one after the portable one of the
  // same number (the runtime's order).
  std::sort(archs.begin(), archs.end(),
            [](const std::string &a, const std::string &b) {
              return std::pair(cudaArchNumber(a), cudaArchSpecific(a)) <
                     std::pair(cudaArchNumber(b), cudaArchSpecific(b));
            });
  archs.erase(std::unique(archs.begin(), archs.end()), archs.end());

  std::vector<DataSymbol> symbols;
  symbols.push_back({"mlc_cuda_ptx", code.ptx + std::string(1, '\0')});
  std::vector<std::string> cubins;
  std::string ptxas = findPtxas(options.ptxas);
  if (ptxas.empty() && !archs.empty()) {
    if (options.warnings && options.ptxas != "none")
      *options.warnings
          << "mlc: warning: no ptxas (install the CUDA toolkit or pass "
             "--ptxas=PATH): the artifact embeds PTX only, which the driver "
             "compiles when the model loads\n";
    archs.clear();
  }
  if (!archs.empty()) {
    TempDir dir;
    if (!dir.ok())
      return makeError("cannot create a temporary directory for ptxas");
    std::string ptxPath = dir.file("kernels.ptx");
    MLC_RETURN_IF_ERROR(writeFile(ptxPath, code.ptx));
    for (const std::string &arch : archs) {
      std::string cubinPath = dir.file(arch + ".cubin");
      std::string logPath = dir.file(arch + ".log");
      // An architecture-specific cubin from its own PTX, if it has one.
      std::string source = ptxPath;
      for (const auto &[specific, text] : code.archPtx)
        if (specific == arch) {
          source = dir.file(arch + ".ptx");
          MLC_RETURN_IF_ERROR(writeFile(source, text));
        }
      Expected<int> rc = runProcess(
          {ptxas, "-arch=" + arch, "-O3", "-o", cubinPath, source}, logPath);
      if (!rc)
        return rc.error();
      if (*rc != 0) {
        Expected<std::string> log = readFile(logPath);
        std::string first = log ? log->substr(0, log->find('\n')) : "";
        return makeError("ptxas '" + ptxas + "' failed for " + arch +
                         " (exit " + std::to_string(*rc) + ")" +
                         (first.empty() ? "" : ": " + first));
      }
      Expected<std::string> cubin = readFile(cubinPath);
      if (!cubin)
        return cubin.error();
      symbols.push_back({"mlc_cuda_cubin_" + arch, cubin.take()});
      cubins.push_back(arch);
    }
  }
  symbols.push_back({"mlc_cuda_weights", code.weights});
  Expected<std::string> object = emitDataObject(symbols, code.hostTriple);
  if (!object)
    return object.error();
  return linkArtifact(
      *object,
      buildArtifactMetadata(graph, code, modelHash, cubins, structured),
      options.linker);
}

} // namespace

Expected<std::string> linkArtifact(const std::string &object,
                                   const std::string &metadata,
                                   const std::string &linker, uint32_t flags) {
  TempDir dir;
  if (!dir.ok())
    return makeError("cannot create a temporary directory for linking");
  std::string objPath = dir.file("model.o");
  std::string soPath = dir.file("model.so");
  std::string errPath = dir.file("link.log");
  MLC_RETURN_IF_ERROR(writeFile(objPath, object));
  Expected<int> rc = runProcess({linker, "-shared", "-o", soPath, objPath,
                                 "-Wl,-z,noexecstack", "-Wl,--hash-style=gnu",
                                 "-Wl,--build-id=sha1", "-lm"},
                                errPath);
  if (!rc)
    return rc.error();
  if (*rc != 0) {
    Expected<std::string> log = readFile(errPath);
    std::string first = log ? log->substr(0, log->find('\n')) : "";
    return makeError("linking with '" + linker + "' failed (exit " +
                     std::to_string(*rc) + ")" +
                     (first.empty() ? "" : ": " + first));
  }
  Expected<std::string> elf = readFile(soPath);
  if (!elf)
    return elf.error();
  std::string artifact = elf.take();
  uint64_t elfSize = artifact.size();
  artifact += metadata;
  uint8_t trailer[MLC_ARTIFACT_TRAILER_SIZE];
  mlc_artifact_trailer_build_flags(artifact.data(), elfSize, metadata.size(),
                                   flags, trailer);
  artifact.append(reinterpret_cast<const char *>(trailer), sizeof(trailer));
  return artifact;
}

Expected<std::string> compileModel(const std::string &modelPath,
                                   const CompileOptions &options) {
  Expected<std::string> modelBytes = readFile(modelPath);
  if (!modelBytes)
    return modelBytes.error();
  std::string baseDir = ".";
  if (size_t slash = modelPath.rfind('/'); slash != std::string::npos)
    baseDir = modelPath.substr(0, slash == 0 ? 1 : slash);
  std::vector<StructuredValue> structured;
  Expected<Graph> graph = importOnnxBytes(*modelBytes, baseDir, options.import,
                                          modelPath, &structured);
  if (!graph)
    return graph.error();
  bool gpu = options.target.target == "cuda" ||
             options.target.target == "cuda-emulate";
  bool hostOps = false;
  for (const auto &node : graph->nodes())
    hostOps |= isHostOp(node->kind());
  if (gpu && hostOps)
    return makeError("the string ops run on the host, which --target=" +
                     options.target.target + " does not support yet");
  if (options.target.target == "cuda") {
    // The CUDA runtime copies inputs and outputs as they are: it does not
    // unpack sub-byte tensors as the CPU runtime does (docs/artifact.md).
    std::vector<const Value *> io(graph->inputs().begin(),
                                  graph->inputs().end());
    io.insert(io.end(), graph->outputs().begin(), graph->outputs().end());
    for (const Value *v : io)
      if (dtypeBits(v->type().dtype) < 8)
        return makeError("'" + v->name() + "' has the sub-byte type " +
                         std::string(dtypeName(v->type().dtype)) +
                         ", which --target=cuda does not support as a graph "
                         "input or output");
  }
  MLC_RETURN_IF_ERROR(runPipeline(
      *graph, options.pipeline,
      defaultPipeline(gpu ? PipelineTarget::Gpu : PipelineTarget::Cpu,
                      options.precision)));
  if (options.emit == EmitKind::IR) {
    PrintOptions print;
    print.elideConstantsAbove = 16;
    return printGraph(*graph, print);
  }
  if (options.emit == EmitKind::MLIR)
    return emitMLIR(*graph, options.target);
  TargetOptions target = options.target;
  target.emitText = options.emit == EmitKind::LLVM;
  if (target.target == "cuda")
    target.specificArchs.clear();
  // The architecture-specific PTX is for cubins only: without a ptxas
  // there are none.
  if (target.target == "cuda" && options.emit == EmitKind::Artifact &&
      !findPtxas(options.ptxas).empty())
    for (const std::string &arch : options.cudaCubins)
      if (cudaArchSpecific(arch))
        target.specificArchs.push_back(arch);
  Expected<CodegenResult> code = generateCode(*graph, target);
  if (!code)
    return code.error();
  if (options.scheduleReport)
    *options.scheduleReport << code->scheduleReport;
  if (options.emit == EmitKind::LLVM)
    return code->llvmIR;
  if (options.emit == EmitKind::PTX) {
    if (options.target.target != "cuda")
      return makeError("--emit=ptx needs --target=cuda");
    return code->ptx;
  }
  if (options.target.target == "cuda") {
    if (options.emit == EmitKind::Object)
      return makeError("--emit=obj is not available for --target=cuda "
                       "(the kernels are PTX; use --emit=llvm)");
    return buildCudaArtifact(*graph, structured, *code, sha256Hex(*modelBytes),
                             options);
  }
  if (options.emit == EmitKind::Object)
    return code->object;
  std::string metadata = buildArtifactMetadata(
      *graph, *code, sha256Hex(*modelBytes), {}, structured);
  return linkArtifact(code->object, metadata, options.linker,
                      hostOps ? MLC_ARTIFACT_FLAG_HOST_API : 0u);
}

} // namespace mlc
