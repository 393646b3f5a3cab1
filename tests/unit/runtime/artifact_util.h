// Helpers that build real artifacts from test kernels, as the compiler would.
#ifndef MLC_TESTS_UNIT_RUNTIME_ARTIFACT_UTIL_H
#define MLC_TESTS_UNIT_RUNTIME_ARTIFACT_UTIL_H

#include "mlc/artifact_format.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlc::test {

/// Reads a whole file; fails the current test if it cannot.
std::vector<uint8_t> readBytes(const std::string &path);

/// Writes a whole file; fails the current test if it cannot.
void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes);

/// A path under the test work directory (created on first use).
std::string workPath(const std::string &name);

/// [elf][metadata][trailer] with a correct checksum for `abiVersion`.
std::vector<uint8_t> makeArtifactBytes(const std::vector<uint8_t> &elf,
                                       const std::string &metadata,
                                       uint32_t abiVersion = MLC_ARTIFACT_ABI_VERSION);

/// Builds an artifact from the ELF at `elfPath` and writes it to
/// workPath(outName). Returns that path.
std::string makeArtifact(const std::string &elfPath,
                         const std::string &metadata,
                         const std::string &outName);

/// Metadata header lines (everything but tensors) with the given features.
std::string metadataHeader(const std::string &cpuFeatures = "",
                           uint64_t arenaBytes = 0);

/// Metadata of the affine kernel: input x f32 2x3, output y f32 2x3.
std::string affineMetadata();

/// Metadata of the arena kernel (see kernels/arena.c).
std::string arenaMetadata();

/// Metadata of the parallel kernel (see kernels/parallel.c).
std::string parallelMetadata();

/// Metadata of kernels/dynamic.c: symbol n (at most 1000), inputs x and w
/// f32[n], outputs y f32[n] and total f32 scalar.
std::string dynamicMetadata();

/// The host's LLVM triple, as `target` (CPU) or `host_target` (CUDA).
std::string hostTriple();

/// Metadata lines of a CUDA artifact up to its tensors and launches. The
/// defaults fit kernels/cuda_image.c: PTX for sm_80, cubins for sm_80, sm_86
/// and sm_90, 256 bytes of weights.
std::string cudaMetadataHeader(uint64_t arenaBytes = 256,
                               const std::string &cubins = "sm_80,sm_86,sm_90",
                               const std::string &ptx = "sm_80",
                               uint64_t weightsBytes = 256);

/// Tensors and launches of the CUDA "chain" model over kernels/cuda_image.c:
/// inputs x, y and outputs a = 2 * (x + weights) (through the arena), b = y
/// + 1, all f32[64].
std::string cudaChainBody();

/// cudaMetadataHeader(256, cubins) + cudaChainBody().
std::string cudaChainMetadata(const std::string &cubins = "sm_80,sm_86,sm_90");

} // namespace mlc::test

#endif // MLC_TESTS_UNIT_RUNTIME_ARTIFACT_UTIL_H
