// Rollout strategies that produce pairs for pairwise objectives (Rollout::pairs = (chosen, rejected)).
//   rollout/reference_pairs  offline DPO data: G completions of each prompt from the frozen
//                            reference (the warm start), paired correct vs incorrect by the
//                            verifier; groups without both are dropped. The data never depends on
//                            the policy being trained, as in offline DPO.
//   rollout/spin_pairs       SPIN: the task solver's demonstration (real) against G - 1 completions
//                            of the opponent (the policy as it was at the start of the iteration).
//   rollout/nash_md_pairs    Nash-MD: G/2 completions y ~ pi and G/2 y' from the geometric mixture
//                            of pi and the reference; pairs (y_k, y'_k).
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

// Keeps the groups that have at least one pair and re-indexes the pairs.
Rollout keepPaired(const Rollout& r, const std::vector<std::vector<std::pair<int, int>>>& pairsByGroup) {
  Rollout out;
  out.filteredOut = r.filteredOut;
  out.groupsSampled = r.groupsSampled;
  out.zeroStdFirstRound = r.zeroStdFirstRound;
  const auto groups = r.groupRows();
  for (int g = 0; g < r.groups(); ++g) {
    if (pairsByGroup[g].empty()) {
      ++out.groupsDropped;
      for (int i : groups[g]) out.filteredOut.emplace_back(r.problems[g], r.rows[i]);
      continue;
    }
    const int base = static_cast<int>(out.rows.size());
    std::map<int, int> local;
    for (size_t k = 0; k < groups[g].size(); ++k) local[groups[g][k]] = base + static_cast<int>(k);
    out.appendGroup(r, g, groups[g]);
    for (auto [a, b] : pairsByGroup[g]) out.pairs.emplace_back(local[a], local[b]);
  }
  return out;
}

class ReferencePairs : public RolloutStrategy {
 public:
  explicit ReferencePairs(const RunConfig& c) : demoFallback_(c.getString("algo.chosen_fallback") == "demonstration") {}
  ReferenceMode reference() const override { return ReferenceMode::Frozen; }
  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    SampleRequest request;
    request.model = ctx.reference;
    request.source = "reference";
    Rollout r = finish(ctx, ctx.sample(problems, ctx.groupSize, request));
    r.groupsSampled = r.groups();
    std::vector<std::vector<std::pair<int, int>>> pairs(r.groups());
    const auto groups = r.groupRows();
    for (int g = 0; g < r.groups(); ++g) {
      std::vector<int> good, bad;
      for (int i : groups[g]) (r.rows[i].verdict.correct ? good : bad).push_back(i);
      if (good.empty() && demoFallback_ && !bad.empty()) {
        // No sample of the reference is right: the solver's solution is the chosen one.
        if (auto demo = ctx.task.demonstration(*r.problems[g], ctx.rng)) {
          RolloutRow row = r.rows[bad.front()];
          row.completionIds = ctx.tokenizer.encodeCompletion(*demo);
          row.completion = *demo;
          row.length = static_cast<int>(row.completionIds.size());
          row.verdict = ctx.task.verify(*r.problems[g], *demo);
          row.reward = row.verdict.reward;
          row.source = "demonstration";
          r.rows[bad.back()] = row;
          good.push_back(bad.back());
          bad.pop_back();
        }
      }
      for (size_t k = 0; k < std::min(good.size(), bad.size()); ++k) pairs[g].emplace_back(good[k], bad[k]);
    }
    return keepPaired(r, pairs);
  }

 private:
  bool demoFallback_;
};

