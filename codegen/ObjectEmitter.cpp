// LLVM stages: target machine, weights global, ABI entry, O3, ELF object.
// Internal to codegen.
#include "codegen/ObjectEmitter.h"

#include "codegen/Codegen.h"

#include "codegen/Parallelize.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <cstring>

namespace mlc::codegen {
namespace {

/// The features the runtime checks before running an artifact.
const char *const kCheckedFeatures[] = {
    "sse4.1",   "sse4.2",   "avx",        "avx2",       "fma",       "f16c",
    "bmi",      "bmi2",     "popcnt",     "avx512f",    "avx512bw",  "avx512cd",
    "avx512dq", "avx512vl", "avx512vnni", "avx512bf16", "avx512fp16"};

constexpr const char *kWeightsName = "mlc_weights";

} // namespace

Expected<Target> createTarget(const std::string &triple,
                              const std::string &cpu) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  Target t;
  t.triple = triple.empty() ? llvm::sys::getDefaultTargetTriple() : triple;
  bool host = cpu.empty() || cpu == "native";
  t.cpu = host ? llvm::sys::getHostCPUName().str() : cpu;
  if (host) {
    // Sorted so that the string (and the object) is deterministic.
    std::vector<std::string> parts;
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      parts.push_back((f.second ? "+" : "-") + f.first().str());
    std::sort(parts.begin(), parts.end());
    for (const std::string &p : parts)
      t.featureString += (t.featureString.empty() ? "" : ",") + p;
  }
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(t.triple, error);
  if (!target)
    return makeError("codegen: unknown target triple '" + t.triple +
                     "': " + error);
  llvm::TargetOptions options;
  options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  t.machine.reset(target->createTargetMachine(
      t.triple, t.cpu, t.featureString, options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!t.machine)
    return makeError("codegen: cannot create a target machine for '" +
                     t.triple + "' cpu '" + t.cpu + "'");
  const llvm::MCSubtargetInfo *sti = t.machine->getMCSubtargetInfo();
  for (const char *f : kCheckedFeatures)
    if (sti->checkFeatures(std::string("+") + f))
      t.features.push_back(f);
  t.avx512 = sti->checkFeatures("+avx512f");
  return t;
}

/// Defines each `mlc_dispatch_<body>(ctx, captures..., count)` that
/// Parallelize declared: with one thread it calls the body on [0, count);
/// otherwise it stores the captures in 8-byte slots on the stack and hands
/// `<body>_task(slots, begin, end)` to ctx->parallel_for (artifact ABI 2).
static Status defineDispatchers(llvm::Module &module) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptrType = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *voidType = llvm::Type::getVoidTy(ctx);
  auto *taskType =
      llvm::FunctionType::get(voidType, {ptrType, i64, i64}, false);
  auto *parallelForType = llvm::FunctionType::get(
      voidType, {ptrType, ptrType, ptrType, i64}, false);
  std::vector<llvm::Function *> dispatchers;
  for (llvm::Function &f : module)
    if (f.isDeclaration() && f.getName().starts_with(kDispatchPrefix))
      dispatchers.push_back(&f);
  for (llvm::Function *dispatch : dispatchers) {
    std::string bodyName =
        dispatch->getName().drop_front(std::strlen(kDispatchPrefix)).str();
    llvm::Function *body = module.getFunction(bodyName);
    size_t numCaptures = dispatch->arg_size() - 2;
    if (!body || body->isDeclaration() || body->arg_size() != numCaptures + 2)
      return makeError("codegen: parallel loop body '" + bodyName +
                       "' is missing or malformed");

    // <body>_task(slots, begin, end): unpack and call the body.
    auto *task =
        llvm::Function::Create(taskType, llvm::GlobalValue::InternalLinkage,
                               bodyName + "_task", module);
    {
      llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", task));
      llvm::SmallVector<llvm::Value *> args;
      for (size_t i = 0; i < numCaptures; ++i) {
        llvm::Value *slot =
            b.CreateConstInBoundsGEP1_64(i64, task->getArg(0), i);
        args.push_back(b.CreateLoad(body->getArg(i)->getType(), slot));
      }
      args.push_back(task->getArg(1));
      args.push_back(task->getArg(2));
      b.CreateCall(body, args);
      b.CreateRetVoid();
    }

    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", dispatch));
    auto *serial = llvm::BasicBlock::Create(ctx, "serial", dispatch);
    auto *parallel = llvm::BasicBlock::Create(ctx, "parallel", dispatch);
    llvm::Value *context = dispatch->getArg(0);
    llvm::Value *count = dispatch->getArg(dispatch->arg_size() - 1);
    llvm::Value *slots = b.CreateAlloca(
        i64, b.getInt64(std::max<size_t>(numCaptures, 1)), "slots");
    llvm::Value *threads = b.CreateLoad(
        i32, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), context, 4));
    b.CreateCondBr(b.CreateICmpSLE(threads, b.getInt32(1)), serial, parallel);

    b.SetInsertPoint(serial);
    llvm::SmallVector<llvm::Value *> args;
    for (size_t i = 0; i < numCaptures; ++i)
      args.push_back(dispatch->getArg(i + 1));
    args.push_back(b.getInt64(0));
    args.push_back(count);
    b.CreateCall(body, args);
    b.CreateRetVoid();

    b.SetInsertPoint(parallel);
    for (size_t i = 0; i < numCaptures; ++i)
      b.CreateStore(dispatch->getArg(i + 1),
                    b.CreateConstInBoundsGEP1_64(i64, slots, i));
    llvm::Value *pool = b.CreateLoad(
        ptrType, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), context, 8));
    llvm::Value *parallelFor = b.CreateLoad(
        ptrType, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), context, 16));
    b.CreateCall(parallelForType, parallelFor, {pool, task, slots, count});
    b.CreateRetVoid();
  }
  return Status::success();
}

