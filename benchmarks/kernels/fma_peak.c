/* Measures this machine's single-thread FP32 FMA peak in GFLOP/s.
 *
 * Build with the widest vector ISA the host has and run it:
 *   cc -O2 -march=native -o fma_peak fma_peak.c && ./fma_peak [--json]
 *
 * The loop keeps ACCS independent FMA chains in vector registers, enough to
 * cover FMA latency x throughput (4 cycles x 2 pipes = 8 on Zen 3 and
 * Skylake), so it is bound by FMA throughput alone. Each FMA is 2 flops per
 * lane. The best of several trials is reported: the machine may be shared.
 */
#include <immintrin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__AVX512F__)
#define ISA "avx512f"
#define LANES 16
#define ACCS 24 /* 32 zmm registers: 24 chains + 2 operands */
typedef __m512 vec;
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VADD(a, b) _mm512_add_ps(a, b)
#define VSUM(v) _mm512_reduce_add_ps(v)
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "avx2+fma"
#define LANES 8
#define ACCS 12 /* 16 ymm registers: 12 chains + 2 operands */
typedef __m256 vec;
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VADD(a, b) _mm256_add_ps(a, b)
static float VSUM(__m256 v) {
  float f[8];
  _mm256_storeu_ps(f, v);
  return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#else
#error "fma_peak needs AVX2+FMA or AVX-512F (build with -march=native on such a CPU)"
#endif

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Volatile so the compiler cannot fold the chains into a closed form. */
static volatile float g_mul = 0.999999f, g_add = 1e-7f;

/* Runs `iters` rounds of ACCS independent FMAs; returns a value that depends
 * on every chain so none is dead code. */
static float fma_chains(long iters) {
  vec a = VSET1(g_mul), b = VSET1(g_add);
  vec acc[ACCS];
  for (int i = 0; i < ACCS; ++i)
    acc[i] = VSET1((float)i);
  for (long n = 0; n < iters; ++n) {
#pragma GCC unroll 32
    for (int i = 0; i < ACCS; ++i)
      acc[i] = VFMA(acc[i], a, b);
  }
  vec sum = acc[0];
  for (int i = 1; i < ACCS; ++i)
    sum = VADD(sum, acc[i]);
  return VSUM(sum);
}

int main(int argc, char **argv) {
  int json = argc > 1 && strcmp(argv[1], "--json") == 0;
  long iters = 1000000;
  volatile float sink = 0;
  /* Grow the round count until one trial takes about 0.1 s. */
  for (;;) {
    double t0 = now_seconds();
    sink += fma_chains(iters);
    if (now_seconds() - t0 > 0.1 || iters > (1L << 40))
      break;
    iters *= 2;
  }
  double best = 0;
  for (int trial = 0; trial < 10; ++trial) {
    double t0 = now_seconds();
    sink += fma_chains(iters);
    double dt = now_seconds() - t0;
    double gflops = 2.0 * LANES * ACCS * (double)iters / dt / 1e9;
    if (gflops > best)
      best = gflops;
  }
  (void)sink;
  printf("fma_peak: %.1f GFLOP/s single thread (%s, %d lanes, %d chains)\n",
         best, ISA, LANES, ACCS);
  if (json)
    printf("{\"gflops\": %.2f, \"isa\": \"%s\", \"lanes\": %d, \"chains\": %d}\n",
           best, ISA, LANES, ACCS);
  return 0;
}
