/* Test kernel that uses its arena: out = x * scale + x, sum = sum(out). */
#include "mlc/artifact_format.h"

#include <stdint.h>

/// Bytes of arena this kernel touches; its metadata declares exactly this.
#define ARENA_BYTES 100

/// Entry point of the test artifact. Inputs: x f32[8], scale f32 scalar.
/// Outputs: out f32[8], sum f64 scalar. Returns 3 for a bad arena and 7 when
/// scale is negative (lets tests exercise MLC_ERROR_RUN_FAILED).
__attribute__((visibility("default"))) int32_t
mlc_artifact_run(const mlc_exec_context *context, void *const *inputs,
                 void *const *outputs, void *arena) {
  (void)context;
  const float *x = (const float *)inputs[0];
  float scale = *(const float *)inputs[1];
  float *out = (float *)outputs[0];
  double *sum = (double *)outputs[1];
  if (!arena || (uintptr_t)arena % 64 != 0)
    return 3;
  if (scale < 0.0f)
    return 7;
  // Touch every declared byte so a short arena shows up under ASan.
  volatile unsigned char *bytes = (volatile unsigned char *)arena;
  for (int i = 0; i < ARENA_BYTES; ++i)
    bytes[i] = (unsigned char)i;
  volatile float *tmp = (volatile float *)arena;
  for (int i = 0; i < 8; ++i)
    tmp[i] = x[i] * scale;
  // Re-read many times: an arena shared between threads would be clobbered.
  double total = 0.0;
  for (int round = 0; round < 64; ++round) {
    total = 0.0;
    for (int i = 0; i < 8; ++i) {
      out[i] = tmp[i] + x[i];
      total += out[i];
    }
  }
  *sum = total;
  return 0;
}
