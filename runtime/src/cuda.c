/* Runs CUDA artifacts through the NVIDIA driver API, loaded at run time. */
#include "internal.h"

#include "mlc/artifact_format.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The driver API subset the runtime uses ----
 *
 * Declared here rather than taken from cuda.h so that the runtime builds
 * without the CUDA toolkit. Types, values and signatures are those of cuda.h
 * (CUDA 12/13); the enums are int-sized there. The versioned names are what
 * libcuda.so.1 exports for the API that cuda.h's macros select. */

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_FOUND = 500,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_STREAM_NON_BLOCKING = 1,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
};

/// Dynamic shared memory a kernel may use without opting in.
#define MLC_CUDA_DEFAULT_SHARED_BYTES 49152

/// The driver library loaded when MLC_CUDA_DRIVER is unset.
#define MLC_CUDA_DRIVER_DEFAULT "libcuda.so.1"

/// Entry points of the driver, resolved once per process.
typedef struct mlc_cuda_driver {
  CUresult (*cuInit)(unsigned int flags);
  CUresult (*cuGetErrorName)(CUresult error, const char **name);
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device);
  CUresult (*cuCtxPushCurrent)(CUcontext context);
  CUresult (*cuCtxPopCurrent)(CUcontext *context);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image,
                                 unsigned int num_options, int *options,
                                 void **values);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name);
  CUresult (*cuFuncSetAttribute)(CUfunction function, int attribute, int value);
  CUresult (*cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);
  CUresult (*cuMemFree)(CUdeviceptr pointer);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr dst, const void *src, size_t bytes);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned int flags);
  CUresult (*cuStreamDestroy)(CUstream stream);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamBeginCapture)(CUstream stream, int mode);
  CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *exec, CUgraph graph,
                                          unsigned long long flags);
  CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
  CUresult (*cuGraphDestroy)(CUgraph graph);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned int grid_x,
                             unsigned int grid_y, unsigned int grid_z,
                             unsigned int block_x, unsigned int block_y,
                             unsigned int block_z, unsigned int shared_bytes,
                             CUstream stream, void **params, void **extra);
} mlc_cuda_driver;

/// Exported name of each entry point and where it goes in mlc_cuda_driver.
static const struct {
  const char *name;
  size_t offset;
} driver_symbols[] = {
    {"cuInit", offsetof(mlc_cuda_driver, cuInit)},
    {"cuGetErrorName", offsetof(mlc_cuda_driver, cuGetErrorName)},
    {"cuDeviceGetCount", offsetof(mlc_cuda_driver, cuDeviceGetCount)},
    {"cuDeviceGet", offsetof(mlc_cuda_driver, cuDeviceGet)},
    {"cuDeviceGetAttribute", offsetof(mlc_cuda_driver, cuDeviceGetAttribute)},
    {"cuDevicePrimaryCtxRetain",
     offsetof(mlc_cuda_driver, cuDevicePrimaryCtxRetain)},
    {"cuDevicePrimaryCtxRelease_v2",
     offsetof(mlc_cuda_driver, cuDevicePrimaryCtxRelease)},
    {"cuCtxPushCurrent_v2", offsetof(mlc_cuda_driver, cuCtxPushCurrent)},
    {"cuCtxPopCurrent_v2", offsetof(mlc_cuda_driver, cuCtxPopCurrent)},
    {"cuModuleLoadDataEx", offsetof(mlc_cuda_driver, cuModuleLoadDataEx)},
    {"cuModuleUnload", offsetof(mlc_cuda_driver, cuModuleUnload)},
    {"cuModuleGetFunction", offsetof(mlc_cuda_driver, cuModuleGetFunction)},
    {"cuFuncSetAttribute", offsetof(mlc_cuda_driver, cuFuncSetAttribute)},
    {"cuMemAlloc_v2", offsetof(mlc_cuda_driver, cuMemAlloc)},
    {"cuMemFree_v2", offsetof(mlc_cuda_driver, cuMemFree)},
    {"cuMemcpyHtoD_v2", offsetof(mlc_cuda_driver, cuMemcpyHtoD)},
    {"cuMemcpyHtoDAsync_v2", offsetof(mlc_cuda_driver, cuMemcpyHtoDAsync)},
    {"cuMemcpyDtoHAsync_v2", offsetof(mlc_cuda_driver, cuMemcpyDtoHAsync)},
    {"cuMemcpyDtoDAsync_v2", offsetof(mlc_cuda_driver, cuMemcpyDtoDAsync)},
    {"cuStreamCreate", offsetof(mlc_cuda_driver, cuStreamCreate)},
    {"cuStreamDestroy_v2", offsetof(mlc_cuda_driver, cuStreamDestroy)},
    {"cuStreamSynchronize", offsetof(mlc_cuda_driver, cuStreamSynchronize)},
    {"cuStreamBeginCapture_v2",
     offsetof(mlc_cuda_driver, cuStreamBeginCapture)},
    {"cuStreamEndCapture", offsetof(mlc_cuda_driver, cuStreamEndCapture)},
    {"cuGraphInstantiateWithFlags",
     offsetof(mlc_cuda_driver, cuGraphInstantiateWithFlags)},
    {"cuGraphLaunch", offsetof(mlc_cuda_driver, cuGraphLaunch)},
    {"cuGraphExecDestroy", offsetof(mlc_cuda_driver, cuGraphExecDestroy)},
    {"cuGraphDestroy", offsetof(mlc_cuda_driver, cuGraphDestroy)},
    {"cuLaunchKernel", offsetof(mlc_cuda_driver, cuLaunchKernel)},
};

