// Presets that train by supervised learning on the policy's own verified successes (ReST, Auto-CEI).
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

PresetParts restParts() {
  PresetParts p;
  p.filters = {"successes"};
  p.advantage = "none";
  p.objective = "sft";
  p.regularizers = {};
  return p;
}

TB_REGISTER_ALGORITHM(restRegistration, AlgorithmInfo{
    .name = "rest", .title = "Expert iteration / ReST",
    .paper = "Reinforced Self-Training (ReST) for Language Modeling (Gulcehre et al., 2023)",
    .changes = "No policy gradient: sample G completions per prompt (Grow), keep the verified successes, and "
               "fine-tune on them with the log-likelihood loss (Improve); groups without a success are skipped.",
    .year = 2023, .parts = restParts()});

PresetParts autoCeiParts() {
  PresetParts p = restParts();
  p.rewards = {"autocei_refusal"};
  return p;
}

TB_REGISTER_ALGORITHM(autoCeiRegistration, AlgorithmInfo{
    .name = "auto_cei", .title = "Auto-CEI",
    .paper = "Automatic Curriculum Expert Iteration for Reliable LLM Reasoning (Zhao et al., 2024)",
    .changes = "Expert iteration that also trains refusals: wrong answers after at least c steps of reasoning "
               "become 'reasoning, then I don't know' targets, and a curriculum moves c so refusals stay near a "
               "target share; fewer confident wrong answers instead of more right ones alone.",
    .year = 2024, .parts = autoCeiParts()});

}  // namespace
}  // namespace tb
