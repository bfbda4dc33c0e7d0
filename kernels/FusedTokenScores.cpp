#include "kernels/FusedTokenScores.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#ifdef TB_WITH_CUDA
#include <c10/cuda/CUDAStream.h>  // the current stream; lighter than ATen/cuda/CUDAContext.h
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cuda/CudaKernels.h"
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace tb {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr int64_t kChunk = 4096;  // 16 KiB of float logits: a chunk stays in L1 between passes

// Work per parallel task of at least ~32k logits.
int64_t rowGrain(int64_t vocab) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(vocab, 1)); }

struct RowScores {
  double logprob, entropy, meanLogSoftmax, lse, ez;
};

// One row: online logsumexp over chunks with T = sum e^{z-M} (z-M) carried along.
template <typename scalar_t>
RowScores forwardRow(const scalar_t* z, int64_t vocab, int64_t target) {
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  double rowMax = kNegInf, s = 0.0, t = 0.0, sumZ = 0.0;
  for (int64_t c0 = 0; c0 < vocab; c0 += kChunk) {
    const int64_t n = std::min(kChunk, vocab - c0);
    const scalar_t* zc = z + c0;
    scalar_t chunkMax = zc[0];
    for (int64_t j = 1; j < n; ++j) chunkMax = zc[j] > chunkMax ? zc[j] : chunkMax;
    if (static_cast<double>(chunkMax) > rowMax) {
      if (s > 0.0) {  // rescale the sums from the old max to the new one
        const double shift = rowMax - static_cast<double>(chunkMax);  // < 0
        const double r = std::exp(shift);
        t = r * (t + shift * s);
        s *= r;
      }
      rowMax = static_cast<double>(chunkMax);
    }
    double cs = 0.0, ct = 0.0, cz = 0.0;
    if (rowMax == kNegInf) {  // every logit so far is -inf: nothing to add but the sum of z
      for (int64_t j = 0; j < n; ++j) cz += static_cast<double>(zc[j]);
    } else {
      const scalar_t m = static_cast<scalar_t>(rowMax);  // exact: rowMax is one of the logits
      for (int64_t j = 0; j < n; ++j) {
        const scalar_t d = zc[j] - m;
        const scalar_t e = std::exp(d);
        cs += static_cast<double>(e);
        ct += e > scalar_t(0) ? static_cast<double>(e * d) : 0.0;  // e = 0 for z = -inf: no NaN
        cz += static_cast<double>(zc[j]);
      }
    }
    s += cs;
    t += ct;
    sumZ += cz;
  }
  const double logS = std::log(s);
  const double lse = rowMax + logS;
  RowScores r{};
  r.lse = lse;
  r.ez = rowMax + t / s;
  r.logprob = static_cast<double>(z[target]) - lse;
  r.entropy = logS - t / s;
  r.meanLogSoftmax = sumZ / static_cast<double>(vocab) - lse;
  return r;
}

// One row of the gradient: p_j = exp(z_j - lse) recomputed; lse and Ez subtracted as hi + lo.
template <typename scalar_t>
void backwardRow(const scalar_t* z, scalar_t* out, int64_t vocab, int64_t target, double lse,
                 double ez, double gLp, double gH, double gM) {
  const auto lseHi = static_cast<scalar_t>(lse);
  const auto lseLo = static_cast<scalar_t>(lse - static_cast<double>(lseHi));
  const auto ezHi = static_cast<scalar_t>(ez);
  const auto ezLo = static_cast<scalar_t>(ez - static_cast<double>(ezHi));
  const auto c = static_cast<scalar_t>(gLp + gM);
  const auto h = static_cast<scalar_t>(gH);
  const auto uniform = static_cast<scalar_t>(gM / static_cast<double>(vocab));
  for (int64_t c0 = 0; c0 < vocab; c0 += kChunk) {
    const int64_t n = std::min(kChunk, vocab - c0);
    const scalar_t* zc = z + c0;
    scalar_t* oc = out + c0;
    for (int64_t j = 0; j < n; ++j) {
      const scalar_t p = std::exp((zc[j] - lseHi) - lseLo);
      const scalar_t centred = (zc[j] - ezHi) - ezLo;
      oc[j] = uniform - p * (c + h * centred);
    }
  }
  out[target] += static_cast<scalar_t>(gLp);
}

