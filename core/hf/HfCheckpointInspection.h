#pragma once
// What a Hugging Face checkpoint folder holds, checked without loading a weight: config.json parsed
// and checked (HfModelConfig.h), every safetensors header read and every tensor the architecture
// needs found with its shape, tokenizer.json looked for. `thoughtbench-cli model info` prints it;
// the GUI checks `model.hf_path` with it as the path is typed.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/hf/HfModelConfig.h"

namespace tb {

struct HfCheckpointSummary {
  HfModelConfig config;
  std::int64_t parameters = 0;
  std::size_t tensors = 0, shards = 0;
  std::map<std::string, int> dtypes;   // tensors per safetensors dtype ("BF16": 290)
  std::vector<std::string> unused;     // tensors the model does not read
  bool tokenizerJson = false;

  // "Qwen2ForCausalLM, 24 layers, 494.0 M parameters, 290 BF16 tensors in 1 shard".
  std::string oneLine() const;
};

// InputError naming the file, field or tensor when the folder cannot serve as a policy checkpoint
// (no config.json, an unsupported architecture, a missing tensor or a wrong shape, a corrupt header).
HfCheckpointSummary inspectHfCheckpoint(const std::string& folder);

}  // namespace tb
