// advantage/gigpo: episode + anchor-state step advantages (see GigpoAdvantage.h).
#include "core/algorithms/parts/GigpoAdvantage.h"

#include <cmath>
#include <map>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"
#include "core/algorithms/parts/StepSpans.h"

namespace tb {

namespace {
double normaliser(const std::vector<double>& v, bool stdNorm) { return stdNorm ? meanStd(v).std + 1e-6 : 1.0; }
}  // namespace

std::vector<std::vector<double>> gigpoAdvantages(const std::vector<GigpoTrajectory>& group, double gamma,
                                                 double omega, bool stdNorm) {
  std::vector<double> outcomes;
  for (const auto& t : group) outcomes.push_back(t.reward);
  const MeanStd episode = meanStd(outcomes);
  const double fE = normaliser(outcomes, stdNorm);
  // Step returns, grouped by anchor state.
  std::map<std::string, std::vector<std::pair<size_t, size_t>>> anchors;
  std::vector<std::vector<double>> returns(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    const size_t T = group[i].stateKeys.size();
    for (size_t t = 0; t < T; ++t) {
      returns[i].push_back(std::pow(gamma, static_cast<double>(T - 1 - t)) * group[i].reward);
      anchors[group[i].stateKeys[t]].push_back({i, t});
    }
  }
  std::vector<std::vector<double>> out(group.size());
  for (size_t i = 0; i < group.size(); ++i)
    out[i].assign(group[i].stateKeys.size(), group.size() > 1 ? (group[i].reward - episode.mean) / fE : 0.0);
  for (const auto& [_, members] : anchors) {
    if (members.size() < 2) continue;
    std::vector<double> r;
    for (auto [i, t] : members) r.push_back(returns[i][t]);
    const MeanStd s = meanStd(r);
    const double f = normaliser(r, stdNorm);
    for (size_t k = 0; k < members.size(); ++k) out[members[k].first][members[k].second] += omega * (r[k] - s.mean) / f;
  }
  return out;
}

namespace {

class GigpoAdvantage : public AdvantageEstimator {
 public:
  explicit GigpoAdvantage(const RunConfig& c)
      : gamma_(c.getFloat("algo.gamma")), omega_(c.getFloat("algo.step_weight")),
        stdNorm_(c.getString("algo.gigpo_norm") == "std_norm") {}
  torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) override {
    const auto& mask = batch.batch.completionMask;
    auto out = torch::zeros_like(mask);
    auto acc = out.accessor<float, 2>();
    int anchored = 0, steps = 0;
    const auto groups = rollout.groupRows();
    for (size_t g = 0; g < groups.size(); ++g) {
      const Problem& problem = *rollout.problems[g];
      std::vector<GigpoTrajectory> trajectories;
      std::vector<std::vector<StepSpan>> spans;
      std::map<std::string, int> keyCount;
      for (int i : groups[g]) {
        const RolloutRow& row = rollout.rows[i];
        GigpoTrajectory t;
        t.reward = row.reward;
        spans.push_back(stepSpans(row.completion, row.length));
        std::vector<std::string> before = splitSteps(row.prefix);
        for (const auto& span : spans.back()) {
          t.stateKeys.push_back(ctx.task.describeState(problem, before));
          ++keyCount[t.stateKeys.back()];
          before.push_back(span.text);
        }
        trajectories.push_back(std::move(t));
      }
      const auto adv = gigpoAdvantages(trajectories, gamma_, omega_, stdNorm_);
      for (size_t k = 0; k < groups[g].size(); ++k) {
        const int row = groups[g][k];
        for (size_t s = 0; s < spans[k].size(); ++s) {
          ++steps;
          anchored += keyCount[trajectories[k].stateKeys[s]] > 1;
          for (int t = spans[k][s].begin; t < spans[k][s].end; ++t) acc[row][t] = static_cast<float>(adv[k][s]);
        }
      }
    }
    if (steps > 0) ctx.metric("gigpo/anchored_step_frac", static_cast<double>(anchored) / steps);
    return out * mask;
  }

 private:
  double gamma_, omega_;
  bool stdNorm_;
};

TB_REGISTER_PART(gigpoPart, AdvantageEstimator,
                 PartInfo{.name = "gigpo", .title = "GiGPO anchor-state step advantages",
                          .help = "A_t = A_E + omega * A_S: episode-level group advantage plus a step-level one "
                                  "among steps taken from the same state (Task::describeState).",
                          .params = {ParamSpec::real("algo.gamma", 0.95, 0.0, 1.0,
                                                     "Discount of the step returns R_t = gamma^(T-1-t) R"),
                                     ParamSpec::real("algo.step_weight", 1.0, 0.0, 10.0,
                                                     "omega: weight of the step-level (anchor) advantage"),
                                     ParamSpec::choice("algo.gigpo_norm", "mean_norm", {"mean_norm", "std_norm"},
                                                       "F: 1 (mean_norm) or std + eps (std_norm)")},
                          .needsSteps = true},
                 [](const RunConfig& c) { return std::make_unique<GigpoAdvantage>(c); });

}  // namespace
}  // namespace tb
