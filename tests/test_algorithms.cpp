// Golden-value tests of the shared algorithm parts (docs: /work/shared/ALGORITHMS.md, "Shared
// parts" and items 1-3): group-normalised advantages (GRPO / Dr. GRPO), DAPO's overlong shaping,
// the k1/k2/k3 KL estimators, the clipped surrogate (clip-higher, dual clip, clip flags and
// gradients), the four loss aggregation modes, unbiased pass@k, and the registered GRPO, Dr. GRPO
// and DAPO presets end to end (config defaults -> composed Algorithm -> reward shaping, filters,
// advantages and loss, driven by tests/AlgorithmHarness.h).
#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/algorithms/Advantages.h"
#include "core/algorithms/Algorithm.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/PolicyLoss.h"
#include "core/config/RunConfig.h"
#include "core/metrics/PassAtK.h"

#include "tests/AlgorithmHarness.h"
#include "tests/TestSupport.h"

namespace tb {
namespace {

torch::Tensor dbl(std::vector<double> values) {
  return torch::tensor(values, torch::dtype(torch::kDouble));
}

torch::Tensor dbl2(const std::vector<std::vector<double>>& rows) {
  std::vector<torch::Tensor> out;
  for (const auto& r : rows) out.push_back(dbl(r));
  return torch::stack(out);
}

double item(const torch::Tensor& t) { return t.item<double>(); }

double k3(double d) { return std::exp(d) - d - 1.0; }

// Reference pass@k through log-binomials.
double passAtKReference(int n, int c, int k) {
  if (n - c < k) return 1.0;
  auto logChoose = [](int a, int b) {
    return std::lgamma(a + 1.0) - std::lgamma(b + 1.0) - std::lgamma(a - b + 1.0);
  };
  return 1.0 - std::exp(logChoose(n - c, k) - logChoose(n, k));
}

double metric(const LossResult& result, const std::string& name, bool* found) {
  for (const auto& [key, value] : result.metrics)
    if (key == name) {
      *found = true;
      return value;
    }
  *found = false;
  return std::nan("");
}

}  // namespace

class TestAlgorithms : public QObject {
  Q_OBJECT

 private slots:
  // ---- advantages -------------------------------------------------------------------------------

  void grpoAdvantagesMatchSpec() {
    const auto a = groupNormalizedAdvantages({1, 0, 0, 1}, 4, /*scaleByStd=*/true);
    QCOMPARE(a.size(), size_t(4));
    // mean 0.5, unbiased std sqrt(1/3) = 0.57735, eps 1e-6.
    const double expected = 0.5 / (std::sqrt(1.0 / 3.0) + 1e-6);
    TB_NEAR(expected, 0.866, 1e-3);
    TB_NEAR(a[0], expected, 1e-12);
    TB_NEAR(a[1], -expected, 1e-12);
    TB_NEAR(a[2], -expected, 1e-12);
    TB_NEAR(a[3], expected, 1e-12);
  }

  void drGrpoAdvantagesMatchSpec() {
    const auto a = groupNormalizedAdvantages({1, 0, 0, 1}, 4, /*scaleByStd=*/false);
    const std::vector<double> expected{0.5, -0.5, -0.5, 0.5};
    for (int i = 0; i < 4; ++i) TB_NEAR(a[i], expected[i], 1e-12);
  }

  void groupsAreIndependent() {
    const std::vector<double> g1{1, 0, 0, 1}, g2{3, 1, 2, 2};
    std::vector<double> both = g1;
    both.insert(both.end(), g2.begin(), g2.end());
    for (bool scale : {true, false}) {
      const auto a = groupNormalizedAdvantages(both, 4, scale);
      const auto a1 = groupNormalizedAdvantages(g1, 4, scale);
      const auto a2 = groupNormalizedAdvantages(g2, 4, scale);
      QCOMPARE(a.size(), size_t(8));
      for (int i = 0; i < 4; ++i) {
        TB_NEAR(a[i], a1[i], 1e-12);
        TB_NEAR(a[4 + i], a2[i], 1e-12);
      }
    }
    // Second group by hand: mean 2, unbiased std sqrt(2/3).
    const auto a = groupNormalizedAdvantages(both, 4, true);
    const double s = std::sqrt(2.0 / 3.0) + 1e-6;
    TB_NEAR(a[4], 1.0 / s, 1e-12);
    TB_NEAR(a[5], -1.0 / s, 1e-12);
    TB_NEAR(a[6], 0.0, 1e-12);
    TB_NEAR(a[7], 0.0, 1e-12);
  }

