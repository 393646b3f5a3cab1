/* A mock CUDA driver on host memory, so the runtime's CUDA path runs in tests
 * without a GPU. */
#include "mock_cuda.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

enum {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
};

/// Highest device count mock_cuda_configure accepts.
#define MOCK_MAX_DEVICES 4
/// Deepest context stack per thread.
#define MOCK_MAX_CONTEXT_DEPTH 16
/// Most kernel parameters.
#define MOCK_MAX_PARAMS 8
/// Most live allocations.
#define MOCK_MAX_ALLOCATIONS 4096

/* ---- State ---- */

/// A context: the primary context of a device, or the user's stand-in.
typedef struct mock_context {
  int device; ///< -1 for the user's context.
  int retains;
} mock_context;

/// One kernel launch with its parameter values.
typedef struct mock_launch {
  const struct mock_kernel *kernel;
  uint64_t threads;
  CUdeviceptr params[MOCK_MAX_PARAMS];
} mock_launch;

/// A list of launches: a graph, an executable graph or a capture.
typedef struct mock_graph {
  mock_launch *launches;
  int count;
} mock_graph;

/// Queued stream work.
typedef enum mock_op_kind { MOCK_COPY, MOCK_GRAPH } mock_op_kind;
typedef struct mock_op {
  mock_op_kind kind;
  void *dst;
  const void *src;
  size_t bytes;
  const mock_graph *graph;
} mock_op;

typedef struct mock_stream {
  mock_op *ops;
  int num_ops, capacity;
  int capturing;
  mock_graph capture;
} mock_stream;

typedef struct mock_module {
  int device;
} mock_module;

/// A kernel of kernels/cuda_kernels.cu on the host: element i of every
/// pointer parameter, for each i below the launch's thread count.
typedef struct mock_kernel {
  const char *name;
  int num_params;
  void (*run)(float *const *params, uint64_t i);
} mock_kernel;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int device_count = 1, cc_major = 8, cc_minor = 6;
static mock_context primary[MOCK_MAX_DEVICES] = {
    {0, 0}, {1, 0}, {2, 0}, {3, 0}};
static mock_context user_context = {-1, 1};
static struct {
  uint8_t *base;
  size_t size;
} allocations[MOCK_MAX_ALLOCATIONS];
static int num_allocations;
static mock_cuda_stats stats;
static char fail_name[64];
static int fail_skip, fail_error;
static _Thread_local mock_context *context_stack[MOCK_MAX_CONTEXT_DEPTH];
static _Thread_local int context_depth;

static void add_one(float *const *p, uint64_t i) { p[1][i] = p[0][i] + 1.0f; }
static void scale2(float *const *p, uint64_t i) { p[1][i] = p[0][i] * 2.0f; }
static void add_weights(float *const *p, uint64_t i) {
  p[2][i] = p[0][i] + p[1][i];
}

static const mock_kernel kernels[] = {
    {"add_one", 2, add_one},
    {"scale2", 2, scale2},
    {"add_weights", 3, add_weights},
};

/// Records an API misuse (lock held) and returns `error`.
static CUresult misuse(CUresult error, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(stats.last_misuse, sizeof(stats.last_misuse), format, args);
  va_end(args);
  ++stats.misuses;
  return error;
}

/// Takes the lock; returns the injected failure for `name` if it is due.
static CUresult enter(const char *name) {
  pthread_mutex_lock(&lock);
  if (fail_name[0] && strcmp(fail_name, name) == 0 && fail_skip-- == 0) {
    fail_name[0] = '\0';
    return fail_error;
  }
  return CUDA_SUCCESS;
}

/// Drops the lock and returns `result`.
static CUresult leave(CUresult result) {
  pthread_mutex_unlock(&lock);
  return result;
}

/// Whether the calling thread has a primary context current.
static int have_context(void) {
  return context_depth > 0 && context_stack[context_depth - 1]->device >= 0 &&
         context_stack[context_depth - 1]->retains > 0;
}

