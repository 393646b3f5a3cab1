// Reads and writes serialized ONNX TensorProtos (.pb test data).
#include "frontends/onnx/ImporterContext.h"

#include <fstream>
#include <sstream>

namespace mlc {

Expected<TensorData> importOnnxTensorFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("cannot open '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  onnx::TensorProto tensor;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !tensor.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("'" + path + "' is not a valid ONNX TensorProto");
  // External data is not allowed in standalone tensor files.
  Expected<TensorData> data = onnx_import::convertTensor(tensor, "");
  if (!data)
    return makeError("'" + path + "': " + data.message());
  return data;
}

namespace {
/// The ONNX TensorProto.DataType number of `dtype` (onnx 1.23's values).
int32_t onnxDataType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return 1;
  case DType::U8:
    return 2;
  case DType::I8:
    return 3;
  case DType::U16:
    return 4;
  case DType::I16:
    return 5;
  case DType::I32:
    return 6;
  case DType::I64:
    return 7;
  case DType::Bool:
    return 9;
  case DType::F16:
    return 10;
  case DType::F64:
    return 11;
  case DType::U32:
    return 12;
  case DType::U64:
    return 13;
  case DType::BF16:
    return 16;
  case DType::F8E4M3FN:
    return 17;
  case DType::F8E4M3FNUZ:
    return 18;
  case DType::F8E5M2:
    return 19;
  case DType::F8E5M2FNUZ:
    return 20;
  case DType::U4:
    return 21;
  case DType::I4:
    return 22;
  case DType::F4E2M1:
    return 23;
  case DType::U2:
    return 25;
  case DType::I2:
    return 26;
  case DType::F8E8M0:
    return 24;
  }
  return 0;
}
} // namespace

Status exportOnnxTensorFile(const std::string &path, const TensorData &data,
                            const std::string &name) {
  onnx::TensorProto tensor;
  tensor.set_name(name);
  tensor.set_data_type(onnxDataType(data.type.dtype));
  for (const Dim &d : data.type.shape)
    tensor.add_dims(d.value());
  const std::vector<uint8_t> &bytes = *data.bytes;
  if (dtypeBits(data.type.dtype) < 8) {
    std::vector<uint8_t> packed =
        packSubByte(data.type.dtype, bytes.data(), data.numElements());
    tensor.set_raw_data(packed.data(), packed.size());
  } else {
    tensor.set_raw_data(bytes.data(), bytes.size());
  }
  std::string out;
  if (!tensor.SerializeToString(&out))
    return makeError("cannot serialize tensor '" + name + "'");
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file)
    return makeError("cannot write '" + path + "'");
  return Status();
}

} // namespace mlc