/// Defines compiler-rt's f32 -> bf16 conversion in the artifact. Without native
/// bf16 conversions (AVX2 hosts: no AVX512-BF16) LLVM lowers bf16 arithmetic by
/// promoting to f32 and calling
/// __truncsfbf2, which a shared object depending on libc and libm only
/// cannot resolve. Round to nearest even; NaN stays a quiet NaN.
static void defineBFloat16Truncations(llvm::Module &module,
                                      const Target &target) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *i16 = llvm::Type::getInt16Ty(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *bf16 = llvm::Type::getBFloatTy(ctx);
  auto *f32 = llvm::Type::getFloatTy(ctx);
  auto define = [&](const char *name, llvm::Type *from) {
    if (module.getFunction(name))
      return;
    auto *fn = llvm::Function::Create(
        llvm::FunctionType::get(bf16, {from}, false),
        llvm::GlobalValue::ExternalLinkage, name, module);
    fn->setVisibility(llvm::GlobalValue::HiddenVisibility);
    fn->addFnAttr("target-cpu", target.cpu);
    if (!target.featureString.empty())
      fn->addFnAttr("target-features", target.featureString);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
    llvm::Value *x = fn->getArg(0);
    llvm::Value *bits = b.CreateBitCast(x, i32);
    llvm::Value *magnitude = b.CreateAnd(bits, 0x7fffffffu);
    llvm::Value *isNaN = b.CreateICmpUGT(magnitude, b.getInt32(0x7f800000u));
    llvm::Value *lsb = b.CreateAnd(b.CreateLShr(bits, 16), 1u);
    llvm::Value *rounded = b.CreateLShr(
        b.CreateAdd(bits, b.CreateAdd(lsb, b.getInt32(0x7fffu))), 16);
    llvm::Value *quiet = b.CreateOr(b.CreateLShr(bits, 16), 0x40u);
    llvm::Value *result = b.CreateSelect(isNaN, quiet, rounded);
    b.CreateRet(b.CreateBitCast(b.CreateTrunc(result, i16), bf16));
  };
  define("__truncsfbf2", f32);
}

