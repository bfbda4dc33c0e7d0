// Decode-step attention on raw buffers (see the header for the formula and the paths).
#include "kernels/DecodeStepAttention.h"

#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define TB_HAVE_AVX2_PATH 1
#define TB_AVX2 __attribute__((target("avx2,fma")))
#else
#define TB_HAVE_AVX2_PATH 0
#endif

namespace tb {
namespace {

// Per-thread scratch: the valid positions of a row and their scores / weights (padded to a
// multiple of 8 for the vector code).
struct Scratch {
  std::vector<int64_t> index;
  std::vector<float> weight;
};

// Plain loops: any head dimension, any CPU.
void attendPortable(const float* q, const float* k, int64_t kS, const float* v, int64_t vS,
                    const int64_t* index, int64_t n, int64_t Dh, float scale, float* w, float* out) {
  float maxScore = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    const float* kr = k + index[i] * kS;
    float dot = 0;
    for (int64_t d = 0; d < Dh; ++d) dot += q[d] * kr[d];
    w[i] = dot * scale;
    maxScore = std::max(maxScore, w[i]);
  }
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    w[i] = std::exp(w[i] - maxScore);
    sum += w[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t d = 0; d < Dh; ++d) {
    float acc = 0;
    for (int64_t i = 0; i < n; ++i) acc += w[i] * v[index[i] * vS + d];
    out[d] = acc * inv;
  }
}

#if TB_HAVE_AVX2_PATH

// exp on eight lanes for x <= 0 (max-shifted scores): Cephes expf, exp(x) = 2^n exp(r) with
// n = round(x / ln 2), r = x - n ln 2 in two parts, a degree-6 polynomial for exp(r); x is clamped
// at -87 (exp = 1.6e-38, still normal).
TB_AVX2 inline __m256 expNonPositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), r);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// The eight horizontal sums of a[0..7] as one vector.
TB_AVX2 inline __m256 horizontalSums8(const __m256* a) {
  const __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
  const __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

TB_AVX2 inline float horizontalSum(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// One (row, head) with Dh = 8 * CH. `w` holds at least n rounded up to 8 floats.
template <int CH>
TB_AVX2 void attendAvx2(const float* q, const float* k, int64_t kS, const float* v, int64_t vS,
                        const int64_t* index, int64_t n, float scale, float* w, float* out,
                        const float* nextK, const float* nextV) {
  __m256 qv[CH];
  for (int c = 0; c < CH; ++c) qv[c] = _mm256_loadu_ps(q + 8 * c);
  const int64_t padded = (n + 7) / 8 * 8;
  // Scores, eight positions at a time.
  for (int64_t i0 = 0; i0 < n; i0 += 8) {
    __m256 acc[8];
    for (int j = 0; j < 8; ++j) {
      if (i0 + j < n) {
        const float* kr = k + index[i0 + j] * kS;
        if (nextK) for (int c = 0; c < CH; c += 2) _mm_prefetch(reinterpret_cast<const char*>(nextK + index[i0 + j] * kS + 8 * c), _MM_HINT_T0);
        __m256 a = _mm256_mul_ps(qv[0], _mm256_loadu_ps(kr));
        for (int c = 1; c < CH; ++c) a = _mm256_fmadd_ps(qv[c], _mm256_loadu_ps(kr + 8 * c), a);
        acc[j] = a;
      } else {
        acc[j] = _mm256_setzero_ps();
      }
    }
    _mm256_storeu_ps(w + i0, _mm256_mul_ps(horizontalSums8(acc), _mm256_set1_ps(scale)));
  }
  float maxScore = w[0];
  for (int64_t i = 1; i < n; ++i) maxScore = std::max(maxScore, w[i]);
  // Weights exp(score - max); the padding lanes past n get 0.
  const __m256 maxV = _mm256_set1_ps(maxScore);
  __m256 sumV = _mm256_setzero_ps();
  for (int64_t i0 = 0; i0 < padded; i0 += 8) {
    __m256 e = expNonPositive(_mm256_sub_ps(_mm256_loadu_ps(w + i0), maxV));
    if (i0 + 8 > n) {
      const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      const __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i0)), lane);
      e = _mm256_and_ps(e, _mm256_castsi256_ps(live));
    }
    _mm256_storeu_ps(w + i0, e);
    sumV = _mm256_add_ps(sumV, e);
  }
  const float inv = 1.0f / horizontalSum(sumV);
  // Weighted sum of the value rows, two positions per iteration into independent accumulators.
  __m256 o0[CH], o1[CH];
  for (int c = 0; c < CH; ++c) o0[c] = o1[c] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const __m256 w0 = _mm256_set1_ps(w[i]), w1 = _mm256_set1_ps(w[i + 1]);
    const float* v0 = v + index[i] * vS;
    const float* v1 = v + index[i + 1] * vS;
    if (nextV) for (int c = 0; c < CH; c += 2) {
      _mm_prefetch(reinterpret_cast<const char*>(nextV + index[i] * vS + 8 * c), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(nextV + index[i + 1] * vS + 8 * c), _MM_HINT_T0);
    }
    for (int c = 0; c < CH; ++c) {
      o0[c] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(v0 + 8 * c), o0[c]);
      o1[c] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(v1 + 8 * c), o1[c]);
    }
  }
  if (i < n) {
    const __m256 w0 = _mm256_set1_ps(w[i]);
    const float* v0 = v + index[i] * vS;
    for (int c = 0; c < CH; ++c) o0[c] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(v0 + 8 * c), o0[c]);
  }
  const __m256 invV = _mm256_set1_ps(inv);
  for (int c = 0; c < CH; ++c) _mm256_storeu_ps(out + 8 * c, _mm256_mul_ps(_mm256_add_ps(o0[c], o1[c]), invV));
}

