/* Loading, describing and running model artifacts. */
#include "internal.h"

#include "mlc/artifact_format.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/// Pointer arrays up to this many tensors live on the stack during a run.
#define MLC_STACK_TENSORS 32

/// Reads the whole regular file at `path` into a new buffer.
static mlc_status read_file(const char *path, uint8_t **data, size_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mlc_set_error(MLC_ERROR_IO, "%s: cannot open: %m", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    mlc_status status = mlc_set_error(MLC_ERROR_IO, "%s: cannot stat: %m",
                                      path);
    close(fd);
    return status;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return mlc_set_error(MLC_ERROR_IO, "%s: not a regular file", path);
  }
  if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX - 1) {
    close(fd);
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: file too large", path);
  }
  size_t total = (size_t)st.st_size;
  uint8_t *buffer = malloc(total ? total : 1);
  if (!buffer) {
    close(fd);
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "%s: cannot allocate %zu bytes", path, total);
  }
  size_t done = 0;
  while (done < total) {
    ssize_t n = read(fd, buffer + done, total - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      mlc_status status =
          n < 0 ? mlc_set_error(MLC_ERROR_IO, "%s: read failed: %m", path)
                : mlc_set_error(MLC_ERROR_IO, "%s: file shrank while reading",
                                path);
      free(buffer);
      close(fd);
      return status;
    }
    done += (size_t)n;
  }
  close(fd);
  *data = buffer;
  *size = total;
  return MLC_OK;
}

/// Writes all of `data` to `fd`. Returns 0 on success.
static int write_all(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

/// dlopens the ELF bytes from an anonymous memfd, so exactly the validated
/// bytes are loaded and nothing touches the disk. The memfd stays open while
/// the model lives: its /proc path must stay unique, because the loader
/// treats a second dlopen of a path it already loaded as the same library.
static void *open_from_memfd(const uint8_t *elf, size_t size, int *fd_out) {
  int fd = memfd_create("mlc-artifact", MFD_CLOEXEC);
  if (fd < 0)
    return NULL;
  char name[64];
  snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
  void *handle = NULL;
  if (write_all(fd, elf, size) == 0) {
    void *existing = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
    if (existing)
      dlclose(existing); // A stale library holds this path; use a temp file.
    else
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  }
  if (!handle) {
    close(fd);
    return NULL;
  }
  *fd_out = fd;
  return handle;
}

/// Fallback when memfds or /proc are unavailable: a private temp file with a
/// unique name, removed as soon as it is loaded.
static void *open_from_temp_file(const uint8_t *elf, size_t size) {
  char name[] = "/tmp/mlc-artifact-XXXXXX";
  int fd = mkostemp(name, O_CLOEXEC);
  if (fd < 0)
    return NULL;
  void *handle = NULL;
  if (write_all(fd, elf, size) == 0)
    handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  unlink(name);
  close(fd);
  return handle;
}

/// Validates the ELF header of the ELF part for this host.
static mlc_status check_elf(const char *path, const uint8_t *elf,
                            uint64_t size) {
  if (size < sizeof(Elf64_Ehdr) || memcmp(elf, ELFMAG, SELFMAG) != 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: the ELF part does not start with an ELF header",
                         path);
  Elf64_Ehdr header;
  memcpy(&header, elf, sizeof(header));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const unsigned char data_encoding = ELFDATA2MSB;
#else
  const unsigned char data_encoding = ELFDATA2LSB;
#endif
  if (header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_ident[EI_DATA] != data_encoding || header.e_type != ET_DYN)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: the ELF part is not a 64-bit native-endian "
                         "shared object",
                         path);
  return MLC_OK;
}

/// Checks the requested device (load options) against the artifact's.
static mlc_status check_device(const char *path, const mlc_model *model,
                               int32_t requested_type) {
  int32_t id = model->device_id;
  if (model->device_type == kDLCUDA) {
    // Load options allow only 0, kDLCPU and kDLCUDA.
    if (requested_type == kDLCPU)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "%s: the artifact is for CUDA; it cannot run on "
                           "the CPU",
                           path);
    return MLC_OK;
  }
  if (requested_type == kDLCUDA)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s: the artifact is for the CPU; it cannot run on "
                         "cuda:%d",
                         path, id);
  if (id != 0)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s: the artifact is for the CPU; device_id must be "
                         "0, got %d",
                         path, id);
  return MLC_OK;
}

/// Loads the validated ELF bytes with the dynamic loader.
static mlc_status open_elf(mlc_model *model, const char *path,
                           const uint8_t *elf, size_t size) {
  model->dl_handle = open_from_memfd(elf, size, &model->elf_fd);
  if (!model->dl_handle)
    model->dl_handle = open_from_temp_file(elf, size);
  if (!model->dl_handle) {
    const char *reason = dlerror();
    return mlc_set_error(MLC_ERROR_INCOMPATIBLE_ARTIFACT,
                         "%s: cannot load the ELF part: %s", path,
                         reason ? reason : "cannot create a file to load from");
  }
  return MLC_OK;
}