struct ForwardResult {
  torch::Tensor logprobs, entropies, meanLogSoftmax, lse, ez;  // [N]; lse, ez double
};

void checkTargets(const torch::Tensor& targets, int64_t vocab) {
  const auto* t = targets.data_ptr<int64_t>();
  for (int64_t i = 0; i < targets.numel(); ++i)
    TORCH_CHECK(t[i] >= 0 && t[i] < vocab, "fusedTokenScores: target ", t[i], " at row ", i,
                " outside [0, ", vocab, ")");
}

// z: contiguous [N, V] on the CPU; targets: contiguous int64 [N].
ForwardResult cpuForward(const torch::Tensor& z, const torch::Tensor& targets) {
  const int64_t rows = z.size(0), vocab = z.size(1);
  checkTargets(targets, vocab);
  ForwardResult r;
  r.logprobs = torch::empty({rows}, z.options());
  r.entropies = torch::empty({rows}, z.options());
  r.meanLogSoftmax = torch::empty({rows}, z.options());
  r.lse = torch::empty({rows}, z.options().dtype(torch::kDouble));
  r.ez = torch::empty({rows}, z.options().dtype(torch::kDouble));
  AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "fusedTokenScoresForward", [&] {
    const scalar_t* zp = z.data_ptr<scalar_t>();
    const int64_t* tp = targets.data_ptr<int64_t>();
    scalar_t* lp = r.logprobs.data_ptr<scalar_t>();
    scalar_t* ent = r.entropies.data_ptr<scalar_t>();
    scalar_t* mls = r.meanLogSoftmax.data_ptr<scalar_t>();
    double* lse = r.lse.data_ptr<double>();
    double* ez = r.ez.data_ptr<double>();
    at::parallel_for(0, rows, rowGrain(vocab), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const RowScores s = forwardRow(zp + i * vocab, vocab, tp[i]);
        lp[i] = static_cast<scalar_t>(s.logprob);
        ent[i] = static_cast<scalar_t>(s.entropy);
        mls[i] = static_cast<scalar_t>(s.meanLogSoftmax);
        lse[i] = s.lse;
        ez[i] = s.ez;
      }
    });
  });
  return r;
}

torch::Tensor cpuBackward(const torch::Tensor& z, const torch::Tensor& targets,
                          const torch::Tensor& lse, const torch::Tensor& ez, torch::Tensor gLp,
                          torch::Tensor gH, torch::Tensor gM) {
  const int64_t rows = z.size(0), vocab = z.size(1);
  auto grad = torch::empty_like(z, torch::MemoryFormat::Contiguous);
  auto prepare = [&](torch::Tensor& g) {
    if (g.defined()) g = g.reshape({rows}).to(z.scalar_type()).contiguous();
  };
  prepare(gLp);
  prepare(gH);
  prepare(gM);
  AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "fusedTokenScoresBackward", [&] {
    const scalar_t* zp = z.data_ptr<scalar_t>();
    scalar_t* gp = grad.data_ptr<scalar_t>();
    const int64_t* tp = targets.data_ptr<int64_t>();
    const double* lsep = lse.data_ptr<double>();
    const double* ezp = ez.data_ptr<double>();
    const scalar_t* lpG = gLp.defined() ? gLp.data_ptr<scalar_t>() : nullptr;
    const scalar_t* hG = gH.defined() ? gH.data_ptr<scalar_t>() : nullptr;
    const scalar_t* mG = gM.defined() ? gM.data_ptr<scalar_t>() : nullptr;
    auto value = [](const scalar_t* p, int64_t i) { return p ? static_cast<double>(p[i]) : 0.0; };
    at::parallel_for(0, rows, rowGrain(vocab), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        backwardRow(zp + i * vocab, gp + i * vocab, vocab, tp[i], lsep[i], ezp[i], value(lpG, i),
                    value(hG, i), value(mG, i));
    });
  });
  return grad;
}

