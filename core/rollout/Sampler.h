#pragma once
// Batched sampling with a KV cache: prompts are left-padded into one batch, prefilled once, then
// decoded one token per step for every row until each row emits <eos> or reaches the limit.
// Returns tokens with per-token log-probs and full-vocabulary entropies of the sampling
// distribution (logits / temperature, before top-p truncation, as TRL and verl report them).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/model/GptPolicy.h"

namespace tb {

struct SamplingOptions {
  double temperature = 1.0;
  double topP = 1.0;
  int maxNewTokens = 64;
  int padId = 0;
  int eosId = 2;
  int stopId = -1;  // >= 0: a row also ends after this token (one reasoning step: '\n')
  // Further ids that end a row like stopId (a Hugging Face tokenizer's step: every token holding a
  // newline, PolicyTokenizer::lineEndIds).
  std::vector<int> moreStopIds;
  // When given (one per prompt), row i draws its token at step t from the counter-based uniform
  // rowUniform(rowSeeds[i], t) instead of the shared generator: a row's completion then depends
  // only on its own seed, not on which other rows share the batch (or the process, when a
  // distributed run shards the prompts), so any split of the rows samples the same completions.
  std::vector<std::uint64_t> rowSeeds;
  // Finished rows leave the decode batch (their KV cache rows are dropped); false keeps every row
  // to the end (the benchmark's comparison).
  bool dropFinishedRows = true;
};

// A uniform in [0, 1) from (seed, step) by SplitMix64 (Steele et al. 2014): counter-based, no state.
double rowUniform(std::uint64_t seed, std::uint64_t step);
// The seed of row `row` of a batch whose rows share `base` (SplitMix64 of both).
std::uint64_t rowSeed(std::uint64_t base, std::uint64_t row);

// A batch of sequences [N, P + L]: left-padded prompts (P columns) followed by completions (L
// columns, padded after <eos>). Everything the update needs without resampling.
struct RolloutBatch {
  torch::Tensor tokens;          // [N, P+L] int64
  torch::Tensor valid;           // [N, P+L] bool, real tokens (prompt and completion)
  torch::Tensor completionMask;  // [N, L] float, 1 for generated tokens including <eos>
  torch::Tensor logprobs;        // [N, L] float, sampling log-probs (0 where masked)
  torch::Tensor entropies;       // [N, L] float
  int promptLength = 0;          // P
  std::vector<int> lengths;      // generated tokens per row (including <eos>)
  std::vector<bool> finished;    // row ended with <eos> (false = hit the limit)
  int64_t generatedTokens() const;
};

// One decode step's draws computed where the logits are: a token per row, its log-prob and the
// entropy of the temperature-scaled distribution (as the CPU path of decodeCompletions). For
// logits on a GPU only these 3 x n numbers leave the device, instead of the [n, V] distribution
// (V = 151,936 for Qwen2: 39 MB per step at 64 rows, and a CPU pass over it). The draw is the
// same inverse CDF (first token whose cumulative mass exceeds u * total, u = rowUniform(seeds[i],
// step), or from `generator` when `seeds` is empty) with the cumulative sums in float64 by
// LibTorch's cumsum; with top-p the kept prefix is chosen as on the CPU. Works on any device;
// decodeCompletions uses it for non-CPU logits.
struct StepDraws {
  std::vector<int64_t> tokens;
  std::vector<float> logprobs;
  std::vector<float> entropies;
};
StepDraws drawStep(const torch::Tensor& logits, double temperature, double topP, torch::Generator& generator,
                   const std::vector<std::uint64_t>& seeds, int step);

// Left-pads prompts into [N, P] tokens and valid.
std::pair<torch::Tensor, torch::Tensor> padPrompts(const std::vector<std::vector<int>>& prompts, int padId);

// The decoding loop shared by the samplers: `prefill` maps the left-padded prompts (tokens, valid
// [N, P]) to logits [N, P, V] (or [N, 1, V]: only the last position is used), `next` appends one
// token per row ([N, 1]; valid false once a row ended) and returns logits [N, 1, V]. `context`
// is the longest sequence the model(s) accept.
// `keepRows`, when given, lets the loop drop finished rows from the batch: it is called with the
// indices (int64, into the current batch) of the rows that stay, and must shrink the model's KV
// cache(s) to them; `next` then receives only those rows. Without it every row stays to the end.
using NextLogits = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;
using KeepRows = std::function<void(const torch::Tensor&)>;
RolloutBatch decodeCompletions(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                               torch::Generator& generator, int context, const NextLogits& prefill,
                               const NextLogits& next, const KeepRows& keepRows = nullptr);

RolloutBatch sampleCompletions(GptPolicy& policy, const std::vector<std::vector<int>>& prompts,
                               const SamplingOptions& options, torch::Generator& generator);

// Builds a batch from given prompts and completions (supervised targets, or replay): completions
// are token ids ending in <eos>. logprobs/entropies are left undefined.
RolloutBatch makeBatch(const std::vector<std::vector<int>>& prompts,
                       const std::vector<std::vector<int>>& completions, int padId);

// Log-probs of the completion tokens and full-vocabulary entropies under `policy`, with logits
// divided by `temperature`: both [N, L]. Differentiable.
struct TokenScores {
  torch::Tensor logprobs;
  torch::Tensor entropies;
  torch::Tensor meanLogSoftmax;  // mean over the vocabulary of the log-probs (ROVER's m(s))
};
TokenScores scoreCompletions(GptPolicy& policy, const RolloutBatch& batch, double temperature);

}  // namespace tb