/// The driver, loaded and initialized by load_driver_once.
static mlc_cuda_driver driver;
/// Why the driver is unusable ("" once it loaded and cuInit succeeded).
static char driver_error[512];
static pthread_once_t driver_once = PTHREAD_ONCE_INIT;

/// The driver's name for `result` ("CUDA_ERROR_OUT_OF_MEMORY").
static const char *error_name(CUresult result) {
  static _Thread_local char unknown[32];
  const char *name = NULL;
  if (driver.cuGetErrorName && driver.cuGetErrorName(result, &name) == 0 &&
      name)
    return name;
  snprintf(unknown, sizeof(unknown), "CUDA error %d", (int)result);
  return unknown;
}

/// Loads the driver library (MLC_CUDA_DRIVER, else libcuda.so.1), resolves
/// every entry point and calls cuInit; records the first failure.
static void load_driver_once(void) {
  const char *path = getenv("MLC_CUDA_DRIVER");
  if (!path || *path == '\0')
    path = MLC_CUDA_DRIVER_DEFAULT;
  // Never closed: the driver lives as long as the process.
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = dlerror();
    snprintf(driver_error, sizeof(driver_error),
             "cannot load the CUDA driver: %s", reason ? reason : path);
    return;
  }
  for (size_t i = 0; i < sizeof(driver_symbols) / sizeof(driver_symbols[0]);
       ++i) {
    void *symbol = dlsym(handle, driver_symbols[i].name);
    if (!symbol) {
      memset(&driver, 0, sizeof(driver));
      snprintf(driver_error, sizeof(driver_error),
               "the CUDA driver %s lacks %s (it is too old)", path,
               driver_symbols[i].name);
      return;
    }
    // POSIX guarantees data and function pointers convert through dlsym.
    memcpy((char *)&driver + driver_symbols[i].offset, &symbol, sizeof(symbol));
  }
  CUresult result = driver.cuInit(0);
  if (result != CUDA_SUCCESS)
    snprintf(driver_error, sizeof(driver_error),
             "cuInit failed: %s (no usable CUDA device)", error_name(result));
}

/// Records "<what>: <call> failed: <error name>" and returns `status`, or
/// MLC_ERROR_OUT_OF_MEMORY when the driver ran out of memory.
static mlc_status driver_error_status(mlc_status status, CUresult result,
                                      const char *what, const char *call) {
  if (result == CUDA_ERROR_OUT_OF_MEMORY)
    status = MLC_ERROR_OUT_OF_MEMORY;
  return mlc_set_error(status, "%s: %s failed: %s", what, call,
                       error_name(result));
}

