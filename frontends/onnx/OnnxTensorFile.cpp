// Reads and writes serialized ONNX TensorProtos, SequenceProtos and
// OptionalProtos (.pb test data).
#include "frontends/onnx/ImporterContext.h"

#include <onnx/onnx-data_pb.h>

#include <cstdint>
#include <fstream>
#include <sstream>

namespace mlc {

namespace {
/// Parses the file at `path` as the protobuf message `message` (`what`
/// names its type in errors).
Status parseFile(const std::string &path,
                 google::protobuf::MessageLite &message, const char *what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("cannot open '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return makeError("'" + path + "' is not a valid ONNX " + what);
  return Status();
}

/// The tensors of a SequenceProto of tensors.
Expected<std::vector<TensorData>>
sequenceTensors(const onnx::SequenceProto &seq, const std::string &path) {
  // onnx writes TENSOR even for an empty sequence; an unset elem_type is
  // another message read as a SequenceProto (protobuf skips its fields).
  if (seq.elem_type() == onnx::SequenceProto::UNDEFINED)
    return makeError("'" + path +
                     "' is not an ONNX SequenceProto (no elem_type)");
  if (seq.elem_type() != onnx::SequenceProto::TENSOR)
    return makeError("'" + path + "': only sequences of tensors are supported");
  std::vector<TensorData> out;
  for (const onnx::TensorProto &t : seq.tensor_values()) {
    // External data is not allowed in standalone files.
    Expected<TensorData> data = onnx_import::convertTensor(t, "");
    if (!data)
      return makeError("'" + path + "': element " + std::to_string(out.size()) +
                       ": " + data.message());
    out.push_back(data.take());
  }
  return out;
}
} // namespace

Expected<TensorData> importOnnxTensorFile(const std::string &path) {
  onnx::TensorProto tensor;
  MLC_RETURN_IF_ERROR(parseFile(path, tensor, "TensorProto"));
  // External data is not allowed in standalone tensor files.
  Expected<TensorData> data = onnx_import::convertTensor(tensor, "");
  if (!data)
    return makeError("'" + path + "': " + data.message());
  return data;
}

Expected<StringTensor> importOnnxStringTensorFile(const std::string &path) {
  onnx::TensorProto tensor;
  MLC_RETURN_IF_ERROR(parseFile(path, tensor, "TensorProto"));
  if (tensor.data_type() != onnx::TensorProto::STRING)
    return makeError("'" + path + "' does not hold a string tensor");
  StringTensor out;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d != 0 && count > INT64_MAX / d))
      return makeError("'" + path + "': bad dims");
    count *= d;
    out.shape.push_back(d);
  }
  if (count != tensor.string_data_size())
    return makeError("'" + path +
                     "': " + std::to_string(tensor.string_data_size()) +
                     " strings for " + std::to_string(count) + " elements");
  out.strings.assign(tensor.string_data().begin(), tensor.string_data().end());
  return out;
}

Expected<std::vector<TensorData>>
importOnnxSequenceFile(const std::string &path) {
  onnx::SequenceProto seq;
  MLC_RETURN_IF_ERROR(parseFile(path, seq, "SequenceProto"));
  return sequenceTensors(seq, path);
}

Expected<OptionalContent> importOnnxOptionalFile(const std::string &path) {
  onnx::OptionalProto opt;
  MLC_RETURN_IF_ERROR(parseFile(path, opt, "OptionalProto"));
  OptionalContent out;
  if (opt.has_tensor_value()) {
    Expected<TensorData> data =
        onnx_import::convertTensor(opt.tensor_value(), "");
    if (!data)
      return makeError("'" + path + "': " + data.message());
    out.present = true;
    out.tensors.push_back(data.take());
  } else if (opt.has_sequence_value()) {
    Expected<std::vector<TensorData>> tensors =
        sequenceTensors(opt.sequence_value(), path);
    if (!tensors)
      return tensors.error();
    out.present = true;
    out.isSequence = true;
    out.tensors = tensors.take();
  } else if (opt.has_map_value() || opt.has_optional_value() ||
             opt.has_sparse_tensor_value()) {
    return makeError("'" + path +
                     "': only optionals of tensors and sequences of tensors "
                     "are supported");
  }
  return out;
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

namespace {
/// Fills `tensor` with `data` (raw data, sub-byte types packed).
void fillTensorProto(onnx::TensorProto &tensor, const TensorData &data,
                     const std::string &name) {
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
}

/// Serializes `message` into the file at `path`.
Status writeMessage(const std::string &path,
                    const google::protobuf::MessageLite &message,
                    const std::string &name) {
  std::string out;
  if (!message.SerializeToString(&out))
    return makeError("cannot serialize '" + name + "'");
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!file)
    return makeError("cannot write '" + path + "'");
  return Status();
}

void fillSequenceProto(onnx::SequenceProto &seq,
                       const std::vector<TensorData> &tensors,
                       const std::string &name) {
  seq.set_name(name);
  seq.set_elem_type(onnx::SequenceProto::TENSOR);
  for (size_t i = 0; i < tensors.size(); ++i)
    fillTensorProto(*seq.add_tensor_values(), tensors[i],
                    name + "." + std::to_string(i));
}
} // namespace

Status exportOnnxTensorFile(const std::string &path, const TensorData &data,
                            const std::string &name) {
  onnx::TensorProto tensor;
  fillTensorProto(tensor, data, name);
  return writeMessage(path, tensor, name);
}

Status exportOnnxSequenceFile(const std::string &path,
                              const std::vector<TensorData> &tensors,
                              const std::string &name) {
  onnx::SequenceProto seq;
  fillSequenceProto(seq, tensors, name);
  return writeMessage(path, seq, name);
}

Status exportOnnxOptionalFile(const std::string &path,
                              const OptionalContent &content,
                              const std::string &name) {
  onnx::OptionalProto opt;
  opt.set_name(name);
  if (!content.present) {
    opt.set_elem_type(content.isSequence ? onnx::OptionalProto::SEQUENCE
                                         : onnx::OptionalProto::TENSOR);
  } else if (content.isSequence) {
    opt.set_elem_type(onnx::OptionalProto::SEQUENCE);
    fillSequenceProto(*opt.mutable_sequence_value(), content.tensors, name);
  } else {
    if (content.tensors.size() != 1)
      return makeError("internal error: an optional tensor '" + name +
                       "' with " + std::to_string(content.tensors.size()) +
                       " tensors");
    opt.set_elem_type(onnx::OptionalProto::TENSOR);
    fillTensorProto(*opt.mutable_tensor_value(), content.tensors[0], name);
  }
  return writeMessage(path, opt, name);
}

Status exportOnnxStringTensorFile(const std::string &path,
                                  const StringTensor &tensor,
                                  const std::string &name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(onnx::TensorProto::STRING);
  for (int64_t d : tensor.shape)
    proto.add_dims(d);
  for (const std::string &s : tensor.strings)
    proto.add_string_data(s);
  return writeMessage(path, proto, name);
}

} // namespace mlc
