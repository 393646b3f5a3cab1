/* The mlc artifact file format (ABI 2), shared by the writer (compiler) and the reader (runtime). */
#ifndef MLC_ARTIFACT_FORMAT_H
#define MLC_ARTIFACT_FORMAT_H

/*
 * An artifact is [ELF shared object][metadata text][64-byte trailer]. The
 * dynamic loader ignores bytes after the ELF image, so the ELF part is loaded
 * as-is. docs/artifact.md is the full specification; everything a writer or a
 * reader needs to agree on lives in this header, header-only, in C that also
 * compiles as C++.
 */

#include <dlpack/dlpack.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
// This header is C; keep C++ includers' stricter warnings quiet about it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
extern "C" {
#endif

/// The eight magic bytes that open the trailer (no NUL terminator is stored).
#define MLC_ARTIFACT_MAGIC "MLCART01"
/// Number of magic bytes in the trailer.
#define MLC_ARTIFACT_MAGIC_SIZE 8
/// The artifact ABI version this header describes.
#define MLC_ARTIFACT_ABI_VERSION 2u
/// Size in bytes of the trailer at the very end of an artifact file.
#define MLC_ARTIFACT_TRAILER_SIZE 64
/// Name of the entry point every artifact's ELF part exports.
#define MLC_ARTIFACT_ENTRY_SYMBOL "mlc_artifact_run"
/// Alignment in bytes of the arena the runtime passes to the entry point.
#define MLC_ARTIFACT_ARENA_ALIGNMENT 64
/// Highest tensor rank the metadata may declare.
#define MLC_ARTIFACT_MAX_RANK 32

/* ---- CUDA artifacts (docs/artifact.md, "CUDA artifacts") ---- */

/// `target` of a CUDA artifact.
#define MLC_ARTIFACT_CUDA_TARGET "nvptx64-nvidia-cuda"
/// ELF data symbol holding the NUL-terminated PTX text.
#define MLC_ARTIFACT_CUDA_PTX_SYMBOL "mlc_cuda_ptx"
/// Prefix of the ELF data symbols holding cubins ("mlc_cuda_cubin_sm_80").
#define MLC_ARTIFACT_CUDA_CUBIN_SYMBOL_PREFIX "mlc_cuda_cubin_"
/// ELF data symbol holding the weights copied to the device.
#define MLC_ARTIFACT_CUDA_WEIGHTS_SYMBOL "mlc_cuda_weights"
/// Suffix of the uint64_t symbol that gives each data symbol's size in bytes.
#define MLC_ARTIFACT_CUDA_SIZE_SUFFIX "_size"
/// Alignment in bytes of the device arena, weights and staging buffers.
#define MLC_ARTIFACT_CUDA_ALIGNMENT 256
/// Most threads of one CUDA block.
#define MLC_ARTIFACT_CUDA_MAX_BLOCK_THREADS 1024

/// A piece of parallel work: runs iterations [begin, end) of a loop whose
/// iterations are independent. `args` is the loop's captured state.
typedef void (*mlc_task_fn)(void *args, int64_t begin, int64_t end);

/// Runs fn over [0, count) split into disjoint ranges, possibly on several
/// threads, and returns when all of them have finished. Every iteration runs
/// exactly once. May run everything on the calling thread.
typedef void (*mlc_parallel_for_fn)(void *pool, mlc_task_fn fn, void *args,
                                    int64_t count);

/// A string element (dtype `str`): `size` bytes at `data`, not
/// NUL-terminated (data may be NULL when size is 0). Str tensors are arrays
/// of these, 16-byte aligned (the compiled code moves each as one 128-bit
/// value); the bytes belong to whoever made the tensor (the caller for
/// inputs, the run's string store for strings a run makes) and must outlive
/// their use.
typedef struct __attribute__((aligned(16))) mlc_string {
  const char *data; ///< The bytes (NULL only when size is 0).
  uint64_t size;    ///< Byte count.
} mlc_string;

struct mlc_exec_context;

/// Functions the runtime lends the compiled code for the host ops (the
/// string ops; docs/artifact.md, "Host functions"). Entries are only ever
/// appended; `struct_size` says how many there are.
typedef struct mlc_host_api {
  uint32_t struct_size; ///< sizeof(mlc_host_api) of the runtime.
  uint32_t reserved;    ///< Zero.
  /// string_equal: out[i] = (a[i] == b[i]), i < n (offset 8).
  void (*string_equal)(const mlc_string *a, const mlc_string *b, uint8_t *out,
                       int64_t n);
  /// string_index: out[i] = the position of x[i] among the keys of `table`
  /// (hostStringTable's layout), or -1 (offset 16).
  void (*string_index)(const mlc_string *x, int64_t n, const uint8_t *table,
                       int64_t *out);
  /// string_concat: out[i] = a[i] followed by b[i], its bytes in the run's
  /// string store (context->strings) (offset 24).
  void (*string_concat)(const struct mlc_exec_context *context,
                        const mlc_string *a, const mlc_string *b,
                        mlc_string *out, int64_t n);
  /// string_case: out[i] = x[i] with ASCII letters upper- (upper != 0) or
  /// lowercased, in the string store (offset 32).
  void (*string_case)(const struct mlc_exec_context *context,
                      const mlc_string *x, mlc_string *out, int64_t n,
                      int64_t upper);
  /// regex_full_match: out[i] = whether the whole of x[i] matches the
  /// compiled `program` (compileRegex's layout) (offset 40).
  void (*regex_full_match)(const mlc_string *x, int64_t n,
                           const uint8_t *program, uint8_t *out);
  /// string_split: splits each x[i], i < n, as `spec` says (hostSplitSpec's
  /// layout: i64 max splits, -1 for no limit; u64 delimiter length L; L
  /// bytes, none for runs of whitespace). When `pieces` is not NULL, row i
  /// (pieces + i * width) gets the first `width` pieces, pointing into
  /// x[i]'s bytes, then empty strings; when `counts` is not NULL, counts[i]
  /// gets the number of pieces (offset 48).
  void (*string_split)(const mlc_string *x, int64_t n, const uint8_t *spec,
                       int64_t width, mlc_string *pieces, int64_t *counts);
} mlc_host_api;

/// Where a run's new strings live (opaque; runtime.h: mlc_strings_create).
typedef struct mlc_strings mlc_strings;

/// Trailer flag: the code calls the host functions (mlc_exec_context.host),
/// which a runtime must provide to load it.
#define MLC_ARTIFACT_FLAG_HOST_API 1u

/// What the runtime hands the entry point on every call (ABI 2). Generated
/// code reads the fields at fixed offsets (64-bit targets): num_threads at
/// 4, pool at 8, parallel_for at 16, symbols at 24, host at 32 and strings
/// at 40, so the layout is frozen; fields are only appended.
typedef struct mlc_exec_context {
  uint32_t struct_size;             ///< sizeof(mlc_exec_context).
  int32_t num_threads;              ///< Threads parallel_for may use (>= 1).
  void *pool;                       ///< Opaque; passed back to parallel_for.
  mlc_parallel_for_fn parallel_for; ///< Never NULL.
  /// Artifacts with `symbol` lines (dynamic shapes) read it at offset 24:
  /// the value of each symbol, in metadata order; NULL for the others. The
  /// entry's plan stores the `computed` symbols there (the same values the
  /// runtime's own mlc_artifact_plan call stored before).
  int64_t *symbols;
  /// Offset 32: the host functions (artifacts with the trailer flag
  /// MLC_ARTIFACT_FLAG_HOST_API read them); never NULL for those.
  const mlc_host_api *host;
  /// Offset 40: the string store of this run (NULL unless the model makes
  /// strings: metadata `makes_strings`); only the host functions use it.
  mlc_strings *strings;
} mlc_exec_context;

/// Signature of `mlc_artifact_plan`, which artifacts with `symbol` lines
/// export. `symbols` holds the value of each symbol in metadata order, the
/// ones bound by input shapes and values filled in; the plan computes the
/// `computed` ones into it. It returns the arena bytes a run needs, -1 when
/// a size overflows or a shape symbol is negative, -2 - c when `constraint`
/// line c (0-based) does not hold, or -2 - C - r (C constraint lines) when
/// the check of `require` line r fails; with `offsets` not NULL it also
/// stores each arena buffer's offset there.
typedef int64_t (*mlc_artifact_plan_fn)(int64_t *symbols, int64_t *offsets);

/// Name of the plan function of artifacts with symbolic dims.
#define MLC_ARTIFACT_PLAN_SYMBOL "mlc_artifact_plan"
/// Most `symbol` lines an artifact may have.
#define MLC_ARTIFACT_MAX_SYMBOLS 1024

/// Signature of the exported entry point. `context` is never NULL.
/// inputs/outputs hold data pointers in metadata order; arena points to
/// arena_bytes bytes aligned to MLC_ARTIFACT_ARENA_ALIGNMENT (NULL when
/// arena_bytes is 0). Returns 0 on success. Must be reentrant: concurrent
/// calls with distinct arenas are safe.
typedef int32_t (*mlc_artifact_run_fn)(const mlc_exec_context *context,
                                       void *const *inputs,
                                       void *const *outputs, void *arena);

/// The trailer in host form. Its on-disk form is exactly 64 bytes,
/// little-endian, in this field order; use mlc_artifact_trailer_encode/decode
/// rather than copying the struct, so byte order never matters.
typedef struct mlc_artifact_trailer {
  char magic[MLC_ARTIFACT_MAGIC_SIZE]; ///< MLC_ARTIFACT_MAGIC.
  uint32_t abi_version;                ///< MLC_ARTIFACT_ABI_VERSION.
  uint32_t flags;                      ///< Must be 0 in ABI 2.
  uint64_t elf_size;                   ///< Bytes of the ELF part.
  uint64_t metadata_size;              ///< Bytes of the metadata part.
  uint64_t checksum;                   ///< mlc_artifact_checksum(ELF+metadata).
  uint8_t reserved[24];                ///< Zero when written; ignored when read.
} mlc_artifact_trailer;

#ifdef __cplusplus
static_assert(sizeof(mlc_artifact_trailer) == MLC_ARTIFACT_TRAILER_SIZE,
              "trailer must be 64 bytes");
#else
_Static_assert(sizeof(mlc_artifact_trailer) == MLC_ARTIFACT_TRAILER_SIZE,
               "trailer must be 64 bytes");
#endif

/* ---- Little-endian byte access (alignment-safe) ---- */

/// Reads a little-endian uint64 from possibly unaligned memory.
static inline uint64_t mlc_artifact_load_u64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/// Reads a little-endian uint32 from possibly unaligned memory.
static inline uint32_t mlc_artifact_load_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

/// Writes a little-endian uint64 to possibly unaligned memory.
static inline void mlc_artifact_store_u64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

/// Writes a little-endian uint32 to possibly unaligned memory.
static inline void mlc_artifact_store_u32(uint8_t *p, uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  memcpy(p, &v, 4);
}

/* ---- Checksum: XXH64 with seed 0 ---- */

#define MLC_XXH_P1 UINT64_C(0x9E3779B185EBCA87)
#define MLC_XXH_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define MLC_XXH_P3 UINT64_C(0x165667B19E3779F9)
#define MLC_XXH_P4 UINT64_C(0x85EBCA77C2B2AE63)
#define MLC_XXH_P5 UINT64_C(0x27D4EB2F165667C5)

/// Rotates left; helper of mlc_artifact_checksum.
static inline uint64_t mlc_artifact_rotl64(uint64_t x, unsigned r) {
  return (x << r) | (x >> (64u - r));
}

/// One XXH64 accumulator round; helper of mlc_artifact_checksum.
static inline uint64_t mlc_artifact_xxh_round(uint64_t acc, uint64_t input) {
  acc += input * MLC_XXH_P2;
  acc = mlc_artifact_rotl64(acc, 31);
  return acc * MLC_XXH_P1;
}

/// Folds one lane into the hash; helper of mlc_artifact_checksum.
static inline uint64_t mlc_artifact_xxh_merge(uint64_t h, uint64_t lane) {
  h ^= mlc_artifact_xxh_round(0, lane);
  return h * MLC_XXH_P1 + MLC_XXH_P4;
}

/// The artifact checksum: XXH64 (seed 0) of `size` bytes. XXH64 reads eight
/// bytes at a time over four independent lanes (several GB/s), is fully
/// specified in docs/artifact.md, and matches `xxhsum -H64` so a file can be
/// checked with standard tools.
static inline uint64_t mlc_artifact_checksum(const void *data, uint64_t size) {
  const uint8_t *p = (const uint8_t *)data;
  const uint8_t *end = p + size;
  uint64_t h;
  if (size >= 32) {
    uint64_t v1 = MLC_XXH_P1 + MLC_XXH_P2;
    uint64_t v2 = MLC_XXH_P2;
    uint64_t v3 = 0;
    uint64_t v4 = (uint64_t)0 - MLC_XXH_P1;
    const uint8_t *limit = end - 32;
    do {
      v1 = mlc_artifact_xxh_round(v1, mlc_artifact_load_u64(p));
      v2 = mlc_artifact_xxh_round(v2, mlc_artifact_load_u64(p + 8));
      v3 = mlc_artifact_xxh_round(v3, mlc_artifact_load_u64(p + 16));
      v4 = mlc_artifact_xxh_round(v4, mlc_artifact_load_u64(p + 24));
      p += 32;
    } while (p <= limit);
    h = mlc_artifact_rotl64(v1, 1) + mlc_artifact_rotl64(v2, 7) +
        mlc_artifact_rotl64(v3, 12) + mlc_artifact_rotl64(v4, 18);
    h = mlc_artifact_xxh_merge(h, v1);
    h = mlc_artifact_xxh_merge(h, v2);
    h = mlc_artifact_xxh_merge(h, v3);
    h = mlc_artifact_xxh_merge(h, v4);
  } else {
    h = MLC_XXH_P5;
  }
  h += size;
  while ((size_t)(end - p) >= 8) {
    h ^= mlc_artifact_xxh_round(0, mlc_artifact_load_u64(p));
    h = mlc_artifact_rotl64(h, 27) * MLC_XXH_P1 + MLC_XXH_P4;
    p += 8;
  }
  if ((size_t)(end - p) >= 4) {
    h ^= (uint64_t)mlc_artifact_load_u32(p) * MLC_XXH_P1;
    h = mlc_artifact_rotl64(h, 23) * MLC_XXH_P2 + MLC_XXH_P3;
    p += 4;
  }
  while (p < end) {
    h ^= (uint64_t)(*p) * MLC_XXH_P5;
    h = mlc_artifact_rotl64(h, 11) * MLC_XXH_P1;
    ++p;
  }
  h ^= h >> 33;
  h *= MLC_XXH_P2;
  h ^= h >> 29;
  h *= MLC_XXH_P3;
  h ^= h >> 32;
  return h;
}

/* ---- Trailer ---- */

/// Fills a trailer for ABI MLC_ARTIFACT_ABI_VERSION with zero flags/reserved.
static inline void mlc_artifact_trailer_init(mlc_artifact_trailer *t,
                                             uint64_t elf_size,
                                             uint64_t metadata_size,
                                             uint64_t checksum) {
  memset(t, 0, sizeof(*t));
  memcpy(t->magic, MLC_ARTIFACT_MAGIC, MLC_ARTIFACT_MAGIC_SIZE);
  t->abi_version = MLC_ARTIFACT_ABI_VERSION;
  t->flags = 0;
  t->elf_size = elf_size;
  t->metadata_size = metadata_size;
  t->checksum = checksum;
}

/// Serializes a trailer into its 64-byte little-endian on-disk form.
static inline void
mlc_artifact_trailer_encode(const mlc_artifact_trailer *t,
                            uint8_t out[MLC_ARTIFACT_TRAILER_SIZE]) {
  memcpy(out, t->magic, MLC_ARTIFACT_MAGIC_SIZE);
  mlc_artifact_store_u32(out + 8, t->abi_version);
  mlc_artifact_store_u32(out + 12, t->flags);
  mlc_artifact_store_u64(out + 16, t->elf_size);
  mlc_artifact_store_u64(out + 24, t->metadata_size);
  mlc_artifact_store_u64(out + 32, t->checksum);
  memcpy(out + 40, t->reserved, sizeof(t->reserved));
}

/// Parses the 64-byte on-disk form into a trailer; performs no validation.
static inline void
mlc_artifact_trailer_decode(const uint8_t in[MLC_ARTIFACT_TRAILER_SIZE],
                            mlc_artifact_trailer *t) {
  memcpy(t->magic, in, MLC_ARTIFACT_MAGIC_SIZE);
  t->abi_version = mlc_artifact_load_u32(in + 8);
  t->flags = mlc_artifact_load_u32(in + 12);
  t->elf_size = mlc_artifact_load_u64(in + 16);
  t->metadata_size = mlc_artifact_load_u64(in + 24);
  t->checksum = mlc_artifact_load_u64(in + 32);
  memcpy(t->reserved, in + 40, sizeof(t->reserved));
}

/// Writer convenience: given `payload` = ELF bytes immediately followed by
/// metadata bytes, computes the checksum and writes the encoded trailer that
/// must be appended after the payload.
static inline void
mlc_artifact_trailer_build(const void *payload, uint64_t elf_size,
                           uint64_t metadata_size,
                           uint8_t out[MLC_ARTIFACT_TRAILER_SIZE]) {
  mlc_artifact_trailer t;
  mlc_artifact_trailer_init(
      &t, elf_size, metadata_size,
      mlc_artifact_checksum(payload, elf_size + metadata_size));
  mlc_artifact_trailer_encode(&t, out);
}

/// mlc_artifact_trailer_build with trailer `flags` (MLC_ARTIFACT_FLAG_*).
static inline void
mlc_artifact_trailer_build_flags(const void *payload, uint64_t elf_size,
                                 uint64_t metadata_size, uint32_t flags,
                                 uint8_t out[MLC_ARTIFACT_TRAILER_SIZE]) {
  mlc_artifact_trailer t;
  mlc_artifact_trailer_init(
      &t, elf_size, metadata_size,
      mlc_artifact_checksum(payload, elf_size + metadata_size));
  t.flags = flags;
  mlc_artifact_trailer_encode(&t, out);
}

/* ---- Element types ---- */

/// Number of element type names the metadata may use.
#define MLC_ARTIFACT_NUM_DTYPES 24

/// DLPack 1.1 type codes of the narrow float formats (newer than the DLPack
/// 0.6 header mlc builds with; same values).
#define MLC_DL_FLOAT8_E4M3FN 10
#define MLC_DL_FLOAT8_E4M3FNUZ 11
#define MLC_DL_FLOAT8_E5M2 12
#define MLC_DL_FLOAT8_E5M2FNUZ 13
#define MLC_DL_FLOAT8_E8M0FNU 14
#define MLC_DL_FLOAT4_E2M1FN 17

/// The index-th element type (0 <= index < MLC_ARTIFACT_NUM_DTYPES): writes its
/// metadata name and DLPack type. Returns 0, or -1 past the end. DLPack 0.6 has
/// no boolean code, so `bool` is one byte {kDLUInt, 8, 1}, the same DLPack type
/// as `u8`; it is checked as such at run time. The float8 and float4 formats
/// use DLPack 1.1's codes (MLC_DL_FLOAT8_*). Types of fewer than 8 bits
/// (f4e2m1, i4, u4, i2, u2) are packed in DLPack tensors, the first element
/// in the lowest bits of a byte, as in ONNX; mlc_artifact_run takes them one
/// element per byte (docs/artifact.md).
static inline int mlc_artifact_dtype_at(int32_t index, const char **name,
                                        DLDataType *dtype) {
  static const struct {
    const char *name;
    uint8_t code;
    uint8_t bits;
  } table[MLC_ARTIFACT_NUM_DTYPES] = {
      {"f32", kDLFloat, 32},
      {"f64", kDLFloat, 64},
      {"f16", kDLFloat, 16},
      {"bf16", kDLBfloat, 16},
      {"i8", kDLInt, 8},
      {"i16", kDLInt, 16},
      {"i32", kDLInt, 32},
      {"i64", kDLInt, 64},
      {"u8", kDLUInt, 8},
      {"u16", kDLUInt, 16},
      {"u32", kDLUInt, 32},
      {"u64", kDLUInt, 64},
      {"bool", kDLUInt, 8},
      {"f8e4m3fn", MLC_DL_FLOAT8_E4M3FN, 8},
      {"f8e4m3fnuz", MLC_DL_FLOAT8_E4M3FNUZ, 8},
      {"f8e5m2", MLC_DL_FLOAT8_E5M2, 8},
      {"f8e5m2fnuz", MLC_DL_FLOAT8_E5M2FNUZ, 8},
      {"f4e2m1", MLC_DL_FLOAT4_E2M1FN, 4},
      {"i4", kDLInt, 4},
      {"u4", kDLUInt, 4},
      {"i2", kDLInt, 2},
      {"u2", kDLUInt, 2},
      {"f8e8m0", MLC_DL_FLOAT8_E8M0FNU, 8},
      {"str", kDLOpaqueHandle, 128}, // mlc_string elements
  };
  if (index < 0 || index >= MLC_ARTIFACT_NUM_DTYPES)
    return -1;
  if (name)
    *name = table[index].name;
  if (dtype) {
    dtype->code = table[index].code;
    dtype->bits = table[index].bits;
    dtype->lanes = 1;
  }
  return 0;
}

/// Looks up a metadata dtype name (`f32`, `bool`, ...) among the first `len`
/// bytes of `name`. Returns 0 and fills *dtype, or -1 if the name is unknown.
static inline int mlc_artifact_dtype_parse(const char *name, size_t len,
                                           DLDataType *dtype) {
  for (int32_t i = 0; i < MLC_ARTIFACT_NUM_DTYPES; ++i) {
    const char *candidate;
    mlc_artifact_dtype_at(i, &candidate, dtype);
    if (strlen(candidate) == len && memcmp(candidate, name, len) == 0)
      return 0;
  }
  return -1;
}

/// The metadata name of a DLPack type, or NULL if the format cannot express
/// it. {kDLUInt, 8, 1} names as `u8` (see mlc_artifact_dtype_at about bool).
static inline const char *mlc_artifact_dtype_name(DLDataType dtype) {
  for (int32_t i = 0; i < MLC_ARTIFACT_NUM_DTYPES; ++i) {
    const char *name;
    DLDataType candidate;
    mlc_artifact_dtype_at(i, &name, &candidate);
    if (candidate.code == dtype.code && candidate.bits == dtype.bits &&
        candidate.lanes == dtype.lanes)
      return name;
  }
  return NULL;
}

/* ---- Tensor names ---- */

/// True for the bytes a tensor name may carry unescaped: [A-Za-z0-9_.:/-].
static inline int mlc_artifact_name_byte_is_plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
         c == '/' || c == '-';
}

