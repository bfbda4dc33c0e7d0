// Clipped surrogate, KL estimators and loss aggregation modes.
#include "core/algorithms/PolicyLoss.h"

#include "core/Error.h"

namespace tb {

KlEstimator klEstimatorFromName(const std::string& name) {
  if (name == "k1") return KlEstimator::K1;
  if (name == "k2") return KlEstimator::K2;
  if (name == "k3") return KlEstimator::K3;
  failInput("unknown KL estimator '", name, "' (expected k1, k2 or k3)");
}

LossAggregation lossAggregationFromName(const std::string& name) {
  if (name == "token-mean") return LossAggregation::TokenMean;
  if (name == "seq-mean-token-mean") return LossAggregation::SeqMeanTokenMean;
  if (name == "seq-mean-token-sum") return LossAggregation::SeqMeanTokenSum;
  if (name == "seq-mean-token-sum-norm") return LossAggregation::SeqMeanTokenSumNorm;
  failInput("unknown loss aggregation '", name,
            "' (expected token-mean, seq-mean-token-mean, seq-mean-token-sum, seq-mean-token-sum-norm)");
}

torch::Tensor klPenalty(const torch::Tensor& logp, const torch::Tensor& refLogp, KlEstimator estimator) {
  auto d = refLogp - logp;
  switch (estimator) {
    case KlEstimator::K1: return -d;
    case KlEstimator::K2: return 0.5 * d * d;
    case KlEstimator::K3: return torch::exp(d) - d - 1;
  }
  TB_CHECK(false, "bad KL estimator");
}

torch::Tensor aggregateTokenLoss(const torch::Tensor& loss, const torch::Tensor& mask,
                                 LossAggregation aggregation, int maxLength) {
  auto masked = loss * mask;
  switch (aggregation) {
    case LossAggregation::TokenMean:
      return masked.sum() / mask.sum().clamp_min(1.0);
    case LossAggregation::SeqMeanTokenMean:
      return (masked.sum(1) / mask.sum(1).clamp_min(1.0)).mean();
    case LossAggregation::SeqMeanTokenSum:
      return masked.sum(1).mean();
    case LossAggregation::SeqMeanTokenSumNorm:
      TB_CHECK(maxLength > 0, "seq-mean-token-sum-norm needs L_max > 0, got ", maxLength);
      return masked.sum() / (static_cast<double>(loss.size(0)) * maxLength);
  }
  TB_CHECK(false, "bad aggregation");
}

SurrogateTerms clippedSurrogate(const torch::Tensor& logp, const torch::Tensor& oldLogp,
                                const torch::Tensor& advantages, double clipLow, double clipHigh,
                                double dualClip) {
  SurrogateTerms out;
  out.ratio = torch::exp(logp - oldLogp);
  auto unclipped = -advantages * out.ratio;
  auto clipped = -advantages * torch::clamp(out.ratio, 1.0 - clipLow, 1.0 + clipHigh);
  out.loss = torch::max(unclipped, clipped);
  if (dualClip > 1.0) {
    auto capped = torch::min(out.loss, -advantages * dualClip);
    out.loss = torch::where(advantages < 0, capped, out.loss);
  }
  auto r = out.ratio.detach();
  auto a = advantages.detach().expand_as(r);
  out.clippedLow = (a < 0) & (r < 1.0 - clipLow);
  out.clippedHigh = (a > 0) & (r > 1.0 + clipHigh);
  return out;
}

}  // namespace tb
