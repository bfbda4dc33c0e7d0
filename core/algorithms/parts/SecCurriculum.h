#pragma once
// SEC (Chen et al. 2025, "Self-Evolving Curriculum for LLM Reasoning"): curriculum as a
// non-stationary multi-armed bandit. Arms = problem categories (the task's difficulty levels);
// the reward of an arm is the mean |A| of its problems in this step (the learning gain); values
// Q(c) <- alpha r + (1 - alpha) Q(c); categories drawn by softmax(Q / tau), then a problem
// uniformly inside the category. Decision: alpha = 0.5, tau = 1.
#include <vector>

namespace tb {
std::vector<double> softmaxProbabilities(const std::vector<double>& values, double temperature);
}
