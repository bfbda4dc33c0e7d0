#include "kernels/DecodeAttention.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#ifdef TB_WITH_CUDA
#include <c10/cuda/CUDAStream.h>  // the current stream; lighter than ATen/cuda/CUDAContext.h
#include <c10/cuda/CUDAGuard.h>

#include "kernels/cuda/CudaKernels.h"
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace tb {
namespace {

struct Dims {
  int64_t batch, heads, cache, headDim;
};

Dims checkArgs(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
               const torch::Tensor& valid, int64_t length, const char* fn) {
  TORCH_CHECK(q.defined() && keys.defined() && values.defined() && valid.defined(), fn,
              ": undefined tensor");
  TORCH_CHECK(q.dim() == 3 || (q.dim() == 4 && q.size(2) == 1), fn,
              ": q must be [B,H,1,Dh] or [B,H,Dh], got ", q.sizes());
  TORCH_CHECK(keys.dim() == 4, fn, ": keys must be [B,H,C,Dh], got ", keys.sizes());
  TORCH_CHECK(values.sizes() == keys.sizes(), fn, ": values ", values.sizes(),
              " must have the shape of keys ", keys.sizes());
  const Dims d{keys.size(0), keys.size(1), keys.size(2), keys.size(3)};
  TORCH_CHECK(d.headDim >= 1, fn, ": head dimension must be >= 1");
  TORCH_CHECK(q.size(0) == d.batch && q.size(1) == d.heads && q.size(-1) == d.headDim, fn, ": q ",
              q.sizes(), " does not match keys ", keys.sizes());
  TORCH_CHECK(length >= 1 && length <= d.cache, fn, ": length ", length, " must be in [1, ",
              d.cache, "]");
  TORCH_CHECK(valid.dim() == 2 && valid.size(0) == d.batch && valid.size(1) >= length, fn,
              ": valid must be [B, >= length] = [", d.batch, ", >= ", length, "], got ",
              valid.sizes());
  TORCH_CHECK(valid.scalar_type() == torch::kBool || valid.scalar_type() == torch::kByte, fn,
              ": valid must be bool or uint8, got ", valid.scalar_type());
  TORCH_CHECK(q.is_floating_point(), fn, ": q must be floating point, got ", q.scalar_type());
  TORCH_CHECK(keys.scalar_type() == q.scalar_type() && values.scalar_type() == q.scalar_type(), fn,
              ": q, keys and values must share a dtype, got ", q.scalar_type(), ", ",
              keys.scalar_type(), ", ", values.scalar_type());
  TORCH_CHECK(keys.device() == q.device() && values.device() == q.device() &&
                  valid.device() == q.device(),
              fn, ": q, keys, values and valid must be on one device");
  return d;
}

// The work of one (row, head): scores of the attendable positions into `weight`, their indices
// into `index`, then out = softmax-weighted sum of the value rows. Returns false (out untouched)
// when no position is attendable. Plain loops the compiler vectorises for the build's target
// (an AVX2 + FMA clone via target_clones was tried and gained nothing measurable at Dh = 32; the
// time per row is the same whether the cache fits in L2 or not, so it is not bound by memory).
bool attendOne(const float* __restrict__ q, const float* __restrict__ k, int64_t kS,
               const float* __restrict__ v, int64_t vS, const uint8_t* __restrict__ m, int64_t mS,
               int64_t length, int64_t Dh, float scale, float* __restrict__ weight,
               int64_t* __restrict__ index, float* __restrict__ out) {
  int64_t n = 0;
  for (int64_t s = 0; s < length; ++s)
    if (m[s * mS]) index[n++] = s;
  if (n == 0) return false;

  // Scores: q . k_s over Dh with eight independent accumulators, so the loop vectorises without
  // -ffast-math (one accumulator is a serial chain the compiler may not reassociate).
  float maxScore = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    const float* __restrict__ kr = k + index[i] * kS;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t d = 0;
    for (; d + 8 <= Dh; d += 8)
      for (int j = 0; j < 8; ++j) acc[j] += q[d + j] * kr[d + j];
    float tail = 0;
    for (; d < Dh; ++d) tail += q[d] * kr[d];
    const float score =
        (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail) *
        scale;
    weight[i] = score;
    maxScore = std::max(maxScore, score);
  }
  // Max-shifted exponentials in (0, 1], summed in double (>= 1: the max contributes 1).
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = std::exp(weight[i] - maxScore);
    weight[i] = e;
    sum += static_cast<double>(e);
  }
  // Weighted sum of the value rows, eight output columns at a time in local accumulators (kept
  // in registers and vectorised; accumulating into `out` directly compiled to scalar code).
  const auto inv = static_cast<float>(1.0 / sum);
  int64_t d = 0;
  for (; d + 8 <= Dh; d += 8) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t i = 0; i < n; ++i) {
      const float w = weight[i];
      const float* __restrict__ vr = v + index[i] * vS + d;
      for (int j = 0; j < 8; ++j) acc[j] += w * vr[j];
    }
    for (int j = 0; j < 8; ++j) out[d + j] = acc[j] * inv;
  }
  for (; d < Dh; ++d) {
    float acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += weight[i] * v[index[i] * vS + d];
    out[d] = acc * inv;
  }
  return true;
}