/// One execution slot: what a run needs for itself. Slots are made on
/// demand, kept for reuse, and used by one run at a time.
typedef struct mlc_cuda_slot {
  CUstream stream;            ///< Where the run's work goes, in order.
  CUdeviceptr buffer;         ///< Arena and staging buffers, one allocation.
  CUgraphExec graph;          ///< The launches, captured on `stream`.
  struct mlc_cuda_slot *next; ///< Next idle slot.
} mlc_cuda_slot;

struct mlc_cuda_model {
  CUdevice device;
  CUcontext context;     ///< The device's primary context, retained.
  int retained;          ///< Whether `context` must be released.
  CUmodule module;       ///< The loaded cubin or PTX.
  CUfunction *functions; ///< One per launch, in plan order.
  int32_t max_args;      ///< Most parameters of one launch.
  CUdeviceptr weights;   ///< Device copy of mlc_cuda_weights (0 if empty).
  size_t slot_bytes;     ///< Size of a slot's buffer.
  size_t *offsets; ///< Staging offset in a slot's buffer: inputs, outputs.

  pthread_mutex_t slot_lock; ///< Guards the idle slots.
  int slot_lock_ready;       ///< Whether slot_lock was initialized.
  mlc_cuda_slot *idle_slots; ///< Slots no run is using.
  int32_t num_idle_slots;    ///< Length of idle_slots.
};

/// Makes the model's context current on this thread (undone by pop_context),
/// leaving whatever the caller had current underneath it.
static CUresult push_context(const mlc_cuda_model *cuda) {
  return driver.cuCtxPushCurrent(cuda->context);
}

/// Restores the caller's current context.
static void pop_context(void) {
  CUcontext popped;
  driver.cuCtxPopCurrent(&popped);
}

/// `value` rounded up to MLC_ARTIFACT_CUDA_ALIGNMENT; 0 on overflow.
static uint64_t align_up(uint64_t value) {
  uint64_t align = MLC_ARTIFACT_CUDA_ALIGNMENT;
  return value > UINT64_MAX - (align - 1) ? 0
                                          : (value + align - 1) / align * align;
}

/* ---- The artifact's data symbols ---- */

/// Looks up data symbol `name` and its `<name>_size` companion in the ELF
/// part. Sets a corrupt-artifact error when either is missing.
static mlc_status find_data(const mlc_model *model, const char *path,
                            const char *name, const uint8_t **data,
                            uint64_t *size) {
  char size_name[128];
  snprintf(size_name, sizeof(size_name), "%s%s", name,
           MLC_ARTIFACT_CUDA_SIZE_SUFFIX);
  *data = dlsym(model->dl_handle, name);
  const uint64_t *size_symbol = dlsym(model->dl_handle, size_name);
  if (!*data || !size_symbol)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: the ELF part does not export '%s'", path,
                         *data ? size_name : name);
  memcpy(size, size_symbol, sizeof(*size));
  return MLC_OK;
}

/// The image to load and what it is, for messages ("sm_86 cubin").
typedef struct mlc_cuda_image {
  const uint8_t *data;
  char description[32];
} mlc_cuda_image;

