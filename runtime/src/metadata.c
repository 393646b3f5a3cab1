/* Strict parser for the artifact metadata text (docs/artifact.md). */
#include "internal.h"

#include "mlc/artifact_format.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/// Parses a canonical unsigned decimal (no sign, no leading zeros) of `len`
/// bytes that must not exceed `max`. Returns 0 on success.
static int parse_u64(const char *text, size_t len, uint64_t max,
                     uint64_t *out) {
  if (len == 0 || (len > 1 && text[0] == '0'))
    return -1;
  uint64_t value = 0;
  for (size_t i = 0; i < len; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return -1;
    uint64_t digit = (uint64_t)(text[i] - '0');
    if (value > (max - digit) / 10)
      return -1;
    value = value * 10 + digit;
  }
  *out = value;
  return 0;
}

/// Copies `len` bytes into a new NUL-terminated string, or NULL.
static char *copy_text(const char *text, size_t len) {
  char *copy = malloc(len + 1);
  if (copy) {
    memcpy(copy, text, len);
    copy[len] = '\0';
  }
  return copy;
}

/// Parses `<name> <dtype> <dims>` into `desc`. On failure sets the error.
static mlc_status parse_tensor(const char *path, int32_t line,
                               const char *value, int32_t num_symbols,
                               mlc_tensor_desc *desc) {
  const char *name = value;
  const char *space1 = strchr(name, ' ');
  const char *dtype = space1 ? space1 + 1 : NULL;
  const char *space2 = dtype ? strchr(dtype, ' ') : NULL;
  const char *dims = space2 ? space2 + 1 : NULL;
  if (!dims || strchr(dims, ' ') || space1 == name || space2 == dtype ||
      *dims == '\0')
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: expected "
                         "'<name> <dtype> <dims>'",
                         path, line);
  size_t name_len = (size_t)(space1 - name);
  size_t dtype_len = (size_t)(space2 - dtype);

  desc->name = malloc(name_len + 1);
  if (!desc->name)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  if (mlc_artifact_name_decode(name, name_len, desc->name) < 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: bad tensor name "
                         "encoding '%.*s'",
                         path, line, (int)name_len, name);
  if (desc->name[0] == '\0')
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: empty tensor name",
                         path, line);

  // `bool` and `u8` share a DLPack type, so keep the spelling for messages.
  for (int32_t i = 0; !desc->dtype_name && i < MLC_ARTIFACT_NUM_DTYPES; ++i) {
    const char *candidate;
    mlc_artifact_dtype_at(i, &candidate, &desc->dtype);
    if (strlen(candidate) == dtype_len &&
        memcmp(candidate, dtype, dtype_len) == 0)
      desc->dtype_name = candidate;
  }
  if (!desc->dtype_name)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: unknown dtype '%.*s'",
                         path, line, (int)dtype_len, dtype);

  desc->shape_text = copy_text(dims, strlen(dims));
  if (!desc->shape_text)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);

  int32_t ndim = 0;
  if (strcmp(dims, "scalar") != 0) {
    ndim = 1;
    for (const char *c = dims; *c; ++c)
      if (*c == 'x' && ++ndim > MLC_ARTIFACT_MAX_RANK)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: rank exceeds %d",
                             path, line, MLC_ARTIFACT_MAX_RANK);
    desc->shape = malloc((size_t)ndim * sizeof(int64_t));
    desc->dim_symbol = malloc((size_t)ndim * sizeof(int32_t));
    if (!desc->shape || !desc->dim_symbol)
      return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                           path);
  }
  desc->ndim = ndim;

  uint64_t elements = 1;
  const char *extent = dims;
  for (int32_t d = 0; d < ndim; ++d) {
    const char *next = strchr(extent, 'x');
    size_t len = next ? (size_t)(next - extent) : strlen(extent);
    uint64_t value;
    desc->dim_symbol[d] = -1;
    if (len > 1 && extent[0] == '?') {
      // A symbolic dim: `?k`, symbol line k.
      uint64_t k;
      if (parse_u64(extent + 1, len - 1, (uint64_t)INT32_MAX, &k) != 0 ||
          k >= (uint64_t)num_symbols)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad symbolic "
                             "dim '%.*s' in dims '%s' (%d symbol lines)",
                             path, line, (int)len, extent, dims, num_symbols);
      desc->dim_symbol[d] = (int32_t)k;
      desc->shape[d] = -1;
      ++desc->num_symbolic;
      extent = next ? next + 1 : extent + len;
      continue;
    }
    if (parse_u64(extent, len, (uint64_t)INT64_MAX, &value) != 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: bad extent '%.*s' "
                           "in dims '%s'",
                           path, line, (int)len, extent, dims);
    desc->shape[d] = (int64_t)value;
    uint64_t product;
    if (__builtin_mul_overflow(elements, value, &product) ||
        product > (uint64_t)INT64_MAX)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: element count of "
                           "dims '%s' overflows",
                           path, line, dims);
    elements = product;
    extent = next ? next + 1 : extent + len;
  }
  uint64_t bytes;
  uint64_t bits = desc->dtype.bits;
  if (__builtin_mul_overflow(elements, bits < 8 ? 1 : bits / 8, &bytes) ||
      bytes > (uint64_t)INT64_MAX || bytes > (uint64_t)SIZE_MAX)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: byte size of dims "
                         "'%s' overflows",
                         path, line, dims);
  if (desc->num_symbolic > 0) {
    // Resolved per run (mlc_resolve_desc).
    if (bits < 8)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: a sub-byte tensor "
                           "cannot have symbolic dims",
                           path, line);
    return MLC_OK;
  }
  desc->num_elements = elements;
  desc->storage_size = bytes;
  // Sub-byte types: packed in the caller's tensor (elements <= INT64_MAX,
  // so elements * bits cannot overflow 64 bits for bits < 8).
  desc->byte_size = bits < 8 ? (elements * bits + 7) / 8 : bytes;
  return MLC_OK;
}

