#pragma once
// A training algorithm as the training loop sees it: reward shaping, a group filter, an advantage
// estimator and a token-level loss. Presets (GRPO, Dr. GRPO, DAPO, ...) are registered by name in
// AlgorithmRegistry with their parameters; the loop is shared.
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace tb {

struct PolicyLossInputs {
  torch::Tensor logp;        // [N, L] log-probs under the current policy (requires grad)
  torch::Tensor oldLogp;     // [N, L] under the policy that sampled (or the pre-update policy)
  torch::Tensor refLogp;     // [N, L] under the frozen reference; undefined if not needed
  torch::Tensor entropies;   // [N, L] full-vocabulary entropies (requires grad)
  torch::Tensor mask;        // [N, L] 1 on completion tokens
  torch::Tensor advantages;  // [N, 1] sequence-level or [N, L] token-level
  int maxLength = 0;         // L_max = rollout.max_new_tokens
};

struct LossResult {
  torch::Tensor loss;                                    // scalar to minimise
  std::vector<std::pair<std::string, double>> metrics;   // e.g. kl, clip/low_frac
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual bool needsReference() const = 0;
  // Reward after shaping (e.g. DAPO's overlong penalty); `length` in tokens.
  virtual double shapeReward(double reward, int length, int maxLength) const { return reward; }
  // Whether groups whose rewards are all equal are dropped and replaced (DAPO dynamic sampling).
  virtual bool dropsZeroVarianceGroups() const { return false; }
  virtual std::vector<double> advantages(const std::vector<double>& rewards, int groupSize) const = 0;
  virtual LossResult loss(const PolicyLossInputs& inputs) const = 0;
};

}  // namespace tb
