// `model info --model DIR [--json]`: reads a local Hugging Face checkpoint folder (config.json and
// model.safetensors or its shards) without loading it, checks every tensor the architecture needs
// is there with the right shape (core/hf/HfModelConfig.h), and prints the configuration, the
// parameter count, the stored dtypes and any tensor the model would not use. Loading such a
// checkpoint into a policy (and `model tokenize|logits`) is not built yet.
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/hf/HfModelConfig.h"
#include "core/hf/Safetensors.h"

namespace tb::cli {

int modelCommand(const CliArguments& args) {
  const std::string what = args.positional(0, "model subcommand (info)");
  if (what == "tokenize" || what == "logits")
    failInput("model ", what, ": not built yet (loading Llama / Qwen2 weights into a policy is still to come); "
              "`model info --model DIR` checks a checkpoint");
  if (what != "info") failInput("model ", what, ": expected `model info --model DIR`");
  args.allowOnly({"model", "json"});
  const auto folder = args.value("model");
  if (!folder) failInput("model info needs --model DIR (a folder with config.json and *.safetensors)");
  const HfModelConfig config = readHfModelConfig((std::filesystem::path(*folder) / "config.json").string());
  const SafetensorsCheckpoint checkpoint(*folder);
  const std::vector<std::string> unused = checkHfCheckpoint(config, checkpoint, *folder);
  std::map<std::string, int> dtypes;
  for (const auto& name : checkpoint.names()) ++dtypes[checkpoint.info(name).dtype];
  const bool tokenizer = std::filesystem::exists(std::filesystem::path(*folder) / "tokenizer.json");

  if (args.flag("json")) {
    nlohmann::json out = {{"architecture", config.architecture},
                          {"hidden_size", config.hiddenSize},
                          {"intermediate_size", config.intermediateSize},
                          {"layers", config.layers},
                          {"heads", config.heads},
                          {"kv_heads", config.kvHeads},
                          {"head_dim", config.headDim()},
                          {"vocab_size", config.vocabSize},
                          {"max_position_embeddings", config.maxPositions},
                          {"rms_norm_eps", config.rmsNormEps},
                          {"rope_theta", config.ropeTheta},
                          {"rope_scaling", config.ropeScaling},
                          {"tie_word_embeddings", config.tieWordEmbeddings},
                          {"attention_bias", config.attentionBias},
                          {"torch_dtype", config.torchDtype},
                          {"parameters", hfParameterCount(config)},
                          {"tensors", checkpoint.names().size()},
                          {"shards", checkpoint.shardCount()},
                          {"dtypes", dtypes},
                          {"unused_tensors", unused},
                          {"tokenizer_json", tokenizer}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %s, %d layers, hidden %d (MLP %d), %d heads / %d key-value heads of %d, vocabulary %d\n",
              folder->c_str(), config.architecture.c_str(), config.layers, config.hiddenSize, config.intermediateSize,
              config.heads, config.kvHeads, config.headDim(), config.vocabSize);
  std::printf("parameters: %lld (%s embeddings), rope theta %g%s, RMSNorm eps %g\n",
              static_cast<long long>(hfParameterCount(config)), config.tieWordEmbeddings ? "tied" : "untied",
              config.ropeTheta, config.ropeScaling.is_null() ? "" : (", scaling " + config.ropeScaling.dump()).c_str(),
              config.rmsNormEps);
  std::string types;
  for (const auto& [dtype, n] : dtypes) types += (types.empty() ? "" : ", ") + std::to_string(n) + " " + dtype;
  std::printf("tensors: %zu in %zu shard%s (%s); every tensor the architecture needs is present with its shape\n",
              checkpoint.names().size(), checkpoint.shardCount(), checkpoint.shardCount() == 1 ? "" : "s", types.c_str());
  if (!unused.empty()) {
    std::printf("not used by the model (%zu):", unused.size());
    for (size_t i = 0; i < unused.size() && i < 8; ++i) std::printf(" %s", unused[i].c_str());
    std::printf("%s\n", unused.size() > 8 ? " ..." : "");
  }
  std::printf("tokenizer.json: %s\n", tokenizer ? "present" : "absent");
  return 0;
}

}  // namespace tb::cli
