// Kernel temporaries in the arena instead of malloc (see KernelScratch.h).
#include "codegen/KernelScratch.h"

#include "codegen/Parallelize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <functional>
#include <map>

namespace mlc::codegen {
namespace {

using namespace mlir;

constexpr int64_t kAlign = 64;

int64_t alignUp(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

/// Bytes of a static, identity-layout memref of int or float elements, or
/// -1 if the type is anything else.
int64_t staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !type.getElementType().isIntOrFloat())
    return -1;
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * ((bits + 7) / 8);
}

} // namespace

/// The index of @mlc_graph's arena argument.
static unsigned arenaArgument(func::FuncOp graph) {
  // Dynamic graphs mark it (more arguments follow the weights).
  for (unsigned i = 0; i < graph.getNumArguments(); ++i)
    if (graph.getArgAttr(i, "mlc.arena"))
      return i;
  return graph.getNumArguments() - 2;
}

FailureOr<ScratchLayout> placeKernelScratch(ModuleOp module,
                                            int64_t arenaBytes) {
  // The marker has served once the argument is found; LLVM has no use for
  // it.
  unsigned arenaIndex = 0;
  if (auto graph = module.lookupSymbol<func::FuncOp>("mlc_graph")) {
    arenaIndex = arenaArgument(graph);
    graph.removeArgAttr(arenaIndex, "mlc.arena");
  }
  ScratchLayout layout;
  layout.offset = alignUp(arenaBytes);
  MLIRContext *context = module.getContext();
  Type i8 = IntegerType::get(context, 8);
  std::map<std::string, int64_t> kernelScratch;

  for (auto kernel : module.getOps<func::FuncOp>()) {
    if (!isKernel(kernel) || !kernel.getBody().hasOneBlock())
      continue;
    Block &entry = kernel.getBody().front();
    SmallVector<std::pair<memref::AllocOp, int64_t>> allocs;
    int64_t size = 0;
    // The kernel's top-level allocs and those in the bodies of top-level
    // scf.for loops (one item of a symbolic batch, emitPerItem): no two
    // tasks run those at once. Parallel loop bodies keep theirs.
    SmallVector<memref::AllocOp> candidates;
    std::function<void(Block &)> collect = [&](Block &block) {
      for (Operation &op : block) {
        if (auto alloc = dyn_cast<memref::AllocOp>(op))
          candidates.push_back(alloc);
        else if (auto loop = dyn_cast<scf::ForOp>(op))
          collect(*loop.getBody());
      }
    };
    collect(entry);
    for (memref::AllocOp alloc : candidates) {
      int64_t bytes = staticBytes(alloc.getType());
      if (bytes < 0 || !alloc.getDynamicSizes().empty() ||
          !alloc.getSymbolOperands().empty())
        continue;
      allocs.push_back({alloc, size});
      size += alignUp(bytes);
    }
    // Only empty temporaries: nothing to place (they stay allocs of 0
    // bytes), and no scratch argument (the calls would not pass one).
    if (allocs.empty() || size == 0)
      continue;
    auto scratchType = MemRefType::get({size}, i8);
    kernel.insertArgument(kernel.getNumArguments(), scratchType, {},
                          kernel.getLoc());
    Value scratch = kernel.getArgument(kernel.getNumArguments() - 1);
    for (auto &[alloc, offset] : allocs) {
      OpBuilder b(alloc);
      Value shift = b.create<arith::ConstantIndexOp>(alloc.getLoc(), offset);
      Value view = b.create<memref::ViewOp>(alloc.getLoc(), alloc.getType(),
                                            scratch, shift, ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    kernelScratch[kernel.getSymName().str()] = size;
    layout.bytes = std::max(layout.bytes, size);
    layout.totalBytes += size;
  }
  if (layout.bytes == 0)
    return layout;

  auto graph = module.lookupSymbol<func::FuncOp>("mlc_graph");
  if (!graph || graph.getNumArguments() < 3)
    return failure();
  // @mlc_graph(ctx, inputs..., outputs..., arena, weights[, symbols...,
  // offsets...]): grow the arena.
  BlockArgument arena = graph.getArgument(arenaIndex);
  auto arenaType = MemRefType::get({layout.offset + layout.bytes}, i8);
  arena.setType(arenaType);
  SmallVector<Type> inputs(graph.getArgumentTypes());
  inputs[arenaIndex] = arenaType;
  graph.setFunctionType(FunctionType::get(context, inputs, {}));

  SmallVector<func::CallOp> calls;
  graph.walk([&](func::CallOp call) { calls.push_back(call); });
  for (func::CallOp call : calls) {
    auto it = kernelScratch.find(call.getCallee().str());
    if (it == kernelScratch.end())
      continue;
    OpBuilder b(call);
    Value shift =
        b.create<arith::ConstantIndexOp>(call.getLoc(), layout.offset);
    Value view = b.create<memref::ViewOp>(call.getLoc(),
                                          MemRefType::get({it->second}, i8),
                                          arena, shift, ValueRange{});
    SmallVector<Value> operands(call.getOperands());
    operands.push_back(view);
    b.create<func::CallOp>(call.getLoc(), call.getCallee(), TypeRange{},
                           operands);
    call.erase();
  }
  return layout;
}

} // namespace mlc::codegen
