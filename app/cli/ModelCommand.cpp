// `model info|tokenize|logits --model DIR`: a local Hugging Face checkpoint folder (config.json,
// model.safetensors or its shards, tokenizer.json), so a user can check that it loads right.
//   info      checks every tensor the architecture needs without loading the weights
//             (core/hf/HfModelConfig.h): configuration, parameters, dtypes, unused tensors;
//   tokenize  the token ids of --text (core/hf/HfTokenizer.h), optionally in the chat template;
//   logits    loads the model (core/model/HfCausalLM.h) and prints the last position's logits:
//             the top tokens, or with --json the full vector.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/hf/ChatTemplate.h"
#include "core/hf/HfModelConfig.h"
#include "core/hf/HfTokenizer.h"
#include "core/model/HfCausalLM.h"
#include "core/hf/Safetensors.h"

namespace tb::cli {

namespace {

std::string tokenizerPath(const std::string& folder) {
  const auto path = std::filesystem::path(folder) / "tokenizer.json";
  if (!std::filesystem::exists(path)) failInput("no tokenizer.json in '", folder, "' (needed for --text)");
  return path.string();
}

// --text through the tokenizer (in the chat template as one user turn with --chat), or --ids.
std::vector<int> inputIds(const CliArguments& args, const std::string& folder) {
  const auto text = args.value("text");
  const auto ids = args.value("ids");
  if (text.has_value() == ids.has_value()) failInput("give exactly one of --text \"...\" and --ids 1,2,3");
  if (ids) {
    std::vector<int> out;
    std::stringstream in(*ids);
    std::string item;
    while (std::getline(in, item, ',')) {
      try {
        size_t used = 0;
        const long value = std::stol(item, &used);
        if (used != item.size() || value < 0) throw std::invalid_argument(item);
        out.push_back(static_cast<int>(value));
      } catch (const std::logic_error&) {
        failInput("--ids ", *ids, ": expected token ids (integers >= 0) separated by commas, e.g. 1,2,3");
      }
    }
    if (out.empty()) failInput("--ids: expected at least one token id");
    return out;
  }
  const HfTokenizer tokenizer(tokenizerPath(folder));
  if (args.flag("chat")) {
    const auto configPath = std::filesystem::path(folder) / "tokenizer_config.json";
    const ChatTemplate chat =
        chatTemplateFor(tokenizer, std::filesystem::exists(configPath) ? configPath.string() : "");
    return tokenizer.encode(chat.apply({{"user", *text}}, /*addGenerationPrompt=*/true), /*addSpecial=*/false);
  }
  return tokenizer.encode(*text, !args.flag("no-special"));
}

int tokenizeCommand(const CliArguments& args, const std::string& folder) {
  args.allowOnly({"model", "text", "json", "chat", "no-special"});
  const auto text = args.value("text");
  if (!text) failInput("model tokenize needs --text \"...\"");
  const HfTokenizer tokenizer(tokenizerPath(folder));
  const std::vector<int> ids = inputIds(args, folder);
  if (args.flag("json")) {
    std::vector<std::string> tokens;
    for (int id : ids) tokens.push_back(tokenizer.idToToken(id));
    nlohmann::json out = {{"ids", ids}, {"tokens", tokens}, {"count", ids.size()}, {"decoded", tokenizer.decode(ids)}};
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? "," : "", ids[i]);
  std::printf("\n%zu tokens\n", ids.size());
  return 0;
}

int logitsCommand(const CliArguments& args, const std::string& folder) {
  args.allowOnly({"model", "text", "ids", "json", "chat", "no-special", "top", "device", "dtype"});
  const std::vector<int> ids = inputIds(args, folder);
  const std::string deviceName = args.value("device").value_or("cpu");
  if (deviceName != "cpu" && deviceName != "cuda") failInput("--device ", deviceName, ": expected cpu or cuda");
  if (deviceName == "cuda" && !torch::cuda::is_available())
    failInput("--device cuda: this build of LibTorch sees no CUDA device");
  const std::string dtypeName = args.value("dtype").value_or(deviceName == "cuda" ? "bfloat16" : "float32");
  const std::map<std::string, torch::ScalarType> dtypes = {
      {"float32", torch::kFloat}, {"bfloat16", torch::kBFloat16}, {"float16", torch::kHalf}};
  if (!dtypes.count(dtypeName)) failInput("--dtype ", dtypeName, ": expected float32, bfloat16 or float16");
  int top = 10;
  if (auto t = args.value("top")) {
    try {
      top = std::stoi(*t);
    } catch (const std::logic_error&) {
      top = 0;
    }
    if (top < 1) failInput("--top ", *t, ": expected a positive number of tokens");
  }

  const auto start = std::chrono::steady_clock::now();
  HfCausalLM model = loadHfCausalLM(folder, torch::Device(deviceName), dtypes.at(dtypeName));
  const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int id : ids)
    if (id >= model->config().vocabSize)
      failInput("token id ", id, " is outside the vocabulary of ", model->config().vocabSize);
  torch::NoGradGuard noGrad;
  model->eval();
  std::vector<int64_t> ids64(ids.begin(), ids.end());
  auto tokens = torch::tensor(ids64, torch::kLong).unsqueeze(0).to(model->device());
  const auto logits = model->forward(tokens, torch::ones_like(tokens, torch::kBool))[0][-1].to(torch::kCPU).to(torch::kFloat);
  const auto logp = torch::log_softmax(logits, 0);
  const auto [values, order] = logits.topk(std::min<int64_t>(top, logits.size(0)));
  std::unique_ptr<HfTokenizer> tokenizer;
  if (std::filesystem::exists(std::filesystem::path(folder) / "tokenizer.json"))
    tokenizer = std::make_unique<HfTokenizer>(tokenizerPath(folder));
  auto tokenText = [&](int id) { return tokenizer ? tokenizer->decode({id}) : std::string(); };

