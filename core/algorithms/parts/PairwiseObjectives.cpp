// Objectives on pairs of completions of the same prompt (Rollout::pairs; formulas in
// core/algorithms/PreferenceLoss.h):
//   objective/dpo      DPO (Rafailov et al. 2023) or IPO (Azar et al. 2023) against the frozen reference
//   objective/spin     SPIN (Chen et al. 2024) against the opponent (previous iteration)
//   objective/p3o      P3O (Wu et al. 2023): every pair of a group with different rewards, weight
//                      (r1 - r2)/2 on grad[log pi(y1) - log pi(y2)], sequence-level ratio clipping
//   objective/nash_md  Nash-MD (Munos et al. 2023, as TRL): y against y' from the mixture
// Sequence log-probs are sums over completion tokens.
#include <map>

#include "core/algorithms/Parts.h"
#include "core/algorithms/PreferenceLoss.h"
#include "core/algorithms/parts/SharedParams.h"

namespace tb {
namespace {

// Pairs of the rollout whose rows are both in the minibatch, as local row indices.
std::vector<std::pair<int64_t, int64_t>> localPairs(const PolicyLossInputs& in) {
  std::map<int64_t, int64_t> local;
  for (size_t k = 0; k < in.rows.size(); ++k) local[in.rows[k]] = static_cast<int64_t>(k);
  std::vector<std::pair<int64_t, int64_t>> out;
  for (auto [a, b] : in.rollout->pairs)
    if (local.count(a) && local.count(b)) out.emplace_back(local[a], local[b]);
  return out;
}

torch::Tensor pick(const torch::Tensor& values, const std::vector<std::pair<int64_t, int64_t>>& pairs, bool first) {
  std::vector<int64_t> idx;
  for (auto [a, b] : pairs) idx.push_back(first ? a : b);
  return values.index_select(0, torch::tensor(idx));
}

LossResult fromPreference(PreferenceLossResult r, size_t pairs) {
  LossResult out;
  out.loss = r.loss;
  out.metrics = std::move(r.metrics);
  out.metrics.emplace_back("loss/policy", out.loss.item<double>());
  out.metrics.emplace_back("pref/pairs", static_cast<double>(pairs));
  return out;
}

LossResult noPairs(const PolicyLossInputs& in) {
  LossResult out;
  out.loss = (in.logp * 0).sum();  // keeps the graph; nothing to learn from
  out.metrics.emplace_back("pref/pairs", 0.0);
  return out;
}

class DpoObjective : public Objective {
 public:
  explicit DpoObjective(const RunConfig& c) : beta_(c.getFloat("algo.beta")), ipo_(c.getString("algo.pref_loss") == "ipo") {}
  ReferenceMode reference() const override { return ReferenceMode::Frozen; }
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    const auto pairs = localPairs(in);
    if (pairs.empty()) return noPairs(in);
    auto seq = (in.logp * in.mask).sum(1), ref = (in.refLogp * in.mask).sum(1);
    PreferencePair p{pick(seq, pairs, true), pick(seq, pairs, false), pick(ref, pairs, true), pick(ref, pairs, false)};
    return fromPreference(ipo_ ? ipoLoss(p, beta_) : dpoLoss(p, beta_), pairs.size());
  }

 private:
  double beta_;
  bool ipo_;
};

class SpinObjective : public Objective {
 public:
  explicit SpinObjective(const RunConfig& c) : beta_(c.getFloat("algo.beta")) {}
  ReferenceMode reference() const override { return ReferenceMode::PreviousIteration; }
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    const auto pairs = localPairs(in);
    if (pairs.empty()) return noPairs(in);
    auto seq = (in.logp * in.mask).sum(1), opp = (in.refLogp * in.mask).sum(1);
    PreferencePair p{pick(seq, pairs, true), pick(seq, pairs, false), pick(opp, pairs, true), pick(opp, pairs, false)};
    return fromPreference(spinLoss(p, beta_), pairs.size());
  }

 private:
  double beta_;
};

