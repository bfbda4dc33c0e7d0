// HfGeneration: sampling from and scoring with a Hugging Face decoder.
#include "core/rollout/HfGeneration.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/hf/ChatTemplate.h"
#include "core/hf/HfTokenizer.h"
#include "kernels/FusedTokenScores.h"

namespace tb {

namespace {

bool contains(const std::vector<int>& ids, int64_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

// Rows of `token` [n,1] (valid [n,1]) that just emitted one of `ids`.
torch::Tensor emitted(const torch::Tensor& token, const torch::Tensor& valid, const std::vector<int>& ids) {
  const auto set = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), token.options());
  return torch::isin(token, set) & valid;  // one op for a step's thousands of newline tokens
}

}  // namespace

RolloutBatch sampleHfCompletions(HfCausalLM& model, const std::vector<std::vector<int>>& prompts,
                                 const SamplingOptions& options, torch::Generator& generator,
                                 const std::vector<int>& extraStopIds) {
  TB_CHECK(!prompts.empty(), "no prompts to sample from");
  const int vocab = model->config().vocabSize;
  size_t longest = 0;
  for (const auto& p : prompts) {
    if (p.empty()) failInput("an empty prompt cannot be sampled from (it needs at least one token)");
    for (int id : p)
      if (id < 0 || id >= vocab) failInput("prompt token id ", id, " is outside the vocabulary of ", vocab);
    longest = std::max(longest, p.size());
  }
  TB_CHECK(options.padId >= 0 && options.padId < vocab, "pad id ", options.padId, " vocabulary ", vocab);
  TB_CHECK(options.eosId < vocab && options.stopId < vocab, "stop ids ", options.eosId, ", ", options.stopId,
           " vocabulary ", vocab);
  // The extra ids the loop does not know (eosId and stopId it handles itself).
  std::vector<int> extra;
  for (int id : extraStopIds)
    if (id >= 0 && id != options.eosId && id != options.stopId && !contains(extra, id)) extra.push_back(id);
  TB_CHECK(extra.empty() || options.eosId >= 0, "extra stop ids need options.eosId >= 0 to end the row");

  const torch::Device device = model->device();
  const int capacity = std::min(static_cast<int>(longest) + std::max(options.maxNewTokens, 0),
                                model->config().maxPositions);
  KvCache cache = model->makeCache(static_cast<int>(prompts.size()), device, std::max(capacity, 1));
  // Logits stay on the model's device: for CUDA, decodeCompletions draws there (drawStep).
  auto prefill = [&](const torch::Tensor& tokens, const torch::Tensor& valid) {
    return model->forwardCached(tokens.to(device), valid.to(device), cache, /*lastOnly=*/true);
  };
  auto forward = [&](const torch::Tensor& tokens, const torch::Tensor& valid) {
    return model->forwardCached(tokens.to(device), valid.to(device), cache);
  };
  // A row that emitted an extra stop id gets a point mass on eosId (-1e4 * T elsewhere, i.e. -1e4
  // after the loop divides by T: exp underflows to 0, no -inf to make the entropy NaN).
  const float fill = static_cast<float>(-1e4 * options.temperature);
  auto next = [&](const torch::Tensor& token, const torch::Tensor& valid) {
    auto logits = forward(token, valid);
    if (!extra.empty()) {
      const auto forced = emitted(token, valid, extra).to(logits.device());  // [n,1]
      logits.masked_fill_(forced.unsqueeze(-1), fill);
      logits.select(2, options.eosId).masked_fill_(forced, 0.0f);
    }
    return logits;
  };
  auto keepRows = [&](const torch::Tensor& rows) { keepCacheRows(cache, rows); };
  RolloutBatch batch =
      decodeCompletions(prompts, options, generator, model->config().maxPositions, prefill, next, keepRows);

  // Remove the forced <eos> after an extra stop id; a row is finished when it ends with any stop.
  const int P = batch.promptLength;
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  auto valid = batch.valid.accessor<bool, 2>();
  auto mask = batch.completionMask.accessor<float, 2>();
  auto logprobs = batch.logprobs.accessor<float, 2>();
  auto entropies = batch.entropies.accessor<float, 2>();
  for (size_t i = 0; i < batch.lengths.size(); ++i) {
    int& len = batch.lengths[i];
    if (len >= 2 && tokens[i][P + len - 1] == options.eosId && contains(extra, tokens[i][P + len - 2])) {
      const int j = len - 1;
      tokens[i][P + j] = options.padId;
      valid[i][P + j] = false;
      mask[i][j] = 0.0f;
      logprobs[i][j] = 0.0f;
      entropies[i][j] = 0.0f;
      --len;
    }
    const int64_t last = len > 0 ? tokens[i][P + len - 1] : -1;
    batch.finished[i] = len > 0 && ((options.eosId >= 0 && last == options.eosId) ||
                                    (options.stopId >= 0 && last == options.stopId) || contains(extra, last));
  }
  return batch;
}

TokenScores scoreHfCompletions(HfCausalLM& model, const RolloutBatch& batch, double temperature) {
  TB_CHECK(temperature > 0, "temperature = ", temperature, " must be > 0");
  const int P = batch.promptLength;
  TB_CHECK(P >= 1, "a batch without prompt columns cannot be scored");
  const auto L = batch.completionMask.size(1);
  const torch::Device device = model->device();
  const auto tokens = batch.tokens.to(device);
  const auto hidden = model->hidden(tokens, batch.valid.to(device));
  // Position t predicts token t + 1: completion token j is predicted at P - 1 + j. Only those L
  // positions go through the head.
  const auto predicting = model->head(hidden.narrow(1, P - 1, L)) / temperature;
  const auto targets = tokens.narrow(1, P, L);
  const FusedScores fused = fusedTokenScores(predicting, targets);
  const auto mask = batch.completionMask.to(device, torch::kFloat);
  TokenScores scores;
  scores.logprobs = fused.logprobs * mask;
  scores.entropies = fused.entropies * mask;
  scores.meanLogSoftmax = fused.meanLogSoftmax * mask;
  return scores;
}

