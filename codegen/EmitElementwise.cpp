// Elementwise ops (unary, binary, ternary, cast) as broadcasting
// linalg.generic.
#include "codegen/EmitContext.h"

#include <cmath>
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

/// An i8 constant holding the byte `code` (0..255).
std::string byteConst(KernelBuilder &b, int64_t code) {
  return b.intConst(static_cast<int8_t>(static_cast<uint8_t>(code)), DType::I8);
}

/// Decodes a stored narrow float (i8) to its exact f32 value.
std::string decodeNarrowFloat(KernelBuilder &b, const std::string &x,
                              DType from) {
  NarrowFloatFormat f = narrowFloatFormat(from);
  std::string c = op(b, "arith.extui", x, "i8 to i32");
  auto i32 = [&](int64_t v) { return b.intConst(v, DType::I32); };
  std::string mask = i32((int64_t{1} << f.bits) - 1);
  c = op(b, "arith.andi", c + ", " + mask, "i32");
  std::string sign = op(b, "arith.shrui", c + ", " + i32(f.bits - 1), "i32");
  std::string magnitude = op(
      b, "arith.andi", c + ", " + i32((int64_t{1} << (f.bits - 1)) - 1), "i32");
  std::string field =
      op(b, "arith.shrui", magnitude + ", " + i32(f.mantissaBits), "i32");
  std::string mantissa =
      op(b, "arith.andi", magnitude + ", " + i32((1 << f.mantissaBits) - 1),
         "i32");
  // Normal: rebias the exponent and widen the mantissa to f32's 23 bits.
  std::string rebias =
      op(b, "arith.addi",
         magnitude + ", " + i32((127 - f.bias) << f.mantissaBits), "i32");
  std::string normalBits =
      op(b, "arith.shli", rebias + ", " + i32(23 - f.mantissaBits), "i32");
  std::string normal = op(b, "arith.bitcast", normalBits, "i32 to f32");
  // Subnormal: mantissa * 2^(1 - bias - M), exact in f32.
  std::string m = op(b, "arith.uitofp", mantissa, "i32 to f32");
  std::string scale =
      b.floatConst(std::ldexp(1.0, 1 - f.bias - f.mantissaBits), DType::F32);
  std::string sub = op(b, "arith.mulf", m + ", " + scale, "f32");
  std::string isSub = op(b, "arith.cmpi eq,", field + ", " + i32(0), "i32");
  std::string v =
      op(b, "arith.select", isSub + ", " + sub + ", " + normal, "f32");
  std::string nan =
      b.floatConst(std::numeric_limits<double>::quiet_NaN(), DType::F32);
  if (f.fnuz) {
    std::string isNan = op(b, "arith.cmpi eq,", c + ", " + i32(0x80), "i32");
    v = op(b, "arith.select", isNan + ", " + nan + ", " + v, "f32");
  } else if (f.ieeeNaNs) {
    int64_t allOnes = (int64_t{1} << f.exponentBits) - 1;
    std::string special =
        op(b, "arith.cmpi eq,", field + ", " + i32(allOnes), "i32");
    std::string isZeroMantissa =
        op(b, "arith.cmpi eq,", mantissa + ", " + i32(0), "i32");
    std::string inf =
        b.floatConst(std::numeric_limits<double>::infinity(), DType::F32);
    std::string infOrNan =
        op(b, "arith.select", isZeroMantissa + ", " + inf + ", " + nan, "f32");
    v = op(b, "arith.select", special + ", " + infOrNan + ", " + v, "f32");
  } else if (f.bits == 8) {
    std::string isNan =
        op(b, "arith.cmpi eq,", magnitude + ", " + i32(0x7F), "i32");
    v = op(b, "arith.select", isNan + ", " + nan + ", " + v, "f32");
  }
  std::string negated = op(b, "arith.negf", v, "f32");
  std::string isNegative = op(b, "arith.cmpi ne,", sign + ", " + i32(0), "i32");
  return op(b, "arith.select", isNegative + ", " + negated + ", " + v, "f32");
}

