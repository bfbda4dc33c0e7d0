// Golden-value tests of the advantage estimators and helpers in core/algorithms/parts/ on the
// worked examples of /work/shared/ALGORITHMS.md (RLOO, REINFORCE++, Stratified GRPO, GiGPO,
// RiskPO, EMPG, semantic clusters / SEED-GRPO, SEC, step spans, Task::finalAnswer), the composed
// presets end to end through tests/AlgorithmHarness.h (scripted rollouts, no training session),
// and the configuration checks the parts add (RiskPO and EPO bands, step-level tasks).
#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/algorithms/Advantages.h"
#include "core/algorithms/Algorithm.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/parts/EmpgAdvantage.h"
#include "core/algorithms/parts/GigpoAdvantage.h"
#include "core/algorithms/parts/ReinforcePlusPlus.h"
#include "core/algorithms/parts/RiskPoAdvantage.h"
#include "core/algorithms/parts/RlooAdvantage.h"
#include "core/algorithms/parts/SecCurriculum.h"
#include "core/algorithms/parts/SeedGrpoAdvantage.h"
#include "core/algorithms/parts/SemanticClusters.h"
#include "core/algorithms/parts/StepSpans.h"
#include "core/algorithms/parts/StratifiedAdvantage.h"
#include "core/config/RunConfig.h"

#include "tests/AlgorithmHarness.h"
#include "tests/TestSupport.h"

namespace tb {
namespace {

torch::Tensor dbl2(const std::vector<std::vector<double>>& rows) {
  std::vector<torch::Tensor> out;
  for (const auto& r : rows) out.push_back(torch::tensor(r, torch::dtype(torch::kDouble)));
  return torch::stack(out);
}

double item(const torch::Tensor& t) { return t.item<double>(); }

bool allFinite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }

// Masked mean and unbiased std of a [N, L] tensor.
std::pair<double, double> maskedMoments(const torch::Tensor& values, const torch::Tensor& mask) {
  const auto v = values.to(torch::kDouble), m = mask.to(torch::kDouble);
  const double n = item(m.sum());
  const double mean = item((v * m).sum()) / n;
  const double var = item(((v - mean) * m).pow(2).sum()) / (n - 1);
  return {mean, std::sqrt(var)};
}

// Steps of game24 arithmetic with one to three lines, none of them solving the puzzle.
const std::vector<std::string> kOneStep{"1+1=2", "1+2=3", "2+2=4"};
const std::vector<std::string> kTwoSteps{"1+1=2\n2+2=4", "1+1=2\n2+3=5", "1+2=3\n3+3=6"};

}  // namespace

class TestEstimators : public QObject {
  Q_OBJECT

 private slots:
  // ---- RLOO -------------------------------------------------------------------------------------

  void rlooGoldenValues() {
    // b_i = (sum - r_i) / (G - 1): [1/3, 2/3, 2/3, 1/3] -> A = [2/3, -2/3, -2/3, 2/3].
    const auto a = rlooAdvantages({1, 0, 0, 1});
    QCOMPARE(a.size(), size_t(4));
    const std::vector<double> sign{1, -1, -1, 1};
    for (int i = 0; i < 4; ++i) TB_NEAR(a[i], sign[i] * 2.0 / 3.0, 1e-12);
    // RLOO equals G/(G-1) times the centred reward.
    const auto b = rlooAdvantages({3, 1, 2});
    TB_NEAR(b[0], 3 - 1.5, 1e-12);
    TB_NEAR(b[1], 1 - 2.5, 1e-12);
    TB_NEAR(b[2], 0.0, 1e-12);
    QCOMPARE(rlooAdvantages({5}), std::vector<double>{0.0});
    QVERIFY(rlooAdvantages({}).empty());
  }

  void rlooThroughPreset() {
    AlgorithmHarness h("rloo");
    const auto a = h.advantages(h.rollout({"1+1=2", "1+2=3", "2+2=4", "1+3=4"}, {1, 0, 0, 1}));
    QVERIFY(a.sizes() == std::vector<int64_t>({4, 1}));
    const std::vector<double> sign{1, -1, -1, 1};
    for (int i = 0; i < 4; ++i) TB_NEAR(item(a[i][0]), sign[i] * 2.0 / 3.0, 1e-6);
    QVERIFY(!h.algorithm->needsReference());  // no KL in the loss
  }

  // ---- REINFORCE++ ------------------------------------------------------------------------------

