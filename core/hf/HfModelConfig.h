#pragma once
// The configuration of a Hugging Face decoder checkpoint (`config.json`) for the architectures the
// workbench loads, Llama (`LlamaForCausalLM`) and Qwen2 (`Qwen2ForCausalLM`), and the tensors such
// a checkpoint must hold. Torch-free: `thoughtbench-cli model info` uses it to check a checkpoint
// folder before anything is loaded.
//
// Expected tensors (H = hidden_size, I = intermediate_size, V = vocab_size, n = heads,
// k = key/value heads, d = H / n):
//   model.embed_tokens.weight                         [V, H]
//   model.layers.L.input_layernorm.weight             [H]
//   model.layers.L.self_attn.q_proj.weight            [n d, H]   (+ .bias [n d] for Qwen2)
//   model.layers.L.self_attn.k_proj.weight            [k d, H]   (+ .bias [k d] for Qwen2)
//   model.layers.L.self_attn.v_proj.weight            [k d, H]   (+ .bias [k d] for Qwen2)
//   model.layers.L.self_attn.o_proj.weight            [H, n d]
//   model.layers.L.post_attention_layernorm.weight    [H]
//   model.layers.L.mlp.gate_proj.weight / up_proj     [I, H]
//   model.layers.L.mlp.down_proj.weight               [H, I]
//   model.norm.weight                                 [H]
//   lm_head.weight                                    [V, H]     (absent when tie_word_embeddings)
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb {

class SafetensorsCheckpoint;

struct HfModelConfig {
  std::string architecture;     // "LlamaForCausalLM" or "Qwen2ForCausalLM"
  std::string modelType;        // "llama" or "qwen2"
  int hiddenSize = 0, intermediateSize = 0, layers = 0, heads = 0, kvHeads = 0, vocabSize = 0;
  int maxPositions = 0;
  double rmsNormEps = 1e-6, ropeTheta = 10000.0;
  nlohmann::json ropeScaling;   // null when absent
  bool tieWordEmbeddings = false;
  bool attentionBias = false;   // q/k/v biases (Qwen2: always)
  std::string torchDtype;       // as written ("bfloat16", ...), "" when absent
  int headDim() const { return heads > 0 ? hiddenSize / heads : 0; }
};

// Parses and checks config.json. InputError naming the file and the field: unsupported
// architecture (naming the supported ones), missing or non-positive sizes, heads not dividing
// hidden_size, key/value heads not dividing heads.
HfModelConfig readHfModelConfig(const std::string& configPath);
HfModelConfig parseHfModelConfig(const nlohmann::json& json, const std::string& origin);

// Every tensor the checkpoint must hold, with its shape (see above).
std::map<std::string, std::vector<int64_t>> expectedHfTensors(const HfModelConfig& config);
int64_t hfParameterCount(const HfModelConfig& config);

// Checks a checkpoint against the configuration: InputError naming the first missing tensor, or
// a tensor whose shape differs (both shapes given). Returns the names of tensors the checkpoint has
// but the model does not use (e.g. rotary inverse frequencies some exporters store).
std::vector<std::string> checkHfCheckpoint(const HfModelConfig& config, const SafetensorsCheckpoint& checkpoint,
                                           const std::string& folder);

}  // namespace tb
