// MLIR and LLVM stages of the CUDA target: bufferized kernels -> one GPU
// launch per parallel loop -> NVVM -> LLVM IR -> PTX. Internal to codegen.
#pragma once

#include "codegen/Codegen.h"
#include "ir/Support.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlc::codegen {

/// What the CUDA lowering produces.
struct GpuModule {
  /// PTX text (no NUL) for `.target <arch>`.
  std::string ptx;
  /// The launches in execution order.
  std::vector<GpuLaunch> launches;
  /// The gpu.module after outlining, before NVVM conversion, when asked for.
  std::string mlir;
  /// LLVM IR of the kernels after optimization, when asked for.
  std::string llvmIR;
};

/// Whether the tiled contractions use wgmma for `arch` (GpuTiling.h):
/// sm_90a only, the one architecture that has it.
inline bool hasWgmma(const std::string &arch) { return arch == "sm_90a"; }

/// Lowers the module text emitted by KernelEmitter in its portable form to
/// PTX for `arch` (e.g. "sm_80"); the graph has `numInputs` inputs and
/// `numOutputs` outputs. Pipeline, in order:
///   1. elementwise fusion and bufferization (the CPU stage 2 of
///      Lowering.h); large contractions become tiled launches
///      (GpuTiling.h); the other linalg ops -> scf.parallel (stage 3)
///   2. kernel temporaries into the arena (KernelScratch.h), which grows
///      `arenaBytes`; `naiveBytes` grows by their sum
///   3. kernels inlined into @mlc_graph; f32 math to polynomials
///   4. each top-level scf.parallel becomes a gpu.launch with one thread per
///      iteration (blocks of up to 256 threads, a bounds check, the index
///      delinearized); runs of other memory-touching ops become a launch of
///      one thread
///   5. pure view ops sunk into the launches, which are outlined into
///      `gpu.func @k<N>` whose parameters are graph arguments only
///   6. NVVM with bare-pointer memrefs, LLVM IR, O3, PTX from LLVM's NVPTX
///      backend; a kernel that still calls a libdevice function is an error
Expected<GpuModule> lowerToPTX(const std::string &moduleText,
                               const std::string &arch, unsigned numInputs,
                               unsigned numOutputs, int64_t &arenaBytes,
                               int64_t &naiveBytes, bool emitText,
                               std::string *hostEmulation = nullptr);

} // namespace mlc::codegen