/// The allocation holding [pointer, pointer + bytes), or -1.
static int find_allocation(const void *pointer, size_t bytes) {
  const uint8_t *p = pointer;
  for (int i = 0; i < num_allocations; ++i)
    if (p >= allocations[i].base &&
        p + bytes <= allocations[i].base + allocations[i].size &&
        (size_t)(p - allocations[i].base) <= allocations[i].size)
      return i;
  return -1;
}

/// Whether any byte of [pointer, pointer + bytes) is device memory.
static int touches_device(const void *pointer, size_t bytes) {
  const uint8_t *p = pointer;
  for (int i = 0; i < num_allocations; ++i)
    if (p < allocations[i].base + allocations[i].size &&
        allocations[i].base < p + (bytes ? bytes : 1))
      return 1;
  return 0;
}

static void *allocate(size_t bytes) {
  if (num_allocations == MOCK_MAX_ALLOCATIONS)
    return NULL;
  size_t rounded = (bytes + 255) / 256 * 256;
  void *p = aligned_alloc(256, rounded);
  if (!p)
    return NULL;
  allocations[num_allocations].base = p;
  allocations[num_allocations].size = bytes;
  ++num_allocations;
  ++stats.live_allocations;
  return p;
}

static int release(void *p) {
  for (int i = 0; i < num_allocations; ++i)
    if (allocations[i].base == p) {
      allocations[i] = allocations[--num_allocations];
      free(p);
      --stats.live_allocations;
      return 0;
    }
  return -1;
}

/// Runs one launch (lock held); checks every element it touches.
static CUresult run_launch(const mock_launch *launch) {
  float *params[MOCK_MAX_PARAMS];
  size_t bytes = launch->threads * sizeof(float);
  for (int p = 0; p < launch->kernel->num_params; ++p) {
    params[p] = (float *)(uintptr_t)launch->params[p];
    if (find_allocation(params[p], bytes) < 0)
      return misuse(CUDA_ERROR_ILLEGAL_ADDRESS,
                    "%s: parameter %d does not hold %zu allocated bytes",
                    launch->kernel->name, p, bytes);
  }
  for (uint64_t i = 0; i < launch->threads; ++i)
    launch->kernel->run(params, i);
  ++stats.kernel_runs;
  return CUDA_SUCCESS;
}

/// Runs a stream's queued work (lock held).
static CUresult drain(mock_stream *stream) {
  CUresult result = CUDA_SUCCESS;
  for (int i = 0; i < stream->num_ops; ++i) {
    const mock_op *op = &stream->ops[i];
    if (op->kind == MOCK_COPY) {
      memcpy(op->dst, op->src, op->bytes);
      continue;
    }
    ++stats.graph_launches;
    for (int l = 0; l < op->graph->count && result == CUDA_SUCCESS; ++l)
      result = run_launch(&op->graph->launches[l]);
  }
  stream->num_ops = 0;
  return result;
}

static CUresult enqueue(mock_stream *stream, mock_op op) {
  if (stream->capturing)
    return misuse(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
                  "work other than kernels queued during capture");
  if (stream->num_ops == stream->capacity) {
    int capacity = stream->capacity ? 2 * stream->capacity : 8;
    mock_op *ops = realloc(stream->ops, (size_t)capacity * sizeof(mock_op));
    if (!ops)
      return CUDA_ERROR_OUT_OF_MEMORY;
    stream->ops = ops;
    stream->capacity = capacity;
  }
  stream->ops[stream->num_ops++] = op;
  return CUDA_SUCCESS;
}

/* ---- Control interface ---- */

EXPORT void mock_cuda_configure(int count, int major, int minor) {
  pthread_mutex_lock(&lock);
  device_count = count < MOCK_MAX_DEVICES ? count : MOCK_MAX_DEVICES;
  cc_major = major;
  cc_minor = minor;
  pthread_mutex_unlock(&lock);
}

