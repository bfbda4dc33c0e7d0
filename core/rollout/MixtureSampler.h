#pragma once
// Sampling from the geometric mixture of the policy and the reference, as Nash-MD needs for its
// alternative answer y' (Munos et al. 2023, "Nash Learning from Human Feedback"; TRL's
// GeometricMixtureWrapper). At each step, with m = mixture and T = temperature:
//   pi_m(. | x, y_<t) = softmax( log_softmax(m ref_logits + (1 - m) policy_logits) / T )
// i.e. pi_m is proportional to (pi_ref^m pi^(1-m))^(1/T). Both models decode with their own KV
// cache over the same tokens. m = 0 samples from the policy and m = 1 from the reference, token
// for token as sampleCompletions does with the same generator state.
#include <torch/torch.h>

#include <vector>

#include "core/model/GptPolicy.h"
#include "core/rollout/Sampler.h"

namespace tb {

// Same output contract as sampleCompletions (Sampler.h): logprobs and entropies are those of the
// mixture distribution at the sampling temperature (entropies before top-p truncation).
// mixture must be in [0, 1]; the two models must share the vocabulary.
RolloutBatch sampleMixtureCompletions(GptPolicy& policy, GptPolicy& reference, double mixture,
                                      const std::vector<std::vector<int>>& prompts,
                                      const SamplingOptions& options, torch::Generator& generator);

}  // namespace tb