mlc_status mlc_resolve_desc(const mlc_tensor_desc *desc, const int64_t *symbols,
                            mlc_tensor_desc *out, int64_t *shape) {
  *out = *desc;
  out->shape = shape;
  uint64_t elements = 1;
  for (int32_t d = 0; d < desc->ndim; ++d) {
    int64_t extent = desc->dim_symbol[d] >= 0 ? symbols[desc->dim_symbol[d]]
                                              : desc->shape[d];
    shape[d] = extent;
    uint64_t product;
    if (__builtin_mul_overflow(elements, (uint64_t)extent, &product) ||
        product > (uint64_t)INT64_MAX)
      return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                           "the shape of '%s' overflows at these input shapes",
                           desc->name);
    elements = product;
  }
  uint64_t bytes;
  if (__builtin_mul_overflow(elements, (uint64_t)desc->dtype.bits / 8,
                             &bytes) ||
      bytes > (uint64_t)INT64_MAX || bytes > (uint64_t)SIZE_MAX)
    return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                         "the byte size of '%s' overflows at these input "
                         "shapes",
                         desc->name);
  out->num_elements = elements;
  out->byte_size = bytes;
  out->storage_size = bytes;
  return MLC_OK;
}

int mlc_cuda_arch_parse(const char *text, size_t len, mlc_cuda_arch *out) {
  // sm_ and two or three digits (the last is the minor version), then
  // perhaps "a".
  int32_t specific = len > 0 && text[len - 1] == 'a';
  len -= (size_t)specific;
  if (len < 5 || len > 6 || memcmp(text, "sm_", 3) != 0)
    return -1;
  uint64_t major;
  if (parse_u64(text + 3, len - 4, 99, &major) != 0 || major == 0)
    return -1;
  char minor = text[len - 1];
  if (minor < '0' || minor > '9')
    return -1;
  out->major = (int32_t)major;
  out->minor = minor - '0';
  out->specific = specific;
  return 0;
}

int mlc_cuda_arch_compare(mlc_cuda_arch a, mlc_cuda_arch b) {
  if (a.major != b.major)
    return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor)
    return a.minor < b.minor ? -1 : 1;
  return a.specific < b.specific ? -1 : a.specific > b.specific;
}

/// Parses `cuda_cubins`: comma-separated sm_XY or sm_XYa, strictly
/// ascending.
static mlc_status parse_cubins(const char *path, int32_t line,
                               const char *value, mlc_cuda_plan *plan) {
  if (*value == '\0')
    return MLC_OK;
  int32_t count = 1;
  for (const char *c = value; *c; ++c)
    count += *c == ',';
  plan->cubins = calloc((size_t)count, sizeof(mlc_cuda_arch));
  if (!plan->cubins)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  const char *item = value;
  for (int32_t i = 0; i < count; ++i) {
    size_t len = strcspn(item, ",");
    if (mlc_cuda_arch_parse(item, len, &plan->cubins[i]) != 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: bad cubin "
                           "architecture '%.*s' (expected sm_XY or "
                           "sm_XYa)",
                           path, line, (int)len, item);
    if (i > 0 &&
        mlc_cuda_arch_compare(plan->cubins[i - 1], plan->cubins[i]) >= 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: cuda_cubins must "
                           "be strictly ascending, '%.*s' is out of order",
                           path, line, (int)len, item);
    item += len + 1;
  }
  plan->num_cubins = count;
  return MLC_OK;
}