EXPORT void mock_cuda_fail(const char *name, int skip, int error) {
  pthread_mutex_lock(&lock);
  snprintf(fail_name, sizeof(fail_name), "%s", name ? name : "");
  fail_skip = skip;
  fail_error = error;
  pthread_mutex_unlock(&lock);
}

EXPORT void mock_cuda_get_stats(mock_cuda_stats *out) {
  pthread_mutex_lock(&lock);
  *out = stats;
  out->primary_retains = primary[0].retains;
  pthread_mutex_unlock(&lock);
}

EXPORT void mock_cuda_reset_counters(void) {
  pthread_mutex_lock(&lock);
  mock_cuda_stats live = stats;
  memset(&stats, 0, sizeof(stats));
  stats.live_allocations = live.live_allocations;
  stats.live_streams = live.live_streams;
  stats.live_graphs = live.live_graphs;
  stats.live_execs = live.live_execs;
  stats.live_modules = live.live_modules;
  pthread_mutex_unlock(&lock);
}

EXPORT void *mock_cuda_device_alloc(uint64_t bytes) {
  pthread_mutex_lock(&lock);
  void *p = allocate((size_t)bytes);
  pthread_mutex_unlock(&lock);
  return p;
}

EXPORT void mock_cuda_device_free(void *pointer) {
  pthread_mutex_lock(&lock);
  release(pointer);
  pthread_mutex_unlock(&lock);
}

EXPORT void *mock_cuda_user_context(void) { return &user_context; }

/* ---- Driver entry points ---- */

EXPORT CUresult cuInit(unsigned int flags) {
  CUresult r = enter("cuInit");
  if (r == CUDA_SUCCESS && flags != 0)
    r = misuse(CUDA_ERROR_INVALID_VALUE, "cuInit flags %u", flags);
  return leave(r);
}

