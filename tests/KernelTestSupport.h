#pragma once
// Error measures and inputs shared by the kernel tests (test_kernels on the CPU,
// test_kernels_cuda on a GPU).
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace tb {

// max_i |a_i - b_i| / max(1, |b_i|): relative error, absolute below 1 (entropies near 0).
inline double elementRelErr(const torch::Tensor& a, const torch::Tensor& b) {
  const auto ad = a.detach().to(torch::kCPU, torch::kDouble), bd = b.detach().to(torch::kCPU, torch::kDouble);
  if (ad.numel() == 0) return 0.0;
  return ((ad - bd).abs() / bd.abs().clamp_min(1.0)).max().item<double>();
}

// max |a - b| / max(max |b|, floor): normwise relative error of a gradient; the floor (the
// largest upstream gradient) keeps a gradient that is exactly 0 (V = 1) from dividing by ~0.
inline double normRelErr(const torch::Tensor& a, const torch::Tensor& b, double floor = 1e-30) {
  const auto ad = a.detach().to(torch::kCPU, torch::kDouble), bd = b.detach().to(torch::kCPU, torch::kDouble);
  const double scale = std::max(bd.abs().max().item<double>(), floor);
  return (ad - bd).abs().max().item<double>() / scale;
}

inline bool allFinite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }

// Random logits of `shape` (last dim V): N(0, 3^2), with the first row's logits spread over
// [-80, 80] and, when there are two rows or more, the second row one logit at +80 and the rest
// at -80 (a nearly one-hot distribution).
inline torch::Tensor randomLogits(const std::vector<int64_t>& shape, torch::Generator& gen) {
  auto z = torch::randn(shape, gen, torch::kFloat).mul_(3.0f);
  auto flat = z.view({-1, shape.back()});
  if (flat.size(0) >= 1) flat[0].uniform_(-80.0, 80.0, gen);
  if (flat.size(0) >= 2) {
    flat[1].fill_(-80.0f);
    flat[1][shape.back() / 2] = 80.0f;
  }
  return z;
}

inline torch::Tensor randomTargets(const std::vector<int64_t>& shape, torch::Generator& gen) {
  std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
  return torch::randint(shape.back(), leading, gen, torch::kLong);
}

// Whether f throws c10::Error (TORCH_CHECK's refusals).
inline bool throwsC10(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error&) {
    return true;
  }
  return false;
}

}  // namespace tb
