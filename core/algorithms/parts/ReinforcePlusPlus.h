#pragma once
// REINFORCE++ (Hu 2025, "REINFORCE++: A Simple and Efficient Approach for Aligning Large Language
// Models"): token rewards r_t = -beta * KL_t (k1: logp_old - logp_ref) plus the outcome reward on
// the last token, return-to-go G_t = sum_{k>=t} gamma^(k-t) r_k, then whitening over every
// completion token of the batch: A = (G - mean) / (std + eps). The "baseline" variant subtracts
// the group mean from the outcome reward first (REINFORCE++-baseline).
#include <torch/torch.h>

#include <vector>

namespace tb {

// outcome [N]; tokenKl, mask [N, L] (right-padded). Returns whitened [N, L] advantages (0 off mask).
torch::Tensor reinforcePlusPlusAdvantages(const std::vector<double>& outcome, const torch::Tensor& tokenKl,
                                          const torch::Tensor& mask, double klCoef, double gamma);

}  // namespace tb
