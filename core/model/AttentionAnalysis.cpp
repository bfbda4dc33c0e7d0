#include "core/model/AttentionAnalysis.h"

#include "core/Error.h"

namespace tb {

namespace {

std::vector<int> positionsAbove(const torch::Tensor& scale) {
  std::vector<int> out;
  auto a = scale.accessor<float, 1>();
  for (int64_t i = 0; i < scale.size(0); ++i)
    if (a[i] > 1.0f) out.push_back(static_cast<int>(i));
  return out;
}

std::vector<double> toVector(const torch::Tensor& t) {
  auto c = t.to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

AttentionSample attentionOfText(PolicyModel& policy, const PolicyTokenizer& tokenizer, const std::string& prompt,
                                const std::string& completion, const std::vector<int>& layers,
                                const AttentionCreditParams& params) {
  std::vector<int> ids = tokenizer.encodePrompt(prompt);
  const int promptLength = static_cast<int>(ids.size());
  const auto tail = tokenizer.encodeCompletion(completion);
  ids.insert(ids.end(), tail.begin(), tail.end());
  const int T = static_cast<int>(ids.size());
  const int context = policy.context();
  if (T > context)
    failInput("prompt and completion are ", T, " tokens, more than the model's context of ", context);
  const int layerCount = policy.layerCount();
  std::vector<int> kept = layers;
  if (kept.empty())
    for (int l = 0; l < layerCount; ++l) kept.push_back(l);
  for (int l : kept)
    if (l < 0 || l >= layerCount) failInput("layer ", l, " (the model has layers 0..", layerCount - 1, ")");

  const auto maps = policy.attentionMaps(ids);  // L x [1,H,T,T], float32 on the CPU

  AttentionSample out;
  out.promptLength = promptLength;
  out.layerCount = layerCount;
  out.headCount = static_cast<int>(maps.front().size(1));
  out.layers = kept;
  for (int id : ids) out.tokens.push_back(tokenizer.tokenLabel(id));
  for (int l : kept) {
    auto m = maps[l].squeeze(0).to(torch::kFloat).contiguous();
    out.weights.insert(out.weights.end(), m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
  }

  // Token metrics over the completion: maps averaged over layers, queries and keys the completion's
  // own tokens (as attentionCreditScale computes them for the credit).
  const int n = T - promptLength;
  if (n > 0) {
    auto mean = torch::stack(maps).mean(0).squeeze(0);  // [H,T,T]
    auto completionMaps = mean.narrow(1, promptLength, n).narrow(2, promptLength, n);
    HeadSelection heads = selectHeads(completionMaps, params.headFraction);
    out.headDistance = toVector(heads.distances);
    out.localHeads.assign(heads.localHeads.begin(), heads.localHeads.end());
    out.globalHeads.assign(heads.globalHeads.begin(), heads.globalHeads.end());
    auto w = waad(heads.local, params.window);
    auto f = fai(heads.global, params.nearLag, params.farLag);
    out.waad = toVector(w);
    out.fai = toVector(f);
    out.preplan = positionsAbove(creditScale(waadChange(w), params.topFraction, params.gamma).to(torch::kFloat));
    out.anchors = positionsAbove(creditScale(f, params.topFraction, params.gamma).to(torch::kFloat));
  }
  out.validate();
  return out;
}

}  // namespace tb