/// Validates trailer, checksum, ELF header, metadata and CPU; then loads the
/// ELF part into `model` and, for a CUDA artifact, its code onto the device.
static mlc_status load_artifact(mlc_model *model, const char *path,
                                const uint8_t *bytes, size_t size,
                                int32_t requested_device_type) {
  if (size < MLC_ARTIFACT_TRAILER_SIZE)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: not an mlc artifact: the file is %zu bytes, "
                         "smaller than the %d-byte trailer",
                         path, size, MLC_ARTIFACT_TRAILER_SIZE);
  mlc_artifact_trailer trailer;
  mlc_artifact_trailer_decode(bytes + size - MLC_ARTIFACT_TRAILER_SIZE,
                              &trailer);
  if (memcmp(trailer.magic, MLC_ARTIFACT_MAGIC, MLC_ARTIFACT_MAGIC_SIZE) != 0)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: not an mlc artifact: no '%s' trailer at the end "
                         "(truncated, or not an artifact)",
                         path, MLC_ARTIFACT_MAGIC);
  if (trailer.abi_version != MLC_ARTIFACT_ABI_VERSION)
    return mlc_set_error(MLC_ERROR_INCOMPATIBLE_ARTIFACT,
                         "%s: the artifact was built for ABI %" PRIu32
                         ", this runtime reads ABI %u",
                         path, trailer.abi_version, MLC_ARTIFACT_ABI_VERSION);
  if ((trailer.flags & ~MLC_ARTIFACT_FLAG_HOST_API) != 0)
    return mlc_set_error(MLC_ERROR_INCOMPATIBLE_ARTIFACT,
                         "%s: the artifact uses trailer flags 0x%" PRIx32
                         " unknown to this runtime",
                         path, trailer.flags);
  uint64_t payload = (uint64_t)size - MLC_ARTIFACT_TRAILER_SIZE;
  if (trailer.elf_size > payload ||
      trailer.metadata_size != payload - trailer.elf_size)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: trailer sizes (ELF %" PRIu64 " + metadata %" PRIu64
                         " bytes) do not match the file size %zu",
                         path, trailer.elf_size, trailer.metadata_size, size);
  if (mlc_artifact_checksum(bytes, payload) != trailer.checksum)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: checksum mismatch: the artifact is corrupt or "
                         "truncated",
                         path);
  mlc_status status = check_elf(path, bytes, trailer.elf_size);
  if (status != MLC_OK)
    return status;

  const uint8_t *metadata = bytes + trailer.elf_size;
  size_t metadata_size = (size_t)trailer.metadata_size;
  if (memchr(metadata, '\0', metadata_size))
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: corrupt metadata: contains a NUL byte", path);
  model->metadata_text = malloc(metadata_size + 1);
  if (!model->metadata_text)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  memcpy(model->metadata_text, metadata, metadata_size);
  model->metadata_text[metadata_size] = '\0';
  status = mlc_metadata_parse(model, metadata_size, trailer.abi_version, path);
  if (status == MLC_OK)
    status = check_device(path, model, requested_device_type);
  if (status == MLC_OK)
    model->makes_strings =
        mlc_model_metadata(model, "makes_strings") != NULL &&
        strcmp(mlc_model_metadata(model, "makes_strings"), "0") != 0;
  if (status != MLC_OK)
    return status;
  // The host functions the code calls must all be in this runtime's table.
  const char *wanted = mlc_model_metadata(model, "host_functions");
  if (wanted) {
    uint64_t have = (mlc_host_functions.struct_size - 8) / sizeof(void *);
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(wanted, &end, 10);
    if (!*wanted || *wanted < '0' || *wanted > '9' || *end || errno)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: bad host_functions '%s'",
                           path, wanted);
    if (n > have)
      return mlc_set_error(MLC_ERROR_INCOMPATIBLE_ARTIFACT,
                           "%s: the artifact calls %llu host functions, this "
                           "runtime has %" PRIu64
                           " (a newer runtime is needed)",
                           path, n, have);
  }

  // A CUDA artifact's ELF part is host code for `host_target`.
  int is_cuda = model->device_type == kDLCUDA;
  const char *host_target =
      is_cuda ? model->cuda_plan.host_target : model->target;
  status = mlc_cpu_check(path, host_target, model->cpu_features);
  if (status != MLC_OK)
    return status;
  Elf64_Ehdr header;
  memcpy(&header, bytes, sizeof(header));
  if (header.e_machine != mlc_host_elf_machine())
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: the ELF part's machine %u does not match target "
                         "'%s'",
                         path, (unsigned)header.e_machine, host_target);

  status = open_elf(model, path, bytes, (size_t)trailer.elf_size);
  if (status != MLC_OK)
    return status;
  if (is_cuda) {
    for (int32_t i = 0; i < model->num_inputs + model->num_outputs; ++i) {
      const mlc_tensor_desc *desc =
          i < model->num_inputs ? &model->inputs[i]
                                : &model->outputs[i - model->num_inputs];
      if (desc->dtype.bits < 8)
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: tensor '%s' has the sub-byte type %s, "
                             "which CUDA artifacts do not support",
                             path, desc->name, desc->dtype_name);
    }
    if (model->num_symbols > 0)
      return mlc_set_error(MLC_ERROR_INCOMPATIBLE_ARTIFACT,
                           "%s: CUDA artifacts with symbolic dims are not "
                           "supported",
                           path);
    return mlc_cuda_load(model, path);
  }
  void *entry = dlsym(model->dl_handle, MLC_ARTIFACT_ENTRY_SYMBOL);
  if (!entry)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: the ELF part does not export '%s'", path,
                         MLC_ARTIFACT_ENTRY_SYMBOL);
  // POSIX guarantees data and function pointers convert through dlsym.
  memcpy(&model->run, &entry, sizeof(entry));
  if (model->num_symbols > 0) {
    void *plan = dlsym(model->dl_handle, MLC_ARTIFACT_PLAN_SYMBOL);
    if (!plan)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: the artifact has symbolic dims but its ELF "
                           "part does not export '%s'",
                           path, MLC_ARTIFACT_PLAN_SYMBOL);
    memcpy(&model->plan, &plan, sizeof(plan));
  }
  return MLC_OK;
}

