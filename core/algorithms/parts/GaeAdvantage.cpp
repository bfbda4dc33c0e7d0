// advantage/gae: PPO's critic and generalised advantage estimation (Schulman et al. 2016, 2017;
// as in InstructGPT / verl): a value model initialised from the warm-started policy predicts V
// at every completion token; the outcome reward arrives on the last token;
//   delta_t = r_t + gamma V_{t+1} - V_t,  A_t = sum_l (gamma lambda)^l delta_{t+l},  R_t = A_t + V_t
// advantages are whitened over the batch; the critic is trained alongside the policy with the
// clipped value loss vf_coef * 0.5 max((V - R)^2, (clip(V, V_old +- c) - R)^2).
// Logs ppo/value_loss, ppo/explained_var and ppo/value_mean.
#include "core/algorithms/Gae.h"
#include "core/algorithms/Parts.h"
#include "core/model/ValueModel.h"

namespace tb {
namespace {

class GaeAdvantage : public AdvantageEstimator {
 public:
  explicit GaeAdvantage(const RunConfig& c)
      : gamma_(c.getFloat("algo.gamma")), lambda_(c.getFloat("algo.gae_lambda")), vfCoef_(c.getFloat("algo.vf_coef")),
        valueClip_(c.getFloat("algo.value_clip")), whiten_(c.getBool("algo.whiten_advantages")) {}

  const char* needsBuiltInPolicy() const override { return "the PPO critic (a copy of the policy's trunk)"; }
  void begin(TrainingContext& ctx) override {
    GptPolicy& policy = ctx.builtInPolicy(needsBuiltInPolicy());
    critic_ = ValueModel(policy->config());
    critic_->initFrom(policy);
  }
  std::vector<std::pair<std::string, torch::nn::Module*>> modules() override { return {{"critic", critic_.get()}}; }

  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    const auto& mask = batch.batch.completionMask;
    {
      torch::NoGradGuard noGrad;
      oldValues_ = completionValues(critic_, batch.batch);
    }
    auto rewards = torch::zeros_like(mask);
    auto lengths = mask.sum(1).to(torch::kLong);
    for (size_t i = 0; i < rollout.rows.size(); ++i) {
      const int64_t len = lengths[i].item<int64_t>();
      if (len > 0) rewards[i][len - 1] = rollout.rows[i].reward;
    }
    GaeResult gae = generalizedAdvantages(rewards, oldValues_, mask, gamma_, lambda_);
    returns_ = gae.returns;
    ctx.metric("ppo/value_mean", maskedMeanValue(oldValues_, mask));
    ctx.metric("ppo/explained_var", explainedVariance(oldValues_, returns_, mask));
    auto adv = gae.advantages;
    if (whiten_) {
      const double n = mask.sum().item<double>();
      if (n > 1) {
        const double mean = (adv * mask).sum().item<double>() / n;
        const double var = ((adv - mean).pow(2) * mask).sum().item<double>() / (n - 1);
        adv = (adv - mean) / (std::sqrt(var) + 1e-6) * mask;
      }
    }
    return adv;
  }

  torch::Tensor auxiliaryLoss(TrainingContext&, const PolicyLossInputs& in,
                              std::vector<std::pair<std::string, double>>& metrics) override {
    auto rows = torch::tensor(in.rows);
    auto values = completionValues(critic_, in.batch);
    auto loss = clippedValueLoss(values, oldValues_.index_select(0, rows), returns_.index_select(0, rows), in.mask,
                                 valueClip_);
    metrics.emplace_back("ppo/value_loss", loss.item<double>());
    return vfCoef_ * loss;
  }

 private:
  double gamma_, lambda_, vfCoef_, valueClip_;
  bool whiten_;
  ValueModel critic_{nullptr};
  torch::Tensor oldValues_, returns_;
};

TB_REGISTER_PART(gaePart, AdvantageEstimator,
                 PartInfo{.name = "gae", .title = "PPO critic + GAE",
                          .help = "Value model from the warm-started policy; A_t = sum (gamma lambda)^l delta_{t+l}; "
                                  "clipped value loss trained with the policy.",
                          .params = {ParamSpec::real("algo.gamma", 1.0, 0.0, 1.0, "gamma: discount (1 for outcome rewards)"),
                                     ParamSpec::real("algo.gae_lambda", 0.95, 0.0, 1.0, "lambda of GAE"),
                                     ParamSpec::real("algo.vf_coef", 0.5, 0.0, 100.0, "Weight of the value loss"),
                                     ParamSpec::real("algo.value_clip", 0.2, 0.0, 100.0,
                                                     "c: value predictions move at most c from the old ones"),
                                     ParamSpec::boolean("algo.whiten_advantages", true,
                                                        "Whiten GAE advantages over the batch")}},
                 [](const RunConfig& c) { return std::make_unique<GaeAdvantage>(c); });

}  // namespace
}  // namespace tb
