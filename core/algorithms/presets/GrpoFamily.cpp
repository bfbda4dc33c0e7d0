// Presets of the GRPO family: the same parts with different switches.
//   GRPO (Shao et al. 2024, DeepSeekMath): A = (r - mean)/(std + eps); clipped surrogate; k3 KL in
//     the loss, beta = 0.04; seq-mean-token-mean.
//   Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"): A = r - mean (no std);
//     seq-mean-token-sum-norm with L_max; beta = 0.
//   DAPO (Yu et al. 2025): clip-higher (0.2 / 0.28); dynamic sampling; token-mean; overlong reward
//     shaping; beta = 0.
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

PresetParts grpoParts() {
  PresetParts p;
  p.rewards = {"overlong"};
  p.filters = {"dynamic_sampling"};
  return p;
}

TB_REGISTER_ALGORITHM(grpoRegistration, AlgorithmInfo{
    .name = "grpo", .title = "GRPO",
    .paper = "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models (Shao et al., 2024)",
    .changes = "The reference method: group-normalised outcome advantages (r - mean)/(std + eps), PPO's clipped "
               "surrogate without a value network, k3 KL to the reference in the loss (beta 0.04), "
               "seq-mean-token-mean aggregation.",
    .year = 2024, .parts = grpoParts()});

TB_REGISTER_ALGORITHM(drGrpoRegistration, AlgorithmInfo{
    .name = "dr_grpo", .title = "Dr. GRPO",
    .paper = "Understanding R1-Zero-Like Training: A Critical Perspective (Liu et al., 2025)",
    .changes = "Removes GRPO's two biases: no division by the group std (A = r - mean) and a constant "
               "normaliser N * L_max instead of per-sequence length (seq-mean-token-sum-norm); no KL term.",
    .defaultOverrides = {{"algo.scale_by_std", false}, {"algo.loss_agg", "seq-mean-token-sum-norm"},
                         {"algo.kl_coef", 0.0}},
    .year = 2025, .parts = grpoParts()});

TB_REGISTER_ALGORITHM(dapoRegistration, AlgorithmInfo{
    .name = "dapo", .title = "DAPO",
    .paper = "DAPO: An Open-Source LLM Reinforcement Learning System at Scale (Yu et al., 2025)",
    .changes = "Clip-higher (eps_high 0.28 keeps low-probability tokens explorable), dynamic sampling (groups "
               "with all-equal rewards are dropped and more prompts sampled), token-mean aggregation, overlong "
               "reward shaping; no KL term.",
    .defaultOverrides = {{"algo.clip_high", 0.28}, {"algo.loss_agg", "token-mean"}, {"algo.kl_coef", 0.0},
                         {"algo.dynamic_sampling", true}, {"algo.overlong_buffer", 16}},
    .year = 2025, .parts = grpoParts()});

}  // namespace
}  // namespace tb
