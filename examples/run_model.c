/* A complete C program that loads an mlc artifact and runs it: the README's
 * C API example, also built and run by the tests.
 *
 *   cc run_model.c -Iruntime/include -Lbuild/lib -lmlc_runtime -o run_model
 *   ./run_model model.so [threads [extent]]
 *
 * Every input is filled with a deterministic pattern; the program prints the
 * first values of each output. With threads > 1 it runs the same loaded model
 * from that many threads at once and checks that all results are identical.
 * A model compiled with symbolic dims (dynamic shapes) runs with each of
 * them at `extent` (default 8); mlc_model_output_shape sizes the outputs.
 */
#include <mlc/runtime.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  mlc_model *model;
  DLTensor *inputs;
  int32_t num_inputs;
  DLTensor *outputs; /* this thread's own output buffers */
  int32_t num_outputs;
  mlc_status status;
} job;

static size_t tensor_bytes(const DLTensor *t) {
  size_t n = (size_t)(t->dtype.bits / 8) * t->dtype.lanes;
  for (int32_t d = 0; d < t->ndim; ++d)
    n *= (size_t)t->shape[d];
  return n;
}

/* A zeroed CPU tensor of `info`'s type and `shape` (copied; ndim extents). */
static DLTensor make_tensor(const mlc_tensor_info *info, const int64_t *shape) {
  DLTensor t;
  memset(&t, 0, sizeof(t));
  int64_t *owned = calloc((size_t)info->ndim + 1, sizeof(int64_t));
  for (int32_t d = 0; d < info->ndim; ++d)
    owned[d] = shape[d];
  t.shape = owned;
  t.ndim = info->ndim;
  t.dtype = info->dtype;
  t.device.device_type = kDLCPU;
  t.data = calloc(1, tensor_bytes(&t) + 1);
  return t;
}

static void free_tensor(DLTensor *t) {
  free(t->data);
  free(t->shape);
}

static void *run_job(void *arg) {
  job *j = (job *)arg;
  for (int iter = 0; iter < 20 && j->status == MLC_OK; ++iter)
    j->status = mlc_model_run(j->model, j->inputs, j->num_inputs, j->outputs,
                              j->num_outputs);
  if (j->status != MLC_OK)
    fprintf(stderr, "run failed: %s\n", mlc_last_error());
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL.so [threads]\n", argv[0]);
    return 2;
  }
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  if (threads < 1 || threads > 64)
    threads = 1;
  int64_t extent = argc > 3 ? atoll(argv[3]) : 8;
  if (extent < 0)
    extent = 8;

  mlc_model *model = NULL;
  if (mlc_model_load(argv[1], &model) != MLC_OK) {
    fprintf(stderr, "error: %s\n", mlc_last_error());
    return 1;
  }

  /* Inputs: a deterministic pattern (small integers for integer inputs). */
  int32_t num_inputs = mlc_model_num_inputs(model);
  int32_t num_outputs = mlc_model_num_outputs(model);
  DLTensor *inputs = calloc((size_t)num_inputs + 1, sizeof(DLTensor));
  for (int32_t i = 0; i < num_inputs; ++i) {
    mlc_tensor_info info;
    mlc_model_input_info(model, i, &info);
    int64_t shape[32];
    for (int32_t d = 0; d < info.ndim && d < 32; ++d)
      shape[d] = info.shape[d] < 0 ? extent : info.shape[d]; /* symbolic */
    inputs[i] = make_tensor(&info, shape);
    size_t n = tensor_bytes(&inputs[i]) / (info.dtype.bits / 8);
    for (size_t k = 0; k < n; ++k) {
      if (info.dtype.code == kDLFloat && info.dtype.bits == 32)
        ((float *)inputs[i].data)[k] = (float)((k * 37 + i) % 17) / 8.0f - 1.0f;
      else if (info.dtype.code == kDLInt && info.dtype.bits == 64)
        ((int64_t *)inputs[i].data)[k] = (int64_t)((k * 7 + i) % 100);
    }
  }

  /* One job per thread, each with its own output buffers. */
  job *jobs = calloc((size_t)threads, sizeof(job));
  pthread_t *tids = calloc((size_t)threads, sizeof(pthread_t));
  for (int t = 0; t < threads; ++t) {
    jobs[t].model = model;
    jobs[t].inputs = inputs;
    jobs[t].num_inputs = num_inputs;
    jobs[t].num_outputs = num_outputs;
    jobs[t].outputs = calloc((size_t)num_outputs + 1, sizeof(DLTensor));
    for (int32_t o = 0; o < num_outputs; ++o) {
      mlc_tensor_info info;
      mlc_model_output_info(model, o, &info);
      int64_t shape[32];
      if (mlc_model_output_shape(model, inputs, num_inputs, o, shape) !=
          MLC_OK) {
        fprintf(stderr, "error: %s\n", mlc_last_error());
        return 1;
      }
      jobs[t].outputs[o] = make_tensor(&info, shape);
    }
    pthread_create(&tids[t], NULL, run_job, &jobs[t]);
  }
  int failed = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(tids[t], NULL);
    failed |= jobs[t].status != MLC_OK;
  }

  for (int32_t o = 0; o < num_outputs && !failed; ++o) {
    mlc_tensor_info info;
    mlc_model_output_info(model, o, &info);
    size_t bytes = tensor_bytes(&jobs[0].outputs[o]);
    for (int t = 1; t < threads; ++t)
      if (memcmp(jobs[0].outputs[o].data, jobs[t].outputs[o].data, bytes)) {
        fprintf(stderr, "error: thread %d gave a different '%s'\n", t,
                info.name);
        failed = 1;
      }
    printf("%s:", info.name);
    if (info.dtype.code == kDLFloat && info.dtype.bits == 32)
      for (size_t k = 0; k < 4 && k < bytes / 4; ++k)
        printf(" %g", ((const float *)jobs[0].outputs[o].data)[k]);
    printf("\n");
  }
  if (!failed && threads > 1)
    printf("%d threads x 20 runs: identical outputs\n", threads);

  for (int t = 0; t < threads; ++t) {
    for (int32_t o = 0; o < num_outputs; ++o)
      free_tensor(&jobs[t].outputs[o]);
    free(jobs[t].outputs);
  }
  for (int32_t i = 0; i < num_inputs; ++i)
    free_tensor(&inputs[i]);
  free(inputs);
  free(jobs);
  free(tids);
  mlc_model_free(model);
  return failed;
}
