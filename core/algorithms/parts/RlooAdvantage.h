#pragma once
// RLOO (Ahmadian et al. 2024, "Back to Basics: Revisiting REINFORCE Style Optimization for
// Learning from Human Feedback in LLMs"): leave-one-out baseline b_i = (sum_j r_j - r_i)/(G - 1),
// A_i = r_i - b_i. A group of one gets 0. Example: [1,0,0,1] -> [2/3, -2/3, -2/3, 2/3].
#include <vector>

namespace tb {
std::vector<double> rlooAdvantages(const std::vector<double>& groupRewards);
}
