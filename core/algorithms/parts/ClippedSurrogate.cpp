// objective/clipped_surrogate: PPO's clipped surrogate (Schulman et al. 2017) with dual clip
// (Ye et al. 2020), per token: l = -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A), capped at
// -c A for A < 0. Logs the fractions of tokens clipped low and high.
#include "core/algorithms/Parts.h"
#include "core/algorithms/PolicyLoss.h"
#include "core/algorithms/parts/SharedParams.h"

namespace tb {
namespace {

class ClippedSurrogateObjective : public Objective {
 public:
  explicit ClippedSurrogateObjective(const RunConfig& c)
      : clipLow_(c.getFloat("algo.clip_low")), clipHigh_(c.getFloat("algo.clip_high")),
        dualClip_(c.getFloat("algo.dual_clip")),
        aggregation_(lossAggregationFromName(c.getString("algo.loss_agg"))) {}

  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    LossResult out;
    auto s = clippedSurrogate(in.logp, in.oldLogp, in.advantages, clipLow_, clipHigh_, dualClip_);
    out.tokenLoss = s.loss;
    out.metrics.emplace_back("clip/low_frac", maskedMeanValue(s.clippedLow, in.mask));
    out.metrics.emplace_back("clip/high_frac", maskedMeanValue(s.clippedHigh, in.mask));
    out.metrics.emplace_back("loss/policy",
                             aggregateTokenLoss(s.loss.detach(), in.mask, aggregation_, in.maxLength).item<double>());
    return out;
  }

 private:
  double clipLow_, clipHigh_, dualClip_;
  LossAggregation aggregation_;
};

void validateClip(const RunConfig& c) {
  if (c.getFloat("algo.clip_low") >= 1.0)
    failInput("algo.clip_low = ", c.getFloat("algo.clip_low"),
              " must be below 1: the ratio floor 1 - clip_low must stay positive");
}

std::vector<ParamSpec> surrogateParams() {
  auto p = clipParams();
  p.push_back(lossAggregationParam());
  return p;
}

TB_REGISTER_PART(clippedSurrogatePart, Objective,
                 PartInfo{.name = "clipped_surrogate", .title = "Clipped surrogate",
                          .help = "PPO/GRPO: l = -min(rho A, clip(rho, 1 - eps_low, 1 + eps_high) A), dual clip "
                                  "-c A for A < 0.",
                          .params = surrogateParams(), .validate = validateClip},
                 [](const RunConfig& c) { return std::make_unique<ClippedSurrogateObjective>(c); });

}  // namespace
}  // namespace tb