/// Parses "X,Y,Z" of `len` bytes into `out`, each 1 .. max[i]. Returns 0 on
/// success.
static int parse_dim3(const char *text, size_t len, const uint64_t max[3],
                      uint32_t out[3]) {
  const char *end = text + len;
  for (int i = 0; i < 3; ++i) {
    const char *comma = memchr(text, ',', (size_t)(end - text));
    const char *stop = i < 2 ? comma : end;
    if (!stop || (i == 2 && comma))
      return -1;
    uint64_t value;
    if (parse_u64(text, (size_t)(stop - text), max[i], &value) != 0 ||
        value == 0)
      return -1;
    out[i] = (uint32_t)value;
    text = stop + 1;
  }
  return 0;
}

/// Parses one launch argument: in<i>, out<j>, arena or weights.
static int parse_launch_arg(const char *text, size_t len, mlc_cuda_arg *out) {
  uint64_t index;
  if (len == 5 && memcmp(text, "arena", 5) == 0) {
    out->kind = MLC_CUDA_ARG_ARENA;
  } else if (len == 7 && memcmp(text, "weights", 7) == 0) {
    out->kind = MLC_CUDA_ARG_WEIGHTS;
  } else if (len > 2 && memcmp(text, "in", 2) == 0 &&
             parse_u64(text + 2, len - 2, INT32_MAX, &index) == 0) {
    out->kind = MLC_CUDA_ARG_INPUT;
    out->index = (int32_t)index;
  } else if (len > 3 && memcmp(text, "out", 3) == 0 &&
             parse_u64(text + 3, len - 3, INT32_MAX, &index) == 0) {
    out->kind = MLC_CUDA_ARG_OUTPUT;
    out->index = (int32_t)index;
  } else {
    return -1;
  }
  return 0;
}

/// Parses `<kernel> <gx>,<gy>,<gz> <bx>,<by>,<bz> <shared> <args>`.
static mlc_status parse_launch(const char *path, int32_t line,
                               const char *value, mlc_cuda_launch *launch) {
  launch->line = line;
  const char *fields[5];
  size_t lens[5];
  const char *cursor = value;
  int32_t count = 0;
  int at_end = 0;
  while (count < 5 && !at_end) {
    fields[count] = cursor;
    lens[count] = strcspn(cursor, " ");
    if (lens[count] == 0)
      break;
    cursor += lens[count++];
    at_end = *cursor == '\0';
    cursor += !at_end;
  }
  if (count != 5 || !at_end)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: expected "
                         "'cuda_launch <kernel> <gx>,<gy>,<gz> <bx>,<by>,<bz> "
                         "<shared> <args>'",
                         path, line);

  int name_ok = 1;
  for (size_t i = 0; i < lens[0]; ++i) {
    char c = fields[0][i];
    name_ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') || c == '_';
  }
  if (!name_ok)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: bad kernel name "
                         "'%.*s'",
                         path, line, (int)lens[0], fields[0]);
  launch->kernel = copy_text(fields[0], lens[0]);
  if (!launch->kernel)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);

  static const uint64_t grid_max[3] = {INT32_MAX, 65535, 65535};
  if (parse_dim3(fields[1], lens[1], grid_max, launch->grid) != 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: bad grid '%.*s' "
                         "(expected X,Y,Z with 1 <= X < 2^31 and 1 <= Y, Z < "
                         "65536)",
                         path, line, (int)lens[1], fields[1]);
  static const uint64_t block_max[3] = {1024, 1024, 64};
  if (parse_dim3(fields[2], lens[2], block_max, launch->block) != 0 ||
      (uint64_t)launch->block[0] * launch->block[1] * launch->block[2] >
          MLC_ARTIFACT_CUDA_MAX_BLOCK_THREADS)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: bad block '%.*s' "
                         "(expected X,Y,Z with X, Y <= 1024, Z <= 64, each "
                         ">= 1, at most 1024 threads)",
                         path, line, (int)lens[2], fields[2]);
  uint64_t shared;
  if (parse_u64(fields[3], lens[3], UINT32_MAX, &shared) != 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: line %d: bad shared memory "
                         "size '%.*s'",
                         path, line, (int)lens[3], fields[3]);
  launch->shared_bytes = (uint32_t)shared;

  int32_t num_args = 1;
  for (size_t i = 0; i < lens[4]; ++i)
    num_args += fields[4][i] == ',';
  launch->args = calloc((size_t)num_args, sizeof(mlc_cuda_arg));
  if (!launch->args)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  const char *arg = fields[4];
  for (int32_t i = 0; i < num_args; ++i) {
    size_t len = strcspn(arg, ",");
    if (parse_launch_arg(arg, len, &launch->args[i]) != 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: bad argument "
                           "'%.*s' (expected in<i>, out<j>, arena or "
                           "weights)",
                           path, line, (int)len, arg);
    arg += len + 1;
  }
  launch->num_args = num_args;
  return MLC_OK;
}

