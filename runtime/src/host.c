/* The host functions compiled code calls for the string ops (mlc_host_api;
 * docs/artifact.md, "Host functions"). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The string store: blocks of bytes, bump-allocated. */
typedef struct mlc_string_block {
  struct mlc_string_block *next;
  size_t used, size;
  char data[];
} mlc_string_block;

struct mlc_strings {
  mlc_string_block *blocks;
  int failed; /* an allocation failed during the run */
};

mlc_strings *mlc_strings_create(void) { return calloc(1, sizeof(mlc_strings)); }

void mlc_strings_clear(mlc_strings *strings) {
  if (!strings)
    return;
  for (mlc_string_block *b = strings->blocks; b;) {
    mlc_string_block *next = b->next;
    free(b);
    b = next;
  }
  strings->blocks = NULL;
  strings->failed = 0;
}

void mlc_strings_destroy(mlc_strings *strings) {
  mlc_strings_clear(strings);
  free(strings);
}

int mlc_strings_failed(const mlc_strings *strings) {
  return strings && strings->failed;
}

void mlc_strings_reset_failure(mlc_strings *strings) {
  if (strings)
    strings->failed = 0;
}

/* `n` bytes in the store, or NULL (and the store marked failed). */
static char *strings_alloc(mlc_strings *s, uint64_t n) {
  if (!s) /* the runtime refuses such runs; never reached */
    return NULL;
  if (n == 0)
    return NULL;
  mlc_string_block *b = s->blocks;
  if (!b || b->size - b->used < n) {
    size_t size = n > (1u << 16) ? (size_t)n : (size_t)1 << 16;
    if (n > SIZE_MAX - sizeof(mlc_string_block) ||
        !(b = malloc(sizeof(mlc_string_block) + size))) {
      s->failed = 1;
      return NULL;
    }
    b->used = 0;
    b->size = size;
    b->next = s->blocks;
    s->blocks = b;
  }
  char *p = b->data + b->used;
  b->used += (size_t)n;
  return p;
}

/* Bytewise order of two byte strings, shorter first on a common prefix
 * (std::string's order, which the compiler sorts the keys in); with `fold`,
 * `a`'s ASCII capitals compare as lowercase (the keys are stored so). */
static int compare_bytes(const char *a, uint64_t na, const char *b, uint64_t nb,
                         int fold) {
  uint64_t n = na < nb ? na : nb;
  for (uint64_t i = 0; i < n; ++i) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (fold && x >= 'A' && x <= 'Z')
      x = (unsigned char)(x - 'A' + 'a');
    if (x != y)
      return x < y ? -1 : 1;
  }
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
  int fold = (int)(mlc_artifact_load_u64(table + 8) & 1);
  const uint8_t *entries = table + 16;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t lo = 0, hi = count;
    int64_t found = -1;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      const uint8_t *e = entries + 24 * mid;
      uint64_t offset = mlc_artifact_load_u64(e);
      uint64_t size = mlc_artifact_load_u64(e + 8);
      int c = compare_bytes(x[i].data, x[i].size, (const char *)table + offset,
                            size, fold);
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

static void host_string_concat(const mlc_exec_context *context,
                               const mlc_string *a, const mlc_string *b,
                               mlc_string *out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint64_t size = a[i].size + b[i].size;
    char *p = size < a[i].size ? NULL : strings_alloc(context->strings, size);
    if (!p) {
      if (size)
        context->strings->failed = 1;
      out[i].data = NULL;
      out[i].size = 0;
      continue;
    }
    if (a[i].size)
      memcpy(p, a[i].data, (size_t)a[i].size);
    if (b[i].size)
      memcpy(p + a[i].size, b[i].data, (size_t)b[i].size);
    out[i].data = p;
    out[i].size = size;
  }
}