/// Writes `int64_t mlc_artifact_plan(const int64_t *symbols, int64_t
/// *offsets)`: checks the constraints (-2 - c for the first violated one),
/// evaluates the dynamic plan as evaluateDynamicPlan does (-1 when a size
/// or an offset overflows, or a symbol is negative), stores each buffer's
/// offset when `offsets` is not NULL, and returns the arena bytes.
static llvm::Function *definePlan(llvm::Module &module, const Target &target,
                                  const DynamicEntry &dyn) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *fn = llvm::Function::Create(
      llvm::FunctionType::get(i64, {ptr, ptr}, false),
      llvm::GlobalValue::ExternalLinkage, "mlc_artifact_plan", module);
  fn->setVisibility(llvm::GlobalValue::DefaultVisibility);
  fn->addFnAttr("target-cpu", target.cpu);
  if (!target.featureString.empty())
    fn->addFnAttr("target-features", target.featureString);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value *symbolsPtr = fn->getArg(0), *offsetsPtr = fn->getArg(1);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  std::vector<llvm::Value *> symbols;
  llvm::Value *bad = b.getFalse();
  auto checked = [&](llvm::Intrinsic::ID id, llvm::Value *x, llvm::Value *y) {
    llvm::Value *r = b.CreateBinaryIntrinsic(id, x, y);
    bad = b.CreateOr(bad, b.CreateExtractValue(r, 1));
    return b.CreateExtractValue(r, 0);
  };
  for (size_t k = 0; k < dyn.numSymbols; ++k) {
    const SymbolBinding &binding = (*dyn.bindings)[k];
    if (binding.kind == SymbolBinding::Kind::Late) {
      // Known only during the run: planned at its bound (stored, so that
      // the runtime sizes outputs for it).
      llvm::Value *v = b.getInt64(binding.bound);
      b.CreateStore(v, b.CreateConstInBoundsGEP1_64(i64, symbolsPtr, k));
      symbols.push_back(v);
      continue;
    }
    llvm::Value *v =
        b.CreateLoad(i64, b.CreateConstInBoundsGEP1_64(i64, symbolsPtr, k));
    if (binding.kind == SymbolBinding::Kind::Shape)
      bad = b.CreateOr(bad, b.CreateICmpSLT(v, b.getInt64(0)));
    symbols.push_back(v);
  }
  // Computed symbols, in definition order (docs/ir.md "Symbol
  // definitions"), stored back for the run time and the entry.
  for (const ComputedSymbol &c : *dyn.computed) {
    std::vector<llvm::Value *> a;
    for (auto [isSymbol, v] : c.args)
      a.push_back(isSymbol ? symbols[static_cast<size_t>(v)] : b.getInt64(v));
    llvm::Value *r = nullptr;
    switch (c.op) {
    case SymbolOp::Add:
      r = checked(llvm::Intrinsic::sadd_with_overflow, a[0], a[1]);
      break;
    case SymbolOp::Sub:
      r = checked(llvm::Intrinsic::ssub_with_overflow, a[0], a[1]);
      break;
    case SymbolOp::Mul:
      r = checked(llvm::Intrinsic::smul_with_overflow, a[0], a[1]);
      break;
    case SymbolOp::FloorDiv:
    case SymbolOp::Mod: {
      // Floor semantics; by zero gives 0; INT64_MIN / -1 overflows.
      llvm::Value *zero = b.CreateICmpEQ(a[1], b.getInt64(0));
      llvm::Value *ovf =
          b.CreateAnd(b.CreateICmpEQ(a[0], b.getInt64(INT64_MIN)),
                      b.CreateICmpEQ(a[1], b.getInt64(-1)));
      if (c.op == SymbolOp::FloorDiv)
        bad = b.CreateOr(bad, ovf);
      llvm::Value *d =
          b.CreateSelect(b.CreateOr(zero, ovf), b.getInt64(1), a[1]);
      llvm::Value *q = b.CreateSDiv(a[0], d), *m = b.CreateSRem(a[0], d);
      llvm::Value *fix = b.CreateAnd(
          b.CreateICmpNE(m, b.getInt64(0)),
          b.CreateICmpNE(b.CreateICmpSLT(m, b.getInt64(0)),
                         b.CreateICmpSLT(d, b.getInt64(0))));
      q = b.CreateSelect(fix, b.CreateSub(q, b.getInt64(1)), q);
      m = b.CreateSelect(fix, b.CreateAdd(m, d), m);
      r = b.CreateSelect(b.CreateOr(zero, ovf), b.getInt64(0),
                         c.op == SymbolOp::FloorDiv ? q : m);
      break;
    }
    case SymbolOp::Min:
      r = b.CreateSelect(b.CreateICmpSLT(a[0], a[1]), a[0], a[1]);
      break;
    case SymbolOp::Max:
      r = b.CreateSelect(b.CreateICmpSGT(a[0], a[1]), a[0], a[1]);
      break;
    case SymbolOp::Eq:
      r = b.CreateZExt(b.CreateICmpEQ(a[0], a[1]), i64);
      break;
    case SymbolOp::Lt:
      r = b.CreateZExt(b.CreateICmpSLT(a[0], a[1]), i64);
      break;
    case SymbolOp::Select:
      r = b.CreateSelect(b.CreateICmpNE(a[0], b.getInt64(0)), a[1], a[2]);
      break;
    case SymbolOp::Value:
    case SymbolOp::Load:
    case SymbolOp::Split:
      r = symbols[c.index];
      break;
    }
    symbols[c.index] = r;
    b.CreateStore(r, b.CreateConstInBoundsGEP1_64(i64, symbolsPtr, c.index));
  }
  // The first violated constraint or check wins (constraints are -2 - c,
  // checks follow them).
  llvm::Value *violated = b.getInt64(0);
  auto count = [&](const std::vector<int64_t> &extents) {
    llvm::Value *n = b.getInt64(1);
    for (int64_t e : extents)
      n = checked(llvm::Intrinsic::smul_with_overflow, n,
                  e >= 0 ? b.getInt64(e)
                         : symbols[static_cast<size_t>(-2 - e)]);
    return n;
  };
  const auto &checks = *dyn.checks;
  for (size_t c = checks.size(); c-- > 0;) {
    const PlanCheck &check = checks[c];
    llvm::Value *fails = nullptr;
    switch (check.kind) {
    case PlanCheck::Kind::NonZero:
      fails = b.CreateICmpEQ(symbols[static_cast<size_t>(check.symbol)],
                             b.getInt64(0));
      break;
    case PlanCheck::Kind::NonNegative:
      fails = b.CreateICmpSLT(symbols[static_cast<size_t>(check.symbol)],
                              b.getInt64(0));
      break;
    case PlanCheck::Kind::EqualCounts:
      fails = b.CreateICmpNE(count(check.lhs), count(check.rhs));
      break;
    }
    violated = b.CreateSelect(
        fails,
        b.getInt64(-2 - static_cast<int64_t>(dyn.constraints.size() + c)),
        violated);
  }
  for (size_t c = dyn.constraints.size(); c-- > 0;) {
    auto [symbol, max] = dyn.constraints[c];
    llvm::Value *over =
        b.CreateICmpSGT(symbols[static_cast<size_t>(symbol)], b.getInt64(max));
    violated = b.CreateSelect(over, b.getInt64(-2 - static_cast<int64_t>(c)),
                              violated);
  }
  const auto &buffers = *dyn.buffers;
  std::vector<llvm::Value *> offsets(buffers.size()), sizes(buffers.size());
  auto alignUp = [&](llvm::Value *v) {
    llvm::Value *sum =
        checked(llvm::Intrinsic::sadd_with_overflow, v, b.getInt64(63));
    return b.CreateAnd(sum, b.getInt64(~int64_t{63}));
  };
  llvm::Value *base = b.getInt64((dyn.base + 63) / 64 * 64);
  llvm::Value *total = base;
  for (size_t i : dyn.plan->order) {
    llvm::Value *size = b.getInt64(buffers[i].bytes);
    for (int64_t s : buffers[i].symbols)
      size = checked(llvm::Intrinsic::smul_with_overflow, size,
                     symbols[static_cast<size_t>(s)]);
    sizes[i] = alignUp(size);
    llvm::Value *offset = base;
    for (size_t j : dyn.plan->below[i]) {
      llvm::Value *end =
          checked(llvm::Intrinsic::sadd_with_overflow, offsets[j], sizes[j]);
      offset = b.CreateSelect(b.CreateICmpSGT(end, offset), end, offset);
    }
    offsets[i] = offset;
    llvm::Value *end =
        checked(llvm::Intrinsic::sadd_with_overflow, offset, sizes[i]);
    total = b.CreateSelect(b.CreateICmpSGT(end, total), end, total);
  }
  llvm::BasicBlock *store = llvm::BasicBlock::Create(ctx, "store", fn);
  llvm::BasicBlock *done = llvm::BasicBlock::Create(ctx, "done", fn);
  b.CreateCondBr(b.CreateIsNull(offsetsPtr), done, store);
  b.SetInsertPoint(store);
  for (size_t i = 0; i < buffers.size(); ++i)
    b.CreateStore(offsets[i], b.CreateConstInBoundsGEP1_64(i64, offsetsPtr, i));
  b.CreateBr(done);
  b.SetInsertPoint(done);
  llvm::Value *result = b.CreateSelect(bad, b.getInt64(-1), total);
  result =
      b.CreateSelect(b.CreateICmpNE(violated, b.getInt64(0)), violated, result);
  b.CreateRet(result);
  return fn;
}

