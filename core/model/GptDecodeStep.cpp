// GptDecodeStep: the inference-only decode step of GptPolicy (see the header for the formulas).
#include "core/model/GptDecodeStep.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/Error.h"
#include "core/model/GptPolicy.h"
#include "kernels/DecodeStepAttention.h"

// The row kernels are plain loops the compiler vectorises; on x86-64 with GCC they are also
// compiled for AVX2 + FMA (x86-64-v3) and the better version is picked when the program loads
// (the project itself builds for the x86-64 baseline, SSE2).
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
// no-trapping-math only lets the compiler if-convert the clamps of erfApprox (it changes no result).
#define TB_ROW_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default"), optimize("no-trapping-math")))
#else
#define TB_ROW_KERNEL
#endif
#define TB_INLINE __attribute__((always_inline)) inline

namespace tb {
namespace {

// cblas_sgemm of the BLAS LibTorch was linked against (Debian: libblas.so.3 -> OpenBLAS), found
// among the libraries already loaded, so this file adds no link dependency. CBLAS enums are ints.
using SgemmFn = void (*)(int order, int transA, int transB, int m, int n, int k, float alpha,
                         const float* a, int lda, const float* b, int ldb, float beta, float* c,
                         int ldc);
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112;

SgemmFn blasSgemm() {
  static const SgemmFn fn = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "cblas_sgemm"));
  return fn;
}

// y [rows, out] = x [rows, in] W^T + beta y with W [out, in] row-major (a torch::nn::Linear
// weight): the sgemm LibTorch's addmm issues for a Linear. With beta = 1 and y holding the bias,
// y = bias + x W^T exactly as addmm computes it (OpenBLAS skips its separate pass over y when
// beta is 1, which it makes to zero y when beta is 0).
void matmulWeightT(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float beta, float* y) {
  blasSgemm()(kCblasRowMajor, kCblasNoTrans, kCblasTrans, static_cast<int>(rows),
              static_cast<int>(out), static_cast<int>(in), 1.0f, x, static_cast<int>(in), w,
              static_cast<int>(in), beta, y, static_cast<int>(out));
}

// Sum of n floats with eight independent accumulators (vectorises without -ffast-math).
TB_INLINE float sum8(const float* __restrict__ x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += x[i + j];
  float tail = 0;
  for (; i < n; ++i) tail += x[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

TB_INLINE float squaredDeviation8(const float* __restrict__ x, float mean, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const float d = x[i + j] - mean;
      acc[j] += d * d;
    }
  float tail = 0;
  for (; i < n; ++i) tail += (x[i] - mean) * (x[i] - mean);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

// y = LayerNorm(x) row by row over `rows` rows of width D: mean and biased variance of the row,
// then (x * rstd - rstd * mean) * gamma + beta, the order LibTorch's CPU LayerNorm uses. When
// `addToX` is given, x += addToX afterwards (the next residual's bias, while the row is in L1).
TB_ROW_KERNEL void layerNormRows(float* __restrict__ x, int64_t rows, int64_t D,
                                 const float* __restrict__ gamma, const float* __restrict__ beta,
                                 float eps, float* __restrict__ y, const float* __restrict__ addToX) {
  for (int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * D;
    float* yr = y + r * D;
    const float mean = sum8(xr, D) / static_cast<float>(D);
    const float var = squaredDeviation8(xr, mean, D) / static_cast<float>(D);
    const float scale = 1.0f / std::sqrt(var + eps);
    const float shift = -scale * mean;
    for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] * scale + shift) * gamma[i] + beta[i];
    if (addToX)
      for (int64_t i = 0; i < D; ++i) xr[i] += addToX[i];
  }
}

// Every row of y [rows, N] = bias: the addend of the next matrix product (beta = 1).
TB_ROW_KERNEL void fillRowsWithBias(float* __restrict__ y, int64_t rows, int64_t N, const float* __restrict__ bias) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(y + r * N, bias, sizeof(float) * static_cast<size_t>(N));
}