/// Checks the keys of a CUDA artifact once every line is parsed.
static mlc_status check_cuda_plan(const char *path, const mlc_model *model,
                                  int have_ptx, int have_cubins,
                                  int have_weights) {
  const mlc_cuda_plan *plan = &model->cuda_plan;
  const char *missing = NULL;
  if (!plan->host_target || *plan->host_target == '\0')
    missing = "host_target";
  else if (!have_ptx)
    missing = "cuda_ptx";
  else if (!have_cubins)
    missing = "cuda_cubins";
  else if (!have_weights)
    missing = "cuda_weights_bytes";
  if (missing)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: missing required key '%s' "
                         "(device cuda)",
                         path, missing);
  if (plan->num_launches == 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: no 'cuda_launch' line", path);
  if (strcmp(model->target, MLC_ARTIFACT_CUDA_TARGET) != 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: target is '%s', expected "
                         "'%s' for device cuda",
                         path, model->target, MLC_ARTIFACT_CUDA_TARGET);
  if (*model->cpu_features != '\0')
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: cpu_features must be empty "
                         "for device cuda",
                         path);
  for (int32_t i = 0; i < plan->num_cubins; ++i)
    if (mlc_cuda_arch_compare(plan->cubins[i], plan->ptx_arch) < 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: cubin sm_%d%d%s is older "
                           "than cuda_ptx sm_%d%d%s",
                           path, plan->cubins[i].major, plan->cubins[i].minor,
                           plan->cubins[i].specific ? "a" : "",
                           plan->ptx_arch.major, plan->ptx_arch.minor,
                           plan->ptx_arch.specific ? "a" : "");
  for (int32_t i = 0; i < plan->num_launches; ++i) {
    const mlc_cuda_launch *launch = &plan->launches[i];
    for (int32_t a = 0; a < launch->num_args; ++a) {
      const mlc_cuda_arg *arg = &launch->args[a];
      int is_input = arg->kind == MLC_CUDA_ARG_INPUT;
      int32_t count = is_input ? model->num_inputs : model->num_outputs;
      if ((is_input || arg->kind == MLC_CUDA_ARG_OUTPUT) && arg->index >= count)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: argument "
                             "'%s%d' but the model has %d %ss",
                             path, launch->line, is_input ? "in" : "out",
                             arg->index, count, is_input ? "input" : "output");
    }
  }
  return MLC_OK;
}

/// True if the key is one this runtime reads at most once.
static int is_singular_key(const char *key) {
  static const char *const keys[] = {
      "mlc_artifact", "mlc_version", "target",      "cpu",
      "cpu_features", "arena_bytes", "model_hash",  "device",
      "host_target",  "cuda_ptx",    "cuda_cubins", "cuda_weights_bytes"};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); ++i)
    if (strcmp(key, keys[i]) == 0)
      return 1;
  return 0;
}

/// Checks tensors of one kind for duplicate names.
static mlc_status check_unique(const char *path, const char *kind,
                               const mlc_tensor_desc *tensors, int32_t count) {
  for (int32_t i = 0; i < count; ++i)
    for (int32_t j = 0; j < i; ++j)
      if (strcmp(tensors[i].name, tensors[j].name) == 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: duplicate %s name '%s'",
                             path, kind, tensors[i].name);
  return MLC_OK;
}

