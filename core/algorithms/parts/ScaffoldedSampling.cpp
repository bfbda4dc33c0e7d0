// rollout/scaffolded: Scaf-GRPO (Zhang et al. 2025, "Scaf-GRPO: Scaffolded Group Relative Policy
// Optimization for Enhancing LLM Reasoning"): after a warm-up, a prompt whose G rollouts all fail
// gets hints of growing strength; the lowest tier that yields a correct answer replaces one failed
// rollout, and advantages are computed on the mixed group. Hints here are prefixes of the task
// solver's solution: tier k gives its first k steps (the policy writes the rest, conditioned on
// them). Logs scaf/hinted_groups and scaf/mean_tier.
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class ScaffoldedSampling : public RolloutStrategy {
 public:
  explicit ScaffoldedSampling(const RunConfig& c)
      : warmup_(static_cast<int>(c.getInt("algo.scaf_warmup"))), tiers_(static_cast<int>(c.getInt("algo.scaf_tiers"))),
        tries_(static_cast<int>(c.getInt("algo.scaf_tries"))) {}

  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    Rollout r = ctx.sample(problems, ctx.groupSize, SampleRequest{});
    r.groupsSampled = r.groups();
    int hinted = 0, tierSum = 0;
    if (ctx.iteration >= warmup_) {
      const auto groups = r.groupRows();
      for (int g = 0; g < r.groups(); ++g) {
        bool anyCorrect = false;
        for (int i : groups[g]) anyCorrect |= r.rows[i].verdict.correct;
        if (anyCorrect) continue;
        auto demo = ctx.task.demonstration(*r.problems[g], ctx.rng);
        if (!demo) continue;
        const auto steps = splitSteps(*demo);
        for (int tier = 1; tier <= tiers_ && tier < static_cast<int>(steps.size()); ++tier) {
          std::string hint;
          for (int k = 0; k < tier; ++k) hint += steps[k] + "\n";
          // Hint and continuation together stay within rollout.max_new_tokens (and the context).
          const int budget = ctx.maxNewTokens - static_cast<int>(hint.size());
          if (budget <= 0) break;
          SampleRequest request;
          request.prefixes = {hint};
          request.maxNewTokens = budget;
          request.source = "hint";
          Rollout tryHint = ctx.sample({r.problems[g]}, tries_, request);
          int found = -1;
          for (size_t i = 0; i < tryHint.rows.size() && found < 0; ++i)
            if (tryHint.rows[i].verdict.correct) found = static_cast<int>(i);
          if (found < 0) continue;
          RolloutRow row = tryHint.rows[found];
          row.group = g;
          r.rows[groups[g].back()] = std::move(row);  // replaces one failed rollout
          ++hinted;
          tierSum += tier;
          break;
        }
      }
    }
    ctx.metric("scaf/hinted_groups", hinted);
    ctx.metric("scaf/mean_tier", hinted ? static_cast<double>(tierSum) / hinted : 0.0);
    return finish(ctx, std::move(r));
  }

 private:
  int warmup_, tiers_, tries_;
};

TB_REGISTER_PART(scaffoldedPart, RolloutStrategy,
                 PartInfo{.name = "scaffolded", .title = "Scaffolded sampling (hints)",
                          .help = "Group sampling; after the warm-up an all-failed group gets solver-prefix hints of "
                                  "growing length and the first correct hinted completion replaces a failed one.",
                          .params = {ParamSpec::integer("algo.scaf_warmup", 5, 0, 100000,
                                                        "Iterations before hints are given (the paper: 50 steps)"),
                                     ParamSpec::integer("algo.scaf_tiers", 3, 1, 16,
                                                        "Hint tiers: tier k reveals the first k solver steps"),
                                     ParamSpec::integer("algo.scaf_tries", 4, 1, 64,
                                                        "Completions sampled per hint tier")},
                          .needsSolver = true},
                 [](const RunConfig& c) { return std::make_unique<ScaffoldedSampling>(c); });

}  // namespace
}  // namespace tb
