// Reading and writing NumPy .npy files (format version 1.0/2.0/3.0, C order).
#pragma once

#include "ir/Graph.h"

#include <string>

namespace mlc {

/// Reads a .npy file into tensor data. Supports little-endian numeric and
/// bool dtypes in C order.
Expected<TensorData> readNpy(const std::string &path);
/// Writes tensor data as a version 1.0 .npy file.
Status writeNpy(const std::string &path, const TensorData &data);

} // namespace mlc
