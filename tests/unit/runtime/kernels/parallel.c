/* Test kernel that uses the context's thread pool: y = 3x over f32[4096],
 * computed by parallel_for, plus a flag saying whether all chunks ran at the
 * same time (proof that the pool really runs num_threads threads). */
#include "mlc/artifact_format.h"

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/// Elements of x and y.
#define COUNT 4096

/// What the tasks share; lives in the arena so concurrent runs stay apart.
typedef struct shared_state {
  const float *x;
  float *y;
  int32_t *hits;      ///< Times each element was visited.
  atomic_int started; ///< Tasks that have begun.
  atomic_int all_met; ///< Tasks that saw every other task running.
  int32_t num_threads;
} shared_state;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void task(void *args, int64_t begin, int64_t end) {
  shared_state *s = (shared_state *)args;
  atomic_fetch_add(&s->started, 1);
  // Wait (at most 2 s) until as many tasks as threads have started: only
  // possible if they run concurrently.
  int64_t deadline = now_ns() + 2000000000;
  while (atomic_load(&s->started) < s->num_threads && now_ns() < deadline) {
  }
  if (atomic_load(&s->started) >= s->num_threads)
    atomic_fetch_add(&s->all_met, 1);
  for (int64_t i = begin; i < end; ++i) {
    s->hits[i] += 1;
    s->y[i] = s->x[i] * 3.0f;
  }
}

/// Entry point (ABI 2). Inputs: x f32[4096]. Outputs: y f32[4096], and
/// together i32 scalar: 1 if every chunk met all the others, else 0.
/// Returns 5 if an element was visited other than exactly once.
__attribute__((visibility("default"))) int32_t
mlc_artifact_run(const mlc_exec_context *context, void *const *inputs,
                 void *const *outputs, void *arena) {
  shared_state *s = (shared_state *)arena;
  s->x = (const float *)inputs[0];
  s->y = (float *)outputs[0];
  s->hits = (int32_t *)((char *)arena + 64);
  for (int i = 0; i < COUNT; ++i)
    s->hits[i] = 0;
  atomic_init(&s->started, 0);
  atomic_init(&s->all_met, 0);
  s->num_threads = context->num_threads;
  context->parallel_for(context->pool, task, s, COUNT);
  for (int i = 0; i < COUNT; ++i)
    if (s->hits[i] != 1)
      return 5;
  *(int32_t *)outputs[1] =
      atomic_load(&s->all_met) == atomic_load(&s->started) ? 1 : 0;
  return 0;
}