// erf(x) for float by the rational approximation erf(x) = x P(x^2) / Q(x^2) on [-4, 4] (+-1
// beyond, where erf rounds to +-1 in float), with the coefficients of Eigen's
// generic_fast_erf_float: a few ulps, branch-free, so the loop below vectorises.
TB_INLINE float erfApprox(float a) {
  float x = a < -4.0f ? -4.0f : a;
  x = x > 4.0f ? 4.0f : x;
  const float x2 = x * x;
  float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p + -2.10102402082508e-06f;
  p = x2 * p + -5.69250639462346e-05f;
  p = x2 * p + -7.34990630326855e-04f;
  p = x2 * p + -2.95459980854025e-03f;
  p = x2 * p + -1.60960333262415e-02f;
  p = x * p;
  float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
  q = x2 * q + -1.68282697438203e-03f;
  q = x2 * q + -7.37332916720468e-03f;
  q = x2 * q + -1.42647390514189e-02f;
  return p / q;
}

// The exact (erf) GELU z * 0.5 * (1 + erf(z / sqrt 2)) in place over rows of width N.
TB_ROW_KERNEL void geluRows(float* __restrict__ z, int64_t rows, int64_t N) {
  constexpr float kSqrtHalf = 0.70710678118654752440f;
  for (int64_t r = 0; r < rows; ++r) {
    float* zr = z + r * N;
    for (int64_t i = 0; i < N; ++i) {
      const float v = zr[i];
      zr[i] = v * 0.5f * (1.0f + erfApprox(v * kSqrtHalf));
    }
  }
}

// Runs fn(begin, end) over row ranges, on several threads only when each gets at least kWork
// elements of work (perRow per row; a parallel region costs a few microseconds). Parallel only
// where this file is compiled with OpenMP (LibTorch's parallel_for is a header template).
template <typename Fn>
void forRows(int64_t rows, int64_t perRow, const Fn& fn) {
  constexpr int64_t kWork = 16384;
  const int64_t grain = std::max<int64_t>(1, kWork / std::max<int64_t>(1, perRow));
  if (rows <= grain || at::get_num_threads() == 1) {
    fn(0, rows);
    return;
  }
  at::parallel_for(0, rows, grain, fn);
}

// Per-thread step buffers, grown on demand and reused across steps and calls.
struct Workspace {
  std::vector<float> x, h, qkv, a, ff;
};

float* sized(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

const float* floatData(const torch::Tensor& t, const char* what) {
  TB_CHECK(t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous(),
           "GptDecodeStep: ", what, " must be a contiguous CPU float tensor");
  return t.data_ptr<float>();
}

bool isCpuFloat(const torch::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous();
}

}  // namespace

bool GptDecodeStep::applies(const GptPolicyImpl& policy, const torch::Tensor& tokens, const KvCache& cache) {
  if (blasSgemm() == nullptr || torch::GradMode::is_enabled()) return false;
  if (tokens.dim() != 2 || tokens.size(1) < 1 || !tokens.device().is_cpu()) return false;
  // BLAS takes int sizes: the largest matrix is the [B*T, 4D] MLP activation.
  if (tokens.size(0) * tokens.size(1) * 4 * policy.config_.dModel > std::numeric_limits<int>::max()) return false;
  if (cache.keys.size() != static_cast<size_t>(policy.config_.layers) || cache.keys.empty()) return false;
  for (size_t i = 0; i < cache.keys.size(); ++i) {
    const auto& k = cache.keys[i];
    const auto& v = cache.values[i];
    if (k.device() != torch::kCPU || k.scalar_type() != torch::kFloat || k.dim() != 4 || k.stride(3) != 1 ||
        v.device() != torch::kCPU || v.scalar_type() != torch::kFloat || v.stride(3) != 1)
      return false;
  }
  if (!cache.valid.device().is_cpu() || cache.valid.scalar_type() != torch::kBool) return false;
  return isCpuFloat(policy.tokenEmbedding_->weight) && isCpuFloat(policy.head_->weight) &&
         isCpuFloat(policy.lnFinal_->weight);
}

