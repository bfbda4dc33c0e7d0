// curriculum/sec: bandit over difficulty levels (see SecCurriculum.h).
#include "core/algorithms/parts/SecCurriculum.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/algorithms/Parts.h"

namespace tb {

std::vector<double> softmaxProbabilities(const std::vector<double>& values, double temperature) {
  std::vector<double> out(values.size());
  if (values.empty()) return out;
  const double top = *std::max_element(values.begin(), values.end());
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) sum += out[i] = std::exp((values[i] - top) / temperature);
  for (double& p : out) p /= sum;
  return out;
}

namespace {

class SecCurriculum : public Curriculum {
 public:
  explicit SecCurriculum(const RunConfig& c) : alpha_(c.getFloat("algo.sec_alpha")), tau_(c.getFloat("algo.sec_tau")) {}

  void begin(TrainingContext& ctx) override {
    const auto& pool = ctx.task.problems(Split::Train);
    byLevel_.clear();
    for (size_t i = 0; i < pool.size(); ++i) byLevel_[pool[i].level].push_back(i);
    for (const auto& [level, _] : byLevel_) q_.emplace(level, 0.0);  // restore() may have set them
  }

  std::vector<const Problem*> pick(TrainingContext& ctx, const std::vector<Problem>& pool, int count) override {
    std::vector<int> levels;
    std::vector<double> values;
    for (const auto& [level, _] : byLevel_) levels.push_back(level), values.push_back(q_[level]);
    const auto probs = softmaxProbabilities(values, tau_);
    for (size_t i = 0; i < levels.size(); ++i)
      ctx.metric("sec/arm_prob/" + std::to_string(levels[i]), probs[i]);
    std::vector<const Problem*> out;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    for (int n = 0; n < count; ++n) {
      double u = unit(ctx.rng), acc = 0;
      size_t arm = levels.size() - 1;
      for (size_t i = 0; i < probs.size(); ++i)
        if ((acc += probs[i]) >= u) { arm = i; break; }
      const auto& members = byLevel_[levels[arm]];
      out.push_back(&pool[members[ctx.rng() % members.size()]]);
    }
    return out;
  }

  void observe(TrainingContext&, const Rollout& rollout, const torch::Tensor& advantages) override {
    // Mean |A| per row (token-level advantages averaged over the row).
    auto a = advantages.abs().to(torch::kDouble);
    if (a.size(1) > 1) a = a.sum(1, true) / (a != 0).sum(1, true).clamp_min(1);
    auto acc = a.contiguous();
    std::map<int, std::pair<double, int>> gain;
    for (size_t i = 0; i < rollout.rows.size(); ++i) {
      auto& g = gain[rollout.problems[rollout.rows[i].group]->level];
      g.first += acc[i][0].item<double>();
      g.second += 1;
    }
    for (const auto& [level, g] : gain) q_[level] = alpha_ * (g.first / g.second) + (1 - alpha_) * q_[level];
  }

  nlohmann::json state() const override {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [level, v] : q_) out[std::to_string(level)] = v;
    return out;
  }
  void restore(const nlohmann::json& s) override {
    for (auto it = s.begin(); it != s.end(); ++it) q_[std::stoi(it.key())] = it.value().get<double>();
  }

 private:
  double alpha_, tau_;
  std::map<int, std::vector<size_t>> byLevel_;
  std::map<int, double> q_;
};

TB_REGISTER_PART(secPart, Curriculum,
                 PartInfo{.name = "sec", .title = "SEC bandit curriculum",
                          .help = "Arms = difficulty levels; Q(c) <- alpha mean|A| + (1 - alpha) Q(c); levels drawn by "
                                  "softmax(Q / tau).",
                          .params = {ParamSpec::real("algo.sec_alpha", 0.5, 0.0, 1.0,
                                                     "alpha: learning rate of the arm values (decision: 0.5)"),
                                     ParamSpec::real("algo.sec_tau", 1.0, 1e-3, 100.0,
                                                     "tau: softmax temperature over arm values (decision: 1)")}},
                 [](const RunConfig& c) { return std::make_unique<SecCurriculum>(c); });

}  // namespace
}  // namespace tb
