// .npy reader/writer used by `mlc run` for inputs and outputs.
#include "tools/mlc/Npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace mlc {

namespace {
struct NpyDType {
  const char *descr;
  DType dtype;
};

constexpr NpyDType kNpyTypes[] = {
    {"<f4", DType::F32}, {"<f8", DType::F64}, {"<f2", DType::F16},
    {"|i1", DType::I8},  {"<i2", DType::I16}, {"<i4", DType::I32},
    {"<i8", DType::I64}, {"|u1", DType::U8},  {"<u2", DType::U16},
    {"<u4", DType::U32}, {"<u8", DType::U64}, {"|b1", DType::Bool},
};

/// Extracts the value text of `key` from the header dict.
std::string dictValue(const std::string &header, const std::string &key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos)
    return "";
  size_t start = colon + 1;
  while (start < header.size() && header[start] == ' ')
    ++start;
  if (start < header.size() && header[start] == '(') {
    size_t end = header.find(')', start);
    return end == std::string::npos ? "" : header.substr(start, end - start + 1);
  }
  size_t end = header.find_first_of(",}", start);
  return header.substr(start, end - start);
}
} // namespace

Expected<TensorData> readNpy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("cannot open '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  auto bad = [&](const std::string &why) {
    return makeError("'" + path + "' is not a valid .npy file: " + why);
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return bad("bad magic");
  uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t headerLen = 0, headerStart = 0;
  if (major == 1) {
    headerLen = static_cast<uint8_t>(bytes[8]) |
                static_cast<uint8_t>(bytes[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return bad("truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= size_t(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    headerStart = 12;
  } else {
    return bad("unsupported version " + std::to_string(major));
  }
  if (headerStart + headerLen > bytes.size())
    return bad("truncated header");
  std::string header = bytes.substr(headerStart, headerLen);
  std::string descr = dictValue(header, "descr");
  std::string fortran = dictValue(header, "fortran_order");
  std::string shapeText = dictValue(header, "shape");
  if (descr.size() < 2)
    return bad("missing descr");
  descr = descr.substr(1, descr.size() - 2);
  if (descr == "=f4" || descr == "f4")
    descr = "<f4";
  std::optional<DType> dtype;
  for (const NpyDType &t : kNpyTypes)
    if (descr == t.descr || (descr.size() == 3 && t.descr[0] == '|' &&
                             descr.substr(1) == t.descr + 1))
      dtype = t.dtype;
  if (!dtype)
    return bad("unsupported dtype '" + descr + "'");
  if (fortran.find("False") == std::string::npos)
    return bad("fortran_order arrays are not supported");
  if (shapeText.size() < 2)
    return bad("missing shape");
  TensorType type;
  type.dtype = *dtype;
  std::string inner = shapeText.substr(1, shapeText.size() - 2);
  std::stringstream dims(inner);
  std::string item;
  while (std::getline(dims, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    char *end = nullptr;
    long long v = std::strtoll(item.c_str() + b, &end, 10);
    if (v < 0 || end == item.c_str() + b)
      return bad("bad shape '" + shapeText + "'");
    type.shape.push_back(Dim(v));
  }
  Expected<int64_t> size = byteSize(type);
  if (!size)
    return bad(size.message());
  size_t dataStart = headerStart + headerLen;
  if (bytes.size() - dataStart != static_cast<uint64_t>(*size))
    return bad("expected " + std::to_string(*size) + " data bytes, found " +
               std::to_string(bytes.size() - dataStart));
  return makeTensorData(type, std::vector<uint8_t>(bytes.begin() + dataStart,
                                                   bytes.end()));
}

Status writeNpy(const std::string &path, const TensorData &data) {
  if (data.type.dtype == DType::BF16)
    return makeError("bf16 cannot be written as .npy");
  const char *descr = nullptr;
  for (const NpyDType &t : kNpyTypes)
    if (t.dtype == data.type.dtype)
      descr = t.descr;
  std::string shape = "(";
  for (const Dim &d : data.type.shape)
    shape += std::to_string(d.value()) + ", ";
  if (data.type.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (data.type.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return makeError("cannot write '" + path + "'");
  out.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {static_cast<char>(header.size() & 0xff),
                 static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  out.write(reinterpret_cast<const char *>(data.bytes->data()),
            static_cast<std::streamsize>(data.bytes->size()));
  if (!out)
    return makeError("cannot write '" + path + "'");
  return Status::success();
}

} // namespace mlc
