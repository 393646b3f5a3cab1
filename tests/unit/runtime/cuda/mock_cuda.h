/* Control interface of the mock CUDA driver (mock_cuda.c) used by the runtime
 * tests. */
#ifndef MLC_TESTS_UNIT_RUNTIME_CUDA_MOCK_CUDA_H
#define MLC_TESTS_UNIT_RUNTIME_CUDA_MOCK_CUDA_H

/*
 * The mock is a shared library exporting the driver entry points the runtime
 * resolves, implemented on host memory: device memory is aligned host memory,
 * streams queue their work until cuStreamSynchronize, stream capture records
 * launches into graphs, and cuLaunchKernel runs a host function per kernel
 * name (add_one, scale2, add_weights: the kernels of
 * kernels/cuda_kernels.cu). It is strict where the real driver is: calls that
 * need a context fail without the primary context current, copies check that
 * their device side lies inside a live allocation and their host side does
 * not, and kernels check that every element they touch is allocated. The
 * tests reach these functions with dlsym on the same library the runtime
 * loaded (MLC_CUDA_DRIVER).
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What the mock has seen and what is still alive.
typedef struct mock_cuda_stats {
  int64_t live_allocations; ///< cuMemAlloc blocks not freed.
  int64_t live_streams;     ///< Streams not destroyed.
  int64_t live_graphs;      ///< CUgraphs not destroyed.
  int64_t live_execs;       ///< CUgraphExecs not destroyed.
  int64_t live_modules;     ///< Modules not unloaded.
  int64_t primary_retains;  ///< Primary-context references of device 0.
  int64_t captures;         ///< cuStreamBeginCapture calls.
  int64_t instantiations;   ///< cuGraphInstantiateWithFlags calls.
  int64_t graph_launches;   ///< Graphs run (at synchronization).
  int64_t kernel_runs;      ///< Kernels run.
  int64_t htod_copies;      ///< Host-to-device copies.
  int64_t dtoh_copies;      ///< Device-to-host copies.
  int64_t dtod_copies;      ///< Device-to-device copies.
  int64_t dropped_ops;      ///< Queued work destroyed unsynchronized.
  int64_t misuses;          ///< Calls the mock rejected as API misuse.
  char last_misuse[160];    ///< What the last misuse was.
  char last_image[16];      ///< "ptx" or "sm_XY" of the last module loaded.
} mock_cuda_stats;

/// Sets the number of devices and the compute capability of all of them.
/// The default is one device of compute capability 8.6.
void mock_cuda_configure(int device_count, int major, int minor);

/// Makes the `skip`+1-th call of entry point `name` from now on (e.g.
/// "cuMemAlloc_v2") fail with `error`, once. NULL clears it.
void mock_cuda_fail(const char *name, int skip, int error);

/// Copies the statistics.
void mock_cuda_get_stats(mock_cuda_stats *out);

/// Zeroes the counters (not the live counts).
void mock_cuda_reset_counters(void);

/// Allocates device memory without a context, as a caller's own buffers.
void *mock_cuda_device_alloc(uint64_t bytes);

/// Frees mock_cuda_device_alloc memory.
void mock_cuda_device_free(void *pointer);

/// A context handle that stands for one the caller made current itself.
void *mock_cuda_user_context(void);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // MLC_TESTS_UNIT_RUNTIME_CUDA_MOCK_CUDA_H
