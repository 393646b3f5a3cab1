// Elementwise ops (unary, binary, ternary, cast) as broadcasting
// linalg.generic.
#include "codegen/EmitContext.h"

#include <limits>

namespace mlc::codegen {
namespace {

bool isUnsigned(DType t) { return isInteger(t) && !isSignedInteger(t); }

/// Emits `v = <op> <operands> : <type>` and returns v.
std::string op(KernelBuilder &b, const std::string &name,
               const std::string &operands, const std::string &type) {
  std::string v = b.fresh();
  b.line(v + " = " + name + " " + operands + " : " + type);
  return v;
}

/// Converts a compute-typed scalar between dtypes, per docs/ir.md `cast`.
std::string castScalar(KernelBuilder &b, const std::string &x, DType from,
                       DType to) {
  std::string ft = computeType(from), tt = computeType(to);
  if (from == to)
    return x;
  if (to == DType::Bool) {
    if (isFloat(from)) {
      std::string zero = b.floatConst(0.0, from);
      return op(b, "arith.cmpf une,", x + ", " + zero, ft);
    }
    std::string zero = b.intConst(0, from);
    return op(b, "arith.cmpi ne,", x + ", " + zero, ft);
  }
  if (isFloat(from) && isFloat(to)) {
    auto width = [](DType t) {
      return t == DType::F64 ? 64 : t == DType::F32 ? 32 : 16;
    };
    if (width(from) == 16 && width(to) == 16) {
      std::string mid = op(b, "arith.extf", x, ft + " to f32");
      return op(b, "arith.truncf", mid, "f32 to " + tt);
    }
    return op(b, width(to) > width(from) ? "arith.extf" : "arith.truncf", x,
              ft + " to " + tt);
  }
  if (isFloat(from))
    return op(b, isUnsigned(to) ? "arith.fptoui" : "arith.fptosi", x,
              ft + " to " + tt);
  bool srcUnsigned = from == DType::Bool || isUnsigned(from);
  if (isFloat(to))
    return op(b, srcUnsigned ? "arith.uitofp" : "arith.sitofp", x,
              ft + " to " + tt);
  int64_t fw = from == DType::Bool ? 1 : dtypeSize(from) * 8;
  int64_t tw = dtypeSize(to) * 8;
  if (fw == tw)
    return x;
  if (tw < fw)
    return op(b, "arith.trunci", x, ft + " to " + tt);
  return op(b, srcUnsigned ? "arith.extui" : "arith.extsi", x,
            ft + " to " + tt);
}

} // namespace

Expected<std::string> emitScalarBinary(KernelBuilder &b, OpKind kind,
                                       DType dtype, const std::string &x,
                                       const std::string &y) {
  std::string t = computeType(dtype);
  std::string xy = x + ", " + y;
  bool f = isFloat(dtype), u = isUnsigned(dtype) || dtype == DType::Bool;
  bool isBool = dtype == DType::Bool;
  switch (kind) {
  case OpKind::Add:
    if (isBool)
      break;
    return op(b, f ? "arith.addf" : "arith.addi", xy, t);
  case OpKind::Sub:
    if (isBool)
      break;
    return op(b, f ? "arith.subf" : "arith.subi", xy, t);
  case OpKind::Mul:
    if (isBool)
      break;
    return op(b, f ? "arith.mulf" : "arith.muli", xy, t);
  case OpKind::Div: {
    if (isBool)
      break;
    if (f)
      return op(b, "arith.divf", xy, t);
    // docs/ir.md: x / 0 is 0 and the minimum value / -1 wraps; the bare
    // instruction traps on both (SIGFPE), so the divisor is made safe first.
    std::string zero = b.intConst(0, dtype), one = b.intConst(1, dtype);
    std::string isZero = op(b, "arith.cmpi eq,", y + ", " + zero, t);
    std::string safe = op(b, "arith.select", isZero + ", " + one + ", " + y, t);
    std::string result;
    if (u) {
      result = op(b, "arith.divui", x + ", " + safe, t);
    } else {
      std::string minusOne = b.intConst(-1, dtype);
      std::string isMinusOne = op(b, "arith.cmpi eq,", y + ", " + minusOne, t);
      safe = op(b, "arith.select", isMinusOne + ", " + one + ", " + safe, t);
      std::string q = op(b, "arith.divsi", x + ", " + safe, t);
      std::string negated = op(b, "arith.subi", zero + ", " + x, t);
      result = op(b, "arith.select", isMinusOne + ", " + negated + ", " + q, t);
    }
    return op(b, "arith.select", isZero + ", " + zero + ", " + result, t);
  }
  case OpKind::Pow:
    if (!f)
      break;
    return op(b, "math.powf", xy, t);
  case OpKind::Max:
    if (isBool)
      break;
    return op(b,
              f   ? "arith.maximumf"
              : u ? "arith.maxui"
                  : "arith.maxsi",
              xy, t);
  case OpKind::Min:
    if (isBool)
      break;
    return op(b,
              f   ? "arith.minimumf"
              : u ? "arith.minui"
                  : "arith.minsi",
              xy, t);
  case OpKind::Equal:
    return op(b, f ? "arith.cmpf oeq," : "arith.cmpi eq,", xy, t);
  case OpKind::Less:
    if (isBool)
      break;
    return op(b,
              f   ? "arith.cmpf olt,"
              : u ? "arith.cmpi ult,"
                  : "arith.cmpi slt,",
              xy, t);
  case OpKind::Greater:
    if (isBool)
      break;
    return op(b,
              f   ? "arith.cmpf ogt,"
              : u ? "arith.cmpi ugt,"
                  : "arith.cmpi sgt,",
              xy, t);
  case OpKind::And:
    if (f)
      break;
    return op(b, "arith.andi", xy, t);
  case OpKind::Or:
    if (f)
      break;
    return op(b, "arith.ori", xy, t);
  case OpKind::Xor:
    if (f)
      break;
    return op(b, "arith.xori", xy, t);
  case OpKind::Shl:
  case OpKind::Shr: {
    if (f || isBool)
      break;
    // docs/ir.md: amounts outside [0, bit width) (one unsigned compare)
    // leave only the sign fill; the bare instructions give poison there.
    int64_t bits = dtypeSize(dtype) * 8;
    std::string width = b.intConst(bits, dtype);
    std::string big = op(b, "arith.cmpi uge,", y + ", " + width, t);
    if (kind == OpKind::Shr && !u) {
      // An arithmetic shift by bits - 1 is the sign fill.
      std::string most = b.intConst(bits - 1, dtype);
      std::string safe = op(b, "arith.select", big + ", " + most + ", " + y, t);
      return op(b, "arith.shrsi", x + ", " + safe, t);
    }
    std::string zero = b.intConst(0, dtype);
    std::string safe = op(b, "arith.select", big + ", " + zero + ", " + y, t);
    std::string shifted = op(b,
                             kind == OpKind::Shl ? "arith.shli" : "arith.shrui",
                             x + ", " + safe, t);
    return op(b, "arith.select", big + ", " + zero + ", " + shifted, t);
  }
  case OpKind::Mod:
  case OpKind::Fmod: {
    if (isBool)
      break;
    bool floored = kind == OpKind::Mod;
    if (f) {
      std::string r = op(b, "arith.remf", xy, t);
      if (!floored)
        return r;
      // numpy's mod: r + y where r and y differ in sign, and a zero
      // result takes the sign of y.
      std::string zero = b.floatConst(0.0, dtype);
      std::string rNeg = op(b, "arith.cmpf olt,", r + ", " + zero, t);
      std::string yNeg = op(b, "arith.cmpf olt,", y + ", " + zero, t);
      std::string rNonZero = op(b, "arith.cmpf one,", r + ", " + zero, t);
      std::string differ = op(b, "arith.xori", rNeg + ", " + yNeg, "i1");
      std::string adjust = op(b, "arith.andi", differ + ", " + rNonZero, "i1");
      std::string sum = op(b, "arith.addf", r + ", " + y, t);
      std::string adjusted =
          op(b, "arith.select", adjust + ", " + sum + ", " + r, t);
      std::string isZero = op(b, "arith.cmpf oeq,", r + ", " + zero, t);
      std::string signedZero = op(b, "math.copysign", zero + ", " + y, t);
      return op(b, "arith.select",
                isZero + ", " + signedZero + ", " + adjusted, t);
    }
    // docs/ir.md: x mod 0 and x mod -1 are 0; the bare instruction traps on
    // 0 and on the minimum value mod -1, so those divisors become 1.
    std::string zero = b.intConst(0, dtype), one = b.intConst(1, dtype);
    std::string bad = op(b, "arith.cmpi eq,", y + ", " + zero, t);
    if (!u) {
      std::string minusOne = b.intConst(-1, dtype);
      std::string isMinusOne = op(b, "arith.cmpi eq,", y + ", " + minusOne, t);
      bad = op(b, "arith.ori", bad + ", " + isMinusOne, "i1");
    }
    std::string safe = op(b, "arith.select", bad + ", " + one + ", " + y, t);
    std::string r = op(b, u ? "arith.remui" : "arith.remsi", x + ", " + safe, t);
    if (u || !floored)
      return r;
    std::string rNeg = op(b, "arith.cmpi slt,", r + ", " + zero, t);
    std::string yNeg = op(b, "arith.cmpi slt,", safe + ", " + zero, t);
    std::string rNonZero = op(b, "arith.cmpi ne,", r + ", " + zero, t);
    std::string differ = op(b, "arith.xori", rNeg + ", " + yNeg, "i1");
    std::string adjust = op(b, "arith.andi", differ + ", " + rNonZero, "i1");
    std::string sum = op(b, "arith.addi", r + ", " + safe, t);
    return op(b, "arith.select", adjust + ", " + sum + ", " + r, t);
  }
  default:
    break;
  }
  return makeError("codegen: op '" + std::string(opName(kind)) + "' on " +
                   std::string(dtypeName(dtype)) + " is not supported");
}

Expected<std::string> emitScalarUnary(KernelBuilder &b, const Node &node,
                                      DType dtype, const std::string &x) {
  std::string t = computeType(dtype);
  bool f = isFloat(dtype);
  bool sInt = isSignedInteger(dtype);
  switch (node.kind()) {
  case OpKind::Neg:
    if (f)
      return op(b, "arith.negf", x, t);
    if (sInt)
      return op(b, "arith.subi", b.intConst(0, dtype) + ", " + x, t);
    break;
  case OpKind::Abs:
    if (f)
      return op(b, "math.absf", x, t);
    if (sInt)
      return op(b, "math.absi", x, t);
    if (isInteger(dtype))
      return x;
    break;
  case OpKind::Asin: {
    if (!f)
      break;
    // 2 atan(x / (1 + sqrt((1 - x)(1 + x)))): math.asin's polynomial is off
    // by ~1% near -1. |x| > 1 gives NaN through the sqrt.
    std::string one = b.floatConst(1.0, dtype);
    std::string lo = op(b, "arith.subf", one + ", " + x, t);
    std::string hi = op(b, "arith.addf", one + ", " + x, t);
    std::string p = op(b, "arith.mulf", lo + ", " + hi, t);
    std::string s = op(b, "math.sqrt", p, t);
    std::string d = op(b, "arith.addf", one + ", " + s, t);
    std::string q = op(b, "arith.divf", x + ", " + d, t);
    std::string a = op(b, "math.atan", q, t);
    return op(b, "arith.addf", a + ", " + a, t);
  }
  case OpKind::Asinh:
  case OpKind::Acosh:
  case OpKind::Atanh: {
    if (!f)
      break;
    if (!b.portable)
      return op(b,
                node.kind() == OpKind::Asinh   ? "math.asinh"
                : node.kind() == OpKind::Acosh ? "math.acosh"
                                               : "math.atanh",
                x, t);
    // The GPU lowering has no inverse hyperbolics: log forms (less
    // accurate for tiny |x| and, for asinh/acosh, |x| past sqrt(max)).
    std::string one = b.floatConst(1.0, dtype);
    if (node.kind() == OpKind::Atanh) {
      // 0.5 log((1 + x) / (1 - x))
      std::string hi = op(b, "arith.addf", one + ", " + x, t);
      std::string lo = op(b, "arith.subf", one + ", " + x, t);
      std::string q = op(b, "arith.divf", hi + ", " + lo, t);
      std::string l = op(b, "math.log", q, t);
      return op(b, "arith.mulf", l + ", " + b.floatConst(0.5, dtype), t);
    }
    bool asinh = node.kind() == OpKind::Asinh;
    // asinh: sign(x) log(|x| + sqrt(x^2 + 1)); acosh: log(x + sqrt(x^2 - 1)).
    std::string a = asinh ? op(b, "math.absf", x, t) : x;
    std::string sq = op(b, "arith.mulf", a + ", " + a, t);
    std::string r = op(b, asinh ? "arith.addf" : "arith.subf", sq + ", " + one, t);
    std::string s = op(b, "math.sqrt", r, t);
    std::string l = op(b, "math.log", op(b, "arith.addf", a + ", " + s, t), t);
    return asinh ? op(b, "math.copysign", l + ", " + x, t) : l;
  }
  case OpKind::Exp:
  case OpKind::Log:
  case OpKind::Sqrt:
  case OpKind::Tanh:
  case OpKind::Erf:
  case OpKind::Sin:
  case OpKind::Cos:
  case OpKind::Acos:
  case OpKind::Atan:
  case OpKind::Round:
  case OpKind::Floor:
  case OpKind::Ceil: {
    if (!f)
      break;
    const char *name = node.kind() == OpKind::Exp     ? "math.exp"
                       : node.kind() == OpKind::Log   ? "math.log"
                       : node.kind() == OpKind::Sqrt  ? "math.sqrt"
                       : node.kind() == OpKind::Tanh  ? "math.tanh"
                       : node.kind() == OpKind::Erf   ? "math.erf"
                       : node.kind() == OpKind::Sin   ? "math.sin"
                       : node.kind() == OpKind::Cos   ? "math.cos"
                       : node.kind() == OpKind::Acos  ? "math.acos"
                       : node.kind() == OpKind::Atan  ? "math.atan"
                       : node.kind() == OpKind::Round ? "math.roundeven"
                       : node.kind() == OpKind::Floor ? "math.floor"
                                                      : "math.ceil";
    return op(b, name, x, t);
  }
  case OpKind::Reciprocal:
    if (!f)
      break;
    return op(b, "arith.divf", b.floatConst(1.0, dtype) + ", " + x, t);
  case OpKind::Sigmoid: {
    if (!f)
      break;
    std::string one = b.floatConst(1.0, dtype);
    std::string n = op(b, "arith.negf", x, t);
    std::string e = op(b, "math.exp", n, t);
    std::string d = op(b, "arith.addf", one + ", " + e, t);
    return op(b, "arith.divf", one + ", " + d, t);
  }
  case OpKind::Relu:
    if (f)
      return op(b, "arith.maximumf", x + ", " + b.floatConst(0.0, dtype), t);
    if (sInt)
      return op(b, "arith.maxsi", x + ", " + b.intConst(0, dtype), t);
    break;
  case OpKind::Not:
    if (f)
      break;
    return op(b, "arith.xori",
              x + ", " + b.intConst(dtype == DType::Bool ? 1 : -1, dtype), t);
  case OpKind::Clip: {
    if (dtype == DType::Bool)
      break;
    double lo = node.floatAttr("min"), hi = node.floatAttr("max");
    std::string v = x;
    if (f) {
      v = op(b, "arith.maximumf", v + ", " + b.floatConst(lo, dtype), t);
      return op(b, "arith.minimumf", v + ", " + b.floatConst(hi, dtype), t);
    }
    bool u = isUnsigned(dtype);
    if (lo > -std::numeric_limits<double>::infinity() && !(u && lo <= 0))
      v = op(b, u ? "arith.maxui" : "arith.maxsi",
             v + ", " + b.intConst(static_cast<int64_t>(lo), dtype), t);
    if (hi < std::numeric_limits<double>::infinity())
      v = op(b, u ? "arith.minui" : "arith.minsi",
             v + ", " + b.intConst(static_cast<int64_t>(hi), dtype), t);
    return v;
  }
  case OpKind::LeakyRelu: {
    if (!f)
      break;
    std::string zero = b.floatConst(0.0, dtype);
    std::string alpha = b.floatConst(node.floatAttr("alpha"), dtype);
    std::string scaled = op(b, "arith.mulf", x + ", " + alpha, t);
    std::string ge = op(b, "arith.cmpf oge,", x + ", " + zero, t);
    return op(b, "arith.select", ge + ", " + x + ", " + scaled, t);
  }
  case OpKind::Cast:
    return castScalar(b, x, dtype, node.dtypeAttr("to"));
  default:
    break;
  }
  return unsupported(node, dtype);
}

Expected<std::string>
emitElementwise(KernelBuilder &b, const Node &node,
                const std::vector<std::string> &operands) {
  const Value *result = node.result();
  std::vector<int64_t> shape = extents(result);
  std::vector<GenericOperand> ins;
  for (size_t i = 0; i < operands.size(); ++i) {
    const Value *v = node.operand(i);
    ins.push_back({operands[i], v->type().dtype, extents(v),
                   broadcastMap(extents(v), shape)});
  }
  DType inType =
      node.operand(node.kind() == OpKind::Where ? 1 : 0)->type().dtype;
  DType outType = result->type().dtype;
  OpClass cls = opInfo(node.kind()).opClass;
  return b.map(ins, outType, shape,
               [&](KernelBuilder &b, const std::vector<std::string> &args)
                   -> Expected<std::vector<std::string>> {
                 std::vector<std::string> xs;
                 for (size_t i = 0; i < ins.size(); ++i)
                   xs.push_back(b.toCompute(args[i], ins[i].dtype));
                 std::string r;
                 if (node.kind() == OpKind::Where) {
                   r = b.fresh();
                   b.line(r + " = arith.select " + xs[0] + ", " + xs[1] + ", " +
                          xs[2] + " : " + computeType(inType));
                 } else if (cls == OpClass::ElementwiseBinary) {
                   auto v =
                       emitScalarBinary(b, node.kind(), inType, xs[0], xs[1]);
                   if (!v.ok())
                     return v.error();
                   r = *v;
                 } else {
                   auto v = emitScalarUnary(b, node, inType, xs[0]);
                   if (!v.ok())
                     return v.error();
                   r = *v;
                 }
                 return std::vector<std::string>{b.toStorage(r, outType)};
               });
}

} // namespace mlc::codegen