Status finalizeArtifact(llvm::Module &module, const Target &target,
                        const std::string &weights, size_t numInputs,
                        size_t numOutputs, const DynamicEntry *dynamic) {
  llvm::LLVMContext &ctx = module.getContext();
  module.setTargetTriple(target.triple);
  module.setDataLayout(target.machine->createDataLayout());
  MLC_RETURN_IF_ERROR(defineDispatchers(module));
  llvm::Function *graph = module.getFunction("mlc_graph");
  size_t extra =
      dynamic ? dynamic->numKernelSymbols + dynamic->buffers->size() : 0;
  if (!graph || graph->arg_size() != numInputs + numOutputs + 3 + extra)
    return makeError("codegen: lowered module lacks a well-formed mlc_graph");
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    f.setLinkage(llvm::GlobalValue::InternalLinkage);
    f.addFnAttr("target-cpu", target.cpu);
    if (!target.featureString.empty())
      f.addFnAttr("target-features", target.featureString);
    f.addFnAttr(llvm::Attribute::NoUnwind);
    // A kernel's buffers never overlap: the memory plan keeps values that
    // are live in the same kernel apart, and operands are deduplicated.
    // Kernels run once per call: inlining them into mlc_graph gains nothing
    // and costs compile time (ResNet-50: 34 s with it, 19 s without); it also
    // keeps the k<N> symbols apart for profiling (perf record).
    if (&f != graph)
      f.addFnAttr(llvm::Attribute::NoInline);
    if (&f != graph)
      for (llvm::Argument &arg : f.args())
        if (arg.getType()->isPointerTy())
          arg.addAttr(llvm::Attribute::NoAlias);
  }

  defineBFloat16Truncations(module, target);
  auto *bytesType =
      llvm::ArrayType::get(llvm::Type::getInt8Ty(ctx), weights.size());
  llvm::Constant *init = llvm::ConstantDataArray::getRaw(
      weights, weights.size(), llvm::Type::getInt8Ty(ctx));
  auto *blob = new llvm::GlobalVariable(module, bytesType, /*isConstant=*/true,
                                        llvm::GlobalValue::PrivateLinkage, init,
                                        kWeightsName);
  blob->setAlignment(llvm::Align(64));

  auto *ptrType = llvm::PointerType::getUnqual(ctx);
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  // ABI 2: (context, inputs, outputs, arena).
  auto *fnType =
      llvm::FunctionType::get(i32, {ptrType, ptrType, ptrType, ptrType}, false);
  auto *run = llvm::Function::Create(fnType, llvm::GlobalValue::ExternalLinkage,
                                     "mlc_artifact_run", module);
  run->setVisibility(llvm::GlobalValue::DefaultVisibility);
  run->addFnAttr("target-cpu", target.cpu);
  if (!target.featureString.empty())
    run->addFnAttr("target-features", target.featureString);
  run->addFnAttr(llvm::Attribute::NoUnwind);
  run->getArg(0)->setName("context");
  llvm::Argument *inputs = run->getArg(1), *outputs = run->getArg(2);
  inputs->setName("inputs");
  outputs->setName("outputs");
  run->getArg(3)->setName("arena");
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", run));
  llvm::SmallVector<llvm::Value *> args = {run->getArg(0)};
  auto load = [&](llvm::Value *base, size_t i) {
    llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptrType, base, i);
    return b.CreateLoad(ptrType, slot);
  };
  for (size_t i = 0; i < numInputs; ++i)
    args.push_back(load(inputs, i));
  for (size_t i = 0; i < numOutputs; ++i)
    args.push_back(load(outputs, i));
  args.push_back(run->getArg(3));
  args.push_back(blob);
  if (!dynamic) {
    b.CreateCall(graph, args);
    b.CreateRet(llvm::ConstantInt::get(i32, 0));
    return Status::success();
  }
  // Dynamic shapes: the symbols come in the context (offset 24), the
  // buffer offsets from the plan; a failing plan returns 2 (the runtime
  // plans before the call, so this only guards a mismatched runtime).
  llvm::Function *plan = definePlan(module, target, *dynamic);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Value *symbols = b.CreateLoad(
      ptrType, b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), run->getArg(0), 24));
  size_t numBuffers = dynamic->buffers->size();
  llvm::Value *offsets = b.CreateAlloca(
      i64, b.getInt64(static_cast<int64_t>(std::max<size_t>(numBuffers, 1))));
  llvm::Value *planned = b.CreateCall(plan, {symbols, offsets});
  llvm::BasicBlock *ok = llvm::BasicBlock::Create(ctx, "planned", run);
  llvm::BasicBlock *fail = llvm::BasicBlock::Create(ctx, "bad_plan", run);
  b.CreateCondBr(b.CreateICmpSLT(planned, b.getInt64(0)), fail, ok);
  b.SetInsertPoint(fail);
  b.CreateRet(llvm::ConstantInt::get(i32, 2));
  b.SetInsertPoint(ok);
  for (size_t k = 0; k < dynamic->numKernelSymbols; ++k)
    args.push_back(
        b.CreateLoad(i64, b.CreateConstInBoundsGEP1_64(i64, symbols, k)));
  for (size_t i = 0; i < numBuffers; ++i)
    args.push_back(
        b.CreateLoad(i64, b.CreateConstInBoundsGEP1_64(i64, offsets, i)));
  b.CreateCall(graph, args);
  b.CreateRet(llvm::ConstantInt::get(i32, 0));
  return Status::success();
}

