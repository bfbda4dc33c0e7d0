// Fused kernels against their plain references (kernels/): fusedTokenScores forward and backward
// against the log_softmax / gather / entropy composition computed in double, a finite-difference
// check in double, a hand-computed golden row, and the memory / speed bench on a tiny size.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <QtTest>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "kernels/CpuAllocationMeter.h"
#include "kernels/FusedTokenScores.h"
#include "kernels/TokenScoresBench.h"

namespace tb {
namespace {

constexpr double kTol = 1e-5;

// max_i |a_i - b_i| / max(1, |b_i|): relative error, absolute below 1 (entropies near 0).
double elementRelErr(const torch::Tensor& a, const torch::Tensor& b) {
  const auto ad = a.detach().to(torch::kDouble), bd = b.detach().to(torch::kDouble);
  if (ad.numel() == 0) return 0.0;
  return ((ad - bd).abs() / bd.abs().clamp_min(1.0)).max().item<double>();
}

// max |a - b| / max(max |b|, floor): normwise relative error of a gradient; the floor (the
// largest upstream gradient) keeps a gradient that is exactly 0 (V = 1) from dividing by ~0.
double normRelErr(const torch::Tensor& a, const torch::Tensor& b, double floor = 1e-30) {
  const auto ad = a.detach().to(torch::kDouble), bd = b.detach().to(torch::kDouble);
  const double scale = std::max(bd.abs().max().item<double>(), floor);
  return (ad - bd).abs().max().item<double>() / scale;
}

bool allFinite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }

// Random logits of `shape` (last dim V): N(0, 3^2), with the first row's logits spread over
// [-80, 80] and, when there are two rows or more, the second row one logit at +80 and the rest
// at -80 (a nearly one-hot distribution).
torch::Tensor randomLogits(const std::vector<int64_t>& shape, torch::Generator& gen) {
  auto z = torch::randn(shape, gen, torch::kFloat).mul_(3.0f);
  auto flat = z.view({-1, shape.back()});
  if (flat.size(0) >= 1) flat[0].uniform_(-80.0, 80.0, gen);
  if (flat.size(0) >= 2) {
    flat[1].fill_(-80.0f);
    flat[1][shape.back() / 2] = 80.0f;
  }
  return z;
}

torch::Tensor randomTargets(const std::vector<int64_t>& shape, torch::Generator& gen) {
  std::vector<int64_t> leading(shape.begin(), shape.end() - 1);
  return torch::randint(shape.back(), leading, gen, torch::kLong);
}

// The shapes the tests run: N = 1, V = 1, V below / at / above the chunk of 4096, leading [B, L].
const std::vector<std::vector<int64_t>> kShapes{
    {1, 1}, {4, 1}, {1, 7}, {5, 33}, {3, 4096}, {3, 4097}, {2, 10000}, {2, 3, 50}, {2, 2, 5000}};

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
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestKernels)
#include "test_kernels.moc"
