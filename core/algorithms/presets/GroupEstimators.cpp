// Presets that keep GRPO's sampling and objective and change how credit is assigned:
// RLOO, REINFORCE++, SEED-GRPO, Stratified GRPO, GiGPO, RiskPO, EMPG, EPO, ROVER and EMPO.
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

// GRPO's parts with another advantage estimator (no KL unless the paper has one).
PresetParts withAdvantage(const std::string& advantage) {
  PresetParts p;
  p.advantage = advantage;
  return p;
}

TB_REGISTER_ALGORITHM(rlooRegistration, AlgorithmInfo{
    .name = "rloo", .title = "RLOO",
    .paper = "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human Feedback in LLMs "
             "(Ahmadian et al., 2024)",
    .changes = "Leave-one-out baseline instead of the group mean and std: A_i = r_i - (sum_j r_j - r_i)/(G - 1); "
               "no KL term in the loss.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}, {"algo.loss_agg", "token-mean"}},
    .year = 2024, .parts = withAdvantage("rloo")});

TB_REGISTER_ALGORITHM(reinforcePpRegistration, AlgorithmInfo{
    .name = "reinforce_pp", .title = "REINFORCE++",
    .paper = "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language Models (Hu, 2025)",
    .changes = "Token-level returns: the KL to the reference is a per-token penalty in the reward, returns-to-go "
               "are whitened over the whole batch instead of normalised per group (algo.group_baseline = the "
               "-baseline variant); no KL term in the loss.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}, {"algo.loss_agg", "token-mean"}},
    .year = 2025, .parts = withAdvantage("reinforce_pp")});

TB_REGISTER_ALGORITHM(seedGrpoRegistration, AlgorithmInfo{
    .name = "seed_grpo", .title = "SEED-GRPO",
    .paper = "SEED-GRPO: Semantic Entropy Enhanced GRPO for Uncertainty-Aware Policy Optimization (Chen et al., 2025)",
    .changes = "Scales each group's advantages by f(alpha * SE / log G), where SE is the semantic entropy of the "
               "group's answers: prompts the policy is unsure about get smaller updates.",
    .year = 2025, .parts = withAdvantage("seed_grpo")});

TB_REGISTER_ALGORITHM(stratifiedRegistration, AlgorithmInfo{
    .name = "stratified_grpo", .title = "Stratified GRPO",
    .paper = "Stratified GRPO: Handling Structural Heterogeneity in Reinforcement Learning of LLM Search Agents "
             "(Zhu et al., 2025)",
    .changes = "Normalises rewards inside strata of structurally alike trajectories (same number of steps) and "
               "blends with the global group normalisation: A = alpha A_SAN + (1 - alpha) A_GN.",
    .year = 2025, .parts = withAdvantage("stratified")});

TB_REGISTER_ALGORITHM(gigpoRegistration, AlgorithmInfo{
    .name = "gigpo", .title = "GiGPO",
    .paper = "Group-in-Group Policy Optimization for LLM Agent Training (Feng et al., 2025)",
    .changes = "Adds step-level credit: steps of a group taken from the same state (anchor state) are compared "
               "by their discounted returns, A_t = A_episode + omega A_step; needs a step-level task.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}, {"algo.loss_agg", "token-mean"}},
    .year = 2025, .parts = withAdvantage("gigpo")});

TB_REGISTER_ALGORITHM(riskPoRegistration, AlgorithmInfo{
    .name = "riskpo", .title = "RiskPO",
    .paper = "RiskPO: Risk-based Policy Optimization via Verifiable Reward for LLM Post-Training (Ren et al., 2025)",
    .changes = "Optimises a Mixed Value-at-Risk of bundled scores instead of the mean: questions are bundled, "
               "quantiles q_alpha/q_beta of bundle scores are tracked, and the hard tail gets the weight.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}},
    .year = 2025, .parts = withAdvantage("riskpo")});

TB_REGISTER_ALGORITHM(empgRegistration, AlgorithmInfo{
    .name = "empg", .title = "EMPG",
    .paper = "Harnessing Uncertainty: Entropy-Modulated Policy Gradients for Long-Horizon LLM Agents "
             "(Wang et al., 2025)",
    .changes = "Re-weights each step's advantage by its entropy (confident steps get larger updates, uncertain "
               "ones smaller) plus a bonus for steps that lead to a confident next step.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}, {"algo.loss_agg", "token-mean"}},
    .year = 2025, .parts = withAdvantage("empg")});

PresetParts epoParts() {
  PresetParts p;
  p.regularizers = {"kl", "epo_entropy"};
  return p;
}

TB_REGISTER_ALGORITHM(epoRegistration, AlgorithmInfo{
    .name = "epo", .title = "EPO",
    .paper = "EPO: Entropy-regularized Policy Optimization for LLM Agents Reinforcement Learning (Xu et al., 2025)",
    .changes = "Adds an entropy term with entropy smoothing: entropy per step index is kept inside a band around "
               "its historical mean, with a phase-dependent weight, to avoid entropy collapse and explosion.",
    .defaultOverrides = {{"algo.kl_coef", 0.0}, {"algo.loss_agg", "token-mean"}},
    .year = 2025, .parts = epoParts()});

PresetParts roverParts() {
  PresetParts p;
  p.objective = "rover";
  p.regularizers = {};
  return p;
}

TB_REGISTER_ALGORITHM(roverRegistration, AlgorithmInfo{
    .name = "rover", .title = "ROVER",
    .paper = "Random Policy Valuation is Enough for LLM Reasoning with Verifiable Rewards (He et al., 2025)",
    .changes = "Replaces the clipped surrogate by regression of the uniform-random policy's Q-values, "
               "parameterised as rho (log pi - log pi_old), on group-normalised reward plus the next state's mean "
               "Q; no clipping, no KL.",
    .year = 2025, .parts = roverParts()});

PresetParts empoParts() {
  PresetParts p;
  p.rewards = {"semantic_share"};
  return p;
}

TB_REGISTER_ALGORITHM(empoRegistration, AlgorithmInfo{
    .name = "empo", .title = "EMPO (unsupervised)",
    .paper = "Right Question is Already Half the Answer: Fully Unsupervised LLM Reasoning Incentivization "
             "(Zhang et al., 2025)",
    .changes = "No verifier: a completion's reward is the share of its group in its semantic cluster (same final "
               "answer), so training lowers semantic entropy; accuracy is still measured by the verifier.",
    .year = 2025, .parts = empoParts()});

}  // namespace
}  // namespace tb
