// advantage/seed_grpo: GRPO advantages scaled down on prompts the policy is uncertain about.
#include "core/algorithms/parts/SeedGrpoAdvantage.h"

#include <algorithm>
#include <cmath>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"
#include "core/algorithms/parts/SemanticClusters.h"

namespace tb {

double seedScale(double se, int groupSize, double alpha, const std::string& shape) {
  if (groupSize < 2) return 1.0;
  const double u = alpha * se / std::log(static_cast<double>(groupSize));
  return shape == "linear" ? std::max(0.0, 1.0 - u) : std::exp(-u);
}

namespace {

class SeedGrpoAdvantage : public AdvantageEstimator {
 public:
  explicit SeedGrpoAdvantage(const RunConfig& c)
      : alpha_(c.getFloat("algo.seed_alpha")), shape_(c.getString("algo.seed_shape")),
        scaleByStd_(c.getBool("algo.scale_by_std")) {}
  bool needsOldScores() const override { return true; }
  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    std::vector<double> out = groupNormalizedRowAdvantages(rollout, scaleByStd_);
    // Length-normalised sequence likelihood of each row under the sampling policy.
    auto meanLogp = (batch.oldLogp.sum(1) / batch.batch.completionMask.sum(1).clamp_min(1)).to(torch::kDouble);
    auto acc = meanLogp.accessor<double, 1>();
    double seSum = 0, scaleSum = 0;
    const auto groups = rollout.groupRows();
    for (size_t g = 0; g < groups.size(); ++g) {
      const auto& rows = groups[g];
      std::vector<double> w;
      std::vector<std::string> answers;
      for (int i : rows) {
        w.push_back(std::exp(acc[i]));
        answers.push_back(ctx.task.finalAnswer(*rollout.problems[g], rollout.rows[i].text()));
      }
      const double se = semanticEntropy(clusterAnswers(answers), w);
      const double scale = seedScale(se, static_cast<int>(rows.size()), alpha_, shape_);
      seSum += se;
      scaleSum += scale;
      for (int i : rows) out[i] *= scale;
    }
    if (!groups.empty()) {
      ctx.metric("seed/semantic_entropy", seSum / groups.size());
      ctx.metric("seed/scale_mean", scaleSum / groups.size());
    }
    return sequenceAdvantages(out);
  }

 private:
  double alpha_;
  std::string shape_;
  bool scaleByStd_;
};

TB_REGISTER_PART(seedPart, AdvantageEstimator,
                 PartInfo{.name = "seed_grpo", .title = "SEED-GRPO semantic-entropy scaling",
                          .help = "GRPO advantages times f(alpha * SE / log G); clusters by the task's final answer, "
                                  "masses from length-normalised likelihoods.",
                          .params = {ParamSpec::boolean("algo.scale_by_std", true,
                                                        "Divide group-centred rewards by the group std (off = Dr. "
                                                        "GRPO)"),
                                     ParamSpec::real("algo.seed_alpha", 1.0, 0.0, 10.0,
                                                     "alpha: strength of the semantic-entropy down-weighting"),
                                     ParamSpec::choice("algo.seed_shape", "exp", {"exp", "linear"},
                                                       "f(u): exp = e^-u (decision, ALGORITHMS.md), linear = max(0, "
                                                       "1 - u)")}},
                 [](const RunConfig& c) { return std::make_unique<SeedGrpoAdvantage>(c); });

}  // namespace
}  // namespace tb