mlc_status mlc_model_load(const char *path, mlc_model **out) {
  return mlc_model_load_with_options(path, NULL, out);
}

mlc_status mlc_model_load_with_options(const char *path,
                                       const mlc_load_options *options,
                                       mlc_model **out) {
  if (out)
    *out = NULL;
  if (!path || !out)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_load: path and out must not be NULL");
  int32_t num_threads = 0, device_type = 0, device_id = 0;
  if (options) {
    // Callers built against an older header pass a smaller struct; the
    // fields it lacks keep their defaults.
    size_t known = options->struct_size;
    if (known < offsetof(mlc_load_options, device_type))
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "mlc_load_options.struct_size is %u, expected at "
                           "least %zu",
                           (unsigned)options->struct_size,
                           offsetof(mlc_load_options, device_type));
    num_threads = options->num_threads;
    if (num_threads < 0 || num_threads > MLC_MAX_THREADS)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "num_threads must be 0 (one per CPU) or 1..%d, got "
                           "%d",
                           MLC_MAX_THREADS, num_threads);
    if (known >= offsetof(mlc_load_options, device_type) + sizeof(int32_t))
      device_type = options->device_type;
    if (known >= offsetof(mlc_load_options, device_id) + sizeof(int32_t))
      device_id = options->device_id;
    if (device_type != 0 && device_type != kDLCPU && device_type != kDLCUDA)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "device_type must be 0 (the artifact's), kDLCPU "
                           "(1) or kDLCUDA (2), got %d",
                           device_type);
    if (device_id < 0)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "device_id must be >= 0, got %d", device_id);
  }
  if (num_threads == 0)
    num_threads = mlc_default_num_threads();
  mlc_model *model = calloc(1, sizeof(mlc_model));
  if (!model)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  model->elf_fd = -1;
  model->num_threads = num_threads;
  model->device_id = device_id;
  if (pthread_mutex_init(&model->arena_lock, NULL) != 0) {
    free(model);
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "%s: cannot create a mutex", path);
  }
  uint8_t *bytes = NULL;
  size_t size = 0;
  mlc_status status = read_file(path, &bytes, &size);
  if (status == MLC_OK)
    status = load_artifact(model, path, bytes, size, device_type);
  free(bytes);
  // The GPU does the work of a CUDA model: it needs no worker threads.
  if (model->device_type == kDLCUDA)
    model->num_threads = 1;
  // Threads start only for a valid artifact.
  if (status == MLC_OK)
    status = mlc_pool_create(model->num_threads, &model->pool);
  if (status != MLC_OK) {
    mlc_model_free(model);
    return status;
  }
  *out = model;
  return MLC_OK;
}

int32_t mlc_model_num_threads(const mlc_model *model) {
  return model ? model->num_threads : -1;
}

DLDevice mlc_model_device(const mlc_model *model) {
  DLDevice device;
  device.device_type = model ? model->device_type : (DLDeviceType)0;
  device.device_id = model ? model->device_id : -1;
  return device;
}

void mlc_model_free(mlc_model *model) {
  if (!model)
    return;
  mlc_pool_free(model->pool);
  mlc_cuda_free(model->cuda);
  if (model->dl_handle)
    dlclose(model->dl_handle);
  if (model->elf_fd >= 0)
    close(model->elf_fd);
  for (int32_t i = 0; i < model->num_free_arenas; ++i)
    free(model->free_arenas[i]);
  pthread_mutex_destroy(&model->arena_lock);
  mlc_metadata_free(model);
  free(model);
}

int32_t mlc_model_num_inputs(const mlc_model *model) {
  return model ? model->num_inputs : -1;
}

int32_t mlc_model_num_outputs(const mlc_model *model) {
  return model ? model->num_outputs : -1;
}

/// Shared body of mlc_model_input_info and mlc_model_output_info.
static mlc_status tensor_info(const mlc_model *model, const char *kind,
                              int32_t index, mlc_tensor_info *out) {
  if (!model || !out)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_%s_info: model and out must not be NULL",
                         kind);
  int is_input = kind[0] == 'i';
  int32_t count = is_input ? model->num_inputs : model->num_outputs;
  if (index < 0 || index >= count)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s index %d out of range: the model has %d %ss",
                         kind, index, count, kind);
  const mlc_tensor_desc *desc =
      is_input ? &model->inputs[index] : &model->outputs[index];
  out->name = desc->name;
  out->dtype = desc->dtype;
  out->ndim = desc->ndim;
  out->shape = desc->shape;
  return MLC_OK;
}

mlc_status mlc_model_input_info(const mlc_model *model, int32_t index,
                                mlc_tensor_info *out) {
  return tensor_info(model, "input", index, out);
}

mlc_status mlc_model_output_info(const mlc_model *model, int32_t index,
                                 mlc_tensor_info *out) {
  return tensor_info(model, "output", index, out);
}

const char *mlc_model_metadata(const mlc_model *model, const char *key) {
  if (!model || !key) {
    mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                  "mlc_model_metadata: model and key must not be NULL");
    return NULL;
  }
  for (int32_t i = 0; i < model->num_entries; ++i)
    if (strcmp(model->entries[i].key, key) == 0)
      return model->entries[i].value;
  return NULL;
}

const char *mlc_model_metadata_text(const mlc_model *model) {
  if (!model) {
    mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                  "mlc_model_metadata_text: model must not be NULL");
    return NULL;
  }
  return model->metadata_text;
}

