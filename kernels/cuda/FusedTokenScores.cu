// CUDA path of the fused token scores (formulas in kernels/FusedTokenScores.h).
//
// Forward: one block per row. Each thread runs the online logsumexp over its strided share of
// the row (running max M, S = sum e^{z-M}, T = sum e^{z-M} (z-M), sum z; S, T and sum z in
// double, the exponentials in the compute type), then the block merges the per-thread states
// with warp shuffles and one round through shared memory. The row is read once, with 16-byte
// vector loads where the row is aligned (memory bound: V = 151,936 float logits are 0.6 MB).
// Backward: a 2-D grid (rows x column chunks), elementwise given the row's saved lse and Ez, so
// a few rows still fill the GPU; each element adds its own [j = t] g_lp term, no second pass.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/CudaKernels.h"

namespace tb::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kMaxThreads = 512;

// Compute type: double for double logits, float otherwise (bf16 / half are widened on load).
template <typename T>
using Compute = std::conditional_t<std::is_same_v<T, double>, double, float>;

__device__ __forceinline__ float widen(float x) { return x; }
__device__ __forceinline__ double widen(double x) { return x; }
__device__ __forceinline__ float widen(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float widen(__half x) { return __half2float(x); }

template <typename T>
__device__ __forceinline__ T narrowTo(Compute<T> x);
template <>
__device__ __forceinline__ float narrowTo<float>(float x) { return x; }
template <>
__device__ __forceinline__ double narrowTo<double>(double x) { return x; }
template <>
__device__ __forceinline__ __nv_bfloat16 narrowTo<__nv_bfloat16>(float x) { return __float2bfloat16(x); }
template <>
__device__ __forceinline__ __half narrowTo<__half>(float x) { return __float2half(x); }

__device__ __forceinline__ float expOf(float x) { return expf(x); }  // accurate, not __expf
__device__ __forceinline__ double expOf(double x) { return exp(x); }

// 16 bytes of T, loaded as one vector.
template <typename T>
struct alignas(16) Pack {
  static constexpr int kSize = 16 / sizeof(T);
  T v[kSize];
};

// Calls f(j, widen(row[j])) for this thread's share of j in [0, n): a scalar head up to the first
// 16-byte boundary, 16-byte vectors, a scalar tail. Threads stride by blockDim.x.
template <typename T, typename F>
__device__ __forceinline__ void forEachOfRow(const T* __restrict__ row, int64_t n, F&& f) {
  constexpr int kVec = Pack<T>::kSize;
  const auto misalign = reinterpret_cast<uintptr_t>(row) % 16;
  int64_t head = misalign == 0 ? 0 : static_cast<int64_t>((16 - misalign) / sizeof(T));
  if (misalign % sizeof(T) != 0) head = n;  // not even element-aligned: all scalar
  head = head < n ? head : n;
  for (int64_t j = threadIdx.x; j < head; j += blockDim.x) f(j, widen(row[j]));
  const int64_t vectors = (n - head) / kVec;
  const auto* packs = reinterpret_cast<const Pack<T>*>(row + head);
  for (int64_t k = threadIdx.x; k < vectors; k += blockDim.x) {
    const Pack<T> p = packs[k];
#pragma unroll
    for (int i = 0; i < kVec; ++i) f(head + k * kVec + i, widen(p.v[i]));
  }
  for (int64_t j = head + vectors * kVec + threadIdx.x; j < n; j += blockDim.x) f(j, widen(row[j]));
}

// One thread's (or a merged group's) share of a row: M = max z, S = sum e^{z-M},
// T = sum e^{z-M} (z-M), Z = sum z. S = 0 (and M = -inf) while nothing finite was seen.
struct Online {
  double m, s, t, z;
};

__device__ __forceinline__ Online merge(const Online& a, const Online& b) {
  Online r{a.m > b.m ? a.m : b.m, 0.0, 0.0, a.z + b.z};
  auto add = [&r](const Online& x) {
    if (x.s > 0.0) {  // s > 0 implies a finite max
      const double shift = x.m - r.m;  // <= 0
      const double e = exp(shift);
      r.s += e * x.s;
      r.t += e * (x.t + shift * x.s);  // T about the new max: sum e^{z-M}((z-M_x) + shift)
    }
  };
  add(a);
  add(b);
  return r;
}

__device__ __forceinline__ Online shuffleXor(const Online& a, int lane) {
  return {__shfl_xor_sync(0xffffffffu, a.m, lane), __shfl_xor_sync(0xffffffffu, a.s, lane),
          __shfl_xor_sync(0xffffffffu, a.t, lane), __shfl_xor_sync(0xffffffffu, a.z, lane)};
}

// The block's merged state, valid in thread 0. blockDim.x: a multiple of 32, at most kMaxThreads.
__device__ Online blockMerge(Online mine) {
  __shared__ Online partial[kMaxThreads / kWarp];
  for (int offset = kWarp / 2; offset > 0; offset /= 2) mine = merge(mine, shuffleXor(mine, offset));
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0) partial[warp] = mine;
  __syncthreads();
  if (warp == 0) {
    const int warps = blockDim.x / kWarp;
    constexpr double kNegInf = -INFINITY;
    mine = lane < warps ? partial[lane] : Online{kNegInf, 0.0, 0.0, 0.0};
    for (int offset = kWarp / 2; offset > 0; offset /= 2) mine = merge(mine, shuffleXor(mine, offset));
  }
  return mine;
}

