// CUDA paths of the fused kernels (kernels/cuda/) against their plain references on the GPU and
// against the CPU paths: fusedTokenScores forward and gradients in float32 (the reference in
// double), float64, bfloat16 and float16 logits, rows read in place with a row stride, -inf logits,
// bad targets; the real vocabulary (V = 151,936, 8 x 1,024 rows) with the peak CUDA memory and
// time of fused against the plain composition; decodeAttention against referenceDecodeAttention
// (random shapes, left padding, holes, positions beyond length, an all-invalid row, bf16 / half,
// Dh above the kernel's limit falling back). Registered only in CUDA builds, label gpu
// (tests/gpu/run.sh); skipped when no GPU is visible.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <torch/cuda.h>

#include <QtTest>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "kernels/DecodeAttention.h"
#include "kernels/FusedTokenScores.h"
#include "tests/KernelTestSupport.h"

namespace tb {
namespace {

constexpr double kTol = 1e-5;
const torch::Device kCuda(torch::kCUDA, 0);

// N = 1, V = 1, V below / at / above the CPU chunk and the kernels' vector widths (odd V: rows
// off 16-byte boundaries), leading [B, L].
const std::vector<std::vector<int64_t>> kShapes{{1, 1},    {4, 1},     {1, 7},     {5, 33},
                                                {3, 4096}, {3, 4097},  {2, 10000}, {2, 3, 50},
                                                {2, 2, 5000}, {64, 1000}, {7, 32003}};

std::vector<torch::Tensor> outputs(const FusedScores& s) {
  return {s.logprobs, s.entropies, s.meanLogSoftmax};
}

// d(sum_k w_k . output_k)/dz through fusedTokenScores or the reference, for the outputs in mask.
torch::Tensor gradOf(bool fused, const torch::Tensor& z0, torch::ScalarType type,
                     const torch::Tensor& targets, const std::vector<torch::Tensor>& upstream,
                     const std::vector<bool>& mask) {
  const auto z = z0.to(type).detach().requires_grad_(true);
  const auto s = fused ? fusedTokenScores(z, targets) : referenceTokenScores(z, targets);
  const auto outs = outputs(s);
  std::vector<torch::Tensor> chosen, grads;
  for (int k = 0; k < 3; ++k)
    if (mask[k]) {
      chosen.push_back(outs[k]);
      grads.push_back(upstream[k].to(outs[k].options()));
    }
  return torch::autograd::grad(chosen, {z}, grads)[0];
}

// Peak bytes the CUDA caching allocator handed out while f ran, above what was allocated before
// (allocated_bytes, stat type 0 = all pools; the same layout in LibTorch 1.x and 2.x).
int64_t peakCudaBytes(const std::function<void()>& f) {
  namespace alloc = c10::cuda::CUDACachingAllocator;
  torch::cuda::synchronize();
  const int64_t before = alloc::getDeviceStats(0).allocated_bytes[0].current;
  alloc::resetPeakStats(0);
  f();
  torch::cuda::synchronize();
  return alloc::getDeviceStats(0).allocated_bytes[0].peak - before;
}

double millisecondsOf(const std::function<void()>& f, int repeats) {
  f();  // warm-up
  torch::cuda::synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) f();
  torch::cuda::synchronize();
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / repeats;
}

struct DecodeCase {
  torch::Tensor q, keys, values, valid;
  int64_t length = 1;
};

// One decode step (as tests/test_kernels.cpp, on the CPU generator, then moved to the GPU): left
// padding of a random 0..length-1 positions per row, the last position valid, positions >= length
// random, with `holes` also random invalid positions inside the prefix.
DecodeCase randomDecodeCase(int64_t B, int64_t H, int64_t Dh, int64_t C, int64_t length, bool holes,
                            torch::Generator& gen) {
  DecodeCase c;
  c.length = length;
  c.q = torch::randn({B, H, 1, Dh}, gen, torch::kFloat).to(kCuda);
  c.keys = torch::randn({B, H, C, Dh}, gen, torch::kFloat).to(kCuda);
  c.values = torch::randn({B, H, C, Dh}, gen, torch::kFloat).to(kCuda);
  const auto pos = torch::arange(C, torch::kLong).unsqueeze(0);
  const auto pads = torch::randint(length, {B, 1}, gen, torch::kLong);
  auto valid = (pos >= pads) & (pos < length);
  if (holes) valid = valid & (torch::rand({B, C}, gen) < 0.7);
  valid = valid | ((pos >= length) & (torch::rand({B, C}, gen) < 0.5)) | (pos == length - 1);
  c.valid = valid.to(kCuda);
  return c;
}

int64_t randomInt(int64_t lo, int64_t hi, torch::Generator& gen) {  // uniform in [lo, hi]
  return torch::randint(lo, hi + 1, {1}, gen, torch::kLong).item<int64_t>();
}

}  // namespace