using AttendFn = void (*)(const float*, const float*, int64_t, const float*, int64_t, const int64_t*, int64_t,
                          float, float*, float*, const float*, const float*);

AttendFn avx2Kernel(int64_t Dh) {
  switch (Dh) {
    case 8: return &attendAvx2<1>;
    case 16: return &attendAvx2<2>;
    case 24: return &attendAvx2<3>;
    case 32: return &attendAvx2<4>;
    case 40: return &attendAvx2<5>;
    case 48: return &attendAvx2<6>;
    case 56: return &attendAvx2<7>;
    case 64: return &attendAvx2<8>;
    case 80: return &attendAvx2<10>;
    case 96: return &attendAvx2<12>;
    case 128: return &attendAvx2<16>;
    default: return nullptr;
  }
}

bool cpuHasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

#endif  // TB_HAVE_AVX2_PATH

}  // namespace

bool decodeStepAttentionHasAvx2() {
#if TB_HAVE_AVX2_PATH
  return cpuHasAvx2();
#else
  return false;
#endif
}

void decodeStepAttention(const DecodeStepAttentionArgs& a) {
  TORCH_CHECK(a.batch >= 0 && a.tokens >= 1 && a.heads >= 1 && a.headDim >= 1 && a.start >= 0,
              "decodeStepAttention: bad sizes");
  const int64_t T = a.tokens, H = a.heads, Dh = a.headDim, span = a.start + T;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(Dh)));
#if TB_HAVE_AVX2_PATH
  const AttendFn avx2 = cpuHasAvx2() ? avx2Kernel(Dh) : nullptr;
