// Presets that train by supervised learning on the policy's own verified successes.
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

}  // namespace
}  // namespace tb
