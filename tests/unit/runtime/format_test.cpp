// Tests of the header-only artifact format: checksum, trailer, names, dtypes.
#include "mlc/artifact_format.h"
#include "mlc/runtime.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace {

uint64_t checksumOf(const std::string &text) {
  return mlc_artifact_checksum(text.data(), text.size());
}

} // namespace

TEST_CASE("checksum is XXH64 with seed 0", "[format]") {
  // Published XXH64 test vectors; these cover the <32-byte path, the 32-byte
  // stripe path, and the 8/4/1-byte tails.
  CHECK(checksumOf("") == UINT64_C(0xEF46DB3751D8E999));
  CHECK(checksumOf("a") == UINT64_C(0xD24EC4F1A98C6E5B));
  CHECK(checksumOf("abc") == UINT64_C(0x44BC2CF5AD770999));
  CHECK(checksumOf("xxhash") == UINT64_C(0x32DD38952C4BC720));
  CHECK(checksumOf("Nobody inspects the spammish repetition") ==
        UINT64_C(0xFBCEA83C8A378BF1));
}

TEST_CASE("checksum reads unaligned data and sees every byte", "[format]") {
  std::vector<uint8_t> buffer(1000 + 7);
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer[i] = static_cast<uint8_t>(i * 31 + 7);
  std::vector<uint8_t> aligned(buffer.begin() + 3, buffer.begin() + 3 + 1000);
  uint64_t reference = mlc_artifact_checksum(aligned.data(), aligned.size());
  CHECK(mlc_artifact_checksum(buffer.data() + 3, 1000) == reference);
  for (size_t i : {size_t(0), size_t(31), size_t(32), size_t(995), size_t(999)}) {
    std::vector<uint8_t> flipped = aligned;
    flipped[i] ^= 1;
    CHECK(mlc_artifact_checksum(flipped.data(), flipped.size()) != reference);
  }
}

TEST_CASE("checksum of 100 MB is fast enough to run at every load",
          "[format][.][benchmark]") {
  // Reported, not asserted (STYLE.md 14): timings flake on shared machines.
  std::vector<uint8_t> big(100u << 20, 0x5A);
  auto start = std::chrono::steady_clock::now();
  uint64_t sum = mlc_artifact_checksum(big.data(), big.size());
  auto ms = std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - start)
                .count();
  WARN("checksum of 100 MiB took " << ms << " ms (" << std::hex << sum << ")");
}

TEST_CASE("trailer encodes to 64 little-endian bytes and back", "[format]") {
  mlc_artifact_trailer trailer;
  mlc_artifact_trailer_init(&trailer, 0x0102030405060708u, 0x1112u,
                            0xA1A2A3A4A5A6A7A8u);
  uint8_t bytes[MLC_ARTIFACT_TRAILER_SIZE];
  mlc_artifact_trailer_encode(&trailer, bytes);
  CHECK(std::memcmp(bytes, "MLCART01", 8) == 0);
  CHECK(bytes[8] == 2);
  CHECK(bytes[9] == 0);
  CHECK(bytes[12] == 0);
  CHECK(bytes[16] == 0x08);
  CHECK(bytes[23] == 0x01);
  CHECK(bytes[24] == 0x12);
  CHECK(bytes[25] == 0x11);
  CHECK(bytes[32] == 0xA8);
  for (int i = 40; i < 64; ++i)
    CHECK(bytes[i] == 0);
  mlc_artifact_trailer decoded;
  mlc_artifact_trailer_decode(bytes, &decoded);
  CHECK(std::memcmp(&decoded, &trailer, sizeof(trailer)) == 0);
}

TEST_CASE("tensor names percent-encode and decode", "[format]") {
  const std::string name = "in put%/x:0-é";
  char encoded[64];
  size_t length =
      mlc_artifact_name_encode(name.data(), name.size(), encoded, sizeof(encoded));
  CHECK(std::string(encoded) == "in%20put%25/x:0-%C3%A9");
  CHECK(length == std::strlen(encoded));
  CHECK(mlc_artifact_name_encode(name.data(), name.size(), nullptr, 0) == length);

  char decoded[64];
  CHECK(mlc_artifact_name_decode(encoded, length, decoded) ==
        static_cast<int64_t>(name.size()));
  CHECK(std::string(decoded) == name);
  CHECK(mlc_artifact_name_decode("a b", 3, decoded) == -1);
  CHECK(mlc_artifact_name_decode("a%2", 3, decoded) == -1);
  CHECK(mlc_artifact_name_decode("a%zz", 4, decoded) == -1);
  CHECK(mlc_artifact_name_decode("a%00", 4, decoded) == -1);
}

TEST_CASE("dtype names map to DLPack types", "[format]") {
  struct Case {
    const char *name;
    uint8_t code, bits;
  };
  const Case cases[] = {
      {"f32", kDLFloat, 32}, {"f64", kDLFloat, 64}, {"f16", kDLFloat, 16},
      {"bf16", kDLBfloat, 16}, {"i8", kDLInt, 8},   {"i16", kDLInt, 16},
      {"i32", kDLInt, 32},   {"i64", kDLInt, 64},   {"u8", kDLUInt, 8},
      {"u16", kDLUInt, 16},  {"u32", kDLUInt, 32},  {"u64", kDLUInt, 64},
      {"bool", kDLUInt, 8},
  };
  for (const Case &c : cases) {
    DLDataType dtype;
    REQUIRE(mlc_dtype_from_name(c.name, &dtype) == MLC_OK);
    CHECK(dtype.code == c.code);
    CHECK(dtype.bits == c.bits);
    CHECK(dtype.lanes == 1);
    if (std::string(c.name) != "bool")
      CHECK(std::string(mlc_dtype_name(dtype)) == c.name);
  }
  DLDataType dtype;
  CHECK(mlc_dtype_from_name("f8", &dtype) == MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) == "unknown dtype 'f8'");
  CHECK(mlc_dtype_name(DLDataType{kDLFloat, 32, 4}) == nullptr);
}

TEST_CASE("versions and status strings", "[format]") {
  CHECK(mlc_runtime_abi_version() == 2);
  CHECK(std::string(mlc_runtime_version()) == "0.1.0");
  CHECK(std::string(mlc_status_string(MLC_OK)) == "ok");
  CHECK(std::string(mlc_status_string(MLC_ERROR_CORRUPT_ARTIFACT)) ==
        "corrupt artifact");
  CHECK(std::string(mlc_status_string(static_cast<mlc_status>(99))) ==
        "unknown status");
}
