// Fused kernels against their plain references (kernels/): fusedTokenScores forward and backward
// against the log_softmax / gather / entropy composition computed in double, a finite-difference
// check in double, a hand-computed golden row, and the memory / speed bench on a tiny size;
// decodeAttention against referenceDecodeAttention (random shapes and padding, a golden, ignored
// positions, an all-invalid row, bad input) and its speed bench on a tiny size.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <c10/core/CPUAllocator.h>

#include "kernels/CpuAllocationMeter.h"
#include "kernels/DecodeAttention.h"
#include "kernels/FusedTokenScores.h"
#include "kernels/TokenScoresBench.h"
#include "tests/KernelTestSupport.h"

namespace tb {
namespace {

constexpr double kTol = 1e-5;

// The shapes the tests run: N = 1, V = 1, V below / at / above the chunk of 4096, leading [B, L].
const std::vector<std::vector<int64_t>> kShapes{
    {1, 1}, {4, 1}, {1, 7}, {5, 33}, {3, 4096}, {3, 4097}, {2, 10000}, {2, 3, 50}, {2, 2, 5000}};

// One decode step's inputs for decodeAttention: q [B,H,1,Dh], cache keys/values [B,H,C,Dh],
// valid [B,C] with row b left-padded by a random 0..length-1 positions, the last position
// (length-1) valid, positions >= length random (they must be ignored); with `holes` also random
// invalid positions inside the prefix.
struct DecodeCase {
  torch::Tensor q, keys, values, valid;
  int64_t length = 1;
};

int64_t randomInt(int64_t lo, int64_t hi, torch::Generator& gen) {  // uniform in [lo, hi]
  return torch::randint(lo, hi + 1, {1}, gen, torch::kLong).item<int64_t>();
}

DecodeCase randomDecodeCase(int64_t B, int64_t H, int64_t Dh, int64_t C, int64_t length, bool holes,
                            torch::Generator& gen) {
  DecodeCase c;
  c.length = length;
  c.q = torch::randn({B, H, 1, Dh}, gen, torch::kFloat);
  c.keys = torch::randn({B, H, C, Dh}, gen, torch::kFloat);
  c.values = torch::randn({B, H, C, Dh}, gen, torch::kFloat);
  const auto pos = torch::arange(C, torch::kLong).unsqueeze(0);
  const auto pads = torch::randint(length, {B, 1}, gen, torch::kLong);
  auto valid = (pos >= pads) & (pos < length);
  if (holes) valid = valid & (torch::rand({B, C}, gen) < 0.7);
  valid = valid | ((pos >= length) & (torch::rand({B, C}, gen) < 0.5)) | (pos == length - 1);
  c.valid = valid;
  return c;
}

}  // namespace

class TestKernels : public QObject {
  Q_OBJECT

