#pragma once
// Small helpers shared by part implementations.
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "core/algorithms/Advantages.h"
#include "core/algorithms/Rollout.h"

namespace tb {

// [N, 1] float tensor of per-row (sequence-level) advantages.
inline torch::Tensor sequenceAdvantages(const std::vector<double>& values) {
  return torch::tensor(std::vector<float>(values.begin(), values.end()), torch::kFloat).reshape({-1, 1});
}

// Mean and unbiased (Bessel) std of the given values (std 0 for fewer than two).
struct MeanStd {
  double mean = 0, std = 0;
};
inline MeanStd meanStd(const std::vector<double>& v) {
  MeanStd out;
  if (v.empty()) return out;
  for (double x : v) out.mean += x;
  out.mean /= v.size();
  if (v.size() < 2) return out;
  double var = 0;
  for (double x : v) var += (x - out.mean) * (x - out.mean);
  out.std = std::sqrt(var / (v.size() - 1));
  return out;
}

// The rewards of the rows of each group.
inline std::vector<std::vector<double>> groupRewards(const Rollout& rollout) {
  std::vector<std::vector<double>> out(rollout.problems.size());
  for (const auto& r : rollout.rows) out[r.group].push_back(r.reward);
  return out;
}

// GRPO's group-normalised advantage of every row, groups taken from the rollout (they may differ
// in size after filters).
inline std::vector<double> groupNormalizedRowAdvantages(const Rollout& rollout, bool scaleByStd) {
  std::vector<double> out(rollout.rows.size(), 0.0);
  for (const auto& rows : rollout.groupRows()) {
    std::vector<double> r;
    for (int i : rows) r.push_back(rollout.rows[i].reward);
    const auto a = groupNormalizedAdvantages(r, static_cast<int>(r.size()), scaleByStd);
    for (size_t k = 0; k < rows.size(); ++k) out[rows[k]] = a[k];
  }
  return out;
}

}  // namespace tb
