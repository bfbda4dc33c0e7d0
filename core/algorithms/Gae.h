#pragma once
// PPO's critic-side pieces over completion tokens [N,L] (right-padded: `mask` is 1 on a prefix).
//
// Generalized advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control
// Using Generalized Advantage Estimation"):
//   delta_t = r_t + gamma V_{t+1} - V_t            (V after a row's last token = 0)
//   A_t     = sum_l (gamma lambda)^l delta_{t+l}   = delta_t + gamma lambda A_{t+1}
//   R_t     = A_t + V_t                            (the critic's target)
// lambda = 1 gives A_t = discounted return - V_t; lambda = 0 gives the one-step TD error.
// Example (gamma 0.9, lambda 1): r = [0,0,1], V = [.5,.6,.7] -> A = [.31,.30,.30], R = [.81,.9,1].
//
// Clipped value loss (Schulman et al. 2017, PPO; the form verl uses), per token
//   l_t = 1/2 max((V_t - R_t)^2, (clip(V_t, Vold_t - c, Vold_t + c) - R_t)^2),
// averaged over masked tokens. Explained variance = 1 - Var(R - V) / Var(R) over masked tokens.
#include <torch/torch.h>

namespace tb {

struct GaeResult {
  torch::Tensor advantages;  // [N,L], 0 outside the mask
  torch::Tensor returns;     // [N,L], A + V, 0 outside the mask
};

// Inputs are detached: advantages and returns are targets and never carry gradients.
GaeResult generalizedAdvantages(const torch::Tensor& tokenRewards, const torch::Tensor& values,
                                const torch::Tensor& mask, double gamma, double lambda);

// Masked mean of the clipped value loss; differentiable in `values`.
torch::Tensor clippedValueLoss(const torch::Tensor& values, const torch::Tensor& oldValues,
                               const torch::Tensor& returns, const torch::Tensor& mask, double clip);

// 1 - Var(R - V) / Var(R) over masked tokens; 0 when Var(R) = 0 (nothing to explain).
double explainedVariance(const torch::Tensor& values, const torch::Tensor& returns,
                         const torch::Tensor& mask);

}  // namespace tb