// The fused CPU float32 path; q contiguous [B*H, Dh], keys/values with unit last stride.
torch::Tensor decodeCpuFloat(const torch::Tensor& qIn, const torch::Tensor& keys,
                             const torch::Tensor& values, const torch::Tensor& valid,
                             int64_t length, const Dims& dims) {
  const auto q = qIn.contiguous();
  auto out = torch::empty({dims.batch, dims.heads, 1, dims.headDim}, q.options());
  const float* qp = q.data_ptr<float>();
  const float* kp = keys.data_ptr<float>();
  const float* vp = values.data_ptr<float>();
  // bool and uint8 are both one byte; a nonzero byte means "may attend".
  const auto* mp = static_cast<const uint8_t*>(valid.data_ptr());
  float* op = out.data_ptr<float>();
  const int64_t H = dims.heads, Dh = dims.headDim;
  const int64_t kB = keys.stride(0), kH = keys.stride(1), kS = keys.stride(2);
  const int64_t vB = values.stride(0), vH = values.stride(1), vS = values.stride(2);
  const int64_t mB = valid.stride(0), mS = valid.stride(1);
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(Dh)));
  // About 16k multiply-adds of the dot products per task.
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, length * Dh));

  at::parallel_for(0, dims.batch * H, grain, [&](int64_t begin, int64_t end) {
    // Per-thread scratch: the scores / weights of the attendable positions and their indices.
    std::vector<float> weight(static_cast<size_t>(length));
    std::vector<int64_t> index(static_cast<size_t>(length));
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / H, h = bh % H;
      float* o = op + bh * Dh;
      if (!attendOne(qp + bh * Dh, kp + b * kB + h * kH, kS, vp + b * vB + h * vH, vS,
                     mp + b * mB, mS, length, Dh, scale, weight.data(), index.data(), o))
        std::fill(o, o + Dh, 0.0f);  // nothing to attend: zeros, documented
    }
  });
  return qIn.dim() == 3 ? out.view({dims.batch, H, Dh}) : out;
}

#ifdef TB_WITH_CUDA
// The CUDA path's reach: float32 / bf16 / float16, unit stride along Dh, Dh <= 256.
bool cudaFusable(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                 const Dims& dims) {
  const auto type = q.scalar_type();
  return q.is_cuda() && (type == torch::kFloat || type == torch::kBFloat16 || type == torch::kHalf) &&
         keys.stride(3) == 1 && values.stride(3) == 1 && dims.headDim <= cuda::kDecodeMaxHeadDim;
}

torch::Tensor decodeCuda(const torch::Tensor& qIn, const torch::Tensor& keys,
                         const torch::Tensor& values, const torch::Tensor& valid, int64_t length,
                         const Dims& dims) {
  const c10::cuda::CUDAGuard guard(qIn.device());
  const auto q = (qIn.dim() == 4 ? qIn.squeeze(2) : qIn).contiguous();  // [B,H,Dh]
  auto out = torch::empty({dims.batch, dims.heads, 1, dims.headDim}, q.options());
  cuda::DecodeAttentionArgs a;
  a.q = q.data_ptr();
  a.keys = keys.data_ptr();
  a.values = values.data_ptr();
  a.valid = static_cast<const uint8_t*>(valid.data_ptr());  // bool and uint8: one byte each
  a.out = out.data_ptr();
  a.kind = q.scalar_type() == torch::kBFloat16 ? cuda::ScalarKind::BFloat16
           : q.scalar_type() == torch::kHalf   ? cuda::ScalarKind::Float16
                                               : cuda::ScalarKind::Float32;
  a.batch = dims.batch;
  a.heads = dims.heads;
  a.headDim = dims.headDim;
  a.length = length;
  a.kB = keys.stride(0);
  a.kH = keys.stride(1);
  a.kS = keys.stride(2);
  a.vB = values.stride(0);
  a.vH = values.stride(1);
  a.vS = values.stride(2);
  a.mB = valid.stride(0);
  a.mS = valid.stride(1);
  const cudaError_t status =
      cuda::decodeAttention(a, c10::cuda::getCurrentCUDAStream(qIn.device().index()));
  TORCH_CHECK(status == cudaSuccess, "decodeAttention: CUDA launch failed: ",
              cudaGetErrorString(status));
  return qIn.dim() == 3 ? out.view({dims.batch, dims.heads, dims.headDim}) : out;
}
#endif