EXPORT CUresult cuGetErrorName(CUresult error, const char **name) {
  static const struct {
    CUresult code;
    const char *name;
  } names[] = {
      {CUDA_SUCCESS, "CUDA_SUCCESS"},
      {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE"},
      {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY"},
      {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED"},
      {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE"},
      {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE"},
      {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE"},
      {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT"},
      {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
      {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX"},
      {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE"},
      {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND"},
      {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED"},
      {CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
       "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"},
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i)
    if (names[i].code == error) {
      *name = names[i].name;
      return CUDA_SUCCESS;
    }
  *name = NULL;
  return CUDA_ERROR_INVALID_VALUE;
}

EXPORT CUresult cuDeviceGetCount(int *count) {
  CUresult r = enter("cuDeviceGetCount");
  if (r == CUDA_SUCCESS)
    *count = device_count;
  return leave(r);
}

EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  CUresult r = enter("cuDeviceGet");
  if (r == CUDA_SUCCESS && (ordinal < 0 || ordinal >= device_count))
    r = misuse(CUDA_ERROR_INVALID_DEVICE, "cuDeviceGet(%d)", ordinal);
  if (r == CUDA_SUCCESS)
    *device = ordinal;
  return leave(r);
}

EXPORT CUresult cuDeviceGetAttribute(int *value, int attribute,
                                     CUdevice device) {
  CUresult r = enter("cuDeviceGetAttribute");
  if (r == CUDA_SUCCESS && (device < 0 || device >= device_count))
    r = misuse(CUDA_ERROR_INVALID_DEVICE, "attribute of device %d", device);
  if (r == CUDA_SUCCESS) {
    if (attribute == 75)
      *value = cc_major;
    else if (attribute == 76)
      *value = cc_minor;
    else
      r = misuse(CUDA_ERROR_INVALID_VALUE, "attribute %d", attribute);
  }
  return leave(r);
}

EXPORT CUresult cuDevicePrimaryCtxRetain(void **context, CUdevice device) {
  CUresult r = enter("cuDevicePrimaryCtxRetain");
  if (r == CUDA_SUCCESS && (device < 0 || device >= device_count))
    r = misuse(CUDA_ERROR_INVALID_DEVICE, "retain of device %d", device);
  if (r == CUDA_SUCCESS) {
    ++primary[device].retains;
    *context = &primary[device];
  }
  return leave(r);
}

EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  CUresult r = enter("cuDevicePrimaryCtxRelease_v2");
  if (r == CUDA_SUCCESS &&
      (device < 0 || device >= MOCK_MAX_DEVICES || primary[device].retains < 1))
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "unbalanced release of device %d",
               device);
  if (r == CUDA_SUCCESS)
    --primary[device].retains;
  return leave(r);
}

EXPORT CUresult cuCtxPushCurrent_v2(void *context) {
  CUresult r = enter("cuCtxPushCurrent_v2");
  mock_context *c = context;
  if (r == CUDA_SUCCESS &&
      (!c || context_depth == MOCK_MAX_CONTEXT_DEPTH || c->retains < 1))
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "push of a dead context");
  if (r == CUDA_SUCCESS)
    context_stack[context_depth++] = c;
  return leave(r);
}

EXPORT CUresult cuCtxPopCurrent_v2(void **context) {
  CUresult r = enter("cuCtxPopCurrent_v2");
  if (r == CUDA_SUCCESS && context_depth == 0)
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "pop of an empty context stack");
  if (r == CUDA_SUCCESS) {
    --context_depth;
    if (context)
      *context = context_stack[context_depth];
  }
  return leave(r);
}

/// Not used by the runtime: lets tests see the current context.
EXPORT CUresult cuCtxGetCurrent(void **context) {
  *context = context_depth ? context_stack[context_depth - 1] : NULL;
  return CUDA_SUCCESS;
}

EXPORT CUresult cuModuleLoadDataEx(mock_module **module, const void *image,
                                   unsigned int num_options, int *options,
                                   void **values) {
  CUresult r = enter("cuModuleLoadDataEx");
  char *log = NULL;
  size_t log_size = 0;
  for (unsigned int i = 0; i < num_options; ++i) {
    if (options[i] == 5)
      log = values[i];
    else if (options[i] == 6)
      log_size = (size_t)(uintptr_t)values[i];
  }
  if (r != CUDA_SUCCESS && log && log_size > 0)
    snprintf(log, log_size, "ptxas fatal   : mock failure\nsecond line");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "module load without a context");
  const char *text = image;
  int major = 0, minor = 0;
  if (r == CUDA_SUCCESS && memcmp(text, "\177ELF mock-cubin sm_", 19) == 0) {
    // A stand-in cubin runs on its own major version only, an
    // architecture-specific one (sm_XYa) on exactly its architecture.
    int specific = text[21] == 'a';
    if (sscanf(text + 19, "%1d%1d", &major, &minor) != 2)
      r = misuse(CUDA_ERROR_INVALID_IMAGE, "bad cubin");
    else if (major != cc_major || minor > cc_minor ||
             (specific && minor != cc_minor))
      r = CUDA_ERROR_NO_BINARY_FOR_GPU;
    else
      snprintf(stats.last_image, sizeof(stats.last_image), "sm_%d%d%s", major,
               minor, specific ? "a" : "");
  } else if (r == CUDA_SUCCESS) {
    const char *target = strstr(text, "\n.target sm_");
    if (!target || sscanf(target + 12, "%1d%1d", &major, &minor) != 2)
      r = misuse(CUDA_ERROR_INVALID_PTX, "PTX without a .target");
    else if (major * 10 + minor > cc_major * 10 + cc_minor)
      r = CUDA_ERROR_NO_BINARY_FOR_GPU;
    else
      snprintf(stats.last_image, sizeof(stats.last_image), "ptx");
  }
  if (r == CUDA_SUCCESS) {
    *module = malloc(sizeof(mock_module));
    (*module)->device = context_stack[context_depth - 1]->device;
    ++stats.live_modules;
  }
  return leave(r);
}

EXPORT CUresult cuModuleUnload(mock_module *module) {
  CUresult r = enter("cuModuleUnload");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "unload without a context");
  if (r == CUDA_SUCCESS) {
    free(module);
    --stats.live_modules;
  }
  return leave(r);
}

EXPORT CUresult cuModuleGetFunction(const mock_kernel **function,
                                    mock_module *module, const char *name) {
  CUresult r = enter("cuModuleGetFunction");
  if (r == CUDA_SUCCESS && !module)
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "no module");
  if (r != CUDA_SUCCESS)
    return leave(r);
  for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); ++i)
    if (strcmp(kernels[i].name, name) == 0) {
      *function = &kernels[i];
      return leave(CUDA_SUCCESS);
    }
  return leave(CUDA_ERROR_NOT_FOUND);
}

EXPORT CUresult cuFuncSetAttribute(const mock_kernel *function, int attribute,
                                   int value) {
  CUresult r = enter("cuFuncSetAttribute");
  // Attribute 8: dynamic shared memory; the mock device has 100 KiB.
  if (r == CUDA_SUCCESS && (!function || attribute != 8))
    r = misuse(CUDA_ERROR_INVALID_VALUE, "function attribute %d", attribute);
  if (r == CUDA_SUCCESS && value > 100 * 1024)
    r = CUDA_ERROR_INVALID_VALUE;
  return leave(r);
}

EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  CUresult r = enter("cuMemAlloc_v2");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "cuMemAlloc without a context");
  if (r == CUDA_SUCCESS && bytes == 0)
    r = misuse(CUDA_ERROR_INVALID_VALUE, "cuMemAlloc of 0 bytes");
  void *p = NULL;
  if (r == CUDA_SUCCESS && !(p = allocate(bytes)))
    r = CUDA_ERROR_OUT_OF_MEMORY;
  if (r == CUDA_SUCCESS)
    *pointer = (CUdeviceptr)(uintptr_t)p;
  return leave(r);
}

