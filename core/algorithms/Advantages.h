#pragma once
// Outcome advantage estimators over groups of G completions of the same prompt.
//   GRPO (Shao et al. 2024, DeepSeekMath):  A_i = (r_i - mean(r)) / (std(r) + eps)
//   Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-Like Training"):  A_i = r_i - mean(r)
// std is the unbiased (Bessel) standard deviation; eps = 1e-6; a group of one gets A = 0.
// Example: r = [1,0,0,1] -> GRPO [+0.866, -0.866, -0.866, +0.866], Dr. GRPO [0.5,-0.5,-0.5,0.5].
#include <vector>

namespace tb {

std::vector<double> groupNormalizedAdvantages(const std::vector<double>& rewards, int groupSize,
                                              bool scaleByStd, double eps = 1e-6);

// Fraction of groups whose rewards are all equal (zero advantage signal).
double zeroStdGroupFraction(const std::vector<double>& rewards, int groupSize);

// DAPO overlong reward shaping (Yu et al. 2025): r += min(-(len - (L_max - buffer)) / buffer * factor, 0).
double overlongPenalty(int length, int maxLength, int buffer, double factor);

}  // namespace tb