mlc_status mlc_metadata_parse(mlc_model *model, size_t size,
                              uint32_t abi_version, const char *path) {
  const char *text = model->metadata_text;
  if (size == 0 || text[size - 1] != '\n')
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: text must end with a newline",
                         path);

  // Count lines and reject bytes that cannot appear in metadata.
  uint64_t num_lines = 0;
  int32_t line = 1;
  for (size_t i = 0; i < size; ++i) {
    unsigned char c = (unsigned char)text[i];
    if (c == '\n') {
      ++num_lines;
      ++line;
    } else if (c < 0x20 || c == 0x7f) {
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: control byte 0x%02X",
                           path, line, c);
    }
  }
  if (num_lines > (uint64_t)INT32_MAX)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: too many lines", path);

  model->metadata_lines = copy_text(text, size);
  model->entries = calloc((size_t)num_lines, sizeof(mlc_metadata_entry));
  if (!model->metadata_lines || !model->entries)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);

  // Split into entries; count tensors.
  int32_t num_inputs = 0, num_outputs = 0, num_launches = 0;
  char *cursor = model->metadata_lines;
  for (int32_t i = 0; i < (int32_t)num_lines; ++i) {
    char *newline = strchr(cursor, '\n');
    *newline = '\0';
    char *space = strchr(cursor, ' ');
    if (space)
      *space = '\0';
    const char *key = cursor;
    const char *value = space ? space + 1 : newline;
    if (*key == '\0')
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: empty key", path,
                           i + 1);
    if (i == 0 && strcmp(key, "mlc_artifact") != 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: first line must be "
                           "'mlc_artifact <abi>'",
                           path);
    if (is_singular_key(key))
      for (int32_t j = 0; j < i; ++j)
        if (strcmp(model->entries[j].key, key) == 0)
          return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                               "%s: corrupt metadata: line %d: duplicate key "
                               "'%s'",
                               path, i + 1, key);
    if (strcmp(key, "input") == 0)
      ++num_inputs;
    if (strcmp(key, "output") == 0)
      ++num_outputs;
    if (strcmp(key, "cuda_launch") == 0)
      ++num_launches;
    model->entries[i].key = key;
    model->entries[i].value = value;
    cursor = newline + 1;
  }
  model->num_entries = (int32_t)num_lines;

  if (num_inputs > 0 &&
      !(model->inputs = calloc((size_t)num_inputs, sizeof(mlc_tensor_desc))))
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  if (num_outputs > 0 &&
      !(model->outputs = calloc((size_t)num_outputs, sizeof(mlc_tensor_desc))))
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);

  // `device` decides how the CUDA keys are read, wherever it appears.
  model->device_type = kDLCPU;
  for (int32_t i = 0; i < model->num_entries; ++i) {
    const char *value = model->entries[i].value;
    if (strcmp(model->entries[i].key, "device") != 0)
      continue;
    if (strcmp(value, "cuda") == 0)
      model->device_type = kDLCUDA;
    else if (strcmp(value, "cpu") != 0)
      return mlc_set_error(MLC_ERROR_INCOMPATIBLE_ARTIFACT,
                           "%s: metadata line %d: device '%s' is not one this "
                           "runtime supports (cpu, cuda)",
                           path, i + 1, value);
  }
  int is_cuda = model->device_type == kDLCUDA;
  mlc_cuda_plan *plan = &model->cuda_plan;
  if (is_cuda && num_launches > 0 &&
      !(plan->launches = calloc((size_t)num_launches, sizeof(mlc_cuda_launch))))
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);

  // Symbols first: dims name them by index wherever the lines are.
  int32_t num_constraints = 0, num_requires = 0;
  for (int32_t i = 0; i < model->num_entries; ++i) {
    const char *key = model->entries[i].key;
    if (strcmp(key, "constraint") == 0)
      ++num_constraints;
    if (strcmp(key, "require") == 0)
      ++num_requires;
    if (strcmp(key, "symbol") != 0)
      continue;
    if (model->num_symbols == MLC_ARTIFACT_MAX_SYMBOLS)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: more than %d symbols", path,
                           MLC_ARTIFACT_MAX_SYMBOLS);
    if (!model->symbols &&
        (!(model->symbols = calloc(MLC_ARTIFACT_MAX_SYMBOLS, sizeof(char *))) ||
         !(model->bindings = calloc(MLC_ARTIFACT_MAX_SYMBOLS,
                                    sizeof(mlc_symbol_binding)))))
      return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    // `NAME`, `NAME value INPUT ELEMENT` or `NAME computed`.
    const char *value = model->entries[i].value;
    const char *space = strchr(value, ' ');
    size_t len = space ? (size_t)(space - value) : strlen(value);
    char *name = malloc(len + 1);
    if (!name)
      return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
    mlc_symbol_binding *binding = &model->bindings[model->num_symbols];
    model->symbols[model->num_symbols++] = name;
    if (len == 0 || mlc_artifact_name_decode(value, len, name) < 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: bad symbol name "
                           "'%s'",
                           path, i + 1, value);
    if (!space) {
      binding->kind = MLC_SYMBOL_SHAPE;
      ++model->num_shape_symbols;
      continue;
    }
    const char *rest = space + 1;
    if (strcmp(rest, "computed") == 0) {
      binding->kind = MLC_SYMBOL_COMPUTED;
      continue;
    }
    if (strncmp(rest, "late ", 5) == 0) {
      uint64_t bound;
      if (parse_u64(rest + 5, strlen(rest + 5), INT64_MAX, &bound) != 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad symbol '%s' "
                             "(expected 'NAME late BOUND')",
                             path, i + 1, value);
      binding->kind = MLC_SYMBOL_LATE;
      binding->bound = (int64_t)bound;
      continue;
    }
    if (strncmp(rest, "split ", 6) == 0) {
      // `split INPUT MAXSPLIT DELIMITER`: MAXSPLIT `none` or a count,
      // DELIMITER hex bytes or `-` (whitespace).
      const char *a = rest + 6;
      const char *g1 = strchr(a, ' ');
      const char *g2 = g1 ? strchr(g1 + 1, ' ') : NULL;
      const char *hex = g2 ? g2 + 1 : NULL;
      size_t hex_len = hex ? strlen(hex) : 0;
      uint64_t input, max_split = 0;
      int bad = !g2 || parse_u64(a, (size_t)(g1 - a), INT32_MAX, &input) != 0 ||
                hex_len == 0 || strchr(hex, ' ') != NULL;
      int unlimited =
          !bad && (size_t)(g2 - g1 - 1) == 4 && strncmp(g1 + 1, "none", 4) == 0;
      if (!bad && !unlimited)
        bad = parse_u64(g1 + 1, (size_t)(g2 - g1 - 1), INT64_MAX, &max_split) !=
              0;
      int whitespace = !bad && hex_len == 1 && hex[0] == '-';
      if (!bad && !whitespace) {
        bad = hex_len % 2 != 0;
        if (!bad && !(binding->delimiter = malloc(hex_len / 2)))
          return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                               path);
        for (size_t h = 0; !bad && h < hex_len; ++h) {
          char c = hex[h];
          int v = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : -1;
          if (v < 0)
            bad = 1;
          else if (h % 2 == 0)
            binding->delimiter[h / 2] = (char)(v << 4);
          else
            binding->delimiter[h / 2] |= (char)v;
        }
        if (!bad)
          binding->delimiter_size = hex_len / 2;
      }
      if (bad)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad symbol '%s' "
                             "(expected 'NAME split INPUT MAXSPLIT "
                             "DELIMITER')",
                             path, i + 1, value);
      binding->kind = MLC_SYMBOL_SPLIT;
      binding->input = (int32_t)input;
      binding->max_split = unlimited ? -1 : (int64_t)max_split;
      continue;
    }
    const char *at = strncmp(rest, "value ", 6) == 0 ? rest + 6 : NULL;
    const char *gap = at ? strchr(at, ' ') : NULL;
    const char *gap2 = gap ? strchr(gap + 1, ' ') : NULL;
    const char *element_end = gap2 ? gap2 : (gap ? gap + strlen(gap) : NULL);
    uint64_t input, element, scale = 1;
    if (!gap || parse_u64(at, (size_t)(gap - at), INT32_MAX, &input) != 0 ||
        parse_u64(gap + 1, (size_t)(element_end - gap - 1), INT64_MAX,
                  &element) != 0 ||
        (gap2 &&
         (parse_u64(gap2 + 1, strlen(gap2 + 1), INT64_MAX, &scale) != 0 ||
          scale == 0)))
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: line %d: bad symbol '%s' "
                           "(expected 'NAME', 'NAME value INPUT ELEMENT "
                           "[SCALE]', 'NAME computed', 'NAME late BOUND' or "
                           "'NAME split INPUT MAXSPLIT DELIMITER')",
                           path, i + 1, value);
    binding->kind = MLC_SYMBOL_VALUE;
    binding->input = (int32_t)input;
    binding->element = (int64_t)element;
    binding->scale = (int64_t)scale;
  }
  if (num_requires > 0 &&
      !(model->require_messages = calloc((size_t)num_requires, sizeof(char *))))
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  if (num_constraints > 0 &&
      !(model->constraints =
            calloc((size_t)num_constraints, sizeof(mlc_constraint))))
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);

  int have_version = 0, have_cpu = 0, have_arena = 0, have_hash = 0;
  int have_ptx = 0, have_cubins = 0, have_weights = 0;
  for (int32_t i = 0; i < model->num_entries; ++i) {
    const char *key = model->entries[i].key;
    const char *value = model->entries[i].value;
    int32_t line_no = i + 1;
    mlc_status status = MLC_OK;
    if (strcmp(key, "mlc_artifact") == 0) {
      uint64_t abi;
      if (parse_u64(value, strlen(value), UINT32_MAX, &abi) != 0 ||
          abi != abi_version)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: mlc_artifact "
                             "'%s' does not match trailer ABI %u",
                             path, line_no, value, (unsigned)abi_version);
    } else if (strcmp(key, "mlc_version") == 0) {
      have_version = 1;
    } else if (strcmp(key, "target") == 0) {
      model->target = value;
    } else if (strcmp(key, "cpu") == 0) {
      have_cpu = 1;
    } else if (strcmp(key, "cpu_features") == 0) {
      model->cpu_features = value;
    } else if (strcmp(key, "arena_bytes") == 0) {
      uint64_t bytes;
      uint64_t max = (uint64_t)SIZE_MAX - MLC_ARTIFACT_ARENA_ALIGNMENT;
      if (parse_u64(value, strlen(value), max, &bytes) != 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad arena_bytes "
                             "'%s'",
                             path, line_no, value);
      // aligned_alloc wants a multiple of the alignment.
      uint64_t align = MLC_ARTIFACT_ARENA_ALIGNMENT;
      model->arena_bytes = (bytes + align - 1) / align * align;
      have_arena = 1;
    } else if (strcmp(key, "model_hash") == 0) {
      have_hash = 1;
    } else if (strcmp(key, "input") == 0) {
      status = parse_tensor(path, line_no, value, model->num_symbols,
                            &model->inputs[model->num_inputs++]);
    } else if (strcmp(key, "output") == 0) {
      status = parse_tensor(path, line_no, value, model->num_symbols,
                            &model->outputs[model->num_outputs++]);
    } else if (strcmp(key, "constraint") == 0) {
      const char *space = strchr(value, ' ');
      uint64_t symbol, max;
      if (!space ||
          parse_u64(value, (size_t)(space - value), INT32_MAX, &symbol) != 0 ||
          symbol >= (uint64_t)model->num_symbols ||
          parse_u64(space + 1, strlen(space + 1), INT64_MAX, &max) != 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad constraint "
                             "'%s' (expected '<symbol index> <max>')",
                             path, line_no, value);
      model->constraints[model->num_constraints].symbol = (int32_t)symbol;
      model->constraints[model->num_constraints++].max = (int64_t)max;
    } else if (strcmp(key, "require") == 0) {
      size_t len = strlen(value);
      char *message = malloc(len + 1);
      if (!message)
        return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                             path);
      model->require_messages[model->num_requires++] = message;
      if (len == 0 || mlc_artifact_name_decode(value, len, message) < 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad require "
                             "message '%s'",
                             path, line_no, value);
    } else if (!is_cuda) {
      // The CUDA keys mean nothing to a CPU artifact.
    } else if (strcmp(key, "host_target") == 0) {
      plan->host_target = value;
    } else if (strcmp(key, "cuda_ptx") == 0) {
      if (mlc_cuda_arch_parse(value, strlen(value), &plan->ptx_arch) != 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad cuda_ptx "
                             "'%s' (expected sm_XY or sm_XYa)",
                             path, line_no, value);
      have_ptx = 1;
    } else if (strcmp(key, "cuda_cubins") == 0) {
      status = parse_cubins(path, line_no, value, plan);
      have_cubins = 1;
    } else if (strcmp(key, "cuda_weights_bytes") == 0) {
      if (parse_u64(value, strlen(value),
                    (uint64_t)SIZE_MAX - MLC_ARTIFACT_CUDA_ALIGNMENT,
                    &plan->weights_bytes) != 0)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: line %d: bad "
                             "cuda_weights_bytes '%s'",
                             path, line_no, value);
      have_weights = 1;
    } else if (strcmp(key, "cuda_launch") == 0) {
      status = parse_launch(path, line_no, value,
                            &plan->launches[plan->num_launches++]);
    }
    if (status != MLC_OK)
      return status;
  }

  const char *missing = NULL;
  if (!have_version)
    missing = "mlc_version";
  else if (!model->target || *model->target == '\0')
    missing = "target";
  else if (!have_cpu)
    missing = "cpu";
  else if (!model->cpu_features)
    missing = "cpu_features";
  else if (!have_arena)
    missing = "arena_bytes";
  else if (!have_hash)
    missing = "model_hash";
  if (missing)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: missing required key '%s'",
                         path, missing);
  if (model->num_outputs == 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: no 'output' line", path);

  // A value symbol reads an element of an i32 or i64 input of static shape;
  // a split symbol splits a str input.
  for (int32_t k = 0; k < model->num_symbols; ++k) {
    const mlc_symbol_binding *b = &model->bindings[k];
    if (b->kind == MLC_SYMBOL_SPLIT &&
        (b->input >= model->num_inputs ||
         model->inputs[b->input].dtype.code != kDLOpaqueHandle ||
         model->inputs[b->input].dtype.bits != 128))
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: symbol %s splits input %d, "
                           "which is not a str input",
                           path, model->symbols[k], (int)b->input);
    if (b->kind != MLC_SYMBOL_VALUE)
      continue;
    const mlc_tensor_desc *in =
        b->input < model->num_inputs ? &model->inputs[b->input] : NULL;
    if (!in || in->num_symbolic > 0 ||
        (in->dtype.code != kDLInt && in->dtype.code != kDLFloat) ||
        (in->dtype.bits != 32 && in->dtype.bits != 64) || in->dtype.lanes != 1 ||
        (uint64_t)b->element >= in->num_elements)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: symbol %s reads element "
                           "%" PRId64 " of input %d, which is not an element "
                           "of an i32, i64, f32 or f64 input of static shape",
                           path, model->symbols[k], b->element, (int)b->input);
  }

  // Runs of artifacts with symbols resolve every tensor per call and do
  // not unpack sub-byte ones (compilers never write them together).
  for (int32_t i = 0;
       model->num_symbols > 0 && i < model->num_inputs + model->num_outputs;
       ++i) {
    const mlc_tensor_desc *desc = i < model->num_inputs
                                      ? &model->inputs[i]
                                      : &model->outputs[i - model->num_inputs];
    if (desc->dtype.bits < 8)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: tensor '%s' has the sub-byte "
                           "type %s in an artifact with symbols",
                           path, desc->name, desc->dtype_name);
  }
  mlc_status status = check_unique(path, "input", model->inputs,
                                   model->num_inputs);
  if (status == MLC_OK)
    status = check_unique(path, "output", model->outputs, model->num_outputs);
  if (status == MLC_OK && is_cuda)
    status = check_cuda_plan(path, model, have_ptx, have_cubins, have_weights);
  return status;
}

