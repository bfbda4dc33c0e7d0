#pragma once
// Fused decode-step attention over the KV cache: one query token per row against the cached
// prefix, in one pass per (row, head), for inference.
//
// Why: sampling (core/rollout/Sampler.cpp -> GptPolicyImpl::forwardCached) decodes one new token
// per row per step, and a decode step of the small policy is bound by per-step operator overhead,
// not by arithmetic (docs/PERFORMANCE.md). CausalSelfAttentionImpl::forward spends, per layer and
// token, a matmul, a division, a masked_fill (plus the logical_not of the mask), a softmax and a
// second matmul on the cached prefix, each with its own dispatch, allocation and [B,H,1,S]
// temporary. This kernel replaces those ~5 small operators by one call with no [B,H,S]
// temporaries.
//
// Formula, per row b and head h, with d = Dh, q = q[b,h] and S = {s < length : valid[b,s]}:
//     score_s = (q . keys[b,h,s]) / sqrt(d)                       for s in S
//     M       = max_{s in S} score_s
//     w_s     = exp(score_s - M) / sum_{s' in S} exp(score_s' - M)
//     out     = sum_{s in S} w_s values[b,h,s]
// i.e. softmax(q k^T / sqrt(d), masked to S) v, the composition of CausalSelfAttentionImpl with
// the boolean mask "attend to s iff valid[b,s]". Positions outside S (left padding, and every
// position >= length) are never read. A row whose S is empty returns zeros (the plain composition
// would give NaN; the model never produces such a row because the new token's own position
// length-1 is always valid, but a caller that decodes a padded row must mark that position valid
// itself: the model's mask lets every query attend to itself, this kernel reads only `valid`).
//
// Devices and types, dispatched by q's device:
//   - CPU float32: at::parallel_for over B*H; per (b,h) the scores in a per-thread scratch buffer
//     of `length` floats, dot products and the weighted sum of value rows in float with loops the
//     compiler vectorises, the max-shifted exponentials summed in double.
//   - CUDA (built with THOUGHTBENCH_WITH_CUDA, kernels/cuda/DecodeAttention.cu), float32, bfloat16
//     or float16 with Dh <= 256: one block per (b,h), each warp an online softmax over its share
//     of the positions (lanes split Dh, exponentials summed in double, products in float), the
//     warps merged in shared memory; the output in q's dtype.
//   - Anything else (float64, a cache whose last dimension is strided, Dh > 256 on CUDA, a CUDA
//     tensor in a CPU-only build) falls back to referenceDecodeAttention.
//
// Inference only: no autograd. Call it under torch::NoGradGuard (or with tensors that do not
// require grad); it throws c10::Error when q, keys or values requires grad.
#include <torch/types.h>

#include <cstdint>

namespace tb {

// q: [B,H,1,Dh] or [B,H,Dh] (any strides), float32 (or, on CUDA, bf16 / half) for the fused
// paths; keys, values: the cache buffers [B,H,C,Dh] (C >= length), same dtype and device as q;
// valid: [B,C'] bool or uint8 with C' >= length (the cache's [B,C] mask), true = may be attended;
// 1 <= length <= C.
// Returns [B,H,1,Dh] (or [B,H,Dh], the rank of q) in q's dtype. Throws c10::Error on bad shapes,
// dtypes, devices, length, or when an input requires grad.
torch::Tensor decodeAttention(const torch::Tensor& q, const torch::Tensor& keys,
                              const torch::Tensor& values, const torch::Tensor& valid,
                              int64_t length);

// The plain composition (matmul, scale, masked_fill with -inf, softmax, matmul; weights of masked
// positions then set to 0 so an all-masked row gives zeros rather than NaN) on any device and
// floating type, differentiable. Same arguments, checks (bar the requires_grad one) and result
// as decodeAttention; the tests' reference and the fallback off the fused path.
torch::Tensor referenceDecodeAttention(const torch::Tensor& q, const torch::Tensor& keys,
                                       const torch::Tensor& values, const torch::Tensor& valid,
                                       int64_t length);

// Speed of decodeAttention against referenceDecodeAttention on one decode step.
// Method: fixed seed; q, keys, values ~ N(0, 1) float32 on the CPU, cache of C = length + 8
// positions (so positions >= length exist and are skipped), valid = left padding of a random
// 0..length/4 positions per row, the last position valid; both paths under NoGradGuard, one
// warm-up, then the mean wall time of `repeats` calls, at LibTorch's thread count.
struct DecodeAttentionBench {
  double fusedUs = 0, referenceUs = 0;  // mean microseconds per call
  double maxAbsDiff = 0;                // max |fused - reference|
};

DecodeAttentionBench benchDecodeAttention(int batch, int heads, int headDim, int length, int repeats);

}  // namespace tb
