/* The ELF part of a test CUDA artifact: PTX, stand-in cubins and weights. */
#include <stdint.h>

// The PTX of kernels/cuda_kernels.cu, NUL-terminated; the bad variant leaves
// the NUL out.
#ifdef MLC_TEST_CUDA_BAD
#define MLC_TEST_PTX_END ""
#else
#define MLC_TEST_PTX_END ".byte 0\n"
#endif
__asm__(".section .rodata\n"
        ".globl mlc_cuda_ptx\n"
        ".type mlc_cuda_ptx, @object\n"
        ".balign 16\n"
        "mlc_cuda_ptx:\n"
        ".incbin \"" MLC_TEST_CUDA_PTX "\"\n" MLC_TEST_PTX_END
        "mlc_cuda_ptx_end:\n"
        ".size mlc_cuda_ptx, mlc_cuda_ptx_end - mlc_cuda_ptx\n"
        ".balign 8\n"
        ".globl mlc_cuda_ptx_size\n"
        ".type mlc_cuda_ptx_size, @object\n"
        "mlc_cuda_ptx_size:\n"
        ".quad mlc_cuda_ptx_end - mlc_cuda_ptx\n"
        ".size mlc_cuda_ptx_size, 8\n"
        ".text\n");

#define EXPORT __attribute__((visibility("default")))

// Stand-ins for cubins: an ELF magic and the architecture, which the mock
// driver (cuda/mock_cuda.c) reads. A real driver rejects them, so tests on a
// real GPU list no cubins and use the PTX.
#ifdef MLC_TEST_CUDA_BAD
EXPORT const char mlc_cuda_cubin_sm_80[] = "not an ELF image";
#else
EXPORT const char mlc_cuda_cubin_sm_80[] = "\177ELF mock-cubin sm_80";
#endif
EXPORT const uint64_t mlc_cuda_cubin_sm_80_size = sizeof(mlc_cuda_cubin_sm_80);
EXPORT const char mlc_cuda_cubin_sm_86[] = "\177ELF mock-cubin sm_86";
EXPORT const uint64_t mlc_cuda_cubin_sm_86_size = sizeof(mlc_cuda_cubin_sm_86);
EXPORT const char mlc_cuda_cubin_sm_90[] = "\177ELF mock-cubin sm_90";
EXPORT const uint64_t mlc_cuda_cubin_sm_90_size = sizeof(mlc_cuda_cubin_sm_90);
EXPORT const char mlc_cuda_cubin_sm_90a[] = "\177ELF mock-cubin sm_90a";
EXPORT const uint64_t mlc_cuda_cubin_sm_90a_size =
    sizeof(mlc_cuda_cubin_sm_90a);

/// 64 floats, weights[i] = i / 2 (exact in binary).
EXPORT __attribute__((aligned(256))) const float mlc_cuda_weights[64] = {
    0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  2.5f,  3.0f,  3.5f,  4.0f,  4.5f,  5.0f,
    5.5f,  6.0f,  6.5f,  7.0f,  7.5f,  8.0f,  8.5f,  9.0f,  9.5f,  10.0f, 10.5f,
    11.0f, 11.5f, 12.0f, 12.5f, 13.0f, 13.5f, 14.0f, 14.5f, 15.0f, 15.5f, 16.0f,
    16.5f, 17.0f, 17.5f, 18.0f, 18.5f, 19.0f, 19.5f, 20.0f, 20.5f, 21.0f, 21.5f,
    22.0f, 22.5f, 23.0f, 23.5f, 24.0f, 24.5f, 25.0f, 25.5f, 26.0f, 26.5f, 27.0f,
    27.5f, 28.0f, 28.5f, 29.0f, 29.5f, 30.0f, 30.5f, 31.0f, 31.5f};
EXPORT const uint64_t mlc_cuda_weights_size = sizeof(mlc_cuda_weights);
