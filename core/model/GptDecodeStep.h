#pragma once
// The inference-only forward step of GptPolicy with the KV cache: T new tokens per row (T = 1
// while decoding, T = the prompt length for the prefill) through the whole model on the CPU in
// float32, with BLAS called directly for the linears, hand-written row kernels for the rest, and
// the new keys and values written straight into the cache. GptPolicyImpl::forwardCached runs it
// whenever it applies (sampling is always under NoGradGuard).
//
// Why: sampling decodes B rows x 1 token per step, so every LibTorch operator of a step works on
// a [B, 1, D] tensor, and a step paid for ~20 dispatched operators per layer (layer norms, the
// qkv / projection / MLP linears, views, copies into the cache, GELU, residual adds) with their
// allocations and [B, 1, *] temporaries (docs/PERFORMANCE.md, "Rollout"). Here a step works on
// per-thread buffers allocated once and reused; the only calls leaving this file are cblas_sgemm
// (the BLAS LibTorch itself uses) and the attention on raw buffers
// (kernels/DecodeStepAttention.h, AVX2 + FMA).
//
// Per layer, with x [B*T, D] the residual stream of the new tokens (pre-LN block, as
// DecoderBlockImpl::forward):
//     h   = LayerNorm1(x)                         mean and biased variance per row, the module's eps
//     qkv = bqkv + h Wqkv^T                       [B*T, 3D]; k, v -> cache positions length .. length+T-1
//     a   = attention(q, cache, valid)            token t sees the valid cached positions <= its own
//                                                 and itself (GptPolicy's mask)
//     x   = (x + bproj) + a Wproj^T
//     h   = LayerNorm2(x)
//     x   = (x + bout) + gelu(bfc + h Wfc^T) Wout^T     gelu(z) = z/2 (1 + erf(z / sqrt 2)), exact
// then logits = LayerNorm_final(x) Whead^T. The embedding is token_embedding[token] +
// position_embedding[p], p = (valid tokens of the row up to and including this one) - 1, clamped
// at 0, as GptPolicyImpl::forwardCached computes it.
//
// Agreement: the linears are the sgemm calls LibTorch's addmm makes for a Linear (same
// transposes, the bias as the beta = 1 addend: the qkv and fc products are addmm's to the bit; for
// the projection and out products the addend is the residual plus the bias, rounded once less);
// LayerNorm and GELU are computed here (erf by a rational approximation within 4e-7), so the
// logits agree with forwardCached's LibTorch path and with the whole-sequence forward to about
// 1e-6 relative (tests/test_policy_model.cpp, fastStepMatchesForward). A row's result does not
// depend on the other rows of the batch.
//
// Weights are read from the module's parameters on every call (training changes them between
// rollouts; nothing is copied or packed). Applies only with autograd off, on CPU float32
// contiguous parameters and a CPU float32 cache, when the process exposes cblas_sgemm: it is
// looked up once with dlsym among the libraries already loaded (Debian's LibTorch loads it from
// libblas.so.3, i.e. OpenBLAS), so nothing new is linked. Otherwise forwardCached keeps its
// LibTorch path. BLAS and the attention use LibTorch's thread count.
#include <torch/types.h>

namespace tb {

class GptPolicyImpl;
struct KvCache;

struct GptDecodeStep {
  // True when run() can serve forwardCached(tokens, valid, cache) for these arguments.
  static bool applies(const GptPolicyImpl& policy, const torch::Tensor& tokens, const KvCache& cache);
  // tokens [B, T] int64, valid [B, T] bool -> logits [B, T, V]; appends the tokens to the cache
  // (cache.length grows by T). With lastOnly, logits [B, 1, V] of the last new token only: the
  // last layer then runs its attention, projection and MLP for that token alone (the keys and
  // values of all T tokens still enter the cache), and the head too; the result equals the last
  // position of the full call. Requires applies().
  static torch::Tensor run(const GptPolicyImpl& policy, const torch::Tensor& tokens,
                           const torch::Tensor& valid, KvCache& cache, bool lastOnly = false);
};

}  // namespace tb
