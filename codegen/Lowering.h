// MLIR stages: parse, apply schedules, bufferize, lower to the LLVM dialect,
// translate to LLVM IR. Internal to codegen.
#pragma once

#include "ir/Support.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class Operation;
class PassManager;
} // namespace mlir

namespace mlc::codegen {

/// Collects the first MLIR error diagnostic of a context into one line for
/// an Error.
class DiagnosticCollector {
public:
  /// Starts collecting on `context` until destroyed.
  explicit DiagnosticCollector(mlir::MLIRContext &context);
  /// "codegen: <stage> failed: <location>: <message>".
  Error error(const std::string &stage) const;

private:
  std::string message_;
  mlir::ScopedDiagnosticHandler handler_;
};

/// Registers every dialect, extension and LLVM IR translation codegen uses.
void registerEverything(mlir::DialectRegistry &registry);

/// Stage 2: elementwise fusion, empty-tensor elimination, one-shot
/// bufferization (copies become linalg.copy, never memrefCopy) and
/// deallocation.
void addBufferizationPasses(mlir::PassManager &pm);

/// Stage 3: linalg to loops (parallel dimensions become scf.parallel) and
/// vector transfers to scf.
void addLoopPasses(mlir::PassManager &pm);

/// Replaces f32 exp/log/tanh/erf/sin/cos/... with polynomials so that
/// artifacts do not call libm (or libdevice) for them, and they vectorize.
mlir::LogicalResult approximateMath(mlir::Operation *module);

/// Lowers the module text emitted by KernelEmitter to LLVM IR in `context`.
/// `transformLibrary` (may be empty) is the schedule script from
/// Schedule.h; it runs first, on tensors. Pipeline, in order:
///   1. transform interpreter (tile, vectorize, hoist the matmuls)
///   2. elementwise fusion, empty-tensor elimination, one-shot bufferize
///      (copies become linalg.copy, never memrefCopy), deallocation
///   3. linalg -> (parallel) loops, vector -> scf
///   4. kernels' temporaries moved into the arena (KernelScratch.h):
///      `arenaBytes` grows by the scratch region, `naiveBytes` by the sum of
///      all temporaries
///   5. top-level parallel loops outlined for the thread pool when their
///      estimated work reaches `minParallelWork` (Parallelize.h)
///   6. polynomial approximation of f32 math
///   7. everything -> LLVM dialect, bare-pointer calling convention
///   8. translation to LLVM IR
Expected<std::unique_ptr<llvm::Module>>
lowerToLLVMIR(const std::string &moduleText,
              const std::string &transformLibrary, int64_t minParallelWork,
              int64_t &arenaBytes, int64_t &naiveBytes,
              llvm::LLVMContext &context);

} // namespace mlc::codegen
