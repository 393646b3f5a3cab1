// CUDA test kernels: bare-pointer elementwise ops over one thread per element.
// cuda_kernels.ptx is their PTX; mock_cuda.c implements the same kernels on the host.
extern "C" __global__ void add_one(const float *in, float *out) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  out[i] = in[i] + 1.0f;
}
extern "C" __global__ void scale2(const float *in, float *out) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  out[i] = in[i] * 2.0f;
}
extern "C" __global__ void add_weights(const float *in, const float *w, float *out) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  out[i] = in[i] + w[i];
}