  void equalRewardsGiveZeroAdvantage() {
    for (bool scale : {true, false}) {
      // Exactly representable mean: exactly zero.
      for (double v : groupNormalizedAdvantages({1.0, 1.0, 1.0, 1.0}, 4, scale)) QCOMPARE(v, 0.0);
      // 0.7 * 3 / 3 != 0.7 in binary: the rounding residue (~1e-16) divided by std + eps (~1e-6)
      // leaves ~1e-10, which is zero for all purposes.
      for (double v : groupNormalizedAdvantages({0.7, 0.7, 0.7}, 3, scale)) {
        QVERIFY(std::isfinite(v));
        TB_NEAR(v, 0.0, 1e-9);
      }
    }
  }

  void groupOfOneGivesZero() {
    for (bool scale : {true, false}) {
      const auto a = groupNormalizedAdvantages({1.0, 0.0, 5.0}, 1, scale);
      QCOMPARE(a.size(), size_t(3));
      for (double v : a) QCOMPARE(v, 0.0);
    }
  }

  void badGroupSizeIsRejected() {
    QVERIFY_THROWS_EXCEPTION(std::exception, groupNormalizedAdvantages({1, 0, 1}, 2, true));
    QVERIFY_THROWS_EXCEPTION(std::exception, groupNormalizedAdvantages({1, 0}, 0, true));
  }

  void zeroStdFraction() {
    TB_NEAR(zeroStdGroupFraction({1, 1, 0, 1, 2, 2, 2, 2, 0, 0, 0, 0}, 4), 2.0 / 3.0, 1e-12);
    TB_NEAR(zeroStdGroupFraction({1, 0, 0, 1}, 4), 0.0, 1e-12);
    TB_NEAR(zeroStdGroupFraction({1, 1}, 2), 1.0, 1e-12);
    TB_NEAR(zeroStdGroupFraction({}, 4), 0.0, 1e-12);
  }

  // ---- DAPO overlong shaping --------------------------------------------------------------------

  void overlongPenaltyFollowsDapo() {
    // L_max = 20, buffer 4: no penalty up to 16, then linear down to -factor at 20.
    TB_NEAR(overlongPenalty(5, 20, 4, 1.0), 0.0, 1e-12);
    TB_NEAR(overlongPenalty(16, 20, 4, 1.0), 0.0, 1e-12);
    TB_NEAR(overlongPenalty(17, 20, 4, 1.0), -0.25, 1e-12);
    TB_NEAR(overlongPenalty(18, 20, 4, 1.0), -0.5, 1e-12);
    TB_NEAR(overlongPenalty(20, 20, 4, 1.0), -1.0, 1e-12);
    TB_NEAR(overlongPenalty(18, 20, 4, 2.0), -1.0, 1e-12);
    TB_NEAR(overlongPenalty(20, 20, 4, 2.0), -2.0, 1e-12);
    // Buffer 0 switches the shaping off.
    TB_NEAR(overlongPenalty(20, 20, 0, 1.0), 0.0, 1e-12);
    TB_NEAR(overlongPenalty(25, 20, 0, 1.0), 0.0, 1e-12);
  }

  // ---- KL estimators ----------------------------------------------------------------------------

  void klEstimatorsOnHandValues() {
    const auto logp = dbl({-1.0, -2.0, -0.5});
    const auto ref = dbl({-1.5, -1.0, -0.5});  // d = ref - logp = [-0.5, 1, 0]
    const std::vector<double> d{-0.5, 1.0, 0.0};
    const auto kl1 = klPenalty(logp, ref, KlEstimator::K1);
    const auto kl2 = klPenalty(logp, ref, KlEstimator::K2);
    const auto kl3 = klPenalty(logp, ref, KlEstimator::K3);
    for (int i = 0; i < 3; ++i) {
      TB_NEAR(item(kl1[i]), -d[i], 1e-12);
      TB_NEAR(item(kl2[i]), 0.5 * d[i] * d[i], 1e-12);
      TB_NEAR(item(kl3[i]), k3(d[i]), 1e-12);
    }
    TB_NEAR(item(kl3[0]), 0.10653066, 1e-8);
    TB_NEAR(item(kl3[1]), 0.71828183, 1e-8);
    QVERIFY(klEstimatorFromName("k1") == KlEstimator::K1);
    QVERIFY(klEstimatorFromName("k2") == KlEstimator::K2);
    QVERIFY(klEstimatorFromName("k3") == KlEstimator::K3);
    QVERIFY_THROWS_EXCEPTION(InputError, klEstimatorFromName("k4"));
  }