#ifdef TB_WITH_CUDA
// Dtypes the CUDA kernels read (kernels/cuda/CudaKernels.h).
bool cudaSupports(torch::ScalarType type) {
  return type == torch::kFloat || type == torch::kDouble || type == torch::kBFloat16 ||
         type == torch::kHalf;
}

cuda::ScalarKind cudaKind(torch::ScalarType type) {
  switch (type) {
    case torch::kDouble: return cuda::ScalarKind::Float64;
    case torch::kBFloat16: return cuda::ScalarKind::BFloat16;
    case torch::kHalf: return cuda::ScalarKind::Float16;
    default: return cuda::ScalarKind::Float32;
  }
}

// The CPU path's target check on the device: one device-to-host copy of a flag (a sync), since
// an out-of-range target would make the kernel read outside its row.
void checkCudaTargets(const torch::Tensor& targets, int64_t vocab) {
  const auto bad = (targets < 0).logical_or(targets >= vocab);
  if (!bad.any().item<bool>()) return;
  const int64_t i = bad.nonzero()[0][0].item<int64_t>();
  TORCH_CHECK(false, "fusedTokenScores: target ", targets[i].item<int64_t>(), " at row ", i,
              " outside [0, ", vocab, ")");
}

void checkLaunch(cudaError_t status, const char* what) {
  TORCH_CHECK(status == cudaSuccess, "fusedTokenScores: CUDA ", what, " failed: ",
              cudaGetErrorString(status));
}

// z: [N, V] on a CUDA device with unit stride along V (any row stride); targets: contiguous
// int64 [N] on the same device. Scores in float32 (float64 for double logits).
ForwardResult cudaForward(const torch::Tensor& z, const torch::Tensor& targets) {
  const c10::cuda::CUDAGuard guard(z.device());
  const int64_t rows = z.size(0), vocab = z.size(1);
  checkCudaTargets(targets, vocab);
  const auto scoreType = z.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  ForwardResult r;
  r.logprobs = torch::empty({rows}, z.options().dtype(scoreType));
  r.entropies = torch::empty({rows}, z.options().dtype(scoreType));
  r.meanLogSoftmax = torch::empty({rows}, z.options().dtype(scoreType));
  r.lse = torch::empty({rows}, z.options().dtype(torch::kDouble));
  r.ez = torch::empty({rows}, z.options().dtype(torch::kDouble));
  checkLaunch(cuda::fusedTokenScoresForward(
                  z.data_ptr(), cudaKind(z.scalar_type()), rows, vocab, z.stride(0),
                  targets.data_ptr<int64_t>(), r.logprobs.data_ptr(), r.entropies.data_ptr(),
                  r.meanLogSoftmax.data_ptr(), r.lse.data_ptr<double>(), r.ez.data_ptr<double>(),
                  c10::cuda::getCurrentCUDAStream(z.device().index())),
              "forward");
  return r;
}

torch::Tensor cudaBackward(const torch::Tensor& z, const torch::Tensor& targets,
                           const torch::Tensor& lse, const torch::Tensor& ez, torch::Tensor gLp,
                           torch::Tensor gH, torch::Tensor gM) {
  const c10::cuda::CUDAGuard guard(z.device());
  const int64_t rows = z.size(0), vocab = z.size(1);
  auto grad = torch::empty({rows, vocab}, z.options());
  auto prepare = [&](torch::Tensor& g) -> const double* {
    if (!g.defined()) return nullptr;
    g = g.reshape({rows}).to(torch::kDouble).contiguous();  // [N], tiny
    return g.data_ptr<double>();
  };
  const double* lpG = prepare(gLp);
  const double* hG = prepare(gH);
  const double* mG = prepare(gM);
  checkLaunch(cuda::fusedTokenScoresBackward(
                  z.data_ptr(), cudaKind(z.scalar_type()), rows, vocab, z.stride(0),
                  targets.data_ptr<int64_t>(), lse.data_ptr<double>(), ez.data_ptr<double>(), lpG,
                  hG, mG, grad.data_ptr(), c10::cuda::getCurrentCUDAStream(z.device().index())),
              "backward");
  return grad;
}
#endif

