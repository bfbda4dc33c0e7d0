#pragma once
// A linear layer y = W x + b that can carry a low-rank adapter (LoRA; Hu et al. 2021,
// "LoRA: Low-Rank Adaptation of Large Language Models"):
//     y = W x + b + (alpha / r) B A x,     A [r, in], B [out, r]
// A starts as nn.Linear's Kaiming-uniform draw (a = sqrt(5), as PEFT does), B at zero, so a fresh
// adapter leaves the output unchanged; applying adapters freezes every base parameter of the model
// (requires_grad = false) and only A and B train. Merging folds the adapter into the base weight:
// W' = W + (alpha / r) B A.
//
// Adapters are stored in the PEFT layout (https://huggingface.co/docs/peft): a folder with
// adapter_config.json ({"peft_type": "LORA", "r", "lora_alpha", "target_modules": [..], ...}) and
// adapter_model.safetensors whose keys are the module paths under "base_model.model.":
//     base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight   [r, in]
//     base_model.model.model.layers.N.self_attn.q_proj.lora_B.weight   [out, r]
// The projections of HfCausalLM are LoraLinear modules, so the module paths are the HF names.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace tb {

class LoraLinearImpl : public torch::nn::Module {
 public:
  // Weight [out, in] drawn N(0, 0.02), bias (when asked) zero; no adapter.
  LoraLinearImpl(int64_t in, int64_t out, bool bias);
  torch::Tensor forward(const torch::Tensor& x);

  int64_t inFeatures() const { return in_; }
  int64_t outFeatures() const { return out_; }
  torch::Tensor weight, bias;  // registered as "weight" and (when present) "bias"

  // Registers lora_A [rank, in] and lora_B [out, rank] (submodules "lora_A", "lora_B"), on the
  // weight's device, in its dtype or in float32 when the weight is bfloat16 / half (the adapter's
  // product is then computed in float32 and added in the weight's dtype). InternalError when an
  // adapter is already attached.
  void attachLora(int rank, double alpha);
  bool hasLora() const { return static_cast<bool>(loraA_); }
  int loraRank() const { return rank_; }
  double loraScale() const { return rank_ > 0 ? alpha_ / rank_ : 0.0; }
  torch::nn::Linear& loraA() { return loraA_; }
  torch::nn::Linear& loraB() { return loraB_; }
  // W += (alpha / r) B A, then the adapter is removed.
  void mergeLora();
  // A disabled adapter is skipped in forward (the frozen base alone: the reference policy of a
  // LoRA run shares the module with the policy).
  void setLoraEnabled(bool enabled) { loraEnabled_ = enabled; }

 private:
  int64_t in_, out_;
  int rank_ = 0;
  double alpha_ = 0.0;
  bool loraEnabled_ = true;
  torch::nn::Linear loraA_{nullptr}, loraB_{nullptr};
};
TORCH_MODULE(LoraLinear);

struct LoraConfig {
  int rank = 8;
  double alpha = 16.0;
  std::vector<std::string> targetModules = {"q_proj", "v_proj"};  // last component of the module path
};

// Attaches an adapter to every LoraLinear whose module name ends in one of the target modules and
// freezes every other parameter. InputError when rank < 1, or no module matches (naming the
// targets). Returns the number of adapted modules.
int applyLora(torch::nn::Module& model, const LoraConfig& config);
// Folds every adapter into its base weight (see mergeLora) and removes it.
void mergeLora(torch::nn::Module& model);
// Enables or disables every adapter of the model (see LoraLinearImpl::setLoraEnabled).
void setLoraEnabled(torch::nn::Module& model, bool enabled);
// The module paths that carry an adapter, sorted.
std::vector<std::string> loraModuleNames(torch::nn::Module& model);

// Writes adapter_config.json and adapter_model.safetensors (F32) of the model's adapters into
// `folder` (created). InputError when the model has no adapter or the folder cannot be written.
void saveLoraAdapter(torch::nn::Module& model, const LoraConfig& config, const std::string& folder);
// Reads a PEFT LoRA adapter folder, attaches adapters to the model (see applyLora) and copies
// their weights. InputError naming the file and field or tensor: missing files, peft_type not
// LORA, bad r / lora_alpha / target_modules, a key naming no adapted module, a wrong shape, a
// missing lora_A / lora_B. Returns the adapter's configuration.
LoraConfig loadLoraAdapter(torch::nn::Module& model, const std::string& folder);

}  // namespace tb
