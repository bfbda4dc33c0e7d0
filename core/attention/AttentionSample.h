#pragma once
// The attention behind one stored trajectory (prompt + completion), as the attention viewer and
// `thoughtbench-cli attention` show it: the softmax(q k^T / sqrt(d_head)) weights of chosen layers
// and heads over the whole sequence, plus the token metrics of "Attention Illuminates LLM
// Reasoning" (2025) over the completion (core/algorithms/AttentionCredit.h): each head's mean
// backward distance, the local / global head sets, WAAD and FAI per completion token, and the
// preplan (largest WAAD change) and anchor (largest FAI) tokens.
//
// Torch-free: the store, the CLI's JSON and the widgets use it without LibTorch.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb {

struct AttentionSample {
  // Where it comes from (for display).
  std::int64_t runId = 0;
  std::int64_t sampleId = 0;
  int iteration = 0;
  std::string policy;                  // "checkpoint of iteration 9", "warm start", ...
  std::string problemId;

  std::vector<std::string> tokens;     // one label per token (<bos> first); '\n' shown as "⏎"
  int promptLength = 0;                // tokens before the completion (<bos> included)
  int layerCount = 0;                  // layers of the model
  int headCount = 0;                   // heads per layer
  std::vector<int> layers;             // the layers whose maps are kept, ascending
  // weights[(li * headCount + h) * T * T + t * T + s] = attention of query t to key s in layer
  // layers[li], head h; T = tokens.size(); rows sum to 1 over s <= t, 0 above the diagonal.
  std::vector<float> weights;

  // Token metrics over the completion's tokens (index 0 = first completion token), computed from
  // the maps averaged over all layers (a "head" is a head index across the stack, as the
  // attention-credit preset does).
  std::vector<double> headDistance;    // [headCount] mean backward distance d_h
  std::vector<int> localHeads;         // the most local heads (smallest d_h first)
  std::vector<int> globalHeads;        // the most global heads (largest d_h first)
  std::vector<double> waad;            // [completion length] WAAD_t of the local map
  std::vector<double> fai;             // [completion length] FAI_s of the global map
  std::vector<int> preplan;            // completion positions with the largest |WAAD_t - WAAD_t+1|
  std::vector<int> anchors;            // completion positions with the largest FAI

  int size() const { return static_cast<int>(tokens.size()); }
  int completionLength() const { return size() - promptLength; }
  // The weight of query t to key s in kept layer `layerIndex` (index into `layers`), head h.
  float weight(int layerIndex, int head, int t, int s) const {
    const size_t T = tokens.size();
    return weights[((static_cast<size_t>(layerIndex) * headCount + head) * T + t) * T + s];
  }
  // The T x T map of one head, or the mean over a set of heads (all heads when `heads` is empty)
  // of kept layer `layerIndex` (-1: the mean over the kept layers).
  std::vector<float> map(int layerIndex, const std::vector<int>& heads = {}) const;

  // Throws InputError naming the field when sizes disagree or a weight is not finite.
  void validate() const;
};

// {"format": "thoughtbench-attention", "version": 1, ...}: every field above.
nlohmann::json attentionToJson(const AttentionSample& sample);
AttentionSample attentionFromJson(const nlohmann::json& json, const std::string& source);

// A square causal map [T x T] (keys s <= t) reduced to at most `maxSide` x `maxSide` cells for drawing long sequences:
// each cell holds the maximum of the block it covers (a thin strong line stays visible). Returns
// the side of the result in `side`; the map itself when T <= maxSide.
std::vector<float> downsampleMax(const std::vector<float>& map, int T, int maxSide, int& side);

}  // namespace tb