/// Formats `ndim` extents as "2x3" (or "scalar") into `buffer`.
static const char *format_dims(char *buffer, size_t capacity,
                               const int64_t *dims, int32_t ndim) {
  if (ndim == 0) {
    snprintf(buffer, capacity, "scalar");
    return buffer;
  }
  size_t used = 0;
  buffer[0] = '\0';
  for (int32_t d = 0; d < ndim && used < capacity; ++d) {
    int n = snprintf(buffer + used, capacity - used, "%s%" PRId64,
                     d ? "x" : "", dims[d]);
    if (n < 0)
      break;
    used += (size_t)n;
  }
  return buffer;
}

/// Checks one caller tensor against its declaration and computes the data
/// pointer the compiled code receives. `on_device` tells whether that is an
/// address on the model's CUDA device rather than in host memory.
static mlc_status check_tensor(const mlc_model *model, const char *kind,
                               int32_t index, const mlc_tensor_desc *desc,
                               const DLTensor *t, void **data,
                               uint8_t *on_device) {
  char got[512];
  *on_device = model->device_type == kDLCUDA &&
               t->device.device_type == kDLCUDA &&
               t->device.device_id == model->device_id;
  if (t->device.device_type != kDLCPU && !*on_device) {
    if (model->device_type == kDLCUDA)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "%s '%s' (index %d): expected a CPU tensor "
                           "(kDLCPU) or one on cuda:%d (kDLCUDA), got device "
                           "type %d id %d",
                           kind, desc->name, index, model->device_id,
                           (int)t->device.device_type,
                           (int)t->device.device_id);
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s '%s' (index %d): expected a CPU tensor (kDLCPU), "
                         "got device type %d",
                         kind, desc->name, index, (int)t->device.device_type);
  }
  if (t->dtype.code != desc->dtype.code || t->dtype.bits != desc->dtype.bits ||
      t->dtype.lanes != desc->dtype.lanes) {
    const char *name = mlc_artifact_dtype_name(t->dtype);
    if (!name) {
      snprintf(got, sizeof(got), "(code %u, bits %u, lanes %u)",
               (unsigned)t->dtype.code, (unsigned)t->dtype.bits,
               (unsigned)t->dtype.lanes);
      name = got;
    }
    return mlc_set_error(MLC_ERROR_DTYPE_MISMATCH,
                         "%s '%s' (index %d): expected dtype %s, got %s", kind,
                         desc->name, index, desc->dtype_name, name);
  }
  if (t->ndim < 0 || (t->ndim > 0 && !t->shape))
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s '%s' (index %d): invalid ndim %d or NULL shape",
                         kind, desc->name, index, (int)t->ndim);
  int same = t->ndim == desc->ndim;
  for (int32_t d = 0; same && d < desc->ndim; ++d)
    same = t->shape[d] == desc->shape[d];
  if (!same)
    return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                         "%s '%s' (index %d): expected shape %s, got %s", kind,
                         desc->name, index, desc->shape_text,
                         format_dims(got, sizeof(got), t->shape, t->ndim));
  if (t->strides && desc->num_elements > 0) {
    int64_t expected = 1;
    int compact = 1;
    for (int32_t d = desc->ndim - 1; d >= 0; --d) {
      if (desc->shape[d] != 1 && t->strides[d] != expected)
        compact = 0;
      expected *= desc->shape[d]; // Bounded by num_elements: cannot overflow.
    }
    if (!compact)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "%s '%s' (index %d): strides %s are not compact "
                           "row-major",
                           kind, desc->name, index,
                           format_dims(got, sizeof(got), t->strides, t->ndim));
  }
  char *pointer = (char *)t->data;
  if (!pointer && desc->byte_size > 0)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s '%s' (index %d): data is NULL", kind, desc->name,
                         index);
  if (pointer)
    pointer += t->byte_offset;
  uintptr_t element_size =
      desc->dtype.bits < 8 ? 1 : (uintptr_t)(desc->dtype.bits / 8);
  if ((uintptr_t)pointer % element_size != 0)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "%s '%s' (index %d): data is not aligned to %u bytes",
                         kind, desc->name, index, (unsigned)element_size);
  *data = pointer;
  return MLC_OK;
}

/// Takes a cached arena of at least `bytes` (a multiple of the alignment)
/// or allocates one (NULL with MLC_OK if none needed).
static mlc_status arena_acquire(mlc_model *model, uint64_t bytes, void **arena,
                                uint64_t *arena_bytes) {
  *arena = NULL;
  *arena_bytes = 0;
  if (bytes == 0)
    return MLC_OK;
  // The smallest cached arena that is large enough.
  pthread_mutex_lock(&model->arena_lock);
  int32_t best = -1;
  for (int32_t i = 0; i < model->num_free_arenas; ++i)
    if (model->free_arena_bytes[i] >= bytes &&
        (best < 0 ||
         model->free_arena_bytes[i] < model->free_arena_bytes[best]))
      best = i;
  if (best >= 0) {
    *arena = model->free_arenas[best];
    *arena_bytes = model->free_arena_bytes[best];
    int32_t last = --model->num_free_arenas;
    model->free_arenas[best] = model->free_arenas[last];
    model->free_arena_bytes[best] = model->free_arena_bytes[last];
  }
  pthread_mutex_unlock(&model->arena_lock);
  if (*arena)
    return MLC_OK;
  if (bytes > (uint64_t)SIZE_MAX)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "cannot allocate a %" PRIu64 "-byte arena", bytes);
  *arena = aligned_alloc(MLC_ARTIFACT_ARENA_ALIGNMENT, (size_t)bytes);
  if (!*arena)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "cannot allocate a %" PRIu64 "-byte arena", bytes);
  *arena_bytes = bytes;
  return MLC_OK;
}