/// Checks every data symbol the plan names; picks the image for `device`:
/// the highest cubin of the device's major version not newer than it, else
/// the PTX.
static mlc_status choose_image(const mlc_model *model, const char *path,
                               mlc_cuda_arch device, mlc_cuda_image *image) {
  const mlc_cuda_plan *plan = &model->cuda_plan;
  const uint8_t *data;
  uint64_t size;
  image->data = NULL;
  mlc_status status = MLC_OK;
  for (int32_t i = 0; i < plan->num_cubins; ++i) {
    mlc_cuda_arch arch = plan->cubins[i];
    char name[64];
    snprintf(name, sizeof(name), "%ssm_%d%d%s",
             MLC_ARTIFACT_CUDA_CUBIN_SYMBOL_PREFIX, arch.major, arch.minor,
             arch.specific ? "a" : "");
    status = find_data(model, path, name, &data, &size);
    if (status != MLC_OK)
      return status;
    if (size < 4 || memcmp(data, "\177ELF", 4) != 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: '%s' is not an ELF cubin", path, name);
    // Cubins are ascending: the last match is the newest usable one. An
    // architecture-specific cubin runs on exactly its architecture.
    if (arch.major == device.major &&
        (arch.specific ? arch.minor == device.minor
                       : arch.minor <= device.minor)) {
      image->data = data;
      snprintf(image->description, sizeof(image->description),
               "sm_%d%d%s cubin", arch.major, arch.minor,
               arch.specific ? "a" : "");
    }
  }

  status = find_data(model, path, MLC_ARTIFACT_CUDA_PTX_SYMBOL, &data, &size);
  if (status != MLC_OK)
    return status;
  if (size == 0 || data[size - 1] != '\0' ||
      strlen((const char *)data) != size - 1)
    return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                         "%s: '%s' is not one NUL-terminated text of %" PRIu64
                         " bytes",
                         path, MLC_ARTIFACT_CUDA_PTX_SYMBOL, size);
  if (!image->data) {
    image->data = data;
    snprintf(image->description, sizeof(image->description), "sm_%d%d%s PTX",
             plan->ptx_arch.major, plan->ptx_arch.minor,
             plan->ptx_arch.specific ? "a" : "");
  }

  status =
      find_data(model, path, MLC_ARTIFACT_CUDA_WEIGHTS_SYMBOL, &data, &size);
  if (status == MLC_OK && size != plan->weights_bytes)
    status = mlc_set_error(
        MLC_ERROR_CORRUPT_ARTIFACT,
        "%s: '%s%s' is %" PRIu64 " but cuda_weights_bytes is %" PRIu64, path,
        MLC_ARTIFACT_CUDA_WEIGHTS_SYMBOL, MLC_ARTIFACT_CUDA_SIZE_SUFFIX, size,
        plan->weights_bytes);
  return status;
}

/// Computes where a slot keeps its arena (offset 0) and staging buffers.
static mlc_status plan_slot_layout(mlc_model *model, const char *path) {
  mlc_cuda_model *cuda = model->cuda;
  int32_t count = model->num_inputs + model->num_outputs;
  cuda->offsets = calloc((size_t)count, sizeof(size_t));
  if (!cuda->offsets)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  uint64_t total = align_up(model->arena_bytes);
  int overflow = model->arena_bytes > 0 && total == 0;
  for (int32_t i = 0; i < count && !overflow; ++i) {
    const mlc_tensor_desc *desc = i < model->num_inputs
                                      ? &model->inputs[i]
                                      : &model->outputs[i - model->num_inputs];
    cuda->offsets[i] = (size_t)total;
    uint64_t bytes = align_up(desc->byte_size);
    overflow = (desc->byte_size > 0 && bytes == 0) ||
               __builtin_add_overflow(total, bytes, &total) ||
               total > (uint64_t)SIZE_MAX;
  }
  if (overflow)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                         "%s: the device buffers of one run exceed the "
                         "address space",
                         path);
  // A zero-byte allocation is an error; keep one aligned block at least.
  cuda->slot_bytes = total > 0 ? (size_t)total : MLC_ARTIFACT_CUDA_ALIGNMENT;
  return MLC_OK;
}

