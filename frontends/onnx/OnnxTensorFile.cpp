// Reads a serialized ONNX TensorProto (.pb test data) into tensor data.
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

} // namespace mlc