/// Encodes a float (f32 or f64, compute type `ft`) as a stored narrow float
/// (i8), rounding to nearest even, as narrowFromDouble (ir/Types.h) does.
std::string encodeNarrowFloat(KernelBuilder &b, const std::string &x, bool wide,
                              DType to, bool saturate) {
  NarrowFloatFormat f = narrowFloatFormat(to);
  std::string ft = wide ? "f64" : "f32", it = wide ? "i64" : "i32";
  DType idt = wide ? DType::I64 : DType::I32,
        fdt = wide ? DType::F64 : DType::F32;
  int srcMantissa = wide ? 52 : 23, srcBias = wide ? 1023 : 127;
  auto ic = [&](int64_t v) { return b.intConst(v, idt); };
  std::string a = op(b, "math.absf", x, ft);
  std::string bits = op(b, "arith.bitcast", a, ft + " to " + it);
  // Normal: round the source mantissa to M bits (ties to even), then
  // rebias. Mantissa carries ripple into the exponent, as they should.
  int shift = srcMantissa - f.mantissaBits;
  std::string lsb = op(b, "arith.shrui", bits + ", " + ic(shift), it);
  lsb = op(b, "arith.andi", lsb + ", " + ic(1), it);
  std::string rounded = op(
      b, "arith.addi", bits + ", " + ic((int64_t{1} << (shift - 1)) - 1), it);
  rounded = op(b, "arith.addi", rounded + ", " + lsb, it);
  rounded = op(b, "arith.shrui", rounded + ", " + ic(shift), it);
  std::string normal =
      op(b, "arith.subi",
         rounded + ", " + ic(int64_t(srcBias - f.bias) << f.mantissaBits), it);
  // Subnormal (below the smallest normal 2^(1 - bias)): count quanta.
  std::string scaled =
      op(b, "arith.mulf",
         a + ", " +
             b.floatConst(std::ldexp(1.0, f.bias - 1 + f.mantissaBits), fdt),
         ft);
  std::string units = op(b, "math.roundeven", scaled, ft);
  std::string sub = op(b, "arith.fptoui", units, ft + " to " + it);
  std::string isSub =
      op(b, "arith.cmpf olt,",
         a + ", " + b.floatConst(std::ldexp(1.0, 1 - f.bias), fdt), ft);
  std::string code =
      op(b, "arith.select", isSub + ", " + sub + ", " + normal, it);
  // Beyond the largest finite value (infinity included).
  std::string big = op(b, "arith.cmpi sgt,", code + ", " + ic(f.maxCode), it);
  int64_t overflow = (saturate || to == DType::F4E2M1) ? f.maxCode
                     : f.hasInf                        ? 0x7C
                                                       : -1; // NaN below
  std::string signBit = ic(int64_t{1} << (f.bits - 1));
  // The sign from the bits: -0.0 and -NaN are negative too.
  std::string xbits = op(b, "arith.bitcast", x, ft + " to " + it);
  std::string negative = op(b, "arith.cmpi slt,", xbits + ", " + ic(0), it);
  std::string zero = ic(0);
  std::string signed_ =
      op(b, "arith.select", negative + ", " + signBit + ", " + zero, it);
  std::string nanCode =
      f.fnuz ? ic(f.nanCode)
             : op(b, "arith.ori", ic(f.nanCode) + ", " + signed_, it);
  if (to == DType::F4E2M1) // no NaN: ml_dtypes gives a zero of the other sign
    nanCode = op(b, "arith.xori", signed_ + ", " + signBit, it);
  if (overflow >= 0)
    code = op(b, "arith.select", big + ", " + ic(overflow) + ", " + code, it);
  if (f.fnuz) { // no negative zero
    std::string isZero = op(b, "arith.cmpi eq,", code + ", " + zero, it);
    signed_ = op(b, "arith.select", isZero + ", " + zero + ", " + signed_, it);
  }
  code = op(b, "arith.ori", code + ", " + signed_, it);
  if (overflow < 0)
    code = op(b, "arith.select", big + ", " + nanCode + ", " + code, it);
  std::string isNan = op(b, "arith.cmpf uno,", x + ", " + x, ft);
  code = op(b, "arith.select", isNan + ", " + nanCode + ", " + code, it);
  return op(b, "arith.trunci", code, it + " to i8");
}

