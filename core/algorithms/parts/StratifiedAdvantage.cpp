// advantage/stratified: SAN inside strata of equal step count, blended with the group norm.
#include "core/algorithms/parts/StratifiedAdvantage.h"

#include <cmath>
#include <map>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"

namespace tb {

namespace {
std::vector<double> populationNormalized(const std::vector<double>& r) {
  std::vector<double> out(r.size(), 0.0);
  if (r.size() < 2) return out;
  double mean = 0, var = 0;
  for (double x : r) mean += x;
  mean /= r.size();
  for (double x : r) var += (x - mean) * (x - mean);
  const double sd = std::sqrt(var / r.size());
  for (size_t i = 0; i < r.size(); ++i) out[i] = (r[i] - mean) / (sd + 1e-6);
  return out;
}
}  // namespace

StratifiedResult stratifiedAdvantages(const std::vector<double>& rewards, const std::vector<int>& strata,
                                      double alpha) {
  StratifiedResult out;
  out.global = populationNormalized(rewards);
  out.san.assign(rewards.size(), 0.0);
  std::map<int, std::vector<size_t>> members;
  for (size_t i = 0; i < strata.size(); ++i) members[strata[i]].push_back(i);
  for (const auto& [_, idx] : members) {
    std::vector<double> r;
    for (size_t i : idx) r.push_back(rewards[i]);
    const auto a = populationNormalized(r);
    for (size_t k = 0; k < idx.size(); ++k) out.san[idx[k]] = a[k];
  }
  for (size_t i = 0; i < rewards.size(); ++i) out.blended.push_back(alpha * out.san[i] + (1 - alpha) * out.global[i]);
  return out;
}

namespace {

class StratifiedAdvantage : public AdvantageEstimator {
 public:
  explicit StratifiedAdvantage(const RunConfig& c) : alpha_(c.getFloat("algo.san_alpha")) {}
  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch&) override {
    std::vector<double> out(rollout.rows.size(), 0.0);
    double strataSum = 0;
    const auto groups = rollout.groupRows();
    for (const auto& rows : groups) {
      std::vector<double> r;
      std::vector<int> strata;
      for (int i : rows) {
        r.push_back(rollout.rows[i].reward);
        strata.push_back(static_cast<int>(splitSteps(rollout.rows[i].text()).size()));
      }
      std::map<int, int> distinct;
      for (int s : strata) ++distinct[s];
      strataSum += distinct.size();
      const auto a = stratifiedAdvantages(r, strata, alpha_);
      for (size_t k = 0; k < rows.size(); ++k) out[rows[k]] = a.blended[k];
    }
    if (!groups.empty()) ctx.metric("stratified/strata_per_group", strataSum / groups.size());
    return sequenceAdvantages(out);
  }

 private:
  double alpha_;
};

TB_REGISTER_PART(stratifiedPart, AdvantageEstimator,
                 PartInfo{.name = "stratified", .title = "Stratified advantage normalisation",
                          .help = "A = alpha * A_SAN + (1 - alpha) * A_GN, strata = number of steps of a completion.",
                          .params = {ParamSpec::real("algo.san_alpha", 0.5, 0.0, 1.0,
                                                     "alpha: weight of the stratified term against the global group "
                                                     "normalisation")}},
                 [](const RunConfig& c) { return std::make_unique<StratifiedAdvantage>(c); });

}  // namespace
}  // namespace tb
