// regularizer/epo_entropy: EPO (Xu et al. 2025, "EPO: Entropy-regularized Policy Optimization for
// LLM Agents Reinforcement Learning"): an entropy term over all steps with entropy smoothing
// against a historical baseline. Hbar[k] = mean over past iterations of the mean entropy at step
// index k; outside the band kappa_l Hbar < H < kappa_r Hbar a penalty applies. Decision (the
// paper's indicator has no gradient): P_t = p_out * |H_t - clamp(H_t, kappa_l Hbar, kappa_r Hbar)|.
// Phase weight w = 1 - 0.2(1 - e^{-2p}) in the first half of training, 0.8 e^{-3p} in the second
// (p = progress within the half). L += -c_H [H_t - c_s w P_t] per token, aggregated with the
// objective. Logs epo/penalty and epo/baseline.
#include <algorithm>
#include <cmath>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/StepSpans.h"

namespace tb {
namespace {

class EpoRegularizer : public Regularizer {
 public:
  explicit EpoRegularizer(const RunConfig& c)
      : coef_(c.getFloat("algo.entropy_coef")), smoothCoef_(c.getFloat("algo.epo_smooth_coef")),
        kappaLow_(c.getFloat("algo.epo_kappa_low")), kappaHigh_(c.getFloat("algo.epo_kappa_high")),
        penalty_(c.getFloat("algo.epo_penalty")) {}

  static double phaseWeight(int iteration, int iterations) {
    const double half = std::max(1.0, iterations / 2.0);
    if (iteration < half) return 1 - 0.2 * (1 - std::exp(-2 * iteration / half));
    return 0.8 * std::exp(-3 * (iteration - half) / half);
  }

  torch::Tensor tokenLoss(TrainingContext& ctx, const PolicyLossInputs& in,
                          std::vector<std::pair<std::string, double>>& metrics) override {
    // Baseline per token: Hbar of the step index the token belongs to (no baseline yet: no penalty).
    auto baseline = torch::zeros_like(in.mask);
    auto b = baseline.accessor<float, 2>();
    for (size_t r = 0; r < in.rows.size(); ++r) {
      const RolloutRow& row = in.rollout->rows[in.rows[r]];
      const auto spans = stepSpans(row.completion, row.length);
      for (size_t k = 0; k < spans.size(); ++k) {
        const float h = k < mean_.size() ? static_cast<float>(mean_[k]) : 0.f;
        for (int t = spans[k].begin; t < spans[k].end; ++t) b[r][t] = h;
      }
    }
    auto lo = kappaLow_ * baseline, hi = kappaHigh_ * baseline;
    auto clamped = torch::max(torch::min(in.entropies, hi), lo);
    auto P = penalty_ * (in.entropies - clamped).abs() * (baseline > 0).to(in.mask.scalar_type());
    const double w = phaseWeight(ctx.iteration, ctx.iterations);
    metrics.emplace_back("epo/penalty", maskedMeanValue(P.detach(), in.mask));
    metrics.emplace_back("epo/phase_weight", w);
    return -coef_ * (in.entropies - smoothCoef_ * w * P);
  }

  void endIteration(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    auto ent = batch.oldEntropies.to(torch::kDouble).contiguous();
    auto e = ent.accessor<double, 2>();
    std::vector<double> sum, count;
    for (size_t i = 0; i < rollout.rows.size(); ++i) {
      const auto spans = stepSpans(rollout.rows[i].completion, rollout.rows[i].length);
      for (size_t k = 0; k < spans.size(); ++k) {
        if (sum.size() <= k) sum.resize(k + 1), count.resize(k + 1);
        for (int t = spans[k].begin; t < spans[k].end; ++t) sum[k] += e[i][t], count[k] += 1;
      }
    }
    // Running mean over iterations of each step index's mean entropy.
    if (mean_.size() < sum.size()) mean_.resize(sum.size(), 0.0), iterations_.resize(sum.size(), 0);
    for (size_t k = 0; k < sum.size(); ++k) {
      if (count[k] == 0) continue;
      const double h = sum[k] / count[k];
      mean_[k] = (mean_[k] * iterations_[k] + h) / (iterations_[k] + 1);
      ++iterations_[k];
    }
    if (!mean_.empty()) ctx.metric("epo/baseline", mean_[0]);
  }

  nlohmann::json state() const override { return {{"mean", mean_}, {"iterations", iterations_}}; }
  void restore(const nlohmann::json& s) override {
    mean_ = s.at("mean").get<std::vector<double>>();
    iterations_ = s.at("iterations").get<std::vector<int>>();
  }

 private:
  double coef_, smoothCoef_, kappaLow_, kappaHigh_, penalty_;
  std::vector<double> mean_;
  std::vector<int> iterations_;
};

void validateEpo(const RunConfig& c) {
  if (c.getFloat("algo.epo_kappa_low") >= c.getFloat("algo.epo_kappa_high"))
    failInput("algo.epo_kappa_low = ", c.getFloat("algo.epo_kappa_low"), " must be below algo.epo_kappa_high = ",
              c.getFloat("algo.epo_kappa_high"), " (the entropy band is [kappa_low, kappa_high] * Hbar)");
}

TB_REGISTER_PART(epoPart, Regularizer,
                 PartInfo{.name = "epo_entropy", .title = "EPO smoothed entropy",
                          .help = "-c_H [H - c_s w P], P = p_out |H - clamp(H, kappa_l Hbar, kappa_r Hbar)| against "
                                  "the historical per-step entropy Hbar.",
                          .params = {ParamSpec::real("algo.entropy_coef", 0.001, -10.0, 10.0,
                                                     "c_H: entropy coefficient"),
                                     ParamSpec::real("algo.epo_smooth_coef", 1.0, 0.0, 100.0,
                                                     "c_s: weight of the smoothing penalty"),
                                     ParamSpec::real("algo.epo_kappa_low", 0.5, 0.0, 10.0,
                                                     "kappa_l: lower edge of the band, times Hbar"),
                                     ParamSpec::real("algo.epo_kappa_high", 1.5, 0.0, 10.0,
                                                     "kappa_r: upper edge of the band, times Hbar"),
                                     ParamSpec::real("algo.epo_penalty", 0.1, 0.0, 100.0,
                                                     "p_out: penalty per unit of entropy outside the band")},
                          .validate = validateEpo},
                 [](const RunConfig& c) { return std::make_unique<EpoRegularizer>(c); });

}  // namespace
}  // namespace tb