/// Loads the image, resolves the kernels and uploads the weights. The
/// model's context is current.
static mlc_status load_on_device(mlc_model *model, const char *path,
                                 const mlc_cuda_image *image) {
  mlc_cuda_model *cuda = model->cuda;
  const mlc_cuda_plan *plan = &model->cuda_plan;
  char log[1024] = "";
  int options[2] = {CU_JIT_ERROR_LOG_BUFFER,
                    CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[2] = {log, (void *)(uintptr_t)sizeof(log)};
  CUresult result =
      driver.cuModuleLoadDataEx(&cuda->module, image->data, 2, options, values);
  if (result != CUDA_SUCCESS) {
    cuda->module = NULL;
    log[sizeof(log) - 1] = '\0';
    log[strcspn(log, "\n")] = '\0';
    mlc_status status = result == CUDA_ERROR_OUT_OF_MEMORY
                            ? MLC_ERROR_OUT_OF_MEMORY
                            : MLC_ERROR_INCOMPATIBLE_ARTIFACT;
    return mlc_set_error(status,
                         "%s: cannot load the %s: cuModuleLoadDataEx "
                         "failed: %s%s%s",
                         path, image->description, error_name(result),
                         log[0] ? ": " : "", log);
  }

  cuda->functions = calloc((size_t)plan->num_launches, sizeof(CUfunction));
  if (!cuda->functions)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  for (int32_t i = 0; i < plan->num_launches; ++i) {
    const mlc_cuda_launch *launch = &plan->launches[i];
    if (launch->num_args > cuda->max_args)
      cuda->max_args = launch->num_args;
    result = driver.cuModuleGetFunction(&cuda->functions[i], cuda->module,
                                        launch->kernel);
    if (result == CUDA_ERROR_NOT_FOUND)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: metadata line %d: kernel '%s' is not in the "
                           "%s",
                           path, launch->line, launch->kernel,
                           image->description);
    if (result != CUDA_SUCCESS)
      return driver_error_status(MLC_ERROR_INCOMPATIBLE_ARTIFACT, result, path,
                                 "cuModuleGetFunction");
    if (launch->shared_bytes > MLC_CUDA_DEFAULT_SHARED_BYTES) {
      result = driver.cuFuncSetAttribute(
          cuda->functions[i], CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
          (int)launch->shared_bytes);
      if (result != CUDA_SUCCESS)
        return mlc_set_error(MLC_ERROR_NO_DEVICE,
                             "%s: metadata line %d: kernel '%s' needs %" PRIu32
                             " bytes of shared memory: cuFuncSetAttribute "
                             "failed: %s",
                             path, launch->line, launch->kernel,
                             launch->shared_bytes, error_name(result));
    }
  }

  if (plan->weights_bytes > 0) {
    const uint8_t *weights =
        dlsym(model->dl_handle, MLC_ARTIFACT_CUDA_WEIGHTS_SYMBOL);
    result = driver.cuMemAlloc(&cuda->weights, (size_t)plan->weights_bytes);
    if (result != CUDA_SUCCESS) {
      cuda->weights = 0;
      return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                                 "cuMemAlloc (weights)");
    }
    result = driver.cuMemcpyHtoD(cuda->weights, weights,
                                 (size_t)plan->weights_bytes);
    if (result != CUDA_SUCCESS)
      return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                                 "cuMemcpyHtoD (weights)");
  }
  return plan_slot_layout(model, path);
}

mlc_status mlc_cuda_load(mlc_model *model, const char *path) {
  mlc_cuda_model *cuda = calloc(1, sizeof(mlc_cuda_model));
  if (!cuda)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: out of memory", path);
  model->cuda = cuda;
  if (pthread_mutex_init(&cuda->slot_lock, NULL) != 0)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "%s: cannot create a mutex",
                         path);
  cuda->slot_lock_ready = 1;

  // The artifact first: a broken one is reported the same on every machine.
  mlc_cuda_image image;
  mlc_cuda_arch no_device = {0, 0, 0};
  mlc_status status = choose_image(model, path, no_device, &image);
  if (status != MLC_OK)
    return status;

  pthread_once(&driver_once, load_driver_once);
  if (driver_error[0])
    return mlc_set_error(MLC_ERROR_NO_DEVICE, "%s: %s", path, driver_error);
  int count = 0;
  CUresult result = driver.cuDeviceGetCount(&count);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                               "cuDeviceGetCount");
  int32_t ordinal = model->device_id;
  if (ordinal >= count)
    return mlc_set_error(MLC_ERROR_NO_DEVICE,
                         "%s: there is no CUDA device %d (this machine has "
                         "%d)",
                         path, ordinal, count);
  result = driver.cuDeviceGet(&cuda->device, ordinal);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                               "cuDeviceGet");
  mlc_cuda_arch device = {0, 0, 0};
  result = driver.cuDeviceGetAttribute(
      &device.major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
      cuda->device);
  if (result == CUDA_SUCCESS)
    result = driver.cuDeviceGetAttribute(
        &device.minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
        cuda->device);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                               "cuDeviceGetAttribute");
  const mlc_cuda_arch ptx = model->cuda_plan.ptx_arch;
  if (ptx.specific && (device.major != ptx.major || device.minor != ptx.minor))
    return mlc_set_error(MLC_ERROR_NO_DEVICE,
                         "%s: the artifact is for sm_%d%da GPUs only, CUDA "
                         "device %d is sm_%d%d",
                         path, ptx.major, ptx.minor, ordinal, device.major,
                         device.minor);
  mlc_cuda_arch portable = ptx;
  portable.specific = 0;
  if (mlc_cuda_arch_compare(device, portable) < 0)
    return mlc_set_error(MLC_ERROR_NO_DEVICE,
                         "%s: the artifact needs sm_%d%d or newer, CUDA "
                         "device %d is sm_%d%d",
                         path, ptx.major, ptx.minor, ordinal, device.major,
                         device.minor);
  status = choose_image(model, path, device, &image);
  if (status != MLC_OK)
    return status;

  result = driver.cuDevicePrimaryCtxRetain(&cuda->context, cuda->device);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                               "cuDevicePrimaryCtxRetain");
  cuda->retained = 1;
  result = push_context(cuda);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_NO_DEVICE, result, path,
                               "cuCtxPushCurrent");
  status = load_on_device(model, path, &image);
  pop_context();
  return status;
}

