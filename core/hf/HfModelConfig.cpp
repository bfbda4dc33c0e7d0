#include "core/hf/HfModelConfig.h"

#include <fstream>

#include "core/Error.h"
#include "core/hf/Safetensors.h"

namespace tb {

namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

HfModelConfig parseHfModelConfig(const nlohmann::json& json, const std::string& origin) {
  if (!json.is_object()) failInput(origin, ": expected a JSON object");
  HfModelConfig c;
  auto text = [&](const char* key) -> std::string {
    return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : "";
  };
  if (json.contains("architectures") && json["architectures"].is_array() && !json["architectures"].empty() &&
      json["architectures"][0].is_string())
    c.architecture = json["architectures"][0].get<std::string>();
  c.modelType = text("model_type");
  const bool llama = c.architecture == "LlamaForCausalLM" || (c.architecture.empty() && c.modelType == "llama");
  const bool qwen2 = c.architecture == "Qwen2ForCausalLM" || (c.architecture.empty() && c.modelType == "qwen2");
  if (!llama && !qwen2)
    failInput(origin, ": architectures = '", c.architecture.empty() ? c.modelType : c.architecture,
              "' is not supported (expected LlamaForCausalLM or Qwen2ForCausalLM)");
  if (c.architecture.empty()) c.architecture = llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM";
  auto positive = [&](const char* key, int fallback = 0) {
    if (!json.contains(key)) {
      if (fallback > 0) return fallback;
      failInput(origin, ": missing field '", key, "'");
    }
    if (!json[key].is_number_integer() || json[key].get<int64_t>() <= 0)
      failInput(origin, ": field '", key, "' must be a positive integer, got ", json[key].dump());
    return static_cast<int>(json[key].get<int64_t>());
  };
  c.hiddenSize = positive("hidden_size");
  c.intermediateSize = positive("intermediate_size");
  c.layers = positive("num_hidden_layers");
  c.heads = positive("num_attention_heads");
  c.kvHeads = positive("num_key_value_heads", c.heads);
  c.vocabSize = positive("vocab_size");
  c.maxPositions = positive("max_position_embeddings", 2048);
  if (c.hiddenSize % c.heads != 0)
    failInput(origin, ": num_attention_heads = ", c.heads, " does not divide hidden_size = ", c.hiddenSize);
  if (c.heads % c.kvHeads != 0)
    failInput(origin, ": num_key_value_heads = ", c.kvHeads, " does not divide num_attention_heads = ", c.heads);
  auto number = [&](const char* key, double fallback) {
    if (!json.contains(key) || json[key].is_null()) return fallback;
    if (!json[key].is_number() || json[key].get<double>() <= 0)
      failInput(origin, ": field '", key, "' must be a positive number, got ", json[key].dump());
    return json[key].get<double>();
  };
  c.rmsNormEps = number("rms_norm_eps", 1e-6);
  c.ropeTheta = number("rope_theta", 10000.0);
  if (json.contains("rope_scaling") && !json["rope_scaling"].is_null()) {
    if (!json["rope_scaling"].is_object()) failInput(origin, ": field 'rope_scaling' must be an object or null");
    c.ropeScaling = json["rope_scaling"];
  }
  // transformers 5 writes the rotary settings as one object, rope_parameters = {rope_type,
  // rope_theta, factor, ...}, where 4.x wrote rope_theta and rope_scaling.
  if (json.contains("rope_parameters") && !json["rope_parameters"].is_null()) {
    const auto& rope = json["rope_parameters"];
    if (!rope.is_object()) failInput(origin, ": field 'rope_parameters' must be an object or null");
    if (rope.contains("rope_theta")) {
      if (!rope["rope_theta"].is_number() || rope["rope_theta"].get<double>() <= 0)
        failInput(origin, ": field 'rope_parameters.rope_theta' must be a positive number, got ", rope["rope_theta"].dump());
      c.ropeTheta = rope["rope_theta"].get<double>();
    }
    if (rope.contains("rope_type") && !(rope["rope_type"].is_string() && rope["rope_type"] == "default"))
      c.ropeScaling = rope;
  }
  if (json.contains("tie_word_embeddings")) {
    if (!json["tie_word_embeddings"].is_boolean()) failInput(origin, ": field 'tie_word_embeddings' must be true or false");
    c.tieWordEmbeddings = json["tie_word_embeddings"].get<bool>();
  }
  c.attentionBias = qwen2 || (json.contains("attention_bias") && json["attention_bias"].is_boolean() &&
                              json["attention_bias"].get<bool>());
  c.torchDtype = text("torch_dtype");
  if (c.torchDtype.empty()) c.torchDtype = text("dtype");  // transformers 5
  return c;
}

HfModelConfig readHfModelConfig(const std::string& configPath) {
  std::ifstream in(configPath);
  if (!in) failInput("cannot open '", configPath, "'");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    failInput("'", configPath, "' is not valid JSON: ", e.what());
  }
  return parseHfModelConfig(json, "'" + configPath + "'");
}

std::map<std::string, std::vector<int64_t>> expectedHfTensors(const HfModelConfig& c) {
  const int64_t H = c.hiddenSize, I = c.intermediateSize, V = c.vocabSize, d = c.headDim();
  const int64_t q = c.heads * d, kv = c.kvHeads * d;
  std::map<std::string, std::vector<int64_t>> t;
  t["model.embed_tokens.weight"] = {V, H};
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t[p + "input_layernorm.weight"] = {H};
    t[p + "self_attn.q_proj.weight"] = {q, H};
    t[p + "self_attn.k_proj.weight"] = {kv, H};
    t[p + "self_attn.v_proj.weight"] = {kv, H};
    if (c.attentionBias) {
      t[p + "self_attn.q_proj.bias"] = {q};
      t[p + "self_attn.k_proj.bias"] = {kv};
      t[p + "self_attn.v_proj.bias"] = {kv};
    }
    t[p + "self_attn.o_proj.weight"] = {H, q};
    t[p + "post_attention_layernorm.weight"] = {H};
    t[p + "mlp.gate_proj.weight"] = {I, H};
    t[p + "mlp.up_proj.weight"] = {I, H};
    t[p + "mlp.down_proj.weight"] = {H, I};
  }
  t["model.norm.weight"] = {H};
  if (!c.tieWordEmbeddings) t["lm_head.weight"] = {V, H};
  return t;
}

int64_t hfParameterCount(const HfModelConfig& config) {
  int64_t n = 0;
  for (const auto& [_, shape] : expectedHfTensors(config)) {
    int64_t e = 1;
    for (int64_t d : shape) e *= d;
    n += e;
  }
  return n;
}

std::vector<std::string> checkHfCheckpoint(const HfModelConfig& config, const SafetensorsCheckpoint& checkpoint,
                                           const std::string& folder) {
  const auto expected = expectedHfTensors(config);
  for (const auto& [name, shape] : expected) {
    if (!checkpoint.has(name))
      failInput("checkpoint '", folder, "' lacks tensor '", name, "' (", config.architecture, " expects ",
                shapeText(shape), ")");
    const auto& actual = checkpoint.info(name).shape;
    if (actual != shape)
      failInput("checkpoint '", folder, "': tensor '", name, "' has shape ", shapeText(actual), ", config.json implies ",
                shapeText(shape));
  }
  std::vector<std::string> unused;
  for (const auto& name : checkpoint.names())
    if (!expected.count(name)) unused.push_back(name);
  return unused;
}

}  // namespace tb
