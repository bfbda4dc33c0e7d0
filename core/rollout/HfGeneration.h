#pragma once
// Sampling from and scoring with a Hugging Face decoder (core/model/HfCausalLM: Llama / Qwen2),
// the step before training one as the policy: the same RolloutBatch and TokenScores that the
// GRPO-family updates consume for GptPolicy (core/rollout/Sampler.h), so an HF checkpoint can
// take GptPolicy's place.
//
// Sampling runs the shared decoding loop (decodeCompletions): the left-padded prompts are
// prefilled into the model's KV cache once, then one token per row per step; inputs go to the
// model's device and each step's logits come back to the CPU as float32 for the sampling loop
// (temperature, top-p, per-row seeds). Finished rows leave the cache (keepRows).
//
// Stop tokens: real checkpoints end a turn with one of several ids (Llama 3.1 Instruct:
// eos_token_id = [128001, 128008, 128009]; Qwen2.5 Instruct: <|im_end|> and <|endoftext|>). The
// loop knows two (options.eosId, options.stopId); any further ids (extraStopIds) are handled here:
// when a row emits one, its next logits are replaced by a point mass on eosId, so it ends one step
// later, and that forced <eos> is then removed from the batch (mask, valid, lengths): the row ends
// with the stop token it sampled, with that token's sampling log-prob, as if the loop knew it.
//
// Scoring recomputes, differentiably, log p(completion token), the full-vocabulary entropy and the
// mean log-softmax of logits / temperature (kernels/FusedTokenScores.h), with the head applied
// only to the positions that predict completion tokens (no [N, P + L, V] logits).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/HfCausalLM.h"
#include "core/rollout/Sampler.h"

namespace tb {

class HfTokenizer;
struct ChatTemplate;

// KV-cached batched sampling of completions of `prompts` (token ids below the model's vocabulary)
// on the model's device. A row stops after options.eosId, options.stopId (when >= 0) or any of
// `extraStopIds`; batch.finished is true for a row that ended with any of them (unlike
// decodeCompletions, which counts eosId only). The context is max_position_embeddings.
RolloutBatch sampleHfCompletions(HfCausalLM& model, const std::vector<std::vector<int>>& prompts,
                                 const SamplingOptions& options, torch::Generator& generator,
                                 const std::vector<int>& extraStopIds = {});

// Log-probs of the completion tokens, entropies and mean log-softmax under `model` with logits
// divided by `temperature`, each [N, L] on the model's device, 0 where completionMask is 0.
// Differentiable (w.r.t. whatever parameters require grad: all, or only LoRA adapters).
TokenScores scoreHfCompletions(HfCausalLM& model, const RolloutBatch& batch, double temperature);
// The scores as float32 on the CPU (the losses' device), still differentiable.
TokenScores scoresOnCpu(TokenScores scores);

// The stop ids of a checkpoint folder: with `chat`, the template's end-of-turn token first
// (<|im_end|> for ChatML, <|eot_id|> for Llama 3); then eos_token_id (an integer or a list) of
// generation_config.json when that file has one, else of config.json. Ids unknown to the
// tokenizer are kept (the model's vocabulary may be larger). Empty when neither names one: such
// a model generates to the limit. InputError naming the file for malformed JSON or a bad field.
std::vector<int> hfStopTokenIds(const std::string& folder, const HfTokenizer& tokenizer, const ChatTemplate* chat);

// Text in, text out: each text (rendered as one user turn when `chat` is given) is sampled
// `samples` times in one batch. Row r (text r / samples) draws from rowSeed(seed, r), so a seed
// gives the same completions whatever the batch. stopIds[0] becomes the eos, stopIds[1] the stop
// id, the rest extra stop ids; options.eosId / stopId / rowSeeds are overwritten.
struct HfGenerationRequest {
  std::vector<std::string> texts;
  const ChatTemplate* chat = nullptr;
  int samples = 1;
  std::uint64_t seed = 0;
  SamplingOptions options;
  std::vector<int> stopIds;
};

struct HfGeneratedText {
  int textIndex = 0;
  std::vector<int> tokens;  // the completion, stop token included
  std::string text;         // decoded completion, stop token and other special tokens dropped
  double meanLogprob = 0;   // of the sampled tokens (0 for an empty completion)
  bool finished = false;    // ended with a stop token (false: reached max_new_tokens)
};

struct HfGeneration {
  std::vector<HfGeneratedText> samples;  // text-major: text 0's samples first
  std::vector<int> promptTokens;         // per text
  int64_t generatedTokens = 0;
  double seconds = 0;                    // sampling only (tokenization and decoding excluded)
  double tokensPerSecond() const { return seconds > 0 ? static_cast<double>(generatedTokens) / seconds : 0.0; }
};

// InputError for samples < 1, no texts, or a prompt whose ids fall outside the model's vocabulary.
HfGeneration generateText(HfCausalLM& model, const HfTokenizer& tokenizer, const HfGenerationRequest& request);

}  // namespace tb
