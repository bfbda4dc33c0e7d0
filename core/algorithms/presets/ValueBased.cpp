// Presets with a learned critic: PPO (value model + GAE) and PF-PPO (PPO on filtered samples).
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

PresetParts ppoParts(bool filtered) {
  PresetParts p;
  p.advantage = "gae";
  if (filtered) p.filters = {"policy_filtration"};
  return p;
}

const std::vector<std::pair<std::string, nlohmann::json>> kPpoDefaults = {
    {"algo.kl_coef", 0.0}, {"algo.loss_agg", "token-mean"}, {"train.epochs", 2}, {"train.minibatches", 2}};

TB_REGISTER_ALGORITHM(ppoRegistration, AlgorithmInfo{
    .name = "ppo", .title = "PPO",
    .paper = "Proximal Policy Optimization Algorithms (Schulman et al., 2017); GAE: High-Dimensional Continuous "
             "Control Using Generalized Advantage Estimation (Schulman et al., 2016)",
    .changes = "A value model (initialised from the warm-started policy) replaces the group baseline: token-level "
               "GAE advantages, whitened over the batch, and a clipped value loss trained alongside; several "
               "epochs and minibatches per rollout with the old policy kept for the ratios.",
    .defaultOverrides = kPpoDefaults, .year = 2017, .parts = ppoParts(false)});

TB_REGISTER_ALGORITHM(pfPpoRegistration, AlgorithmInfo{
    .name = "pf_ppo", .title = "PF-PPO",
    .paper = "Policy Filtration in RLHF to Fine-Tune LLM for Code Generation (Zhang et al., 2024)",
    .changes = "PPO trained only on the samples whose reward is reliable: per group the best and the worst "
               "(or best and a random one), which sharpens the signal the critic and the policy see.",
    .defaultOverrides = kPpoDefaults, .year = 2024, .parts = ppoParts(true)});

PresetParts attentionParts() {
  PresetParts p;
  p.advantage = "attention_credit";
  return p;
}

TB_REGISTER_ALGORITHM(attentionRegistration, AlgorithmInfo{
    .name = "attention_credit", .title = "Attention-guided credit (WAAD/FAI)",
    .paper = "Attention Illuminates LLM Reasoning: The Preplan-and-Anchor Rhythm Enables Fine-Grained Policy "
             "Optimization (Li et al., 2025)",
    .changes = "Token-level credit from the policy's own attention: GRPO's advantage is multiplied by 1.5 on "
               "the 40% of tokens with the largest change in local attention distance (preplan points) or the "
               "largest future attention influence (anchors), for non-negative advantages.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}}, .year = 2025, .parts = attentionParts()});

}  // namespace
}  // namespace tb
