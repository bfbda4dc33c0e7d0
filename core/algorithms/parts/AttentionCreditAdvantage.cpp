// advantage/attention_credit: "Attention Illuminates LLM Reasoning: The Preplan-and-Anchor Rhythm
// Enables Fine-Grained Policy Optimization" (Li et al., 2025): GRPO's group-normalised advantage,
// scaled by gamma = 1.5 on the tokens the policy's own attention marks as pivotal: the top 40% by
// change of WAAD (windowed average attention distance of local heads; "local" mode, preplan
// points) or by FAI (future attention influence of global heads; "global" mode, anchors), only
// where A >= 0. Logs attention/scaled_frac (share of completion tokens scaled).
#include "core/algorithms/AttentionCredit.h"
#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"

namespace tb {
namespace {

class AttentionCreditAdvantage : public AdvantageEstimator {
 public:
  explicit AttentionCreditAdvantage(const RunConfig& c) : mode_(c.getString("algo.attention_mode")) {
    params_.topFraction = c.getFloat("algo.attention_top");
    params_.gamma = c.getFloat("algo.attention_gamma");
  }
  const char* needsBuiltInPolicy() const override { return kPart; }
  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    const auto out = groupNormalizedRowAdvantages(rollout, true);
    const auto& mask = batch.batch.completionMask;
    auto scale = attentionCreditScale(ctx.builtInPolicy(kPart), batch.batch, mode_, params_);
    auto adv = applyCreditScale(sequenceAdvantages(out), scale) * mask;
    auto scaled = ((scale != 1.0) & (sequenceAdvantages(out) >= 0).expand_as(scale)).to(torch::kFloat);
    ctx.metric("attention/scaled_frac", maskedMeanValue(scaled, mask));
    return adv;
  }

 private:
  static constexpr const char* kPart = "attention-based credit assignment (its attention maps)";
  std::string mode_;
  AttentionCreditParams params_;
};

TB_REGISTER_PART(attentionCreditPart, AdvantageEstimator,
                 PartInfo{.name = "attention_credit", .title = "Attention-guided credit",
                          .help = "GRPO advantages times gamma on the top tokens by WAAD change (local) or FAI "
                                  "(global), where A >= 0.",
                          .params = {ParamSpec::choice("algo.attention_mode", "local", {"local", "global"},
                                                       "local: WAAD change of local heads (preplan points); global: "
                                                       "FAI of global heads (anchors)"),
                                     ParamSpec::real("algo.attention_top", 0.4, 0.0, 1.0,
                                                     "Share of completion tokens that are scaled"),
                                     ParamSpec::real("algo.attention_gamma", 1.5, 0.0, 10.0,
                                                     "gamma: scale of the chosen tokens' advantage")}},
                 [](const RunConfig& c) { return std::make_unique<AttentionCreditAdvantage>(c); });

}  // namespace
}  // namespace tb
