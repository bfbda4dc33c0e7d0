#pragma once
// GiGPO (Feng et al. 2025, "Group-in-Group Policy Optimization for LLM Agent Training"): two
// levels of relative advantage.
//   episode:  A_E = (R - mean_group) / F
//   step:     discounted return per step R_t = sum_k gamma^k r_{t+k} (the outcome arrives after the
//             last step, so R_t = gamma^(T-1-t) R); steps of the same group that start from an
//             identical state (anchor state) form a step group: A_S = (R_t - mean_anchor) / F,
//             a singleton anchor gets 0.
//   A_t = A_E + omega * A_S(t);  F = 1 ("mean_norm") or std + eps ("std_norm").
// Example (gamma 0.95, omega 1, F = 1): two trajectories from s0, one succeeds after three steps:
// A_E = +-0.5; at s0 R = 0.9025 vs 0 -> A_S = +-0.451; total +-0.951.
#include <string>
#include <vector>

namespace tb {

struct GigpoTrajectory {
  double reward = 0;                    // outcome R
  std::vector<std::string> stateKeys;   // anchor key of the state before each step
};

// Per trajectory, per step: A_E + omega * A_S.
std::vector<std::vector<double>> gigpoAdvantages(const std::vector<GigpoTrajectory>& group, double gamma,
                                                 double omega, bool stdNorm);

}  // namespace tb