// The custom autograd node: saves z (an input, no copy), targets and the [N] lse and Ez.
struct FusedTokenScoresFunction : public torch::autograd::Function<FusedTokenScoresFunction> {
  static variable_list forward(AutogradContext* ctx, const torch::Tensor& z,
                               const torch::Tensor& targets) {
    ctx->set_materialize_grads(false);  // undefined upstream gradients stay undefined (= 0)
#ifdef TB_WITH_CUDA
    auto r = z.is_cuda() ? cudaForward(z, targets) : cpuForward(z, targets);
#else
    auto r = cpuForward(z, targets);
#endif
    ctx->save_for_backward({z, targets, r.lse, r.ez});
    return {r.logprobs, r.entropies, r.meanLogSoftmax};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const bool any = grads[0].defined() || grads[1].defined() || grads[2].defined();
    if (!any) return {torch::Tensor(), torch::Tensor()};
#ifdef TB_WITH_CUDA
    if (saved[0].is_cuda())
      return {cudaBackward(saved[0], saved[1], saved[2], saved[3], grads[0], grads[1], grads[2]),
              torch::Tensor()};
#endif
    return {cpuBackward(saved[0], saved[1], saved[2], saved[3], grads[0], grads[1], grads[2]),
            torch::Tensor()};
  }
};

}  // namespace

FusedScores referenceTokenScores(const torch::Tensor& z, const torch::Tensor& targets) {
  const auto logp = torch::log_softmax(z, -1);
  FusedScores s;
  s.logprobs = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
  s.entropies = -(logp.exp() * logp).sum(-1);
  s.meanLogSoftmax = logp.mean(-1);
  return s;
}

FusedScores fusedTokenScores(const torch::Tensor& z, const torch::Tensor& targets) {
  TORCH_CHECK(z.dim() >= 1 && z.size(-1) >= 1, "fusedTokenScores: z must be [..., V] with V >= 1, got ",
              z.sizes());
  TORCH_CHECK(targets.scalar_type() == torch::kLong, "fusedTokenScores: targets must be int64, got ",
              targets.scalar_type());
  const auto leading = z.sizes().slice(0, z.dim() - 1);
  TORCH_CHECK(targets.sizes() == leading, "fusedTokenScores: targets ", targets.sizes(),
              " must have z's leading shape ", leading);
  TORCH_CHECK(targets.device() == z.device(), "fusedTokenScores: z on ", z.device(),
              ", targets on ", targets.device());
  bool fusedPath = z.is_cpu() && (z.scalar_type() == torch::kFloat ||
                                  z.scalar_type() == torch::kDouble);
#ifdef TB_WITH_CUDA
  fusedPath = fusedPath || (z.is_cuda() && cudaSupports(z.scalar_type()));
#endif
  if (!fusedPath) return referenceTokenScores(z, targets);  // other devices and dtypes

  const int64_t vocab = z.size(-1);
  auto z2 = z.reshape({-1, vocab});  // differentiable view / copy
  // The CUDA kernel takes any row stride (a slice of wider logits is read in place).
  if (!(z2.is_cuda() && z2.stride(1) == 1)) z2 = z2.contiguous();
  const auto t1 = targets.reshape({-1}).contiguous();
  const auto out = FusedTokenScoresFunction::apply(z2, t1);
  std::vector<int64_t> shape(leading.begin(), leading.end());
  return {out[0].reshape(shape), out[1].reshape(shape), out[2].reshape(shape)};
}

}  // namespace tb
