#pragma once
// Token-level pieces of policy-gradient objectives (shared by GRPO, Dr. GRPO, DAPO, PPO, ...).
//
// Clipped surrogate (Schulman et al. 2017; dual clip: Ye et al. 2020), per token t:
//   rho = exp(logp - logp_old);  l = -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A)
//   dual clip (c > 1): for A < 0, l = min(l, -c A)
// KL to the reference (Schulman's estimators, d = logp_ref - logp):
//   k1 = -d;  k2 = d^2 / 2;  k3 = exp(d) - d - 1 (GRPO's default, always >= 0)
// Loss aggregation over a [N, L] token loss with mask m:
//   token-mean               sum(l m) / sum(m)                         (DAPO)
//   seq-mean-token-mean      mean_i [ sum_t l m / sum_t m ]            (GRPO paper)
//   seq-mean-token-sum       mean_i [ sum_t l m ]
//   seq-mean-token-sum-norm  sum(l m) / (N * L_max)                    (Dr. GRPO)
#include <torch/torch.h>

#include <string>

namespace tb {

enum class KlEstimator { K1, K2, K3 };
KlEstimator klEstimatorFromName(const std::string& name);

enum class LossAggregation { TokenMean, SeqMeanTokenMean, SeqMeanTokenSum, SeqMeanTokenSumNorm };
LossAggregation lossAggregationFromName(const std::string& name);

torch::Tensor klPenalty(const torch::Tensor& logp, const torch::Tensor& refLogp, KlEstimator estimator);

torch::Tensor aggregateTokenLoss(const torch::Tensor& loss, const torch::Tensor& mask,
                                 LossAggregation aggregation, int maxLength);

struct SurrogateTerms {
  torch::Tensor loss;        // [N, L] per-token clipped surrogate loss
  torch::Tensor clippedLow;  // [N, L] bool: A < 0 and rho < 1 - eps_low (gradient cut)
  torch::Tensor clippedHigh; // [N, L] bool: A > 0 and rho > 1 + eps_high (gradient cut)
  torch::Tensor ratio;       // [N, L]
};
// advantages broadcast against [N, L] (pass [N, 1] for sequence-level advantages).
SurrogateTerms clippedSurrogate(const torch::Tensor& logp, const torch::Tensor& oldLogp,
                                const torch::Tensor& advantages, double clipLow, double clipHigh,
                                double dualClip);

}  // namespace tb
