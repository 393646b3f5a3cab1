// Helpers that build real artifacts from test kernels, as the compiler would.
#include "artifact_util.h"

#include "mlc/artifact_format.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace mlc::test {

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out.good());
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string workPath(const std::string &name) {
  std::filesystem::create_directories(MLC_TEST_WORK_DIR);
  return std::string(MLC_TEST_WORK_DIR) + "/" + name;
}

std::vector<uint8_t> makeArtifactBytes(const std::vector<uint8_t> &elf,
                                       const std::string &metadata,
                                       uint32_t abiVersion) {
  std::vector<uint8_t> bytes = elf;
  bytes.insert(bytes.end(), metadata.begin(), metadata.end());
  mlc_artifact_trailer trailer;
  mlc_artifact_trailer_init(&trailer, elf.size(), metadata.size(),
                            mlc_artifact_checksum(bytes.data(), bytes.size()));
  trailer.abi_version = abiVersion;
  uint8_t encoded[MLC_ARTIFACT_TRAILER_SIZE];
  mlc_artifact_trailer_encode(&trailer, encoded);
  bytes.insert(bytes.end(), encoded, encoded + MLC_ARTIFACT_TRAILER_SIZE);
  return bytes;
}

std::string makeArtifact(const std::string &elfPath,
                         const std::string &metadata,
                         const std::string &outName) {
  std::string path = workPath(outName);
  writeBytes(path, makeArtifactBytes(readBytes(elfPath), metadata));
  return path;
}

std::string hostTriple() {
#if defined(__x86_64__)
  return "x86_64-unknown-linux-gnu";
#elif defined(__aarch64__)
  return "aarch64-unknown-linux-gnu";
#else
  return "unknown-unknown-linux-gnu";
#endif
}

std::string metadataHeader(const std::string &cpuFeatures,
                           uint64_t arenaBytes) {
  std::string text = "mlc_artifact " +
                     std::to_string(MLC_ARTIFACT_ABI_VERSION) +
                     "\nmlc_version 0.1.0\ntarget ";
  text += hostTriple();
  text += "\ncpu generic\ncpu_features";
  if (!cpuFeatures.empty())
    text += " " + cpuFeatures;
  text += "\narena_bytes " + std::to_string(arenaBytes) +
          "\nmodel_hash 0123456789abcdef\n";
  return text;
}

std::string cudaMetadataHeader(uint64_t arenaBytes, const std::string &cubins,
                               const std::string &ptx, uint64_t weightsBytes) {
  std::string text =
      "mlc_artifact " + std::to_string(MLC_ARTIFACT_ABI_VERSION) +
      "\nmlc_version 0.1.0\ntarget nvptx64-nvidia-cuda\ncpu " + ptx +
      "\ncpu_features\narena_bytes " + std::to_string(arenaBytes) +
      "\nmodel_hash 0123456789abcdef\ndevice cuda\nhost_target " +
      hostTriple() + "\ncuda_ptx " + ptx + "\ncuda_cubins";
  if (!cubins.empty())
    text += " " + cubins;
  return text + "\ncuda_weights_bytes " + std::to_string(weightsBytes) + "\n";
}

std::string cudaChainBody() {
  return "input x f32 64\ninput y f32 64\noutput a f32 64\noutput b f32 64\n"
         "cuda_launch add_weights 1,1,1 64,1,1 0 in0,weights,arena\n"
         "cuda_launch scale2 2,1,1 32,1,1 0 arena,out0\n"
         "cuda_launch add_one 64,1,1 1,1,1 0 in1,out1\n";
}

std::string cudaChainMetadata(const std::string &cubins) {
  return cudaMetadataHeader(256, cubins) + cudaChainBody();
}

std::string affineMetadata() {
  return metadataHeader() + "input x f32 2x3\noutput y f32 2x3\n";
}

std::string arenaMetadata() {
  return metadataHeader("", 100) +
         "input input:0 f32 8\ninput scale f32 scalar\n"
         "output out%20put f32 8\noutput sum f64 scalar\n";
}

std::string dynamicMetadata() {
  return metadataHeader("", 0) +
         "symbol n\nconstraint 0 1000\ninput x f32 ?0\ninput w f32 ?0\n"
         "output y f32 ?0\noutput total f32 scalar\n";
}

std::string parallelMetadata() {
  return metadataHeader("", 64 + 4096 * 4) +
         "input x f32 4096\noutput y f32 4096\noutput together i32 scalar\n";
}

} // namespace mlc::test