EXPORT CUresult cuMemFree_v2(CUdeviceptr pointer) {
  CUresult r = enter("cuMemFree_v2");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "cuMemFree without a context");
  if (r == CUDA_SUCCESS && release((void *)(uintptr_t)pointer) != 0)
    r = misuse(CUDA_ERROR_INVALID_VALUE, "cuMemFree of a non-allocation");
  return leave(r);
}

/// Checks a copy's sides: `dst_device`/`src_device` say which must be device
/// memory (inside one allocation); the others must not touch device memory.
static CUresult check_copy(const char *call, void *dst, int dst_device,
                           const void *src, int src_device, size_t bytes) {
  if (!have_context())
    return misuse(CUDA_ERROR_INVALID_CONTEXT, "%s without a context", call);
  if (dst_device ? find_allocation(dst, bytes) < 0 : touches_device(dst, bytes))
    return misuse(CUDA_ERROR_INVALID_VALUE, "%s: bad destination", call);
  if (src_device ? find_allocation(src, bytes) < 0 : touches_device(src, bytes))
    return misuse(CUDA_ERROR_INVALID_VALUE, "%s: bad source", call);
  return CUDA_SUCCESS;
}

EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                size_t bytes) {
  CUresult r = enter("cuMemcpyHtoD_v2");
  void *d = (void *)(uintptr_t)dst;
  if (r == CUDA_SUCCESS)
    r = check_copy("cuMemcpyHtoD", d, 1, src, 0, bytes);
  if (r == CUDA_SUCCESS) {
    memcpy(d, src, bytes);
    ++stats.htod_copies;
  }
  return leave(r);
}

EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src,
                                     size_t bytes, mock_stream *stream) {
  CUresult r = enter("cuMemcpyHtoDAsync_v2");
  void *d = (void *)(uintptr_t)dst;
  if (r == CUDA_SUCCESS && !stream)
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "copy on the default stream");
  if (r == CUDA_SUCCESS)
    r = check_copy("cuMemcpyHtoDAsync", d, 1, src, 0, bytes);
  if (r == CUDA_SUCCESS)
    r = enqueue(stream, (mock_op){MOCK_COPY, d, src, bytes, NULL});
  if (r == CUDA_SUCCESS)
    ++stats.htod_copies;
  return leave(r);
}