/* ---- Execution slots ---- */

/// Waits for and frees one slot. The context is current.
static void slot_destroy(mlc_cuda_slot *slot) {
  if (slot->stream)
    driver.cuStreamSynchronize(slot->stream);
  if (slot->graph)
    driver.cuGraphExecDestroy(slot->graph);
  if (slot->stream)
    driver.cuStreamDestroy(slot->stream);
  if (slot->buffer)
    driver.cuMemFree(slot->buffer);
  free(slot);
}

/// The device address kernel argument `arg` stands for in `slot`.
static CUdeviceptr arg_address(const mlc_model *model,
                               const mlc_cuda_slot *slot,
                               const mlc_cuda_arg *arg) {
  const mlc_cuda_model *cuda = model->cuda;
  switch (arg->kind) {
  case MLC_CUDA_ARG_INPUT:
    return slot->buffer + cuda->offsets[arg->index];
  case MLC_CUDA_ARG_OUTPUT:
    return slot->buffer + cuda->offsets[model->num_inputs + arg->index];
  case MLC_CUDA_ARG_ARENA:
    return model->arena_bytes > 0 ? slot->buffer : 0;
  case MLC_CUDA_ARG_WEIGHTS:
    return cuda->weights;
  }
  return 0;
}

/// Records every launch of the plan on the slot's stream into a graph and
/// instantiates it. The context is current.
static mlc_status slot_capture(const mlc_model *model, mlc_cuda_slot *slot) {
  const mlc_cuda_model *cuda = model->cuda;
  const mlc_cuda_plan *plan = &model->cuda_plan;
  CUdeviceptr *values = malloc((size_t)cuda->max_args * sizeof(CUdeviceptr));
  void **params = malloc((size_t)cuda->max_args * sizeof(void *));
  if (!values || !params) {
    free(values);
    free(params);
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  // Thread-local mode: only this thread's capture constrains what it may
  // call, so other threads keep allocating and running meanwhile.
  CUresult result = driver.cuStreamBeginCapture(
      slot->stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  if (result != CUDA_SUCCESS) {
    free(values);
    free(params);
    return driver_error_status(MLC_ERROR_RUN_FAILED, result,
                               "capturing the launches",
                               "cuStreamBeginCapture");
  }
  mlc_status status = MLC_OK;
  for (int32_t i = 0; status == MLC_OK && i < plan->num_launches; ++i) {
    const mlc_cuda_launch *launch = &plan->launches[i];
    for (int32_t a = 0; a < launch->num_args; ++a) {
      values[a] = arg_address(model, slot, &launch->args[a]);
      params[a] = &values[a];
    }
    result = driver.cuLaunchKernel(
        cuda->functions[i], launch->grid[0], launch->grid[1], launch->grid[2],
        launch->block[0], launch->block[1], launch->block[2],
        launch->shared_bytes, slot->stream, params, NULL);
    if (result != CUDA_SUCCESS) {
      char what[160];
      snprintf(what, sizeof(what), "kernel '%s' (metadata line %d)",
               launch->kernel, launch->line);
      status = driver_error_status(MLC_ERROR_RUN_FAILED, result, what,
                                   "cuLaunchKernel");
    }
  }
  free(values);
  free(params);
  // End the capture even after a failed launch, to leave capture mode.
  CUgraph graph = NULL;
  result = driver.cuStreamEndCapture(slot->stream, &graph);
  if (status == MLC_OK && result != CUDA_SUCCESS)
    status =
        driver_error_status(MLC_ERROR_RUN_FAILED, result,
                            "capturing the launches", "cuStreamEndCapture");
  if (status == MLC_OK) {
    result = driver.cuGraphInstantiateWithFlags(&slot->graph, graph, 0);
    if (result != CUDA_SUCCESS) {
      slot->graph = NULL;
      status = driver_error_status(MLC_ERROR_RUN_FAILED, result,
                                   "capturing the launches",
                                   "cuGraphInstantiateWithFlags");
    }
  }
  if (graph)
    driver.cuGraphDestroy(graph);
  return status;
}

/// Takes an idle slot, or makes one: stream, buffer, captured graph. The
/// context is current.
static mlc_status slot_acquire(const mlc_model *model, mlc_cuda_slot **out) {
  mlc_cuda_model *cuda = model->cuda;
  pthread_mutex_lock(&cuda->slot_lock);
  mlc_cuda_slot *slot = cuda->idle_slots;
  if (slot) {
    cuda->idle_slots = slot->next;
    --cuda->num_idle_slots;
  }
  pthread_mutex_unlock(&cuda->slot_lock);
  if (slot) {
    *out = slot;
    return MLC_OK;
  }
  slot = calloc(1, sizeof(mlc_cuda_slot));
  if (!slot)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
  mlc_status status = MLC_OK;
  CUresult result =
      driver.cuStreamCreate(&slot->stream, CU_STREAM_NON_BLOCKING);
  if (result != CUDA_SUCCESS) {
    slot->stream = NULL;
    status =
        driver_error_status(MLC_ERROR_RUN_FAILED, result,
                            "creating an execution slot", "cuStreamCreate");
  }
  if (status == MLC_OK) {
    result = driver.cuMemAlloc(&slot->buffer, cuda->slot_bytes);
    if (result != CUDA_SUCCESS) {
      slot->buffer = 0;
      char what[96];
      snprintf(what, sizeof(what), "allocating %zu bytes of device buffers",
               cuda->slot_bytes);
      status =
          driver_error_status(MLC_ERROR_RUN_FAILED, result, what, "cuMemAlloc");
    }
  }
  if (status == MLC_OK)
    status = slot_capture(model, slot);
  if (status != MLC_OK) {
    slot_destroy(slot);
    return status;
  }
  *out = slot;
  return MLC_OK;
}

/// Keeps an idle slot for the next run, or frees it when enough are kept.
/// The context is current.
static void slot_release(mlc_cuda_model *cuda, mlc_cuda_slot *slot) {
  pthread_mutex_lock(&cuda->slot_lock);
  if (cuda->num_idle_slots < MLC_ARENA_CACHE_SIZE) {
    slot->next = cuda->idle_slots;
    cuda->idle_slots = slot;
    ++cuda->num_idle_slots;
    slot = NULL;
  }
  pthread_mutex_unlock(&cuda->slot_lock);
  if (slot)
    slot_destroy(slot);
}

/// Copies one tensor between the caller's memory and the slot's staging
/// buffer, in stream order.
static mlc_status copy_tensor(const mlc_tensor_desc *desc, const char *kind,
                              int32_t index, CUdeviceptr staging, void *data,
                              int on_device, int to_staging, CUstream stream) {
  size_t bytes = (size_t)desc->byte_size;
  if (bytes == 0)
    return MLC_OK;
  CUdeviceptr device_data = (CUdeviceptr)(uintptr_t)data;
  CUresult result;
  const char *call;
  if (on_device) {
    call = "cuMemcpyDtoDAsync";
    result =
        to_staging
            ? driver.cuMemcpyDtoDAsync(staging, device_data, bytes, stream)
            : driver.cuMemcpyDtoDAsync(device_data, staging, bytes, stream);
  } else if (to_staging) {
    call = "cuMemcpyHtoDAsync";
    result = driver.cuMemcpyHtoDAsync(staging, data, bytes, stream);
  } else {
    call = "cuMemcpyDtoHAsync";
    result = driver.cuMemcpyDtoHAsync(data, staging, bytes, stream);
  }
  if (result == CUDA_SUCCESS)
    return MLC_OK;
  char what[320];
  snprintf(what, sizeof(what), "%s '%s' (index %d)", kind, desc->name, index);
  return driver_error_status(MLC_ERROR_RUN_FAILED, result, what, call);
}

/// Inputs in, the graph, outputs out, then waits. The context is current.
static mlc_status run_in_slot(const mlc_model *model, mlc_cuda_slot *slot,
                              void *const *input_data, void *const *output_data,
                              const uint8_t *on_device) {
  const mlc_cuda_model *cuda = model->cuda;
  mlc_status status = MLC_OK;
  for (int32_t i = 0; status == MLC_OK && i < model->num_inputs; ++i)
    status = copy_tensor(&model->inputs[i], "input", i,
                         slot->buffer + cuda->offsets[i], input_data[i],
                         on_device[i], 1, slot->stream);
  if (status != MLC_OK)
    return status;
  CUresult result = driver.cuGraphLaunch(slot->graph, slot->stream);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_RUN_FAILED, result,
                               "running the launches", "cuGraphLaunch");
  for (int32_t i = 0; status == MLC_OK && i < model->num_outputs; ++i) {
    int32_t t = model->num_inputs + i;
    status = copy_tensor(&model->outputs[i], "output", i,
                         slot->buffer + cuda->offsets[t], output_data[i],
                         on_device[t], 0, slot->stream);
  }
  if (status != MLC_OK)
    return status;
  result = driver.cuStreamSynchronize(slot->stream);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_RUN_FAILED, result,
                               "waiting for the run", "cuStreamSynchronize");
  return MLC_OK;
}