/// The wide dtype a narrow integer's stored byte reads as.
DType narrowIntStorage(DType t) {
  return t == DType::I4 || t == DType::I2 ? DType::I8 : DType::U8;
}

/// Keeps the low bits of an i8 as a narrow integer: sign-extended for i4
/// and i2, masked for u4 and u2.
std::string wrapNarrowInt(KernelBuilder &b, const std::string &v, DType to) {
  int bits = dtypeBits(to);
  if (to == DType::U4 || to == DType::U2)
    return op(b, "arith.andi", v + ", " + byteConst(b, (1 << bits) - 1), "i8");
  std::string amount = b.intConst(8 - bits, DType::I8);
  std::string up = op(b, "arith.shli", v + ", " + amount, "i8");
  return op(b, "arith.shrsi", up + ", " + amount, "i8");
}

/// cast where `from` or `to` is a narrow type (docs/ir.md `cast`).
/// f8e8m0's code to its exact f32: 2^(code - 127) (code 0 is the f32
/// subnormal 2^-127), 0xFF NaN.
std::string decodeE8M0(KernelBuilder &b, const std::string &x) {
  auto i32 = [&](int64_t v) { return b.intConst(v, DType::I32); };
  std::string c = op(b, "arith.extui", x, "i8 to i32");
  std::string shifted = op(b, "arith.shli", c + ", " + i32(23), "i32");
  std::string isZero = op(b, "arith.cmpi eq,", c + ", " + i32(0), "i32");
  std::string bits = op(b, "arith.select",
                        isZero + ", " + i32(0x400000) + ", " + shifted, "i32");
  std::string v = op(b, "arith.bitcast", bits, "i32 to f32");
  std::string isNan = op(b, "arith.cmpi eq,", c + ", " + i32(0xFF), "i32");
  std::string nan =
      b.floatConst(std::numeric_limits<double>::quiet_NaN(), DType::F32);
  return op(b, "arith.select", isNan + ", " + nan + ", " + v, "f32");
}

/// An f32 as f8e8m0, as e8m0FromFloat (ir/Types.h): its exponent bits,
/// rounded up, down or to nearest, 0xFF for NaN and infinity.
std::string encodeE8M0(KernelBuilder &b, const std::string &x, bool saturate,
                       E8M0Rounding rounding) {
  auto i32 = [&](int64_t v) { return b.intConst(v, DType::I32); };
  std::string bits = op(b, "arith.bitcast", x, "f32 to i32");
  std::string e0 = op(b, "arith.shrui", bits + ", " + i32(23), "i32");
  std::string e = op(b, "arith.andi", e0 + ", " + i32(0xFF), "i32");
  auto nonzero = [&](int64_t mask) {
    std::string m = op(b, "arith.andi", bits + ", " + i32(mask), "i32");
    return op(b, "arith.cmpi ne,", m + ", " + i32(0), "i32");
  };
  std::string up;
  if (rounding == E8M0Rounding::Up) {
    up = nonzero(0x7FFFFF);
  } else if (rounding == E8M0Rounding::Nearest) {
    std::string g = nonzero(0x400000), r = nonzero(0x200000),
                s = nonzero(0x1FFFFF);
    std::string lsb = op(b, "arith.cmpi ne,", e + ", " + i32(0), "i32");
    std::string any = op(b, "arith.ori", r + ", " + s, "i1");
    any = op(b, "arith.ori", any + ", " + lsb, "i1");
    up = op(b, "arith.andi", g + ", " + any, "i1");
  }
  std::string code = e;
  if (!up.empty()) {
    if (saturate) {
      std::string atMax = op(b, "arith.cmpi eq,", e + ", " + i32(0xFE), "i32");
      std::string notMax =
          op(b, "arith.xori", atMax + ", " + b.intConst(1, DType::Bool), "i1");
      up = op(b, "arith.andi", up + ", " + notMax, "i1");
    }
    std::string inc = op(b, "arith.extui", up, "i1 to i32");
    code = op(b, "arith.addi", e + ", " + inc, "i32");
  }
  std::string isNan = op(b, "arith.cmpf uno,", x + ", " + x, "f32");
  code = op(b, "arith.select", isNan + ", " + i32(0xFF) + ", " + code, "i32");
  return op(b, "arith.trunci", code, "i32 to i8");
}