/// Percent-encodes `len` bytes of `name` (every byte outside the plain set
/// becomes %XX, uppercase hex). Returns the encoded length (without NUL).
/// Writes the encoding plus a NUL only if `out_cap` exceeds that length.
static inline size_t mlc_artifact_name_encode(const char *name, size_t len,
                                              char *out, size_t out_cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t need = 0;
  for (size_t i = 0; i < len; ++i)
    need += mlc_artifact_name_byte_is_plain((unsigned char)name[i]) ? 1u : 3u;
  if (out == NULL || out_cap <= need)
    return need;
  size_t o = 0;
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)name[i];
    if (mlc_artifact_name_byte_is_plain(c)) {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  out[o] = '\0';
  return need;
}

/// Value of one hex digit, or -1; helper of mlc_artifact_name_decode.
static inline int mlc_artifact_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/// Decodes `len` bytes of a percent-encoded name into `out` (which needs
/// len + 1 bytes) and NUL-terminates it. Returns the decoded length, or -1 if
/// the text has a byte outside the plain set, a malformed escape, or an
/// escaped NUL.
static inline int64_t mlc_artifact_name_decode(const char *in, size_t len,
                                               char *out) {
  size_t o = 0;
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = (unsigned char)in[i];
    if (c == '%') {
      if (len - i < 3)
        return -1;
      int hi = mlc_artifact_hex_digit(in[i + 1]);
      int lo = mlc_artifact_hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return -1;
      out[o++] = (char)(unsigned char)(hi * 16 + lo);
      i += 2;
    } else if (mlc_artifact_name_byte_is_plain(c)) {
      out[o++] = (char)c;
    } else {
      return -1;
    }
  }
  out[o] = '\0';
  return (int64_t)o;
}

#ifdef __cplusplus
} // extern "C"
#pragma GCC diagnostic pop
#endif

#endif // MLC_ARTIFACT_FORMAT_H
