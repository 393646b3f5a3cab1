/* Checks that the host CPU can run an artifact: target architecture and CPU features. */
#include "internal.h"

#include <elf.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

const char *mlc_host_arch(void) {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

uint16_t mlc_host_elf_machine(void) {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#else
  return 0;
#endif
}

/// Canonical architecture of a triple's first component, or NULL if unknown.
static const char *canonical_arch(const char *arch, size_t len) {
  if ((len == 6 && memcmp(arch, "x86_64", 6) == 0) ||
      (len == 5 && memcmp(arch, "amd64", 5) == 0))
    return "x86_64";
  if ((len == 7 && memcmp(arch, "aarch64", 7) == 0) ||
      (len == 5 && memcmp(arch, "arm64", 5) == 0))
    return "aarch64";
  return NULL;
}

/// One CPU feature name (as LLVM spells it) and whether the host has it.
typedef struct feature_probe {
  const char *name;
  int present;
} feature_probe;

/// Looks `name` (of `len` bytes) up among the probes. Returns 1 if present,
/// 0 if absent, -1 if this runtime cannot check it.
static int find_feature(const feature_probe *probes, size_t count,
                        const char *name, size_t len) {
  for (size_t i = 0; i < count; ++i)
    if (strlen(probes[i].name) == len && memcmp(probes[i].name, name, len) == 0)
      return probes[i].present != 0;
  return -1;
}

#if defined(__x86_64__)
/// True if CPUID leaf `leaf` reports bit `bit` of ECX.
static int cpuid_ecx_bit(unsigned leaf, unsigned bit) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(leaf, &eax, &ebx, &ecx, &edx))
    return 0;
  return (ecx >> bit) & 1u;
}