class P3oObjective : public Objective {
 public:
  explicit P3oObjective(const RunConfig& c) : clip_(c.getFloat("algo.clip_low")) {}
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    // All pairs of a group with different rewards.
    std::map<int, std::vector<int64_t>> byGroup;
    for (size_t k = 0; k < in.rows.size(); ++k) byGroup[in.rollout->rows[in.rows[k]].group].push_back(k);
    std::vector<std::pair<int64_t, int64_t>> pairs;
    std::vector<double> r1, r2;
    for (const auto& [_, members] : byGroup)
      for (size_t a = 0; a < members.size(); ++a)
        for (size_t b = a + 1; b < members.size(); ++b) {
          const double ra = in.rollout->rows[in.rows[members[a]]].reward, rb = in.rollout->rows[in.rows[members[b]]].reward;
          if (ra == rb) continue;
          pairs.emplace_back(members[a], members[b]);
          r1.push_back(ra);
          r2.push_back(rb);
        }
    if (pairs.empty()) return noPairs(in);
    auto seq = (in.logp * in.mask).sum(1), old = (in.oldLogp * in.mask).sum(1);
    P3oPair p{pick(seq, pairs, true), pick(seq, pairs, false), pick(old, pairs, true), pick(old, pairs, false),
              torch::tensor(r1, seq.options()), torch::tensor(r2, seq.options())};
    return fromPreference(p3oLoss(p, clip_), pairs.size());
  }

 private:
  double clip_;
};

class NashMdObjective : public Objective {
 public:
  explicit NashMdObjective(const RunConfig& c) : beta_(c.getFloat("algo.beta")) {}
  ReferenceMode reference() const override { return ReferenceMode::Frozen; }
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    const auto pairs = localPairs(in);
    if (pairs.empty()) return noPairs(in);
    std::vector<double> reward, mixReward;
    for (auto [a, b] : pairs) {
      reward.push_back(in.rollout->rows[in.rows[a]].reward);
      mixReward.push_back(in.rollout->rows[in.rows[b]].reward);
    }
    NashMdBatch batch{pick(in.logp, pairs, true), pick(in.refLogp, pairs, true), pick(in.mask, pairs, true),
                      torch::tensor(reward, in.logp.options()), torch::tensor(mixReward, in.logp.options())};
    return fromPreference(nashMdLoss(batch, beta_), pairs.size());
  }

 private:
  double beta_;
};

TB_REGISTER_PART(dpoPart, Objective,
                 PartInfo{.name = "dpo", .title = "DPO / IPO",
                          .help = "DPO: -log sigma(beta h); IPO: (h - 1/(2 beta))^2; h = chosen minus rejected "
                                  "log-ratio to the reference.",
                          .params = {betaParam(0.1, "beta: strength of the implicit KL constraint"),
                                     ParamSpec::choice("algo.pref_loss", "dpo", {"dpo", "ipo"},
                                                       "dpo: logistic loss on the margin; ipo: squared loss to "
                                                       "1/(2 beta)")}},
                 [](const RunConfig& c) { return std::make_unique<DpoObjective>(c); });

TB_REGISTER_PART(spinPart, Objective,
                 PartInfo{.name = "spin", .title = "SPIN self-play",
                          .help = "-log sigma(beta [(log pi - log pi_t)(y_real) - (log pi - log pi_t)(y_gen)]).",
                          .params = {betaParam(0.1, "beta: SPIN's regularisation strength")}},
                 [](const RunConfig& c) { return std::make_unique<SpinObjective>(c); });

TB_REGISTER_PART(p3oPart, Objective,
                 PartInfo{.name = "p3o", .title = "Pairwise PPO (P3O)",
                          .help = "(r1 - r2)/2 on grad[log pi(y1) - log pi(y2)] with the pair's ratio clipped at "
                                  "1 +- algo.clip_low.",
                          .params = {ParamSpec::real("algo.clip_low", 0.2, 0.0, 1.0,
                                                     "epsilon of the pair-level ratio clipping")}},
                 [](const RunConfig& c) { return std::make_unique<P3oObjective>(c); });

TB_REGISTER_PART(nashPart, Objective,
                 PartInfo{.name = "nash_md", .title = "Nash-MD",
                          .help = "beta sum sg(log pi - log pi_ref) log pi(y) - (P - 1/2) sum log pi(y), "
                                  "P = sigma(R(y) - R(y')).",
                          .params = {betaParam(0.1, "beta: KL regularisation to the reference")}},
                 [](const RunConfig& c) { return std::make_unique<NashMdObjective>(c); });

}  // namespace
}  // namespace tb
