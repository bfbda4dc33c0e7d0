// Gae: generalized advantage estimation, PPO's clipped value loss and explained variance.
#include "core/algorithms/Gae.h"

#include <algorithm>

#include "core/Error.h"

namespace tb {

GaeResult generalizedAdvantages(const torch::Tensor& tokenRewards, const torch::Tensor& values,
                                const torch::Tensor& mask, double gamma, double lambda) {
  TB_CHECK(
      tokenRewards.dim() == 2 && tokenRewards.sizes() == values.sizes() && values.sizes() == mask.sizes(),
      "rewards ", tokenRewards.sizes(), ", values ", values.sizes(), ", mask ", mask.sizes());
  torch::NoGradGuard noGrad;
  const auto dtype = values.scalar_type();
  auto m = mask.detach().to(dtype);
  auto r = tokenRewards.detach().to(dtype) * m;
  auto v = values.detach() * m;
  const auto L = v.size(1);
  auto advantages = torch::zeros_like(v);
  auto next = torch::zeros_like(v.select(1, 0));  // A_{t+1}
  // Backward recursion; m_{t+1} = 0 ends the row, so V_{t+1} and A_{t+1} drop out after the
  // last real token (and padding never leaks in).
  for (int64_t t = L - 1; t >= 0; --t) {
    auto mNext = t + 1 < L ? m.select(1, t + 1) : torch::zeros_like(next);
    auto vNext = t + 1 < L ? v.select(1, t + 1) : torch::zeros_like(next);
    auto delta = r.select(1, t) + gamma * vNext * mNext - v.select(1, t);
    next = (delta + gamma * lambda * mNext * next) * m.select(1, t);
    advantages.select(1, t).copy_(next);
  }
  return {advantages, (advantages + v) * m};
}

torch::Tensor clippedValueLoss(const torch::Tensor& values, const torch::Tensor& oldValues,
                               const torch::Tensor& returns, const torch::Tensor& mask, double clip) {
  TB_CHECK(values.sizes() == oldValues.sizes() && values.sizes() == returns.sizes() &&
               values.sizes() == mask.sizes(),
           "values ", values.sizes(), ", old ", oldValues.sizes(), ", returns ", returns.sizes(), ", mask ",
           mask.sizes());
  auto m = mask.to(values.dtype());
  auto clipped = oldValues + (values - oldValues).clamp(-clip, clip);
  auto loss = 0.5 * torch::max((values - returns).pow(2), (clipped - returns).pow(2));
  // A token-mean over the minibatch; an empty mask gives 0 rather than NaN.
  return (loss * m).sum() / m.sum().clamp_min(1.0);
}

double explainedVariance(const torch::Tensor& values, const torch::Tensor& returns,
                         const torch::Tensor& mask) {
  TB_CHECK(values.sizes() == returns.sizes() && values.sizes() == mask.sizes(), "values ", values.sizes(),
           ", returns ", returns.sizes(), ", mask ", mask.sizes());
  torch::NoGradGuard noGrad;
  auto on = mask.detach() > 0;
  auto r = returns.detach().to(torch::kDouble).masked_select(on);
  auto v = values.detach().to(torch::kDouble).masked_select(on);
  if (r.numel() == 0) return 0.0;
  auto variance = [](const torch::Tensor& x) { return (x - x.mean()).pow(2).mean().item<double>(); };
  const double varR = variance(r);
  // Constant returns up to rounding: nothing to explain.
  if (varR <= 1e-14 * std::max(1.0, r.pow(2).mean().item<double>())) return 0.0;
  return 1.0 - variance(r - v) / varR;
}

}  // namespace tb