template <typename T>
__global__ void __launch_bounds__(kMaxThreads)
    forwardKernel(const T* __restrict__ z, int64_t vocab, int64_t rowStride,
                  const int64_t* __restrict__ targets, Compute<T>* __restrict__ logprobs,
                  Compute<T>* __restrict__ entropies, Compute<T>* __restrict__ meanLogSoftmax,
                  double* __restrict__ lseOut, double* __restrict__ ezOut) {
  using C = Compute<T>;
  const int64_t row = blockIdx.x;
  const T* zr = z + row * rowStride;
  // The thread's own max in C (exact: it is one of the logits); the sums in double.
  C m = -INFINITY;
  double s = 0.0, t = 0.0, sumZ = 0.0;
  forEachOfRow(zr, vocab, [&](int64_t, C x) {
    sumZ += static_cast<double>(x);
    if (x > m) {  // a new max: rescale S and T from the old max to x
      if (s > 0.0) {
        const double shift = static_cast<double>(m) - static_cast<double>(x);  // < 0
        const double r = exp(shift);
        t = r * (t + shift * s);
        s *= r;
      }
      m = x;
    }
    if (m > C(-INFINITY)) {  // skip while the max is still -inf (z - M would be NaN)
      const C d = x - m;
      const C e = expOf(d);
      s += static_cast<double>(e);
      if (e > C(0)) t += static_cast<double>(e * d);  // e = 0 for z = -inf: no 0 * -inf
    }
  });
  const Online all = blockMerge(Online{s > 0.0 ? static_cast<double>(m) : -INFINITY, s, t, sumZ});
  if (threadIdx.x == 0) {
    const double logS = log(all.s);
    const double lse = all.m + logS;
    lseOut[row] = lse;
    ezOut[row] = all.m + all.t / all.s;
    logprobs[row] = static_cast<C>(static_cast<double>(widen(zr[targets[row]])) - lse);
    entropies[row] = static_cast<C>(logS - all.t / all.s);
    meanLogSoftmax[row] = static_cast<C>(all.z / static_cast<double>(vocab) - lse);
  }
}

// Columns per block of the backward: each thread handles about four 16-byte vectors.
constexpr int kBackwardThreads = 256;
template <typename T>
__host__ __device__ constexpr int64_t backwardChunk() { return int64_t(kBackwardThreads) * Pack<T>::kSize * 4; }

template <typename T>
__global__ void __launch_bounds__(kBackwardThreads)
    backwardKernel(const T* __restrict__ z, int64_t vocab, int64_t rowStride,
                   const int64_t* __restrict__ targets, const double* __restrict__ lse,
                   const double* __restrict__ ez, const double* __restrict__ gLp,
                   const double* __restrict__ gH, const double* __restrict__ gM, T* __restrict__ grad) {
  using C = Compute<T>;
  const int64_t row = blockIdx.x;
  const double lp = gLp ? gLp[row] : 0.0, h = gH ? gH[row] : 0.0, mg = gM ? gM[row] : 0.0;
  // lse and Ez subtracted as hi + lo in C, so float logits of +-80 keep ~1e-7 accuracy.
  const C lseHi = static_cast<C>(lse[row]), lseLo = static_cast<C>(lse[row] - static_cast<double>(lseHi));
  const C ezHi = static_cast<C>(ez[row]), ezLo = static_cast<C>(ez[row] - static_cast<double>(ezHi));
  const C c = static_cast<C>(lp + mg), hc = static_cast<C>(h);
  const C uniform = static_cast<C>(mg / static_cast<double>(vocab));
  const C targetTerm = static_cast<C>(lp);
  const int64_t target = targets[row];
  const T* zr = z + row * rowStride;
  T* gr = grad + row * vocab;
  auto gradAt = [&](int64_t j, C x) {
    const C p = expOf((x - lseHi) - lseLo);
    const C centred = (x - ezHi) - ezLo;
    C g = uniform - p * (c + hc * centred);
    if (j == target) g += targetTerm;
    return g;
  };
  constexpr int kVec = Pack<T>::kSize;
  constexpr int64_t kChunk = backwardChunk<T>();
  // Vector loads and stores when z's row and the gradient's row sit at one offset from a 16-byte
  // boundary, element by element otherwise.
  const auto zAddr = reinterpret_cast<uintptr_t>(zr), gAddr = reinterpret_cast<uintptr_t>(gr);
  const bool vectorised = zAddr % 16 == 0 && gAddr % 16 == 0;
  for (int64_t c0 = blockIdx.y * kChunk; c0 < vocab; c0 += int64_t(gridDim.y) * kChunk) {
    const int64_t n = vocab - c0 < kChunk ? vocab - c0 : kChunk;
    if (vectorised) {
      const int64_t vectors = n / kVec;
      const auto* in = reinterpret_cast<const Pack<T>*>(zr + c0);
      auto* out = reinterpret_cast<Pack<T>*>(gr + c0);
      for (int64_t k = threadIdx.x; k < vectors; k += blockDim.x) {
        const Pack<T> p = in[k];
        Pack<T> q;
#pragma unroll
        for (int i = 0; i < kVec; ++i) q.v[i] = narrowTo<T>(gradAt(c0 + k * kVec + i, widen(p.v[i])));
        out[k] = q;
      }
      for (int64_t j = vectors * kVec + threadIdx.x; j < n; j += blockDim.x)
        gr[c0 + j] = narrowTo<T>(gradAt(c0 + j, widen(zr[c0 + j])));
    } else {
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
        gr[c0 + j] = narrowTo<T>(gradAt(c0 + j, widen(zr[c0 + j])));
    }
  }
}

