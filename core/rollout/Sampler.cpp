// Sampler: KV-cached batched generation and completion scoring.
#include "core/rollout/Sampler.h"

#include "kernels/FusedTokenScores.h"

#include "core/Error.h"

#include <algorithm>

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

// probs [N,V] with every token outside the smallest most-probable prefix whose mass reaches
// top_p set to 0 (the first token always stays); the CPU and the device draws share it.
torch::Tensor topPTruncated(const torch::Tensor& probs, double topP) {
  auto [sorted, order] = probs.sort(-1, /*descending=*/true);
  const auto drop = (sorted.cumsum(-1) - sorted) >= topP;
  return torch::zeros_like(probs).scatter(-1, order, sorted.masked_fill(drop, 0.0));
}

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

// Samples one token per row from probs [N,V] (the softmax of the temperature-scaled logits) with
// top-p, from the shared generator or, when `seeds` is non-empty, from each row's own
// counter-based uniform. `probs` itself is left as it is (the entropies are of the full
// distribution).
torch::Tensor sampleTokens(const torch::Tensor& fullProbs, double topP, torch::Generator& generator,
                           const std::vector<std::uint64_t>& seeds, int step) {
  auto probs = fullProbs;
  if (topP < 1.0) probs = topPTruncated(probs, topP);
  if (!seeds.empty()) return sampleTokensBySeeds(probs, seeds, step);
  return torch::multinomial(probs, 1, /*replacement=*/false, generator).squeeze(1);
}

}  // namespace