/// Host support for one x86 feature; see find_feature for the result.
static int host_has_feature(const char *name, size_t len) {
  __builtin_cpu_init();
  // __builtin_cpu_supports needs literal names; it also checks that the OS
  // saves the AVX/AVX-512 register state.
  const feature_probe probes[] = {
      // Baseline x86-64.
      {"64bit", 1},
      {"x87", 1},
      {"cx8", 1},
      {"fxsr", 1},
      {"mmx", __builtin_cpu_supports("mmx")},
      {"cmov", __builtin_cpu_supports("cmov")},
      {"sse", __builtin_cpu_supports("sse")},
      {"sse2", __builtin_cpu_supports("sse2")},
      // Not universal on x86-64, and unnamed by one of gcc or clang.
      {"cx16", cpuid_ecx_bit(1, 13)},
      {"sahf", cpuid_ecx_bit(0x80000001u, 0)},
      {"sse3", __builtin_cpu_supports("sse3")},
      {"ssse3", __builtin_cpu_supports("ssse3")},
      {"sse4.1", __builtin_cpu_supports("sse4.1")},
      {"sse4.2", __builtin_cpu_supports("sse4.2")},
      {"crc32", __builtin_cpu_supports("sse4.2")},
      {"sse4a", __builtin_cpu_supports("sse4a")},
      {"popcnt", __builtin_cpu_supports("popcnt")},
      {"lzcnt", __builtin_cpu_supports("lzcnt")},
      {"movbe", __builtin_cpu_supports("movbe")},
      {"aes", __builtin_cpu_supports("aes")},
      {"pclmul", __builtin_cpu_supports("pclmul")},
      {"sha", __builtin_cpu_supports("sha")},
      {"adx", __builtin_cpu_supports("adx")},
      {"rdrnd", __builtin_cpu_supports("rdrnd")},
      {"rdseed", __builtin_cpu_supports("rdseed")},
      {"prfchw", __builtin_cpu_supports("prfchw")},
      {"fsgsbase", __builtin_cpu_supports("fsgsbase")},
      {"rdpid", __builtin_cpu_supports("rdpid")},
      {"clflushopt", __builtin_cpu_supports("clflushopt")},
      {"clwb", __builtin_cpu_supports("clwb")},
      {"xsave", __builtin_cpu_supports("xsave")},
      {"xsaveopt", __builtin_cpu_supports("xsaveopt")},
      {"xsavec", __builtin_cpu_supports("xsavec")},
      {"xsaves", __builtin_cpu_supports("xsaves")},
      {"avx", __builtin_cpu_supports("avx")},
      {"avx2", __builtin_cpu_supports("avx2")},
      {"fma", __builtin_cpu_supports("fma")},
      {"fma4", __builtin_cpu_supports("fma4")},
      {"xop", __builtin_cpu_supports("xop")},
      {"f16c", __builtin_cpu_supports("f16c")},
      {"bmi", __builtin_cpu_supports("bmi")},
      {"bmi2", __builtin_cpu_supports("bmi2")},
      {"gfni", __builtin_cpu_supports("gfni")},
      {"vaes", __builtin_cpu_supports("vaes")},
      {"vpclmulqdq", __builtin_cpu_supports("vpclmulqdq")},
      {"avxvnni", __builtin_cpu_supports("avxvnni")},
      {"avx512f", __builtin_cpu_supports("avx512f")},
      {"avx512bw", __builtin_cpu_supports("avx512bw")},
      {"avx512cd", __builtin_cpu_supports("avx512cd")},
      {"avx512dq", __builtin_cpu_supports("avx512dq")},
      {"avx512vl", __builtin_cpu_supports("avx512vl")},
      {"avx512vnni", __builtin_cpu_supports("avx512vnni")},
      {"avx512bf16", __builtin_cpu_supports("avx512bf16")},
      {"avx512fp16", __builtin_cpu_supports("avx512fp16")},
      {"avx512vbmi", __builtin_cpu_supports("avx512vbmi")},
      {"avx512vbmi2", __builtin_cpu_supports("avx512vbmi2")},
      {"avx512ifma", __builtin_cpu_supports("avx512ifma")},
      {"avx512vpopcntdq", __builtin_cpu_supports("avx512vpopcntdq")},
      {"avx512bitalg", __builtin_cpu_supports("avx512bitalg")},
      {"avx512vp2intersect", __builtin_cpu_supports("avx512vp2intersect")},
      {"amx-tile", __builtin_cpu_supports("amx-tile")},
      {"amx-int8", __builtin_cpu_supports("amx-int8")},
      {"amx-bf16", __builtin_cpu_supports("amx-bf16")},
  };
  return find_feature(probes, sizeof(probes) / sizeof(probes[0]), name, len);
}
#elif defined(__aarch64__)
/// Host support for one AArch64 feature; see find_feature for the result.
static int host_has_feature(const char *name, size_t len) {
  unsigned long hwcap = getauxval(AT_HWCAP);
  unsigned long hwcap2 = getauxval(AT_HWCAP2);
  (void)hwcap2;
  const feature_probe probes[] = {
      {"neon", 1},
      {"fp-armv8", 1},
#ifdef HWCAP_ASIMDHP
      {"fullfp16", (hwcap & HWCAP_ASIMDHP) != 0},
#endif
#ifdef HWCAP_ASIMDDP
      {"dotprod", (hwcap & HWCAP_ASIMDDP) != 0},
#endif
#ifdef HWCAP_ATOMICS
      {"lse", (hwcap & HWCAP_ATOMICS) != 0},
#endif
#ifdef HWCAP_CRC32
      {"crc", (hwcap & HWCAP_CRC32) != 0},
#endif
#ifdef HWCAP_SVE
      {"sve", (hwcap & HWCAP_SVE) != 0},
#endif
#ifdef HWCAP2_SVE2
      {"sve2", (hwcap2 & HWCAP2_SVE2) != 0},
#endif
#ifdef HWCAP2_I8MM
      {"i8mm", (hwcap2 & HWCAP2_I8MM) != 0},
#endif
#ifdef HWCAP2_BF16
      {"bf16", (hwcap2 & HWCAP2_BF16) != 0},
#endif
  };
  return find_feature(probes, sizeof(probes) / sizeof(probes[0]), name, len);
}
#else
/// No feature can be checked on an unknown architecture.
static int host_has_feature(const char *name, size_t len) {
  (void)name;
  (void)len;
  return -1;
}
#endif

mlc_status mlc_cpu_check(const char *path, const char *target,
                         const char *cpu_features) {
  size_t arch_len = strcspn(target, "-");
  const char *arch = canonical_arch(target, arch_len);
  if (!arch || strcmp(arch, mlc_host_arch()) != 0)
    return mlc_set_error(MLC_ERROR_UNSUPPORTED_CPU,
                         "%s: artifact targets '%s' but this host is %s", path,
                         target, mlc_host_arch());

  const char *feature = cpu_features;
  while (*feature) {
    size_t len = strcspn(feature, ",");
    if (len == 0)
      return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                           "%s: corrupt metadata: empty name in cpu_features "
                           "'%s'",
                           path, cpu_features);
    int present = host_has_feature(feature, len);
    if (present < 0)
      return mlc_set_error(MLC_ERROR_UNSUPPORTED_CPU,
                           "%s: artifact requires CPU feature '%.*s' which "
                           "this runtime cannot check",
                           path, (int)len, feature);
    if (present == 0)
      return mlc_set_error(MLC_ERROR_UNSUPPORTED_CPU,
                           "%s: artifact requires CPU feature '%.*s' which "
                           "this CPU lacks",
                           path, (int)len, feature);
    feature += len;
    if (*feature == ',') {
      ++feature;
      if (*feature == '\0')
        return mlc_set_error(MLC_ERROR_CORRUPT_ARTIFACT,
                             "%s: corrupt metadata: trailing comma in "
                             "cpu_features '%s'",
                             path, cpu_features);
    }
  }
  return MLC_OK;
}
