// ONNX TensorProto -> TensorData, including guarded reads of external data.
#include "frontends/onnx/ImporterContext.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

namespace mlc::onnx_import {

namespace {

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t exp = (x >> 23) & 0xff;
  uint32_t mant = x & 0x7fffff;
  if (exp == 0xff)
    return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  int32_t e = static_cast<int32_t>(exp) - 127 + 15;
  if (e >= 31)
    return static_cast<uint16_t>(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10)
      return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    uint32_t shift = static_cast<uint32_t>(14 - e);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    ++half; // May carry into the exponent, which is the correct rounding.
  return static_cast<uint16_t>(sign | half);
}

float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      x = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) |
          ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    x = sign | 0x7f800000 | (mant << 13);
  } else {
    x = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t floatToBF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((x >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((x >> 16) & 1);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

float bf16ToFloat(uint16_t b) {
  uint32_t x = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

template <typename T> void store(std::vector<uint8_t> &bytes, int64_t i, T v) {
  std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
}

template <typename T> T load(const uint8_t *p, int64_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}

/// Converts a double to an integer type without undefined behaviour.
template <typename T> T saturatingCast(double v) {
  if (std::isnan(v))
    return 0;
  if (v <= static_cast<double>(std::numeric_limits<T>::min()))
    return std::numeric_limits<T>::min();
  if (v >= static_cast<double>(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

void storeElement(std::vector<uint8_t> &bytes, DType dtype, int64_t i,
                  double v) {
  switch (dtype) {
  case DType::F32:
    return store<float>(bytes, i, static_cast<float>(v));
  case DType::F64:
    return store<double>(bytes, i, v);
  case DType::F16:
    return store<uint16_t>(bytes, i, floatToHalf(static_cast<float>(v)));
  case DType::BF16:
    return store<uint16_t>(bytes, i, floatToBF16(static_cast<float>(v)));
  case DType::I8:
    return store<int8_t>(bytes, i, saturatingCast<int8_t>(v));
  case DType::I16:
    return store<int16_t>(bytes, i, saturatingCast<int16_t>(v));
  case DType::I32:
    return store<int32_t>(bytes, i, saturatingCast<int32_t>(v));
  case DType::I64:
    return store<int64_t>(bytes, i, saturatingCast<int64_t>(v));
  case DType::U8:
    return store<uint8_t>(bytes, i, saturatingCast<uint8_t>(v));
  case DType::U16:
    return store<uint16_t>(bytes, i, saturatingCast<uint16_t>(v));
  case DType::U32:
    return store<uint32_t>(bytes, i, saturatingCast<uint32_t>(v));
  case DType::U64:
    return store<uint64_t>(bytes, i, saturatingCast<uint64_t>(v));
  case DType::Bool:
    return store<uint8_t>(bytes, i, v != 0 ? 1 : 0);
  default:
    return store<uint8_t>(bytes, i, narrowFromDouble(dtype, v, true));
  }
}

std::string onnxTypeName(int32_t t) {
  if (onnx::TensorProto_DataType_IsValid(t))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(t));
  // Types newer than the onnx.proto mlc is built with (onnx 1.23's list).
  static const char *const kNewer[] = {
      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
      "UINT4",        "INT4",           "FLOAT4E2M1", "FLOAT8E8M0",
      "UINT2",        "INT2",           "FLOAT6E2M3", "FLOAT6E3M2"};
  if (t >= 17 && t < 17 + static_cast<int32_t>(std::size(kNewer)))
    return kNewer[t - 17];
  return "type " + std::to_string(t);
}

/// Reads `size` bytes at `offset` of the external file `location`, which
/// must resolve, without symlinks or hardlinks, to a regular file inside
/// `baseDir`.
Expected<std::vector<uint8_t>> readExternal(const std::string &tensorName,
                                            const std::string &baseDir,
                                            const std::string &location,
                                            int64_t offset, int64_t length,
                                            bool hasLength, int64_t size) {
  auto fail = [&](const std::string &why) {
    return makeError("initializer '" + tensorName + "': external data '" +
                     location + "' " + why);
  };
  if (baseDir.empty())
    return fail("cannot be read: external data is not allowed for a model "
                "read from memory");
  if (location.empty())
    return fail("has an empty location");
  if (location.front() == '/')
    return fail("is an absolute path (must be relative to the model "
                "directory)");
  if (location.find('\0') != std::string::npos)
    return fail("contains a NUL character");
  // Check every component with lstat: no '..', no symlinks; directories in
  // the middle, a regular file at the end.
  std::string path = baseDir;
  size_t pos = 0;
  std::vector<std::string> parts;
  while (pos <= location.size()) {
    size_t next = location.find('/', pos);
    if (next == std::string::npos)
      next = location.size();
    std::string part = location.substr(pos, next - pos);
    pos = next + 1;
    if (part.empty() || part == ".")
      continue;
    if (part == "..")
      return fail("has a '..' component (must stay inside the model "
                  "directory)");
    parts.push_back(part);
  }
  if (parts.empty())
    return fail("names no file");
  struct stat st;
  for (size_t i = 0; i < parts.size(); ++i) {
    path += "/" + parts[i];
    if (::lstat(path.c_str(), &st) != 0)
      return fail(std::string("cannot be read: ") + std::strerror(errno));
    if (S_ISLNK(st.st_mode))
      return fail("is or passes through a symbolic link");
    bool last = i + 1 == parts.size();
    if (!last && !S_ISDIR(st.st_mode))
      return fail("passes through a non-directory");
    if (last && !S_ISREG(st.st_mode))
      return fail("is not a regular file");
    if (last && st.st_nlink > 1)
      return fail("is a hard link (link count " + std::to_string(st.st_nlink) +
                  ")");
  }
  if (offset < 0)
    return fail("has a negative offset");
  if (hasLength && length != size)
    return fail("has length " + std::to_string(length) +
                " but the tensor "
                "needs " +
                std::to_string(size) + " bytes");
  int64_t fileSize = static_cast<int64_t>(st.st_size);
  if (offset > fileSize || size > fileSize - offset)
    return fail("is too short: " + std::to_string(size) + " bytes at offset " +
                std::to_string(offset) + " exceed the file size " +
                std::to_string(fileSize));
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fail(std::string("cannot be opened: ") + std::strerror(errno));
  // Make sure the file opened is the one checked above.
  struct stat opened;
  if (::fstat(fd, &opened) != 0 || opened.st_ino != st.st_ino ||
      opened.st_dev != st.st_dev || !S_ISREG(opened.st_mode)) {
    ::close(fd);
    return fail("changed while it was being opened");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  int64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, bytes.data() + done,
                        static_cast<size_t>(size - done), offset + done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ::close(fd);
      return fail("could not be read completely");
    }
    done += n;
  }
  ::close(fd);
  return bytes;
}

} // namespace

Expected<DType> convertDType(int32_t t) {
  using TP = onnx::TensorProto;
  switch (t) {
  case TP::FLOAT:
    return DType::F32;
  case TP::DOUBLE:
    return DType::F64;
  case TP::FLOAT16:
    return DType::F16;
  case TP::BFLOAT16:
    return DType::BF16;
  case TP::INT8:
    return DType::I8;
  case TP::INT16:
    return DType::I16;
  case TP::INT32:
    return DType::I32;
  case TP::INT64:
    return DType::I64;
  case TP::UINT8:
    return DType::U8;
  case TP::UINT16:
    return DType::U16;
  case TP::UINT32:
    return DType::U32;
  case TP::UINT64:
    return DType::U64;
  case TP::BOOL:
    return DType::Bool;
  case TP::STRING:
    return DType::Str;
  // Newer than some onnx.proto versions: by number (onnx 1.23's values).
  case 17:
    return DType::F8E4M3FN;
  case 18:
    return DType::F8E4M3FNUZ;
  case 19:
    return DType::F8E5M2;
  case 20:
    return DType::F8E5M2FNUZ;
  case 21:
    return DType::U4;
  case 22:
    return DType::I4;
  case 23:
    return DType::F4E2M1;
  case 24:
    return DType::F8E8M0;
  case 25:
    return DType::U2;
  case 26:
    return DType::I2;
  default:
    return makeError("element type " + onnxTypeName(t) + " is not supported");
  }
}

Expected<TensorData> makeFilledTensor(const TensorType &type, double value) {
  if (type.dtype == DType::Str)
    return makeError("string constants are not supported (a " +
                     typeToString(type) + " filled with a number)");
  auto count = elementCount(type.shape);
  if (!count)
    return count.error();
  auto bytes = byteSize(type);
  if (!bytes)
    return bytes.error();
  std::vector<uint8_t> data(static_cast<size_t>(*bytes));
  for (int64_t i = 0; i < *count; ++i)
    storeElement(data, type.dtype, i, value);
  return makeTensorData(type, std::move(data));
}

Expected<TensorData> makeTensorFromDoubles(const TensorType &type,
                                           const std::vector<double> &values) {
  if (type.dtype == DType::Str)
    return makeError("string constants are not supported (a " +
                     typeToString(type) + " of numbers)");
  auto count = elementCount(type.shape);
  if (!count)
    return count.error();
  if (*count != static_cast<int64_t>(values.size()))
    return makeError("internal error: " + std::to_string(values.size()) +
                     " values for " + typeToString(type));
  auto bytes = byteSize(type);
  if (!bytes)
    return bytes.error();
  std::vector<uint8_t> data(static_cast<size_t>(*bytes));
  for (int64_t i = 0; i < *count; ++i)
    storeElement(data, type.dtype, i, values[static_cast<size_t>(i)]);
  return makeTensorData(type, std::move(data));
}

double tensorElementAsDouble(const TensorData &data, int64_t i) {
  const uint8_t *p = data.bytes->data();
  switch (data.type.dtype) {
  case DType::F32:
    return load<float>(p, i);
  case DType::F64:
    return load<double>(p, i);
  case DType::F16:
    return halfToFloat(load<uint16_t>(p, i));
  case DType::BF16:
    return bf16ToFloat(load<uint16_t>(p, i));
  case DType::I8:
    return load<int8_t>(p, i);
  case DType::I16:
    return load<int16_t>(p, i);
  case DType::I32:
    return load<int32_t>(p, i);
  case DType::I64:
    return static_cast<double>(load<int64_t>(p, i));
  case DType::U8:
  case DType::Bool:
    return load<uint8_t>(p, i);
  case DType::U16:
    return load<uint16_t>(p, i);
  case DType::U32:
    return load<uint32_t>(p, i);
  case DType::U64:
    return static_cast<double>(load<uint64_t>(p, i));
  default:
    return narrowToDouble(data.type.dtype, load<uint8_t>(p, i));
  }
}

Expected<TensorData> convertTensor(const onnx::TensorProto &tensor,
                                   const std::string &baseDir) {
  const std::string &name = tensor.name();
  auto fail = [&](const std::string &why) {
    return makeError(
        (name.empty() ? std::string("tensor") : "initializer '" + name + "'") +
        ": " + why);
  };
  auto dtype = convertDType(tensor.data_type());
  if (!dtype)
    return fail(dtype.message());
  if (*dtype == DType::Str)
    return fail("string constants are not supported (strings come from "
                "graph inputs)");
  if (tensor.has_segment())
    return fail("segmented tensors are not supported");
  TensorType type;
  type.dtype = *dtype;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return fail("negative dimension " + std::to_string(d));
    type.shape.push_back(Dim(d));
  }
  auto count = elementCount(type.shape);
  if (!count)
    return fail("shape " + shapeToString(type.shape) + ": " + count.message());
  auto size = byteSize(type);
  if (!size)
    return fail("shape " + shapeToString(type.shape) + ": " + size.message());
  std::string typeText =
      shapeToString(type.shape) + " of " + std::string(dtypeName(type.dtype));
  // 4- and 2-bit types are packed in ONNX (first element in the low bits);
  // the IR holds one element per byte.
  int bits = dtypeBits(type.dtype);
  int64_t packedSize = bits >= 8 ? *size : (*count * bits + 7) / 8;
  auto unpack = [&](const uint8_t *packed) {
    return unpackSubByte(type.dtype, packed, *count);
  };

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = 0;
    bool hasLocation = false, hasLength = false;
    for (const auto &kv : tensor.external_data()) {
      const std::string &key = kv.key();
      const std::string &value = kv.value();
      if (key == "location") {
        location = value;
        hasLocation = true;
        continue;
      }
      if (key != "offset" && key != "length")
        continue; // "checksum" and unknown keys carry nothing we need.
      errno = 0;
      char *end = nullptr;
      long long parsed = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno == ERANGE || parsed < 0)
        return fail("external data " + key + " '" + value +
                    "' is not a non-negative integer");
      (key == "offset" ? offset : length) = parsed;
      if (key == "length")
        hasLength = true;
    }
    if (!hasLocation)
      return fail("external data has no location");
    auto bytes = readExternal(name, baseDir, location, offset, length,
                              hasLength, packedSize);
    if (!bytes)
      return bytes.error();
    if (bits < 8)
      return makeTensorData(type, unpack(bytes->data()));
    return makeTensorData(type, bytes.take());
  }

  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (static_cast<int64_t>(raw.size()) != packedSize)
      return fail(std::to_string(raw.size()) + " bytes of data for shape " +
                  typeText + " (expected " + std::to_string(packedSize) + ")");
    if (bits < 8)
      return makeTensorData(
          type, unpack(reinterpret_cast<const uint8_t *>(raw.data())));
    std::vector<uint8_t> bytes(raw.begin(), raw.end());
    if (type.dtype == DType::Bool)
      for (uint8_t &b : bytes)
        b = b != 0;
    return makeTensorData(type, std::move(bytes));
  }

  // Check the element count of the typed field before allocating anything.
  int64_t have = 0;
  const char *field = "int32_data";
  switch (type.dtype) {
  case DType::F32:
    have = tensor.float_data_size(), field = "float_data";
    break;
  case DType::F64:
    have = tensor.double_data_size(), field = "double_data";
    break;
  case DType::I64:
    have = tensor.int64_data_size(), field = "int64_data";
    break;
  case DType::U32:
  case DType::U64:
    have = tensor.uint64_data_size(), field = "uint64_data";
    break;
  default:
    have = tensor.int32_data_size();
    break;
  }
  if (bits < 8) {
    // One packed byte per int32_data element.
    if (have != packedSize)
      return fail(std::to_string(have) + " elements in " + field +
                  " for shape " + typeText + " (expected " +
                  std::to_string(packedSize) + " packed bytes)");
    std::vector<uint8_t> packed(static_cast<size_t>(packedSize));
    for (int64_t i = 0; i < packedSize; ++i)
      packed[static_cast<size_t>(i)] =
          static_cast<uint8_t>(tensor.int32_data(static_cast<int>(i)));
    return makeTensorData(type, unpack(packed.data()));
  }
  if (have != *count)
    return fail(std::to_string(have) + " elements in " + field + " for shape " +
                typeText + " (expected " + std::to_string(*count) + ")");
  std::vector<uint8_t> bytes(static_cast<size_t>(*size));
  switch (type.dtype) {
  case DType::F32:
    for (int64_t i = 0; i < *count; ++i)
      store<float>(bytes, i, tensor.float_data(static_cast<int>(i)));
    break;
  case DType::F64:
    for (int64_t i = 0; i < *count; ++i)
      store<double>(bytes, i, tensor.double_data(static_cast<int>(i)));
    break;
  case DType::I64:
    for (int64_t i = 0; i < *count; ++i)
      store<int64_t>(bytes, i, tensor.int64_data(static_cast<int>(i)));
    break;
  case DType::U32:
  case DType::U64:
    for (int64_t i = 0; i < *count; ++i) {
      uint64_t v = tensor.uint64_data(static_cast<int>(i));
      if (type.dtype == DType::U32)
        store<uint32_t>(bytes, i, static_cast<uint32_t>(v));
      else
        store<uint64_t>(bytes, i, v);
    }
    break;
  default: {
    // int8/16/32, uint8/16, bool, f16 and bf16 (as bit patterns) live in
    // int32_data per the ONNX spec.
    for (int64_t i = 0; i < *count; ++i) {
      int32_t v = tensor.int32_data(static_cast<int>(i));
      switch (type.dtype) {
      case DType::I8:
        store<int8_t>(bytes, i, static_cast<int8_t>(v));
        break;
      case DType::U8:
        store<uint8_t>(bytes, i, static_cast<uint8_t>(v));
        break;
      case DType::Bool:
        store<uint8_t>(bytes, i, v != 0);
        break;
      case DType::I16:
        store<int16_t>(bytes, i, static_cast<int16_t>(v));
        break;
      case DType::U16:
      case DType::F16:
      case DType::BF16:
        store<uint16_t>(bytes, i, static_cast<uint16_t>(v));
        break;
      default:
        if (isNarrow(type.dtype)) // float8: the bit pattern
          store<uint8_t>(bytes, i, static_cast<uint8_t>(v));
        else
          store<int32_t>(bytes, i, v);
        break;
      }
    }
    break;
  }
  }
  return makeTensorData(type, std::move(bytes));
}

} // namespace mlc::onnx_import