EXPORT CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                                     mock_stream *stream) {
  CUresult r = enter("cuMemcpyDtoHAsync_v2");
  const void *s = (const void *)(uintptr_t)src;
  if (r == CUDA_SUCCESS && !stream)
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "copy on the default stream");
  if (r == CUDA_SUCCESS)
    r = check_copy("cuMemcpyDtoHAsync", dst, 0, s, 1, bytes);
  if (r == CUDA_SUCCESS)
    r = enqueue(stream, (mock_op){MOCK_COPY, dst, s, bytes, NULL});
  if (r == CUDA_SUCCESS)
    ++stats.dtoh_copies;
  return leave(r);
}

EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src,
                                     size_t bytes, mock_stream *stream) {
  CUresult r = enter("cuMemcpyDtoDAsync_v2");
  void *d = (void *)(uintptr_t)dst;
  const void *s = (const void *)(uintptr_t)src;
  if (r == CUDA_SUCCESS && !stream)
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "copy on the default stream");
  if (r == CUDA_SUCCESS)
    r = check_copy("cuMemcpyDtoDAsync", d, 1, s, 1, bytes);
  if (r == CUDA_SUCCESS)
    r = enqueue(stream, (mock_op){MOCK_COPY, d, s, bytes, NULL});
  if (r == CUDA_SUCCESS)
    ++stats.dtod_copies;
  return leave(r);
}

EXPORT CUresult cuStreamCreate(mock_stream **stream, unsigned int flags) {
  CUresult r = enter("cuStreamCreate");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "stream without a context");
  if (r == CUDA_SUCCESS && flags != 1)
    r = misuse(CUDA_ERROR_INVALID_VALUE, "blocking stream (flags %u)", flags);
  if (r == CUDA_SUCCESS) {
    *stream = calloc(1, sizeof(mock_stream));
    ++stats.live_streams;
  }
  return leave(r);
}

EXPORT CUresult cuStreamDestroy_v2(mock_stream *stream) {
  CUresult r = enter("cuStreamDestroy_v2");
  if (r == CUDA_SUCCESS && (!stream || stream->capturing))
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "destroy of a bad stream");
  if (r == CUDA_SUCCESS) {
    stats.dropped_ops += stream->num_ops;
    free(stream->ops);
    free(stream);
    --stats.live_streams;
  }
  return leave(r);
}

EXPORT CUresult cuStreamSynchronize(mock_stream *stream) {
  CUresult r = enter("cuStreamSynchronize");
  if (r == CUDA_SUCCESS && (!stream || stream->capturing))
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "sync of a bad stream");
  if (r == CUDA_SUCCESS)
    r = drain(stream);
  else if (stream && !stream->capturing)
    stream->num_ops = 0; // A failed sync leaves nothing queued either.
  return leave(r);
}

EXPORT CUresult cuStreamBeginCapture_v2(mock_stream *stream, int mode) {
  CUresult r = enter("cuStreamBeginCapture_v2");
  if (r == CUDA_SUCCESS && (!stream || stream->capturing || mode != 1))
    r = misuse(CUDA_ERROR_INVALID_VALUE, "bad capture (mode %d)", mode);
  if (r == CUDA_SUCCESS) {
    stream->capturing = 1;
    stream->capture.launches = NULL;
    stream->capture.count = 0;
    ++stats.captures;
  }
  return leave(r);
}

EXPORT CUresult cuStreamEndCapture(mock_stream *stream, mock_graph **graph) {
  CUresult r = enter("cuStreamEndCapture");
  if (r == CUDA_SUCCESS && (!stream || !stream->capturing))
    r = misuse(CUDA_ERROR_INVALID_VALUE, "end of no capture");
  if (stream && stream->capturing) {
    // Even a failing end leaves capture mode, as the real driver does.
    stream->capturing = 0;
    if (r == CUDA_SUCCESS) {
      *graph = malloc(sizeof(mock_graph));
      **graph = stream->capture;
      ++stats.live_graphs;
    } else {
      free(stream->capture.launches);
    }
  }
  return leave(r);
}

