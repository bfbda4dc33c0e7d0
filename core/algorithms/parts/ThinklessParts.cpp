// Thinkless (Fang et al. 2025, "Thinkless: LLM Learns When to Think"): the policy chooses a mode
// with its first token, <short> ('S': answer directly) or <think> ('T': reason step by step), and
// Decoupled GRPO trains that choice separately from the answer.
//   reward/thinkless   r = +1 correct short, +0.5 correct think, -1 wrong (A = r - mean with the
//                      group_norm estimator and algo.scale_by_std = false). Warm-start
//                      demonstrations are written in both modes: short = the final "Answer:" line
//                      of the solver's solution (when the task writes one, e.g. game24 with
//                      task.answer_line), think = the whole solution. The verifier sees the
//                      completion without its mode token.
//   objective/degrpo   L = alpha * mean_i l_i(control token) + token-mean of l over the other tokens,
//                      l the clipped surrogate; alpha = 0.001 (ALGORITHMS.md) keeps the mode choice
//                      from being swamped by long answers.
// Example: r = [1, 0.5, -1, 1] -> A = [0.625, 0.125, -1.375, 0.625].
#include <random>

#include "core/algorithms/Parts.h"
#include "core/algorithms/PolicyLoss.h"
#include "core/algorithms/parts/SharedParams.h"

namespace tb {
namespace {

constexpr char kShort = 'S', kThink = 'T';

class ThinklessReward : public RewardShaper {
 public:
  explicit ThinklessReward(const RunConfig& c)
      : shortReward_(c.getFloat("algo.short_reward")), thinkReward_(c.getFloat("algo.think_reward")),
        wrongReward_(c.getFloat("algo.wrong_reward")), shortDemos_(c.getFloat("algo.short_demo_frac")) {}

  void shape(TrainingContext& ctx, Rollout& rollout) override {
    int shortCount = 0, shortCorrect = 0, thinkCount = 0, thinkCorrect = 0;
    for (auto& row : rollout.rows) {
      const char mode = row.completion.empty() ? 0 : row.completion[0];
      const bool correct = row.verdict.correct && (mode == kShort || mode == kThink);
      if (mode == kShort) ++shortCount, shortCorrect += correct;
      if (mode == kThink) ++thinkCount, thinkCorrect += correct;
      row.reward = !correct ? wrongReward_ : mode == kShort ? shortReward_ : thinkReward_;
    }
    const int n = static_cast<int>(rollout.rows.size());
    ctx.metric("thinkless/short_frac", n ? static_cast<double>(shortCount) / n : 0.0);
    ctx.metric("thinkless/short_accuracy", shortCount ? static_cast<double>(shortCorrect) / shortCount : 0.0);
    ctx.metric("thinkless/think_accuracy", thinkCount ? static_cast<double>(thinkCorrect) / thinkCount : 0.0);
  }

  std::string demonstration(const Problem&, std::string demo, std::mt19937_64& rng) const override {
    const auto steps = splitSteps(demo);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (!steps.empty() && steps.back().rfind("Answer:", 0) == 0 && unit(rng) < shortDemos_)
      return std::string(1, kShort) + steps.back();
    return std::string(1, kThink) + demo;
  }

  std::string verifiable(const std::string& completion) const override {
    if (!completion.empty() && (completion[0] == kShort || completion[0] == kThink)) return completion.substr(1);
    return completion;
  }

 private:
  double shortReward_, thinkReward_, wrongReward_, shortDemos_;
};

class DecoupledGrpo : public Objective {
 public:
  explicit DecoupledGrpo(const RunConfig& c)
      : clipLow_(c.getFloat("algo.clip_low")), clipHigh_(c.getFloat("algo.clip_high")),
        dualClip_(c.getFloat("algo.dual_clip")), alpha_(c.getFloat("algo.control_weight")) {}
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    auto s = clippedSurrogate(in.logp, in.oldLogp, in.advantages, clipLow_, clipHigh_, dualClip_);
    auto control = s.loss.select(1, 0);  // every completion has at least its <eos>
    auto rest = in.mask.clone();
    rest.select(1, 0).zero_();
    const double restCount = rest.sum().item<double>();
    LossResult out;
    out.loss = alpha_ * control.mean() + (restCount > 0 ? (s.loss * rest).sum() / restCount : control.sum() * 0);
    out.metrics.emplace_back("thinkless/control_loss", control.mean().item<double>());
    out.metrics.emplace_back("loss/policy", out.loss.item<double>());
    out.metrics.emplace_back("clip/low_frac", maskedMeanValue(s.clippedLow, in.mask));
    out.metrics.emplace_back("clip/high_frac", maskedMeanValue(s.clippedHigh, in.mask));
    return out;
  }

 private:
  double clipLow_, clipHigh_, dualClip_, alpha_;
};

TB_REGISTER_PART(thinklessRewardPart, RewardShaper,
                 PartInfo{.name = "thinkless", .title = "Thinkless mode rewards",
                          .help = "First token chooses short ('S') or think ('T'): +1 correct short, +0.5 correct "
                                  "think, -1 wrong; warm start in both modes.",
                          .params = {ParamSpec::real("algo.short_reward", 1.0, -100.0, 100.0,
                                                     "Reward of a correct short answer"),
                                     ParamSpec::real("algo.think_reward", 0.5, -100.0, 100.0,
                                                     "Reward of a correct answer after thinking"),
                                     ParamSpec::real("algo.wrong_reward", -1.0, -100.0, 100.0,
                                                     "Reward of a wrong answer (either mode)"),
                                     ParamSpec::real("algo.short_demo_frac", 0.5, 0.0, 1.0,
                                                     "Share of warm-start demonstrations written in short mode "
                                                     "(where the solution has an Answer line)")},
                          .alphabet = "ST"},
                 [](const RunConfig& c) { return std::make_unique<ThinklessReward>(c); });

std::vector<ParamSpec> degrpoParams() {
  auto p = clipParams();
  p.push_back(ParamSpec::real("algo.control_weight", 0.001, 0.0, 100.0,
                              "alpha: weight of the mode token's loss, normalised on its own"));
  return p;
}

TB_REGISTER_PART(degrpoPart, Objective,
                 PartInfo{.name = "degrpo", .title = "Decoupled GRPO",
                          .help = "alpha * mean(l at the mode token) + token-mean(l at the other tokens).",
                          .params = degrpoParams()},
                 [](const RunConfig& c) { return std::make_unique<DecoupledGrpo>(c); });

}  // namespace
}  // namespace tb
