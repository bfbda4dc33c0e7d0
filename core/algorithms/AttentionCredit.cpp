// AttentionCredit: head selection, WAAD, FAI and the credit multipliers of "Attention Illuminates
// LLM Reasoning" (2025).
#include "core/algorithms/AttentionCredit.h"

#include <algorithm>
#include <cmath>

#include "core/Error.h"

namespace tb {

namespace {

// (t - s) for t >= s, 0 above the diagonal: [n,n].
torch::Tensor backwardDistance(int64_t n, const torch::TensorOptions& options) {
  auto idx = torch::arange(n, options);
  return (idx.unsqueeze(1) - idx.unsqueeze(0)).clamp_min(0);
}

// Indices of `values` [n] sorted descending (or ascending); stable, so ties keep index order.
torch::Tensor stableOrder(const torch::Tensor& values, bool descending) {
  return std::get<1>(values.sort(/*stable=*/true, /*dim=*/0, descending));
}

std::vector<int64_t> toVector(const torch::Tensor& indices) {
  auto c = indices.to(torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace

torch::Tensor headDistances(const torch::Tensor& maps) {
  TB_CHECK(maps.dim() == 3 && maps.size(1) == maps.size(2), "maps must be [H,n,n], got ", maps.sizes());
  auto distance = backwardDistance(maps.size(1), maps.options());
  auto lower = maps.tril();  // keys after the query carry no backward distance
  auto weighted = (lower * distance).sum({1, 2});
  auto mass = lower.sum({1, 2});
  return torch::where(mass > 0, weighted / mass.clamp_min(1e-30), torch::zeros_like(mass));
}

HeadSelection selectHeads(const torch::Tensor& maps, double fraction) {
  TB_CHECK(fraction > 0.0 && fraction <= 1.0, "head fraction ", fraction, " outside (0, 1]");
  HeadSelection out;
  out.distances = headDistances(maps);
  const int64_t H = maps.size(0);
  const int64_t k = std::clamp<int64_t>(std::llround(fraction * static_cast<double>(H)), 1, H);
  auto ascending = stableOrder(out.distances, /*descending=*/false).narrow(0, 0, k);
  auto descending = stableOrder(out.distances, /*descending=*/true).narrow(0, 0, k);
  out.localHeads = toVector(ascending);
  out.globalHeads = toVector(descending);
  out.local = maps.index_select(0, ascending).mean(0);
  out.global = maps.index_select(0, descending).mean(0);
  return out;
}

torch::Tensor waad(const torch::Tensor& localMap, int window) {
  TB_CHECK(localMap.dim() == 2 && localMap.size(0) == localMap.size(1), "local map must be [n,n], got ",
           localMap.sizes());
  TB_CHECK(window >= 0, "WAAD window ", window, " < 0");
  auto capped = backwardDistance(localMap.size(0), localMap.options()).clamp_max(window);
  return (localMap.tril() * capped).sum(1);
}

torch::Tensor waadChange(const torch::Tensor& waadValues) {
  TB_CHECK(waadValues.dim() == 1, "WAAD must be [n], got ", waadValues.sizes());
  auto change = torch::zeros_like(waadValues);
  const int64_t n = waadValues.size(0);
  if (n > 1)
    change.narrow(0, 0, n - 1).copy_((waadValues.narrow(0, 0, n - 1) - waadValues.narrow(0, 1, n - 1)).abs());
  return change;
}

torch::Tensor fai(const torch::Tensor& globalMap, int nearLag, int farLag) {
  TB_CHECK(globalMap.dim() == 2 && globalMap.size(0) == globalMap.size(1), "global map must be [n,n], got ",
           globalMap.sizes());
  TB_CHECK(0 <= nearLag && nearLag <= farLag, "FAI lags near ", nearLag, " far ", farLag);
  // Window of queries t for key s: near <= t - s <= far (t < n is implied by the map's size).
  auto lag = torch::arange(globalMap.size(0), globalMap.options().dtype(torch::kLong));
  lag = lag.unsqueeze(1) - lag.unsqueeze(0);  // [t,s] = t - s
  auto inWindow = ((lag >= nearLag) & (lag <= farLag)).to(globalMap.dtype());
  auto count = inWindow.sum(0);
  return (globalMap * inWindow).sum(0) / count.clamp_min(1.0);  // empty window: 0 / 1
}

torch::Tensor creditScale(const torch::Tensor& scores, double topFraction, double gamma,
                          const torch::Tensor& advantages) {
  TB_CHECK(scores.dim() == 1, "scores must be [n], got ", scores.sizes());
  TB_CHECK(topFraction >= 0.0 && topFraction <= 1.0, "top fraction ", topFraction, " outside [0, 1]");
  const int64_t n = scores.size(0);
  const int64_t k = std::clamp<int64_t>(std::llround(topFraction * static_cast<double>(n)), 0, n);
  auto scale = torch::ones({n}, scores.options().dtype(torch::kFloat));
  if (k > 0) scale.index_fill_(0, stableOrder(scores, /*descending=*/true).narrow(0, 0, k), gamma);
  if (advantages.defined()) {
    TB_CHECK(advantages.sizes() == scores.sizes(), "advantages ", advantages.sizes(), " vs scores ",
             scores.sizes());
    scale = torch::where(advantages.to(scale.device()) < 0, torch::ones_like(scale), scale);
  }
  return scale;
}

torch::Tensor attentionCreditScale(GptPolicy& policy, const RolloutBatch& batch, const std::string& mode,
                                   const AttentionCreditParams& params) {
  if (mode != "local" && mode != "global")
    failInput("attention credit mode '", mode, "': expected 'local' or 'global'");
  torch::NoGradGuard noGrad;
  const int P = batch.promptLength;
  const auto N = batch.completionMask.size(0), L = batch.completionMask.size(1);
  auto lengths = batch.completionMask.sum(1).to(torch::kLong).cpu();
  auto scale = torch::ones({N, L}, torch::kFloat);
  // Rows in chunks: the maps are [rows, H, T, T] per layer and would be large for a whole batch.
  constexpr int64_t kChunk = 16;
  for (int64_t first = 0; first < N; first += kChunk) {
    const int64_t rows = std::min(kChunk, N - first);
    auto maps =
        policy->attentionMaps(batch.tokens.narrow(0, first, rows), batch.valid.narrow(0, first, rows));
    auto mean = maps[0].clone();
    for (size_t l = 1; l < maps.size(); ++l) mean += maps[l];
    mean /= static_cast<double>(maps.size());
    mean = mean.to(torch::kCPU, torch::kFloat);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = lengths[first + r].item<int64_t>();
      if (n == 0) continue;
      // Completions are right-padded: tokens P .. P+n-1 are the real ones.
      auto span = mean[r].narrow(1, P, n).narrow(2, P, n);  // [H,n,n]
      auto heads = selectHeads(span, params.headFraction);
      auto scores = mode == "local" ? waadChange(waad(heads.local, params.window))
                                    : fai(heads.global, params.nearLag, params.farLag);
      scale[first + r].narrow(0, 0, n).copy_(creditScale(scores, params.topFraction, params.gamma));
    }
  }
  return scale.to(batch.completionMask.device());
}

torch::Tensor applyCreditScale(const torch::Tensor& advantages, const torch::Tensor& scale) {
  return torch::where(advantages >= 0, advantages * scale.to(advantages.dtype()), advantages);
}

}  // namespace tb