  void reinforcePlusPlusHandExample() {
    // beta 0.1, gamma 0.5; row 1 has two tokens (its third KL entry is off the mask and ignored).
    const auto kl = dbl2({{0.1, 0.2, 0.3}, {0.5, 0.0, 0.7}});
    const auto mask = dbl2({{1, 1, 1}, {1, 1, 0}});
    const auto a = reinforcePlusPlusAdvantages({1.0, 0.5}, kl, mask, 0.1, 0.5);
    QVERIFY(a.sizes() == std::vector<int64_t>({2, 3}));
    // Token rewards r = -0.1 KL (+ outcome on the last token):
    //   row 0: [-0.01, -0.02, -0.03 + 1]   -> G = [-0.01 + 0.5 G1, -0.02 + 0.5 * 0.97, 0.97]
    //   row 1: [-0.05,  0 + 0.5]            -> G = [-0.05 + 0.5 * 0.5, 0.5]
    const std::vector<double> returns{0.2225, 0.465, 0.97, 0.2, 0.5};
    double mean = 0, var = 0;
    for (double g : returns) mean += g;
    mean /= returns.size();
    TB_NEAR(mean, 0.4715, 1e-12);
    for (double g : returns) var += (g - mean) * (g - mean);
    const double sd = std::sqrt(var / (returns.size() - 1)) + 1e-6;
    const std::vector<std::pair<int, int>> at{{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}};
    for (size_t k = 0; k < at.size(); ++k)
      TB_NEAR(item(a[at[k].first][at[k].second]), (returns[k] - mean) / sd, 1e-9);
    // Whitened over the masked tokens of the batch, zero off the mask.
    const auto [m, s] = maskedMoments(a, mask);
    TB_NEAR(m, 0.0, 1e-9);
    TB_NEAR(s, 1.0, 1e-5);
    QCOMPARE(item(a[1][2]), 0.0);
  }

  void reinforcePlusPlusWithoutKlIsWhitenedOutcome() {
    // gamma 1 and no KL: every token's return is its row's outcome.
    const auto mask = dbl2({{1, 1, 0, 0}, {1, 1, 1, 1}});
    const auto a =
        reinforcePlusPlusAdvantages({1.0, 0.0}, torch::zeros({2, 4}, torch::kDouble), mask, 0.1, 1.0);
    // Returns [1, 1 | 0, 0, 0, 0]: mean 1/3, unbiased std sqrt((2 (2/3)^2 + 4 (1/3)^2) / 5) = sqrt(4/15).
    const double sd = std::sqrt(4.0 / 15.0) + 1e-6;
    TB_NEAR(item(a[0][0]), (1 - 1.0 / 3.0) / sd, 1e-9);
    TB_NEAR(item(a[0][1]), (1 - 1.0 / 3.0) / sd, 1e-9);
    TB_NEAR(item(a[1][3]), -(1.0 / 3.0) / sd, 1e-9);
    QCOMPARE(item(a[0][2]), 0.0);
    QCOMPARE(item(a[0][3]), 0.0);
    // Fewer than two tokens: nothing to whiten.
    const auto one =
        reinforcePlusPlusAdvantages({1.0}, torch::zeros({1, 2}, torch::kDouble), dbl2({{1, 0}}), 0.1, 1.0);
    QCOMPARE(item(one.abs().sum()), 0.0);
  }

  void reinforcePlusPlusBaselineThroughPreset() {
    // REINFORCE++-baseline without the KL reward: outcome - group mean = [.5, -.5, -.5, .5] on every
    // token of four completions of equal length (6 tokens), whitened over the 24 tokens.
    auto config = AlgorithmHarness::tinyConfig("game24", "reinforce_pp");
    config.set("algo.group_baseline", true);
    config.set("algo.kl_reward_coef", 0.0);
    AlgorithmHarness h(config);
    QVERIFY(!h.algorithm->needsReference());
    const Rollout r = h.rollout({"1+1=2", "1+2=3", "2+2=4", "1+3=4"}, {1, 0, 0, 1});
    UpdateBatch u = h.updateBatch(r);
    const auto a = h.advantages(r, u);
    QVERIFY(a.sizes() == std::vector<int64_t>({4, 6}));
    const double expected = std::sqrt(23.0 / 24.0);  // 0.5 / (0.5 sqrt(24/23))
    const std::vector<double> sign{1, -1, -1, 1};
    for (int i = 0; i < 4; ++i)
      for (int t = 0; t < 6; ++t) TB_NEAR(item(a[i][t]), sign[i] * expected, 1e-5);
  }

  // ---- Stratified GRPO --------------------------------------------------------------------------

