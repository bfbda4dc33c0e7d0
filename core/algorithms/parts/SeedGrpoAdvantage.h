#pragma once
// SEED-GRPO (Chen et al. 2025, "SEED-GRPO: Semantic Entropy Enhanced GRPO for Uncertainty-Aware
// Policy Optimization"): the group's semantic entropy SE (cluster masses from length-normalised
// sequence likelihoods exp(mean token log-prob)), normalised x = SE / log G in [0, 1], scales the
// GRPO advantages: A_i <- A_i * f(alpha * x), f = exp(-u) (default) or max(0, 1 - u).
// Example: answers {12,12,12,7}, equal likelihoods -> SE = 0.562, x = 0.405, scale e^-0.405 = 0.667.
#include <string>

namespace tb {
double seedScale(double semanticEntropy, int groupSize, double alpha, const std::string& shape);
}
