// The codegen pipeline, top to bottom: graph -> MLIR text -> schedules ->
// LLVM IR -> artifact entry and weights -> O3 -> object.
#include "codegen/Codegen.h"

#include "codegen/GpuLowering.h"
#include "codegen/KernelEmitter.h"
#include "codegen/Lowering.h"
#include "codegen/ObjectEmitter.h"
#include "codegen/Schedule.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <cstring>

namespace mlc {

int hostFunctionIndex(OpKind kind) {
  switch (kind) {
  case OpKind::StringEqual:
    return 0;
  case OpKind::StringIndex:
    return 1;
  case OpKind::StringConcat:
    return 2;
  case OpKind::StringCase:
    return 3;
  case OpKind::RegexFullMatch:
    return 4;
  case OpKind::StringSplit:
  case OpKind::StringSplitCount:
    return 5;
  default:
    return -1;
  }
}

namespace {

/// Concatenates the constants at their planned offsets; packed conv
/// weights W[F, rest] are stored as Wp[F/w, rest, w] (rest in (K.., C)
/// order for channels-last convs), packed matmul
/// weights B[K, N] as Bp[N/w, K, w].
std::string buildWeights(const codegen::EmittedModule &emitted) {
  std::string blob(static_cast<size_t>(emitted.weightsBytes), '\0');
  for (const auto &[offset, bytes] : emitted.hostBlobs)
    std::memcpy(blob.data() + offset, bytes.data(), bytes.size());
  for (size_t i = 0; i < emitted.constants.size(); ++i) {
    const Value *v = emitted.constants[i];
    const TensorData &data = v->producer()->tensorAttr("value");
    if (data.bytes->empty())
      continue;
    char *dst = blob.data() + emitted.constantOffsets[i];
    size_t panel = static_cast<size_t>(emitted.constantPanel[i]);
    if (panel == 0) {
      std::memcpy(dst, data.bytes->data(), data.bytes->size());
      continue;
    }
    const size_t esize = 4; // packed weights are f32
    if (emitted.constantPanelFromKN[i]) {
      size_t k = static_cast<size_t>(v->type().shape[0].value());
      size_t n = static_cast<size_t>(v->type().shape[1].value());
      for (size_t r = 0; r < k; ++r)
        for (size_t c = 0; c < n; ++c)
          std::memcpy(dst + ((c / panel * k + r) * panel + c % panel) * esize,
                      data.bytes->data() + (r * n + c) * esize, esize);
      continue;
    }
    size_t rows = static_cast<size_t>(v->type().shape[0].value());
    size_t cols = data.bytes->size() / esize / rows;
    // Channels-last convs read W[F, C, K..] as [F, K.., C]: source column
    // c * taps + t lands at column t * C + c.
    size_t channels = emitted.constantPanelChannelsLast[i]
                          ? static_cast<size_t>(v->type().shape[1].value())
                          : cols;
    size_t taps = cols / channels;
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c) {
        size_t to = c % taps * channels + c / taps;
        std::memcpy(dst + ((r / panel * cols + to) * panel + r % panel) * esize,
                    data.bytes->data() + (r * cols + c) * esize, esize);
      }
  }
  return blob;
}

/// The PTX architecture of the CUDA targets: TargetOptions::cpu (sm_80 by
/// default); for "cuda-emulate", the first of TargetOptions::specificArchs
/// (sm_80 by default).
std::string cudaArch(const TargetOptions &options) {
  if (options.target == "cuda-emulate")
    return options.specificArchs.empty() ? "sm_80"
                                         : options.specificArchs.front();
  return options.cpu.empty() ? "sm_80" : options.cpu;
}

/// Whether two compilations' launch plans are the same.
bool sameLaunches(const std::vector<GpuLaunch> &a,
                  const std::vector<GpuLaunch> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (formatLaunch(a[i]) != formatLaunch(b[i]))
      return false;
  return true;
}

/// Whether the CUDA target's mma.sync forms (m16n8k16 f16/bf16, m16n8k8
/// tf32: sm_80 and newer) are available.
bool hasTensorCores(const TargetOptions &options) {
  return cudaArchNumber(cudaArch(options)) >= 80;
}

/// Stage 2, graph -> MLIR text: emits the module and records its memory
/// plan (and, with emitText, the text) in `result`.
Expected<codegen::EmittedModule> emitInto(const Graph &graph, bool portable,
                                          bool wideVectors,
                                          const TargetOptions &options,
                                          CodegenResult &result) {
  auto emitted = codegen::emitModule(graph, portable, wideVectors,
                                     portable && hasTensorCores(options),
                                     options.allowTf32);
  if (!emitted.ok())
    return emitted.error();
  result.arenaBytes = emitted->arenaBytes;
  result.naiveIntermediateBytes = emitted->naiveIntermediateBytes;
  if (options.emitText)
    result.mlir = emitted->text;
  return emitted;
}

/// The CPU pipeline after the MLIR text: lowering (with `schedules`),
/// artifact entry and weights, O3, object, into `result` (whose arena sizes
/// grow by the kernels' scratch).
Status finishCpuObject(const std::string &text, const std::string &schedules,
                       const Graph &graph, const std::string &weights,
                       const codegen::Target &target,
                       const TargetOptions &options, CodegenResult &result,
                       const codegen::EmittedModule *emitted = nullptr) {
  llvm::LLVMContext context;
  auto module = codegen::lowerToLLVMIR(text, schedules, options.minParallelWork,
                                       result.arenaBytes,
                                       result.naiveIntermediateBytes, context);
  if (!module.ok())
    return module.error();
  codegen::DynamicEntry dynamic;
  bool isDynamic = emitted && !emitted->symbols.empty();
  if (isDynamic) {
    dynamic.numSymbols = emitted->symbols.size();
    dynamic.numKernelSymbols = emitted->numKernelSymbols;
    dynamic.bindings = &emitted->bindings;
    dynamic.computed = &emitted->computed;
    dynamic.checks = &emitted->checks;
    dynamic.buffers = &emitted->dynamicBuffers;
    dynamic.plan = &emitted->dynamicPlan;
    dynamic.constraints = emitted->constraints;
    dynamic.base = result.arenaBytes; // the kernels' scratch
    result.symbols = emitted->symbols;
    result.bindings = emitted->bindings;
    for (const codegen::PlanCheck &check : emitted->checks)
      result.checkMessages.push_back(check.message);
    result.constraints = emitted->constraints;
  }
  MLC_RETURN_IF_ERROR(codegen::finalizeArtifact(
      **module, target, weights, graph.inputs().size(), graph.outputs().size(),
      isDynamic ? &dynamic : nullptr));
  codegen::optimize(**module, target);
  if (options.emitText)
    result.llvmIR = codegen::printWithoutWeights(**module);
  auto object = codegen::emitObject(**module, target);
  if (!object.ok())
    return object.error();
  result.object = object.take();
  return Status::success();
}

/// The CUDA target: portable kernels, PTX, a launch plan (GpuLowering.h).
/// "cuda-emulate" compiles the same mapped kernels for the host CPU instead
/// (each launch a loop over its blocks and threads), as a CPU artifact.
Expected<CodegenResult> generateCudaCode(const Graph &graph,
                                         const TargetOptions &options) {
  bool emulate = options.target == "cuda-emulate";
  std::string arch = cudaArch(options);
  // sm_70 is the oldest architecture current CUDA toolkits assemble for.
  if (cudaArchNumber(arch) < 70)
    return makeError("codegen: unknown CUDA architecture '" + arch +
                     "' (expected sm_XY, sm_70 or newer)");
  CodegenResult result;
  result.triple = "nvptx64-nvidia-cuda";
  result.cpu = arch;
  result.hostTriple = llvm::sys::getDefaultTargetTriple();
  auto emitted = emitInto(graph, /*portable=*/true, /*wideVectors=*/false,
                          options, result);
  if (!emitted.ok())
    return emitted.error();
  std::string hostText;
  auto gpu = codegen::lowerToPTX(
      emitted->text, arch, static_cast<unsigned>(graph.inputs().size()),
      static_cast<unsigned>(graph.outputs().size()), result.arenaBytes,
      result.naiveIntermediateBytes, options.emitText,
      emulate ? &hostText : nullptr);
  if (!gpu.ok())
    return gpu.error();
  if (emulate) {
    auto target = codegen::createTarget(options.triple, options.cpu);
    if (!target.ok())
      return target.error();
    CodegenResult host;
    host.triple = target->triple;
    host.cpu = target->cpu;
    host.cpuFeatures = target->features;
    host.arenaBytes = result.arenaBytes;
    host.naiveIntermediateBytes = result.naiveIntermediateBytes;
    host.mlir = hostText;
    MLC_RETURN_IF_ERROR(finishCpuObject(
        hostText, "", graph, buildWeights(*emitted), *target, options, host));
    return host;
  }
  result.ptx = std::move(gpu->ptx);
  result.launches = std::move(gpu->launches);
  // The architecture-specific kernels: the same module, lowered again with
  // the architecture's own tensor-core instructions (only the contraction
  // kernels differ; their launches do not).
  for (const std::string &specific : options.specificArchs) {
    if (!emitted->tensorCores || !codegen::hasWgmma(specific) ||
        specific == arch)
      continue;
    int64_t arenaBytes = emitted->arenaBytes, naiveBytes = 0;
    auto own = codegen::lowerToPTX(
        emitted->text, specific, static_cast<unsigned>(graph.inputs().size()),
        static_cast<unsigned>(graph.outputs().size()), arenaBytes, naiveBytes,
        /*emitText=*/false, nullptr);
    if (!own.ok())
      return own.error();
    if (arenaBytes != result.arenaBytes ||
        !sameLaunches(own->launches, result.launches))
      return makeError("codegen: internal error: the " + specific +
                       " kernels' launch plan differs from " + arch + "'s");
    result.archPtx.push_back({specific, std::move(own->ptx)});
  }
  result.llvmIR = std::move(gpu->llvmIR);
  result.weights = buildWeights(*emitted);
  return result;
}

} // namespace

