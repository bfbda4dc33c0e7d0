// GRPO and its two closest variants as presets of one algorithm with switches.
//   GRPO (Shao et al. 2024, "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open
//     Language Models"): A = (r - mean)/(std + eps); clipped surrogate; k3 KL in the loss,
//     beta = 0.04; seq-mean-token-mean.
//   Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training: A Critical Perspective"):
//     A = r - mean (no std); seq-mean-token-sum-norm with L_max; beta = 0.
//   DAPO (Yu et al. 2025, "DAPO: An Open-Source LLM Reinforcement Learning System at Scale"):
//     clip-higher (0.2 / 0.28); dynamic sampling (zero-variance groups dropped and resampled);
//     token-mean; overlong reward shaping; beta = 0.
// L = agg(l_clip) + beta * agg(KL) - c_H * agg(H), aggregated with the same mode.
#include "core/algorithms/Advantages.h"
#include "core/algorithms/Algorithm.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/PolicyLoss.h"
#include "core/config/RunConfig.h"

namespace tb {

namespace {

class GrpoAlgorithm : public Algorithm {
 public:
  explicit GrpoAlgorithm(const RunConfig& c)
      : clipLow_(c.getFloat("algo.clip_low")),
        clipHigh_(c.getFloat("algo.clip_high")),
        dualClip_(c.getFloat("algo.dual_clip")),
        klCoef_(c.getFloat("algo.kl_coef")),
        kl_(klEstimatorFromName(c.getString("algo.kl_estimator"))),
        scaleByStd_(c.getBool("algo.scale_by_std")),
        aggregation_(lossAggregationFromName(c.getString("algo.loss_agg"))),
        entropyCoef_(c.getFloat("algo.entropy_coef")),
        dynamicSampling_(c.getBool("algo.dynamic_sampling")),
        overlongBuffer_(static_cast<int>(c.getInt("algo.overlong_buffer"))),
        overlongFactor_(c.getFloat("algo.overlong_factor")) {}

  bool needsReference() const override { return klCoef_ > 0; }
  bool dropsZeroVarianceGroups() const override { return dynamicSampling_; }

  double shapeReward(double reward, int length, int maxLength) const override {
    return reward + overlongPenalty(length, maxLength, overlongBuffer_, overlongFactor_);
  }

  std::vector<double> advantages(const std::vector<double>& rewards, int groupSize) const override {
    return groupNormalizedAdvantages(rewards, groupSize, scaleByStd_);
  }

  LossResult loss(const PolicyLossInputs& in) const override {
    LossResult out;
    auto surrogate = clippedSurrogate(in.logp, in.oldLogp, in.advantages, clipLow_, clipHigh_, dualClip_);
    auto tokenLoss = surrogate.loss;
    const double tokens = in.mask.sum().item<double>();
    auto maskedMean = [&](const torch::Tensor& t) {
      return tokens > 0 ? (t.to(torch::kFloat) * in.mask).sum().item<double>() / tokens : 0.0;
    };
    out.metrics.emplace_back("clip/low_frac", maskedMean(surrogate.clippedLow));
    out.metrics.emplace_back("clip/high_frac", maskedMean(surrogate.clippedHigh));
    out.metrics.emplace_back("loss/policy", aggregateTokenLoss(tokenLoss, in.mask, aggregation_, in.maxLength).item<double>());
    if (in.refLogp.defined()) {
      auto kl = klPenalty(in.logp, in.refLogp, kl_);
      out.metrics.emplace_back("kl", maskedMean(kl.detach()));
      if (klCoef_ > 0) tokenLoss = tokenLoss + klCoef_ * kl;
    }
    if (entropyCoef_ != 0) tokenLoss = tokenLoss - entropyCoef_ * in.entropies;
    out.loss = aggregateTokenLoss(tokenLoss, in.mask, aggregation_, in.maxLength);
    return out;
  }

