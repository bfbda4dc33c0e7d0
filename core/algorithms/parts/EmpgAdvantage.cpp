// advantage/empg: entropy-modulated step advantages (see EmpgAdvantage.h).
#include "core/algorithms/parts/EmpgAdvantage.h"

#include <algorithm>
#include <cmath>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"
#include "core/algorithms/parts/StepSpans.h"

namespace tb {

std::vector<std::vector<double>> empgModulate(const std::vector<std::vector<double>>& H,
                                              const std::vector<double>& A, double k, double kFuture, double zeta) {
  double lo = 1e300, hi = -1e300, expSum = 0;
  int count = 0;
  for (const auto& steps : H)
    for (double h : steps) lo = std::min(lo, h), hi = std::max(hi, h), ++count;
  auto norm = [&](double h) { return (h - lo) / (hi - lo + 1e-8); };
  for (const auto& steps : H)
    for (double h : steps) expSum += std::exp(-k * norm(h));
  const double meanExp = count > 0 ? expSum / count : 1.0;
  std::vector<std::vector<double>> out(H.size());
  for (size_t i = 0; i < H.size(); ++i)
    for (size_t t = 0; t < H[i].size(); ++t) {
      const double g = std::exp(-k * norm(H[i][t])) / meanExp;
      const double f = t + 1 < H[i].size() ? std::exp(-kFuture * norm(H[i][t + 1])) : 0.0;
      out[i].push_back(g * A[i] + zeta * f);
    }
  return out;
}

namespace {

class EmpgAdvantage : public AdvantageEstimator {
 public:
  explicit EmpgAdvantage(const RunConfig& c)
      : k_(c.getFloat("algo.empg_k")), kFuture_(c.getFloat("algo.empg_k_future")), zeta_(c.getFloat("algo.empg_zeta")) {}
  bool needsOldScores() const override { return true; }
  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    const auto& mask = batch.batch.completionMask;
    auto ent = batch.oldEntropies.to(torch::kDouble).contiguous();
    auto e = ent.accessor<double, 2>();
    // Outcome advantages (GRPO, group-normalised) of every row.
    const auto A = groupNormalizedRowAdvantages(rollout, true);
    std::vector<std::vector<StepSpan>> spans;
    std::vector<std::vector<double>> H;
    for (size_t i = 0; i < rollout.rows.size(); ++i) {
      spans.push_back(stepSpans(rollout.rows[i].completion, rollout.rows[i].length));
      std::vector<double> h;
      for (const auto& s : spans.back()) {
        double sum = 0;
        for (int t = s.begin; t < s.end; ++t) sum += e[i][t];
        h.push_back(s.end > s.begin ? sum / (s.end - s.begin) : 0.0);
      }
      H.push_back(std::move(h));
    }
    const auto mod = empgModulate(H, A, k_, kFuture_, zeta_);
    auto out = torch::zeros_like(mask);
    auto o = out.accessor<float, 2>();
    double scaleSum = 0;
    int scaleCount = 0;
    for (size_t i = 0; i < mod.size(); ++i)
      for (size_t s = 0; s < mod[i].size(); ++s) {
        if (A[i] != 0) scaleSum += (mod[i][s]) / A[i], ++scaleCount;
        for (int t = spans[i][s].begin; t < spans[i][s].end; ++t) o[i][t] = static_cast<float>(mod[i][s]);
      }
    out = out * mask;
    // Subtract the batch mean (over completion tokens).
    const double mean = maskedMeanValue(out, mask);
    ctx.metric("empg/scale_mean", scaleCount ? scaleSum / scaleCount : 1.0);
    return (out - mean) * mask;
  }

 private:
  double k_, kFuture_, zeta_;
};

TB_REGISTER_PART(empgPart, AdvantageEstimator,
                 PartInfo{.name = "empg", .title = "EMPG entropy-modulated steps",
                          .help = "Per step: g(H_t) A + zeta f(H_{t+1}) with g = exp(-k H~)/mean, f = exp(-k_f H~); "
                                  "then the batch mean is subtracted.",
                          .params = {ParamSpec::real("algo.empg_k", 1.0, 0.0, 100.0, "k: self-calibration sharpness"),
                                     ParamSpec::real("algo.empg_k_future", 1.0, 0.0, 100.0,
                                                     "k_f: future-clarity sharpness"),
                                     ParamSpec::real("algo.empg_zeta", 0.1, 0.0, 10.0, "zeta: future-clarity bonus")}},
                 [](const RunConfig& c) { return std::make_unique<EmpgAdvantage>(c); });

}  // namespace
}  // namespace tb
