// MixtureSampler: KV-cached batched generation from the geometric mixture of two policies.
#include "core/rollout/MixtureSampler.h"

#include <algorithm>

#include "core/Error.h"

namespace tb {

RolloutBatch sampleMixtureCompletions(GptPolicy& policy, GptPolicy& reference, double mixture,
                                      const std::vector<std::vector<int>>& prompts,
                                      const SamplingOptions& options, torch::Generator& generator) {
  TB_CHECK(mixture >= 0.0 && mixture <= 1.0, "mixture = ", mixture, " must be in [0, 1]");
  TB_CHECK(policy->config().vocabSize == reference->config().vocabSize, "policy vocabulary ",
           policy->config().vocabSize, " vs reference ", reference->config().vocabSize);
  const int rows = static_cast<int>(prompts.size());
  KvCache policyCache = policy->makeCache(rows, torch::kCPU);
  KvCache referenceCache = reference->makeCache(rows, torch::kCPU);
  // Mixing raw logits equals mixing log-probs up to a per-row constant that the softmax removes.
  // With m = 0 or 1 the sum is exactly one model's logits, so the draw matches sampleCompletions.
  auto forward = [&](const torch::Tensor& tokens, const torch::Tensor& valid) {
    return mixture * reference->forwardCached(tokens, valid, referenceCache) +
           (1.0 - mixture) * policy->forwardCached(tokens, valid, policyCache);
  };
  const int context = std::min(policy->config().context, reference->config().context);
  KeepRows keep;
  if (options.dropFinishedRows)
    keep = [&](const torch::Tensor& kept) {
      keepCacheRows(policyCache, kept);
      keepCacheRows(referenceCache, kept);
    };
  return decodeCompletions(prompts, options, generator, context, forward, forward, keep);
}

}  // namespace tb
