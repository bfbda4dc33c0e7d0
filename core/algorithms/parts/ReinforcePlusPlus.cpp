// advantage/reinforce_pp: REINFORCE++ returns with the KL in the reward and batch whitening.
#include "core/algorithms/parts/ReinforcePlusPlus.h"

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"

namespace tb {

torch::Tensor reinforcePlusPlusAdvantages(const std::vector<double>& outcome, const torch::Tensor& tokenKl,
                                          const torch::Tensor& mask, double klCoef, double gamma) {
  const auto N = mask.size(0), L = mask.size(1);
  auto m = mask.to(torch::kDouble);
  auto rewards = (-klCoef * tokenKl.to(torch::kDouble)) * m;
  auto lengths = m.sum(1).to(torch::kLong);
  for (int64_t i = 0; i < N; ++i)
    if (lengths[i].item<int64_t>() > 0) rewards[i][lengths[i].item<int64_t>() - 1] += outcome[i];
  auto returns = torch::zeros_like(rewards);
  auto running = torch::zeros({N}, torch::kDouble);
  for (int64_t t = L - 1; t >= 0; --t) {
    running = rewards.select(1, t) + gamma * running * m.select(1, t);
    returns.select(1, t).copy_(running);
  }
  const double count = m.sum().item<double>();
  if (count < 2) return torch::zeros_like(mask);
  const double mean = (returns * m).sum().item<double>() / count;
  const double var = (((returns - mean) * m).pow(2)).sum().item<double>() / (count - 1);
  return ((returns - mean) / (std::sqrt(var) + 1e-6) * m).to(mask.scalar_type());
}

namespace {

class ReinforcePlusPlusAdvantage : public AdvantageEstimator {
 public:
  explicit ReinforcePlusPlusAdvantage(const RunConfig& c)
      : klCoef_(c.getFloat("algo.kl_reward_coef")), gamma_(c.getFloat("algo.gamma")),
        baseline_(c.getBool("algo.group_baseline")) {}
  bool needsOldScores() const override { return true; }
  ReferenceMode reference() const override { return klCoef_ > 0 ? ReferenceMode::Frozen : ReferenceMode::None; }
  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    std::vector<double> outcome = rollout.rewards();
    if (baseline_)
      for (const auto& rows : rollout.groupRows()) {
        double mean = 0;
        for (int i : rows) mean += rollout.rows[i].reward;
        mean /= rows.size();
        for (int i : rows) outcome[i] -= mean;
      }
    auto kl = batch.refLogp.defined() ? (batch.oldLogp - batch.refLogp) : torch::zeros_like(batch.oldLogp);
    ctx.metric("reinforce_pp/kl_reward", -klCoef_ * maskedMeanValue(kl, batch.batch.completionMask));
    return reinforcePlusPlusAdvantages(outcome, kl, batch.batch.completionMask, klCoef_, gamma_);
  }

 private:
  double klCoef_, gamma_;
  bool baseline_;
};

TB_REGISTER_PART(reinforcePpPart, AdvantageEstimator,
                 PartInfo{.name = "reinforce_pp", .title = "REINFORCE++ return-to-go",
                          .help = "Token rewards -beta*KL plus the outcome at the last token, return-to-go, whitened "
                                  "over the batch; optional group-mean baseline.",
                          .params = {ParamSpec::real("algo.kl_reward_coef", 0.01, 0.0, 10.0,
                                                     "beta of the per-token KL penalty (k1) subtracted from the reward"),
                                     ParamSpec::real("algo.gamma", 1.0, 0.0, 1.0, "Discount of the return-to-go"),
                                     ParamSpec::boolean("algo.group_baseline", false,
                                                        "Subtract the group mean from the outcome first "
                                                        "(REINFORCE++-baseline)")}},
                 [](const RunConfig& c) { return std::make_unique<ReinforcePlusPlusAdvantage>(c); });

}  // namespace
}  // namespace tb
