#pragma once
// Stratified GRPO (Zhu et al. 2025, "Stratified GRPO: Handling Structural Heterogeneity in
// Reinforcement Learning of LLM Search Agents"), Stratified Advantage Normalization (SAN):
// trajectories of a prompt are split into strata by structure (here: number of steps); inside
// stratum k, A_SAN = (R - mean_k) / (std_k + eps); blended A = alpha A_SAN + (1 - alpha) A_GN with
// the global group normalisation A_GN. Population std (as the paper's example), eps = 1e-6, a
// stratum of one gets 0. Example r = [1,0,0 | 1,1,0]: GN = [1,-1,-1,1,1,-1],
// SAN = [1.41,-0.71,-0.71,0.71,0.71,-1.41].
#include <vector>

namespace tb {
struct StratifiedResult {
  std::vector<double> san, global, blended;
};
StratifiedResult stratifiedAdvantages(const std::vector<double>& rewards, const std::vector<int>& strata,
                                      double alpha);
}  // namespace tb
