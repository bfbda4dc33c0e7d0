#pragma once
// The policy as the training loop sees it: sample completions, score them differentiably, name
// the parameters the optimiser updates, save and restore them, and provide the frozen reference.
// Two implementations: GptPolicyModel (the built-in policy, every parameter trains) and
// HfPolicyModel (core/rollout/HfPolicyModel.h: a Hugging Face Llama / Qwen2 checkpoint, usually
// with LoRA adapters over frozen base weights). Parts that need the built-in model's internals
// (a critic sharing its trunk, attention credit, tree search, legal-step GFlowNet losses) ask
// for gpt() and refuse other policies by name (TrainingContext::builtInPolicy).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/GptPolicy.h"
#include "core/rollout/Sampler.h"

namespace tb {

class PolicyModel {
 public:
  virtual ~PolicyModel() = default;

  // The module (train()/eval(), parameters) and a one-line description for the run's log.
  virtual torch::nn::Module& module() = 0;
  virtual std::string describe() = 0;
  // Longest sequence (prompt + completion) the model accepts.
  virtual int context() const = 0;

  // KV-cached sampling (see decodeCompletions); rows end at options.eosId (and the model's other
  // stop ids, for HF checkpoints that have several).
  virtual RolloutBatch sample(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                              torch::Generator& generator) = 0;
  // Differentiable log-probs, entropies and mean log-softmax of the completion tokens [N, L], on
  // the CPU as float32 (the losses' device).
  virtual TokenScores score(const RolloutBatch& batch, double temperature) = 0;

  // The parameters the optimiser updates (all of the built-in policy; the LoRA adapters of an HF
  // model), in a fixed order (checkpoints and the distributed gradient all-reduce rely on it).
  virtual std::vector<torch::Tensor> trainableParameters() = 0;
  // Checkpoint I/O of the trainable state. load() throws InputError naming `path` when the
  // archive was written for another model.
  virtual void save(torch::serialize::OutputArchive& archive) = 0;
  virtual void load(torch::serialize::InputArchive& archive, const std::string& path) = 0;

  // The warm-started policy becomes the reference of KL penalties and preference losses: written
  // to `path` (so a resumed run restores it with restoreReference) and returned frozen.
  virtual std::unique_ptr<PolicyModel> adoptReference(const std::string& path) = 0;
  virtual std::unique_ptr<PolicyModel> restoreReference(const std::string& path) = 0;
  // Copies this policy's trainable weights into `target` (a reference from adoptReference): SPIN's
  // opponent is the policy before each iteration. InputError where the model cannot.
  virtual void copyInto(PolicyModel& target) = 0;

  // The attention weights of every layer over one sequence `ids` (no padding): L x [1, heads, T, T],
  // float32 on the CPU, from an uncached forward without gradient in eval mode (the attention view).
  virtual std::vector<torch::Tensor> attentionMaps(const std::vector<int>& ids) = 0;
  virtual int layerCount() const = 0;

  // The built-in policy, or null.
  virtual GptPolicy* gpt() { return nullptr; }
};

// The built-in GPT policy (core/model/GptPolicy.h) with the character tokenizer's ids.
class GptPolicyModel : public PolicyModel {
 public:
  explicit GptPolicyModel(GptPolicy policy) : policy_(std::move(policy)) {}
  torch::nn::Module& module() override { return *policy_; }
  std::string describe() override;
  int context() const override { return policy_->config().context; }
  RolloutBatch sample(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                      torch::Generator& generator) override;
  TokenScores score(const RolloutBatch& batch, double temperature) override;
  std::vector<torch::Tensor> trainableParameters() override { return policy_->parameters(); }
  void save(torch::serialize::OutputArchive& archive) override;
  void load(torch::serialize::InputArchive& archive, const std::string& path) override;
  std::unique_ptr<PolicyModel> adoptReference(const std::string& path) override;
  std::unique_ptr<PolicyModel> restoreReference(const std::string& path) override;
  void copyInto(PolicyModel& target) override;
  std::vector<torch::Tensor> attentionMaps(const std::vector<int>& ids) override;
  int layerCount() const override { return policy_->config().layers; }
  GptPolicy* gpt() override { return &policy_; }

 private:
  GptPolicy policy_;
};

// Sets requires_grad false and eval mode on every parameter of a reference.
void freezeModule(torch::nn::Module& module);

// Writes `archive` to path + ".tmp" and renames it into place: a crash never leaves half a file.
void saveArchiveAtomically(torch::serialize::OutputArchive& archive, const std::string& path);
// Reads `path` into `archive`; InputError naming `what` and the path when it cannot be read.
void readArchive(torch::serialize::InputArchive& archive, const std::string& path, const std::string& what);

// Module::load from `archive`, refusing (InputError naming `path` and the parameter) an archive
// whose tensors have other shapes: torch's load would silently replace them (another vocabulary,
// width or depth).
void loadModuleKeepingShapes(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                             const std::string& path);

}  // namespace tb
