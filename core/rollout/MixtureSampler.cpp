// MixtureSampler: KV-cached batched generation from the geometric mixture of two policies.
#include "core/rollout/MixtureSampler.h"

#include "core/Error.h"

namespace tb {

namespace {

// One token per row from temperature-scaled logits [N, V], keeping the smallest top-p nucleus.
// Draws exactly as sampleCompletions does, so equal logits give equal tokens for one generator.
torch::Tensor drawTokens(const torch::Tensor& scaled, double topP, torch::Generator& generator) {
  auto probs = torch::softmax(scaled, -1);
  if (topP < 1.0) {
    auto [sorted, order] = probs.sort(-1, /*descending=*/true);
    // A token stays while the mass before it is below top_p; the most likely one always stays.
    auto outside = (sorted.cumsum(-1) - sorted) >= topP;
    probs = torch::zeros_like(probs).scatter(-1, order, sorted.masked_fill(outside, 0.0));
  }
  return torch::multinomial(probs, 1, /*replacement=*/false, generator).squeeze(1);
}

void checkModel(GptPolicy& model, const char* role, int needed) {
  if (needed > model->config().context)
    failInput("prompt + rollout.max_new_tokens = ", needed, " tokens exceeds the ", role,
              "'s model.context = ", model->config().context);
}

}  // namespace

RolloutBatch sampleMixtureCompletions(GptPolicy& policy, GptPolicy& reference, double mixture,
                                      const std::vector<std::vector<int>>& prompts,
                                      const SamplingOptions& options, torch::Generator& generator) {
  torch::NoGradGuard noGrad;
  TB_CHECK(!prompts.empty(), "no prompts to sample from");
  TB_CHECK(mixture >= 0.0 && mixture <= 1.0, "mixture = ", mixture, " must be in [0, 1]");
  TB_CHECK(options.temperature > 0, "temperature = ", options.temperature, " must be > 0");
  TB_CHECK(policy->config().vocabSize == reference->config().vocabSize, "policy vocabulary ",
           policy->config().vocabSize, " vs reference ", reference->config().vocabSize);
  const auto N = static_cast<int64_t>(prompts.size());
  const int L = options.maxNewTokens;
  auto [promptTokens, promptValid] = padPrompts(prompts, options.padId);
  const int P = static_cast<int>(promptTokens.size(1));
  checkModel(policy, "policy", P + L);
  checkModel(reference, "reference", P + L);

  KvCache policyCache = policy->makeCache(static_cast<int>(N), torch::kCPU);
  KvCache referenceCache = reference->makeCache(static_cast<int>(N), torch::kCPU);
  auto policyLogits = policy->forwardCached(promptTokens, promptValid, policyCache).select(1, P - 1);
  auto referenceLogits = reference->forwardCached(promptTokens, promptValid, referenceCache).select(1, P - 1);

  auto completion = torch::full({N, L}, options.padId, torch::kLong);
  auto mask = torch::zeros({N, L}, torch::kFloat);
  auto logprobs = torch::zeros({N, L}, torch::kFloat);
  auto entropies = torch::zeros({N, L}, torch::kFloat);
  auto alive = torch::ones({N}, torch::kBool);
  const double invT = 1.0 / options.temperature;

  for (int step = 0; step < L; ++step) {
    // Mixing raw logits equals mixing log-probs up to a per-row constant that the softmax removes.
    // With m = 0 or 1 the sum is exactly one model's logits, so the draw matches sampleCompletions.
    auto mixed = mixture * referenceLogits + (1.0 - mixture) * policyLogits;
    auto scaled = mixed * invT;
    auto logp = torch::log_softmax(scaled, -1);
    auto token = drawTokens(scaled, options.topP, generator);
    token = torch::where(alive, token, torch::full_like(token, options.padId));
    auto aliveF = alive.to(torch::kFloat);
    completion.select(1, step).copy_(token);
    mask.select(1, step).copy_(aliveF);
    logprobs.select(1, step).copy_(logp.gather(1, token.unsqueeze(1)).squeeze(1) * aliveF);
    entropies.select(1, step).copy_(-(logp.exp() * logp).sum(-1) * aliveF);
    alive = alive & (token != options.eosId);
    if (!alive.any().item<bool>() || step + 1 == L) break;
    auto next = token.unsqueeze(1);
    auto nextValid = alive.unsqueeze(1);
    policyLogits = policy->forwardCached(next, nextValid, policyCache).select(1, 0);
    referenceLogits = reference->forwardCached(next, nextValid, referenceCache).select(1, 0);
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

}  // namespace tb