  void k3IsNonNegativeAndZeroAtEquality() {
    torch::manual_seed(7);
    const auto logp = torch::randn({64, 16}, torch::kDouble) * 3;
    const auto ref = torch::randn({64, 16}, torch::kDouble) * 3;
    const auto kl = klPenalty(logp, ref, KlEstimator::K3);
    QVERIFY2(item(kl.min()) >= 0.0, qPrintable(QString::number(item(kl.min()))));
    QCOMPARE(item(klPenalty(logp, logp, KlEstimator::K3).abs().max()), 0.0);
    QCOMPARE(item(klPenalty(logp, logp, KlEstimator::K2).abs().max()), 0.0);
  }

  void k3GradientVanishesAtEquality() {
    const auto base = dbl({-0.3, -1.7, -4.0});
    auto logp = base.clone().requires_grad_(true);
    klPenalty(logp, base, KlEstimator::K3).sum().backward();
    QCOMPARE(item(logp.grad().abs().max()), 0.0);

    // Away from equality: d k3 / d logp = -(e^d - 1).
    auto logp2 = dbl({-1.0, -2.0}).requires_grad_(true);
    const auto ref = dbl({-1.5, -1.0});
    klPenalty(logp2, ref, KlEstimator::K3).sum().backward();
    TB_NEAR(item(logp2.grad()[0]), -(std::exp(-0.5) - 1.0), 1e-12);
    TB_NEAR(item(logp2.grad()[1]), -(std::exp(1.0) - 1.0), 1e-12);
  }

  // ---- clipped surrogate ------------------------------------------------------------------------

  void surrogateInsideBandIsPlainPolicyGradient() {
    const double rho = 1.1, A = 2.0;
    auto logp = dbl({std::log(rho)}).requires_grad_(true);
    const auto old = dbl({0.0});
    auto s = clippedSurrogate(logp, old, dbl({A}), 0.2, 0.2, 3.0);
    TB_NEAR(item(s.ratio[0]), rho, 1e-12);
    TB_NEAR(item(s.loss[0]), -rho * A, 1e-12);
    QVERIFY(!s.clippedLow[0].item<bool>());
    QVERIFY(!s.clippedHigh[0].item<bool>());
    s.loss.sum().backward();
    TB_NEAR(item(logp.grad()[0]), -rho * A, 1e-12);  // d(-rho A)/dlogp = -rho A
  }

  void surrogateClipsHighForPositiveAdvantage() {
    const double A = 1.5;
    auto logp = dbl({std::log(1.5)}).requires_grad_(true);
    auto s = clippedSurrogate(logp, dbl({0.0}), dbl({A}), 0.2, 0.2, 3.0);
    TB_NEAR(item(s.loss[0]), -(1.0 + 0.2) * A, 1e-12);
    QVERIFY(s.clippedHigh[0].item<bool>());
    QVERIFY(!s.clippedLow[0].item<bool>());
    s.loss.sum().backward();
    TB_NEAR(item(logp.grad()[0]), 0.0, 1e-15);

    // A > 0 and rho below the band: min picks the unclipped term, the gradient stays.
    auto logp2 = dbl({std::log(0.5)}).requires_grad_(true);
    auto s2 = clippedSurrogate(logp2, dbl({0.0}), dbl({A}), 0.2, 0.2, 3.0);
    TB_NEAR(item(s2.loss[0]), -0.5 * A, 1e-12);
    QVERIFY(!s2.clippedLow[0].item<bool>());
    QVERIFY(!s2.clippedHigh[0].item<bool>());
    s2.loss.sum().backward();
    TB_NEAR(item(logp2.grad()[0]), -0.5 * A, 1e-12);
  }

