// Flow of Reasoning: GFlowNet training over the task's legal steps.
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

PresetParts forParts() {
  PresetParts p;
  p.rollout = "gfn";
  p.advantage = "none";
  p.objective = "trajectory_balance";
  p.regularizers = {};
  return p;
}

TB_REGISTER_ALGORITHM(forRegistration, AlgorithmInfo{
    .name = "flow_of_reasoning", .title = "Flow of Reasoning (GFlowNet)",
    .paper = "Flow of Reasoning: Training LLMs for Divergent Reasoning with Minimal Examples (Yu et al., 2024)",
    .changes = "Samples trajectories in proportion to reward instead of maximising it: the policy is a GFlowNet "
               "whose actions are the task's legal steps, trained with trajectory balance (or its log-partition "
               "form), with a replay buffer of the best trajectories, tempered sampling and local search. Aims "
               "at many distinct solutions; needs a step-level task.",
    .year = 2024, .parts = forParts()});

}  // namespace
}  // namespace tb
