// Presets that change which problems are trained on, or give help on the hardest:
// Scaf-GRPO (hints), SEC (bandit over difficulty levels), CLPO-style adaptive curriculum.
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

PresetParts scafParts() {
  PresetParts p;
  p.rollout = "scaffolded";
  return p;
}

TB_REGISTER_ALGORITHM(scafRegistration, AlgorithmInfo{
    .name = "scaf_grpo", .title = "Scaf-GRPO",
    .paper = "Scaf-GRPO: Scaffolded Group Relative Policy Optimization for Enhancing LLM Reasoning "
             "(Zhang et al., 2025)",
    .changes = "After a warm-up, a prompt whose G rollouts all fail gets hints of growing strength (prefixes of a "
               "solution); the first hinted success replaces a failed rollout, so hard prompts give a learning "
               "signal instead of zero advantages. Needs a task with a solver.",
    .year = 2025, .parts = scafParts()});

PresetParts curriculumParts(const std::string& curriculum) {
  PresetParts p;
  p.curriculum = curriculum;
  return p;
}

TB_REGISTER_ALGORITHM(secRegistration, AlgorithmInfo{
    .name = "sec", .title = "SEC curriculum",
    .paper = "Self-Evolving Curriculum for LLM Reasoning (Chen et al., 2025)",
    .changes = "Chooses problems by a non-stationary bandit over difficulty levels whose reward is the mean "
               "absolute advantage (learning gain) of each level; the rest is GRPO.",
    .year = 2025, .parts = curriculumParts("sec")});

TB_REGISTER_ALGORITHM(clpoRegistration, AlgorithmInfo{
    .name = "clpo", .title = "CLPO-style adaptive curriculum",
    .paper = "CLPO: Curriculum Learning meets Policy Optimization for LLM Reasoning (Zhang et al., 2025)",
    .changes = "Estimates each problem's difficulty online from the policy's own rollouts and draws problems of "
               "medium difficulty more often (weight p(1 - p)); CLPO's problem rewriting is not built.",
    .year = 2025, .parts = curriculumParts("difficulty_adaptive")});

}  // namespace
}  // namespace tb