 private:
  double clipLow_, clipHigh_, dualClip_, klCoef_;
  KlEstimator kl_;
  bool scaleByStd_;
  LossAggregation aggregation_;
  double entropyCoef_;
  bool dynamicSampling_;
  int overlongBuffer_;
  double overlongFactor_;
};

std::vector<ParamSpec> grpoParams() {
  using P = ParamSpec;
  return {
      P::real("algo.clip_low", 0.2, 0.0, 1.0, "eps_low of the clipped surrogate: ratio floor 1 - eps_low"),
      P::real("algo.clip_high", 0.2, 0.0, 10.0, "eps_high: ratio ceiling 1 + eps_high (DAPO clip-higher: 0.28)"),
      P::real("algo.dual_clip", 3.0, 0.0, 100.0, "Dual-clip constant c for A < 0 (loss capped at -c A); <= 1 = off"),
      P::real("algo.kl_coef", 0.04, 0.0, 100.0, "beta of the KL-to-reference term in the loss; 0 = no reference"),
      P::choice("algo.kl_estimator", "k3", {"k1", "k2", "k3"},
                "KL estimator with d = logp_ref - logp: k1 = -d, k2 = d^2/2, k3 = e^d - d - 1"),
      P::boolean("algo.scale_by_std", true, "Divide group-centred rewards by the group std (off = Dr. GRPO)"),
      P::choice("algo.loss_agg", "seq-mean-token-mean",
                {"token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "seq-mean-token-sum-norm"},
                "How token losses become one number (seq-mean-token-sum-norm divides by N * L_max)"),
      P::real("algo.entropy_coef", 0.0, -10.0, 10.0, "Entropy bonus coefficient c_H (loss -= c_H * H)"),
      P::boolean("algo.dynamic_sampling", false,
                 "Drop groups whose rewards are all equal and sample more prompts (DAPO), up to 4 extra rounds"),
      P::integer("algo.overlong_buffer", 0, 0, 16384,
                 "DAPO overlong shaping buffer in tokens: penalise lengths beyond L_max - buffer; 0 = off"),
      P::real("algo.overlong_factor", 1.0, 0.0, 100.0, "Largest overlong penalty (at L_max)"),
  };
}

std::unique_ptr<Algorithm> createGrpo(const RunConfig& c) { return std::make_unique<GrpoAlgorithm>(c); }

}  // namespace

TB_REGISTER_ALGORITHM(grpoRegistration, AlgorithmInfo{
    "grpo", "GRPO",
    "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models (Shao et al., 2024)",
    "The reference method: group-normalised outcome advantages (r - mean)/(std + eps), PPO's clipped "
    "surrogate without a value network, k3 KL to the reference in the loss (beta 0.04), "
    "seq-mean-token-mean aggregation.",
    grpoParams(), {}, createGrpo});

TB_REGISTER_ALGORITHM(drGrpoRegistration, AlgorithmInfo{
    "dr_grpo", "Dr. GRPO",
    "Understanding R1-Zero-Like Training: A Critical Perspective (Liu et al., 2025)",
    "Removes GRPO's two biases: no division by the group std (A = r - mean) and a constant "
    "normaliser N * L_max instead of per-sequence length (seq-mean-token-sum-norm); no KL term.",
    grpoParams(),
    {{"algo.scale_by_std", false}, {"algo.loss_agg", "seq-mean-token-sum-norm"}, {"algo.kl_coef", 0.0}},
    createGrpo});

TB_REGISTER_ALGORITHM(dapoRegistration, AlgorithmInfo{
    "dapo", "DAPO",
    "DAPO: An Open-Source LLM Reinforcement Learning System at Scale (Yu et al., 2025)",
    "Clip-higher (eps_high 0.28 keeps low-probability tokens explorable), dynamic sampling (groups "
    "with all-equal rewards are dropped and more prompts sampled), token-mean aggregation, overlong "
    "reward shaping; no KL term.",
    grpoParams(),
    {{"algo.clip_high", 0.28}, {"algo.loss_agg", "token-mean"}, {"algo.kl_coef", 0.0},
     {"algo.dynamic_sampling", true}, {"algo.overlong_buffer", 16}},
    createGrpo});

}  // namespace tb