/// Frees one tensor list.
static void free_tensors(mlc_tensor_desc *tensors, int32_t count) {
  if (!tensors)
    return;
  for (int32_t i = 0; i < count; ++i) {
    free(tensors[i].name);
    free(tensors[i].shape);
    free(tensors[i].shape_text);
    free(tensors[i].dim_symbol);
  }
  free(tensors);
}

void mlc_metadata_free(mlc_model *model) {
  // num_inputs/num_outputs count every tensor parse_tensor started, including
  // one it left half-filled; unfilled fields are NULL from calloc.
  free_tensors(model->inputs, model->num_inputs);
  free_tensors(model->outputs, model->num_outputs);
  mlc_cuda_plan *plan = &model->cuda_plan;
  for (int32_t i = 0; i < plan->num_launches; ++i) {
    free(plan->launches[i].kernel);
    free(plan->launches[i].args);
  }
  free(plan->launches);
  free(plan->cubins);
  for (int32_t i = 0; i < model->num_symbols; ++i)
    free(model->symbols[i]);
  for (int32_t i = 0; model->bindings && i < model->num_symbols; ++i)
    free(model->bindings[i].delimiter);
  free(model->symbols);
  free(model->bindings);
  free(model->constraints);
  for (int32_t i = 0; i < model->num_requires; ++i)
    free(model->require_messages[i]);
  free(model->require_messages);
  free(model->entries);
  free(model->metadata_lines);
  free(model->metadata_text);
}