  void stratifiedGoldenValues() {
    const std::vector<double> r{1, 0, 0, 1, 1, 0};
    const std::vector<int> strata{1, 1, 1, 2, 2, 2};
    const auto res = stratifiedAdvantages(r, strata, 0.5);
    // Population std: global mean 0.5, std 0.5; stratum 1 mean 1/3, stratum 2 mean 2/3, std sqrt(2)/3.
    const std::vector<double> gn{1, -1, -1, 1, 1, -1};
    const double hi = std::sqrt(2.0), lo = 1.0 / std::sqrt(2.0);
    const std::vector<double> san{hi, -lo, -lo, lo, lo, -hi};
    QCOMPARE(res.global.size(), size_t(6));
    QCOMPARE(res.san.size(), size_t(6));
    QCOMPARE(res.blended.size(), size_t(6));
    for (int i = 0; i < 6; ++i) {
      TB_NEAR(res.global[i], gn[i], 1e-5);
      TB_NEAR(res.san[i], san[i], 1e-5);
      TB_NEAR(res.blended[i], 0.5 * san[i] + 0.5 * gn[i], 1e-5);
    }
    // The spec's rounded values.
    TB_NEAR(res.san[0], 1.41, 0.005);
    TB_NEAR(res.san[1], -0.71, 0.005);
    TB_NEAR(res.san[5], -1.41, 0.005);
    TB_NEAR(res.blended[0], 1.207, 1e-3);
    TB_NEAR(res.blended[1], -0.854, 1e-3);
    // alpha = 1: SAN only; alpha = 0: the global normalisation.
    const auto only = stratifiedAdvantages(r, strata, 1.0);
    const auto global = stratifiedAdvantages(r, strata, 0.0);
    for (int i = 0; i < 6; ++i) {
      TB_NEAR(only.blended[i], san[i], 1e-5);
      TB_NEAR(global.blended[i], gn[i], 1e-5);
    }
    // A stratum of one gets no stratified advantage.
    const auto single = stratifiedAdvantages({1, 0, 1}, {1, 2, 2}, 1.0);
    QCOMPARE(single.san[0], 0.0);
    TB_NEAR(single.san[1], -1.0, 1e-5);
    TB_NEAR(single.san[2], 1.0, 1e-5);
  }

  void stratifiedThroughPreset() {
    // Strata by number of steps: three one-step and three two-step completions of one problem.
    AlgorithmHarness h("stratified_grpo");
    std::vector<std::string> texts = kOneStep;
    texts.insert(texts.end(), kTwoSteps.begin(), kTwoSteps.end());
    const auto a = h.advantages(h.rollout(texts, {1, 0, 0, 1, 1, 0}));
    QVERIFY(a.sizes() == std::vector<int64_t>({6, 1}));
    const std::vector<double> expected{1.20711, -0.85355, -0.85355, 0.85355, 0.85355, -1.20711};
    for (int i = 0; i < 6; ++i) TB_NEAR(item(a[i][0]), expected[i], 1e-4);
    TB_NEAR(metricValue(h.ctx().metrics, "stratified/strata_per_group"), 2.0, 1e-12);
  }

  // ---- GiGPO ------------------------------------------------------------------------------------

  void gigpoGoldenValues() {
    // Two trajectories from s0: one succeeds after three steps, the other fails after one.
    const std::vector<GigpoTrajectory> group{{1.0, {"s0", "s1", "s2"}}, {0.0, {"s0"}}};
    const auto a = gigpoAdvantages(group, 0.95, 1.0, /*stdNorm=*/false);
    QCOMPARE(a.size(), size_t(2));
    QCOMPARE(a[0].size(), size_t(3));
    QCOMPARE(a[1].size(), size_t(1));
    // A_E = +-0.5; at s0 R = 0.95^2 = 0.9025 vs 0 -> A_S = +-0.45125; s1, s2 are singletons.
    TB_NEAR(a[0][0], 0.5 + 0.45125, 1e-12);
    TB_NEAR(a[1][0], -0.5 - 0.45125, 1e-12);
    TB_NEAR(a[0][0], 0.951, 5e-4);
    TB_NEAR(a[0][1], 0.5, 1e-12);
    TB_NEAR(a[0][2], 0.5, 1e-12);
    // omega scales the step term only.
    const auto half = gigpoAdvantages(group, 0.95, 0.5, false);
    TB_NEAR(half[0][0], 0.5 + 0.5 * 0.45125, 1e-12);
    TB_NEAR(half[0][2], 0.5, 1e-12);
    // std_norm: episode [1, 0] and step [0.9025, 0] both divide to +-1/sqrt(2).
    const auto normed = gigpoAdvantages(group, 0.95, 1.0, /*stdNorm=*/true);
    const double e = 0.5 / (std::sqrt(0.5) + 1e-6), s = 0.45125 / (0.9025 / std::sqrt(2.0) + 1e-6);
    TB_NEAR(normed[0][0], e + s, 1e-9);
    TB_NEAR(normed[1][0], -e - s, 1e-9);
    TB_NEAR(normed[0][1], e, 1e-9);
    // A group of one has neither episode nor step signal.
    const auto alone = gigpoAdvantages({{1.0, {"s0", "s1"}}}, 0.95, 1.0, false);
    QCOMPARE(alone[0], (std::vector<double>{0.0, 0.0}));
  }