  void surrogateClipsLowForNegativeAdvantage() {
    const double A = -2.0;
    auto logp = dbl({std::log(0.5)}).requires_grad_(true);
    auto s = clippedSurrogate(logp, dbl({0.0}), dbl({A}), 0.2, 0.2, 3.0);
    TB_NEAR(item(s.loss[0]), -(1.0 - 0.2) * A, 1e-12);  // 0.8 |A|
    QVERIFY(s.clippedLow[0].item<bool>());
    QVERIFY(!s.clippedHigh[0].item<bool>());
    s.loss.sum().backward();
    TB_NEAR(item(logp.grad()[0]), 0.0, 1e-15);

    // A < 0 and rho above the band but below the dual clip: unclipped, gradient -A rho.
    auto logp2 = dbl({std::log(1.5)}).requires_grad_(true);
    auto s2 = clippedSurrogate(logp2, dbl({0.0}), dbl({A}), 0.2, 0.2, 3.0);
    TB_NEAR(item(s2.loss[0]), -1.5 * A, 1e-12);
    QVERIFY(!s2.clippedLow[0].item<bool>());
    QVERIFY(!s2.clippedHigh[0].item<bool>());
    s2.loss.sum().backward();
    TB_NEAR(item(logp2.grad()[0]), -1.5 * A, 1e-12);
  }

  void dualClipCapsNegativeAdvantage() {
    const double A = -0.7, c = 3.0;
    auto logp = dbl({std::log(10.0)}).requires_grad_(true);
    auto s = clippedSurrogate(logp, dbl({0.0}), dbl({A}), 0.2, 0.2, c);
    TB_NEAR(item(s.loss[0]), -c * A, 1e-12);  // 3 |A|
    s.loss.sum().backward();
    TB_NEAR(item(logp.grad()[0]), 0.0, 1e-15);

    // Without dual clip (c <= 1 = off) the loss grows with rho.
    for (double off : {0.0, 1.0}) {
      auto s2 = clippedSurrogate(dbl({std::log(10.0)}), dbl({0.0}), dbl({A}), 0.2, 0.2, off);
      TB_NEAR(item(s2.loss[0]), -10.0 * A, 1e-9);
    }
    // Dual clip never touches positive advantages.
    auto s3 = clippedSurrogate(dbl({std::log(10.0)}), dbl({0.0}), dbl({0.7}), 0.2, 0.2, c);
    TB_NEAR(item(s3.loss[0]), -1.2 * 0.7, 1e-12);
  }

  void asymmetricClipHigherBoundaries() {
    // eps_low 0.2, eps_high 0.28 (DAPO): rho in (0.8, 1.28) is unclipped.
    const auto ratios = dbl({1.25, 1.30, 0.81, 0.79});
    const auto logp = ratios.log();
    const auto old = torch::zeros({4}, torch::kDouble);
    auto pos = clippedSurrogate(logp, old, torch::ones({4}, torch::kDouble), 0.2, 0.28, 3.0);
    TB_NEAR(item(pos.loss[0]), -1.25, 1e-12);
    TB_NEAR(item(pos.loss[1]), -1.28, 1e-12);
    QVERIFY(!pos.clippedHigh[0].item<bool>());
    QVERIFY(pos.clippedHigh[1].item<bool>());
    QCOMPARE(pos.clippedLow.sum().item<int64_t>(), int64_t(0));
    auto neg = clippedSurrogate(logp, old, -torch::ones({4}, torch::kDouble), 0.2, 0.28, 3.0);
    TB_NEAR(item(neg.loss[0]), 1.25, 1e-12);  // A < 0: max(rho, clip(rho)) = rho inside the band
    TB_NEAR(item(neg.loss[1]), 1.30, 1e-12);  // and above it (no upper clip for A < 0 below c)
    TB_NEAR(item(neg.loss[2]), 0.81, 1e-12);
    TB_NEAR(item(neg.loss[3]), 0.80, 1e-12);
    QVERIFY(!neg.clippedLow[2].item<bool>());
    QVERIFY(neg.clippedLow[3].item<bool>());
    QCOMPARE(neg.clippedHigh.sum().item<int64_t>(), int64_t(0));
    // Symmetric 0.2 clips 1.25 already.
    auto sym = clippedSurrogate(logp, old, torch::ones({4}, torch::kDouble), 0.2, 0.2, 3.0);
    TB_NEAR(item(sym.loss[0]), -1.2, 1e-12);
    QVERIFY(sym.clippedHigh[0].item<bool>());
  }

