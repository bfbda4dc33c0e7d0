// reward/autocei_refusal: Auto-CEI (Zhao et al. 2024, "Automatic Curriculum Expert Iteration for
// Reliable LLM Reasoning"): expert iteration that also teaches the policy to say "I don't know"
// (here the line "?") after reasoning at length instead of answering wrongly.
//   correct                        -> kept (reward 1)
//   the policy refused after >= c steps -> kept (reward 1); earlier refusals are not
//   wrong after >= c steps         -> relabelled: its reasoning followed by "?" (reward 1)
//   wrong after fewer steps        -> reward 0 (dropped by the successes filter)
// The curriculum moves c (steps) each iteration: one step up when refusals exceed
// algo.refusal_target of the kept rows (the policy gives up too easily), one down otherwise.
// Logs autocei/threshold, autocei/refusal_frac (the policy's own refusals) and autocei/relabelled.
#include <algorithm>

#include "core/algorithms/Parts.h"

namespace tb {
namespace {

const std::string kRefusal = "?";

class AutoCeiRefusal : public RewardShaper {
 public:
  explicit AutoCeiRefusal(const RunConfig& c)
      : threshold_(static_cast<int>(c.getInt("algo.refusal_steps"))), target_(c.getFloat("algo.refusal_target")) {}

  void shape(TrainingContext& ctx, Rollout& rollout) override {
    int refused = 0, relabelled = 0, kept = 0, keptRefusals = 0;
    for (auto& row : rollout.rows) {
      auto steps = splitSteps(row.text());
      const bool refusal = !steps.empty() && steps.back() == kRefusal;
      if (refusal) steps.pop_back(), ++refused;
      const bool longEnough = static_cast<int>(steps.size()) >= threshold_;
      if (row.verdict.correct) {
        row.reward = 1, ++kept;
      } else if (refusal) {
        row.reward = longEnough ? 1 : 0;
        if (longEnough) ++kept, ++keptRefusals;
      } else if (longEnough) {
        // Keep the reasoning, then admit not knowing; fit within the completion limit.
        while (!steps.empty()) {
          std::string text;
          for (const auto& s : steps) text += s + "\n";
          text += kRefusal;
          auto ids = ctx.tokenizer.encodeCompletion(text);
          if (static_cast<int>(ids.size()) <= ctx.maxNewTokens) {
            row.completion = text;
            row.prefix.clear();
            row.completionIds = std::move(ids);
            row.length = static_cast<int>(row.completionIds.size());
            row.reward = 1;
            row.verdict.reason += " (relabelled: I don't know)";
            ++relabelled, ++kept, ++keptRefusals;
            break;
          }
          steps.pop_back();
        }
        if (steps.empty()) row.reward = 0;
      } else {
        row.reward = 0;
      }
    }
    const int n = static_cast<int>(rollout.rows.size());
    ctx.metric("autocei/threshold", threshold_);
    ctx.metric("autocei/refusal_frac", n ? static_cast<double>(refused) / n : 0.0);
    ctx.metric("autocei/relabelled", relabelled);
    if (kept > 0) threshold_ = std::max(1, threshold_ + (static_cast<double>(keptRefusals) / kept > target_ ? 1 : -1));
  }

  nlohmann::json state() const override { return {{"threshold", threshold_}}; }
  void restore(const nlohmann::json& s) override { threshold_ = s.at("threshold").get<int>(); }

 private:
  int threshold_;
  double target_;
};

TB_REGISTER_PART(autoCeiPart, RewardShaper,
                 PartInfo{.name = "autocei_refusal", .title = "Auto-CEI refusal curriculum",
                          .help = "Wrong answers after >= c steps become 'reasoning + ?' (I don't know) targets; c "
                                  "moves to keep refusals near a target share.",
                          .params = {ParamSpec::integer("algo.refusal_steps", 3, 1, 1000,
                                                        "Initial c: steps of reasoning before a refusal is accepted"),
                                     ParamSpec::real("algo.refusal_target", 0.2, 0.0, 1.0,
                                                     "Share of refusals among the kept completions the curriculum "
                                                     "aims at")},
                          .alphabet = "?"},
                 [](const RunConfig& c) { return std::make_unique<AutoCeiRefusal>(c); });

}  // namespace
}  // namespace tb