void optimize(llvm::Module &module, const Target &target) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // The tuning defaults leave both vectorizers off; clang and opt turn them
  // on at O2/O3, and the elementwise loops depend on them.
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  tuning.LoopUnrolling = true;
  llvm::PassBuilder pb(target.machine.get(), tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(module, mam);
}

Expected<std::string> emitObject(llvm::Module &module, const Target &target) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (target.machine->addPassesToEmitFile(pm, os, nullptr,
                                          llvm::CodeGenFileType::ObjectFile))
    return makeError("codegen: the target cannot emit object files");
  pm.run(module);
  return std::string(buffer.begin(), buffer.end());
}

std::string printWithoutWeights(llvm::Module &module) {
  llvm::GlobalVariable *blob = module.getNamedGlobal(kWeightsName);
  llvm::Constant *saved = nullptr;
  if (blob && blob->hasInitializer()) {
    saved = blob->getInitializer();
    blob->setInitializer(
        llvm::ConstantAggregateZero::get(blob->getValueType()));
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "; mlc_weights initializer elided\n";
  module.print(os, nullptr);
  if (saved)
    blob->setInitializer(saved);
  return text;
}

} // namespace mlc::codegen

namespace mlc {

Expected<std::string> emitDataObject(const std::vector<DataSymbol> &symbols,
                                     const std::string &triple) {
  auto target = codegen::createTarget(triple, "generic");
  if (!target.ok())
    return target.error();
  llvm::LLVMContext context;
  llvm::Module module("mlc_data", context);
  module.setTargetTriple(target->triple);
  module.setDataLayout(target->machine->createDataLayout());
  auto *i64 = llvm::Type::getInt64Ty(context);
  for (const DataSymbol &symbol : symbols) {
    // At least one byte, so that every symbol has an address of its own.
    std::string bytes =
        symbol.bytes.empty() ? std::string(1, '\0') : symbol.bytes;
    llvm::Constant *init = llvm::ConstantDataArray::getRaw(
        bytes, bytes.size(), llvm::Type::getInt8Ty(context));
    auto *data = new llvm::GlobalVariable(
        module, init->getType(), /*isConstant=*/true,
        llvm::GlobalValue::ExternalLinkage, init, symbol.name);
    data->setAlignment(llvm::Align(256));
    auto *size = new llvm::GlobalVariable(
        module, i64, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantInt::get(i64, symbol.bytes.size()),
        symbol.name + "_size");
    size->setAlignment(llvm::Align(8));
  }
  return codegen::emitObject(module, *target);
}

} // namespace mlc
