#pragma once
// CUDA paths of the fused kernels (kernels/FusedTokenScores.h, kernels/DecodeAttention.h) as plain
// functions over raw device pointers, so that the .cu files need no LibTorch header (nvcc only
// sees CUDA C++) and can be compiled and checked on their own:
//   nvcc -std=c++17 -arch=sm_90 -c kernels/cuda/FusedTokenScores.cu
// The formulas are those of the two headers above; the wrappers there check shapes, dtypes and
// devices, allocate the outputs with LibTorch and pass the current stream. Each function only
// enqueues work on `stream` and returns the launch status (cudaSuccess or the launch error), so
// it never synchronises.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tb::cuda {

// Element type of a tensor as the kernels see it (bit layouts of float, double, __nv_bfloat16
// and __half are those of at::kFloat, at::kDouble, at::kBFloat16 and at::kHalf).
enum class ScalarKind { Float32, Float64, BFloat16, Float16 };

// ---- Fused token scores, one block per row ----
//
// z: rows x vocab logits, row i at z + i * rowStride (unit stride along the vocabulary), of
// `kind`; targets: int64 [rows], each in [0, vocab) (checked by the caller).
// Writes, per row, logprob, entropy and mean log-softmax into the three [rows] outputs (float64
// when z is float64, else float32: half-precision logits are read as they are and accumulated in
// float/double, and a bf16 score would keep 3 significant digits), and lse and Ez into the two
// float64 [rows] outputs saved for the backward.
cudaError_t fusedTokenScoresForward(const void* z, ScalarKind kind, int64_t rows, int64_t vocab,
                                    int64_t rowStride, const int64_t* targets, void* logprobs,
                                    void* entropies, void* meanLogSoftmax, double* lse, double* ez,
                                    cudaStream_t stream);

// gradZ (rows x vocab, contiguous, z's kind) = g_lp ([j = t] - p_j) - g_H p_j (z_j - Ez)
// + g_m (1/V - p_j), p_j = exp(z_j - lse) recomputed from z and the saved lse / Ez. gLp, gH, gM:
// float64 [rows] upstream gradients, or nullptr for an output that received none (= 0).
cudaError_t fusedTokenScoresBackward(const void* z, ScalarKind kind, int64_t rows, int64_t vocab,
                                     int64_t rowStride, const int64_t* targets, const double* lse,
                                     const double* ez, const double* gLp, const double* gH,
                                     const double* gM, void* gradZ, cudaStream_t stream);

// ---- Decode-step attention, one block per (row, head) ----
//
// Largest head dimension the kernel holds in registers (eight values per lane of a warp).
constexpr int64_t kDecodeMaxHeadDim = 256;

struct DecodeAttentionArgs {
  const void* q = nullptr;  // [B, H, Dh] contiguous
  const void* keys = nullptr;  // [B, H, C, Dh], strides below, unit stride along Dh
  const void* values = nullptr;
  const uint8_t* valid = nullptr;  // [B, C'] bytes, nonzero = may be attended
  void* out = nullptr;  // [B, H, Dh] contiguous, q's kind
  ScalarKind kind = ScalarKind::Float32;  // q, keys, values and out (Float32, BFloat16, Float16)
  int64_t batch = 0, heads = 0, headDim = 0, length = 0;
  int64_t kB = 0, kH = 0, kS = 0;  // keys strides (elements)
  int64_t vB = 0, vH = 0, vS = 0;  // values strides
  int64_t mB = 0, mS = 0;          // valid strides (bytes)
};

// out[b,h] = softmax over {s < length : valid[b,s]} of q.k_s / sqrt(Dh), times v_s; zeros when
// no position is valid. headDim must be in [1, kDecodeMaxHeadDim] (checked by the caller).
cudaError_t decodeAttention(const DecodeAttentionArgs& args, cudaStream_t stream);

}  // namespace tb::cuda