  void sequenceAdvantagesBroadcastOverTokens() {
    const auto logp = dbl2({{0.0, std::log(1.5)}, {std::log(0.5), 0.0}});
    const auto old = torch::zeros({2, 2}, torch::kDouble);
    const auto adv = dbl2({{1.0}, {-1.0}});  // [N, 1]
    auto s = clippedSurrogate(logp, old, adv, 0.2, 0.2, 3.0);
    QVERIFY(s.loss.sizes() == std::vector<int64_t>({2, 2}));
    QVERIFY(s.clippedHigh.sizes() == std::vector<int64_t>({2, 2}));
    TB_NEAR(item(s.loss[0][0]), -1.0, 1e-12);
    TB_NEAR(item(s.loss[0][1]), -1.2, 1e-12);
    TB_NEAR(item(s.loss[1][0]), 0.8, 1e-12);
    TB_NEAR(item(s.loss[1][1]), 1.0, 1e-12);
    QVERIFY(s.clippedHigh[0][1].item<bool>());
    QVERIFY(s.clippedLow[1][0].item<bool>());
    QCOMPARE(s.clippedHigh.sum().item<int64_t>() + s.clippedLow.sum().item<int64_t>(), int64_t(2));
  }

  // ---- loss aggregation -------------------------------------------------------------------------

  void aggregationModes() {
    const auto loss = dbl2({{1, 2, 3}, {4, 5, 6}});
    const auto mask = dbl2({{1, 1, 0}, {1, 1, 1}});
    // Masked sum 18 over 5 tokens; rows: 3 over 2 tokens, 15 over 3 tokens.
    TB_NEAR(item(aggregateTokenLoss(loss, mask, LossAggregation::TokenMean, 3)), 18.0 / 5.0, 1e-12);
    TB_NEAR(item(aggregateTokenLoss(loss, mask, LossAggregation::SeqMeanTokenMean, 3)),
            (3.0 / 2.0 + 15.0 / 3.0) / 2.0, 1e-12);
    TB_NEAR(item(aggregateTokenLoss(loss, mask, LossAggregation::SeqMeanTokenSum, 3)), (3.0 + 15.0) / 2.0, 1e-12);
    TB_NEAR(item(aggregateTokenLoss(loss, mask, LossAggregation::SeqMeanTokenSumNorm, 3)), 18.0 / (2 * 3), 1e-12);
    TB_NEAR(item(aggregateTokenLoss(loss, mask, LossAggregation::SeqMeanTokenSumNorm, 8)), 18.0 / (2 * 8), 1e-12);
    // Names map to the modes; unknown names are input errors naming the value.
    QVERIFY(lossAggregationFromName("token-mean") == LossAggregation::TokenMean);
    QVERIFY(lossAggregationFromName("seq-mean-token-mean") == LossAggregation::SeqMeanTokenMean);
    QVERIFY(lossAggregationFromName("seq-mean-token-sum") == LossAggregation::SeqMeanTokenSum);
    QVERIFY(lossAggregationFromName("seq-mean-token-sum-norm") == LossAggregation::SeqMeanTokenSumNorm);
    try {
      lossAggregationFromName("mean");
      QFAIL("expected InputError");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("'mean'"), e.what());
    }
  }

  void aggregationGradientsRespectMask() {
    auto loss = dbl2({{1, 2, 3}, {4, 5, 6}}).requires_grad_(true);
    const auto mask = dbl2({{1, 1, 0}, {1, 1, 1}});
    aggregateTokenLoss(loss, mask, LossAggregation::SeqMeanTokenMean, 3).backward();
    // d/dl = m / (N * |o_i|): row 0 -> 1/4, row 1 -> 1/6, masked -> 0.
    TB_NEAR(item(loss.grad()[0][0]), 0.25, 1e-12);
    TB_NEAR(item(loss.grad()[0][2]), 0.0, 1e-12);
    TB_NEAR(item(loss.grad()[1][1]), 1.0 / 6.0, 1e-12);
  }

  // ---- pass@k -----------------------------------------------------------------------------------

  void passAtKGoldenValues() {
    TB_NEAR(passAtK(5, 5, 1), 1.0, 1e-12);
    TB_NEAR(passAtK(5, 5, 5), 1.0, 1e-12);
    TB_NEAR(passAtK(5, 0, 1), 0.0, 1e-12);
    TB_NEAR(passAtK(5, 0, 5), 0.0, 1e-12);
    TB_NEAR(passAtK(8, 3, 1), 3.0 / 8.0, 1e-12);
    TB_NEAR(passAtK(10, 1, 1), 0.1, 1e-12);
    TB_NEAR(passAtK(5, 2, 2), 0.7, 1e-12);  // 1 - C(3,2)/C(5,2) = 1 - 3/10
    TB_NEAR(passAtK(5, 4, 2), 1.0, 1e-12);  // n - c < k
    QVERIFY_THROWS_EXCEPTION(std::exception, passAtK(5, 2, 6));
    QVERIFY_THROWS_EXCEPTION(std::exception, passAtK(5, 6, 1));
  }