  if (args.flag("json")) {
    nlohmann::json topList = nlohmann::json::array();
    for (int64_t i = 0; i < values.size(0); ++i) {
      const int id = static_cast<int>(order[i].item<int64_t>());
      topList.push_back({{"id", id}, {"logit", values[i].item<double>()}, {"logprob", logp[id].item<double>()},
                         {"text", tokenText(id)}});
    }
    const auto contiguous = logits.contiguous();
    std::vector<float> full(contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel());
    nlohmann::json out = {{"ids", ids}, {"position", ids.size() - 1}, {"device", deviceName}, {"dtype", dtypeName},
                          {"vocab_size", logits.size(0)}, {"top", topList}, {"logits", full}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("%s: %s, %lld parameters, loaded in %.2f s on %s as %s\n", folder.c_str(),
              model->config().architecture.c_str(), static_cast<long long>(model->parameterCount()), loadSeconds,
              deviceName.c_str(), dtypeName.c_str());
  std::printf("last of %zu positions: logits mean %.4f, std %.4f; top %lld:\n", ids.size(), logits.mean().item<double>(),
              logits.std().item<double>(), static_cast<long long>(values.size(0)));
  for (int64_t i = 0; i < values.size(0); ++i) {
    const int id = static_cast<int>(order[i].item<int64_t>());
    std::printf("  %8d  logit %9.4f  p %.4f  %s\n", id, values[i].item<double>(), std::exp(logp[id].item<double>()),
                nlohmann::json(tokenText(id)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  return 0;
}

}  // namespace

int modelCommand(const CliArguments& args) {
  const std::string what = args.positional(0, "model subcommand (info, tokenize or logits)");
  if (what != "info" && what != "tokenize" && what != "logits")
    failInput("model ", what, ": expected `model info|tokenize|logits --model DIR`");
  const auto dir = args.value("model");
  if (!dir) failInput("model ", what, " needs --model DIR (a folder with config.json and *.safetensors)");
  if (what == "tokenize") return tokenizeCommand(args, *dir);
  if (what == "logits") return logitsCommand(args, *dir);
  args.allowOnly({"model", "json"});
  const auto& folder = dir;
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