  void gigpoThroughPreset() {
    // The solver's three-step solution (R = 1) and a wrong one-step answer (R = 0) of one puzzle:
    // both first steps start from the initial state; the later states are visited once.
    AlgorithmHarness h("gigpo");
    const std::string demo = *h.task->demonstration(h.problem(0), h.rng);
    QCOMPARE(splitSteps(demo).size(), size_t(3));
    const Rollout r = h.rollout({demo, "1+1=3"}, {1, 0});
    const auto a = h.advantages(r);
    const auto spans = stepSpans(r.rows[0].completion, r.rows[0].length);
    QCOMPARE(spans.size(), size_t(3));
    QVERIFY(a.sizes() == std::vector<int64_t>({2, r.rows[0].length}));
    for (int t = 0; t < r.rows[0].length; ++t) TB_NEAR(item(a[0][t]), t < spans[0].end ? 0.95125 : 0.5, 1e-6);
    for (int t = 0; t < r.rows[1].length; ++t) TB_NEAR(item(a[1][t]), -0.95125, 1e-6);
    for (int t = r.rows[1].length; t < r.rows[0].length; ++t) QCOMPARE(item(a[1][t]), 0.0);
    // Anchored steps: the two first steps of four.
    TB_NEAR(metricValue(h.ctx().metrics, "gigpo/anchored_step_frac"), 0.5, 1e-12);
  }

  // ---- RiskPO -----------------------------------------------------------------------------------

  void mvarGoldenValues() {
    // q_alpha = 1, q_beta = 4, alpha 0.2, beta 0.9, w 1.5.
    TB_NEAR(mvarAdvantage(0, 1, 4, 0.2, 0.9, 1.5), -4.71, 0.005);
    TB_NEAR(mvarAdvantage(3, 1, 4, 0.2, 0.9, 1.5), -0.57, 0.005);
    TB_NEAR(mvarAdvantage(5, 1, 4, 0.2, 0.9, 1.5), 0.0, 1e-12);
    // Exactly: S = 0: RVaR = -3/0.7, CVaR = -1/0.2 -> (1.5 (-5) - 3/0.7) / 2.5.
    TB_NEAR(mvarAdvantage(0, 1, 4, 0.2, 0.9, 1.5), (1.5 * -5.0 - 3.0 / 0.7) / 2.5, 1e-12);
    TB_NEAR(mvarAdvantage(3, 1, 4, 0.2, 0.9, 1.5), (-1.0 / 0.7) / 2.5, 1e-12);
    // Non-decreasing in S (more reward never lowers the advantage), flat above q_beta.
    double previous = -1e9;
    for (double s = -2; s <= 7; s += 0.25) {
      const double a = mvarAdvantage(s, 1, 4, 0.2, 0.9, 1.5);
      QVERIFY2(a >= previous - 1e-12, qPrintable(QString::number(s)));
      previous = a;
    }
    TB_NEAR(mvarAdvantage(6, 1, 4, 0.2, 0.9, 1.5), 0.0, 1e-12);
  }

  void quantileTrackerMovesTowardItsLevel() {
    QuantileTracker q;
    q.level = 0.2;
    q.initialise({4, 0, 3, 1, 2});  // sorted [0..4]: index 0.2 * 5 = 1
    QVERIFY(q.initialised);
    TB_NEAR(q.value, 1.0, 1e-12);
    // Three of five scores below q: too many for the 0.2 level -> q moves down by 0.1 (0.2 - 0.6).
    q.update({0, 0, 0, 5, 5});
    TB_NEAR(q.value, 1.0 - 0.04, 1e-12);
    // None below: q moves up by lr * level.
    q.update({5, 5, 5});
    TB_NEAR(q.value, 0.96 + 0.02, 1e-12);
    // At the level: no move.
    q.update({0, 5, 5, 5, 5});
    TB_NEAR(q.value, 0.98, 1e-12);
    QuantileTracker top;
    top.level = 0.9;
    top.initialise({0, 1, 2, 3, 4});
    TB_NEAR(top.value, 4.0, 1e-12);
    top.update({});  // empty batch: unchanged
    TB_NEAR(top.value, 4.0, 1e-12);
  }

  // ---- EMPG -------------------------------------------------------------------------------------

