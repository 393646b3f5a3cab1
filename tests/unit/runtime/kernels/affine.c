/* Test kernel standing in for compiled code: y = 2x + 1 over f32[2,3], no arena. */
#include "mlc/artifact_format.h"

#include <stdint.h>

/// Entry point of the test artifact (see docs/artifact.md).
__attribute__((visibility("default"))) int32_t
mlc_artifact_run(const mlc_exec_context *context, void *const *inputs,
                 void *const *outputs, void *arena) {
  (void)context;
  (void)arena;
  const float *x = (const float *)inputs[0];
  float *y = (float *)outputs[0];
  for (int i = 0; i < 6; ++i)
    y[i] = x[i] * 2.0f + 1.0f;
  return 0;
}