/// Returns an arena of `bytes` to the cache; when the cache is full, the
/// smallest of the two (the cached one or this) is freed.
static void arena_release(mlc_model *model, void *arena, uint64_t bytes) {
  if (!arena)
    return;
  pthread_mutex_lock(&model->arena_lock);
  if (model->num_free_arenas < MLC_ARENA_CACHE_SIZE) {
    model->free_arenas[model->num_free_arenas] = arena;
    model->free_arena_bytes[model->num_free_arenas++] = bytes;
    arena = NULL;
  } else {
    int32_t smallest = 0;
    for (int32_t i = 1; i < model->num_free_arenas; ++i)
      if (model->free_arena_bytes[i] < model->free_arena_bytes[smallest])
        smallest = i;
    if (model->free_arena_bytes[smallest] < bytes) {
      void *evicted = model->free_arenas[smallest];
      model->free_arenas[smallest] = arena;
      model->free_arena_bytes[smallest] = bytes;
      arena = evicted;
    }
  }
  pthread_mutex_unlock(&model->arena_lock);
  free(arena);
}

/// Unpacks `count` sub-byte elements of `bits` bits (first element in the
/// lowest bits) to one per byte, sign-extending signed integers.
static void unpack_elements(const uint8_t *packed, uint8_t *out, uint64_t count,
                            unsigned bits, int sign_extend) {
  unsigned mask = (1u << bits) - 1u, sign = 1u << (bits - 1);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bit = i * bits;
    unsigned v = (packed[bit / 8] >> (bit % 8)) & mask;
    if (sign_extend && (v & sign))
      v |= ~mask & 0xFFu;
    out[i] = (uint8_t)v;
  }
}

/// Packs `count` one-per-byte elements into `bits`-bit fields.
static void pack_elements(const uint8_t *in, uint8_t *packed, uint64_t count,
                          unsigned bits) {
  unsigned mask = (1u << bits) - 1u;
  memset(packed, 0, (size_t)((count * bits + 7) / 8));
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bit = i * bits;
    packed[bit / 8] |= (uint8_t)((in[i] & mask) << (bit % 8));
  }
}

/// Runs `run` with sub-byte tensors (docs/artifact.md) unpacked into a
/// per-call buffer: inputs before the call, outputs packed back after it.
static mlc_status
run_unpacked(mlc_model *model, void **input_data, void **output_data,
             mlc_status (*run)(mlc_model *, void *const *, void *const *)) {
  int32_t total = model->num_inputs + model->num_outputs;
  uint64_t scratch = 0;
  for (int32_t i = 0; i < total; ++i) {
    const mlc_tensor_desc *desc = i < model->num_inputs
                                      ? &model->inputs[i]
                                      : &model->outputs[i - model->num_inputs];
    if (desc->dtype.bits < 8)
      scratch += desc->storage_size; // Each is < SIZE_MAX; few tensors.
  }
  if (scratch == 0)
    return run(model, input_data, output_data);
  uint8_t *buffer = malloc((size_t)scratch);
  if (!buffer)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "cannot allocate %" PRIu64
                         " bytes to unpack sub-byte tensors",
                         scratch);
  void *stack_user[MLC_STACK_TENSORS];
  void **user = stack_user;
  if (model->num_outputs > MLC_STACK_TENSORS) {
    user = malloc((size_t)model->num_outputs * sizeof(void *));
    if (!user) {
      free(buffer);
      return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  }
  uint8_t *next = buffer;
  for (int32_t i = 0; i < model->num_inputs; ++i) {
    const mlc_tensor_desc *desc = &model->inputs[i];
    if (desc->dtype.bits >= 8)
      continue;
    unpack_elements(input_data[i], next, desc->num_elements, desc->dtype.bits,
                    desc->dtype.code == kDLInt);
    input_data[i] = next;
    next += desc->storage_size;
  }
  for (int32_t i = 0; i < model->num_outputs; ++i) {
    user[i] = output_data[i];
    if (model->outputs[i].dtype.bits >= 8)
      continue;
    output_data[i] = next;
    next += model->outputs[i].storage_size;
  }
  mlc_status status = run(model, input_data, output_data);
  for (int32_t i = 0; status == MLC_OK && i < model->num_outputs; ++i) {
    const mlc_tensor_desc *desc = &model->outputs[i];
    if (desc->dtype.bits < 8)
      pack_elements(output_data[i], user[i], desc->num_elements,
                    desc->dtype.bits);
  }
  if (user != stack_user)
    free(user);
  free(buffer);
  return status;
}

/// The string store of the run in progress on this thread
/// (mlc_model_run_with_strings), which the entry point's context carries.
static _Thread_local mlc_strings *run_strings;

/// Calls the compiled entry point of a CPU model with an arena of
/// `arena_bytes` and the symbol values (NULL for static models).
static mlc_status run_with_arena(mlc_model *model, void *const *input_data,
                                 void *const *output_data, uint64_t arena_bytes,
                                 int64_t *symbols) {
  void *arena = NULL;
  uint64_t held = 0;
  mlc_status status = arena_acquire(model, arena_bytes, &arena, &held);
  if (status != MLC_OK)
    return status;
  mlc_exec_context context;
  memset(&context, 0, sizeof(context));
  context.struct_size = sizeof(context);
  context.num_threads = model->pool ? model->num_threads : 1;
  context.pool = model->pool;
  context.parallel_for = mlc_pool_parallel_for;
  context.symbols = symbols;
  context.host = &mlc_host_functions;
  context.strings = run_strings;
  int32_t result = model->run(&context, input_data, output_data, arena);
  arena_release(model, arena, held);
  if (result != 0)
    return mlc_set_error(MLC_ERROR_RUN_FAILED,
                         "the compiled model failed with code %d", result);
  return MLC_OK;
}