torch::Tensor reference(const torch::Tensor& q, const torch::Tensor& keys,
                        const torch::Tensor& values, const torch::Tensor& valid, int64_t length,
                        const Dims& dims) {
  const auto q4 = q.dim() == 3 ? q.unsqueeze(2) : q;
  const auto k = keys.narrow(2, 0, length), v = values.narrow(2, 0, length);
  const auto masked = valid.narrow(1, 0, length).to(torch::kBool).logical_not().view(
      {dims.batch, 1, 1, length});
  auto scores = torch::matmul(q4, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(dims.headDim));
  scores = scores.masked_fill(masked, -std::numeric_limits<double>::infinity());
  // An all-masked row is NaN after softmax; zeroing the masked weights turns it into zeros and
  // leaves every other row unchanged (its masked weights are exactly 0 already).
  const auto weights = torch::softmax(scores, -1).masked_fill(masked, 0.0);
  const auto out = torch::matmul(weights, v);
  return q.dim() == 3 ? out.squeeze(2) : out;
}

}  // namespace

torch::Tensor decodeAttention(const torch::Tensor& q, const torch::Tensor& keys,
                              const torch::Tensor& values, const torch::Tensor& valid,
                              int64_t length) {
  const Dims dims = checkArgs(q, keys, values, valid, length, "decodeAttention");
  TORCH_CHECK(!q.requires_grad() && !keys.requires_grad() && !values.requires_grad(),
              "decodeAttention is inference only (no autograd): call it under torch::NoGradGuard "
              "or with tensors that do not require grad");
#ifdef TB_WITH_CUDA
  if (cudaFusable(q, keys, values, dims)) return decodeCuda(q, keys, values, valid, length, dims);
#endif
  const bool fused = q.device().is_cpu() && q.scalar_type() == torch::kFloat &&
                     keys.stride(3) == 1 && values.stride(3) == 1;
  if (!fused) return reference(q, keys, values, valid, length, dims);
  return decodeCpuFloat(q, keys, values, valid, length, dims);
}

torch::Tensor referenceDecodeAttention(const torch::Tensor& q, const torch::Tensor& keys,
                                       const torch::Tensor& values, const torch::Tensor& valid,
                                       int64_t length) {
  const Dims dims = checkArgs(q, keys, values, valid, length, "referenceDecodeAttention");
  return reference(q, keys, values, valid, length, dims);
}

DecodeAttentionBench benchDecodeAttention(int batch, int heads, int headDim, int length,
                                          int repeats) {
  TORCH_CHECK(batch >= 1 && heads >= 1 && headDim >= 1 && length >= 1,
              "benchDecodeAttention: sizes must be >= 1");
  torch::NoGradGuard noGrad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/20240612);
  const int64_t cache = length + 8;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat);
  const auto q = torch::randn({batch, heads, 1, headDim}, gen, opts);
  const auto keys = torch::randn({batch, heads, cache, headDim}, gen, opts);
  const auto values = torch::randn({batch, heads, cache, headDim}, gen, opts);
  const auto pads = torch::randint(length / 4 + 1, {batch, 1}, gen, torch::TensorOptions().dtype(torch::kLong));
  const auto pos = torch::arange(cache, torch::TensorOptions().dtype(torch::kLong)).unsqueeze(0);
  const auto valid = (pos >= pads) & (pos < length);  // left padding; last position valid

  using Fn = torch::Tensor (*)(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               const torch::Tensor&, int64_t);
  auto timeUs = [&](Fn fn, torch::Tensor* result) {
    *result = fn(q, keys, values, valid, length);  // warm-up, and the output to compare
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) fn(q, keys, values, valid, length);
    const std::chrono::duration<double, std::micro> elapsed =
        std::chrono::steady_clock::now() - start;
    return elapsed.count() / std::max(repeats, 1);
  };
  DecodeAttentionBench bench;
  torch::Tensor fusedOut, referenceOut;
  bench.fusedUs = timeUs(&decodeAttention, &fusedOut);
  bench.referenceUs = timeUs(&referenceDecodeAttention, &referenceOut);
  bench.maxAbsDiff = (fusedOut - referenceOut).abs().max().item<double>();
  return bench;
}

}  // namespace tb
