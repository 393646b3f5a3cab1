// The compile driver: runs the frontend, the pass pipeline and codegen, then
// links the object and wraps it into an artifact.
#include "compiler/Compiler.h"

#include "ir/Printer.h"
#include "mlc/artifact_format.h"

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

std::string dimsText(const TensorType &type) {
  if (type.shape.empty())
    return "scalar";
  return shapeToString(type.shape);
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
    std::string pattern = std::string(base && *base ? base : "/tmp") +
                          "/mlc-link-XXXXXX";
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

std::string buildArtifactMetadata(const Graph &graph,
                                  const CodegenResult &code,
                                  const std::string &modelHash) {
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
  for (const Value *in : graph.inputs())
    md += "input " + encodeName(in->name()) + " " +
          std::string(dtypeName(in->type().dtype)) + " " +
          dimsText(in->type()) + "\n";
  for (const Value *out : graph.outputs())
    md += "output " + encodeName(out->name()) + " " +
          std::string(dtypeName(out->type().dtype)) + " " +
          dimsText(out->type()) + "\n";
  return md;
}

Expected<std::string> linkArtifact(const std::string &object,
                                   const std::string &metadata,
                                   const std::string &linker) {
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
  mlc_artifact_trailer_build(artifact.data(), elfSize, metadata.size(),
                             trailer);
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
  Expected<Graph> graph =
      importOnnxBytes(*modelBytes, baseDir, options.import, modelPath);
  if (!graph)
    return graph.error();
  for (const Value *in : graph->inputs())
    if (!isStatic(in->type().shape))
      return makeError("input '" + in->name() + "' has dynamic shape " +
                       typeToString(in->type()) +
                       "; fix it with --input-shape " + in->name() +
                       "=<dims>");
  MLC_RETURN_IF_ERROR(
      runPipeline(*graph, options.pipeline, defaultPipeline()));
  if (options.emit == EmitKind::IR) {
    PrintOptions print;
    print.elideConstantsAbove = 16;
    return printGraph(*graph, print);
  }
  if (options.emit == EmitKind::MLIR)
    return emitMLIR(*graph);
  TargetOptions target = options.target;
  target.emitText = options.emit == EmitKind::LLVM;
  Expected<CodegenResult> code = generateCode(*graph, target);
  if (!code)
    return code.error();
  if (options.scheduleReport)
    *options.scheduleReport << code->scheduleReport;
  if (options.emit == EmitKind::LLVM)
    return code->llvmIR;
  if (options.emit == EmitKind::Object)
    return code->object;
  std::string metadata =
      buildArtifactMetadata(*graph, *code, sha256Hex(*modelBytes));
  return linkArtifact(code->object, metadata, options.linker);
}

} // namespace mlc