#endif
  // About 16k multiply-adds of the dot products per task.
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, span * Dh));
  auto work = [&](int64_t begin, int64_t end) {
    thread_local Scratch scratch;
    if (static_cast<int64_t>(scratch.index.size()) < span) scratch.index.resize(static_cast<size_t>(span));
    if (static_cast<int64_t>(scratch.weight.size()) < span + 8) scratch.weight.resize(static_cast<size_t>(span + 8));
    int64_t* index = scratch.index.data();
    float* w = scratch.weight.data();
    int64_t queryOfIndex = -1, n = 0;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t query = item / H, h = item % H;  // query = b * T + t
      const int64_t b = query / T, t = query % T;
      if (query != queryOfIndex) {  // the positions a query sees are shared by its heads
        const uint8_t* m = a.valid + b * a.mB;
        const int64_t self = a.start + t;
        n = 0;
        for (int64_t s = 0; s < self; ++s)
          if (m[s * a.mS]) index[n++] = s;
        if (a.attendSelf || m[self * a.mS]) index[n++] = self;
        queryOfIndex = query;
      }
      float* o = a.out + b * a.oB + t * a.oT + h * a.oH;
      if (n == 0) {
        std::fill(o, o + Dh, 0.0f);
        continue;
      }
      const float* q = a.q + b * a.qB + t * a.qT + h * a.qH;
      const float* k = a.keys + b * a.kB + h * a.kH;
      const float* v = a.values + b * a.vB + h * a.vH;
#if TB_HAVE_AVX2_PATH
      if (avx2) {
        // The next item's cache rows are prefetched while this one is computed.
        const int64_t nb = (item + 1) / H / T, nh = (item + 1) % H;
        const bool hasNext = item + 1 < end;
        avx2(q, k, a.kS, v, a.vS, index, n, scale, w, o, hasNext ? a.keys + nb * a.kB + nh * a.kH : nullptr,
             hasNext ? a.values + nb * a.vB + nh * a.vH : nullptr);
        continue;
      }
#endif
      attendPortable(q, k, a.kS, v, a.vS, index, n, Dh, scale, w, o);
    }
  };
  const int64_t items = a.batch * T * H;
  if (items <= grain || at::get_num_threads() == 1) work(0, items);
  else at::parallel_for(0, items, grain, work);
}

torch::Tensor decodeStepAttention(const torch::Tensor& q, const torch::Tensor& keys,
                                  const torch::Tensor& values, const torch::Tensor& valid,
                                  int64_t length, bool attendSelf) {
  TORCH_CHECK(q.dim() == 3 && keys.dim() == 4 && values.sizes() == keys.sizes(),
              "decodeStepAttention: q [B,H,Dh], keys / values [B,H,C,Dh] expected, got ", q.sizes(), ", ",
              keys.sizes(), ", ", values.sizes());
  TORCH_CHECK(q.size(0) == keys.size(0) && q.size(1) == keys.size(1) && q.size(2) == keys.size(3),
              "decodeStepAttention: q ", q.sizes(), " does not match keys ", keys.sizes());
  TORCH_CHECK(q.device().is_cpu() && keys.device().is_cpu() && values.device().is_cpu() && valid.device().is_cpu(),
              "decodeStepAttention: CPU tensors only");
  TORCH_CHECK(q.scalar_type() == torch::kFloat && keys.scalar_type() == torch::kFloat &&
                  values.scalar_type() == torch::kFloat,
              "decodeStepAttention: float32 only");
  TORCH_CHECK(keys.stride(3) == 1 && values.stride(3) == 1, "decodeStepAttention: cache rows must be contiguous");
  TORCH_CHECK(valid.dim() == 2 && valid.size(0) == q.size(0) && valid.size(1) >= length &&
                  (valid.scalar_type() == torch::kBool || valid.scalar_type() == torch::kByte),
              "decodeStepAttention: valid must be [B, >= length] bool or uint8, got ", valid.sizes());
  TORCH_CHECK(length >= 1 && length <= keys.size(2), "decodeStepAttention: length ", length, " outside [1, ",
              keys.size(2), "]");
  TORCH_CHECK(!q.requires_grad() && !keys.requires_grad() && !values.requires_grad(),
              "decodeStepAttention is inference only (no autograd)");
  const auto qc = q.contiguous();
  auto out = torch::empty(q.sizes(), q.options());
  DecodeStepAttentionArgs args;
  args.q = qc.data_ptr<float>();
  args.qB = qc.stride(0);
  args.qT = 0;
  args.qH = qc.stride(1);
  args.keys = keys.data_ptr<float>();
  args.kB = keys.stride(0);
  args.kH = keys.stride(1);
  args.kS = keys.stride(2);
  args.values = values.data_ptr<float>();
  args.vB = values.stride(0);
  args.vH = values.stride(1);
  args.vS = values.stride(2);
  args.valid = static_cast<const uint8_t*>(valid.data_ptr());
  args.mB = valid.stride(0);
  args.mS = valid.stride(1);
  args.out = out.data_ptr<float>();
  args.oB = out.stride(0);
  args.oT = 0;
  args.oH = out.stride(1);
  args.batch = q.size(0);
  args.heads = q.size(1);
  args.headDim = q.size(2);
  args.tokens = 1;
  args.start = length - 1;
  args.attendSelf = attendSelf;
  decodeStepAttention(args);
  return out;
}

}  // namespace tb