StepDraws drawStep(const torch::Tensor& logits, double temperature, double topP, torch::Generator& generator,
                   const std::vector<std::uint64_t>& seeds, int step) {
  TB_CHECK(logits.dim() == 2, "drawStep: logits ", logits.sizes(), ", expected [n, V]");
  const int64_t n = logits.size(0), V = logits.size(1);
  TB_CHECK(seeds.empty() || static_cast<int64_t>(seeds.size()) == n, seeds.size(), " seeds for ", n, " rows");
  const auto logp = torch::log_softmax(logits.to(torch::kFloat) * (1.0 / temperature), -1);
  auto probs = logp.exp();
  // -sum p log p over the tokens with p > 0 (0 log 0 = 0; log p may be -inf there).
  const auto entropy = -(probs * logp.masked_fill(probs <= 0, 0.0)).sum(-1);
  if (topP < 1.0) probs = topPTruncated(probs, topP);
  std::vector<double> u(static_cast<size_t>(n));
  if (!seeds.empty()) {
    for (int64_t i = 0; i < n; ++i)
      u[static_cast<size_t>(i)] = rowUniform(seeds[static_cast<size_t>(i)], static_cast<std::uint64_t>(step));
  } else {
    const auto r = torch::rand({n}, generator, torch::TensorOptions().dtype(torch::kDouble));
    std::copy(r.data_ptr<double>(), r.data_ptr<double>() + n, u.begin());
  }
  const auto cumulative = probs.to(torch::kDouble).cumsum(-1);  // [n, V], flat over p = 0
  const auto threshold = torch::tensor(u, torch::kDouble).to(logits.device()).unsqueeze(1) *
                         cumulative.narrow(1, V - 1, 1);
  auto chosen = torch::searchsorted(cumulative, threshold, /*out_int32=*/false, /*right=*/true).squeeze(1);
  // u * total rounded up to the total: the last token with p > 0, as the CPU path.
  const auto lastPositive = (V - 1) - (probs > 0).flip(1).to(torch::kByte).argmax(1);
  chosen = torch::where(chosen >= V, lastPositive, chosen);
  const auto lp = logp.gather(1, chosen.unsqueeze(1)).squeeze(1);
  const auto host = torch::stack({chosen.to(torch::kDouble), lp.to(torch::kDouble), entropy.to(torch::kDouble)}, 1)
                        .to(torch::kCPU)
                        .contiguous();
  const double* h = host.data_ptr<double>();
  StepDraws out;
  for (int64_t i = 0; i < n; ++i) {
    out.tokens.push_back(static_cast<int64_t>(h[3 * i]));
    out.logprobs.push_back(static_cast<float>(h[3 * i + 1]));
    out.entropies.push_back(static_cast<float>(h[3 * i + 2]));
  }
  return out;
}

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

  const auto prefilled = prefill(promptTokens, promptValid);  // [N, P, V] or [N, 1, V]
  auto logits = prefilled.select(1, prefilled.size(1) - 1);
  auto completion = torch::full({N, L}, options.padId, torch::kLong);
  auto mask = torch::zeros({N, L}, torch::kFloat);
  auto logprobs = torch::zeros({N, L}, torch::kFloat);
  auto entropies = torch::zeros({N, L}, torch::kFloat);
  int64_t* completionOut = completion.data_ptr<int64_t>();
  float* maskOut = mask.data_ptr<float>();
  float* logprobOut = logprobs.data_ptr<float>();
  float* entropyOut = entropies.data_ptr<float>();
  // The rows still in the batch (indices into the N prompts) and which of them are alive. With
  // keepRows, finished rows leave the batch once enough of them pile up; a row's draws depend
  // only on its own seed (rowSeeds), so dropping rows changes no completion. The per-step
  // bookkeeping runs on these plain vectors: only the softmax, the log-softmax and the draw are
  // tensor operations (the same ones as always, so the draws do not change).
  std::vector<int64_t> rows(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) rows[static_cast<size_t>(i)] = i;
  std::vector<char> alive(static_cast<size_t>(N), 1);
  std::vector<int64_t> fed(static_cast<size_t>(N));  // the token each row feeds to `next`
  const double invT = 1.0 / options.temperature;
  std::vector<std::uint64_t> seeds = options.rowSeeds;

  for (int step = 0; step < L; ++step) {
    const auto n = static_cast<int64_t>(rows.size());
    int64_t living = 0;
    // Records row i's draw (a living row's) and whether it ended.
    auto record = [&](int64_t i, int64_t token, float logprob, float entropy) {
      const auto ui = static_cast<size_t>(i);
      const int64_t at = rows[ui] * L + step;
      completionOut[at] = token;
      maskOut[at] = 1.0f;
      logprobOut[at] = logprob;
      entropyOut[at] = entropy;
      fed[ui] = token;
      if (token == options.eosId || (options.stopId >= 0 && token == options.stopId) ||
          (!options.moreStopIds.empty() &&
           std::find(options.moreStopIds.begin(), options.moreStopIds.end(), token) != options.moreStopIds.end()))
        alive[ui] = 0;
      else ++living;
    };
    if (!logits.device().is_cpu()) {
      // GPU logits: the draws are made there (drawStep); 3 numbers per row come back.
      const StepDraws d = drawStep(logits, options.temperature, options.topP, generator, seeds, step);
      for (int64_t i = 0; i < n; ++i) {
        const auto ui = static_cast<size_t>(i);
        if (!alive[ui]) fed[ui] = options.padId;  // completion stays padding, mask / log-prob / entropy 0
        else record(i, d.tokens[ui], d.logprobs[ui], d.entropies[ui]);
      }
    } else {
      auto scaled = logits * invT;
      const auto logp = torch::log_softmax(scaled, -1).to(torch::kFloat).contiguous();
      const auto probs = torch::softmax(scaled, -1);
      const auto drawn = sampleTokens(probs, options.topP, generator, seeds, step).to(torch::kLong).contiguous();
      const auto p = probs.to(torch::kFloat).contiguous();
      const int64_t V = logp.size(1);
      const float* logpData = logp.data_ptr<float>();
      const float* probData = p.data_ptr<float>();
      const int64_t* drawnData = drawn.data_ptr<int64_t>();
      for (int64_t i = 0; i < n; ++i) {
        const auto ui = static_cast<size_t>(i);
        if (!alive[ui]) {
          fed[ui] = options.padId;
          continue;  // completion stays padding, mask / log-prob / entropy stay 0
        }
        const int64_t token = drawnData[i];
        const float* lp = logpData + i * V;
        const float* pr = probData + i * V;
        // Entropy of the full (temperature-scaled) distribution: -sum p log p.
        double entropy = 0;
        for (int64_t v = 0; v < V; ++v)
          if (pr[v] > 0) entropy -= static_cast<double>(pr[v]) * lp[v];
        record(i, token, lp[token], static_cast<float>(entropy));
      }
    }
    if (living == 0 || step + 1 == L) break;
    // Shrinking the caches copies them once: worth it when a quarter of the batch is done and
    // several steps remain.
    if (keepRows && n - living >= std::max<int64_t>(1, n / 4) && L - step > 4) {
      std::vector<int64_t> keep;
      keep.reserve(static_cast<size_t>(living));
      for (int64_t i = 0; i < n; ++i)
        if (alive[static_cast<size_t>(i)]) keep.push_back(i);
      keepRows(torch::tensor(keep, torch::kLong));
      size_t w = 0;
      for (int64_t i : keep) {
        const auto ui = static_cast<size_t>(i);
        rows[w] = rows[ui];
        fed[w] = fed[ui];
        alive[w] = 1;
        if (!seeds.empty()) seeds[w] = seeds[ui];
        ++w;
      }
      rows.resize(w);
      fed.resize(w);
      alive.resize(w);
      if (!seeds.empty()) seeds.resize(w);
    }
    const auto m = static_cast<int64_t>(rows.size());
    auto tokenIn = torch::empty({m, 1}, torch::kLong);
    auto validIn = torch::empty({m, 1}, torch::kBool);
    int64_t* tokenData = tokenIn.data_ptr<int64_t>();
    bool* validData = validIn.data_ptr<bool>();
    for (int64_t i = 0; i < m; ++i) {
      tokenData[i] = fed[static_cast<size_t>(i)];
      validData[i] = alive[static_cast<size_t>(i)] != 0;
    }
    logits = next(tokenIn, validIn).select(1, 0);
  }

  RolloutBatch batch;
  batch.tokens = torch::cat({promptTokens, completion}, 1);
  batch.valid = torch::cat({promptValid, mask.to(torch::kBool)}, 1);
  batch.completionMask = mask;
  batch.logprobs = logprobs;
  batch.entropies = entropies;
  batch.promptLength = P;
  for (int64_t i = 0; i < N; ++i) {
    int len = 0;
    for (int64_t j = 0; j < L; ++j) len += maskOut[i * L + j] > 0 ? 1 : 0;
    batch.lengths.push_back(len);
    batch.finished.push_back(len > 0 && completionOut[i * L + len - 1] == options.eosId);
  }
  return batch;
}

RolloutBatch sampleCompletions(GptPolicy& policy, const std::vector<std::vector<int>>& prompts,
                               const SamplingOptions& options, torch::Generator& generator) {
  KvCache cache = policy->makeCache(static_cast<int>(prompts.size()), torch::kCPU);
  auto prefill = [&](const torch::Tensor& tokens, const torch::Tensor& valid) {
    return policy->forwardCachedLast(tokens, valid, cache);  // only the last position is sampled from
  };
  auto next = [&](const torch::Tensor& tokens, const torch::Tensor& valid) {
    return policy->forwardCached(tokens, valid, cache);
  };
  KeepRows keep;
  if (options.dropFinishedRows) keep = [&](const torch::Tensor& rows) { keepCacheRows(cache, rows); };
  return decodeCompletions(prompts, options, generator, policy->config().context, prefill, next, keep);
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
