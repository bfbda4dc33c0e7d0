#pragma once
// Fused token scores: log-softmax, gather of the target token, entropy and mean log-softmax of
// each row of logits in one pass over the vocabulary, differentiable w.r.t. the logits.
//
// Why: GRPO-family losses (GRPO, DAPO, Dr. GRPO, the entropy regularisers, the KL estimators) need,
// per token, log p(target), the entropy H and the mean log-softmax of the policy. The plain
// composition (core/rollout/Sampler.cpp)
//     logp = log_softmax(z); logprobs = logp.gather(target); H = -(exp(logp) * logp).sum(-1);
//     m = logp.mean(-1)
// materialises several [N, V] tensors forward and keeps more for autograd; with a real
// vocabulary (Qwen's V = 151,936) that is gigabytes per thousand tokens. This kernel keeps only
// the [N] outputs plus two doubles per row (lse and E_p[z]) and recomputes p chunk by chunk in
// backward, so the only [N, V] tensor it allocates is the gradient itself. Same idea as the
// chunked, recompute-in-backward cross-entropy of Liger Kernel (Hsu et al. 2024,
// arXiv:2410.10989); GRPO itself is DeepSeekMath (Shao et al. 2024, arXiv:2402.03300).
//
// Per row z in R^V (already divided by the temperature), target t, p = softmax(z):
//     lse = log sum_j exp(z_j)            (online across chunks: running max M, S = sum e^{z-M},
//     Ez  = sum_j p_j z_j                  T = sum e^{z-M} (z-M), rescaled when M grows)
//     logprob = z_t - lse
//     H       = lse - Ez = log S - T / S  (no cancellation of large logits)
//     m       = mean_j z_j - lse
// Backward with upstream gradients g_lp, g_H, g_m (undefined = 0):
//     d logprob / dz_j = [j = t] - p_j
//     d H / dz_j       = -p_j (z_j - Ez)
//     d m / dz_j       = 1/V - p_j
//     grad_z_j = g_lp ([j = t] - p_j) - g_H p_j (z_j - Ez) + g_m (1/V - p_j)
// with p_j = exp(z_j - lse) recomputed from z and the saved lse (the saved lse and Ez are double
// and are subtracted as two floats, hi + lo, so float logits of +-80 keep ~1e-7 accuracy).
//
// Devices and types, dispatched by z's device:
//   - CPU, float32 or float64: parallel over rows with at::parallel_for, the vocabulary in chunks
//     of 4096, double accumulators. Scores in z's dtype.
//   - CUDA (built with THOUGHTBENCH_WITH_CUDA, kernels/cuda/FusedTokenScores.cu), float32,
//     float64, bfloat16 or float16: one block per row, the online logsumexp above per thread
//     (exponentials in float, S, T and sum z in double) merged across the block; the backward
//     elementwise on a rows x column-chunks grid. Half-precision logits are read as they are and
//     give float32 scores (float64 for double logits): a bf16 log-prob would keep 3 significant
//     digits, too few for importance ratios. The targets are range-checked on the device at the
//     cost of one device-to-host sync per call.
//   - Anything else (a CPU bf16 tensor, a CUDA tensor in a CPU-only build, other devices) falls
//     back to referenceTokenScores, which is correct and differentiable but not memory-lean.
// The backward is not itself differentiable (no double backward).
#include <torch/types.h>

namespace tb {

// Per-token scores, each with the leading shape of z (z is [..., V]).
struct FusedScores {
  torch::Tensor logprobs;        // log p(target)
  torch::Tensor entropies;       // H(p)
  torch::Tensor meanLogSoftmax;  // mean_j log p_j
};

// The fused operation. z: [..., V] logits already divided by the temperature (V >= 1); targets:
// int64 with z's leading shape, each in [0, V). Differentiable w.r.t. z.
FusedScores fusedTokenScores(const torch::Tensor& z, const torch::Tensor& targets);

// The plain composition above (any device and floating type, scores in z's dtype); the tests'
// reference and the fallback of fusedTokenScores off its fused paths.
FusedScores referenceTokenScores(const torch::Tensor& z, const torch::Tensor& targets);

}  // namespace tb
