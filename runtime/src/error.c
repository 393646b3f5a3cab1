/* Per-thread error messages, status strings, versions and dtype names. */
#include "internal.h"

#include "mlc/artifact_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/// Message of the last failing call on this thread.
static _Thread_local char last_error[1024];

mlc_status mlc_set_error(mlc_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof(last_error), format, args);
  va_end(args);
  // Names come from files; keep the message on one printable line.
  for (char *c = last_error; *c; ++c)
    if ((unsigned char)*c < 0x20 || *c == 0x7f)
      *c = ' ';
  return status;
}

const char *mlc_last_error(void) { return last_error; }

const char *mlc_status_string(mlc_status status) {
  switch (status) {
  case MLC_OK:
    return "ok";
  case MLC_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case MLC_ERROR_IO:
    return "i/o error";
  case MLC_ERROR_CORRUPT_ARTIFACT:
    return "corrupt artifact";
  case MLC_ERROR_INCOMPATIBLE_ARTIFACT:
    return "incompatible artifact";
  case MLC_ERROR_UNSUPPORTED_CPU:
    return "unsupported cpu";
  case MLC_ERROR_SHAPE_MISMATCH:
    return "shape mismatch";
  case MLC_ERROR_DTYPE_MISMATCH:
    return "dtype mismatch";
  case MLC_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case MLC_ERROR_RUN_FAILED:
    return "run failed";
  case MLC_ERROR_NO_DEVICE:
    return "no device";
  }
  return "unknown status";
}

uint32_t mlc_runtime_abi_version(void) { return MLC_ARTIFACT_ABI_VERSION; }

const char *mlc_runtime_version(void) { return "0.1.0"; }

mlc_status mlc_dtype_from_name(const char *name, DLDataType *out) {
  if (name == NULL || out == NULL)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT,
                         "mlc_dtype_from_name: NULL argument");
  if (mlc_artifact_dtype_parse(name, strlen(name), out) != 0)
    return mlc_set_error(MLC_ERROR_INVALID_ARGUMENT, "unknown dtype '%s'",
                         name);
  return MLC_OK;
}

const char *mlc_dtype_name(DLDataType dtype) {
  return mlc_artifact_dtype_name(dtype);
}
