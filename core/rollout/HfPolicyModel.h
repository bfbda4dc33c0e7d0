#pragma once
// A Hugging Face Llama / Qwen2 checkpoint (core/model/HfCausalLM.h) as the policy of a training
// run (core/rollout/PolicyModel.h).
//
// With LoRA (model.lora_rank r >= 1; Hu et al. 2021) only the adapters train: the base weights
// stay frozen, so the frozen reference of KL penalties and preference losses costs no memory: it
// is the same module with the adapters switched off. A warm start (supervised fine-tuning of the
// adapters on demonstrations) is folded into the base when it becomes the reference
// (W' = W + (alpha / r) B A), and fresh adapters (B = 0, so the policy is unchanged) train from
// there; reference.pt keeps the warm-start adapters, so a resumed run folds them in again.
// With r = 0 every weight trains and the reference is a frozen copy (twice the memory).
//
// Sampling and scoring run on the model's device (model.device, model.dtype); the scores come
// back to the CPU as float32, where the losses are computed.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/HfCausalLM.h"
#include "core/model/LoraLinear.h"
#include "core/rollout/PolicyModel.h"

namespace tb {

struct HfPolicySpec {
  std::string folder;            // model.hf_path
  std::string device = "cpu";    // model.device
  std::string dtype;             // model.dtype ("" = the device's default)
  int loraRank = 8;              // model.lora_rank; 0 = train every weight
  double loraAlpha = 16.0;       // model.lora_alpha
  std::vector<std::string> loraTargets = {"q_proj", "k_proj", "v_proj", "o_proj"};  // model.lora_targets
};

class HfPolicyModel : public PolicyModel {
 public:
  // Loads the checkpoint (loadHfCausalLM) and attaches the adapters. stopIds: the ids that end a
  // completion, the sampler's eos first (HfPolicyTokenizer::stopIds). InputError naming the
  // model.* field for a bad device, dtype or LoRA setting.
  HfPolicyModel(const HfPolicySpec& spec, std::vector<int> stopIds);

  torch::nn::Module& module() override { return *model_; }
  std::string describe() override;
  int context() const override { return model_->config().maxPositions; }
  RolloutBatch sample(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                      torch::Generator& generator) override;
  TokenScores score(const RolloutBatch& batch, double temperature) override;
  std::vector<torch::Tensor> trainableParameters() override;
  void save(torch::serialize::OutputArchive& archive) override;
  void load(torch::serialize::InputArchive& archive, const std::string& path) override;
  std::unique_ptr<PolicyModel> adoptReference(const std::string& path) override;
  std::unique_ptr<PolicyModel> restoreReference(const std::string& path) override;
  void copyInto(PolicyModel& target) override;
  std::vector<torch::Tensor> attentionMaps(const std::vector<int>& ids) override;
  int layerCount() const override { return model_->config().layers; }

  HfCausalLM& model() { return model_; }
  bool usesLora() const { return lora_.rank > 0; }
  const LoraConfig& lora() const { return lora_; }

 private:
  // A view of `model` (the base alone when baseOnly) for references.
  HfPolicyModel(HfCausalLM model, LoraConfig lora, std::vector<int> stopIds, bool baseOnly);
  // The trainable parameters by name, in module order.
  std::vector<std::pair<std::string, torch::Tensor>> namedTrainable();
  void writeTrainable(const std::string& path);
  void readTrainable(const std::string& path);
  // LoRA: folds the adapters into the base and attaches fresh ones; returns the base-only view.
  std::unique_ptr<PolicyModel> foldIntoReference();

  HfCausalLM model_;
  LoraConfig lora_;  // rank 0: no adapters
  std::vector<int> stopIds_;
  bool baseOnly_ = false;
  std::string folder_;
};

}  // namespace tb
