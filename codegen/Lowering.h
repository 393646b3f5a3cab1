// MLIR stages: parse, apply schedules, bufferize, lower to the LLVM dialect,
// translate to LLVM IR. Internal to codegen.
#pragma once

#include "ir/Support.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlc::codegen {

/// Lowers the module text emitted by KernelEmitter to LLVM IR in `context`.
/// `transformLibrary` (may be empty) is the schedule script from
/// Schedule.h; it runs first, on tensors. Pipeline, in order:
///   1. transform interpreter (tile, vectorize, hoist the matmuls)
///   2. elementwise fusion, empty-tensor elimination, one-shot bufferize
///      (copies become linalg.copy, never memrefCopy), deallocation
///   3. linalg -> loops, polynomial approximation of f32 math, vector -> scf
///   4. everything -> LLVM dialect, bare-pointer calling convention
///   5. translation to LLVM IR
Expected<std::unique_ptr<llvm::Module>>
lowerToLLVMIR(const std::string &moduleText, const std::string &transformLibrary,
              llvm::LLVMContext &context);

} // namespace mlc::codegen