EXPORT CUresult cuGraphInstantiateWithFlags(mock_graph **exec,
                                            mock_graph *graph,
                                            unsigned long long flags) {
  CUresult r = enter("cuGraphInstantiateWithFlags");
  if (r == CUDA_SUCCESS && (!graph || flags != 0))
    r = misuse(CUDA_ERROR_INVALID_VALUE, "bad instantiation");
  if (r == CUDA_SUCCESS) {
    mock_graph *copy = malloc(sizeof(mock_graph));
    copy->count = graph->count;
    copy->launches =
        malloc((size_t)(graph->count ? graph->count : 1) * sizeof(mock_launch));
    memcpy(copy->launches, graph->launches,
           (size_t)graph->count * sizeof(mock_launch));
    *exec = copy;
    ++stats.live_execs;
    ++stats.instantiations;
  }
  return leave(r);
}

EXPORT CUresult cuGraphLaunch(mock_graph *exec, mock_stream *stream) {
  CUresult r = enter("cuGraphLaunch");
  if (r == CUDA_SUCCESS && (!exec || !stream))
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "bad graph launch");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "graph launch without a context");
  if (r == CUDA_SUCCESS)
    r = enqueue(stream, (mock_op){MOCK_GRAPH, NULL, NULL, 0, exec});
  return leave(r);
}

static void graph_free(mock_graph *graph) {
  free(graph->launches);
  free(graph);
}

EXPORT CUresult cuGraphExecDestroy(mock_graph *exec) {
  CUresult r = enter("cuGraphExecDestroy");
  if (r == CUDA_SUCCESS && !exec)
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "destroy of no exec");
  if (r == CUDA_SUCCESS) {
    graph_free(exec);
    --stats.live_execs;
  }
  return leave(r);
}

EXPORT CUresult cuGraphDestroy(mock_graph *graph) {
  CUresult r = enter("cuGraphDestroy");
  if (r == CUDA_SUCCESS && !graph)
    r = misuse(CUDA_ERROR_INVALID_HANDLE, "destroy of no graph");
  if (r == CUDA_SUCCESS) {
    graph_free(graph);
    --stats.live_graphs;
  }
  return leave(r);
}

EXPORT CUresult cuLaunchKernel(const mock_kernel *function, unsigned int gx,
                               unsigned int gy, unsigned int gz,
                               unsigned int bx, unsigned int by,
                               unsigned int bz, unsigned int shared,
                               mock_stream *stream, void **params,
                               void **extra) {
  CUresult r = enter("cuLaunchKernel");
  if (r == CUDA_SUCCESS && !have_context())
    r = misuse(CUDA_ERROR_INVALID_CONTEXT, "launch without a context");
  if (r == CUDA_SUCCESS &&
      (!function || !stream || !params || extra || !gx || !gy || !gz || !bx ||
       !by || !bz || (uint64_t)bx * by * bz > 1024 || shared > 100 * 1024))
    r = misuse(CUDA_ERROR_INVALID_VALUE, "bad launch of %s",
               function ? function->name : "?");
  if (r != CUDA_SUCCESS)
    return leave(r);
  mock_launch launch = {function, (uint64_t)gx * gy * gz * bx * by * bz, {0}};
  for (int p = 0; p < function->num_params; ++p)
    memcpy(&launch.params[p], params[p], sizeof(CUdeviceptr));
  if (!stream->capturing)
    return leave(misuse(CUDA_ERROR_INVALID_VALUE,
                        "launch outside a capture (the runtime only "
                        "captures)"));
  mock_graph *capture = &stream->capture;
  mock_launch *launches = realloc(
      capture->launches, (size_t)(capture->count + 1) * sizeof(mock_launch));
  if (!launches)
    return leave(CUDA_ERROR_OUT_OF_MEMORY);
  launches[capture->count++] = launch;
  capture->launches = launches;
  return leave(CUDA_SUCCESS);
}
