// `model info|tokenize|logits|generate --model DIR`: a local Hugging Face checkpoint folder
// (config.json, model.safetensors or its shards, tokenizer.json), so a user can check that it
// loads right and see what it writes.
//   info      checks every tensor the architecture needs without loading the weights
//             (core/hf/HfModelConfig.h): configuration, parameters, dtypes, unused tensors;
//   tokenize  the token ids of --text (core/hf/HfTokenizer.h), optionally in the chat template;
//   logits    loads the model (core/model/HfCausalLM.h) and prints the last position's logits:
//             the top tokens, or with --json the full vector;
//   generate  samples completions of --text (core/rollout/HfGeneration.h) with the KV-cached
//             sampler, stopping at eos_token_id (or the chat template's end of turn), and reports
//             each completion's text, length, mean log-prob and the measured tokens/s.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/hf/ChatTemplate.h"
#include "core/hf/HfCheckpointInspection.h"
#include "core/hf/HfModelConfig.h"
#include "core/hf/HfTokenizer.h"
#include "core/hf/Safetensors.h"
#include "core/model/HfCausalLM.h"
#include "core/rollout/HfGeneration.h"

namespace tb::cli {

namespace {

std::string tokenizerPath(const std::string& folder) {
  const auto path = std::filesystem::path(folder) / "tokenizer.json";
  if (!std::filesystem::exists(path)) failInput("no tokenizer.json in '", folder, "' (needed for --text)");
  return path.string();
}

// The chat template of the folder's tokenizer (tokenizer_config.json's chat_template when present).
ChatTemplate chatTemplateOf(const HfTokenizer& tokenizer, const std::string& folder) {
  const auto configPath = std::filesystem::path(folder) / "tokenizer_config.json";
  return chatTemplateFor(tokenizer, std::filesystem::exists(configPath) ? configPath.string() : "");
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
    const ChatTemplate chat = chatTemplateOf(tokenizer, folder);
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

// --device cpu|cuda and --dtype float32|bfloat16|float16 (bfloat16 by default on CUDA).
using Placement = HfPlacement;

Placement placementOf(const CliArguments& args) {
  return hfPlacement(args.value("device").value_or("cpu"), args.value("dtype").value_or(""));
}

HfCausalLM loadModel(const std::string& folder, const Placement& place, double& loadSeconds) {
  const auto start = std::chrono::steady_clock::now();
  HfCausalLM model = loadHfCausalLM(folder, torch::Device(place.device), place.scalarType);
  loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model->eval();
  return model;
}

void printLoaded(const std::string& folder, HfCausalLM& model, const Placement& place, double loadSeconds) {
  std::printf("%s: %s, %lld parameters, loaded in %.2f s on %s as %s\n", folder.c_str(),
              model->config().architecture.c_str(), static_cast<long long>(model->parameterCount()), loadSeconds,
              place.device.c_str(), place.dtype.c_str());
}

std::string jsonText(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A real number option within [low, high] (low excluded when lowOpen).
double realValue(const CliArguments& args, const std::string& name, double fallback, double low, bool lowOpen,
                 double high) {
  const auto v = args.value(name);
  if (!v) return fallback;
  double x = 0;
  try {
    size_t used = 0;
    x = std::stod(*v, &used);
    if (used != v->size()) throw std::invalid_argument(*v);
  } catch (const std::logic_error&) {
    failInput("--", name, " ", *v, ": expected a number");
  }
  if (!std::isfinite(x) || x < low || (lowOpen && x == low) || x > high)
    failInput("--", name, " ", *v, ": expected a number in ", lowOpen ? "(" : "[", low, ", ", high, "]");
  return x;
}

int logitsCommand(const CliArguments& args, const std::string& folder) {
  args.allowOnly({"model", "text", "ids", "json", "chat", "no-special", "top", "device", "dtype"});
  const std::vector<int> ids = inputIds(args, folder);
  const Placement place = placementOf(args);
  int top = 10;
  if (auto t = args.value("top")) {
    try {
      top = std::stoi(*t);
    } catch (const std::logic_error&) {
      top = 0;
    }
    if (top < 1) failInput("--top ", *t, ": expected a positive number of tokens");
  }

  double loadSeconds = 0;
  HfCausalLM model = loadModel(folder, place, loadSeconds);
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
    nlohmann::json out = {{"ids", ids}, {"position", ids.size() - 1}, {"device", place.device}, {"dtype", place.dtype},
                          {"vocab_size", logits.size(0)}, {"top", topList}, {"logits", full}};
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  printLoaded(folder, model, place, loadSeconds);
  std::printf("last of %zu positions: logits mean %.4f, std %.4f; top %lld:\n", ids.size(), logits.mean().item<double>(),
              logits.std().item<double>(), static_cast<long long>(values.size(0)));
  for (int64_t i = 0; i < values.size(0); ++i) {
    const int id = static_cast<int>(order[i].item<int64_t>());
    std::printf("  %8d  logit %9.4f  p %.4f  %s\n", id, values[i].item<double>(), std::exp(logp[id].item<double>()),
                jsonText(tokenText(id)).c_str());
  }
  return 0;
}

int generateCommand(const CliArguments& args, const std::string& folder) {
  args.allowOnly({"model", "text", "chat", "max-new-tokens", "temperature", "top-p", "samples", "seed", "device",
                  "dtype", "json"});
  const std::vector<std::string> texts = args.values("text");
  if (texts.empty()) failInput("model generate needs --text \"...\" (repeatable)");
  HfGenerationRequest request;
  request.texts = texts;
  request.samples = args.intValue("samples", 1);
  if (request.samples < 1 || request.samples > 4096)
    failInput("--samples ", request.samples, ": expected a number of completions per text in [1, 4096]");
  request.options.maxNewTokens = args.intValue("max-new-tokens", 64);
  if (request.options.maxNewTokens < 1) failInput("--max-new-tokens ", request.options.maxNewTokens, ": expected >= 1");
  request.options.temperature = realValue(args, "temperature", 1.0, 0.0, /*lowOpen=*/true, 1e6);
  request.options.topP = realValue(args, "top-p", 1.0, 0.0, /*lowOpen=*/true, 1.0);
  if (auto seed = args.value("seed")) {
    try {
      size_t used = 0;
      if (seed->empty() || (*seed)[0] == '-') throw std::invalid_argument(*seed);
      request.seed = std::stoull(*seed, &used);
      if (used != seed->size()) throw std::invalid_argument(*seed);
    } catch (const std::logic_error&) {
      failInput("--seed ", *seed, ": expected an integer >= 0");
    }
  }
  const Placement place = placementOf(args);
  const HfTokenizer tokenizer(tokenizerPath(folder));
  std::unique_ptr<ChatTemplate> chat;
  if (args.flag("chat")) chat = std::make_unique<ChatTemplate>(chatTemplateOf(tokenizer, folder));
  request.chat = chat.get();
  request.stopIds = hfStopTokenIds(folder, tokenizer, chat.get());
  double loadSeconds = 0;
  HfCausalLM model = loadModel(folder, place, loadSeconds);
  const HfGeneration generation = generateText(model, tokenizer, request);

  nlohmann::json stops = nlohmann::json::array();
  for (int id : request.stopIds) stops.push_back({{"id", id}, {"token", tokenizer.idToToken(id)}});
  if (args.flag("json")) {
    nlohmann::json prompts = nlohmann::json::array();
    for (size_t i = 0; i < texts.size(); ++i) prompts.push_back({{"text", texts[i]}, {"tokens", generation.promptTokens[i]}});
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& s : generation.samples)
      samples.push_back({{"prompt", s.textIndex}, {"text", s.text}, {"ids", s.tokens}, {"tokens", s.tokens.size()},
                         {"mean_logprob", s.meanLogprob}, {"finished", s.finished}});
    nlohmann::json out = {{"architecture", model->config().architecture},
                          {"device", place.device},
                          {"dtype", place.dtype},
                          {"chat", request.chat != nullptr},
                          {"seed", request.seed},
                          {"temperature", request.options.temperature},
                          {"top_p", request.options.topP},
                          {"max_new_tokens", request.options.maxNewTokens},
                          {"stop_tokens", stops},
                          {"prompts", prompts},
                          {"samples", samples},
                          {"generated_tokens", generation.generatedTokens},
                          {"load_seconds", loadSeconds},
                          {"seconds", generation.seconds},
                          {"tokens_per_second", generation.tokensPerSecond()}};
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  printLoaded(folder, model, place, loadSeconds);
  std::string stopText;
  for (int id : request.stopIds) {
    if (!stopText.empty()) stopText += ", ";
    stopText += std::to_string(id);
    stopText += ' ';
    stopText += jsonText(tokenizer.idToToken(id));
  }
  std::printf("stop tokens: %s\n", stopText.empty() ? "none (eos_token_id not found): generating to the limit"
                                                     : stopText.c_str());
  for (size_t i = 0; i < generation.samples.size(); ++i) {
    const auto& s = generation.samples[i];
    std::printf("\n[sample %zu, text %d] %zu tokens, mean log-prob %.4f, %s\n%s\n", i + 1, s.textIndex + 1,
                s.tokens.size(), s.meanLogprob, s.finished ? "finished" : "truncated at --max-new-tokens",
                s.text.c_str());
  }
  std::printf("\n%lld tokens in %.3f s: %.1f tokens/s (%zu rows, batched, KV cache)\n",
              static_cast<long long>(generation.generatedTokens), generation.seconds, generation.tokensPerSecond(),
              generation.samples.size());
  return 0;
}

}  // namespace

int modelCommand(const CliArguments& args) {
  const std::string what = args.positional(0, "model subcommand (info, tokenize, logits or generate)");
  if (what != "info" && what != "tokenize" && what != "logits" && what != "generate")
    failInput("model ", what, ": expected `model info|tokenize|logits|generate --model DIR`");
  const auto dir = args.value("model");
  if (!dir) failInput("model ", what, " needs --model DIR (a folder with config.json and *.safetensors)");
  if (what == "tokenize") return tokenizeCommand(args, *dir);
  if (what == "logits") return logitsCommand(args, *dir);
  if (what == "generate") return generateCommand(args, *dir);
  args.allowOnly({"model", "json"});
  const auto& folder = dir;
  const HfCheckpointSummary summary = inspectHfCheckpoint(*folder);
  const HfModelConfig& config = summary.config;
  const auto& unused = summary.unused;
  const auto& dtypes = summary.dtypes;
  const bool tokenizer = summary.tokenizerJson;

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
                          {"parameters", summary.parameters},
                          {"tensors", summary.tensors},
                          {"shards", summary.shards},
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
              static_cast<long long>(summary.parameters), config.tieWordEmbeddings ? "tied" : "untied",
              config.ropeTheta, config.ropeScaling.is_null() ? "" : (", scaling " + config.ropeScaling.dump()).c_str(),
              config.rmsNormEps);
  std::string types;
  for (const auto& [dtype, n] : dtypes) types += (types.empty() ? "" : ", ") + std::to_string(n) + " " + dtype;
  std::printf("tensors: %zu in %zu shard%s (%s); every tensor the architecture needs is present with its shape\n",
              summary.tensors, summary.shards, summary.shards == 1 ? "" : "s", types.c_str());
  if (!unused.empty()) {
    std::printf("not used by the model (%zu):", unused.size());
    for (size_t i = 0; i < unused.size() && i < 8; ++i) std::printf(" %s", unused[i].c_str());
    std::printf("%s\n", unused.size() > 8 ? " ..." : "");
  }
  std::printf("tokenizer.json: %s\n", tokenizer ? "present" : "absent");
  return 0;
}

}  // namespace tb::cli
