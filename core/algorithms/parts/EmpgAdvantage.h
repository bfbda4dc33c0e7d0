#pragma once
// EMPG (Wang et al. 2025, "Harnessing Uncertainty: Entropy-Modulated Policy Gradients for
// Long-Horizon LLM Agents"): the advantage of each step is modulated by its entropy.
//   H_t = mean token entropy of step t under pi_old; H~ = (H - min) / (max - min + 1e-8) over
//   the batch; g = exp(-k H~) / mean(exp(-k H~)); future clarity f = exp(-k_f H~_{t+1}) (0 after
//   the last step); A_mod = g(H_t) A + zeta f(H_{t+1}), then the batch mean is subtracted.
// Example (k = k_f = 1, zeta = 0.1): H = [0.2, 1.0, 2.2], A = +1 -> [1.54, 1.02, 0.54] before
// centring.
#include <vector>

namespace tb {

// steps[i] = entropies of trajectory i's steps; advantages[i] = its outcome advantage.
// Returns per-step modulated advantages (not centred; the caller centres over tokens).
std::vector<std::vector<double>> empgModulate(const std::vector<std::vector<double>>& stepEntropies,
                                              const std::vector<double>& advantages, double k, double kFuture,
                                              double zeta);

}  // namespace tb
