#pragma once
// Hugging Face Llama / Qwen2 decoders in LibTorch (LlamaForCausalLM, Qwen2ForCausalLM), loaded
// from a safetensors checkpoint folder, with the interface of GptPolicy (left padding, KV cache).
//
// Architecture (Touvron et al. 2023, "LLaMA: Open and Efficient Foundation Language Models"; Qwen2
// is the same decoder with biases on q/k/v), per layer l with residual stream x [B,T,H]:
//     RMSNorm(x)  = w * x / sqrt(mean(x^2) + eps)          computed in float32, as HF does
//     h           = x + o_proj(Attention(RMSNorm_in(x)))
//     x'          = h + down_proj(silu(gate_proj(g)) * up_proj(g)),   g = RMSNorm_post(h)
// SwiGLU MLP (Shazeer 2020, "GLU Variants Improve Transformer"). Attention with n query heads and
// k key/value heads (grouped-query attention, Ainslie et al. 2023: query head i reads key/value
// head i / (n/k)), head size d = H / n:
//     softmax(q k^T / sqrt(d) + causal/padding mask) v       softmax in float32
// Rotary positions (Su et al. 2021, "RoFormer"), HF's "rotate_half" convention: at position p,
//     x' = x cos(p w) + rotate_half(x) sin(p w),   rotate_half([x1, x2]) = [-x2, x1],
// with frequencies w_i = theta^(-2i/d) repeated over both halves ([w, w]), theta = rope_theta.
// rope_scaling: none / "default"; "linear" (w / factor); "llama3" as HF's
// _compute_llama3_parameters (wavelength 2 pi / w_i: below original / high_freq_factor it is kept,
// above original / low_freq_factor it is divided by factor, in between interpolated with
// s = (original / wavelength - low) / (high - low): w' = (1 - s) w / factor + s w). "dynamic",
// "yarn", "longrope" and others are refused. Final RMSNorm, then logits = lm_head(x), lm_head
// sharing the embedding matrix when tie_word_embeddings.
//
// Parameter names are the HF tensor names (model.embed_tokens.weight,
// model.layers.L.self_attn.q_proj.weight, ...), so loading and saving go by name.
// Sequences are left-padded as for GptPolicy: `valid` marks real tokens, positions count real
// tokens only (positionsFromValid), padded keys are masked, every position sees itself.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/hf/HfModelConfig.h"
#include "core/model/GptPolicy.h"
#include "core/model/LoraLinear.h"