/// Calls the compiled entry point of a static CPU model.
static mlc_status run_on_cpu(mlc_model *model, void *const *input_data,
                             void *const *output_data) {
  return run_with_arena(model, input_data, output_data, model->arena_bytes,
                        NULL);
}

static mlc_status check_tensor(const mlc_model *model, const char *kind,
                               int32_t index, const mlc_tensor_desc *desc,
                               const DLTensor *t, void **data,
                               uint8_t *on_device);

/// Reads element `element` of input `index` (an i32 or i64 tensor of static
/// shape, checked first) for a value symbol.
static mlc_status read_value_symbol(const mlc_model *model, const DLTensor *inputs,
                                    const mlc_symbol_binding *binding,
                                    int64_t *value) {
  int32_t i = binding->input;
  const mlc_tensor_desc *desc = &model->inputs[i];
  void *data = NULL;
  uint8_t on_device = 0;
  mlc_status status =
      check_tensor(model, "input", i, desc, &inputs[i], &data, &on_device);
  if (status != MLC_OK)
    return status;
  if (on_device)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "input '%s' (index %d) gives dims by its values and "
                         "must be on the host",
                         desc->name, i);
  if (desc->dtype.code == kDLFloat) {
    // Truncated toward zero, as a cast to int64 (OneHot's depth).
    double v;
    if (desc->dtype.bits == 64) {
      memcpy(&v, (const double *)data + binding->element, sizeof(v));
    } else {
      float f;
      memcpy(&f, (const float *)data + binding->element, sizeof(f));
      v = f;
    }
    // Times the scale in double, truncated toward zero (Resize's
    // floor(scale * extent)).
    double scaled = v * (double)binding->scale;
    if (!(scaled > -9.2e18 && scaled < 9.2e18))
      return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                           "input '%s' (index %d): element %" PRId64
                           " (%g) gives a dim and must be a finite number "
                           "(times %" PRId64 " in the int64 range)",
                           desc->name, i, binding->element, v, binding->scale);
    *value = (int64_t)scaled;
    return MLC_OK;
  }
  int64_t raw;
  if (desc->dtype.bits == 64) {
    memcpy(&raw, (const int64_t *)data + binding->element, sizeof(int64_t));
  } else {
    int32_t v;
    memcpy(&v, (const int32_t *)data + binding->element, sizeof(v));
    raw = v;
  }
  if (__builtin_mul_overflow(raw, binding->scale, value))
    return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                         "input '%s' (index %d): element %" PRId64 " (%" PRId64
                         ") times %" PRId64 " overflows int64",
                         desc->name, i, binding->element, raw, binding->scale);
  return MLC_OK;
}

/// The most pieces an element of str input `binding->input` splits into
/// (a split symbol; the input is checked first, its dims resolved by the
/// shape symbols already bound).
static mlc_status read_split_symbol(const mlc_model *model,
                                    const DLTensor *inputs,
                                    const int64_t *symbols,
                                    const mlc_symbol_binding *binding,
                                    int64_t *value) {
  int32_t i = binding->input;
  const mlc_tensor_desc *desc = &model->inputs[i];
  int64_t shape[MLC_ARTIFACT_MAX_RANK];
  mlc_tensor_desc resolved;
  char text[256];
  mlc_status status = mlc_resolve_desc(desc, symbols, &resolved, shape);
  if (status != MLC_OK)
    return status;
  resolved.shape_text = text;
  format_dims(text, sizeof(text), shape, desc->ndim);
  void *data = NULL;
  uint8_t on_device = 0;
  status =
      check_tensor(model, "input", i, &resolved, &inputs[i], &data, &on_device);
  if (status != MLC_OK)
    return status;
  if (on_device)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "input '%s' (index %d) gives a dim by its strings and "
                         "must be on the host",
                         desc->name, i);
  const mlc_string *strings = data;
  uint64_t most = 0;
  for (uint64_t e = 0; e < resolved.num_elements; ++e) {
    if (!strings[e].data && strings[e].size)
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "input '%s' (index %d): element %" PRIu64
                           " has %" PRIu64 " bytes at NULL",
                           desc->name, i, e, strings[e].size);
    uint64_t count =
        mlc_split_string(&strings[e], binding->delimiter,
                         binding->delimiter_size, binding->max_split, NULL, 0);
    if (count > most)
      most = count;
  }
  *value = (int64_t)most; // at most one piece per byte, plus one
  return MLC_OK;
}