int forwardThreads(int64_t vocab) {
  if (vocab <= 1024) return 128;
  if (vocab <= 16384) return 256;
  return kMaxThreads;
}

template <typename T>
cudaError_t launchForward(const void* z, int64_t rows, int64_t vocab, int64_t rowStride,
                          const int64_t* targets, void* lp, void* ent, void* mls, double* lse,
                          double* ez, cudaStream_t stream) {
  using C = Compute<T>;
  if (rows == 0) return cudaSuccess;
  if (rows > 0x7fffffffLL) return cudaErrorInvalidConfiguration;
  forwardKernel<T><<<static_cast<unsigned>(rows), forwardThreads(vocab), 0, stream>>>(
      static_cast<const T*>(z), vocab, rowStride, targets, static_cast<C*>(lp), static_cast<C*>(ent),
      static_cast<C*>(mls), lse, ez);
  return cudaGetLastError();
}

template <typename T>
cudaError_t launchBackward(const void* z, int64_t rows, int64_t vocab, int64_t rowStride,
                           const int64_t* targets, const double* lse, const double* ez,
                           const double* gLp, const double* gH, const double* gM, void* grad,
                           cudaStream_t stream) {
  if (rows == 0) return cudaSuccess;
  if (rows > 0x7fffffffLL) return cudaErrorInvalidConfiguration;
  const int64_t chunks = (vocab + backwardChunk<T>() - 1) / backwardChunk<T>();
  const dim3 grid(static_cast<unsigned>(rows), static_cast<unsigned>(chunks < 65535 ? chunks : 65535));
  backwardKernel<T><<<grid, kBackwardThreads, 0, stream>>>(static_cast<const T*>(z), vocab, rowStride,
                                                           targets, lse, ez, gLp, gH, gM,
                                                           static_cast<T*>(grad));
  return cudaGetLastError();
}

}  // namespace

cudaError_t fusedTokenScoresForward(const void* z, ScalarKind kind, int64_t rows, int64_t vocab,
                                    int64_t rowStride, const int64_t* targets, void* logprobs,
                                    void* entropies, void* meanLogSoftmax, double* lse, double* ez,
                                    cudaStream_t stream) {
  switch (kind) {
    case ScalarKind::Float32:
      return launchForward<float>(z, rows, vocab, rowStride, targets, logprobs, entropies,
                                  meanLogSoftmax, lse, ez, stream);
    case ScalarKind::Float64:
      return launchForward<double>(z, rows, vocab, rowStride, targets, logprobs, entropies,
                                   meanLogSoftmax, lse, ez, stream);
    case ScalarKind::BFloat16:
      return launchForward<__nv_bfloat16>(z, rows, vocab, rowStride, targets, logprobs, entropies,
                                          meanLogSoftmax, lse, ez, stream);
    case ScalarKind::Float16:
      return launchForward<__half>(z, rows, vocab, rowStride, targets, logprobs, entropies,
                                   meanLogSoftmax, lse, ez, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t fusedTokenScoresBackward(const void* z, ScalarKind kind, int64_t rows, int64_t vocab,
                                     int64_t rowStride, const int64_t* targets, const double* lse,
                                     const double* ez, const double* gLp, const double* gH,
                                     const double* gM, void* gradZ, cudaStream_t stream) {
  switch (kind) {
    case ScalarKind::Float32:
      return launchBackward<float>(z, rows, vocab, rowStride, targets, lse, ez, gLp, gH, gM, gradZ, stream);
    case ScalarKind::Float64:
      return launchBackward<double>(z, rows, vocab, rowStride, targets, lse, ez, gLp, gH, gM, gradZ, stream);
    case ScalarKind::BFloat16:
      return launchBackward<__nv_bfloat16>(z, rows, vocab, rowStride, targets, lse, ez, gLp, gH, gM,
                                           gradZ, stream);
    case ScalarKind::Float16:
      return launchBackward<__half>(z, rows, vocab, rowStride, targets, lse, ez, gLp, gH, gM, gradZ, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace tb::cuda
