/* Private declarations shared by the runtime's C sources. */
#ifndef MLC_RUNTIME_INTERNAL_H
#define MLC_RUNTIME_INTERNAL_H

#include "mlc/artifact_format.h"
#include "mlc/runtime.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/// The host functions every CPU run lends the compiled code (host.c).
extern const mlc_host_api mlc_host_functions;
/// True when an allocation in `strings` failed since it was last cleared.
int mlc_strings_failed(const mlc_strings *strings);
/// Forgets an earlier failed allocation (each run reports its own).
void mlc_strings_reset_failure(mlc_strings *strings);
/// Splits `x` as StringSplit does (Python's str.split): at each `delimiter`
/// (`size` bytes), or at runs of whitespace when size is 0 (no empty
/// pieces then), at most `max_split` times (negative: no limit). Stores the
/// first `width` pieces in `pieces` (may be NULL) and returns the count.
uint64_t mlc_split_string(const mlc_string *x, const char *delimiter,
                          uint64_t size, int64_t max_split, mlc_string *pieces,
                          uint64_t width);

/// Most threads one model may use.
#define MLC_MAX_THREADS 256

/// How many idle arenas a model keeps for reuse; more are freed after a run.
#define MLC_ARENA_CACHE_SIZE 16

/// One input or output as declared by the metadata.
typedef struct mlc_tensor_desc {
  char *name;            ///< Decoded name.
  DLDataType dtype;      ///< Element type.
  const char *dtype_name; ///< Metadata spelling of dtype (static string).
  int32_t ndim;          ///< Rank.
  int64_t *shape;        ///< ndim extents (NULL when ndim is 0).
  uint64_t num_elements; ///< Product of the extents.
  uint64_t byte_size;    ///< Bytes of the DLPack tensor: num_elements *
                         ///< element size, packed for sub-byte types.
  uint64_t storage_size; ///< Bytes mlc_artifact_run reads or writes: one
                         ///< per element for sub-byte types, else byte_size.
  char *shape_text;      ///< Extents as written, e.g. "1x3" or "scalar".
  /// Per dim: the symbol it is (`?k` in the metadata), or -1 for a static
  /// dim (NULL when ndim is 0). Symbolic dims have shape -1 and leave
  /// num_elements, byte_size and storage_size 0: a run resolves them.
  int32_t *dim_symbol;
  int32_t num_symbolic; ///< Number of symbolic dims.
} mlc_tensor_desc;

/// One `constraint` line: symbol `symbol` must be at most `max`.
typedef struct mlc_constraint {
  int32_t symbol;
  int64_t max;
} mlc_constraint;

/// How a `symbol` line gets its value (docs/artifact.md).
typedef enum mlc_symbol_kind {
  MLC_SYMBOL_SHAPE = 0, ///< An input's dim (`symbol NAME`).
  MLC_SYMBOL_VALUE,     ///< An input's element (`symbol NAME value I E`).
  MLC_SYMBOL_COMPUTED,  ///< mlc_artifact_plan computes it.
  MLC_SYMBOL_LATE,      ///< The run computes it (`symbol NAME late BOUND`).
  /// The most pieces of a str input's strings
  /// (`symbol NAME split I MAXSPLIT DELIMITER`).
  MLC_SYMBOL_SPLIT,
} mlc_symbol_kind;

/// The binding of one symbol.
typedef struct mlc_symbol_binding {
  mlc_symbol_kind kind;
  int32_t input;   ///< MLC_SYMBOL_VALUE and _SPLIT: the input index.
  int64_t element; ///< MLC_SYMBOL_VALUE: the element, row-major.
  int64_t scale;   ///< MLC_SYMBOL_VALUE: the element's factor (>= 1).
  int64_t bound;   ///< MLC_SYMBOL_LATE: the largest value.
  /// MLC_SYMBOL_SPLIT: the delimiter (owned; NULL for whitespace), its
  /// length, and the most splits (-1: no limit).
  char *delimiter;
  uint64_t delimiter_size;
  int64_t max_split;
} mlc_symbol_binding;

/// One `key value` metadata line, pointing into mlc_model.metadata_lines.
typedef struct mlc_metadata_entry {
  const char *key;   ///< Text before the first space.
  const char *value; ///< Rest of the line; "" when the line has no space.
} mlc_metadata_entry;