/// Binds each symbol of a model with symbolic dims: to its extent in the
/// inputs (checks the ranks of inputs with symbolic dims, that every
/// occurrence of a symbol has the same extent, and the constraints on
/// them), or to an element of an input; then runs the plan, which computes
/// the other symbols and makes the model's checks, and stores the arena
/// bytes a run needs in *arena_bytes.
static mlc_status bind_symbols(const mlc_model *model, const DLTensor *inputs,
                               int64_t *symbols, int64_t *arena_bytes) {
  int32_t bound_by[MLC_ARTIFACT_MAX_SYMBOLS];
  for (int32_t k = 0; k < model->num_symbols; ++k) {
    symbols[k] = -1;
    bound_by[k] = -1;
  }
  for (int32_t i = 0; i < model->num_inputs; ++i) {
    const mlc_tensor_desc *desc = &model->inputs[i];
    const DLTensor *t = &inputs[i];
    if (desc->num_symbolic == 0)
      continue;
    if (t->ndim != desc->ndim || !t->shape)
      return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                           "input '%s' (index %d): expected rank %d, got %d",
                           desc->name, i, (int)desc->ndim, (int)t->ndim);
    for (int32_t d = 0; d < desc->ndim; ++d) {
      int32_t k = desc->dim_symbol[d];
      if (k < 0)
        continue;
      int64_t extent = t->shape[d];
      if (extent < 0)
        return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                             "input '%s' (index %d): dim %d is negative "
                             "(%" PRId64 ")",
                             desc->name, i, (int)d, extent);
      if (bound_by[k] < 0) {
        symbols[k] = extent;
        bound_by[k] = i;
      } else if (symbols[k] != extent) {
        return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                             "input '%s' (index %d): dim %d is %" PRId64
                             ", but %s is %" PRId64 " in input '%s'",
                             desc->name, i, (int)d, extent, model->symbols[k],
                             symbols[k], model->inputs[bound_by[k]].name);
      }
    }
  }
  for (int32_t k = 0; k < model->num_symbols; ++k) {
    const mlc_symbol_binding *binding = &model->bindings[k];
    if (binding->kind == MLC_SYMBOL_VALUE) {
      mlc_status status =
          read_value_symbol(model, inputs, binding, &symbols[k]);
      if (status != MLC_OK)
        return status;
      bound_by[k] = binding->input;
    } else if (binding->kind == MLC_SYMBOL_SPLIT) {
      mlc_status status =
          read_split_symbol(model, inputs, symbols, binding, &symbols[k]);
      if (status != MLC_OK)
        return status;
      bound_by[k] = binding->input;
    } else if (binding->kind == MLC_SYMBOL_SHAPE && bound_by[k] < 0) {
      return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                           "symbol %s is bound by no input", model->symbols[k]);
    }
  }
  for (int32_t c = 0; c < model->num_constraints; ++c) {
    const mlc_constraint *constraint = &model->constraints[c];
    if (model->bindings[constraint->symbol].kind != MLC_SYMBOL_SHAPE)
      continue;
    int64_t value = symbols[constraint->symbol];
    if (value > constraint->max)
      return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                           "input '%s': %s = %" PRId64 " exceeds %" PRId64
                           ", the largest the model "
                           "allows",
                           model->inputs[bound_by[constraint->symbol]].name,
                           model->symbols[constraint->symbol], value,
                           constraint->max);
  }
  int64_t bytes = model->plan(symbols, NULL);
  if (bytes == -1)
    return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                         "a size computed from the input shapes or values "
                         "overflows");
  if (bytes < 0) {
    int64_t index = -2 - bytes;
    if (index < model->num_constraints) {
      const mlc_constraint *constraint = &model->constraints[index];
      return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH,
                           "the inputs give %s = %" PRId64 ", more than %" PRId64
                           ", the largest the model allows",
                           model->symbols[constraint->symbol],
                           symbols[constraint->symbol], constraint->max);
    }
    index -= model->num_constraints;
    if (index < model->num_requires)
      return mlc_set_error(MLC_ERROR_SHAPE_MISMATCH, "%s",
                           model->require_messages[index]);
    return mlc_set_error(MLC_ERROR_RUN_FAILED,
                         "the model's plan failed with code %" PRId64, bytes);
  }
  *arena_bytes = bytes;
  return MLC_OK;
}

mlc_status mlc_model_output_shape(const mlc_model *model,
                                  const DLTensor *inputs, int32_t num_inputs,
                                  int32_t index, int64_t *shape) {
  if (!model || (num_inputs > 0 && !inputs))
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_output_shape: NULL model or inputs");
  if (num_inputs != model->num_inputs)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "the model takes %d inputs, got %d", model->num_inputs,
                         num_inputs);
  if (index < 0 || index >= model->num_outputs)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "output index %d is out of range (the model has %d)",
                         index, model->num_outputs);
  const mlc_tensor_desc *desc = &model->outputs[index];
  if (desc->ndim > 0 && !shape)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_output_shape: NULL shape");
  if (desc->num_symbolic == 0) {
    for (int32_t d = 0; d < desc->ndim; ++d)
      shape[d] = desc->shape[d];
    return MLC_OK;
  }
  int64_t symbols[MLC_ARTIFACT_MAX_SYMBOLS];
  int64_t bytes = 0;
  mlc_status status = bind_symbols(model, inputs, symbols, &bytes);
  if (status != MLC_OK)
    return status;
  mlc_tensor_desc resolved;
  return mlc_resolve_desc(desc, symbols, &resolved, shape);
}