torch::Tensor GptDecodeStep::run(const GptPolicyImpl& policy, const torch::Tensor& tokensIn,
                                 const torch::Tensor& validIn, KvCache& cache, bool lastOnly) {
  const GptConfig& cfg = policy.config_;
  const int64_t B = tokensIn.size(0), T = tokensIn.size(1);
  int64_t R = B * T;  // rows: the new tokens (the last one per sequence in a lastOnly last layer)
  const int64_t D = cfg.dModel, H = cfg.heads, hd = D / H, V = cfg.vocabSize;
  const int start = cache.length;
  TB_CHECK(start + T <= cfg.context, "sequence of ", start + T, " tokens exceeds model.context = ", cfg.context);
  if (B == 0) {  // an empty batch: nothing to compute
    cache.length = start + static_cast<int>(T);
    return torch::empty({0, lastOnly ? 1 : T, V}, torch::TensorOptions().dtype(torch::kFloat));
  }
  TB_CHECK(validIn.dim() == 2 && validIn.size(0) == B && validIn.size(1) == T, "valid ", validIn.sizes(),
           " for tokens ", tokensIn.sizes());
  TB_CHECK(cache.valid.size(0) == B && cache.keys[0].size(0) == B, "cache of ", cache.valid.size(0), " rows for ", B,
           " sequences");
  TB_CHECK(cache.keys[0].size(1) == H && cache.keys[0].size(3) == hd && cache.keys[0].size(2) >= start + T &&
               cache.valid.size(1) >= start + T,
           "cache ", cache.keys[0].sizes(), " does not fit ", start + T, " positions of ", H, " heads x ", hd);
  const auto tokens = tokensIn.to(torch::kLong);
  const auto valid = validIn.to(torch::kBool);
  auto tok = tokens.accessor<int64_t, 2>();
  auto val = valid.accessor<bool, 2>();

  thread_local Workspace ws;
  float* x = sized(ws.x, R * D);
  float* h = sized(ws.h, R * D);
  float* qkv = sized(ws.qkv, R * 3 * D);
  float* a = sized(ws.a, R * D);
  float* ff = sized(ws.ff, R * 4 * D);

  // The new tokens enter the cache's mask; embeddings at each token's position (valid tokens
  // before it in its row, itself included, minus one).
  bool* cacheValid = cache.valid.data_ptr<bool>();
  const int64_t vB = cache.valid.stride(0), vS = cache.valid.stride(1);
  const float* tokenTable = floatData(policy.tokenEmbedding_->weight, "token_embedding");
  const float* positionTable = floatData(policy.positionEmbedding_->weight, "position_embedding");
  for (int64_t b = 0; b < B; ++b) {
    bool* row = cacheValid + b * vB;
    int64_t before = 0;
    for (int s = 0; s < start; ++s) before += row[s * vS] ? 1 : 0;
    for (int64_t j = 0; j < T; ++j) {
      const bool isValid = val[b][j];
      row[(start + j) * vS] = isValid;
      before += isValid ? 1 : 0;
      const int64_t position = std::max<int64_t>(0, before - 1);
      const int64_t id = tok[b][j];
      TB_CHECK(id >= 0 && id < V, "token id ", id, " outside the vocabulary of ", V);
      const float* te = tokenTable + id * D;
      const float* pe = positionTable + position * D;
      float* xr = x + (b * T + j) * D;
      for (int64_t i = 0; i < D; ++i) xr[i] = te[i] + pe[i];
    }
  }

  int64_t Tq = T;           // queries per sequence
  int queryStart = start;   // cache position of each sequence's first query
  // h = LayerNorm(x) over the current R rows, and x += residualBias (the bias of the linear whose
  // output is added to x next).
  auto normRows = [&](const torch::nn::LayerNormImpl& ln, const std::string& name, const float* residualBias) {
    const float* w = floatData(ln.weight, (name + ".weight").c_str());
    const float* b = floatData(ln.bias, (name + ".bias").c_str());
    forRows(R, D, [&](int64_t r0, int64_t r1) {
      layerNormRows(x + r0 * D, r1 - r0, D, w, b, static_cast<float>(ln.options.eps()), h + r0 * D, residualBias);
    });
  };
  for (int64_t layer = 0; layer < cfg.layers; ++layer) {
    const auto& block = *policy.blocks_->ptr(static_cast<size_t>(layer))->as<DecoderBlockImpl>();
    const auto& attn = *block.attn_;
    // h = LN1(x), and x += bproj for the residual below; qkv = bqkv + h Wqkv^T
    normRows(*block.ln1_, "ln1", floatData(attn.proj_->bias, "attn.proj.bias"));
    const float* qkvBias = floatData(attn.qkv_->bias, "attn.qkv.bias");
    forRows(R, 3 * D, [&](int64_t r0, int64_t r1) { fillRowsWithBias(qkv + r0 * 3 * D, r1 - r0, 3 * D, qkvBias); });
    matmulWeightT(h, R, D, floatData(attn.qkv_->weight, "attn.qkv.weight"), 3 * D, 1.0f, qkv);
    // The new keys and values into the cache at positions start .. start + T - 1.
    auto& keys = cache.keys[static_cast<size_t>(layer)];
    auto& values = cache.values[static_cast<size_t>(layer)];
    float* kp = keys.data_ptr<float>();
    float* vp = values.data_ptr<float>();
    const int64_t kB = keys.stride(0), kH = keys.stride(1), kS = keys.stride(2);
    const int64_t wB = values.stride(0), wH = values.stride(1), wS = values.stride(2);
    forRows(R, 2 * D, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t b = r / T, s = start + r % T;
        const float* row = qkv + r * 3 * D;
        for (int64_t head = 0; head < H; ++head) {
          std::memcpy(kp + b * kB + head * kH + s * kS, row + D + head * hd, sizeof(float) * hd);
          std::memcpy(vp + b * wB + head * wH + s * wS, row + 2 * D + head * hd, sizeof(float) * hd);
        }
      }
    });
    // Only the last token's output is wanted: past this point the last layer works on one row
    // per sequence (its keys and values are in the cache already).
    if (lastOnly && T > 1 && layer + 1 == cfg.layers) {
      for (int64_t b = 0; b < B; ++b) {
        std::memmove(x + b * D, x + (b * T + T - 1) * D, sizeof(float) * static_cast<size_t>(D));
        std::memmove(qkv + b * 3 * D, qkv + (b * T + T - 1) * 3 * D, sizeof(float) * static_cast<size_t>(3 * D));
      }
      queryStart = start + static_cast<int>(T) - 1;
      Tq = 1;
      R = B;
    }
    // a = attention of each new token over the cache -> [R, H, hd] = [R, D]; x (+ bproj) += a Wproj^T
    DecodeStepAttentionArgs att;
    att.q = qkv;
    att.qB = Tq * 3 * D;
    att.qT = 3 * D;
    att.qH = hd;
    att.keys = kp;
    att.kB = kB;
    att.kH = kH;
    att.kS = kS;
    att.values = vp;
    att.vB = wB;
    att.vH = wH;
    att.vS = wS;
    att.valid = reinterpret_cast<const uint8_t*>(cacheValid);
    att.mB = vB;
    att.mS = vS;
    att.out = a;
    att.oB = Tq * D;
    att.oT = D;
    att.oH = hd;
    att.batch = B;
    att.tokens = Tq;
    att.heads = H;
    att.headDim = hd;
    att.start = queryStart;
    att.attendSelf = true;  // GptPolicy's mask: every query sees itself
    decodeStepAttention(att);
    matmulWeightT(a, R, D, floatData(attn.proj_->weight, "attn.proj.weight"), D, 1.0f, x);  // x += a Wproj^T
    // h = LN2(x), and x += bout; x += gelu(bfc + h Wfc^T) Wout^T
    normRows(*block.ln2_, "ln2", floatData(block.out_->bias, "out.bias"));
    const float* fcBias = floatData(block.fc_->bias, "fc.bias");
    forRows(R, 4 * D, [&](int64_t r0, int64_t r1) { fillRowsWithBias(ff + r0 * 4 * D, r1 - r0, 4 * D, fcBias); });
    matmulWeightT(h, R, D, floatData(block.fc_->weight, "fc.weight"), 4 * D, 1.0f, ff);
    forRows(R, 16 * 4 * D, [&](int64_t r0, int64_t r1) { geluRows(ff + r0 * 4 * D, r1 - r0, 4 * D); });
    matmulWeightT(ff, R, 4 * D, floatData(block.out_->weight, "out.weight"), D, 1.0f, x);
  }
  cache.length = start + static_cast<int>(T);

  const auto& lnFinal = *policy.lnFinal_;
  const float* lnfw = floatData(lnFinal.weight, "ln_final.weight");
  const float* lnfb = floatData(lnFinal.bias, "ln_final.bias");
  forRows(R, D, [&](int64_t r0, int64_t r1) {
    layerNormRows(x + r0 * D, r1 - r0, D, lnfw, lnfb, static_cast<float>(lnFinal.options.eps()), h + r0 * D, nullptr);
  });
  auto logits = torch::empty({B, Tq, V}, torch::TensorOptions().dtype(torch::kFloat));
  matmulWeightT(h, R, D, floatData(policy.head_->weight, "head.weight"), V, 0.0f, logits.data_ptr<float>());
  return logits;
}

}  // namespace tb
