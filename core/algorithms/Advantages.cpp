// Group-normalised advantages and DAPO's overlong shaping.
#include "core/algorithms/Advantages.h"

#include <algorithm>
#include <cmath>

#include "core/Error.h"

namespace tb {

std::vector<double> groupNormalizedAdvantages(const std::vector<double>& rewards, int groupSize,
                                              bool scaleByStd, double eps) {
  TB_CHECK(groupSize > 0 && rewards.size() % groupSize == 0, rewards.size(), " rewards, group ", groupSize);
  std::vector<double> out(rewards.size(), 0.0);
  if (groupSize == 1) return out;
  for (size_t g = 0; g < rewards.size(); g += groupSize) {
    double mean = 0;
    for (int i = 0; i < groupSize; ++i) mean += rewards[g + i];
    mean /= groupSize;
    double var = 0;
    for (int i = 0; i < groupSize; ++i) var += (rewards[g + i] - mean) * (rewards[g + i] - mean);
    const double stdDev = std::sqrt(var / (groupSize - 1));
    for (int i = 0; i < groupSize; ++i)
      out[g + i] = scaleByStd ? (rewards[g + i] - mean) / (stdDev + eps) : rewards[g + i] - mean;
  }
  return out;
}

double zeroStdGroupFraction(const std::vector<double>& rewards, int groupSize) {
  TB_CHECK(groupSize > 0 && rewards.size() % groupSize == 0, rewards.size(), " rewards, group ", groupSize);
  if (rewards.empty()) return 0;
  int zero = 0, groups = 0;
  for (size_t g = 0; g < rewards.size(); g += groupSize, ++groups) {
    auto [lo, hi] = std::minmax_element(rewards.begin() + g, rewards.begin() + g + groupSize);
    zero += (*lo == *hi);
  }
  return static_cast<double>(zero) / groups;
}

double overlongPenalty(int length, int maxLength, int buffer, double factor) {
  if (buffer <= 0) return 0;
  const double over = length - (maxLength - buffer);
  return std::min(-over / buffer * factor, 0.0);
}

}  // namespace tb