class SpinPairs : public RolloutStrategy {
 public:
  ReferenceMode reference() const override { return ReferenceMode::PreviousIteration; }
  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    Rollout generated = ctx.sample(problems, std::max(1, ctx.groupSize - 1), SampleRequest{});
    Rollout r;
    r.problems = problems;
    const auto groups = generated.groupRows();
    std::vector<std::vector<std::pair<int, int>>> pairs(problems.size());
    for (size_t g = 0; g < problems.size(); ++g) {
      auto demo = ctx.task.demonstration(*problems[g], ctx.rng);
      if (!demo) continue;
      RolloutRow real;
      real.group = static_cast<int>(g);
      real.promptIds = ctx.tokenizer.encodePrompt(problems[g]->prompt);
      real.completionIds = ctx.tokenizer.encodeCompletion(*demo);
      real.completion = *demo;
      real.length = static_cast<int>(real.completionIds.size());
      real.verdict = ctx.task.verify(*problems[g], *demo);
      real.reward = real.verdict.reward;
      real.source = "demonstration";
      const int realIndex = static_cast<int>(r.rows.size());
      r.rows.push_back(std::move(real));
      for (int i : groups[g]) {
        // Only demonstrations that fit the completion limit can be compared with samples.
        if (r.rows[realIndex].length > ctx.maxNewTokens) break;
        pairs[g].emplace_back(realIndex, static_cast<int>(r.rows.size()));
        r.rows.push_back(generated.rows[i]);
      }
    }
    r = finish(ctx, std::move(r));
    r.groupsSampled = r.groups();
    return keepPaired(r, pairs);
  }
};

class NashMdPairs : public RolloutStrategy {
 public:
  explicit NashMdPairs(const RunConfig& c) : mixture_(c.getFloat("algo.mixture")) {}
  ReferenceMode reference() const override { return ReferenceMode::Frozen; }
  const char* needsBuiltInPolicy() const override { return "Nash-MD's geometric mixture of policy and reference"; }
  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    const int half = std::max(1, ctx.groupSize / 2);
    Rollout own = ctx.sample(problems, half, SampleRequest{});
    SampleRequest mix;
    mix.mixtureWith = ctx.reference;
    mix.mixture = mixture_;
    mix.source = "mixture";
    Rollout mixed = ctx.sample(problems, half, mix);
    Rollout r;
    r.problems = problems;
    std::vector<std::vector<std::pair<int, int>>> pairs(problems.size());
    const auto ownGroups = own.groupRows(), mixGroups = mixed.groupRows();
    for (size_t g = 0; g < problems.size(); ++g) {
      const int base = static_cast<int>(r.rows.size());
      for (int i : ownGroups[g]) r.rows.push_back(own.rows[i]);
      for (int i : mixGroups[g]) r.rows.push_back(mixed.rows[i]);
      for (int k = 0; k < half; ++k) pairs[g].emplace_back(base + k, base + half + k);
    }
    r = finish(ctx, std::move(r));
    r.groupsSampled = r.groups();
    return keepPaired(r, pairs);
  }

 private:
  double mixture_;
};

TB_REGISTER_PART(referencePairsPart, RolloutStrategy,
                 PartInfo{.name = "reference_pairs", .title = "Verifier-ranked pairs from the reference",
                          .help = "Offline preference data: G samples per prompt from the frozen warm start, correct "
                                  "paired with incorrect.",
                          .params = {ParamSpec::choice("algo.chosen_fallback", "none", {"none", "demonstration"},
                                                       "When no sample of a prompt is correct: drop the prompt, or use "
                                                       "the task solver's solution as the chosen completion")}},
                 [](const RunConfig& c) { return std::make_unique<ReferencePairs>(c); });

TB_REGISTER_PART(spinPairsPart, RolloutStrategy,
                 PartInfo{.name = "spin_pairs", .title = "Real vs self-generated pairs",
                          .help = "SPIN: the solver's demonstration against G - 1 samples of the opponent (previous "
                                  "iteration).",
                          .needsSolver = true},
                 [](const RunConfig&) { return std::make_unique<SpinPairs>(); });

TB_REGISTER_PART(nashPairsPart, RolloutStrategy,
                 PartInfo{.name = "nash_md_pairs", .title = "Policy vs mixture pairs",
                          .help = "Nash-MD: y ~ pi against y' ~ the geometric mixture of pi and the reference.",
                          .params = {ParamSpec::real("algo.mixture", 0.5, 0.0, 1.0,
                                                     "m: weight of the reference in the geometric mixture "
                                                     "log_softmax(m ref_logits + (1 - m) policy_logits)")}},
                 [](const RunConfig& c) { return std::make_unique<NashMdPairs>(c); });

}  // namespace
}  // namespace tb
