/* run_raw: loads an mlc artifact through the C runtime alone (no LLVM, no
 * Python), runs it on raw input files, writes raw outputs and times it: what
 * a machine that has only libmlc_runtime.so (a GPU box, a board) can run.
 *
 *   run_raw MODEL.so DEVICE INPUT_DIR OUTPUT_DIR ITERS
 *
 * DEVICE is cpu or cuda:N. INPUT_DIR holds input_<i>.bin (raw little-endian
 * bytes of input i in metadata order); OUTPUT_DIR receives output_<j>.bin.
 * One warm-up run writes the outputs, then ITERS timed runs (host tensors,
 * so the copies to and from the GPU are included). The last line is JSON:
 * {"median_ms":..,"min_ms":..,"iters":..,"device":".."}.
 */
#include <mlc/runtime.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t tensor_bytes(const mlc_tensor_info *info) {
  size_t n = (size_t)(info->dtype.bits / 8) * info->dtype.lanes;
  for (int32_t d = 0; d < info->ndim; ++d)
    n *= (size_t)info->shape[d];
  return n;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int fail(const char *what) {
  fprintf(stderr, "run_raw: %s: %s\n", what, mlc_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr,
            "usage: run_raw MODEL.so cpu|cuda:N INPUT_DIR OUTPUT_DIR ITERS\n");
    return 2;
  }
  mlc_load_options options;
  memset(&options, 0, sizeof(options));
  options.struct_size = sizeof(options);
  if (strncmp(argv[2], "cuda", 4) == 0) {
    options.device_type = kDLCUDA;
    options.device_id = argv[2][4] == ':' ? atoi(argv[2] + 5) : 0;
  } else if (strcmp(argv[2], "cpu") == 0) {
    options.device_type = kDLCPU;
  } else {
    fprintf(stderr, "run_raw: unknown device '%s'\n", argv[2]);
    return 2;
  }
  int iters = atoi(argv[5]);
  if (iters < 1)
    iters = 1;
  mlc_model *model;
  if (mlc_model_load_with_options(argv[1], &options, &model) != MLC_OK)
    return fail("load");

  int32_t ni = mlc_model_num_inputs(model), no = mlc_model_num_outputs(model);
  DLTensor *inputs = calloc((size_t)ni + 1, sizeof(DLTensor));
  DLTensor *outputs = calloc((size_t)no + 1, sizeof(DLTensor));
  size_t *out_bytes = calloc((size_t)no + 1, sizeof(size_t));
  char path[4096];
  for (int32_t i = 0; i < ni; ++i) {
    mlc_tensor_info info;
    mlc_model_input_info(model, i, &info);
    size_t bytes = tensor_bytes(&info);
    snprintf(path, sizeof(path), "%s/input_%d.bin", argv[3], (int)i);
    FILE *f = fopen(path, "rb");
    char *data = malloc(bytes + 1);
    if (!f || !data || fread(data, 1, bytes, f) != bytes) {
      fprintf(stderr, "run_raw: cannot read %zu bytes from %s\n", bytes, path);
      return 1;
    }
    fclose(f);
    inputs[i].data = data;
    inputs[i].device.device_type = kDLCPU;
    inputs[i].ndim = info.ndim;
    inputs[i].dtype = info.dtype;
    inputs[i].shape = (int64_t *)info.shape;
  }
  for (int32_t j = 0; j < no; ++j) {
    mlc_tensor_info info;
    mlc_model_output_info(model, j, &info);
    out_bytes[j] = tensor_bytes(&info);
    outputs[j].data = calloc(1, out_bytes[j] + 1);
    outputs[j].device.device_type = kDLCPU;
    outputs[j].ndim = info.ndim;
    outputs[j].dtype = info.dtype;
    outputs[j].shape = (int64_t *)info.shape;
  }

  if (mlc_model_run(model, inputs, ni, outputs, no) != MLC_OK)
    return fail("run");
  for (int32_t j = 0; j < no; ++j) {
    snprintf(path, sizeof(path), "%s/output_%d.bin", argv[4], (int)j);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(outputs[j].data, 1, out_bytes[j], f) != out_bytes[j]) {
      fprintf(stderr, "run_raw: cannot write %s\n", path);
      return 1;
    }
    fclose(f);
  }
  double *times = calloc((size_t)iters, sizeof(double));
  for (int k = 0; k < iters; ++k) {
    double start = now_ms();
    if (mlc_model_run(model, inputs, ni, outputs, no) != MLC_OK)
      return fail("timed run");
    times[k] = now_ms() - start;
  }
  qsort(times, (size_t)iters, sizeof(double), compare_double);
  printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"iters\": %d, "
         "\"device\": \"%s\"}\n",
         times[iters / 2], times[0], iters, argv[2]);
  mlc_model_free(model);
  return 0;
}
