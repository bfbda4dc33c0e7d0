#pragma once
// A tiny checkpoint folder in the exact Hugging Face layout, written without LibTorch (for the CLI
// and GUI tests): a tied Qwen2 (hidden 8, one layer, 2 heads / 1 key-value head) with deterministic
// weights 0.5 sin(0.7 k), config.json and model.safetensors.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hf/HfModelConfig.h"
#include "core/hf/Safetensors.h"

namespace tb {

inline std::string writeTinyQwen2Folder(const std::string& folder, int vocab) {
  std::filesystem::create_directories(folder);
  const nlohmann::json config = {{"architectures", {"Qwen2ForCausalLM"}}, {"hidden_size", 8},
                                 {"intermediate_size", 16}, {"num_hidden_layers", 1}, {"num_attention_heads", 2},
                                 {"num_key_value_heads", 1}, {"vocab_size", vocab}, {"tie_word_embeddings", true}};
  std::ofstream(folder + "/config.json") << config.dump();
  std::vector<SafetensorToWrite> tensors;
  int seed = 1;
  for (const auto& [tensor, shape] : expectedHfTensors(parseHfModelConfig(config, "test"))) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<float> values(static_cast<size_t>(n));
    for (auto& v : values) v = 0.5f * static_cast<float>(std::sin(0.7 * seed++));
    tensors.push_back({tensor, shape, values, "F32"});
  }
  writeSafetensors(folder + "/model.safetensors", tensors);
  return folder;
}

}  // namespace tb