std::string castNarrow(KernelBuilder &b, const std::string &x, DType from,
                       DType to, bool saturate, E8M0Rounding rounding) {
  std::string v = x;
  // 1. A narrow source becomes f32 (floats, exactly) or i8/u8 (integers).
  if (from == DType::F8E8M0) {
    v = decodeE8M0(b, v);
    from = DType::F32;
  } else if (isNarrowFloat(from)) {
    v = decodeNarrowFloat(b, v, from);
    from = DType::F32;
  } else if (isNarrow(from)) {
    from = narrowIntStorage(from);
  }
  if (!isNarrow(to))
    return castScalar(b, v, from, to);
  // 2. Encode.
  if (to == DType::F8E8M0) { // from f32, as onnx's reference
    if (from != DType::F32)
      v = castScalar(b, v, from, DType::F32);
    return encodeE8M0(b, v, saturate, rounding);
  }
  if (isNarrowFloat(to)) {
    bool wide = from == DType::F64 || !isFloat(from);
    if (from == DType::F16 || from == DType::BF16)
      v = op(b, "arith.extf", v, computeType(from) + " to f32");
    else if (!isFloat(from))
      v = castScalar(b, v, from, DType::F64);
    return encodeNarrowFloat(b, v, wide, to, saturate);
  }
  if (isFloat(from)) {
    // Truncate toward zero; outside the range (or NaN) gives 0.
    double lo = to == DType::I4 ? -8 : to == DType::I2 ? -2 : 0;
    double hi = to == DType::I4   ? 7
                : to == DType::U4 ? 15
                : to == DType::I2 ? 1
                                  : 3;
    std::string t = computeType(from);
    std::string above =
        op(b, "arith.cmpf ogt,", v + ", " + b.floatConst(lo - 1, from), t);
    std::string below =
        op(b, "arith.cmpf olt,", v + ", " + b.floatConst(hi + 1, from), t);
    std::string in = op(b, "arith.andi", above + ", " + below, "i1");
    std::string safe = op(b, "arith.select",
                          in + ", " + v + ", " + b.floatConst(0.0, from), t);
    return op(b, "arith.fptosi", safe, t + " to i8");
  }
  // Integers and bool wrap.
  std::string byte = castScalar(b, v, from, DType::I8);
  return wrapNarrowInt(b, byte, to);
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
  case OpKind::Cast: {
    DType to = node.dtypeAttr("to");
    if (isNarrow(dtype) || isNarrow(to))
      return castNarrow(b, x, dtype, to,
                        !node.hasAttr("saturate") || node.intAttr("saturate"),
                        node.hasAttr("round_mode")
                            ? parseE8M0Rounding(node.stringAttr("round_mode"))
                                  .value_or(E8M0Rounding::Up)
                            : E8M0Rounding::Up);
    return castScalar(b, x, dtype, to);
  }
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
                 if (node.kind() == OpKind::BitCast) { // on the stored bits
                   std::string from = storageType(inType),
                               to = storageType(outType);
                   if (from == to)
                     return std::vector<std::string>{args[0]};
                   std::string r = b.fresh();
                   b.line(r + " = arith.bitcast " + args[0] + " : " + from +
                          " to " + to);
                   return std::vector<std::string>{r};
                 }
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
