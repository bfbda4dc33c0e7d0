// Sampler: KV-cached batched generation and completion scoring.
#include "core/rollout/Sampler.h"

#include "kernels/FusedTokenScores.h"

#include "core/Error.h"

namespace tb {

int64_t RolloutBatch::generatedTokens() const {
  int64_t n = 0;
  for (int l : lengths) n += l;
  return n;
}

std::pair<torch::Tensor, torch::Tensor> padPrompts(const std::vector<std::vector<int>>& prompts, int padId) {
  size_t P = 0;
  for (const auto& p : prompts) P = std::max(P, p.size());
  const auto N = static_cast<int64_t>(prompts.size());
  auto tokens = torch::full({N, static_cast<int64_t>(P)}, padId, torch::kLong);
  auto valid = torch::zeros({N, static_cast<int64_t>(P)}, torch::kBool);
  auto t = tokens.accessor<int64_t, 2>();
  auto v = valid.accessor<bool, 2>();
  for (int64_t i = 0; i < N; ++i) {
    const auto& p = prompts[i];
    const size_t offset = P - p.size();
    for (size_t j = 0; j < p.size(); ++j) {
      t[i][offset + j] = p[j];
      v[i][offset + j] = true;
    }
  }
  return {tokens, valid};
}

namespace {

std::uint64_t splitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

double rowUniform(std::uint64_t seed, std::uint64_t step) {
  return static_cast<double>(splitMix64(splitMix64(seed) ^ step) >> 11) * 0x1.0p-53;
}

std::uint64_t rowSeed(std::uint64_t base, std::uint64_t row) { return splitMix64(base ^ splitMix64(row + 1)); }

namespace {

// Inverse-CDF draw of one token per row from probs [N,V] with the rows' own uniforms: the first
// token whose cumulative mass exceeds u * total (a zero-probability token is never chosen). One
// pass per row in double, without temporaries (this runs once per decode step).
torch::Tensor sampleTokensBySeeds(const torch::Tensor& probs, const std::vector<std::uint64_t>& seeds, int step) {
  const auto p = probs.to(torch::kFloat).contiguous();
  const int64_t N = p.size(0), V = p.size(1);
  auto token = torch::empty({N}, torch::kLong);
  auto out = token.accessor<int64_t, 1>();
  const float* data = p.data_ptr<float>();
  for (int64_t i = 0; i < N; ++i) {
    const float* row = data + i * V;
    double total = 0;
    for (int64_t v = 0; v < V; ++v) total += row[v];
    const double threshold = rowUniform(seeds[static_cast<size_t>(i)], static_cast<std::uint64_t>(step)) * total;
    double cumulative = 0;
    int64_t chosen = -1, lastPositive = 0;
    for (int64_t v = 0; v < V; ++v) {
      if (row[v] <= 0) continue;
      lastPositive = v;
      cumulative += row[v];
      if (cumulative > threshold) {
        chosen = v;
        break;
      }
    }
    out[i] = chosen >= 0 ? chosen : lastPositive;  // rounding at the very top of the range
  }
  return token;
}

// Samples one token per row from logits [N,V] (already divided by temperature) with top-p, from
// the shared generator or, when `seeds` is non-empty, from each row's own counter-based uniform.
torch::Tensor sampleTokens(const torch::Tensor& logits, double topP, torch::Generator& generator,
                           const std::vector<std::uint64_t>& seeds, int step) {
  auto probs = torch::softmax(logits, -1);
  if (topP < 1.0) {
    auto [sorted, order] = probs.sort(-1, /*descending=*/true);
    auto cumulative = sorted.cumsum(-1);
    // Keep the smallest prefix whose mass reaches top_p (the first token always stays).
    auto drop = (cumulative - sorted) >= topP;
    sorted = sorted.masked_fill(drop, 0.0);
    probs = torch::zeros_like(probs).scatter(-1, order, sorted);
  }
  if (!seeds.empty()) return sampleTokensBySeeds(probs, seeds, step);
  return torch::multinomial(probs, 1, /*replacement=*/false, generator).squeeze(1);
}

}  // namespace

RolloutBatch decodeCompletions(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                               torch::Generator& generator, int context, const NextLogits& prefill,
                               const NextLogits& next, const KeepRows& keepRows) {
  torch::NoGradGuard noGrad;
  TB_CHECK(!prompts.empty(), "no prompts to sample from");
  TB_CHECK(options.temperature > 0, "temperature = ", options.temperature, " must be > 0");
  const auto N = static_cast<int64_t>(prompts.size());
  TB_CHECK(options.rowSeeds.empty() || options.rowSeeds.size() == prompts.size(), options.rowSeeds.size(),
           " row seeds for ", prompts.size(), " prompts");
  const int L = options.maxNewTokens;
  auto [promptTokens, promptValid] = padPrompts(prompts, options.padId);
  const int P = static_cast<int>(promptTokens.size(1));
  if (P + L > context)
    failInput("prompt of ", P, " tokens + rollout.max_new_tokens = ", L, " exceeds model.context = ", context);

  auto logits = prefill(promptTokens, promptValid).select(1, P - 1);
  auto completion = torch::full({N, L}, options.padId, torch::kLong);
  auto mask = torch::zeros({N, L}, torch::kFloat);
  auto logprobs = torch::zeros({N, L}, torch::kFloat);
  auto entropies = torch::zeros({N, L}, torch::kFloat);
  // The rows still in the batch (indices into the N prompts) and which of them are alive. With
  // keepRows, finished rows leave the batch once enough of them pile up; a row's draws depend
  // only on its own seed (rowSeeds), so dropping rows changes no completion.
  auto rows = torch::arange(N, torch::kLong);
  auto alive = torch::ones({N}, torch::kBool);
  const double invT = 1.0 / options.temperature;
  std::vector<std::uint64_t> seeds = options.rowSeeds;

  for (int step = 0; step < L; ++step) {
    auto scaled = logits * invT;
    auto logp = torch::log_softmax(scaled, -1);
    auto token = sampleTokens(scaled, options.topP, generator, seeds, step);
    token = torch::where(alive, token, torch::full_like(token, options.padId));
    auto aliveF = alive.to(torch::kFloat);
    completion.select(1, step).index_copy_(0, rows, token);
    mask.select(1, step).index_copy_(0, rows, aliveF);
    logprobs.select(1, step).index_copy_(0, rows, logp.gather(1, token.unsqueeze(1)).squeeze(1) * aliveF);
    entropies.select(1, step).index_copy_(0, rows, -(logp.exp() * logp).sum(-1) * aliveF);
    alive = alive & (token != options.eosId);
    if (options.stopId >= 0) alive = alive & (token != options.stopId);
    const auto living = alive.sum().item<int64_t>();
    if (living == 0 || step + 1 == L) break;
    // Shrinking the caches copies them once: worth it when a quarter of the batch is done and
    // several steps remain.
    const int64_t current = rows.size(0);
    if (keepRows && current - living >= std::max<int64_t>(1, current / 4) && L - step > 4) {
      const auto keep = alive.nonzero().squeeze(1);
      keepRows(keep);
      rows = rows.index_select(0, keep);
      token = token.index_select(0, keep);
      alive = alive.index_select(0, keep);
      if (!seeds.empty()) {
        std::vector<std::uint64_t> kept;
        auto k = keep.accessor<int64_t, 1>();
        for (int64_t i = 0; i < k.size(0); ++i) kept.push_back(seeds[static_cast<size_t>(k[i])]);
        seeds = std::move(kept);
      }
    }
    logits = next(token.unsqueeze(1), alive.unsqueeze(1)).select(1, 0);
  }

  RolloutBatch batch;
  batch.tokens = torch::cat({promptTokens, completion}, 1);
  batch.valid = torch::cat({promptValid, mask.to(torch::kBool)}, 1);
  batch.completionMask = mask;
  batch.logprobs = logprobs;
  batch.entropies = entropies;
  batch.promptLength = P;
  auto lengths = mask.sum(1);
  auto c = completion.accessor<int64_t, 2>();
  for (int64_t i = 0; i < N; ++i) {
    const int len = static_cast<int>(lengths[i].item<float>());
    batch.lengths.push_back(len);
    batch.finished.push_back(len > 0 && c[i][len - 1] == options.eosId);
  }
  return batch;
}

RolloutBatch sampleCompletions(GptPolicy& policy, const std::vector<std::vector<int>>& prompts,
                               const SamplingOptions& options, torch::Generator& generator) {
  KvCache cache = policy->makeCache(static_cast<int>(prompts.size()), torch::kCPU);
  auto forward = [&](const torch::Tensor& tokens, const torch::Tensor& valid) {
    return policy->forwardCached(tokens, valid, cache);
  };
  KeepRows keep;
  if (options.dropFinishedRows) keep = [&](const torch::Tensor& rows) { keepCacheRows(cache, rows); };
  return decodeCompletions(prompts, options, generator, policy->config().context, forward, forward, keep);
}

RolloutBatch makeBatch(const std::vector<std::vector<int>>& prompts,
                       const std::vector<std::vector<int>>& completions, int padId) {
  TB_CHECK(prompts.size() == completions.size(), prompts.size(), " vs ", completions.size());
  auto [promptTokens, promptValid] = padPrompts(prompts, padId);
  size_t L = 1;
  for (const auto& c : completions) L = std::max(L, c.size());
  const auto N = static_cast<int64_t>(prompts.size());
  auto completion = torch::full({N, static_cast<int64_t>(L)}, padId, torch::kLong);
  auto mask = torch::zeros({N, static_cast<int64_t>(L)}, torch::kFloat);
  auto c = completion.accessor<int64_t, 2>();
  auto m = mask.accessor<float, 2>();
  RolloutBatch batch;
  for (int64_t i = 0; i < N; ++i) {
    for (size_t j = 0; j < completions[i].size(); ++j) {
      c[i][j] = completions[i][j];
      m[i][j] = 1.0f;
    }
    batch.lengths.push_back(static_cast<int>(completions[i].size()));
    batch.finished.push_back(true);
  }
  batch.tokens = torch::cat({promptTokens, completion}, 1);
  batch.valid = torch::cat({promptValid, mask.to(torch::kBool)}, 1);
  batch.completionMask = mask;
  batch.promptLength = static_cast<int>(promptTokens.size(1));
  return batch;
}

TokenScores scoreCompletions(GptPolicy& policy, const RolloutBatch& batch, double temperature) {
  const int P = batch.promptLength;
  const auto L = batch.completionMask.size(1);
  auto logits = policy->forward(batch.tokens, batch.valid);
  // Logits at position t predict token t+1: completion token j is predicted at P-1+j.
  auto predicting = logits.narrow(1, P - 1, L) / temperature;
  auto targets = batch.tokens.narrow(1, P, L);
  // One pass over the vocabulary for all three scores, p recomputed in backward
  // (kernels/FusedTokenScores.h): no [B, L, V] log-softmax or probability tensor is kept.
  const FusedScores fused = fusedTokenScores(predicting, targets);
  TokenScores scores;
  scores.logprobs = fused.logprobs * batch.completionMask;
  scores.entropies = fused.entropies * batch.completionMask;
  scores.meanLogSoftmax = fused.meanLogSoftmax * batch.completionMask;
  return scores;
}

}  // namespace tb
