#pragma once
// Semantic clusters of a group's completions (Kuhn et al. 2023, "Semantic Uncertainty"): answers
// that mean the same (Task::finalAnswer: same final number for arithmetic, same final state for
// BlocksWorld) share a cluster. Used by SEED-GRPO, EMPO and the evaluation's semantic entropy.
//   p(C) = sum_{i in C} w_i / sum_i w_i;  SE = -sum_C p(C) log p(C)
// Example: answers {12,12,12,7} with equal weights -> p = [0.75, 0.25], SE = 0.562.
#include <string>
#include <vector>

namespace tb {

// Cluster index of each answer (first appearance order).
std::vector<int> clusterAnswers(const std::vector<std::string>& answers);
// Entropy of the cluster masses with per-answer weights (e.g. likelihoods); equal weights if empty.
double semanticEntropy(const std::vector<int>& clusters, const std::vector<double>& weights = {});

}  // namespace tb