Expected<CodegenResult> generateCode(const Graph &graph,
                                     const TargetOptions &options) {
  if (options.target == "cuda" || options.target == "cuda-emulate")
    return generateCudaCode(graph, options);
  if (options.target != "llvm")
    return makeError("codegen: unknown target '" + options.target +
                     "' (expected llvm, cuda or cuda-emulate)");
  CodegenResult result;

  // 1. Target first: schedules depend on its vector width.
  auto target = codegen::createTarget(options.triple, options.cpu);
  if (!target.ok())
    return target.error();
  result.triple = target->triple;
  result.cpu = target->cpu;
  result.cpuFeatures = target->features;

  // 2. Graph -> MLIR text: kernels per group, entry, memory plan.
  auto emitted =
      emitInto(graph, /*portable=*/false, target->avx512, options, result);
  if (!emitted.ok())
    return emitted.error();

  // 3. Schedules: one record per contraction, applied as a transform script.
  codegen::ScheduleTarget scheduleTarget{target->avx512};
  std::vector<codegen::ScheduleRecord> records;
  for (const codegen::ContractionSite &site : emitted->sites)
    if (auto record = codegen::chooseSchedule(site, scheduleTarget))
      records.push_back(*record);
  result.scheduleReport = codegen::formatSchedules(records);

  // 4-5. MLIR lowering to LLVM IR, artifact entry and weights, O3, object.
  MLC_RETURN_IF_ERROR(finishCpuObject(
      emitted->text, codegen::transformScript(records), graph,
      buildWeights(*emitted), *target, options, result, &*emitted));
  return result;
}