TokenScores scoresOnCpu(TokenScores s) {
  // .to() is differentiable: the loss on the CPU back-propagates into the model's device.
  s.logprobs = s.logprobs.to(torch::kCPU, torch::kFloat);
  s.entropies = s.entropies.to(torch::kCPU, torch::kFloat);
  s.meanLogSoftmax = s.meanLogSoftmax.to(torch::kCPU, torch::kFloat);
  return s;
}

namespace {

// eos_token_id of a JSON file: appended to `out`; false when the file or the field is absent.
bool readEosIds(const std::filesystem::path& path, std::vector<int>& out) {
  if (!std::filesystem::exists(path)) return false;
  std::ifstream in(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    failInput(path.string(), ": not valid JSON (", e.what(), ")");
  }
  if (!j.is_object() || !j.contains("eos_token_id") || j["eos_token_id"].is_null()) return false;
  const auto& field = j["eos_token_id"];
  auto add = [&](const nlohmann::json& v) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      failInput(path.string(), ": eos_token_id ", field.dump(), ": expected a token id or a list of token ids");
    if (!contains(out, v.get<int>())) out.push_back(v.get<int>());
  };
  if (field.is_array()) {
    for (const auto& v : field) add(v);
  } else {
    add(field);
  }
  return true;
}

}  // namespace

std::vector<int> hfStopTokenIds(const std::string& folder, const HfTokenizer& tokenizer, const ChatTemplate* chat) {
  std::vector<int> ids;
  if (chat) {
    const char* endOfTurn = chat->style == ChatStyle::ChatMl ? "<|im_end|>" : "<|eot_id|>";
    const int id = tokenizer.tokenToId(endOfTurn);
    if (id < 0) failInput("the tokenizer of '", folder, "' has no ", endOfTurn, " token for its chat template");
    ids.push_back(id);
  }
  const std::filesystem::path dir(folder);
  if (!readEosIds(dir / "generation_config.json", ids)) readEosIds(dir / "config.json", ids);
  return ids;
}

HfGeneration generateText(HfCausalLM& model, const HfTokenizer& tokenizer, const HfGenerationRequest& request) {
  if (request.texts.empty()) failInput("no text to generate from");
  if (request.samples < 1) failInput("samples = ", request.samples, ": expected at least 1 completion per text");
  if (request.options.maxNewTokens < 1)
    failInput("max_new_tokens = ", request.options.maxNewTokens, ": expected at least 1");
  if (!(request.options.temperature > 0)) failInput("temperature = ", request.options.temperature, ": expected > 0");
  if (!(request.options.topP > 0 && request.options.topP <= 1))
    failInput("top_p = ", request.options.topP, ": expected a value in (0, 1]");
  HfGeneration out;
  std::vector<std::vector<int>> prompts;
  for (const auto& text : request.texts) {
    const std::vector<int> ids =
        request.chat ? tokenizer.encode(request.chat->apply({{"user", text}}, /*addGenerationPrompt=*/true),
                                        /*addSpecial=*/false)
                     : tokenizer.encode(text);
    out.promptTokens.push_back(static_cast<int>(ids.size()));
    for (int s = 0; s < request.samples; ++s) prompts.push_back(ids);
  }
  const int longest = *std::max_element(out.promptTokens.begin(), out.promptTokens.end());
  if (longest + request.options.maxNewTokens > model->config().maxPositions)
    failInput("a prompt of ", longest, " tokens + max_new_tokens = ", request.options.maxNewTokens,
              " exceeds the model's max_position_embeddings = ", model->config().maxPositions);
  const int vocab = model->config().vocabSize;
  for (int id : request.stopIds)
    if (id >= vocab) failInput("stop token id ", id, " is outside the model's vocabulary of ", vocab);

  SamplingOptions options = request.options;
  options.eosId = request.stopIds.empty() ? -1 : request.stopIds[0];
  options.stopId = request.stopIds.size() > 1 ? request.stopIds[1] : -1;
  std::vector<int> extra;
  if (request.stopIds.size() > 2) extra.assign(request.stopIds.begin() + 2, request.stopIds.end());
  options.rowSeeds.clear();
  for (size_t r = 0; r < prompts.size(); ++r) options.rowSeeds.push_back(rowSeed(request.seed, r));
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(request.seed);

  const auto start = std::chrono::steady_clock::now();
  const RolloutBatch batch = sampleHfCompletions(model, prompts, options, generator, extra);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.generatedTokens = batch.generatedTokens();

  const int P = batch.promptLength;
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  auto logprobs = batch.logprobs.accessor<float, 2>();
  for (size_t r = 0; r < prompts.size(); ++r) {
    HfGeneratedText sample;
    sample.textIndex = static_cast<int>(r) / request.samples;
    double sum = 0;
    for (int j = 0; j < batch.lengths[r]; ++j) {
      sample.tokens.push_back(static_cast<int>(tokens[r][P + j]));
      sum += logprobs[r][j];
    }
    sample.meanLogprob = sample.tokens.empty() ? 0.0 : sum / static_cast<double>(sample.tokens.size());
    sample.finished = batch.finished[r];
    std::vector<int> shown = sample.tokens;
    if (sample.finished && !shown.empty()) shown.pop_back();
    sample.text = tokenizer.decode(shown, /*skipSpecial=*/true);
    out.samples.push_back(std::move(sample));
  }
  return out;
}

}  // namespace tb