class TestKernelsCuda : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    if (!torch::cuda::is_available()) QSKIP("no CUDA device visible: the gpu tests need one");
    qInfo("CUDA devices: %d", static_cast<int>(torch::cuda::device_count()));
  }

  // ---- fusedTokenScores (kernels/cuda/FusedTokenScores.cu) ----

  void tokenScoresMatchReference() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/7);
    for (const auto& shape : kShapes) {
      const auto zCpu = randomLogits(shape, gen);
      const auto targetsCpu = randomTargets(shape, gen);
      const auto z = zCpu.to(kCuda), targets = targetsCpu.to(kCuda);
      const auto fused = fusedTokenScores(z, targets);
      const auto ref64 = referenceTokenScores(z.to(torch::kDouble), targets);
      const auto cpu = fusedTokenScores(zCpu, targetsCpu);  // the CPU path
      const std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
      const auto f = outputs(fused), r = outputs(ref64), c = outputs(cpu);
      for (int k = 0; k < 3; ++k) {
        QVERIFY(f[k].is_cuda());
        QCOMPARE(f[k].scalar_type(), torch::kFloat);
        QCOMPARE(f[k].sizes().vec(), leading);
        const double errRef = elementRelErr(f[k], r[k]), errCpu = elementRelErr(f[k], c[k]);
        QVERIFY2(errRef <= kTol && errCpu <= kTol,
                 qPrintable(QStringLiteral("shape %1, output %2: rel err %3 (double reference), %4 "
                                           "(CPU path)")
                                .arg(QString::fromStdString(c10::str(shape)))
                                .arg(k).arg(errRef).arg(errCpu)));
      }
    }
  }

  void tokenScoreGradientsMatchReference() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/9);
    const std::vector<std::vector<bool>> masks{{true, true, true}, {true, false, false},
                                               {false, true, false}, {false, false, true},
                                               {true, false, true}};
    for (const auto& shape : kShapes) {
      const auto zCpu = randomLogits(shape, gen);
      const auto targetsCpu = randomTargets(shape, gen);
      const auto z = zCpu.to(kCuda), targets = targetsCpu.to(kCuda);
      const std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
      for (const auto& mask : masks) {
        std::vector<torch::Tensor> upstreamCpu, upstream;
        for (int k = 0; k < 3; ++k) {
          upstreamCpu.push_back(torch::randn(leading, gen, torch::kFloat));
          upstream.push_back(upstreamCpu.back().to(kCuda));
        }
        const auto fused = gradOf(true, z, torch::kFloat, targets, upstream, mask);
        const auto ref = gradOf(false, z, torch::kDouble, targets, upstream, mask);
        const auto cpu = gradOf(true, zCpu, torch::kFloat, targetsCpu, upstreamCpu, mask);
        QCOMPARE(fused.sizes(), z.sizes());
        QCOMPARE(fused.scalar_type(), torch::kFloat);
        QVERIFY(fused.is_cuda());
        double scale = 0;
        for (int k = 0; k < 3; ++k)
          if (mask[k]) scale = std::max(scale, upstreamCpu[k].abs().max().item<double>());
        const double errRef = normRelErr(fused, ref, scale), errCpu = normRelErr(fused, cpu, scale);
        QVERIFY2(errRef <= kTol && errCpu <= kTol,
                 qPrintable(QStringLiteral("shape %1, mask %2%3%4: rel err %5 (double reference), "
                                           "%6 (CPU path)")
                                .arg(QString::fromStdString(c10::str(shape)))
                                .arg(mask[0]).arg(mask[1]).arg(mask[2]).arg(errRef).arg(errCpu)));
        // float64 logits on the GPU: the kernel in double agrees with autograd to rounding.
        QVERIFY(normRelErr(gradOf(true, z, torch::kDouble, targets, upstream, mask), ref, scale) <= 1e-12);
      }
    }
  }

  void tokenScoresDoubleAndHalfPrecision() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/12);
    const std::vector<bool> all{true, true, true};
    for (const auto& shape : kShapes) {
      const auto z32 = randomLogits(shape, gen).to(kCuda);
      const auto targets = randomTargets(shape, gen).to(kCuda);
      const std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
      std::vector<torch::Tensor> upstream;
      for (int k = 0; k < 3; ++k) upstream.push_back(torch::randn(leading, gen, torch::kFloat).to(kCuda));
      double scale = 0;
      for (const auto& u : upstream) scale = std::max(scale, u.abs().max().item<double>());

      const auto f64 = fusedTokenScores(z32.to(torch::kDouble), targets);
      const auto r64 = referenceTokenScores(z32.to(torch::kDouble), targets);
      for (int k = 0; k < 3; ++k) {
        QCOMPARE(outputs(f64)[k].scalar_type(), torch::kDouble);
        QVERIFY(elementRelErr(outputs(f64)[k], outputs(r64)[k]) <= 1e-12);
      }
      for (auto type : {torch::kBFloat16, torch::kHalf}) {
        // The kernel reads the half-precision logits exactly and accumulates in float / double:
        // its float32 scores match the double reference of those same logits to float accuracy.
        const auto zh = z32.to(type);
        const auto fh = fusedTokenScores(zh, targets);
        const auto rh = referenceTokenScores(zh.to(torch::kDouble), targets);
        for (int k = 0; k < 3; ++k) {
          QCOMPARE(outputs(fh)[k].scalar_type(), torch::kFloat);
          const double err = elementRelErr(outputs(fh)[k], outputs(rh)[k]);
          QVERIFY2(err <= kTol, qPrintable(QStringLiteral("%1 shape %2 output %3: rel err %4")
                                               .arg(type == torch::kHalf ? "half" : "bf16")
                                               .arg(QString::fromStdString(c10::str(shape)))
                                               .arg(k).arg(err)));
        }
        // The gradient is rounded to the logits' type: 8 (bf16) or 11 (half) significant bits.
        const auto gh = gradOf(true, zh, type, targets, upstream, all);
        QCOMPARE(gh.scalar_type(), type);
        const auto gRef = gradOf(false, zh.to(torch::kDouble), torch::kDouble, targets, upstream, all);
        const double err = normRelErr(gh, gRef, scale);
        const double tol = type == torch::kBFloat16 ? 8e-3 : 1e-3;
        QVERIFY2(err <= tol, qPrintable(QStringLiteral("%1 gradient shape %2: rel err %3")
                                            .arg(type == torch::kHalf ? "half" : "bf16")
                                            .arg(QString::fromStdString(c10::str(shape)))
                                            .arg(err)));
      }
    }
  }

  void tokenScoresReadStridedRowsInPlace() {
    // A [N, V] slice of wider logits: the kernel reads it with its row stride (no copy) and agrees
    // with the contiguous copy, values and gradient (to rounding: the rows sit off 16-byte
    // boundaries, so the threads sum the elements in another order).
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/13);
    const auto wide = torch::randn({6, 5003}, gen, torch::kFloat).mul_(3.0f).to(kCuda);
    const auto targets = torch::randint(4999, {6}, gen, torch::kLong).to(kCuda);
    const auto slice = wide.narrow(1, 1, 4999);  // rows 5003 apart, first row off alignment
    QVERIFY(!slice.is_contiguous());
    const auto a = fusedTokenScores(slice, targets), b = fusedTokenScores(slice.contiguous(), targets);
    for (int k = 0; k < 3; ++k) QVERIFY(elementRelErr(outputs(a)[k], outputs(b)[k]) <= 1e-6);
    const std::vector<torch::Tensor> up{torch::ones({6}, kCuda), torch::ones({6}, kCuda), torch::ones({6}, kCuda)};
    const std::vector<bool> all{true, true, true};
    QVERIFY(normRelErr(gradOf(true, slice, torch::kFloat, targets, up, all),
                       gradOf(true, slice.contiguous(), torch::kFloat, targets, up, all)) <= 1e-6);
  }

  void tokenScoresNegativeInfinityAndGolden() {
    const double inf = std::numeric_limits<double>::infinity();
    const auto z = torch::tensor({0.0, -inf, std::log(3.0)}, torch::kFloat).view({1, 3}).to(kCuda);
    const auto s = fusedTokenScores(z, torch::tensor({int64_t(2)}, torch::kLong).to(kCuda));
    QVERIFY(std::abs(s.logprobs.item<double>() - std::log(0.75)) <= 1e-6);
    QVERIFY(std::abs(s.entropies.item<double>() + 0.25 * std::log(0.25) + 0.75 * std::log(0.75)) <= 1e-6);
    QVERIFY(std::isinf(s.meanLogSoftmax.item<double>()));
    // A row that is -inf but for its last logit (the max is found late by most threads).
    auto row = torch::full({1, 3000}, -inf, torch::kFloat);
    row[0][2999] = 5.0f;
    const auto one = fusedTokenScores(row.to(kCuda), torch::tensor({int64_t(2999)}, torch::kLong).to(kCuda));
    QVERIFY(std::abs(one.logprobs.item<double>()) <= 1e-7);
    QVERIFY(std::abs(one.entropies.item<double>()) <= 1e-7);
  }

  void tokenScoresRejectBadTargets() {
    const auto z = torch::zeros({2, 5}, kCuda);
    QVERIFY(throwsC10([&] { fusedTokenScores(z, torch::tensor({0, 5}, torch::kLong).to(kCuda)); }));
    QVERIFY(throwsC10([&] { fusedTokenScores(z, torch::tensor({-1, 0}, torch::kLong).to(kCuda)); }));
    QVERIFY(throwsC10([&] { fusedTokenScores(z, torch::tensor({0, 1}, torch::kLong)); }));  // device
    QVERIFY(!throwsC10([&] { fusedTokenScores(z, torch::tensor({0, 4}, torch::kLong).to(kCuda)); }));
  }

  // The real vocabulary: Qwen's V = 151,936 over N = 8 x 1,024 rows, forward and backward.
  // Values and gradients against the double reference (computed 1,024 rows at a time, rows being
  // independent), the peak CUDA memory and the time of fused against the plain composition.
  void tokenScoresRealVocabulary() {
    const int64_t rows = 8 * 1024, vocab = 151936, block = 1024;
    torch::manual_seed(20240612);
    const auto z = torch::randn({rows, vocab}, torch::TensorOptions().device(kCuda)).mul_(3.0f);
    const auto targets = torch::randint(vocab, {rows}, torch::TensorOptions().device(kCuda).dtype(torch::kLong));
    std::vector<torch::Tensor> upstream;
    for (int k = 0; k < 3; ++k) upstream.push_back(torch::randn({rows}, torch::TensorOptions().device(kCuda)));
    const std::vector<bool> all{true, true, true};

    torch::Tensor fusedGrad;
    FusedScores fused;
    const int64_t fusedPeak = peakCudaBytes([&] {
      const auto zg = z.detach().requires_grad_(true);
      fused = fusedTokenScores(zg, targets);
      fusedGrad = torch::autograd::grad(outputs(fused), {zg}, upstream)[0];
    });
    double worstValue = 0, worstGrad = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += block) {
      const auto zb = z.narrow(0, r0, block), tb = targets.narrow(0, r0, block);
      const auto ref = referenceTokenScores(zb.to(torch::kDouble), tb);
      for (int k = 0; k < 3; ++k)
        worstValue = std::max(worstValue, elementRelErr(outputs(fused)[k].narrow(0, r0, block), outputs(ref)[k]));
      std::vector<torch::Tensor> ub;
      for (const auto& u : upstream) ub.push_back(u.narrow(0, r0, block));
      const auto g = gradOf(false, zb, torch::kDouble, tb, ub, all);
      double scale = 0;
      for (const auto& u : ub) scale = std::max(scale, u.abs().max().item<double>());
      worstGrad = std::max(worstGrad, normRelErr(fusedGrad.narrow(0, r0, block), g, scale));
    }
    fusedGrad = torch::Tensor();
    qInfo("V %lld, N %lld: worst rel err %.3g (values), %.3g (gradient, normwise per block)",
          static_cast<long long>(vocab), static_cast<long long>(rows), worstValue, worstGrad);
    QVERIFY(worstValue <= kTol);
    QVERIFY(worstGrad <= kTol);

    const int64_t referencePeak = peakCudaBytes([&] {
      const auto zg = z.detach().requires_grad_(true);
      const auto s = referenceTokenScores(zg, targets);
      torch::autograd::grad(outputs(s), {zg}, upstream);
    });
    const double gradBytes = 4.0 * rows * vocab;
    qInfo("peak CUDA memory, forward + backward: fused %.2f GB, reference %.2f GB (%.1fx); the "
          "gradient alone is %.2f GB",
          fusedPeak / 1e9, referencePeak / 1e9, double(referencePeak) / double(fusedPeak), gradBytes / 1e9);
    // Fused: the gradient plus [N]-sized outputs and saved statistics (and allocator rounding).
    QVERIFY2(fusedPeak <= gradBytes + 64.0 * rows + (64 << 20),
             qPrintable(QStringLiteral("fused peak %1 B").arg(fusedPeak)));
    QVERIFY(referencePeak >= 2 * gradBytes);

    auto fusedStep = [&] {
      const auto zg = z.detach().requires_grad_(true);
      torch::autograd::grad(outputs(fusedTokenScores(zg, targets)), {zg}, upstream);
    };
    auto referenceStep = [&] {
      const auto zg = z.detach().requires_grad_(true);
      torch::autograd::grad(outputs(referenceTokenScores(zg, targets)), {zg}, upstream);
    };
    auto fusedForward = [&] { torch::NoGradGuard g; fusedTokenScores(z, targets); };
    auto referenceForward = [&] { torch::NoGradGuard g; referenceTokenScores(z, targets); };
    const double ff = millisecondsOf(fusedForward, 5), rf = millisecondsOf(referenceForward, 5);
    const double fb = millisecondsOf(fusedStep, 5), rb = millisecondsOf(referenceStep, 5);
    qInfo("time, V %lld x N %lld float32: forward fused %.2f ms, reference %.2f ms (%.1fx); "
          "forward + backward fused %.2f ms, reference %.2f ms (%.1fx); logits %.2f GB",
          static_cast<long long>(vocab), static_cast<long long>(rows), ff, rf, rf / ff, fb, rb, rb / fb,
          gradBytes / 1e9);

    // bf16 logits of the same size (what a GPU model produces): float32 scores, bf16 gradient.
    const auto zh = z.to(torch::kBFloat16);
    const auto fh = fusedTokenScores(zh, targets);
    const auto rh = referenceTokenScores(zh.narrow(0, 0, block).to(torch::kDouble), targets.narrow(0, 0, block));
    double worstBf16 = 0;
    for (int k = 0; k < 3; ++k)
      worstBf16 = std::max(worstBf16, elementRelErr(outputs(fh)[k].narrow(0, 0, block), outputs(rh)[k]));
    const double fbh = millisecondsOf([&] {
      const auto zg = zh.detach().requires_grad_(true);
      torch::autograd::grad(outputs(fusedTokenScores(zg, targets)), {zg}, upstream);
    }, 5);
    qInfo("bf16 logits: worst rel err %.3g (first %lld rows, double reference of the bf16 "
          "values), forward + backward %.2f ms", worstBf16, static_cast<long long>(block), fbh);
    QVERIFY(worstBf16 <= kTol);
  }

  // ---- decodeAttention (kernels/cuda/DecodeAttention.cu) ----

  void decodeMatchesReferenceRandomShapes() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/21);
    double worst = 0;
    for (int trial = 0; trial < 80; ++trial) {
      const int64_t B = randomInt(1, 8, gen), H = randomInt(1, 8, gen);
      const int64_t Dh = trial % 7 == 0 ? 256 : trial % 7 == 1 ? 33 : randomInt(8, 128, gen);
      const int64_t C = trial == 0 ? 1 : trial == 3 ? 3000 : randomInt(1, 600, gen);
      const int64_t length = trial == 1 ? 1 : trial == 2 ? C : randomInt(1, C, gen);
      const bool holes = trial % 3 == 2;
      auto c = randomDecodeCase(B, H, Dh, C, length, holes, gen);
      if (trial % 4 == 1) c.valid = c.valid.to(torch::kByte);
      torch::Tensor q = c.q;
      if (trial % 5 == 3) q = c.q.squeeze(2);
      if (trial % 5 == 4) q = torch::randn({B, 1, 3, H, Dh}, gen, torch::kFloat).to(kCuda).permute({2, 0, 3, 1, 4})[0];
      const auto fused = decodeAttention(q, c.keys, c.values, c.valid, length);
      const auto ref64 = referenceDecodeAttention(q.to(torch::kDouble), c.keys.to(torch::kDouble),
                                                  c.values.to(torch::kDouble), c.valid, length);
      const auto cpu = decodeAttention(q.cpu(), c.keys.cpu(), c.values.cpu(), c.valid.cpu(), length);
      QVERIFY(fused.is_cuda());
      QCOMPARE(fused.sizes().vec(), q.sizes().vec());
      QVERIFY(allFinite(fused));
      const double err = elementRelErr(fused, ref64), errCpu = elementRelErr(fused, cpu);
      worst = std::max(worst, err);
      QVERIFY2(err <= kTol && errCpu <= kTol,
               qPrintable(QStringLiteral("B %1 H %2 Dh %3 C %4 length %5: rel err %6 (double "
                                         "reference), %7 (CPU path)")
                              .arg(B).arg(H).arg(Dh).arg(C).arg(length).arg(err).arg(errCpu)));
    }
    qInfo("80 random shapes: worst rel err %.3g against the double reference", worst);
  }

  void decodeIgnoresInvalidAndBeyondLength() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/22);
    const auto c = randomDecodeCase(4, 3, 64, 300, 237, /*holes=*/true, gen);
    const auto base = decodeAttention(c.q, c.keys, c.values, c.valid, c.length);
    auto k = c.keys.clone(), v = c.values.clone();
    const auto invalid = c.valid.narrow(1, 0, c.length).logical_not().view({4, 1, c.length, 1});
    k.narrow(2, 0, c.length).masked_fill_(invalid, std::nan(""));
    v.narrow(2, 0, c.length).masked_fill_(invalid, std::numeric_limits<double>::infinity());
    k.narrow(2, c.length, 300 - c.length).fill_(std::nan(""));
    v.narrow(2, c.length, 300 - c.length).fill_(1e30);
    QVERIFY(torch::equal(decodeAttention(c.q, k, v, c.valid, c.length), base));
  }

  void decodeFullyInvalidRowIsZero() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/24);
    auto c = randomDecodeCase(3, 4, 32, 700, 650, /*holes=*/false, gen);
    c.valid[1].fill_(false);
    const auto out = decodeAttention(c.q, c.keys, c.values, c.valid, c.length);
    QVERIFY(allFinite(out));
    QVERIFY(torch::equal(out[1], torch::zeros({4, 1, 32}, kCuda)));
    QVERIFY(out[0].abs().sum().item<double>() > 0);
    QVERIFY(elementRelErr(out, referenceDecodeAttention(c.q, c.keys, c.values, c.valid, c.length)) <= kTol);
  }

  void decodeHalfPrecisionAndFallback() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/25);
    for (auto type : {torch::kBFloat16, torch::kHalf}) {
      const auto c = randomDecodeCase(4, 8, 128, 500, 431, /*holes=*/true, gen);
      const auto q = c.q.to(type), k = c.keys.to(type), v = c.values.to(type);
      const auto out = decodeAttention(q, k, v, c.valid, c.length);
      QCOMPARE(out.scalar_type(), type);
      // Products and sums in float from the same half-precision inputs; only the output rounds.
      const auto ref = referenceDecodeAttention(q.to(torch::kDouble), k.to(torch::kDouble),
                                                v.to(torch::kDouble), c.valid, c.length);
      const double err = elementRelErr(out, ref);
      QVERIFY2(err <= (type == torch::kBFloat16 ? 8e-3 : 1e-3),
               qPrintable(QStringLiteral("%1: rel err %2").arg(type == torch::kHalf ? "half" : "bf16").arg(err)));
    }
    // Dh above the kernel's 256 and float64: the reference, on the GPU.
    const auto big = randomDecodeCase(2, 2, 300, 40, 33, /*holes=*/true, gen);
    const auto out = decodeAttention(big.q, big.keys, big.values, big.valid, big.length);
    QVERIFY(torch::equal(out, referenceDecodeAttention(big.q, big.keys, big.values, big.valid, big.length)));
    const auto d = randomDecodeCase(2, 2, 16, 40, 33, /*holes=*/true, gen);
    const auto d64 = decodeAttention(d.q.to(torch::kDouble), d.keys.to(torch::kDouble),
                                     d.values.to(torch::kDouble), d.valid, d.length);
    QCOMPARE(d64.scalar_type(), torch::kDouble);
    QVERIFY(elementRelErr(decodeAttention(d.q, d.keys, d.values, d.valid, d.length), d64) <= kTol);
  }

  void decodeTiming() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/26);
    // The small policy's decode (64 rows x 8 heads x 32, length 64) and a 0.5B-class model's
    // (64 rows x 14 heads x 64, length 2048).
    for (const auto& shape : std::vector<std::array<int64_t, 4>>{{64, 8, 32, 64}, {64, 14, 64, 2048}}) {
      const int64_t B = shape[0], H = shape[1], Dh = shape[2], length = shape[3];
      const auto c = randomDecodeCase(B, H, Dh, length + 8, length, /*holes=*/false, gen);
      const double fused = millisecondsOf([&] { decodeAttention(c.q, c.keys, c.values, c.valid, length); }, 200);
      const double ref = millisecondsOf([&] { referenceDecodeAttention(c.q, c.keys, c.values, c.valid, length); }, 200);
      qInfo("decode %lld x %lld heads x %lld, length %lld: fused %.1f us, reference %.1f us (%.1fx)",
            static_cast<long long>(B), static_cast<long long>(H), static_cast<long long>(Dh),
            static_cast<long long>(length), fused * 1e3, ref * 1e3, ref / fused);
      QVERIFY(std::isfinite(fused) && std::isfinite(ref));
    }
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestKernelsCuda)
#include "test_kernels_cuda.moc"