namespace tb {

// Rotary inverse frequencies [d/2] for the configuration's rope_theta and rope_scaling (see above).
// InputError naming `origin` and the field for an unsupported or malformed rope_scaling.
std::vector<double> hfRopeInverseFrequencies(const HfModelConfig& config, const std::string& origin = "config.json");

class HfRmsNormImpl : public torch::nn::Module {
 public:
  HfRmsNormImpl(int64_t size, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(HfRmsNorm);

class HfAttentionImpl : public torch::nn::Module {
 public:
  explicit HfAttentionImpl(const HfModelConfig& config);
  // x [B,T,H]; cos, sin [B,1,T,d] in x's dtype; attend [B,1,T,S] bool (true = may attend). With a
  // cache, the new keys/values are written at cache->length and S = cache->length + T.
  // `weights` receives the float32 attention weights [B,n,T,S] when given.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& attend, KvCache* cache, int layer, torch::Tensor* weights = nullptr);

 private:
  int heads_, kvHeads_, headDim_;
  LoraLinear qProj_{nullptr}, kProj_{nullptr}, vProj_{nullptr}, oProj_{nullptr};  // registered as q_proj, ...
};
TORCH_MODULE(HfAttention);

class HfMlpImpl : public torch::nn::Module {
 public:
  explicit HfMlpImpl(const HfModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // down(silu(gate(x)) * up(x))

 private:
  LoraLinear gateProj_{nullptr}, upProj_{nullptr}, downProj_{nullptr};
};
TORCH_MODULE(HfMlp);

class HfDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit HfDecoderLayerImpl(const HfModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& attend, KvCache* cache, int layer, torch::Tensor* weights = nullptr);

 private:
  HfRmsNorm inputNorm_{nullptr}, postAttentionNorm_{nullptr};
  HfAttention selfAttn_{nullptr};
  HfMlp mlp_{nullptr};
};
TORCH_MODULE(HfDecoderLayer);

// The "model." part of the checkpoint: embed_tokens, layers, norm.
class HfDecoderImpl : public torch::nn::Module {
 public:
  explicit HfDecoderImpl(const HfModelConfig& config);
  torch::nn::Embedding embedTokens{nullptr};  // registered as embed_tokens
  torch::nn::ModuleList layers{nullptr};
  HfRmsNorm norm{nullptr};
};
TORCH_MODULE(HfDecoder);

class HfCausalLMImpl : public torch::nn::Module {
 public:
  // Random weights (N(0, 0.02), norms 1, biases 0); loadHfCausalLM fills them from a checkpoint.
  // InputError for an unsupported rope_scaling.
  explicit HfCausalLMImpl(const HfModelConfig& config);
  const HfModelConfig& config() const { return config_; }

  // Whole-sequence forward: tokens [B,T] int64, valid [B,T] bool -> float32 logits [B,T,V].
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& valid);
  // Final-norm hidden states [B,T,H] (in the model's dtype) and the head: hidden -> float32 logits.
  torch::Tensor hidden(const torch::Tensor& tokens, const torch::Tensor& valid);
  torch::Tensor head(const torch::Tensor& hidden);
  // Float32 attention weights of every layer, [B,n,T,T] each (see GptPolicy::attentionMaps).
  std::vector<torch::Tensor> attentionMaps(const torch::Tensor& tokens, const torch::Tensor& valid);

  // Incremental forward: appends tokens [B,T] (valid [B,T]) to the cache, returns float32 logits
  // [B,T,V] (with lastOnly [B,1,V], the last position's: a prefill needs no more, and the whole
  // [B,T,V] of a 64 x 400-token prefill is 15.6 GB at V = 151,936). The cache grows (doubling)
  // when full.
  torch::Tensor forwardCached(const torch::Tensor& tokens, const torch::Tensor& valid, KvCache& cache,
                              bool lastOnly = false);
  // Keys and values [batch, k, capacity, d] in the model's dtype; capacity 0 means
  // min(max_position_embeddings, 1024) (it grows on demand).
  KvCache makeCache(int batch, torch::Device device, int capacity = 0) const;

  int64_t parameterCount();
  torch::Device device() const;
  torch::ScalarType dtype() const;

 private:
  torch::Tensor trunk(const torch::Tensor& tokens, const torch::Tensor& valid, std::vector<torch::Tensor>* weights);
  // cos, sin [B,1,T,d] in the model's dtype for positions [B,T].
  std::pair<torch::Tensor, torch::Tensor> rotary(const torch::Tensor& positions);
  HfModelConfig config_;
  std::vector<double> invFreq_;
  torch::Tensor invFreqDevice_;  // float32 [d/2] on the device last used
  HfDecoder model_{nullptr};       // registered as "model"
  LoraLinear lmHead_{nullptr};     // "lm_head"; null when tie_word_embeddings
};
TORCH_MODULE(HfCausalLM);

// Whether matrix products in bfloat16 on the CPU accumulate in float (LibTorch 1.13's do not:
// a 1024-term sum of 0.01 comes out as 4). Probed once.
bool cpuBfloat16MatmulIsAccurate();

// Where a model runs, from the CLI's names: device "cpu" | "cuda", dtype "float32" | "bfloat16" |
// "float16" ("" = the device's default: bfloat16 on CUDA, float32 on the CPU). InputError naming
// --device / --dtype for other values or when LibTorch sees no CUDA device.
struct HfPlacement {
  std::string device, dtype;
  torch::ScalarType scalarType = torch::kFloat;
};
HfPlacement hfPlacement(const std::string& device, const std::string& dtype);
// InputError (`what` names the model) for a dtype the device cannot run accurately: half on the
// CPU, and bfloat16 on the CPU while cpuBfloat16MatmulIsAccurate() is false.
void requireUsableDtype(torch::Device device, torch::ScalarType dtype, const std::string& what);

// Loads a Llama / Qwen2 checkpoint folder (config.json + model.safetensors or a sharded
// model.safetensors.index.json): the configuration is read and checked (readHfModelConfig), the
// tensors checked against it (checkHfCheckpoint: a missing tensor or a wrong shape is refused
// naming the tensor), F32 / F16 / BF16 / F64 tensors copied into the parameters, then the model is
// moved to `device` and `dtype` and put in eval mode. dtype: float32 anywhere; bfloat16 and
// float16 on CUDA; bfloat16 on the CPU only when cpuBfloat16MatmulIsAccurate(). Every refusal is
// an InputError naming the folder or file.
HfCausalLM loadHfCausalLM(const std::string& folder, torch::Device device = torch::kCPU,
                          torch::ScalarType dtype = torch::kFloat);

// config.json text of a configuration (the fields readHfModelConfig reads, plus hidden_act and
// torch_dtype).
nlohmann::json hfConfigJson(const HfModelConfig& config, const std::string& torchDtype = "float32");
// Writes the model as an HF checkpoint folder (created): config.json and model.safetensors with
// the HF tensor names, in `tensorDtype` "F32", "BF16" or "F16". Adapters are not written (merge
// them first, or save them with saveLoraAdapter).
void saveHfCausalLM(HfCausalLM& model, const std::string& folder, const std::string& tensorDtype = "F32");

}  // namespace tb