/// What one cuda_launch argument passes to the kernel.
typedef enum mlc_cuda_arg_kind {
  MLC_CUDA_ARG_INPUT,   ///< Device copy of input `index`.
  MLC_CUDA_ARG_OUTPUT,  ///< Device buffer of output `index`.
  MLC_CUDA_ARG_ARENA,   ///< The run's device scratch buffer.
  MLC_CUDA_ARG_WEIGHTS, ///< The device copy of mlc_cuda_weights.
} mlc_cuda_arg_kind;

/// One kernel parameter of a launch.
typedef struct mlc_cuda_arg {
  mlc_cuda_arg_kind kind;
  int32_t index; ///< Tensor index for inputs and outputs, else 0.
} mlc_cuda_arg;

/// One `cuda_launch` line.
typedef struct mlc_cuda_launch {
  char *kernel;          ///< Kernel name in the module.
  uint32_t grid[3];      ///< Grid extents, each >= 1.
  uint32_t block[3];     ///< Block extents, each >= 1.
  uint32_t shared_bytes; ///< Dynamic shared memory per block.
  mlc_cuda_arg *args;    ///< Kernel parameters, in order.
  int32_t num_args;      ///< Number of parameters (>= 1).
  int32_t line;          ///< Metadata line, for messages.
} mlc_cuda_launch;

/// A GPU architecture, sm_<major><minor>, or the architecture-specific
/// sm_<major><minor>a (code that runs on exactly that architecture).
typedef struct mlc_cuda_arch {
  int32_t major;
  int32_t minor;
  int32_t specific; ///< 1 for sm_XYa.
} mlc_cuda_arch;

/// The CUDA keys of a CUDA artifact's metadata (all zero for CPU artifacts).
typedef struct mlc_cuda_plan {
  const char *host_target;   ///< Value of `host_target`.
  mlc_cuda_arch ptx_arch;    ///< Value of `cuda_ptx`.
  mlc_cuda_arch *cubins;     ///< Values of `cuda_cubins`, ascending.
  int32_t num_cubins;        ///< Number of cubins.
  uint64_t weights_bytes;    ///< Value of `cuda_weights_bytes`.
  mlc_cuda_launch *launches; ///< The launches, in execution order.
  int32_t num_launches;      ///< Number of launches (>= 1).
} mlc_cuda_plan;

/// Driver state of a model on a CUDA device (cuda.c).
typedef struct mlc_cuda_model mlc_cuda_model;

/// A loaded artifact. Immutable after mlc_model_load except the arena cache,
/// which arena_lock guards, so runs may proceed concurrently.
struct mlc_model {
  void *dl_handle; ///< From dlopen; NULL until the ELF part is loaded.
  int elf_fd; ///< memfd kept open so its /proc path stays unique; or -1.
  mlc_artifact_run_fn run; ///< Entry point.
  int32_t num_threads; ///< Threads a run uses, the caller's included.
  struct mlc_pool *pool; ///< Worker threads; NULL when num_threads is 1.

  char *metadata_text;  ///< The metadata as stored, NUL-terminated.
  char *metadata_lines; ///< A copy split in place into keys and values.
  mlc_metadata_entry *entries; ///< One per metadata line, in file order.
  int32_t num_entries;         ///< Number of entries.

  mlc_tensor_desc *inputs;  ///< Declared inputs, in calling order.
  int32_t num_inputs;       ///< Number of inputs.
  mlc_tensor_desc *outputs; ///< Declared outputs, in calling order.
  int32_t num_outputs;      ///< Number of outputs.

  const char *target;       ///< Value of `target`.
  const char *cpu_features; ///< Value of `cpu_features`.
  uint64_t arena_bytes;     ///< Rounded up to MLC_ARTIFACT_ARENA_ALIGNMENT.

  DLDeviceType device_type; ///< kDLCPU, or kDLCUDA (metadata `device`).
  int32_t device_id;        ///< The CUDA ordinal; 0 on the CPU.
  mlc_cuda_plan cuda_plan;  ///< The CUDA keys (CUDA artifacts only).
  mlc_cuda_model *cuda;     ///< Driver state; NULL for CPU models.
  char **symbols;           ///< Decoded `symbol` names, in order.
  int32_t num_symbols;      ///< Number of symbols (0: static shapes).
  mlc_symbol_binding *bindings; ///< How each symbol is bound.
  int32_t num_shape_symbols;    ///< Symbols bound by input shapes.
  mlc_constraint *constraints; ///< `constraint` lines, in order.
  int32_t num_constraints;     ///< Number of constraints.
  char **require_messages;             ///< Decoded `require` messages, in order.
  int32_t num_requires;        ///< Number of `require` lines.
  mlc_artifact_plan_fn plan;   ///< mlc_artifact_plan; NULL without symbols.
  int makes_strings; ///< Metadata `makes_strings`: runs need a string store.