  void empgGoldenValues() {
    // H = [0.2, 1.0, 2.2] -> H~ = [0, 0.4, 1]; g = e^-H~ / mean; f = e^-H~_{t+1} (0 after the last).
    const auto out = empgModulate({{0.2, 1.0, 2.2}}, {1.0}, 1.0, 1.0, 0.1);
    QCOMPARE(out.size(), size_t(1));
    QCOMPARE(out[0].size(), size_t(3));
    const double mean = (1 + std::exp(-0.4) + std::exp(-1.0)) / 3;
    const std::vector<double> g{1 / mean, std::exp(-0.4) / mean, std::exp(-1.0) / mean};
    const std::vector<double> f{std::exp(-0.4), std::exp(-1.0), 0.0};
    for (int t = 0; t < 3; ++t) TB_NEAR(out[0][t], g[t] + 0.1 * f[t], 1e-6);
    TB_NEAR(out[0][0], 1.54, 0.005);
    TB_NEAR(out[0][1], 1.02, 0.005);
    TB_NEAR(out[0][2], 0.54, 0.005);
    // A negative advantage flips the modulated term, the future-clarity bonus stays.
    const auto neg = empgModulate({{0.2, 1.0, 2.2}}, {-1.0}, 1.0, 1.0, 0.1);
    for (int t = 0; t < 3; ++t) TB_NEAR(neg[0][t], -g[t] + 0.1 * f[t], 1e-6);
    // Normalisation spans the batch: two trajectories share min and max.
    const auto two = empgModulate({{0.2}, {1.0, 2.2}}, {1.0, 1.0}, 1.0, 1.0, 0.0);
    TB_NEAR(two[0][0], g[0], 1e-6);
    TB_NEAR(two[1][0], g[1], 1e-6);
    TB_NEAR(two[1][1], g[2], 1e-6);
  }

  void empgThroughPresetIsCentred() {
    AlgorithmHarness h("empg");
    std::vector<std::string> texts{kTwoSteps[0], kOneStep[0], kTwoSteps[1], "1+1=2\n2+2=4\n4*6=24"};
    const Rollout r = h.rollout(texts, {1, 0, 0, 1});
    UpdateBatch u = h.updateBatch(r);
    const auto a = h.advantages(r, u);
    QVERIFY(a.sizes() == u.batch.completionMask.sizes());
    QVERIFY(allFinite(a));
    TB_NEAR(maskedMoments(a, u.batch.completionMask).first, 0.0, 1e-5);
    QCOMPARE(item((a * (1 - u.batch.completionMask)).abs().sum()), 0.0);
    QVERIFY(std::isfinite(metricValue(h.ctx().metrics, "empg/scale_mean")));
  }

  // ---- semantic clusters and SEED-GRPO ----------------------------------------------------------

