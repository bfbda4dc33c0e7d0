#pragma once
// PPO critic: a GptPolicy trunk (its final-LayerNorm hidden states) and a linear value head,
//   V(tokens_<=t) = w^T h_t + b,   h = GptPolicy::hidden(tokens, valid).
// As in InstructGPT (Ouyang et al. 2022) and verl, the critic starts from the warm-started policy
// (initFrom) with a fresh value head, so it reads the same features the policy learned. The trunk's
// language-model head is unused and frozen.
#include <torch/torch.h>

#include "core/model/GptPolicy.h"
#include "core/rollout/Sampler.h"

namespace tb {

class ValueModelImpl : public torch::nn::Module {
 public:
  explicit ValueModelImpl(const GptConfig& config);
  const GptConfig& config() const { return trunk_->config(); }

  // tokens, valid [B,T] -> values [B,T]: the value of the state ending at each position.
  torch::Tensor values(const torch::Tensor& tokens, const torch::Tensor& valid);
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& valid) {
    return values(tokens, valid);
  }

  // Copies every trunk parameter and buffer from `policy` (same GptConfig); the value head is kept.
  void initFrom(GptPolicy& policy);

  GptPolicy& trunk() { return trunk_; }
  torch::nn::Linear& valueHead() { return valueHead_; }

 private:
  GptPolicy trunk_{nullptr};
  torch::nn::Linear valueHead_{nullptr};
};
TORCH_MODULE(ValueModel);

// Values of the completion tokens of `batch`: [N,L], entry j = V at position P-1+j, the state from
// which completion token j was generated (the indexing of scoreCompletions), times completionMask.
torch::Tensor completionValues(ValueModel& critic, const RolloutBatch& batch);

}  // namespace tb