  pthread_mutex_t arena_lock;              ///< Guards the fields below.
  void *free_arenas[MLC_ARENA_CACHE_SIZE]; ///< Idle arenas for reuse.
  uint64_t free_arena_bytes[MLC_ARENA_CACHE_SIZE]; ///< Their sizes.
  int32_t num_free_arenas;                 ///< Number of idle arenas.
};

/// Records a one-line message for mlc_last_error and returns `status`.
mlc_status mlc_set_error(mlc_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/// Parses `model->metadata_text` (of `size` bytes) into entries, tensors and
/// the required keys. On failure sets the error (prefixed by `path`).
mlc_status mlc_metadata_parse(mlc_model *model, size_t size,
                              uint32_t abi_version, const char *path);

/// The tensor `desc` at the symbol values `symbols`: a copy whose shape
/// (written to `shape`, desc->ndim entries), element count and sizes are
/// resolved. Fails with MLC_ERROR_SHAPE_MISMATCH when they overflow.
mlc_status mlc_resolve_desc(const mlc_tensor_desc *desc, const int64_t *symbols,
                            mlc_tensor_desc *out, int64_t *shape);
/// Frees what mlc_metadata_parse allocated.
void mlc_metadata_free(mlc_model *model);

/// Parses "sm_<major><minor>" (e.g. "sm_80", "sm_100"), or with an "a"
/// ("sm_90a"), of `len` bytes. Returns 0 on success.
int mlc_cuda_arch_parse(const char *text, size_t len, mlc_cuda_arch *out);

/// Orders architectures by (major, minor, specific): negative, zero or
/// positive.
int mlc_cuda_arch_compare(mlc_cuda_arch a, mlc_cuda_arch b);

/// Loads the CUDA part of a parsed CUDA artifact whose ELF part is loaded:
/// checks its data symbols, then opens the driver and device
/// `model->device_id`, loads the module, resolves the kernels and uploads the
/// weights into `model->cuda`. Sets the error (prefixed by `path`).
mlc_status mlc_cuda_load(mlc_model *model, const char *path);

/// Runs a CUDA model on checked tensors. `on_device[i]` tells whether data
/// pointer i (inputs, then outputs) is a device address rather than a host
/// one. Sets the error on failure.
mlc_status mlc_cuda_run(mlc_model *model, void *const *input_data,
                        void *const *output_data, const uint8_t *on_device);

/// Frees everything mlc_cuda_load created. NULL-safe. No run may be in
/// flight.
void mlc_cuda_free(mlc_cuda_model *cuda);

/// Architecture name of the host ("x86_64", "aarch64", ...).
const char *mlc_host_arch(void);

/// Checks that the host can run code for `target` with `cpu_features`
/// (comma-separated). Sets the error on failure.
mlc_status mlc_cpu_check(const char *path, const char *target,
                         const char *cpu_features);

/// ELF e_machine value of the host architecture, or 0 if unknown.
uint16_t mlc_host_elf_machine(void);

/// A fixed set of worker threads that runs parallel_for chunks for any
/// number of concurrent callers (pool.c).
typedef struct mlc_pool mlc_pool;

/// One thread per CPU the process may run on (sched_getaffinity), at most
/// MLC_MAX_THREADS.
int32_t mlc_default_num_threads(void);

/// Starts num_threads - 1 workers (the caller of parallel_for is the last
/// thread). Stores NULL and succeeds when num_threads <= 1.
mlc_status mlc_pool_create(int32_t num_threads, mlc_pool **out);

/// Stops and joins the workers. NULL is a no-op. No parallel_for may be in
/// flight.
void mlc_pool_free(mlc_pool *pool);

/// mlc_parallel_for_fn over a pool (NULL: runs on the calling thread).
void mlc_pool_parallel_for(void *pool, mlc_task_fn fn, void *args,
                           int64_t count);

#endif // MLC_RUNTIME_INTERNAL_H