static void host_string_case(const mlc_exec_context *context,
                             const mlc_string *x, mlc_string *out, int64_t n,
                             int64_t upper) {
  for (int64_t i = 0; i < n; ++i) {
    char *p = strings_alloc(context->strings, x[i].size);
    if (!p) {
      out[i].data = NULL;
      out[i].size = 0;
      continue;
    }
    for (uint64_t k = 0; k < x[i].size; ++k) {
      char c = x[i].data[k];
      if (upper && c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
      else if (!upper && c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
      p[k] = c;
    }
    out[i].data = p;
    out[i].size = x[i].size;
  }
}

static uint32_t load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static int is_word(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}

/* A Pike VM over the bytes: the threads at each position (no captures), a
 * thread list per step deduplicated by a mark per instruction. */
static void host_regex_full_match(const mlc_string *x, int64_t n,
                                  const uint8_t *program, uint8_t *out) {
  uint32_t count = load_u32(program), sets = load_u32(program + 4);
  const uint8_t *code = program + 8;
  const uint8_t *set_words = code + 16 * (size_t)count;
  /* Refuse a program whose jumps or sets fall outside it. */
  int valid = count > 0;
  for (uint32_t pc = 0; valid && pc < count; ++pc) {
    uint32_t op = load_u32(code + 16 * pc), a = load_u32(code + 16 * pc + 4),
             b = load_u32(code + 16 * pc + 8);
    valid = op <= 5 && !(op == 2 && a >= sets) &&
            !((op == 3 || op == 4) && a >= count) && !(op == 3 && b >= count) &&
            !((op == 1 || op == 2 || op == 5) && pc + 1 >= count);
  }
  uint32_t *lists = valid ? malloc(sizeof(uint32_t) * 4 * (size_t)count) : NULL;
  uint64_t *marks = valid ? calloc(count, sizeof(uint64_t)) : NULL;
  if (!lists || !marks) {
    /* Only a malformed program or no memory: nothing matches. */
    free(lists);
    free(marks);
    memset(out, 0, (size_t)n);
    return;
  }
  uint32_t *cur = lists, *next = lists + count, *stack = lists + 2 * count;
  uint64_t generation = 0;
  for (int64_t i = 0; i < n; ++i) {
    const unsigned char *s = (const unsigned char *)x[i].data;
    uint64_t len = x[i].size;
    uint32_t ncur = 0;
    uint8_t matched = 0;
    /* Adds the threads reachable from `start` at position `pos` to `list`. */
#define MLC_ADD_THREADS(list, nlist, start, pos)                               \
  do {                                                                         \
    uint32_t depth = 0;                                                        \
    stack[depth++] = (start);                                                  \
    while (depth) {                                                            \
      uint32_t pc = stack[--depth];                                            \
      if (marks[pc] == generation)                                             \
        continue;                                                              \
      marks[pc] = generation;                                                  \
      uint32_t op = load_u32(code + 16 * pc);                                  \
      uint32_t a = load_u32(code + 16 * pc + 4);                               \
      if (op == 4) {                                                           \
        stack[depth++] = a;                                                    \
      } else if (op == 3) {                                                    \
        stack[depth++] = load_u32(code + 16 * pc + 8);                         \
        stack[depth++] = a;                                                    \
      } else if (op == 5) {                                                    \
        int before = (pos) > 0 && is_word(s[(pos)-1]);                         \
        int after = (pos) < len && is_word(s[(pos)]);                          \
        int holds = a == 0   ? (pos) == 0                                      \
                    : a == 1 ? (pos) == len                                    \
                    : a == 2 ? before != after                                 \
                             : before == after;                                \
        if (holds)                                                             \
          stack[depth++] = pc + 1;                                             \
      } else {                                                                 \
        (list)[(nlist)++] = pc;                                                \
      }                                                                        \
    }                                                                          \
  } while (0)
    ++generation;
    MLC_ADD_THREADS(cur, ncur, 0, (uint64_t)0);
    for (uint64_t pos = 0;; ++pos) {
      if (pos == len) {
        for (uint32_t t = 0; t < ncur; ++t)
          matched |= load_u32(code + 16 * cur[t]) == 0;
        break;
      }
      if (ncur == 0)
        break;
      unsigned char c = s[pos];
      uint32_t nnext = 0;
      ++generation;
      for (uint32_t t = 0; t < ncur; ++t) {
        uint32_t pc = cur[t];
        uint32_t op = load_u32(code + 16 * pc),
                 a = load_u32(code + 16 * pc + 4);
        int take =
            op == 1 ? c == a
            : op == 2
                ? (int)((load_u32(set_words + 32 * (size_t)a + 4 * (c / 32)) >>
                         (c % 32)) &
                        1)
                : 0;
        if (take)
          MLC_ADD_THREADS(next, nnext, pc + 1, pos + 1);
      }
      uint32_t *swap = cur;
      cur = next;
      next = swap;
      ncur = nnext;
    }
#undef MLC_ADD_THREADS
    out[i] = matched;
  }
  free(lists);
  free(marks);
}

/* Bytes of the whitespace character at s[i] (Python's str.isspace, over
 * UTF-8), or 0. */
static uint64_t space_at(const unsigned char *s, uint64_t i, uint64_t len) {
  unsigned char c = s[i];
  if ((c >= 9 && c <= 13) || (c >= 28 && c <= 32))
    return 1;
  if (c < 0xc2 || i + 1 >= len)
    return 0;
  unsigned char d = s[i + 1];
  if (c == 0xc2) /* U+0085, U+00A0 */
    return d == 0x85 || d == 0xa0 ? 2 : 0;
  if (i + 2 >= len)
    return 0;
  unsigned char e = s[i + 2];
  if (c == 0xe1) /* U+1680 */
    return d == 0x9a && e == 0x80 ? 3 : 0;
  if (c == 0xe2 && d == 0x80) /* U+2000..U+200A, U+2028, U+2029, U+202F */
    return (e >= 0x80 && e <= 0x8a) || e == 0xa8 || e == 0xa9 || e == 0xaf ? 3
                                                                           : 0;
  if (c == 0xe2 && d == 0x81) /* U+205F */
    return e == 0x9f ? 3 : 0;
  if (c == 0xe3) /* U+3000 */
    return d == 0x80 && e == 0x80 ? 3 : 0;
  return 0;
}

/* The first `size`-byte `needle` in s[from, len), or len. */
static uint64_t find_bytes(const unsigned char *s, uint64_t from, uint64_t len,
                           const unsigned char *needle, uint64_t size) {
  for (uint64_t i = from; len - i >= size && i < len; ++i)
    if (s[i] == needle[0] && memcmp(s + i, needle, (size_t)size) == 0)
      return i;
  return len;
}

uint64_t mlc_split_string(const mlc_string *x, const char *delimiter,
                          uint64_t size, int64_t max_split, mlc_string *pieces,
                          uint64_t width) {
  const unsigned char *s = (const unsigned char *)x->data;
  const unsigned char *d = (const unsigned char *)delimiter;
  uint64_t len = s ? x->size : 0, count = 0, i = 0;
  uint64_t left = max_split < 0 ? UINT64_MAX : (uint64_t)max_split;
#define MLC_PIECE(from, to)                                                    \
  do {                                                                         \
    if (pieces && count < width) {                                             \
      pieces[count].data = (to) > (from) ? x->data + (from) : NULL;            \
      pieces[count].size = (to) - (from);                                      \
    }                                                                          \
    ++count;                                                                   \
  } while (0)
  if (size == 0) {
    /* Python's split(None, max_split): words between runs of whitespace;
     * once the splits run out, the rest after the whitespace. */
    uint64_t w;
    for (; left > 0; --left) {
      while (i < len && (w = space_at(s, i, len)) > 0)
        i += w;
      if (i == len)
        break;
      uint64_t j = i++;
      while (i < len && space_at(s, i, len) == 0)
        ++i;
      MLC_PIECE(j, i);
    }
    while (i < len && (w = space_at(s, i, len)) > 0)
      i += w;
    if (i < len)
      MLC_PIECE(i, len);
  } else {
    for (; left > 0; --left) {
      uint64_t at = find_bytes(s, i, len, d, size);
      if (at == len)
        break;
      MLC_PIECE(i, at);
      i = at + size;
    }
    MLC_PIECE(i, len);
  }
#undef MLC_PIECE
  return count;
}

static void host_string_split(const mlc_string *x, int64_t n,
                              const uint8_t *spec, int64_t width,
                              mlc_string *pieces, int64_t *counts) {
  int64_t max_split = (int64_t)mlc_artifact_load_u64(spec);
  uint64_t size = mlc_artifact_load_u64(spec + 8);
  const char *delimiter = (const char *)spec + 16;
  uint64_t w = width < 0 ? 0 : (uint64_t)width;
  for (int64_t i = 0; i < n; ++i) {
    mlc_string *row = pieces ? pieces + (uint64_t)i * w : NULL;
    uint64_t count =
        mlc_split_string(&x[i], delimiter, size, max_split, row, w);
    for (uint64_t k = count; row && k < w; ++k) {
      row[k].data = NULL;
      row[k].size = 0;
    }
    if (counts)
      counts[i] = (int64_t)count;
  }
}

const mlc_host_api mlc_host_functions = {
    sizeof(mlc_host_api),  0,
    host_string_equal,     host_string_index,
    host_string_concat,    host_string_case,
    host_regex_full_match, host_string_split,
};