 private slots:
  void forwardMatchesReference() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/7);
    for (const auto& shape : kShapes) {
      const auto z = randomLogits(shape, gen);
      const auto targets = randomTargets(shape, gen);
      const auto fused = fusedTokenScores(z, targets);
      const auto ref64 = referenceTokenScores(z.to(torch::kDouble), targets);
      const auto ref32 = referenceTokenScores(z, targets);
      const std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
      QCOMPARE(fused.logprobs.sizes().vec(), leading);
      QCOMPARE(fused.entropies.sizes().vec(), leading);
      QCOMPARE(fused.meanLogSoftmax.sizes().vec(), leading);
      QCOMPARE(fused.logprobs.scalar_type(), torch::kFloat);
      const std::vector<std::pair<torch::Tensor, torch::Tensor>> pairs{
          {fused.logprobs, ref64.logprobs}, {fused.entropies, ref64.entropies},
          {fused.meanLogSoftmax, ref64.meanLogSoftmax}, {fused.logprobs, ref32.logprobs},
          {fused.entropies, ref32.entropies}, {fused.meanLogSoftmax, ref32.meanLogSoftmax}};
      for (size_t k = 0; k < pairs.size(); ++k) {
        const double err = elementRelErr(pairs[k].first, pairs[k].second);
        QVERIFY2(err <= kTol, qPrintable(QStringLiteral("shape %1, output %2 (%3): rel err %4")
                                             .arg(QString::fromStdString(c10::str(shape)))
                                             .arg(k % 3)
                                             .arg(k < 3 ? "double ref" : "float ref")
                                             .arg(err)));
      }
    }
  }

  void forwardHandlesNonContiguousAndDouble() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/8);
    const auto zt = torch::randn({300, 6}, gen, torch::kFloat).t();  // [6, 300], not contiguous
    const auto targets = torch::randint(300, {6}, gen, torch::kLong);
    const auto fused = fusedTokenScores(zt, targets);
    const auto ref = referenceTokenScores(zt.to(torch::kDouble), targets);
    QVERIFY(elementRelErr(fused.logprobs, ref.logprobs) <= kTol);
    QVERIFY(elementRelErr(fused.entropies, ref.entropies) <= kTol);
    const auto fused64 = fusedTokenScores(zt.to(torch::kDouble), targets);
    QCOMPARE(fused64.entropies.scalar_type(), torch::kDouble);
    QVERIFY(elementRelErr(fused64.logprobs, ref.logprobs) <= 1e-12);
    QVERIFY(elementRelErr(fused64.entropies, ref.entropies) <= 1e-12);
    QVERIFY(elementRelErr(fused64.meanLogSoftmax, ref.meanLogSoftmax) <= 1e-12);
  }

  void backwardMatchesReferenceAutograd() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/9);
    // Which outputs receive an upstream gradient: all, each alone, and pairs (the others undefined).
    const std::vector<std::vector<bool>> masks{{true, true, true}, {true, false, false},
                                               {false, true, false}, {false, false, true},
                                               {true, false, true}, {false, true, true}};
    for (const auto& shape : kShapes) {
      const auto z0 = randomLogits(shape, gen);
      const auto targets = randomTargets(shape, gen);
      const std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
      for (const auto& mask : masks) {
        std::vector<torch::Tensor> upstream;
        for (int k = 0; k < 3; ++k) upstream.push_back(torch::randn(leading, gen, torch::kFloat));
        auto gradOf = [&](bool fusedPath, torch::ScalarType type) {
          const auto z = z0.to(type).detach().requires_grad_(true);
          const auto s = fusedPath ? fusedTokenScores(z, targets) : referenceTokenScores(z, targets);
          const std::vector<torch::Tensor> outs{s.logprobs, s.entropies, s.meanLogSoftmax};
          std::vector<torch::Tensor> chosen, grads;
          for (int k = 0; k < 3; ++k)
            if (mask[k]) {
              chosen.push_back(outs[k]);
              grads.push_back(upstream[k].to(type));
            }
          return torch::autograd::grad(chosen, {z}, grads)[0];
        };
        const auto fused = gradOf(true, torch::kFloat);
        const auto ref = gradOf(false, torch::kDouble);
        QCOMPARE(fused.sizes(), z0.sizes());
        QCOMPARE(fused.scalar_type(), torch::kFloat);
        double upstreamScale = 0;
        for (int k = 0; k < 3; ++k)
          if (mask[k]) upstreamScale = std::max(upstreamScale, upstream[k].abs().max().item<double>());
        const double err = normRelErr(fused, ref, upstreamScale);
        QVERIFY2(err <= kTol,
                 qPrintable(QStringLiteral("shape %1, mask %2%3%4: rel err %5")
                                .arg(QString::fromStdString(c10::str(shape)))
                                .arg(mask[0]).arg(mask[1]).arg(mask[2]).arg(err)));
        // The fused path in double agrees with autograd of the composition to rounding.
        QVERIFY(normRelErr(gradOf(true, torch::kDouble), ref, upstreamScale) <= 1e-12);
      }
    }
  }

  void backwardSumsRepeatedUses() {
    // The outputs feed a loss twice; autograd sums the incoming gradients before our backward.
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/10);
    const auto z = torch::randn({4, 9}, gen, torch::kDouble).requires_grad_(true);
    const auto targets = torch::randint(9, {4}, gen, torch::kLong);
    const auto f = fusedTokenScores(z, targets);
    const auto loss = f.logprobs.sum() + 2 * f.logprobs.sum() - f.entropies.pow(2).sum();
    const auto g = torch::autograd::grad({loss}, {z})[0];
    const auto r = referenceTokenScores(z, targets);
    const auto lossRef = 3 * r.logprobs.sum() - r.entropies.pow(2).sum();
    const auto gRef = torch::autograd::grad({lossRef}, {z})[0];
    QVERIFY(normRelErr(g, gRef) <= 1e-12);
  }

  void finiteDifferencesInDouble() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/11);
    const int64_t rows = 3, vocab = 7;
    const auto z0 = torch::randn({rows, vocab}, gen, torch::kDouble).mul_(2.0);
    const auto targets = torch::randint(vocab, {rows}, gen, torch::kLong);
    const auto w = torch::randn({3, rows}, gen, torch::kDouble);
    auto loss = [&](const torch::Tensor& z) {
      const auto s = fusedTokenScores(z, targets);
      return (w[0] * s.logprobs + w[1] * s.entropies + w[2] * s.meanLogSoftmax).sum();
    };
    const auto z = z0.clone().requires_grad_(true);
    const auto analytic = torch::autograd::grad({loss(z)}, {z})[0];
    torch::NoGradGuard noGrad;
    const double eps = 1e-6;
    auto numeric = torch::zeros_like(z0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vocab; ++j) {
        auto plus = z0.clone(), minus = z0.clone();
        plus[i][j] += eps;
        minus[i][j] -= eps;
        numeric[i][j] = (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * eps);
      }
    const double err = normRelErr(analytic, numeric);
    QVERIFY2(err <= 1e-7, qPrintable(QStringLiteral("finite differences: rel err %1").arg(err)));
  }

  void goldenTwoTokens() {
    // z = [0, ln 3]: p = [1/4, 3/4]; target 1.
    const auto z = torch::tensor({0.0, std::log(3.0)}, torch::kDouble).view({1, 2});
    const auto targets = torch::tensor({int64_t(1)}, torch::kLong);
    const double lp = std::log(0.75);
    const double h = -(0.25 * std::log(0.25) + 0.75 * std::log(0.75));
    const double m = std::log(3.0) / 2 - std::log(4.0);
    for (auto type : {torch::kDouble, torch::kFloat}) {
      const auto s = fusedTokenScores(z.to(type), targets);
      const double tol = type == torch::kDouble ? 1e-14 : 1e-7;
      QVERIFY(std::abs(s.logprobs.item<double>() - lp) <= tol);
      QVERIFY(std::abs(s.entropies.item<double>() - h) <= tol);
      QVERIFY(std::abs(s.meanLogSoftmax.item<double>() - m) <= tol);
    }
    // Gradients by hand, z - Ez = [-3/4 ln 3, 1/4 ln 3]:
    //   d lp / dz = [-1/4, 1/4]; d H / dz = -p (z - Ez) = [3/16 ln 3, -3/16 ln 3];
    //   d m / dz = 1/2 - p = [1/4, -1/4].
    const auto zg = z.clone().requires_grad_(true);
    const auto s = fusedTokenScores(zg, targets);
    const double l3 = std::log(3.0);
    const std::vector<std::vector<double>> expected{
        {-0.25, 0.25}, {3.0 / 16 * l3, -3.0 / 16 * l3}, {0.25, -0.25}};
    const std::vector<torch::Tensor> outs{s.logprobs, s.entropies, s.meanLogSoftmax};
    for (int k = 0; k < 3; ++k) {
      const auto g = torch::autograd::grad({outs[k]}, {zg}, {}, /*retain_graph=*/true)[0];
      for (int j = 0; j < 2; ++j) QVERIFY(std::abs(g[0][j].item<double>() - expected[k][j]) <= 1e-14);
    }
  }

  void negativeInfinityLogitIsMasked() {
    // A -inf logit has p = 0: the fused entropy stays finite (the composition gives 0 * -inf).
    const double inf = std::numeric_limits<double>::infinity();
    const auto z = torch::tensor({0.0, -inf, std::log(3.0)}, torch::kFloat).view({1, 3});
    const auto s = fusedTokenScores(z, torch::tensor({int64_t(2)}, torch::kLong));
    QVERIFY(std::abs(s.logprobs.item<double>() - std::log(0.75)) <= 1e-6);
    QVERIFY(std::abs(s.entropies.item<double>() + 0.25 * std::log(0.25) + 0.75 * std::log(0.75)) <=
            1e-6);
    QVERIFY(std::isinf(s.meanLogSoftmax.item<double>()));
  }

  void rejectsBadInput() {
    const auto z = torch::zeros({2, 5});
    auto throws = [](const std::function<void()>& f) {
      try {
        f();
      } catch (const c10::Error&) {
        return true;
      }
      return false;
    };
    QVERIFY(throws([&] { fusedTokenScores(z, torch::tensor({0, 5}, torch::kLong)); }));
    QVERIFY(throws([&] { fusedTokenScores(z, torch::tensor({0, -1}, torch::kLong)); }));
    QVERIFY(throws([&] { fusedTokenScores(z, torch::tensor({0, 1}, torch::kInt)); }));
    QVERIFY(throws([&] { fusedTokenScores(z, torch::tensor({0, 1, 2}, torch::kLong)); }));
    QVERIFY(throws([&] { fusedTokenScores(torch::zeros({2, 0}), torch::zeros({2}, torch::kLong)); }));
  }

  void allocationMeterCounts() {
    CpuAllocationMeter meter;
    QVERIFY(meter.active());
    {
      const auto a = torch::empty({1000}, torch::kFloat);
      const auto b = torch::empty({500}, torch::kDouble);
      QCOMPARE(meter.currentBytes(), int64_t(8000));
    }
    const auto c = torch::empty({100}, torch::kFloat);
    QCOMPARE(meter.currentBytes(), int64_t(400));
    QCOMPARE(meter.peakBytes(), int64_t(8000));
  }

  // Kernels that take scratch memory through raw_allocate (GELU on a large tensor) require the
  // allocation's context to be its pointer; the meter once broke that and aborted them.
  void allocationMeterServesRawAllocations() {
    CpuAllocationMeter meter;
    QVERIFY(meter.active());
    c10::Allocator* allocator = c10::GetCPUAllocator();
    void* raw = allocator->raw_allocate(4096);
    QVERIFY(raw != nullptr);
    QCOMPARE(meter.currentBytes(), int64_t(4096));
    allocator->raw_deallocate(raw);
    QCOMPARE(meter.currentBytes(), int64_t(0));
    const auto x = torch::randn({64, 64, 1024});
    const auto y = torch::gelu(x);
    QVERIFY(torch::allclose(y, 0.5 * x * (1 + torch::erf(x / std::sqrt(2.0))), 1e-5, 1e-6));
    QVERIFY(meter.peakBytes() >= 2 * x.numel() * int64_t(sizeof(float)));
  }

  void benchOnTinySize() {
    const int rows = 16, vocab = 1000;
    for (bool backward : {false, true}) {
      const auto b = benchTokenScores(rows, vocab, /*repeats=*/2, backward);
      qInfo("backward=%d fused %.3f ms %.0f B, reference %.3f ms %.0f B, max |diff| %.3g",
            backward, b.fusedMs, b.fusedPeakBytes, b.referenceMs, b.referencePeakBytes,
            b.maxAbsDiff);
      for (double v : {b.fusedMs, b.referenceMs, b.fusedPeakBytes, b.referencePeakBytes, b.maxAbsDiff})
        QVERIFY(std::isfinite(v) && v >= 0);
      QVERIFY(b.fusedPeakBytes <= b.referencePeakBytes);
      QVERIFY(b.maxAbsDiff <= 1e-4);
      // Fused: the [N] outputs and saved stats, plus the [N, V] gradient when backward, nothing
      // else of [N, V] size (no stored probabilities).
      const double gradBytes = backward ? 4.0 * rows * vocab : 0.0;
      QVERIFY2(b.fusedPeakBytes <= gradBytes + 1024.0 * rows,
               qPrintable(QStringLiteral("fused peak %1 B").arg(b.fusedPeakBytes)));
      QVERIFY(b.referencePeakBytes >= 2 * 4.0 * rows * vocab);
    }
    const auto alone = benchTokenScores(rows, vocab, /*repeats=*/1, /*backward=*/true,
                                        /*withReference=*/false);
    QVERIFY(std::isfinite(alone.fusedMs) && std::isnan(alone.referenceMs));
  }

  // ---- decodeAttention (kernels/DecodeAttention.h) ----

  void decodeMatchesReferenceRandomShapes() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/21);
    double worst64 = 0, worst32 = 0;
    for (int trial = 0; trial < 80; ++trial) {
      const int64_t B = randomInt(1, 8, gen), H = randomInt(1, 8, gen), Dh = randomInt(8, 64, gen);
      // Edge cases first: C = 1, length = 1, length = C; then random.
      const int64_t C = trial == 0 ? 1 : randomInt(1, 200, gen);
      const int64_t length = trial == 1 ? 1 : trial == 2 ? C : randomInt(1, C, gen);
      const bool holes = trial % 3 == 2;
      auto c = randomDecodeCase(B, H, Dh, C, length, holes, gen);
      if (trial % 4 == 1) c.valid = c.valid.to(torch::kByte);
      torch::Tensor q = c.q;
      if (trial % 5 == 3) q = c.q.squeeze(2);  // [B,H,Dh]
      if (trial % 5 == 4) {                    // a strided slice, as the model's qkv permute gives
        const auto qkv = torch::randn({B, 1, 3, H, Dh}, gen, torch::kFloat).permute({2, 0, 3, 1, 4});
        q = qkv[0];  // not contiguous unless B = H = 1
      }
      const auto fused = decodeAttention(q, c.keys, c.values, c.valid, length);
      const auto ref64 = referenceDecodeAttention(q.to(torch::kDouble), c.keys.to(torch::kDouble),
                                                  c.values.to(torch::kDouble), c.valid, length);
      const auto ref32 = referenceDecodeAttention(q, c.keys, c.values, c.valid, length);
      QCOMPARE(fused.sizes().vec(), q.sizes().vec());
      QCOMPARE(fused.scalar_type(), torch::kFloat);
      QVERIFY(allFinite(fused));
      const double err64 = elementRelErr(fused, ref64), err32 = elementRelErr(fused, ref32);
      worst64 = std::max(worst64, err64);
      worst32 = std::max(worst32, err32);
      QVERIFY2(err64 <= kTol && err32 <= kTol,
               qPrintable(QStringLiteral("B %1 H %2 Dh %3 C %4 length %5: rel err %6 (double ref) "
                                         "%7 (float ref)")
                              .arg(B).arg(H).arg(Dh).arg(C).arg(length).arg(err64).arg(err32)));
    }
    qInfo("80 random shapes: worst rel err %.3g (double reference), %.3g (float reference)",
          worst64, worst32);
  }

  void decodeGoldenTwoKeys() {
    torch::NoGradGuard noGrad;
    // Dh = 2, scale 1/sqrt(2), q = [sqrt(2) ln 3, 0], length 3. Position 0: k = [0, 0],
    // v = [4, 0]; position 1: invalid, a huge key; position 2 (the new token): k = [1, 0],
    // v = [0, 8]; position 3: beyond length (marked valid, must be ignored).
    // Scores 0 and ln 3 -> weights 1/4 and 3/4 -> out = [1, 6].
    const double s2 = std::sqrt(2.0), l3 = std::log(3.0);
    auto keys = torch::tensor({0.0, 0.0, 100.0, 0.0, 1.0, 0.0, 50.0, 0.0}, torch::kFloat).view({1, 1, 4, 2});
    const auto values =
        torch::tensor({4.0, 0.0, 1e3, 1e3, 0.0, 8.0, -1e3, 1e3}, torch::kFloat).view({1, 1, 4, 2});
    const auto q = torch::tensor({s2 * l3, 0.0}, torch::kFloat).view({1, 1, 1, 2});
    const auto valid = torch::tensor({true, false, true, true}, torch::kBool).view({1, 4});
    const auto out = decodeAttention(q, keys, values, valid, /*length=*/3);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 1, 1, 2}));
    QVERIFY(std::abs(out[0][0][0][0].item<double>() - 1.0) <= 1e-6);
    QVERIFY(std::abs(out[0][0][0][1].item<double>() - 6.0) <= 1e-6);
    // Equal scores (k2 = k0): weights 1/2 each -> out = [2, 4].
    keys[0][0][2] = torch::tensor({0.0f, 0.0f});
    const auto equal = decodeAttention(q, keys, values, valid, 3);
    QVERIFY(std::abs(equal[0][0][0][0].item<double>() - 2.0) <= 1e-6);
    QVERIFY(std::abs(equal[0][0][0][1].item<double>() - 4.0) <= 1e-6);
    // Only the new token valid: weight 1, out = its value row exactly.
    const auto alone = torch::tensor({false, false, true, false}, torch::kBool).view({1, 4});
    QVERIFY(torch::equal(decodeAttention(q, keys, values, alone, 3).view({2}),
                         torch::tensor({0.0f, 8.0f})));
  }

  void decodeIgnoresInvalidPositions() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/22);
    const auto c = randomDecodeCase(4, 3, 16, 50, 37, /*holes=*/true, gen);
    const auto base = decodeAttention(c.q, c.keys, c.values, c.valid, c.length);
    // Overwrite keys and values at every invalid position inside the prefix with huge values,
    // then with inf / NaN: the fused result does not change by a bit.
    const auto invalid = c.valid.narrow(1, 0, c.length).logical_not().view({4, 1, c.length, 1});
    QVERIFY(invalid.any().item<bool>());
    for (double fill : {1e4, std::numeric_limits<double>::infinity(), std::nan("")}) {
      auto k = c.keys.clone(), v = c.values.clone();
      k.narrow(2, 0, c.length).masked_fill_(invalid, fill);
      v.narrow(2, 0, c.length).masked_fill_(invalid, -fill);
      QVERIFY(torch::equal(decodeAttention(c.q, k, v, c.valid, c.length), base));
      if (std::isfinite(fill))  // the reference agrees (it multiplies masked NaNs by 0: NaN)
        QVERIFY(elementRelErr(base, referenceDecodeAttention(c.q, k, v, c.valid, c.length)) <= kTol);
    }
  }

  void decodeIgnoresPositionsBeyondLength() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/23);
    const auto c = randomDecodeCase(3, 2, 24, 60, 20, /*holes=*/false, gen);
    const auto base = decodeAttention(c.q, c.keys, c.values, c.valid, c.length);
    auto k = c.keys.clone(), v = c.values.clone(), valid = c.valid.clone();
    k.narrow(2, c.length, 60 - c.length).fill_(std::nan(""));
    v.narrow(2, c.length, 60 - c.length).fill_(1e30);
    valid.narrow(1, c.length, 60 - c.length).fill_(true);
    QVERIFY(torch::equal(decodeAttention(c.q, k, v, valid, c.length), base));
    // A valid mask only `length` wide gives the same result.
    QVERIFY(torch::equal(decodeAttention(c.q, c.keys, c.values,
                                         c.valid.narrow(1, 0, c.length).contiguous(), c.length),
                         base));
  }

  void decodeFullyInvalidRowIsZero() {
    torch::NoGradGuard noGrad;
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/24);
    auto c = randomDecodeCase(3, 4, 8, 12, 10, /*holes=*/false, gen);
    c.valid[1].fill_(false);
    const auto out = decodeAttention(c.q, c.keys, c.values, c.valid, c.length);
    QVERIFY(allFinite(out));
    QVERIFY(torch::equal(out[1], torch::zeros({4, 1, 8})));
    QVERIFY(out[0].abs().sum().item<double>() > 0);
    const auto ref = referenceDecodeAttention(c.q, c.keys, c.values, c.valid, c.length);
    QVERIFY(allFinite(ref));
    QVERIFY(elementRelErr(out, ref) <= kTol);
  }

  void decodeFallsBackForDouble() {
    torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/25);
    const auto c = randomDecodeCase(2, 2, 8, 10, 9, /*holes=*/true, gen);
    const auto q = c.q.to(torch::kDouble), k = c.keys.to(torch::kDouble), v = c.values.to(torch::kDouble);
    const auto out = decodeAttention(q, k, v, c.valid, c.length);  // grad mode on: no input requires grad
    QCOMPARE(out.scalar_type(), torch::kDouble);
    QVERIFY(torch::equal(out, referenceDecodeAttention(q, k, v, c.valid, c.length)));
    QVERIFY(elementRelErr(decodeAttention(c.q, c.keys, c.values, c.valid, c.length), out) <= kTol);
  }

  void decodeRejectsBadInput() {
    const auto q = torch::zeros({2, 3, 1, 4}), kv = torch::zeros({2, 3, 6, 4});
    const auto valid = torch::ones({2, 6}, torch::kBool);
    QVERIFY(!throwsC10([&] { decodeAttention(q, kv, kv, valid, 6); }));
    QVERIFY(!throwsC10([&] { decodeAttention(q.view({2, 3, 4}), kv, kv, valid, 1); }));
    QVERIFY(throwsC10([&] { decodeAttention(q.view({2, 12}), kv, kv, valid, 6); }));                 // q rank
    QVERIFY(throwsC10([&] { decodeAttention(torch::zeros({2, 3, 2, 4}), kv, kv, valid, 6); }));      // T = 2
    QVERIFY(throwsC10([&] { decodeAttention(q, torch::zeros({2, 3, 24}), kv, valid, 6); }));         // keys rank
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, torch::zeros({2, 3, 5, 4}), valid, 5); }));       // values shape
    QVERIFY(throwsC10([&] { decodeAttention(torch::zeros({2, 3, 1, 5}), kv, kv, valid, 6); }));      // Dh
    QVERIFY(throwsC10([&] { decodeAttention(torch::zeros({1, 3, 1, 4}), kv, kv, valid, 6); }));      // B
    QVERIFY(throwsC10([&] { decodeAttention(torch::zeros({2, 2, 1, 4}), kv, kv, valid, 6); }));      // H
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, kv, valid, 0); }));                               // length
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, kv, valid, 7); }));
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, kv, torch::ones({2, 5}, torch::kBool), 6); }));   // valid short
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, kv, torch::ones({3, 6}, torch::kBool), 6); }));   // valid B
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, kv, torch::ones({2, 1, 6}, torch::kBool), 6); })); // valid rank
    QVERIFY(throwsC10([&] { decodeAttention(q, kv, kv, torch::ones({2, 6}), 6); }));                 // valid float
    QVERIFY(throwsC10([&] { decodeAttention(q.to(torch::kDouble), kv, kv, valid, 6); }));            // dtypes
    QVERIFY(throwsC10([&] { decodeAttention(q.to(torch::kLong), kv.to(torch::kLong), kv.to(torch::kLong), valid, 6); }));
    QVERIFY(throwsC10([&] { decodeAttention(torch::zeros({2, 3, 1, 4}).requires_grad_(true), kv, kv, valid, 6); }));
    QVERIFY(throwsC10([&] { decodeAttention(q, kv.clone().requires_grad_(true), kv, valid, 6); }));
    QVERIFY(throwsC10([&] { referenceDecodeAttention(q, kv, kv, valid, 7); }));
  }

  void decodeBenchOnTinySize() {
    const auto b = benchDecodeAttention(/*batch=*/2, /*heads=*/2, /*headDim=*/8, /*length=*/5, /*repeats=*/3);
    qInfo("decode attention 2x2x8, length 5: fused %.2f us, reference %.2f us, max |diff| %.3g",
          b.fusedUs, b.referenceUs, b.maxAbsDiff);
    for (double v : {b.fusedUs, b.referenceUs, b.maxAbsDiff}) QVERIFY(std::isfinite(v) && v >= 0);
    QVERIFY(b.maxAbsDiff <= 1e-5);
  }

  // The rollout benchmark's configuration (d_model 256, 8 heads, 64 rows, 16 prompt + 48 new
  // tokens): lengths 40 and 64. Only with TB_KERNEL_BENCH=1 (timings, not a check).
  void decodeBenchReferenceConfiguration() {
    if (qEnvironmentVariableIntValue("TB_KERNEL_BENCH") != 1) QSKIP("set TB_KERNEL_BENCH=1 to run");
    for (int threads : {1, at::get_num_threads()}) {
      const int saved = at::get_num_threads();
      at::set_num_threads(threads);
      for (int length : {40, 64}) {
        const auto b = benchDecodeAttention(64, 8, 32, length, /*repeats=*/2000);
        qInfo("threads %d, 64 x 8 heads x 32, length %d: fused %.2f us, reference %.2f us "
              "(%.1fx), max |diff| %.3g",
              threads, length, b.fusedUs, b.referenceUs, b.referenceUs / b.fusedUs, b.maxAbsDiff);
      }
      at::set_num_threads(saved);
    }
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestKernels)
#include "test_kernels.moc"