  void passAtKLargeN() {
    for (auto [n, c, k] : {std::tuple{1000, 100, 10}, std::tuple{1000, 1, 1}, std::tuple{1000, 3, 500},
                           std::tuple{1000, 999, 1}, std::tuple{1000, 10, 100}}) {
      const double v = passAtK(n, c, k);
      QVERIFY(std::isfinite(v));
      QVERIFY(v >= 0.0 && v <= 1.0);
      TB_NEAR(v, passAtKReference(n, c, k), 1e-9);
    }
    TB_NEAR(passAtK(1000, 1, 1), 0.001, 1e-12);
  }

  // ---- registered presets -----------------------------------------------------------------------
  // Composed presets driven through tests/AlgorithmHarness.h (a TrainingContext without a session).

  void presetsAreRegistered() {
    for (const char* name : {"grpo", "dr_grpo", "dapo"}) {
      const auto* info = AlgorithmRegistry::instance().find(name);
      QVERIFY2(info != nullptr, name);
      QVERIFY2(info->parts.has_value(), name);
      QVERIFY(!info->paper.empty());
      // GRPO's parts; the three presets differ only in their switches.
      QCOMPARE(info->parts->rollout, std::string("group"));
      QCOMPARE(info->parts->advantage, std::string("group_norm"));
      QCOMPARE(info->parts->objective, std::string("clipped_surrogate"));
      QVERIFY(info->parts->rewards == std::vector<std::string>{"overlong"});
      QVERIFY(info->parts->filters == std::vector<std::string>{"dynamic_sampling"});
      QVERIFY(Algorithm::create(RunConfig::defaults("game24", name)) != nullptr);
    }
  }

  void presetDefaults() {
    const auto grpo = RunConfig::defaults("game24", "grpo");
    QCOMPARE(grpo.getBool("algo.scale_by_std"), true);
    QCOMPARE(grpo.getString("algo.loss_agg"), std::string("seq-mean-token-mean"));
    QCOMPARE(grpo.getFloat("algo.kl_coef"), 0.04);
    QCOMPARE(grpo.getString("algo.kl_estimator"), std::string("k3"));
    QCOMPARE(grpo.getFloat("algo.clip_low"), 0.2);
    QCOMPARE(grpo.getFloat("algo.clip_high"), 0.2);
    QCOMPARE(grpo.getBool("algo.dynamic_sampling"), false);
    QCOMPARE(grpo.getInt("algo.overlong_buffer"), 0LL);

    const auto dr = RunConfig::defaults("game24", "dr_grpo");
    QCOMPARE(dr.getBool("algo.scale_by_std"), false);
    QCOMPARE(dr.getString("algo.loss_agg"), std::string("seq-mean-token-sum-norm"));
    QCOMPARE(dr.getFloat("algo.kl_coef"), 0.0);

    const auto dapo = RunConfig::defaults("game24", "dapo");
    QCOMPARE(dapo.getFloat("algo.clip_high"), 0.28);
    QCOMPARE(dapo.getFloat("algo.clip_low"), 0.2);
    QCOMPARE(dapo.getString("algo.loss_agg"), std::string("token-mean"));
    QCOMPARE(dapo.getBool("algo.dynamic_sampling"), true);
    QCOMPARE(dapo.getFloat("algo.kl_coef"), 0.0);
    QVERIFY(dapo.getInt("algo.overlong_buffer") > 0);
  }

