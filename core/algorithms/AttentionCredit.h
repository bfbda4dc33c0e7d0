#pragma once
// Attention-guided credit assignment ("Attention Illuminates LLM Reasoning: The Preplan-and-Anchor
// Rhythm Enables Fine-Grained Policy Optimization", 2025). Over one completion's attention map
// A[h,t,s] (query t, key s <= t, both completion tokens, t,s = 0..n-1):
//   head distance   d_h    = sum_{t,s} A[h,t,s] (t - s) / sum_{t,s} A[h,t,s]
//   local / global  Aloc, Aglob = mean map of the `fraction` heads with the smallest / largest d_h
//   WAAD_t (windowed average attention distance) = sum_{s<=t} Aloc[t,s] min(t - s, W)
//   FAI_s  (future attention influence)          = mean_{t in [s+near, min(n-1, s+far)]} Aglob[t,s]
//   credit: A~_t = gamma_t A_t, gamma_t = gamma on the top `topFraction` positions by
//           |WAAD_t - WAAD_{t+1}| ("local": pre-plan tokens where the reading distance jumps) or
//           by FAI ("global": anchor tokens later tokens keep returning to), else 1; A_t < 0 is
//           never scaled.
// Defaults (the paper's): fraction 0.3, W = 10, near = 10, far = 50, top 0.4, gamma = 1.5.
// Example: a local row with 0.7 at t-1, 0.2 at t-3 and 0.1 at t-20 -> WAAD_t = 0.7 + 0.6 + 1.0 = 2.3.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/model/GptPolicy.h"
#include "core/rollout/Sampler.h"

namespace tb {

struct HeadSelection {
  torch::Tensor local;               // [n,n] mean map of the most local heads
  torch::Tensor global;              // [n,n] mean map of the most global heads
  torch::Tensor distances;           // [H] mean backward distance d_h
  std::vector<int64_t> localHeads;   // by increasing distance
  std::vector<int64_t> globalHeads;  // by decreasing distance
};

// Mean backward distance of each head of maps [H,n,n] -> [H] (0 for a head without weight).
torch::Tensor headDistances(const torch::Tensor& maps);

// round(fraction * H) heads (at least 1) each for the local and the global map; ties keep the
// lower head index.
HeadSelection selectHeads(const torch::Tensor& maps, double fraction = 0.3);

// WAAD_t of a local map [n,n] -> [n].
torch::Tensor waad(const torch::Tensor& localMap, int window = 10);

// |WAAD_t - WAAD_{t+1}| -> [n]; the last position has no successor and scores 0.
torch::Tensor waadChange(const torch::Tensor& waadValues);

// FAI_s of a global map [n,n] -> [n]; 0 where [s+near, min(n-1, s+far)] is empty.
torch::Tensor fai(const torch::Tensor& globalMap, int nearLag = 10, int farLag = 50);

// Multipliers [n]: gamma on the round(topFraction * n) highest scores (ties: earlier position), 1
// elsewhere; where `advantages` (if given, [n]) is negative the multiplier is 1.
torch::Tensor creditScale(const torch::Tensor& scores, double topFraction = 0.4, double gamma = 1.5,
                          const torch::Tensor& advantages = {});

struct AttentionCreditParams {
  double headFraction = 0.3;
  int window = 10;
  int nearLag = 10;
  int farLag = 50;
  double topFraction = 0.4;
  double gamma = 1.5;
};

// Multipliers [N,L] for the completion tokens of `batch` (1 outside completionMask), from the
// policy's attention in one no-grad forward pass. mode "local" (WAAD change) or "global" (FAI).
// Decision: the maps are averaged over layers before head selection, so a "head" is a head index
// across the whole stack (the paper selects among all layer-heads of much larger models; with a few
// layers the average is steadier); queries and keys are the completion tokens themselves, so
// multiplier t goes with the log-prob of completion token t. Apply with applyCreditScale.
torch::Tensor attentionCreditScale(GptPolicy& policy, const RolloutBatch& batch, const std::string& mode,
                                   const AttentionCreditParams& params = {});

// A~ = scale * A where A >= 0, A elsewhere (advantages broadcast against scale, e.g. [N,1] vs [N,L]).
torch::Tensor applyCreditScale(const torch::Tensor& advantages, const torch::Tensor& scale);

}  // namespace tb