mlc_status mlc_cuda_run(mlc_model *model, void *const *input_data,
                        void *const *output_data, const uint8_t *on_device) {
  mlc_cuda_model *cuda = model->cuda;
  CUresult result = push_context(cuda);
  if (result != CUDA_SUCCESS)
    return driver_error_status(MLC_ERROR_RUN_FAILED, result,
                               "entering the model's CUDA context",
                               "cuCtxPushCurrent");
  mlc_cuda_slot *slot = NULL;
  mlc_status status = slot_acquire(model, &slot);
  if (status == MLC_OK) {
    status = run_in_slot(model, slot, input_data, output_data, on_device);
    // A slot whose run failed may hold half-done work: never reuse it.
    if (status == MLC_OK)
      slot_release(cuda, slot);
    else
      slot_destroy(slot);
  }
  pop_context();
  return status;
}

void mlc_cuda_free(mlc_cuda_model *cuda) {
  if (!cuda)
    return;
  if (cuda->retained && push_context(cuda) == CUDA_SUCCESS) {
    while (cuda->idle_slots) {
      mlc_cuda_slot *slot = cuda->idle_slots;
      cuda->idle_slots = slot->next;
      slot_destroy(slot);
    }
    if (cuda->weights)
      driver.cuMemFree(cuda->weights);
    if (cuda->module)
      driver.cuModuleUnload(cuda->module);
    pop_context();
  }
  if (cuda->retained)
    driver.cuDevicePrimaryCtxRelease(cuda->device);
  if (cuda->slot_lock_ready)
    pthread_mutex_destroy(&cuda->slot_lock);
  free(cuda->functions);
  free(cuda->offsets);
  free(cuda);
}
