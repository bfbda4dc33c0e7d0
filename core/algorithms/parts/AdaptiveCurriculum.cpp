// curriculum/difficulty_adaptive: CLPO-style (Zhang et al. 2025, "CLPO: Curriculum Learning meets
// Policy Optimization for LLM Reasoning") online difficulty assessment: each problem's accuracy is
// estimated from the policy's own rollouts (Beta(1,1) prior: p = (c + 1) / (n + 2)); problems are
// drawn with weight p (1 - p) + floor, which favours the medium band where groups carry signal and
// moves with the policy. (CLPO also rewrites problems; tasks here are exact puzzles, so only the
// adaptive selection is built.) Logs clpo/medium_frac: share of drawn problems with 0.2 < p < 0.8.
#include <map>

#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class AdaptiveCurriculum : public Curriculum {
 public:
  explicit AdaptiveCurriculum(const RunConfig& c) : floor_(c.getFloat("algo.curriculum_floor")) {}

  double estimate(const std::string& id) const {
    auto it = stats_.find(id);
    const double c = it == stats_.end() ? 0 : it->second.first, n = it == stats_.end() ? 0 : it->second.second;
    return (c + 1) / (n + 2);
  }

  std::vector<const Problem*> pick(TrainingContext& ctx, const std::vector<Problem>& pool, int count) override {
    // Weighted sampling over a random candidate subset keeps picking O(count) on large pools.
    const int candidates = std::min<int>(static_cast<int>(pool.size()), std::max(64, 16 * count));
    std::vector<const Problem*> cand;
    std::vector<double> weights;
    double total = 0;
    for (int i = 0; i < candidates; ++i) {
      const Problem* p = &pool[ctx.rng() % pool.size()];
      const double q = estimate(p->id);
      cand.push_back(p);
      weights.push_back(q * (1 - q) + floor_);
      total += weights.back();
    }
    std::uniform_real_distribution<double> unit(0.0, total);
    std::vector<const Problem*> out;
    int medium = 0;
    for (int n = 0; n < count; ++n) {
      double u = unit(ctx.rng), acc = 0;
      size_t k = cand.size() - 1;
      for (size_t i = 0; i < cand.size(); ++i)
        if ((acc += weights[i]) >= u) { k = i; break; }
      out.push_back(cand[k]);
      const double q = estimate(cand[k]->id);
      medium += q > 0.2 && q < 0.8;
    }
    ctx.metric("clpo/medium_frac", count > 0 ? static_cast<double>(medium) / count : 0.0);
    return out;
  }

  void observe(TrainingContext&, const Rollout& rollout, const torch::Tensor&) override {
    for (const auto& row : rollout.rows) {
      auto& s = stats_[rollout.problems[row.group]->id];
      s.first += row.verdict.correct;
      s.second += 1;
    }
  }

  nlohmann::json state() const override {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [id, s] : stats_) out[id] = {s.first, s.second};
    return out;
  }
  void restore(const nlohmann::json& s) override {
    for (auto it = s.begin(); it != s.end(); ++it) stats_[it.key()] = {it.value()[0].get<int>(), it.value()[1].get<int>()};
  }

 private:
  double floor_;
  std::map<std::string, std::pair<int, int>> stats_;
};

TB_REGISTER_PART(adaptivePart, Curriculum,
                 PartInfo{.name = "difficulty_adaptive", .title = "Difficulty-adaptive curriculum",
                          .help = "Per-problem accuracy estimated online; problems drawn with weight p(1 - p) + floor.",
                          .params = {ParamSpec::real("algo.curriculum_floor", 0.02, 0.0, 1.0,
                                                     "Weight every problem keeps (so solved and unsolved ones still "
                                                     "come back)")}},
                 [](const RunConfig& c) { return std::make_unique<AdaptiveCurriculum>(c); });

}  // namespace
}  // namespace tb
