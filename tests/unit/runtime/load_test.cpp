// Tests of mlc_model_load: describing models and rejecting bad artifacts.
#include "artifact_util.h"

#include "mlc/artifact_format.h"
#include "mlc/runtime.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

extern "C" int mlc_test_c_api_check(const char *path);

using namespace mlc::test;

namespace {

/// Loads `path` expecting failure; returns the status and captures the error.
mlc_status loadFails(const std::string &path, std::string &message) {
  mlc_model *model = reinterpret_cast<mlc_model *>(1);
  mlc_status status = mlc_model_load(path.c_str(), &model);
  CHECK(model == nullptr);
  mlc_model_free(model);
  message = mlc_last_error();
  return status;
}

/// Builds an artifact from the affine kernel with `metadata` and loads it.
mlc_status loadAffineWith(const std::string &metadata, std::string &message) {
  return loadFails(makeArtifact(MLC_TEST_AFFINE_ELF, metadata, "case.mlc"),
                   message);
}

/// A feature the host lacks, or "" if it has all of the candidates.
std::string missingFeature() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f"))
    return "avx512f";
  if (!__builtin_cpu_supports("avx512fp16"))
    return "avx512fp16";
  if (!__builtin_cpu_supports("amx-tile"))
    return "amx-tile";
  if (!__builtin_cpu_supports("fma4"))
    return "fma4";
#endif
  return "";
}

} // namespace

TEST_CASE("load describes the model", "[load]") {
  std::string path = makeArtifact(MLC_TEST_AFFINE_ELF, affineMetadata(),
                                  "affine.mlc");
  mlc_model *model = nullptr;
  REQUIRE(mlc_model_load(path.c_str(), &model) == MLC_OK);
  REQUIRE(model != nullptr);
  CHECK(mlc_model_num_inputs(model) == 1);
  CHECK(mlc_model_num_outputs(model) == 1);

  mlc_tensor_info info;
  REQUIRE(mlc_model_input_info(model, 0, &info) == MLC_OK);
  CHECK(std::string(info.name) == "x");
  CHECK(info.dtype.code == kDLFloat);
  CHECK(info.dtype.bits == 32);
  CHECK(info.dtype.lanes == 1);
  REQUIRE(info.ndim == 2);
  CHECK(info.shape[0] == 2);
  CHECK(info.shape[1] == 3);
  REQUIRE(mlc_model_output_info(model, 0, &info) == MLC_OK);
  CHECK(std::string(info.name) == "y");

  CHECK(mlc_model_input_info(model, 1, &info) == MLC_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(mlc_last_error()) ==
        "input index 1 out of range: the model has 1 inputs");
  CHECK(mlc_model_output_info(model, -1, &info) == MLC_ERROR_INVALID_ARGUMENT);

  CHECK(std::string(mlc_model_metadata(model, "mlc_version")) == "0.1.0");
  CHECK(std::string(mlc_model_metadata(model, "cpu")) == "generic");
  CHECK(std::string(mlc_model_metadata(model, "cpu_features")) == "");
  CHECK(std::string(mlc_model_metadata(model, "arena_bytes")) == "0");
  CHECK(std::string(mlc_model_metadata(model, "input")) == "x f32 2x3");
  CHECK(mlc_model_metadata(model, "no_such_key") == nullptr);
  CHECK(std::string(mlc_model_metadata_text(model)) == affineMetadata());
  mlc_model_free(model);
  mlc_model_free(nullptr);
}

