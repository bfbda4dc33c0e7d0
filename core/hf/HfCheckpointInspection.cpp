#include "core/hf/HfCheckpointInspection.h"

#include <cstdio>
#include <filesystem>

#include "core/hf/Safetensors.h"

namespace tb {

std::string HfCheckpointSummary::oneLine() const {
  char size[32];
  if (parameters >= 1000000000) std::snprintf(size, sizeof(size), "%.2f B", static_cast<double>(parameters) / 1e9);
  else if (parameters >= 1000000) std::snprintf(size, sizeof(size), "%.1f M", static_cast<double>(parameters) / 1e6);
  else std::snprintf(size, sizeof(size), "%lld", static_cast<long long>(parameters));
  std::string types;
  for (const auto& [dtype, n] : dtypes) types += (types.empty() ? "" : " + ") + std::to_string(n) + " " + dtype;
  return config.architecture + ", " + std::to_string(config.layers) + (config.layers == 1 ? " layer, " : " layers, ") +
         size + " parameters, " + types +
         " tensors in " + std::to_string(shards) + (shards == 1 ? " shard" : " shards");
}

HfCheckpointSummary inspectHfCheckpoint(const std::string& folder) {
  namespace fs = std::filesystem;
  HfCheckpointSummary out;
  out.config = readHfModelConfig((fs::path(folder) / "config.json").string());
  const SafetensorsCheckpoint checkpoint(folder);
  out.unused = checkHfCheckpoint(out.config, checkpoint, folder);
  out.parameters = hfParameterCount(out.config);
  out.tensors = checkpoint.names().size();
  out.shards = checkpoint.shardCount();
  for (const auto& name : checkpoint.names()) ++out.dtypes[checkpoint.info(name).dtype];
  out.tokenizerJson = fs::exists(fs::path(folder) / "tokenizer.json");
  return out;
}

}  // namespace tb
