/* Public C API of the mlc runtime: load compiled model artifacts and run them. */
#ifndef MLC_RUNTIME_H
#define MLC_RUNTIME_H

/*
 * Usage:
 *   mlc_model *model;
 *   if (mlc_model_load("model.mlc", &model) != MLC_OK)
 *     fprintf(stderr, "%s\n", mlc_last_error());
 *   ... mlc_model_run(model, inputs, 1, outputs, 1) ...
 *   mlc_model_free(model);
 *
 * Every function reports failure as a status value and records a one-line
 * message for mlc_last_error(). The caller owns all tensor memory. A loaded
 * model is immutable; mlc_model_run may be called concurrently on one model.
 */

#include <dlpack/dlpack.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MLC_RUNTIME_API
#else
#define MLC_RUNTIME_API __attribute__((visibility("default")))
#endif

/// Result of every fallible runtime call.
typedef enum mlc_status {
  MLC_OK = 0,                      ///< Success.
  MLC_ERROR_INVALID_ARGUMENT,      ///< Bad pointer, index, count or layout.
  MLC_ERROR_IO,                    ///< The file could not be read.
  MLC_ERROR_CORRUPT_ARTIFACT,      ///< Damaged or malformed artifact.
  MLC_ERROR_INCOMPATIBLE_ARTIFACT, ///< Valid, but for another ABI version.
  MLC_ERROR_UNSUPPORTED_CPU,       ///< Needs CPU features/arch not present.
  MLC_ERROR_SHAPE_MISMATCH,        ///< Tensor rank or extents differ.
  MLC_ERROR_DTYPE_MISMATCH,        ///< Tensor element type differs.
  MLC_ERROR_OUT_OF_MEMORY,         ///< An allocation failed.
  MLC_ERROR_RUN_FAILED,            ///< The compiled code reported failure.
  MLC_ERROR_NO_DEVICE,             ///< No usable device (driver, GPU, arch).
} mlc_status;

/// A loaded model artifact. Opaque; create with mlc_model_load.
typedef struct mlc_model mlc_model;

/// Describes one model input or output. Pointers are owned by the model and
/// stay valid until mlc_model_free.
typedef struct mlc_tensor_info {
  const char *name;     ///< Decoded tensor name (UTF-8, NUL-terminated).
  DLDataType dtype;     ///< Element type (lanes is always 1).
  int32_t ndim;         ///< Rank; 0 for a scalar.
  /// ndim extents, row-major; -1 for a symbolic dim, which takes its extent
  /// from the inputs of each run (mlc_model_output_shape).
  const int64_t *shape;
} mlc_tensor_info;

/// A short lowercase description of a status, e.g. "corrupt artifact".
MLC_RUNTIME_API const char *mlc_status_string(mlc_status status);

/// The artifact ABI version this runtime reads (2).
MLC_RUNTIME_API uint32_t mlc_runtime_abi_version(void);

/// The runtime's release version ("0.1.0").
MLC_RUNTIME_API const char *mlc_runtime_version(void);

/// The message of the last failing runtime call on the calling thread, or ""
/// if none failed yet. Successful calls leave it unchanged. Valid until the
/// next failing call on the same thread.
MLC_RUNTIME_API const char *mlc_last_error(void);

/// Loads the artifact at `path`: reads the whole file, validates the trailer,
/// checksum, metadata, target architecture and CPU features, then loads the
/// exact validated ELF bytes. Runs use one thread per CPU (see
/// mlc_model_load_with_options). A CUDA artifact runs on CUDA device 0: the
/// driver (libcuda.so.1) is loaded then, and the code and weights go to the
/// device. On success stores a new model in *out; on failure stores NULL.
MLC_RUNTIME_API mlc_status mlc_model_load(const char *path, mlc_model **out);

/// Options for mlc_model_load_with_options. Zero-initialize, then set
/// struct_size so that later runtimes can add fields.
typedef struct mlc_load_options {
  uint32_t struct_size; ///< sizeof(mlc_load_options).
  /// Threads each mlc_model_run may use, the calling thread included:
  /// 0 for one per CPU the process may run on, 1 to run on the calling
  /// thread only. The model keeps num_threads - 1 worker threads, shared by
  /// concurrent runs.
  int32_t num_threads;
  /// The device to run on (a DLDeviceType): 0 for the one the artifact
  /// targets, kDLCPU for a CPU artifact, kDLCUDA for a CUDA artifact. Any
  /// other pairing is MLC_ERROR_INVALID_ARGUMENT. Callers built before this
  /// field existed pass a smaller struct_size and get 0.
  int32_t device_type;
  /// The device ordinal: the CUDA device of a CUDA artifact (also when
  /// device_type is 0); must be 0 for a CPU artifact.
  int32_t device_id;
} mlc_load_options;

/// mlc_model_load with options; NULL options means the defaults (all zero).
MLC_RUNTIME_API mlc_status mlc_model_load_with_options(
    const char *path, const mlc_load_options *options, mlc_model **out);

/// The device `model` runs on: {kDLCPU, 0} or {kDLCUDA, ordinal}
/// ({0, -1} if model is NULL).
MLC_RUNTIME_API DLDevice mlc_model_device(const mlc_model *model);

