// filter/policy_filtration: PF-PPO (Zhang et al. 2024, "Policy Filtration in RLHF to Fine-Tune
// LLM for Code Generation"): train only on samples whose reward is reliable. With a verifier the
// extremes of a group are the reliable ones: "best-worst" keeps the highest- and lowest-reward
// samples of each group, "best-random" the highest and one other drawn at random.
#include <algorithm>

#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class PolicyFiltration : public DataFilter {
 public:
  explicit PolicyFiltration(const RunConfig& c) : mode_(c.getString("algo.pf_mode")) {}
  std::vector<int> keep(TrainingContext& ctx, const Rollout& rollout, int, const std::vector<int>& rows) override {
    if (rows.size() <= 2) return rows;
    auto byReward = [&](int a, int b) { return rollout.rows[a].reward < rollout.rows[b].reward; };
    const int best = *std::max_element(rows.begin(), rows.end(), byReward);
    int other;
    if (mode_ == "best-worst") {
      other = *std::min_element(rows.begin(), rows.end(), byReward);
    } else {
      std::vector<int> rest;
      for (int r : rows)
        if (r != best) rest.push_back(r);
      other = rest[ctx.rng() % rest.size()];
    }
    if (other == best) return {best};
    return best < other ? std::vector<int>{best, other} : std::vector<int>{other, best};
  }

 private:
  std::string mode_;
};

TB_REGISTER_PART(pfPart, DataFilter,
                 PartInfo{.name = "policy_filtration", .title = "Policy filtration",
                          .help = "PF-PPO: keep the reliable samples of each group (best and worst, or best and one "
                                  "random).",
                          .params = {ParamSpec::choice("algo.pf_mode", "best-worst", {"best-worst", "best-random"},
                                                       "Which samples of a group are trained on")}},
                 [](const RunConfig& c) { return std::make_unique<PolicyFiltration>(c); });

}  // namespace
}  // namespace tb