  void presetBehaviour() {
    AlgorithmHarness grpo("grpo"), dr("dr_grpo"), dapo("dapo");
    QVERIFY(grpo.algorithm->needsReference());
    QVERIFY(!dr.algorithm->needsReference());
    QVERIFY(!dapo.algorithm->needsReference());

    // Advantages of rewards [1,0,0,1] through the composed algorithm: [N, 1], one row per completion.
    const std::vector<std::string> texts{"1+1=2", "1+2=3", "2+2=4", "1+3=4"};
    const double g = 0.5 / (std::sqrt(1.0 / 3.0) + 1e-6);
    TB_NEAR(g, 0.866, 1e-3);
    const std::vector<double> sign{1, -1, -1, 1};
    const auto ag = grpo.advantages(grpo.rollout(texts, {1, 0, 0, 1}));
    const auto ad = dr.advantages(dr.rollout(texts, {1, 0, 0, 1}));
    const auto aa = dapo.advantages(dapo.rollout(texts, {1, 0, 0, 1}));
    for (const auto* a : {&ag, &ad, &aa}) QVERIFY(a->sizes() == std::vector<int64_t>({4, 1}));
    for (int i = 0; i < 4; ++i) {
      TB_NEAR(item(ag[i][0]), sign[i] * g, 1e-6);  // float32 tensor
      TB_NEAR(item(ad[i][0]), sign[i] * 0.5, 1e-6);
      TB_NEAR(item(aa[i][0]), sign[i] * g, 1e-6);  // DAPO keeps the std scaling
    }

    // Dynamic sampling: DAPO drops a group whose rewards are all equal, GRPO keeps it.
    auto twoGroups = [&](AlgorithmHarness& h) {
      return h.rollout({&h.problem(0), &h.problem(1)}, {texts, texts}, {{1, 1, 1, 1}, {1, 0, 0, 1}});
    };
    const Rollout keptGrpo = grpo.algorithm->finish(grpo.ctx(), twoGroups(grpo));
    QCOMPARE(keptGrpo.groups(), 2);
    QCOMPARE(keptGrpo.groupsDropped, 0);
    const Rollout keptDapo = dapo.algorithm->finish(dapo.ctx(), twoGroups(dapo));
    QCOMPARE(keptDapo.groups(), 1);
    QCOMPARE(keptDapo.groupsDropped, 1);
    QCOMPARE(keptDapo.rows.size(), size_t(4));
    QCOMPARE(keptDapo.problems[0], &dapo.problem(1));
    for (const auto& row : keptDapo.rows) QCOMPARE(row.group, 0);

    // Overlong shaping: off for GRPO; DAPO's buffer penalises the last tokens before L_max.
    const int lMax = dapo.ctx().maxNewTokens;
    const int buffer = static_cast<int>(dapo.config.getInt("algo.overlong_buffer"));
    QCOMPARE(grpo.ctx().maxNewTokens, lMax);
    auto withLengths = [&](AlgorithmHarness& h) {
      Rollout r = h.rollout(texts, {1, 1, 1, 0});
      const std::vector<int> lengths{lMax - buffer, lMax - buffer / 2, lMax, 5};
      for (size_t i = 0; i < 4; ++i) r.rows[i].length = lengths[i];
      return r;
    };
    const Rollout shapedGrpo = grpo.algorithm->finish(grpo.ctx(), withLengths(grpo));
    const Rollout shapedDapo = dapo.algorithm->finish(dapo.ctx(), withLengths(dapo));
    const std::vector<double> expectedGrpo{1, 1, 1, 0}, expectedDapo{1, 0.5, 0, 0};
    QCOMPARE(shapedGrpo.rows.size(), size_t(4));
    QCOMPARE(shapedDapo.rows.size(), size_t(4));
    for (int i = 0; i < 4; ++i) {
      TB_NEAR(shapedGrpo.rows[i].reward, expectedGrpo[i], 1e-12);
      TB_NEAR(shapedDapo.rows[i].reward, expectedDapo[i], 1e-12);
      TB_NEAR(shapedDapo.rows[i].verdict.reward, expectedGrpo[i], 1e-12);  // the verdict is kept
    }
  }

  // rho = 1 and KL = 0: the GRPO loss is the aggregated -A, here 0.
  void grpoLossWithoutKl() {
    AlgorithmHarness grpo("grpo");
    PolicyLossInputs in;
    in.logp = dbl2({{-1.0, -2.0}, {-0.5, -1.5}}).requires_grad_(true);
    in.oldLogp = in.logp.detach().clone();
    in.refLogp = in.logp.detach().clone();
    in.entropies = torch::zeros({2, 2}, torch::kDouble);
    in.mask = torch::ones({2, 2}, torch::kDouble);
    in.advantages = dbl2({{1.0}, {-1.0}});
    in.maxLength = 2;
    const auto result = grpo.algorithm->loss(grpo.ctx(), in);
    TB_NEAR(item(result.loss), 0.0, 1e-12);
    bool found = false;
    TB_NEAR(metric(result, "clip/low_frac", &found), 0.0, 1e-12);
    QVERIFY(found);
    TB_NEAR(metric(result, "clip/high_frac", &found), 0.0, 1e-12);
    QVERIFY(found);
    TB_NEAR(metric(result, "kl", &found), 0.0, 1e-12);
    QVERIFY(found);
    // Policy gradient: d/dlogp = -A rho / (N |o_i|) = -+1/4.
    result.loss.backward();
    TB_NEAR(item(in.logp.grad()[0][0]), -0.25, 1e-12);
    TB_NEAR(item(in.logp.grad()[1][1]), 0.25, 1e-12);
  }