/// mlc_model_run for a model with symbolic dims: binds the symbols, checks
/// the tensors against the resolved shapes, plans the arena, runs.
static mlc_status run_dynamic(mlc_model *model, const DLTensor *inputs,
                              DLTensor *outputs, void **input_data,
                              void **output_data, uint8_t *on_device,
                              int64_t *const *output_shapes) {
  int64_t symbols[MLC_ARTIFACT_MAX_SYMBOLS];
  int64_t bytes = 0;
  mlc_status status = bind_symbols(model, inputs, symbols, &bytes);
  if (status != MLC_OK)
    return status;
  int32_t total = model->num_inputs + model->num_outputs;
  size_t dims = 0;
  for (int32_t i = 0; i < total; ++i)
    dims += (size_t)(i < model->num_inputs
                         ? model->inputs[i].ndim
                         : model->outputs[i - model->num_inputs].ndim);
  mlc_tensor_desc *descs = malloc((size_t)total * sizeof(mlc_tensor_desc));
  int64_t *shapes = malloc((dims + 1) * sizeof(int64_t));
  char *texts = malloc((size_t)total * 256);
  if (!descs || !shapes || !texts) {
    free(descs);
    free(shapes);
    free(texts);
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  int64_t *next = shapes;
  for (int32_t i = 0; status == MLC_OK && i < total; ++i) {
    int is_input = i < model->num_inputs;
    const mlc_tensor_desc *desc =
        is_input ? &model->inputs[i] : &model->outputs[i - model->num_inputs];
    status = mlc_resolve_desc(desc, symbols, &descs[i], next);
    if (status != MLC_OK)
      break;
    descs[i].shape_text = texts + (size_t)i * 256;
    format_dims(descs[i].shape_text, 256, next, desc->ndim);
    next += desc->ndim;
    int32_t index = is_input ? i : i - model->num_inputs;
    status = check_tensor(model, is_input ? "input" : "output", index,
                          &descs[i], is_input ? &inputs[i] : &outputs[index],
                          is_input ? &input_data[i] : &output_data[index],
                          &on_device[i]);
  }
  if (status == MLC_OK)
    status = run_with_arena(
        model, input_data, output_data,
        ((uint64_t)bytes + MLC_ARTIFACT_ARENA_ALIGNMENT - 1) /
            MLC_ARTIFACT_ARENA_ALIGNMENT * MLC_ARTIFACT_ARENA_ALIGNMENT,
        symbols);
  // The outputs' extents after the run (dims the run computed, `late`
  // symbols, have their actual values now).
  for (int32_t i = 0; status == MLC_OK && output_shapes && i < model->num_outputs;
       ++i) {
    const mlc_tensor_desc *desc = &model->outputs[i];
    if (!output_shapes[i])
      continue;
    for (int32_t d = 0; d < desc->ndim; ++d)
      output_shapes[i][d] = desc->dim_symbol[d] >= 0
                                ? symbols[desc->dim_symbol[d]]
                                : desc->shape[d];
  }
  free(descs);
  free(shapes);
  free(texts);
  return status;
}

mlc_status mlc_model_run(mlc_model *model, const DLTensor *inputs,
                         int32_t num_inputs, DLTensor *outputs,
                         int32_t num_outputs) {
  return mlc_model_run_with_output_shapes(model, inputs, num_inputs, outputs,
                                          num_outputs, NULL);
}

mlc_status mlc_model_run_with_strings(mlc_model *model, const DLTensor *inputs,
                                      int32_t num_inputs, DLTensor *outputs,
                                      int32_t num_outputs,
                                      int64_t *const *output_shapes,
                                      mlc_strings *strings) {
  if (model && model->makes_strings && !strings)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_run_with_strings: the model makes "
                         "strings and needs a string store");
  mlc_strings_reset_failure(strings);
  mlc_strings *outer = run_strings;
  run_strings = strings;
  mlc_status status = mlc_model_run_with_output_shapes(
      model, inputs, num_inputs, outputs, num_outputs, output_shapes);
  run_strings = outer;
  if (status == MLC_OK && mlc_strings_failed(strings))
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "out of memory for the strings the run makes");
  return status;
}

mlc_status mlc_model_run_with_output_shapes(mlc_model *model,
                                            const DLTensor *inputs,
                                            int32_t num_inputs,
                                            DLTensor *outputs,
                                            int32_t num_outputs,
                                            int64_t *const *output_shapes) {
  if (!model)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_run: model must not be NULL");
  if (model->makes_strings && !run_strings)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "the model makes strings: run it with "
                         "mlc_model_run_with_strings");
  if (num_inputs != model->num_inputs)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "the model takes %d inputs, got %d",
                         model->num_inputs, num_inputs);
  if (num_outputs != model->num_outputs)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "the model produces %d outputs, got %d",
                         model->num_outputs, num_outputs);
  if ((num_inputs > 0 && !inputs) || (num_outputs > 0 && !outputs))
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_model_run: NULL tensor array");

  void *stack_pointers[2 * MLC_STACK_TENSORS];
  uint8_t stack_on_device[2 * MLC_STACK_TENSORS];
  void **pointers = stack_pointers;
  uint8_t *on_device = stack_on_device;
  size_t total = (size_t)num_inputs + (size_t)num_outputs;
  if (total > 2 * MLC_STACK_TENSORS) {
    pointers = malloc(total * sizeof(void *));
    on_device = malloc(total);
    if (!pointers || !on_device) {
      free(pointers);
      free(on_device);
      return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
    }
  }
  void **input_data = pointers;
  void **output_data = pointers + num_inputs;

  mlc_status status = MLC_OK;
  if (model->num_symbols > 0) {
    status =
        run_dynamic(model, inputs, outputs, input_data, output_data, on_device,
                    output_shapes);
    if (pointers != stack_pointers) {
      free(pointers);
      free(on_device);
    }
    return status;
  }
  for (int32_t i = 0; status == MLC_OK && i < num_inputs; ++i)
    status = check_tensor(model, "input", i, &model->inputs[i], &inputs[i],
                          &input_data[i], &on_device[i]);
  for (int32_t i = 0; status == MLC_OK && i < num_outputs; ++i)
    status = check_tensor(model, "output", i, &model->outputs[i], &outputs[i],
                          &output_data[i], &on_device[num_inputs + i]);
  if (status == MLC_OK)
    status = model->cuda
                 ? mlc_cuda_run(model, input_data, output_data, on_device)
                 : run_unpacked(model, input_data, output_data, run_on_cpu);
  for (int32_t i = 0; status == MLC_OK && output_shapes && i < num_outputs; ++i)
    if (output_shapes[i])
      for (int32_t d = 0; d < model->outputs[i].ndim; ++d)
        output_shapes[i][d] = model->outputs[i].shape[d];
  if (pointers != stack_pointers) {
    free(pointers);
    free(on_device);
  }
  return status;
}
