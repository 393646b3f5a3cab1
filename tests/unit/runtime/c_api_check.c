/* Proves the public headers compile as pedantic C11 and the API is usable from C. */
#include "mlc/artifact_format.h"
#include "mlc/runtime.h"

#include <stddef.h>

/// Loads the affine artifact at `path` and runs it from C. Returns 0 when
/// every output is right, otherwise a positive step number.
int mlc_test_c_api_check(const char *path);

int mlc_test_c_api_check(const char *path) {
  mlc_model *model = NULL;
  if (mlc_model_load(path, &model) != MLC_OK)
    return 1;
  float x[6] = {0, 1, 2, 3, 4, 5};
  float y[6] = {0};
  int64_t shape[2] = {2, 3};
  DLTensor in = {0};
  in.data = x;
  in.device.device_type = kDLCPU;
  in.ndim = 2;
  in.dtype.code = kDLFloat;
  in.dtype.bits = 32;
  in.dtype.lanes = 1;
  in.shape = shape;
  DLTensor out = in;
  out.data = y;
  int result = 0;
  if (mlc_model_run(model, &in, 1, &out, 1) != MLC_OK)
    result = 2;
  for (int i = 0; result == 0 && i < 6; ++i)
    if (y[i] != 2.0f * x[i] + 1.0f)
      result = 3;
  mlc_model_free(model);
  return result;
}
