#pragma once
// Sequence-level preference losses on summed log-probs (one value per sequence; P pairs or N
// samples). Every loss is the mean over pairs / samples; the policy's log-probs carry the gradient,
// reference / opponent / old log-probs are treated as constants (pass them detached).
//
// DPO (Rafailov et al. 2023, "Direct Preference Optimization"), chosen y_w over rejected y_l:
//   h = (logpi(y_w) - logpi_ref(y_w)) - (logpi(y_l) - logpi_ref(y_l));  l = -log sigma(beta h)
//   beta = 0.1; example h = 2 -> -log sigma(0.2) = 0.598.
// IPO (Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human
//   Preferences"): l = (h - 1 / (2 beta))^2 (summed, not length-averaged, log-probs).
// SPIN (Chen et al. 2024, "Self-Play Fine-Tuning Converts Weak Language Models to Strong ..."):
//   DPO with the real (demonstration) answer as y_w, the policy's own generation as y_l and the
//   previous iteration's policy pi_t (the opponent) as the reference:
//   l = -log sigma(beta [(logpi(y_real) - logpi(y_gen)) - (logpi_t(y_real) - logpi_t(y_gen))]);
//   example policy (-20, -15), opponent (-22, -14), beta 0.1 -> 0.554.
// P3O (Wu et al. 2023, "Pairwise Proximal Policy Optimization"), two samples y1, y2 of a prompt:
//   A = (r1 - r2) / 2;  rho = exp((logpi(y1) - logpi_old(y1)) - (logpi(y2) - logpi_old(y2)))
//   l = -min(rho A, clip(rho, 1 - eps, 1 + eps) A),  eps = 0.2
//   On policy (rho = 1) grad l = -1/2 (r1 - r2) grad[logpi(y1) - logpi(y2)]; only the reward
//   difference enters, so the loss is invariant to a shift of the rewards.
// Nash-MD (Munos et al. 2023, "Nash Learning from Human Feedback"; parametric form of TRL's
//   NashMDTrainer): y ~ pi, y' ~ the geometric mixture of pi and pi_ref (MixtureSampler.h),
//   P = sigma(R(y) - R(y')), token-level inputs [N, L] with a mask:
//   l = beta sum_t sg(logpi - logpi_ref)(y_t) logpi(y_t) - (P - 1/2) sum_t logpi(y_t),  beta = 0.1
//   (the first term is the REINFORCE form of the KL to the reference, 1/2 a control variate).
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace tb {

struct PreferenceLossResult {
  torch::Tensor loss;                                   // scalar, mean over pairs / samples
  std::vector<std::pair<std::string, double>> metrics;  // e.g. {"pref/accuracy", 0.75}
};

// Summed log-probs of the two sequences of each pair, all [P]. For DPO / IPO: chosen = preferred
// answer, reference = the frozen reference policy. For SPIN: chosen = the real answer, rejected =
// the generated one, reference = the opponent (previous iteration's policy).
struct PreferencePair {
  torch::Tensor chosenLogp, rejectedLogp;        // policy (differentiable)
  torch::Tensor chosenRefLogp, rejectedRefLogp;  // reference / opponent (constants)
};

// h = (logpi - logpi_ref)(y_w) - (logpi - logpi_ref)(y_l), [P].
torch::Tensor preferenceMargin(const PreferencePair& pair);

// Metrics of all three: pref/margin (mean beta h), pref/accuracy (fraction with h > 0),
// pref/chosen_reward and pref/rejected_reward (mean beta (logpi - logpi_ref) of each side).
PreferenceLossResult dpoLoss(const PreferencePair& pair, double beta = 0.1);
PreferenceLossResult ipoLoss(const PreferencePair& pair, double beta = 0.1);
PreferenceLossResult spinLoss(const PreferencePair& pair, double beta = 0.1);

// P3O on pairs of samples of one prompt, all [P]. Metrics: clip/frac (fraction of pairs whose
// gradient the clip cuts), p3o/ratio (mean rho), p3o/reward_gap (mean |r1 - r2|).
struct P3oPair {
  torch::Tensor logp1, logp2;        // policy (differentiable)
  torch::Tensor oldLogp1, oldLogp2;  // the policy that sampled them (constants)
  torch::Tensor reward1, reward2;
};
PreferenceLossResult p3oLoss(const P3oPair& pair, double clip = 0.2);

// Nash-MD on N samples y ~ pi: logp and refLogp [N, L] per token, mask [N, L] (1 = completion
// token), reward [N] of y and mixtureReward [N] of the paired mixture sample y'. Metrics:
// nash/probability (mean P), nash/kl (mean sum_t (logpi - logpi_ref), a sequence-level k1).
struct NashMdBatch {
  torch::Tensor logp, refLogp, mask;
  torch::Tensor reward, mixtureReward;
};
PreferenceLossResult nashMdLoss(const NashMdBatch& batch, double beta = 0.1);

}  // namespace tb
