// CUDA path of the decode-step attention (formula in kernels/DecodeAttention.h).
//
// One block per (row b, head h). Each warp takes every nWarps-th position s < length that is
// valid: its 32 lanes split the head dimension, the dot product q . k_s is summed with warp
// shuffles, and the warp keeps an online softmax (running max m, l = sum e^{score - m} in double,
// per-lane accumulators of sum e^{score - m} v_s[d] in float, rescaled when m grows). The warps'
// states are merged through shared memory at the end. No [length] buffer, so any cache length
// fits; positions outside {s < length : valid[b,s]} are never read; no valid position -> zeros.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/cuda/CudaKernels.h"

namespace tb::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kMaxWarps = 8;

__device__ __forceinline__ float widen(float x) { return x; }
__device__ __forceinline__ float widen(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float widen(__half x) { return __half2float(x); }

template <typename T>
__device__ __forceinline__ T narrowTo(float x);
template <>
__device__ __forceinline__ float narrowTo<float>(float x) { return x; }
template <>
__device__ __forceinline__ __nv_bfloat16 narrowTo<__nv_bfloat16>(float x) { return __float2bfloat16(x); }
template <>
__device__ __forceinline__ __half narrowTo<__half>(float x) { return __float2half(x); }

// kPerLane = ceil(Dh / 32) values of the head dimension per lane: d = lane + 32 i.
template <typename T, int kPerLane>
__global__ void __launch_bounds__(kMaxWarps * kWarp) decodeKernel(DecodeAttentionArgs a) {
  __shared__ float warpAcc[kMaxWarps][kPerLane * kWarp];
  __shared__ float warpMax[kMaxWarps];
  __shared__ double warpSum[kMaxWarps];

  const int64_t bh = blockIdx.x;
  const int64_t b = bh / a.heads, h = bh % a.heads;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int warps = blockDim.x / kWarp;
  const int64_t Dh = a.headDim;
  const T* q = static_cast<const T*>(a.q) + bh * Dh;
  const T* k = static_cast<const T*>(a.keys) + b * a.kB + h * a.kH;
  const T* v = static_cast<const T*>(a.values) + b * a.vB + h * a.vH;
  const uint8_t* valid = a.valid + b * a.mB;
  const float scale = static_cast<float>(1.0 / sqrt(static_cast<double>(Dh)));

  float qr[kPerLane], acc[kPerLane];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    const int64_t d = lane + kWarp * i;
    qr[i] = d < Dh ? widen(q[d]) * scale : 0.0f;  // the 1/sqrt(d) folded into q
    acc[i] = 0.0f;
  }
  float m = -INFINITY;
  double l = 0.0;
  for (int64_t s = warp; s < a.length; s += warps) {
    if (!valid[s * a.mS]) continue;  // the same for the whole warp
    const T* ks = k + s * a.kS;
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int64_t d = lane + kWarp * i;
      if (d < Dh) dot += qr[i] * widen(ks[d]);
    }
    for (int offset = kWarp / 2; offset > 0; offset /= 2) dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    if (dot > m) {  // a new max: rescale what was summed about the old one (0 when m = -inf)
      const float r = expf(m - dot);
      l *= static_cast<double>(r);
#pragma unroll
      for (int i = 0; i < kPerLane; ++i) acc[i] *= r;
      m = dot;
    }
    const float e = expf(dot - m);
    l += static_cast<double>(e);
    const T* vs = v + s * a.vS;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
      const int64_t d = lane + kWarp * i;
      if (d < Dh) acc[i] += e * widen(vs[d]);
    }
  }
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) warpAcc[warp][lane + kWarp * i] = acc[i];
  if (lane == 0) {
    warpMax[warp] = m;
    warpSum[warp] = l;
  }
  __syncthreads();

  // Merge the warps: out[d] = sum_w e^{m_w - M} acc_w[d] / sum_w e^{m_w - M} l_w.
  float rowMax = -INFINITY;
  for (int w = 0; w < warps; ++w) rowMax = fmaxf(rowMax, warpMax[w]);
  T* out = static_cast<T*>(a.out) + bh * Dh;
  if (rowMax == -INFINITY) {  // nothing to attend: zeros, as documented
    for (int64_t d = threadIdx.x; d < Dh; d += blockDim.x) out[d] = narrowTo<T>(0.0f);
    return;
  }
  double denominator = 0.0;
  for (int w = 0; w < warps; ++w)
    if (warpSum[w] > 0.0) denominator += static_cast<double>(expf(warpMax[w] - rowMax)) * warpSum[w];
  const float inv = static_cast<float>(1.0 / denominator);
  for (int64_t d = threadIdx.x; d < Dh; d += blockDim.x) {
    float sum = 0.0f;
    for (int w = 0; w < warps; ++w)
      if (warpSum[w] > 0.0) sum += expf(warpMax[w] - rowMax) * warpAcc[w][d];
    out[d] = narrowTo<T>(sum * inv);
  }
}

template <typename T, int kPerLane>
cudaError_t launch(const DecodeAttentionArgs& a, cudaStream_t stream) {
  // More warps for longer prefixes; each warp walks length / warps positions.
  const int warps = a.length <= 64 ? 2 : a.length <= 512 ? 4 : kMaxWarps;
  decodeKernel<T, kPerLane><<<static_cast<unsigned>(a.batch * a.heads), warps * kWarp, 0, stream>>>(a);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launchForType(const DecodeAttentionArgs& a, cudaStream_t stream) {
  if (a.headDim <= 32) return launch<T, 1>(a, stream);
  if (a.headDim <= 64) return launch<T, 2>(a, stream);
  if (a.headDim <= 128) return launch<T, 4>(a, stream);
  if (a.headDim <= kDecodeMaxHeadDim) return launch<T, 8>(a, stream);
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t decodeAttention(const DecodeAttentionArgs& a, cudaStream_t stream) {
  if (a.batch * a.heads == 0) return cudaSuccess;
  if (a.batch * a.heads > 0x7fffffffLL || a.headDim < 1 || a.length < 1) return cudaErrorInvalidValue;
  switch (a.kind) {
    case ScalarKind::Float32: return launchForType<float>(a, stream);
    case ScalarKind::BFloat16: return launchForType<__nv_bfloat16>(a, stream);
    case ScalarKind::Float16: return launchForType<__half>(a, stream);
    case ScalarKind::Float64: break;  // not supported: the caller falls back to the reference
  }
  return cudaErrorInvalidValue;
}

}  // namespace tb::cuda
