// mlc-import-onnx: imports an ONNX model and prints its IR, or runs it with
// the reference interpreter on seeded inputs and writes .npy files.
#include "frontends/onnx/OnnxImporter.h"
#include "ir/Interpreter.h"
#include "ir/Printer.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

using namespace mlc;

namespace {

void usage() {
  std::cerr
      << "usage: mlc-import-onnx MODEL.onnx [--input-shape NAME=D0,D1,...]"
         " [--interpret OUT_DIR] [--seed N]\n";
}

std::string npyDescr(DType t) {
  switch (t) {
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::F16:
    return "<f2";
  case DType::BF16:
    return "<u2"; // numpy has no bfloat16: raw bits.
  case DType::I8:
    return "|i1";
  case DType::I16:
    return "<i2";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  case DType::U8:
    return "|u1";
  case DType::U16:
    return "<u2";
  case DType::U32:
    return "<u4";
  case DType::U64:
    return "<u8";
  case DType::Bool:
    return "|b1";
  default: // narrow types: their stored codes, one per byte
    break;
  }
  return "|u1";
}

Status writeNpy(const std::string &path, const TensorData &data) {
  std::string shape = "(";
  for (const Dim &d : data.type.shape)
    shape += std::to_string(d.value()) + ",";
  if (data.type.shape.size() > 1)
    shape.pop_back();
  shape += ")";
  std::string header = "{'descr': '" + npyDescr(data.type.dtype) +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(reinterpret_cast<const char *>(data.bytes->data()),
            static_cast<std::streamsize>(data.bytes->size()));
  if (!out)
    return makeError("cannot write '" + path + "'");
  return Status::success();
}

/// Deterministic inputs: floats uniform in [-2, 2), integers in [0, 3),
/// bools 0/1. Integers stay small so that they are valid gather indices.
Expected<TensorData> makeInput(const TensorType &type, std::mt19937_64 &rng) {
  if (!isStatic(type.shape))
    return makeError("input of type " + typeToString(type) +
                     " is dynamic; fix it with --input-shape");
  auto count = elementCount(type.shape);
  if (!count)
    return count.error();
  auto size = byteSize(type);
  if (!size)
    return size.error();
  std::vector<uint8_t> bytes(static_cast<size_t>(*size));
  for (int64_t i = 0; i < *count; ++i) {
    uint64_t r = rng();
    double u = static_cast<double>(r >> 11) * 0x1.0p-53;
    auto put = [&](auto v) {
      std::memcpy(bytes.data() + i * sizeof(v), &v, sizeof(v));
    };
    switch (type.dtype) {
    case DType::F32:
      put(static_cast<float>(4 * u - 2));
      break;
    case DType::F64:
      put(4 * u - 2);
      break;
    case DType::I8:
      put(static_cast<int8_t>(r % 3));
      break;
    case DType::I16:
      put(static_cast<int16_t>(r % 3));
      break;
    case DType::I32:
      put(static_cast<int32_t>(r % 3));
      break;
    case DType::I64:
      put(static_cast<int64_t>(r % 3));
      break;
    case DType::U8:
      put(static_cast<uint8_t>(r % 3));
      break;
    case DType::U16:
      put(static_cast<uint16_t>(r % 3));
      break;
    case DType::U32:
      put(static_cast<uint32_t>(r % 3));
      break;
    case DType::U64:
      put(static_cast<uint64_t>(r % 3));
      break;
    case DType::Bool:
      put(static_cast<uint8_t>(r & 1));
      break;
    default:
      return makeError("cannot generate inputs of type " + typeToString(type));
    }
  }
  return makeTensorData(type, std::move(bytes));
}

int fail(const std::string &message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  std::string model, interpretDir;
  uint64_t seed = 0;
  OnnxImportOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--input-shape" || arg == "--interpret" || arg == "--seed") &&
        i + 1 >= argc) {
      usage();
      return 2;
    }
    if (arg == "--input-shape") {
      std::string spec = argv[++i];
      size_t eq = spec.find('=');
      if (eq == std::string::npos) {
        usage();
        return 2;
      }
      std::vector<int64_t> dims;
      std::string rest = spec.substr(eq + 1);
      size_t pos = 0;
      while (pos < rest.size()) {
        size_t comma = rest.find(',', pos);
        if (comma == std::string::npos)
          comma = rest.size();
        dims.push_back(
            std::strtoll(rest.substr(pos, comma - pos).c_str(), nullptr, 10));
        pos = comma + 1;
      }
      options.inputShapes[spec.substr(0, eq)] = dims;
    } else if (arg == "--interpret") {
      interpretDir = argv[++i];
    } else if (arg == "--seed") {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (!arg.empty() && arg[0] != '-' && model.empty()) {
      model = arg;
    } else {
      usage();
      return 2;
    }
  }
  if (model.empty()) {
    usage();
    return 2;
  }
  auto graph = importOnnxFile(model, options);
  if (!graph)
    return fail(graph.message());
  if (interpretDir.empty()) {
    std::cout << printGraph(*graph);
    return 0;
  }
  std::mt19937_64 rng(seed);
  std::vector<TensorData> inputs;
  for (size_t i = 0; i < graph->inputs().size(); ++i) {
    auto input = makeInput(graph->inputs()[i]->type(), rng);
    if (!input)
      return fail("input '" + graph->inputs()[i]->name() +
                  "': " + input.message());
    Status written =
        writeNpy(interpretDir + "/in_" + std::to_string(i) + ".npy", *input);
    if (!written)
      return fail(written.message());
    inputs.push_back(input.take());
  }
  auto outputs = interpretGraph(*graph, inputs);
  if (!outputs)
    return fail("interpreting: " + outputs.message());
  for (size_t i = 0; i < outputs->size(); ++i) {
    Status written = writeNpy(
        interpretDir + "/out_" + std::to_string(i) + ".npy", (*outputs)[i]);
    if (!written)
      return fail(written.message());
  }
  return 0;
}
