/* The host functions compiled code calls for the string ops (mlc_host_api;
 * docs/artifact.md, "Host functions"). */
#include "internal.h"

#include <string.h>

/* Bytewise order of two byte strings, shorter first on a common prefix
 * (std::string's order, which the compiler sorts the keys in). */
static int compare_bytes(const char *a, uint64_t na, const char *b,
                         uint64_t nb) {
  uint64_t n = na < nb ? na : nb;
  int c = n ? memcmp(a, b, (size_t)n) : 0;
  if (c != 0)
    return c;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

static void host_string_equal(const mlc_string *a, const mlc_string *b,
                              uint8_t *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = a[i].size == b[i].size &&
             (a[i].size == 0 ||
              memcmp(a[i].data, b[i].data, (size_t)a[i].size) == 0);
}

/* A binary search of each x[i] among the table's sorted keys. */
static void host_string_index(const mlc_string *x, int64_t n,
                              const uint8_t *table, int64_t *out) {
  uint64_t count = mlc_artifact_load_u64(table);
  const uint8_t *entries = table + 8;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t lo = 0, hi = count;
    int64_t found = -1;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      const uint8_t *e = entries + 24 * mid;
      uint64_t offset = mlc_artifact_load_u64(e);
      uint64_t size = mlc_artifact_load_u64(e + 8);
      int c = compare_bytes(x[i].data, x[i].size, (const char *)table + offset,
                            size);
      if (c == 0) {
        found = (int64_t)mlc_artifact_load_u64(e + 16);
        break;
      }
      if (c < 0)
        hi = mid;
      else
        lo = mid + 1;
    }
    out[i] = found;
  }
}

const mlc_host_api mlc_host_functions = {
    sizeof(mlc_host_api),
    0,
    host_string_equal,
    host_string_index,
};