  void semanticEntropyGoldenValues() {
    const auto clusters = clusterAnswers({"12", "12", "12", "7"});
    QCOMPARE(clusters, (std::vector<int>{0, 0, 0, 1}));
    QCOMPARE(clusterAnswers({"7", "12", "7", ""}), (std::vector<int>{0, 1, 0, 2}));
    const double se = semanticEntropy(clusters);
    TB_NEAR(se, -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)), 1e-12);
    TB_NEAR(se, 0.562, 5e-4);
    // Weighted masses: [1, 1, 1, 3] -> [0.5, 0.5] -> log 2.
    TB_NEAR(semanticEntropy(clusters, {1, 1, 1, 3}), std::log(2.0), 1e-12);
    QCOMPARE(semanticEntropy({0, 0, 0}), 0.0);
    QCOMPARE(semanticEntropy({}), 0.0);
  }

  void seedScaleGoldenValues() {
    const double se = -(0.75 * std::log(0.75) + 0.25 * std::log(0.25));
    const double x = se / std::log(4.0);
    TB_NEAR(x, 0.405, 1e-3);  // 0.4056, as the spec rounds it
    TB_NEAR(seedScale(se, 4, 1.0, "exp"), std::exp(-x), 1e-12);
    TB_NEAR(seedScale(se, 4, 1.0, "exp"), 0.667, 5e-4);
    TB_NEAR(seedScale(se, 4, 1.0, "linear"), 1 - x, 1e-12);
    TB_NEAR(seedScale(se, 4, 2.0, "exp"), std::exp(-2 * x), 1e-12);
    QCOMPARE(seedScale(se, 4, 5.0, "linear"), 0.0);  // max(0, 1 - u)
    QCOMPARE(seedScale(0.0, 4, 1.0, "exp"), 1.0);
    QCOMPARE(seedScale(0.0, 4, 1.0, "linear"), 1.0);
    QCOMPARE(seedScale(1.0, 1, 1.0, "exp"), 1.0);  // a group of one is not scaled
    // Maximal entropy (G distinct answers): x = 1.
    TB_NEAR(seedScale(std::log(8.0), 8, 1.0, "exp"), std::exp(-1.0), 1e-12);
  }

  void seedGrpoThroughPreset() {
    // One answer for the whole group: SE = 0, scale 1, the GRPO advantages.
    AlgorithmHarness h("seed_grpo");
    QVERIFY(h.algorithm->needsOldScores());
    const double g = 0.5 / (std::sqrt(1.0 / 3.0) + 1e-6);
    const std::vector<double> sign{1, -1, -1, 1};
    const auto same = h.advantages(h.rollout({"1+3=4", "2+2=4", "3+1=4", "4*1=4"}, {1, 0, 0, 1}));
    QVERIFY(same.sizes() == std::vector<int64_t>({4, 1}));
    for (int i = 0; i < 4; ++i) TB_NEAR(item(same[i][0]), sign[i] * g, 1e-5);
    TB_NEAR(metricValue(h.ctx().metrics, "seed/semantic_entropy"), 0.0, 1e-12);
    TB_NEAR(metricValue(h.ctx().metrics, "seed/scale_mean"), 1.0, 1e-12);
    // Four different answers: 0 < scale < 1 (masses from the policy's likelihoods).
    h.ctx().metrics.clear();
    const auto spread = h.advantages(h.rollout({"1+1=2", "1+2=3", "2+2=4", "2+3=5"}, {1, 0, 0, 1}));
    const double scale = metricValue(h.ctx().metrics, "seed/scale_mean");
    QVERIFY2(scale > 0 && scale < 1, qPrintable(QString::number(scale)));
    for (int i = 0; i < 4; ++i) TB_NEAR(item(spread[i][0]), sign[i] * g * scale, 1e-5);
  }

  void empoRewardsAreClusterShares() {
    AlgorithmHarness h("empo");
    const Rollout r = h.rollout({"1+11=12", "2+10=12", "3*4=12", "3+4=7"}, {0, 0, 0, 0});
    const Rollout shaped = h.algorithm->finish(h.ctx(), r);
    QCOMPARE(shaped.rows.size(), size_t(4));
    const std::vector<double> shares{0.75, 0.75, 0.75, 0.25};
    for (int i = 0; i < 4; ++i) TB_NEAR(shaped.rows[i].reward, shares[i], 1e-12);
    TB_NEAR(metricValue(h.ctx().metrics, "empo/semantic_entropy"), 0.562, 5e-4);
    // The verdicts stay the verifier's (for the accuracy metric).
    for (const auto& row : shaped.rows) QVERIFY(!row.verdict.correct);
  }

  // ---- SEC --------------------------------------------------------------------------------------

  void softmaxProbabilitiesGoldenValues() {
    const auto p = softmaxProbabilities({0.0, std::log(3.0)}, 1.0);
    TB_NEAR(p[0], 0.25, 1e-12);
    TB_NEAR(p[1], 0.75, 1e-12);
    // The temperature divides the values.
    const auto t = softmaxProbabilities({0.0, 2 * std::log(3.0)}, 2.0);
    TB_NEAR(t[0], 0.25, 1e-12);
    TB_NEAR(t[1], 0.75, 1e-12);
    for (double v : softmaxProbabilities({0.3, 0.3, 0.3, 0.3}, 1.0)) TB_NEAR(v, 0.25, 1e-12);
    // Stable for large values.
    const auto big = softmaxProbabilities({1000.0, 1000.0 + std::log(3.0)}, 1.0);
    TB_NEAR(big[0], 0.25, 1e-12);
    QVERIFY(softmaxProbabilities({}, 1.0).empty());
  }

  // ---- steps and answers ------------------------------------------------------------------------

  void stepSpansOwnTheirNewlineAndEos() {
    // "ab\ncd" + <eos>: line 1 = tokens 0..2 with its '\n', line 2 = 3..5 with <eos>.
    auto s = stepSpans("ab\ncd", 6);
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[0].begin, 0);
    QCOMPARE(s[0].end, 3);
    QCOMPARE(s[0].text, std::string("ab"));
    QCOMPARE(s[1].begin, 3);
    QCOMPARE(s[1].end, 6);
    QCOMPARE(s[1].text, std::string("cd"));
    // A blank line joins the step before it.
    s = stepSpans("ab\n\ncd", 7);
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[0].end, 4);
    QCOMPARE(s[1].begin, 4);
    QCOMPARE(s[1].end, 7);
    s = stepSpans("ab\n  \ncd", 9);
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[0].end, 6);
    // A trailing newline and <eos> go with the last step.
    s = stepSpans("ab\ncd\n", 7);
    QCOMPARE(s.size(), size_t(2));
    QCOMPARE(s[1].begin, 3);
    QCOMPARE(s[1].end, 7);
    // Truncated (no <eos>): the spans end at the length.
    s = stepSpans("ab\ncd", 5);
    QCOMPARE(s.back().end, 5);
    // Empty completion: one step of the <eos> alone.
    s = stepSpans("", 1);
    QCOMPARE(s.size(), size_t(1));
    QCOMPARE(s[0].begin, 0);
    QCOMPARE(s[0].end, 1);
    // Spans tile [0, length) for non-blank starts.
    for (const std::string text : {"1+1=2\n2+2=4\n4*6=24", "a\n\n\nb\n", "x"}) {
      const int length = static_cast<int>(text.size()) + 1;
      const auto spans = stepSpans(text, length);
      QCOMPARE(spans.front().begin, 0);
      QCOMPARE(spans.back().end, length);
      for (size_t k = 1; k < spans.size(); ++k) QCOMPARE(spans[k].begin, spans[k - 1].end);
      QCOMPARE(spans.size(), splitSteps(text).size());
    }
  }

  void finalAnswerDefault() {
    AlgorithmHarness h("grpo");
    const Problem& p = h.problem(0);
    QCOMPARE(h.task->finalAnswer(p, "24-0=24 (left: 24)"), std::string("24"));
    QCOMPARE(h.task->finalAnswer(p, "13-9=4 (left: 4 4 10)\n10-4=6 (left: 4 6)\n4*6=24 (left: 24)\n"),
             std::string("24"));
    QCOMPARE(h.task->finalAnswer(p, "Answer: (13-9)*(10-4) = 24 "), std::string("24"));
    QCOMPARE(h.task->finalAnswer(p, "1+1=2\n\n"), std::string("2"));
    QCOMPARE(h.task->finalAnswer(p, "12"), std::string("12"));
    QCOMPARE(h.task->finalAnswer(p, ""), std::string(""));
    QCOMPARE(h.task->finalAnswer(p, "\n  \n"), std::string(""));
  }

  // ---- composed presets end to end --------------------------------------------------------------

  void presetsEndToEnd_data() {
    QTest::addColumn<QString>("preset");
    for (const char* name :
         {"grpo", "dr_grpo", "dapo", "rloo", "reinforce_pp", "seed_grpo", "stratified_grpo", "gigpo",
          "riskpo", "empg", "epo", "rover", "empo", "sec", "clpo", "scaf_grpo", "rest", "ppo", "pf_ppo",
          "attention_credit", "p3o", "dpo", "spin", "nash_md", "flow_of_reasoning"})
      QTest::newRow(name) << QString(name);
  }

  // One iteration as the loop runs it: collect (scripted ctx.sample) -> batch -> advantages -> loss
  // -> backward -> endIteration; twice, so parts with state (quantiles, baselines) see a second step.
  void presetsEndToEnd() {
    QFETCH(QString, preset);
    AlgorithmHarness h(preset.toStdString());
    for (int iteration = 0; iteration < 2; ++iteration) {
      h.ctx().iteration = iteration;
      h.ctx().metrics.clear();
      const Rollout r = h.algorithm->collect(h.ctx());
      // The GFlowNet rollout samples step by step from ctx.policy itself; the others use ctx.sample.
      if (h.algorithm->parts().rollout != "gfn") QVERIFY(h.sampleCalls > 0);
      QVERIFY(!r.rows.empty());
      const int64_t N = static_cast<int64_t>(r.rows.size());
      UpdateBatch u = h.updateBatch(r);
      const auto a = h.advantages(r, u);
      QCOMPARE(a.dim(), int64_t(2));
      QCOMPARE(a.size(0), N);
      QVERIFY(a.size(1) == 1 || a.size(1) == u.batch.completionMask.size(1));
      QVERIFY2(allFinite(a), qPrintable(preset));
      const PolicyLossInputs in = h.lossInputs(r, u);
      LossResult result = h.algorithm->loss(h.ctx(), in);
      QVERIFY(result.loss.defined());
      QCOMPARE(result.loss.dim(), int64_t(0));
      QVERIFY2(std::isfinite(item(result.loss)), qPrintable(preset));
      for (const auto& [name, value] : result.metrics) QVERIFY2(std::isfinite(value), name.c_str());
      h.policy->zero_grad();
      result.loss.backward();
      for (const auto& p : h.policy->parameters())
        if (p.grad().defined()) QVERIFY2(allFinite(p.grad()), qPrintable(preset));
      h.algorithm->endIteration(h.ctx(), r, u);
      for (const auto& [name, value] : h.ctx().metrics) QVERIFY2(std::isfinite(value), name.c_str());
    }
  }

  // The same estimators on a hand-built rollout of two groups: one row of advantages per row.
  void presetAdvantagesCoverEveryRow_data() {
    QTest::addColumn<QString>("preset");
    for (const char* name : {"rloo", "seed_grpo", "stratified_grpo", "gigpo", "riskpo", "empg",
                             "reinforce_pp", "ppo", "attention_credit"})
      QTest::newRow(name) << QString(name);
  }

  void presetAdvantagesCoverEveryRow() {
    QFETCH(QString, preset);
    AlgorithmHarness h(preset.toStdString());
    const Rollout r =
        h.rollout({&h.problem(0), &h.problem(1)},
                  {{kOneStep[0], kTwoSteps[0], kOneStep[1]}, {kTwoSteps[1], kTwoSteps[2], kOneStep[2]}},
                  {{1, 0, 0}, {1, 1, 0}});
    UpdateBatch u = h.updateBatch(r);
    const auto a = h.advantages(r, u);
    QCOMPARE(a.size(0), int64_t(6));
    QVERIFY2(allFinite(a), qPrintable(preset));
    QVERIFY2(item(a.abs().sum()) > 0, qPrintable(preset));  // mixed rewards carry signal
  }

  // The harness's other mode: ctx.sample draws from the tiny policy (sampleCompletions).
  void harnessSamplesFromThePolicy() {
    auto config = AlgorithmHarness::tinyConfig("game24", "grpo");
    config.set("rollout.max_new_tokens", 12);
    AlgorithmHarness h(config);
    h.samplePolicy = true;
    const Rollout r = h.algorithm->collect(h.ctx());
    QCOMPARE(r.groups(), 2);
    QCOMPARE(r.rows.size(), size_t(8));
    for (const auto& row : r.rows) {
      QVERIFY(row.length >= 1 && row.length <= 12);
      QCOMPARE(static_cast<int>(row.completionIds.size()), row.length);
      QCOMPARE(row.completion, h.tokenizer.decode(row.completionIds));
      QCOMPARE(row.finished, row.completionIds.back() == CharTokenizer::kEos);
    }
    UpdateBatch u = h.updateBatch(r);
    QVERIFY(allFinite(h.advantages(r, u)));
  }

  void everyPresetComposes() {
    for (const auto* info : AlgorithmRegistry::instance().all()) {
      if (!info->parts) continue;
      for (const auto& [kind, name] : info->parts->all())
        QVERIFY2(PartRegistry::instance().find(partKey(kind, name)) != nullptr,
                 qPrintable(QString::fromStdString(info->name + ": " + partKey(kind, name))));
      // Every preset's schema builds and its parts are created from its defaults.
      const TaskInfo* step = TaskRegistry::instance().find("game24");
      QVERIFY(step != nullptr);
      if (!incompatibility(*info, *step).empty()) continue;
      const auto config = RunConfig::defaults("game24", info->name);
      config.validate();
      QVERIFY2(Algorithm::create(config) != nullptr, info->name.c_str());
    }
  }

  // ---- configuration checks ---------------------------------------------------------------------

  void negativeGroupSizeIsRefused() {
    auto config = RunConfig::defaults("game24", "grpo");
    const QString message = inputErrorOf([&] { config.set("rollout.group_size", -1); });
    QVERIFY2(message.contains("rollout.group_size"), qPrintable(message));
    QVERIFY(!inputErrorOf([&] { config.set("rollout.group_size", 0); }).isEmpty());
  }

  void riskBandIsChecked() {
    auto config = RunConfig::defaults("game24", "riskpo");
    config.validate();
    for (const auto& [alpha, beta] : {std::pair{0.9, 0.5}, std::pair{0.5, 0.5}}) {
      config.set("algo.risk_alpha", alpha);
      config.set("algo.risk_beta", beta);
      const QString message = inputErrorOf([&] { config.validate(); });
      QVERIFY2(message.contains("algo.risk_alpha") && message.contains("algo.risk_beta"),
               qPrintable(message));
    }
  }

  void epoBandIsChecked() {
    auto config = RunConfig::defaults("game24", "epo");
    config.validate();
    for (const auto& [low, high] : {std::pair{1.5, 1.0}, std::pair{1.0, 1.0}}) {
      config.set("algo.epo_kappa_low", low);
      config.set("algo.epo_kappa_high", high);
      const QString message = inputErrorOf([&] { config.validate(); });
      QVERIFY2(message.contains("algo.epo_kappa_low") && message.contains("algo.epo_kappa_high"),
               qPrintable(message));
    }
  }

  void stepPartsNeedAStepLevelTask() {
    for (const char* task : {"arithmetic", "gsm8k"}) {
      const auto* info = TaskRegistry::instance().find(task);
      QVERIFY2(info != nullptr, task);
      QVERIFY(!info->stepLevel);
      const auto config = RunConfig::defaults(task, "gigpo");
      const QString message = inputErrorOf([&] { config.validate(); });
      QVERIFY2(message.contains("gigpo") && message.contains(task) && message.contains("step-level"),
               qPrintable(message));
      // Presets without step parts run on the same task.
      QVERIFY(inputErrorOf([&] { RunConfig::defaults(task, "grpo").validate(); }).isEmpty());
    }
    QVERIFY(inputErrorOf([] { RunConfig::defaults("game24", "gigpo").validate(); }).isEmpty());
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestEstimators)
#include "test_estimators.moc"
