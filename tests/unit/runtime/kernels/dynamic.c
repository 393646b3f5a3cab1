/* Test kernel with a symbolic dim (dynamic shapes): symbol n, inputs x and
 * w of n floats each, output y = x * w + 1 (n floats) and total = sum(y).
 * The plan asks for n floats of arena (and checks the constraint n <= 1000);
 * the entry point uses them, so a short arena shows up under ASan. */
#include "mlc/artifact_format.h"

#include <stdint.h>

/// The artifact's arena plan: n * 4 bytes, -1 for a negative n, -2 when
/// constraint 0 (n <= 1000) fails. Stores the one buffer's offset (0).
__attribute__((visibility("default"))) int64_t
mlc_artifact_plan(const int64_t *symbols, int64_t *offsets) {
  int64_t n = symbols[0];
  if (n < 0)
    return -1;
  if (n > 1000)
    return -2;
  if (offsets)
    offsets[0] = 0;
  return n * 4;
}

/// Entry point. Returns 4 when the context carries no symbols, 3 for a bad
/// arena.
__attribute__((visibility("default"))) int32_t
mlc_artifact_run(const mlc_exec_context *context, void *const *inputs,
                 void *const *outputs, void *arena) {
  if (context->struct_size < sizeof(mlc_exec_context) || !context->symbols)
    return 4;
  int64_t n = context->symbols[0];
  if (n > 0 && (!arena || (uintptr_t)arena % 64 != 0))
    return 3;
  const float *x = (const float *)inputs[0];
  const float *w = (const float *)inputs[1];
  float *y = (float *)outputs[0];
  float *total = (float *)outputs[1];
  volatile float *tmp = (volatile float *)arena;
  for (int64_t i = 0; i < n; ++i)
    tmp[i] = x[i] * w[i];
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = tmp[i] + 1.0f;
    sum += y[i];
  }
  *total = sum;
  return 0;
}
