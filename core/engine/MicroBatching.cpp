#include "core/engine/MicroBatching.h"

#include <algorithm>
#include <vector>

#include "core/Error.h"

namespace tb {

RolloutBatch batchRows(const RolloutBatch& batch, std::int64_t first, std::int64_t last) {
  TB_CHECK(0 <= first && first <= last && last <= batch.tokens.size(0), "rows [", first, ", ", last, ") of ",
           batch.tokens.size(0));
  RolloutBatch out;
  out.tokens = batch.tokens.narrow(0, first, last - first);
  out.valid = batch.valid.narrow(0, first, last - first);
  out.completionMask = batch.completionMask.narrow(0, first, last - first);
  out.promptLength = batch.promptLength;
  return out;
}

TokenScores scoreInChunks(const BatchScorer& score, const RolloutBatch& batch, std::int64_t first,
                          std::int64_t last, std::int64_t micro) {
  torch::NoGradGuard noGrad;
  if (micro <= 0 || last - first <= micro) return score(batchRows(batch, first, last));
  std::vector<torch::Tensor> logprobs, entropies, meanLogSoftmax;
  for (std::int64_t begin = first; begin < last; begin += micro) {
    const TokenScores part = score(batchRows(batch, begin, std::min(last, begin + micro)));
    logprobs.push_back(part.logprobs);
    entropies.push_back(part.entropies);
    meanLogSoftmax.push_back(part.meanLogSoftmax);
  }
  return {torch::cat(logprobs), torch::cat(entropies), torch::cat(meanLogSoftmax)};
}

TokenScores asLeaves(const TokenScores& values) {
  auto leaf = [](const torch::Tensor& t) { return t.detach().clone().requires_grad_(true); };
  return {leaf(values.logprobs), leaf(values.entropies), leaf(values.meanLogSoftmax)};
}

void backpropagateInChunks(const BatchScorer& score, const RolloutBatch& batch, std::int64_t first,
                          std::int64_t last, std::int64_t micro, const TokenScores& leaves) {
  const torch::Tensor* leafList[] = {&leaves.logprobs, &leaves.entropies, &leaves.meanLogSoftmax};
  bool any = false;
  for (const auto* leaf : leafList) any = any || leaf->grad().defined();
  if (!any) return;
  if (micro <= 0) micro = last - first;
  for (std::int64_t begin = first; begin < last; begin += micro) {
    const std::int64_t end = std::min(last, begin + micro);
    const TokenScores part = score(batchRows(batch, begin, end));
    const torch::Tensor* partList[] = {&part.logprobs, &part.entropies, &part.meanLogSoftmax};
    std::vector<torch::Tensor> outputs, gradients;
    for (int k = 0; k < 3; ++k) {
      const torch::Tensor& g = leafList[k]->grad();
      if (!g.defined() || !partList[k]->requires_grad()) continue;
      outputs.push_back(*partList[k]);
      gradients.push_back(g.narrow(0, begin, end - begin).to(partList[k]->device()));
    }
    if (!outputs.empty()) torch::autograd::backward(outputs, gradients);
  }
}

}  // namespace tb