int cudaArchNumber(const std::string &arch) {
  size_t digits = cudaArchSpecific(arch) ? arch.size() - 1 : arch.size();
  if (digits < 5 || digits > 6 || arch.compare(0, 3, "sm_") != 0)
    return -1;
  int n = 0;
  for (size_t i = 3; i < digits; ++i) {
    if (arch[i] < '0' || arch[i] > '9')
      return -1;
    n = n * 10 + (arch[i] - '0');
  }
  return n;
}

bool cudaArchSpecific(const std::string &arch) {
  return !arch.empty() && arch.back() == 'a';
}

std::string formatLaunch(const GpuLaunch &launch) {
  std::string line = "cuda_launch " + launch.kernel;
  for (const int64_t *dims : {launch.grid, launch.block})
    line += " " + std::to_string(dims[0]) + "," + std::to_string(dims[1]) +
            "," + std::to_string(dims[2]);
  line += " " + std::to_string(launch.sharedBytes) + " ";
  for (size_t i = 0; i < launch.args.size(); ++i)
    line += (i ? "," : "") + launch.args[i];
  return line;
}

Expected<std::string> emitMLIR(const Graph &graph,
                               const TargetOptions &options) {
  bool portable = options.target == "cuda" || options.target == "cuda-emulate";
  bool wideVectors = false;
  if (!portable) {
    auto target = codegen::createTarget(options.triple, options.cpu);
    if (!target.ok())
      return target.error();
    wideVectors = target->avx512;
  }
  auto emitted = codegen::emitModule(graph, portable, wideVectors,
                                     portable && hasTensorCores(options),
                                     options.allowTf32);
  if (!emitted.ok())
    return emitted.error();
  return emitted->text;
}

} // namespace mlc