/// Threads a run of `model` may use (-1 if model is NULL). Always 1 for a
/// model on a CUDA device.
MLC_RUNTIME_API int32_t mlc_model_num_threads(const mlc_model *model);

/// Unloads a model and frees everything it owns. NULL is a no-op. No run may
/// be in flight on the model.
MLC_RUNTIME_API void mlc_model_free(mlc_model *model);

/// Number of model inputs (-1 if model is NULL).
MLC_RUNTIME_API int32_t mlc_model_num_inputs(const mlc_model *model);

/// Number of model outputs (-1 if model is NULL).
MLC_RUNTIME_API int32_t mlc_model_num_outputs(const mlc_model *model);

/// Describes input `index` (0-based, metadata order).
MLC_RUNTIME_API mlc_status mlc_model_input_info(const mlc_model *model,
                                                int32_t index,
                                                mlc_tensor_info *out);

/// Describes output `index` (0-based, metadata order).
MLC_RUNTIME_API mlc_status mlc_model_output_info(const mlc_model *model,
                                                 int32_t index,
                                                 mlc_tensor_info *out);

/// The value of the first metadata line with this key (e.g. "target",
/// "cpu_features", which may be ""), or NULL if absent. Owned by the model.
MLC_RUNTIME_API const char *mlc_model_metadata(const mlc_model *model,
                                               const char *key);

/// The whole metadata text, NUL-terminated. Owned by the model.
MLC_RUNTIME_API const char *mlc_model_metadata_text(const mlc_model *model);

/// Runs the model. `inputs` and `outputs` are in metadata order and are
/// checked on every call: counts, device, dtype, rank, extents, non-NULL
/// data aligned to the element size, and strides (NULL or compact
/// row-major; extents of 1 may have any stride). byte_offset is honored.
/// A CPU model takes kDLCPU tensors; a CUDA model takes kDLCPU tensors or
/// tensors on its own device (kDLCUDA, same device_id), in any mix, and
/// returns once the outputs are written. Outputs are written in place and
/// must not overlap inputs or each other (not checked). Thread-safe:
/// concurrent calls on one model each get their own scratch arena (on a
/// CUDA device: their own stream and device buffers). An output with dims
/// that the run computes from the data (NonZero's count) takes a tensor of
/// the largest shape (mlc_model_output_shape) and gets its elements,
/// compact, first; mlc_model_run_with_output_shapes says how many.
MLC_RUNTIME_API mlc_status mlc_model_run(mlc_model *model,
                                         const DLTensor *inputs,
                                         int32_t num_inputs,
                                         DLTensor *outputs,
                                         int32_t num_outputs);

/// mlc_model_run that also writes each output's extents after the run to
/// output_shapes[i] (ndim entries; a NULL array or entry skips it): the
/// actual extents of dims the run computes from the data. The tensors
/// themselves are left as they are, so the same ones can run again.
MLC_RUNTIME_API mlc_status mlc_model_run_with_output_shapes(
    mlc_model *model, const DLTensor *inputs, int32_t num_inputs,
    DLTensor *outputs, int32_t num_outputs, int64_t *const *output_shapes);

/// The shape output `index` has when the model runs on `inputs` (their
/// shapes, and the elements of inputs that give dims by their values):
/// writes its ndim extents to `shape`. Checks what binds the symbolic dims
/// (ranks, one extent per symbol, the model's limits and requirements) as
/// mlc_model_run does. A dim the run computes from the data gets its
/// largest extent.
MLC_RUNTIME_API mlc_status mlc_model_output_shape(const mlc_model *model,
                                                  const DLTensor *inputs,
                                                  int32_t num_inputs,
                                                  int32_t index,
                                                  int64_t *shape);

/// Opaque string store (also declared in artifact_format.h).
typedef struct mlc_strings mlc_strings;

/// A store for the strings a run makes (StringConcat's results, ...):
/// string outputs point into it until it is cleared or destroyed. One store
/// serves one run at a time. NULL when out of memory.
MLC_RUNTIME_API mlc_strings *mlc_strings_create(void);
/// Frees the store and every string in it (NULL is a no-op).
MLC_RUNTIME_API void mlc_strings_destroy(mlc_strings *strings);
/// Frees the strings in the store, keeping it for the next run.
MLC_RUNTIME_API void mlc_strings_clear(mlc_strings *strings);

/// mlc_model_run_with_output_shapes for models that make strings (metadata
/// `makes_strings`): their bytes go to `strings` (the other models accept
/// it, or NULL). The other run functions refuse such models.
MLC_RUNTIME_API mlc_status mlc_model_run_with_strings(
    mlc_model *model, const DLTensor *inputs, int32_t num_inputs,
    DLTensor *outputs, int32_t num_outputs, int64_t *const *output_shapes,
    mlc_strings *strings);

/// Parses an artifact dtype name ("f32", "i64", "bool", ...).
/// `bool` maps to {kDLUInt, 8, 1}: DLPack 0.6 has no boolean code.
MLC_RUNTIME_API mlc_status mlc_dtype_from_name(const char *name,
                                               DLDataType *out);

/// The artifact name of a DLPack type ("f32", ...), or NULL if it has none.
/// {kDLUInt, 8, 1} names as "u8".
MLC_RUNTIME_API const char *mlc_dtype_name(DLDataType dtype);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // MLC_RUNTIME_H
