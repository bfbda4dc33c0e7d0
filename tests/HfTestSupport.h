#pragma once
// A tiny Hugging Face policy for end-to-end tests (test_hf_training, test_distributed): a random
// Qwen2 in the exact HF layout with the qwen2_like tokenizer.json (tests/data/hf_tokenizer), and
// the trainable tensors an HF policy's checkpoint holds (HfPolicyModel::save).
#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hf/HfModelConfig.h"
#include "core/model/HfCausalLM.h"

namespace tb {

// Vocabulary 700 (>= the tokenizer's 661 ids), 2 layers, hidden 32, 4 query / 2 key-value heads.
inline std::string writeTinyHfPolicy(const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  fs::remove_all(folder);
  const nlohmann::json config = {{"architectures", {"Qwen2ForCausalLM"}}, {"hidden_size", 32},
                                 {"intermediate_size", 48}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
                                 {"num_key_value_heads", 2}, {"vocab_size", 700}, {"max_position_embeddings", 256},
                                 {"tie_word_embeddings", true}};
  torch::manual_seed(11);
  HfCausalLM model(parseHfModelConfig(config, "test"));
  saveHfCausalLM(model, folder.string());
  const fs::path data = fs::path(THOUGHTBENCH_SOURCE_DIR) / "tests/data/hf_tokenizer/qwen2_like";
  fs::copy_file(data / "tokenizer.json", folder / "tokenizer.json");
  fs::copy_file(data / "tokenizer_config.json", folder / "tokenizer_config.json");
  return folder.string();
}

// The (name, tensor) pairs of an HF policy's checkpoint, in the order written.
inline std::vector<std::pair<std::string, torch::Tensor>> checkpointTrainableTensors(const std::string& path) {
  torch::serialize::InputArchive archive, model;
  archive.load_from(path);
  archive.read("model", model);
  c10::IValue names;
  std::vector<std::pair<std::string, torch::Tensor>> out;
  if (!model.try_read("names", names)) return out;
  const std::string& text = names.toStringRef();
  size_t begin = 0;
  for (size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1) {
    torch::Tensor t;
    model.read("p" + std::to_string(out.size()), t);
    out.emplace_back(text.substr(begin, end - begin), t);
  }
  return out;
}

}  // namespace tb