TEST_CASE("load decodes names, scalars and every dtype", "[load]") {
  std::string metadata = metadataHeader("", 100) +
                         "input input:0 f32 8\ninput scale f32 scalar\n"
                         "output out%20put f32 8\noutput sum f64 scalar\n";
  std::string path = makeArtifact(MLC_TEST_ARENA_ELF, metadata, "arena.mlc");
  mlc_model *model = nullptr;
  REQUIRE(mlc_model_load(path.c_str(), &model) == MLC_OK);
  mlc_tensor_info info;
  REQUIRE(mlc_model_input_info(model, 0, &info) == MLC_OK);
  CHECK(std::string(info.name) == "input:0");
  REQUIRE(mlc_model_input_info(model, 1, &info) == MLC_OK);
  CHECK(info.ndim == 0);
  REQUIRE(mlc_model_output_info(model, 0, &info) == MLC_OK);
  CHECK(std::string(info.name) == "out put");
  REQUIRE(mlc_model_output_info(model, 1, &info) == MLC_OK);
  CHECK(info.dtype.code == kDLFloat);
  CHECK(info.dtype.bits == 64);
  mlc_model_free(model);

  // Metadata alone decides the description; load never runs the code.
  std::string all = metadataHeader();
  const char *names[] = {"f32", "f64", "f16", "bf16", "i8",  "i16", "i32",
                         "i64", "u8",  "u16", "u32",  "u64", "bool"};
  for (const char *name : names)
    all += std::string("input t_") + name + " " + name + " 1x0x5\n";
  all += "output y f32 2x3\nfuture_key is ignored\n";
  path = makeArtifact(MLC_TEST_AFFINE_ELF, all, "dtypes.mlc");
  REQUIRE(mlc_model_load(path.c_str(), &model) == MLC_OK);
  REQUIRE(mlc_model_num_inputs(model) == 13);
  for (int32_t i = 0; i < 13; ++i) {
    REQUIRE(mlc_model_input_info(model, i, &info) == MLC_OK);
    DLDataType expected;
    REQUIRE(mlc_dtype_from_name(names[i], &expected) == MLC_OK);
    CHECK(info.dtype.code == expected.code);
    CHECK(info.dtype.bits == expected.bits);
    CHECK(info.ndim == 3);
    CHECK(info.shape[1] == 0);
  }
  CHECK(std::string(mlc_model_metadata(model, "future_key")) == "is ignored");
  mlc_model_free(model);
}

TEST_CASE("the public headers work from C", "[load]") {
  std::string path = makeArtifact(MLC_TEST_AFFINE_ELF, affineMetadata(),
                                  "from_c.mlc");
  CHECK(mlc_test_c_api_check(path.c_str()) == 0);
}

TEST_CASE("several artifacts load side by side and one after another",
          "[load]") {
  std::string affine = makeArtifact(MLC_TEST_AFFINE_ELF, affineMetadata(),
                                    "side_a.mlc");
  std::string arena = makeArtifact(MLC_TEST_ARENA_ELF, arenaMetadata(),
                                   "side_b.mlc");
  for (int round = 0; round < 3; ++round) {
    mlc_model *a = nullptr, *b = nullptr, *c = nullptr;
    REQUIRE(mlc_model_load(affine.c_str(), &a) == MLC_OK);
    REQUIRE(mlc_model_load(arena.c_str(), &b) == MLC_OK);
    REQUIRE(mlc_model_load(affine.c_str(), &c) == MLC_OK);
    // Each model must have its own entry point from its own bytes.
    CHECK(mlc_test_c_api_check(affine.c_str()) == 0);
    CHECK(mlc_model_num_inputs(b) == 2);
    mlc_model_free(a);
    mlc_model_free(b);
    mlc_model_free(c);
  }
  // After frees, a new artifact that reuses a file descriptor number must
  // still load its own code: the arena kernel fails (code 3 -> run failed)
  // without an arena, which the affine kernel would never do.
  mlc_model *b = nullptr;
  std::string noArena = metadataHeader() +
                        "input input:0 f32 8\ninput scale f32 scalar\n"
                        "output out f32 8\noutput sum f64 scalar\n";
  std::string path = makeArtifact(MLC_TEST_ARENA_ELF, noArena, "no_arena.mlc");
  REQUIRE(mlc_model_load(path.c_str(), &b) == MLC_OK);
  float x[8] = {0}, scale = 1, out[8];
  double sum;
  int64_t eight = 8;
  DLTensor in[2] = {}, outs[2] = {};
  in[0].data = x;
  in[0].ndim = 1;
  in[0].shape = &eight;
  in[0].dtype = {kDLFloat, 32, 1};
  in[0].device = {kDLCPU, 0};
  in[1] = in[0];
  in[1].data = &scale;
  in[1].ndim = 0;
  outs[0] = in[0];
  outs[0].data = out;
  outs[1] = in[1];
  outs[1].data = &sum;
  outs[1].dtype = {kDLFloat, 64, 1};
  CHECK(mlc_model_run(b, in, 2, outs, 2) == MLC_ERROR_RUN_FAILED);
  CHECK(std::string(mlc_last_error()) ==
        "the compiled model failed with code 3");
  mlc_model_free(b);
}