  // rho = 1, KL nonzero, one masked token: loss = agg(-A + 0.04 k3(d)) with seq-mean-token-mean.
  void grpoLossWithKl() {
    AlgorithmHarness grpo("grpo");
    const std::vector<std::vector<double>> logp{{-1.0, -2.0}, {-0.5, -1.5}};
    const std::vector<std::vector<double>> d{{0.5, -0.5}, {1.0, 0.3}};
    std::vector<std::vector<double>> ref = logp;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) ref[i][j] += d[i][j];
    PolicyLossInputs in;
    in.logp = dbl2(logp).requires_grad_(true);
    in.oldLogp = dbl2(logp);
    in.refLogp = dbl2(ref);
    in.entropies = torch::zeros({2, 2}, torch::kDouble);
    in.mask = dbl2({{1, 1}, {1, 0}});
    in.advantages = dbl2({{1.0}, {-1.0}});
    in.maxLength = 2;
    const auto result = grpo.algorithm->loss(grpo.ctx(), in);
    const double beta = 0.04;
    const double row0 = ((-1.0 + beta * k3(0.5)) + (-1.0 + beta * k3(-0.5))) / 2.0;
    const double row1 = 1.0 + beta * k3(1.0);
    TB_NEAR(item(result.loss), (row0 + row1) / 2.0, 1e-12);
    bool found = false;
    TB_NEAR(metric(result, "kl", &found), (k3(0.5) + k3(-0.5) + k3(1.0)) / 3.0, 1e-6);
    QVERIFY(found);
    TB_NEAR(metric(result, "loss/policy", &found), (-1.0 + 1.0) / 2.0, 1e-12);
    QVERIFY(found);
  }

  // Dr. GRPO: sum / (N * L_max), no KL even when a reference is supplied.
  void drGrpoLoss() {
    AlgorithmHarness dr("dr_grpo");
    PolicyLossInputs in;
    in.logp = dbl2({{-1.0, -2.0}, {-0.5, -1.5}}).requires_grad_(true);
    in.oldLogp = in.logp.detach().clone();
    in.refLogp = in.oldLogp + 0.5;
    in.entropies = torch::zeros({2, 2}, torch::kDouble);
    in.mask = dbl2({{1, 1}, {1, 0}});
    in.advantages = dbl2({{0.5}, {-0.5}});
    in.maxLength = 4;
    const auto result = dr.algorithm->loss(dr.ctx(), in);
    // Masked sum of -A: -0.5 - 0.5 + 0.5 = -0.5; / (2 * 4).
    TB_NEAR(item(result.loss), -0.5 / 8.0, 1e-12);
  }

  // DAPO: token-mean and clip-higher 0.28 (rho 1.25 unclipped, 1.30 clipped).
  void dapoLossAndClipFractions() {
    AlgorithmHarness dapo("dapo");
    PolicyLossInputs in;
    in.logp = dbl2({{std::log(1.25), std::log(1.30)}, {std::log(0.7), 0.0}}).requires_grad_(true);
    in.oldLogp = torch::zeros({2, 2}, torch::kDouble);
    in.entropies = torch::zeros({2, 2}, torch::kDouble);
    in.mask = dbl2({{1, 1}, {1, 1}});
    in.advantages = dbl2({{1.0}, {-1.0}});
    in.maxLength = 2;
    const auto result = dapo.algorithm->loss(dapo.ctx(), in);
    // Tokens: -1.25, -1.28, +0.8 (clipped low), +1.0; token-mean over 4.
    TB_NEAR(item(result.loss), (-1.25 - 1.28 + 0.8 + 1.0) / 4.0, 1e-12);
    bool found = false;
    TB_NEAR(metric(result, "clip/high_frac", &found), 0.25, 1e-12);
    QVERIFY(found);
    TB_NEAR(metric(result, "clip/low_frac", &found), 0.25, 1e-12);
    QVERIFY(found);

    // The same batch under GRPO's symmetric 0.2 clips rho = 1.25 too.
    AlgorithmHarness grpo("grpo");
    in.refLogp = in.logp.detach().clone();
    const auto g = grpo.algorithm->loss(grpo.ctx(), in);
    TB_NEAR(metric(g, "clip/high_frac", &found), 0.5, 1e-12);
    QVERIFY(found);
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestAlgorithms)
#include "test_algorithms.moc"