TEST_CASE("load rejects bad arguments and unreadable files", "[load]") {
  mlc_model *model = nullptr;
  CHECK(mlc_model_load(nullptr, &model) == MLC_ERROR_INVALID_ARGUMENT);
  CHECK(mlc_model_load("x", nullptr) == MLC_ERROR_INVALID_ARGUMENT);
  std::string message;
  CHECK(loadFails(workPath("does_not_exist.mlc"), message) == MLC_ERROR_IO);
  CHECK_THAT(message, Catch::Contains("does_not_exist.mlc: cannot open: No "
                                      "such file or directory"));
  CHECK(loadFails(MLC_TEST_WORK_DIR, message) == MLC_ERROR_IO);
  CHECK_THAT(message, Catch::Contains("not a regular file"));
}

TEST_CASE("load rejects truncated artifacts", "[load][corrupt]") {
  std::vector<uint8_t> elf = readBytes(MLC_TEST_AFFINE_ELF);
  std::vector<uint8_t> good = makeArtifactBytes(elf, affineMetadata());
  std::string path = workPath("truncated.mlc");
  for (size_t size : {size_t(0), size_t(10), size_t(63), size_t(64),
                      elf.size() / 2, elf.size(), good.size() - 64,
                      good.size() - 33, good.size() - 1}) {
    INFO("truncated to " << size << " of " << good.size() << " bytes");
    writeBytes(path, std::vector<uint8_t>(good.begin(), good.begin() + size));
    std::string message;
    CHECK(loadFails(path, message) == MLC_ERROR_CORRUPT_ARTIFACT);
    CHECK_THAT(message, Catch::StartsWith(path + ": not an mlc artifact"));
  }
  // A trailer whose sizes overflow or disagree with the file size.
  std::vector<uint8_t> bad = good;
  mlc_artifact_store_u64(&bad[bad.size() - 64 + 16], UINT64_MAX);
  writeBytes(path, bad);
  std::string message;
  CHECK(loadFails(path, message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("do not match the file size"));
  bad = good;
  mlc_artifact_store_u64(&bad[bad.size() - 64 + 24], UINT64_MAX);
  writeBytes(path, bad);
  CHECK(loadFails(path, message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("do not match the file size"));
}

TEST_CASE("load rejects flipped bytes by checksum", "[load][corrupt]") {
  std::vector<uint8_t> elf = readBytes(MLC_TEST_AFFINE_ELF);
  std::vector<uint8_t> good = makeArtifactBytes(elf, affineMetadata());
  std::string path = workPath("flipped.mlc");
  for (size_t offset : {size_t(0), elf.size() / 2, elf.size() + 3,
                        good.size() - 65, good.size() - 64 + 32}) {
    INFO("flipped byte at " << offset);
    std::vector<uint8_t> bad = good;
    bad[offset] ^= 0x20;
    writeBytes(path, bad);
    std::string message;
    CHECK(loadFails(path, message) == MLC_ERROR_CORRUPT_ARTIFACT);
    CHECK(message == path + ": checksum mismatch: the artifact is corrupt or "
                            "truncated");
  }
}

TEST_CASE("load rejects a bad magic and other ABI versions",
          "[load][corrupt]") {
  std::vector<uint8_t> elf = readBytes(MLC_TEST_AFFINE_ELF);
  std::vector<uint8_t> bytes = makeArtifactBytes(elf, affineMetadata());
  bytes[bytes.size() - 64] = 'X';
  std::string path = workPath("magic.mlc");
  writeBytes(path, bytes);
  std::string message;
  CHECK(loadFails(path, message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(message == path + ": not an mlc artifact: no 'MLCART01' trailer at "
                          "the end (truncated, or not an artifact)");

  // A plain shared object is not an artifact.
  CHECK(loadFails(MLC_TEST_AFFINE_ELF, message) == MLC_ERROR_CORRUPT_ARTIFACT);

  // ABI 1 entry points take no context: calling one would crash.
  for (uint32_t abi : {1u, 3u}) {
    path = workPath("abi" + std::to_string(abi) + ".mlc");
    writeBytes(path, makeArtifactBytes(elf, affineMetadata(), abi));
    CHECK(loadFails(path, message) == MLC_ERROR_INCOMPATIBLE_ARTIFACT);
    CHECK(message == path + ": the artifact was built for ABI " +
                         std::to_string(abi) + ", this runtime reads ABI 2");
  }

  // Trailer flags are for features a reader must understand: bit 0 (the
  // host functions) it knows, bit 1 it does not.
  bytes = makeArtifactBytes(elf, affineMetadata());
  bytes[bytes.size() - 64 + 12] = 2;
  writeBytes(path, bytes);
  CHECK(loadFails(path, message) == MLC_ERROR_INCOMPATIBLE_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("trailer flags 0x2"));
}

TEST_CASE("load checks the ELF part", "[load][corrupt]") {
  std::string message;
  std::vector<uint8_t> notElf(200, 'z');
  std::string path = workPath("not_elf.mlc");
  writeBytes(path, makeArtifactBytes(notElf, affineMetadata()));
  CHECK(loadFails(path, message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("does not start with an ELF header"));
}

TEST_CASE("load checks the host functions an artifact calls",
          "[load][metadata]") {
  std::string message;
  std::string tensors = "input x f32 2x3\noutput y f32 2x3\n";
  std::string h = metadataHeader("sse2");
  // This runtime lends 6 (string_equal .. string_split); e2e.strings loads
  // artifacts that call all 6.
  CHECK(loadAffineWith(h + "host_functions 7\n" + tensors, message) ==
        MLC_ERROR_INCOMPATIBLE_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("the artifact calls 7 host functions, "
                                      "this runtime has 6"));
  for (const char *bad : {"-1", "6x", "", " 6"}) {
    CHECK(loadAffineWith(h + "host_functions " + bad + "\n" + tensors,
                         message) == MLC_ERROR_CORRUPT_ARTIFACT);
    CHECK_THAT(message, Catch::Contains("bad host_functions"));
  }
}

TEST_CASE("load checks target and CPU features", "[load][cpu]") {
  std::string message;
  std::string tensors = "input x f32 2x3\noutput y f32 2x3\n";

  std::string missing = missingFeature();
  if (!missing.empty()) {
    CHECK(loadAffineWith(metadataHeader("sse2," + missing) + tensors,
                         message) == MLC_ERROR_UNSUPPORTED_CPU);
    CHECK_THAT(message,
               Catch::EndsWith("artifact requires CPU feature '" + missing +
                               "' which this CPU lacks"));
  } else {
    WARN("the host has every candidate feature; checking an unknown one only");
  }
  CHECK(loadAffineWith(metadataHeader("mlc-imaginary") + tensors, message) ==
        MLC_ERROR_UNSUPPORTED_CPU);
  CHECK_THAT(message, Catch::EndsWith("artifact requires CPU feature "
                                      "'mlc-imaginary' which this runtime "
                                      "cannot check"));
  CHECK(loadAffineWith(metadataHeader("sse2,,avx") + tensors, message) ==
        MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK(loadAffineWith(metadataHeader("sse2,") + tensors, message) ==
        MLC_ERROR_CORRUPT_ARTIFACT);

#if defined(__x86_64__)
  // Features the host has load fine.
  std::string path = makeArtifact(MLC_TEST_AFFINE_ELF,
                                  metadataHeader("sse2,cx16,64bit") + tensors,
                                  "features.mlc");
  mlc_model *model = nullptr;
  CHECK(mlc_model_load(path.c_str(), &model) == MLC_OK);
  mlc_model_free(model);
  const char *foreign = "aarch64-unknown-linux-gnu";
#else
  const char *foreign = "x86_64-unknown-linux-gnu";
#endif
  std::string header = metadataHeader();
  size_t at = header.find("target ") + 7;
  header.replace(at, header.find('\n', at) - at, foreign);
  CHECK(loadAffineWith(header + tensors, message) == MLC_ERROR_UNSUPPORTED_CPU);
  CHECK_THAT(message, Catch::Contains(std::string("artifact targets '") +
                                      foreign + "' but this host is"));
}

TEST_CASE("load rejects malformed metadata", "[load][metadata]") {
  struct Case {
    std::string metadata;
    std::string message;
  };
  std::string h = metadataHeader();
  std::string y = "output y f32 2x3\n";
  const Case cases[] = {
      {h + "input x f32 9223372036854775807x4\n" + y,
       "element count of dims '9223372036854775807x4' overflows"},
      {h + "input x f32 9223372036854775808\n" + y,
       "bad extent '9223372036854775808'"},
      {h + "input x f32 2305843009213693952\n" + y,
       "byte size of dims '2305843009213693952' overflows"},
      {h + "input x f32 2x\n" + y, "bad extent ''"},
      {h + "input x f32 02x3\n" + y, "bad extent '02'"},
      {h + "input x f32 -2x3\n" + y, "bad extent '-2'"},
      {h + "input x f32 1xx2\n" + y, "bad extent ''"},
      {h + "input x f33 2x3\n" + y, "line 8: unknown dtype 'f33'"},
      {h + "input x f32\n" + y, "expected '<name> <dtype> <dims>'"},
      {h + "input x  f32 2x3\n" + y, "expected '<name> <dtype> <dims>'"},
      {h + "input x f32 2x3 extra\n" + y, "expected '<name> <dtype> <dims>'"},
      {h + "input a%2 f32 2x3\n" + y, "bad tensor name encoding 'a%2'"},
      {h + "input a\xc3\xa9 f32 2x3\n" + y, "bad tensor name encoding"},
      {h + "input x f32 2x3\ninput x f32 2x3\n" + y,
       "duplicate input name 'x'"},
      {h + "input x f32 2x3\n", "no 'output' line"},
      {h + "input x f32 2x3\n" + y.substr(0, y.size() - 1),
       "text must end with a newline"},
      {h + "\n" + y, "line 8: empty key"},
      {h + "input x f32 2x3\r\n" + y, "line 8: control byte 0x0D"},
      {h + "target again\n" + y, "duplicate key 'target'"},
      {"mlc_version 0.1.0\n" + h + y, "first line must be 'mlc_artifact"},
      {"mlc_artifact 1\n" + h.substr(h.find('\n') + 1) + y,
       "mlc_artifact '1' does not match trailer ABI 2"},
      {h.substr(0, h.find("arena_bytes")) + "model_hash 1\n" + y,
       "missing required key 'arena_bytes'"},
      {h.substr(0, h.find("arena_bytes")) + "arena_bytes 1e3\nmodel_hash 1\n" +
           y,
       "bad arena_bytes '1e3'"},
      {h.substr(0, h.find("model_hash")) + y,
       "missing required key 'model_hash'"},
      // Dynamic shapes: `?k` names symbol line k.
      {h + "input x f32 2x?0\n" + y,
       "bad symbolic dim '?0' in dims '2x?0' (0 symbol lines)"},
      {h + "symbol n\ninput x f32 2x?1\n" + y, "bad symbolic dim '?1'"},
      {h + "symbol n\ninput x f32 2x?\n" + y, "bad extent '?'"},
      {h + "symbol n\ninput x f32 2x?n\n" + y, "bad symbolic dim '?n'"},
      {h + "symbol n\ninput x i4 ?0\n" + y,
       "a sub-byte tensor cannot have symbolic dims"},
      {h + "symbol a%2\ninput x f32 ?0\n" + y, "bad symbol name 'a%2'"},
      {h + "symbol n\nconstraint 1 5\ninput x f32 ?0\n" + y,
       "bad constraint '1 5'"},
      {h + "symbol n\nconstraint 0\ninput x f32 ?0\n" + y,
       "bad constraint '0'"},
      {h + "symbol n\ninput x i4 2\ninput z f32 ?0\n" + y,
       "tensor 'x' has the sub-byte type i4 in an artifact with symbols"},
      // Symbols bound by input values, computed symbols, requirements.
      {h + "symbol n value 5 0\ninput x i64 3\n" + y,
       "symbol n reads element 0 of input 5, which is not an element"},
      {h + "symbol n value 0 3\ninput x i64 3\n" + y,
       "symbol n reads element 3 of input 0"},
      {h + "symbol n value 0 0\ninput x f16 3\n" + y,
       "not an element of an i32, i64, f32 or f64 input of static shape"},
      {h + "symbol n value 0\ninput x i64 3\n" + y, "bad symbol 'n value 0'"},
      {h + "symbol n bogus\ninput x f32 ?0\n" + y, "bad symbol 'n bogus'"},
      {h + "symbol n late -1\ninput x f32 ?0\n" + y,
       "bad symbol 'n late -1' (expected 'NAME late BOUND')"},
      {h + "symbol n split 0 none 2c\ninput x f32 3\n" + y,
       "symbol n splits input 0, which is not a str input"},
      {h + "symbol n split 1 none 2c\ninput x str 3\n" + y,
       "symbol n splits input 1, which is not a str input"},
      {h + "symbol n split 0 none 2\ninput x str 3\n" + y,
       "bad symbol 'n split 0 none 2' (expected 'NAME split INPUT MAXSPLIT "
       "DELIMITER')"},
      {h + "symbol n split 0 -1 2c\ninput x str 3\n" + y,
       "bad symbol 'n split 0 -1 2c'"},
      {h + "symbol n split 0 none 2C\ninput x str 3\n" + y,
       "bad symbol 'n split 0 none 2C'"},
      {h + "symbol n split 0 none\ninput x str 3\n" + y,
       "bad symbol 'n split 0 none'"},
      {h + "symbol n computed\nrequire a%2\ninput x f32 ?0\n" + y,
       "bad require message 'a%2'"},
      // The affine kernel exports no plan function.
      {h + "symbol n\ninput x f32 ?0x3\n" + y,
       "does not export 'mlc_artifact_plan'"},
  };
  for (const Case &c : cases) {
    INFO(c.metadata);
    std::string message;
    CHECK(loadAffineWith(c.metadata, message) == MLC_ERROR_CORRUPT_ARTIFACT);
    CHECK_THAT(message, Catch::Contains(c.message));
    CHECK_THAT(message, Catch::StartsWith(workPath("case.mlc") + ": "));
  }

  // An escaped NUL in the metadata is rejected before parsing.
  std::string message;
  CHECK(loadAffineWith(h + std::string("input x\0 f32 2x3\n", 17) + y,
                       message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("contains a NUL byte"));
}

TEST_CASE("load accepts rank up to the limit", "[load][metadata]") {
  std::string dims = "1";
  for (int i = 1; i < MLC_ARTIFACT_MAX_RANK; ++i)
    dims += "x1";
  std::string message;
  std::string path = makeArtifact(
      MLC_TEST_AFFINE_ELF,
      metadataHeader() + "input x f32 " + dims + "\noutput y f32 2x3\n",
      "rank.mlc");
  mlc_model *model = nullptr;
  REQUIRE(mlc_model_load(path.c_str(), &model) == MLC_OK);
  mlc_model_free(model);
  CHECK(loadAffineWith(metadataHeader() + "input x f32 " + dims +
                           "x1\noutput y f32 2x3\n",
                       message) == MLC_ERROR_CORRUPT_ARTIFACT);
  CHECK_THAT(message, Catch::Contains("rank exceeds 32"));
}
