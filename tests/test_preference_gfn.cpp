// Tests of the preference losses (DPO, IPO, SPIN, P3O, Nash-MD), the geometric-mixture sampler and
// the Flow of Reasoning parts (docs: /work/shared/ALGORITHMS.md items 14, 21-24): golden values
// from the worked examples, autograd against central finite differences in double precision,
// P3O's reward-shift invariance, mixture sampling at m = 0 / 1 against sampleCompletions, P_F over
// the legal steps of a real Game of 24 puzzle, P_B, trajectory balance and the replay buffer.
#include <torch/torch.h>

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/algorithms/GflowNet.h"
#include "core/algorithms/PreferenceLoss.h"
#include "core/model/GptPolicy.h"
#include "core/rollout/MixtureSampler.h"
#include "core/rollout/Sampler.h"
#include "core/tasks/BlocksWorldTask.h"
#include "core/tasks/Game24Task.h"
#include "core/text/CharTokenizer.h"

#include "tests/TestSupport.h"

namespace tb {
namespace {

torch::Tensor dbl(std::vector<double> values) { return torch::tensor(values, torch::dtype(torch::kDouble)); }

double item(const torch::Tensor& t) { return t.item<double>(); }

double metric(const std::vector<std::pair<std::string, double>>& metrics, const std::string& name) {
  for (const auto& [key, value] : metrics)
    if (key == name) return value;
  return std::nan("");
}

double negLogSigmoid(double x) { return std::log1p(std::exp(-x)); }

torch::Generator makeGenerator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Largest |autograd - central difference| over the entries of every input (double precision).
double gradientError(const std::function<torch::Tensor(const std::vector<torch::Tensor>&)>& f,
                     std::vector<torch::Tensor> inputs) {
  for (auto& x : inputs) x = x.clone().set_requires_grad(true);
  auto loss = f(inputs);
  const auto grads = torch::autograd::grad({loss}, inputs);
  const double h = 1e-6;
  double worst = 0;
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (int64_t j = 0; j < inputs[i].numel(); ++j) {
      auto shifted = [&](double delta) {
        std::vector<torch::Tensor> moved;
        for (const auto& x : inputs) moved.push_back(x.detach().clone());
        moved[i].view(-1)[j] += delta;
        return item(f(moved));
      };
      const double numeric = (shifted(h) - shifted(-h)) / (2 * h);
      worst = std::max(worst, std::abs(numeric - item(grads[i].reshape(-1)[j])));
    }
  }
  return worst;
}

// One shared Game of 24 task (loading and solving the bundled puzzles takes a moment).
const Game24Task& game24() {
  static const Game24Task task(Game24Options{});
  return task;
}

GptPolicy smallPolicy(int vocab, uint64_t seed, int context = 160) {
  torch::manual_seed(seed);
  return GptPolicy(GptConfig{vocab, 32, 2, 2, context});
}

std::vector<std::string> demonstrationSteps(const Task& task, const Problem& problem) {
  std::mt19937_64 rng(3);
  return splitSteps(*task.demonstration(problem, rng));
}

}  // namespace

class TestPreferenceGfn : public QObject {
  Q_OBJECT

 private slots:
  // ---- preference losses ------------------------------------------------------------------------

  void dpoMatchesWorkedExample() {
    // h = ((-10) - (-11)) - ((-12) - (-11)) = 2, beta 0.1: -log sigma(0.2) = 0.598.
    const PreferencePair pair{dbl({-10}), dbl({-12}), dbl({-11}), dbl({-11})};
    TB_NEAR(item(preferenceMargin(pair)), 2.0, 1e-12);
    const auto result = dpoLoss(pair, /*beta=*/0.1);
    TB_NEAR(item(result.loss), 0.598, 1e-3);
    TB_NEAR(item(result.loss), negLogSigmoid(0.2), 1e-12);
    TB_NEAR(metric(result.metrics, "pref/margin"), 0.2, 1e-12);
    TB_NEAR(metric(result.metrics, "pref/accuracy"), 1.0, 0);
    TB_NEAR(metric(result.metrics, "pref/chosen_reward"), 0.1, 1e-12);
    TB_NEAR(metric(result.metrics, "pref/rejected_reward"), -0.1, 1e-12);

    // The mean over pairs; a pair with h < 0 lowers the accuracy.
    const PreferencePair two{dbl({-10, -5}), dbl({-12, -4}), dbl({-11, -5}), dbl({-11, -5})};
    const auto both = dpoLoss(two, 0.1);
    TB_NEAR(item(both.loss), (negLogSigmoid(0.2) + negLogSigmoid(-0.1)) / 2, 1e-12);
    TB_NEAR(metric(both.metrics, "pref/accuracy"), 0.5, 0);
    // Large margins stay finite.
    const auto huge = dpoLoss({dbl({0}), dbl({-1e4}), dbl({0}), dbl({0})}, 0.1);
    QVERIFY(std::isfinite(item(huge.loss)));
    TB_NEAR(item(dpoLoss({dbl({-1e4}), dbl({0}), dbl({0}), dbl({0})}, 0.1).loss), 1e3, 1e-9);
  }

  void ipoRegressesTheMarginOntoItsTarget() {
    const PreferencePair pair{dbl({-10}), dbl({-12}), dbl({-11}), dbl({-11})};  // h = 2
    TB_NEAR(item(ipoLoss(pair, 0.1).loss), 9.0, 1e-12);                         // (2 - 5)^2
    TB_NEAR(item(ipoLoss(pair, 0.25).loss), 0.0, 1e-12);                        // target 2
    TB_NEAR(item(ipoLoss(pair, 0.5).loss), 1.0, 1e-12);                         // target 1
  }

  void spinMatchesWorkedExample() {
    // Policy (real -20, generated -15), opponent (-22, -14): margin -5 - (-8) = 3 -> 0.554.
    const PreferencePair pair{dbl({-20}), dbl({-15}), dbl({-22}), dbl({-14})};
    const auto result = spinLoss(pair, 0.1);
    TB_NEAR(item(result.loss), 0.554, 1e-3);
    TB_NEAR(item(result.loss), negLogSigmoid(0.3), 1e-12);
  }

  void p3oGradientIsHalfTheRewardGap() {
    // On policy: grad = -1/2 (r1 - r2) grad[logpi(y1) - logpi(y2)], mean over the 2 pairs.
    auto logp1 = dbl({-3, -4}).set_requires_grad(true);
    auto logp2 = dbl({-5, -2}).set_requires_grad(true);
    const P3oPair pair{logp1, logp2, logp1.detach(), logp2.detach(), dbl({1, 0}), dbl({0, 0.5})};
    const auto result = p3oLoss(pair, 0.2);
    TB_NEAR(item(result.loss), (-0.5 + 0.25) / 2, 1e-12);
    result.loss.backward();
    TB_NEAR(item(logp1.grad()[0]), -0.25, 1e-12);  // r1 > r2: raise y1
    TB_NEAR(item(logp2.grad()[0]), 0.25, 1e-12);   // and lower y2
    TB_NEAR(item(logp1.grad()[1]), 0.125, 1e-12);  // r1 < r2: the other way round
    TB_NEAR(item(logp2.grad()[1]), -0.125, 1e-12);
    TB_NEAR(metric(result.metrics, "clip/frac"), 0.0, 0);
    TB_NEAR(metric(result.metrics, "p3o/ratio"), 1.0, 1e-12);
    TB_NEAR(metric(result.metrics, "p3o/reward_gap"), 0.75, 1e-12);
  }

  void p3oIsInvariantToARewardShift() {
    for (double shift : {-7.0, 0.5, 100.0}) {
      auto run = [&](double c, torch::Tensor* g1, torch::Tensor* g2) {
        auto logp1 = dbl({-3, -4, -1}).set_requires_grad(true);
        auto logp2 = dbl({-5, -2, -1.5}).set_requires_grad(true);
        const P3oPair pair{logp1,
                           logp2,
                           dbl({-3.1, -3.7, -1.4}),
                           dbl({-5.05, -2.2, -1.2}),
                           dbl({1 + c, 0 + c, 0.3 + c}),
                           dbl({0 + c, 0.5 + c, 0.9 + c})};
        const auto loss = p3oLoss(pair, 0.2).loss;
        loss.backward();
        *g1 = logp1.grad().clone();
        *g2 = logp2.grad().clone();
        return item(loss);
      };
      torch::Tensor a1, a2, b1, b2;
      TB_NEAR(run(shift, &b1, &b2), run(0.0, &a1, &a2), 1e-12);
      QVERIFY(torch::allclose(a1, b1, 0, 1e-12) && torch::allclose(a2, b2, 0, 1e-12));
    }
  }

  void p3oClipsTheRatioOfThePair() {
    // rho = exp(0.5) > 1.2 with A > 0: the clipped branch, no gradient, counted in clip/frac.
    auto logp1 = dbl({-2.5}).set_requires_grad(true);
    auto logp2 = dbl({-4.0}).set_requires_grad(true);
    const auto result = p3oLoss({logp1, logp2, dbl({-3}), dbl({-4}), dbl({1}), dbl({0})}, 0.2);
    TB_NEAR(item(result.loss), -1.2 * 0.5, 1e-12);
    TB_NEAR(metric(result.metrics, "clip/frac"), 1.0, 0);
    result.loss.backward();
    TB_NEAR(item(logp1.grad()[0]), 0.0, 0);
    // The same ratio with A < 0 is the pessimistic (unclipped) branch and keeps its gradient.
    auto logq1 = dbl({-2.5}).set_requires_grad(true);
    const auto other = p3oLoss({logq1, dbl({-4.0}), dbl({-3}), dbl({-4}), dbl({0}), dbl({1})}, 0.2);
    TB_NEAR(item(other.loss), std::exp(0.5) * 0.5, 1e-12);
    other.loss.backward();
    TB_NEAR(item(logq1.grad()[0]), std::exp(0.5) * 0.5, 1e-12);
  }

  void nashMdLossAndGradient() {
    // Two samples, L = 3 with the last token of the second masked out.
    auto logp = dbl({-1.0, -2.0, -0.5, -0.3, -0.7, -9.0}).reshape({2, 3}).set_requires_grad(true);
    const auto ref = dbl({-1.5, -1.0, -0.5, -0.4, -0.2, -1.0}).reshape({2, 3});
    const auto mask = dbl({1, 1, 1, 1, 1, 0}).reshape({2, 3});
    const auto reward = dbl({1.0, 0.0});
    const auto mixtureReward = dbl({0.0, 0.0});
    const double beta = 0.1;
    const auto result = nashMdLoss({logp, ref, mask, reward, mixtureReward}, beta);
    const double p0 = 1.0 / (1.0 + std::exp(-1.0)), p1 = 0.5;
    const double kl0 = 0.5 * -1.0 + -1.0 * -2.0 + 0.0, kl1 = 0.1 * -0.3 + -0.5 * -0.7;
    const double expected = ((beta * kl0 - (p0 - 0.5) * -3.5) + (beta * kl1 - (p1 - 0.5) * -1.0)) / 2;
    TB_NEAR(item(result.loss), expected, 1e-12);
    TB_NEAR(metric(result.metrics, "nash/probability"), (p0 + p1) / 2, 1e-12);
    TB_NEAR(metric(result.metrics, "nash/kl"), ((0.5 - 1.0) + (0.1 - 0.5)) / 2, 1e-12);
    // d/d logpi_t = (beta sg(logpi - logpi_ref)_t - (P - 1/2)) m_t / N: the KL factor is held fixed.
    result.loss.backward();
    const auto expectedGrad =
        (beta * (logp.detach() - ref) - (torch::stack({dbl({p0}), dbl({p1})}) - 0.5)) * mask / 2;
    QVERIFY(torch::allclose(logp.grad(), expectedGrad, 0, 1e-12));
  }

  void lossesMatchFiniteDifferences() {
    auto pairOf = [](const std::vector<torch::Tensor>& x) { return PreferencePair{x[0], x[1], x[2], x[3]}; };
    const std::vector<torch::Tensor> logps{dbl({-10, -3.2, -7}), dbl({-12, -2.9, -6.5}), dbl({-11, -3.0, -8}),
                                           dbl({-11.5, -3.3, -6})};
    const double tol = 1e-7;
    QVERIFY(gradientError([&](const auto& x) { return dpoLoss(pairOf(x), 0.1).loss; }, logps) < tol);
    QVERIFY(gradientError([&](const auto& x) { return dpoLoss(pairOf(x), 0.7).loss; }, logps) < tol);
    QVERIFY(gradientError([&](const auto& x) { return ipoLoss(pairOf(x), 0.1).loss; }, logps) < tol * 10);
    QVERIFY(gradientError([&](const auto& x) { return spinLoss(pairOf(x), 0.1).loss; }, logps) < tol);
    // P3O away from the clip edges: rho = exp(0.25) with A > 0 (clipped: only the rewards carry a
    // gradient), exp(0.5) and exp(0.6) with A < 0 (the unclipped branch).
    const std::vector<torch::Tensor> p3o{dbl({-3, -4, -1}),       dbl({-5, -2, -1.5}),
                                         dbl({-3.3, -4.2, -1.4}), dbl({-5.05, -1.7, -1.3}),
                                         dbl({1, 0, 0.3}),        dbl({0, 0.5, 0.9})};
    QVERIFY(gradientError(
                [](const auto& x) {
                  return p3oLoss(P3oPair{x[0], x[1], x[2], x[3], x[4], x[5]}, 0.2).loss;
                },
                p3o) < tol);
  }

  // ---- geometric mixture sampling ---------------------------------------------------------------

  void mixtureEndpointsMatchPlainSampling() {
    const int vocab = 12;
    auto policy = smallPolicy(vocab, 1, 40);
    auto reference = smallPolicy(vocab, 2, 40);
    const std::vector<std::vector<int>> prompts{{1, 5, 6, 7}, {1, 8}, {1, 9, 10, 4, 3, 5}};
    for (double topP : {1.0, 0.8}) {
      SamplingOptions options;
      options.temperature = 0.8;
      options.topP = topP;
      options.maxNewTokens = 20;
      for (double m : {0.0, 1.0}) {
        auto g1 = makeGenerator(17), g2 = makeGenerator(17);
        const auto mixed = sampleMixtureCompletions(policy, reference, m, prompts, options, g1);
        const auto plain = sampleCompletions(m == 0.0 ? policy : reference, prompts, options, g2);
        QVERIFY2(torch::equal(mixed.tokens, plain.tokens),
                 qPrintable(QString("m = %1, top_p = %2").arg(m).arg(topP)));
        QVERIFY(torch::equal(mixed.completionMask, plain.completionMask));
        QVERIFY(torch::allclose(mixed.logprobs, plain.logprobs, 0, 1e-6));
        QVERIFY(torch::allclose(mixed.entropies, plain.entropies, 0, 1e-5));
        QCOMPARE(mixed.lengths, plain.lengths);
        QCOMPARE(mixed.finished, plain.finished);
        QCOMPARE(mixed.promptLength, plain.promptLength);
      }
    }
  }

  void mixtureLogprobsAreThoseOfTheMixture() {
    const int vocab = 12;
    auto policy = smallPolicy(vocab, 3, 40);
    auto reference = smallPolicy(vocab, 4, 40);
    const std::vector<std::vector<int>> prompts{{1, 5, 6}, {1, 8, 9, 10, 11}};
    SamplingOptions options;
    options.temperature = 0.7;
    options.maxNewTokens = 16;
    const double m = 0.5;
    auto gen = makeGenerator(5);
    const auto batch = sampleMixtureCompletions(policy, reference, m, prompts, options, gen);
    QVERIFY(batch.generatedTokens() > 0);
    // Rescore with whole-sequence forwards of both models: log_softmax(m ref + (1 - m) pi) / T.
    torch::NoGradGuard noGrad;
    const int P = batch.promptLength;
    const auto L = batch.completionMask.size(1);
    auto predicting = [&](GptPolicy& model) {
      return model->forward(batch.tokens, batch.valid).narrow(1, P - 1, L);
    };
    const auto mixed = (m * predicting(reference) + (1 - m) * predicting(policy)) / options.temperature;
    const auto logp = torch::log_softmax(mixed, -1);
    const auto expected =
        logp.gather(2, batch.tokens.narrow(1, P, L).unsqueeze(2)).squeeze(2) * batch.completionMask;
    QVERIFY2(torch::allclose(batch.logprobs, expected, 0, 1e-4),
             qPrintable(QString("max error %1").arg(item((batch.logprobs - expected).abs().max()))));
    const auto entropy = -(logp.exp() * logp).sum(-1) * batch.completionMask;
    QVERIFY(torch::allclose(batch.entropies, entropy, 0, 1e-4));
    // The mixture differs from both endpoints.
    const auto policyOnly = torch::log_softmax(predicting(policy) / options.temperature, -1);
    QVERIFY(!torch::allclose(logp, policyOnly, 0, 1e-3));
    QVERIFY(!inputErrorOf([&] {
               SamplingOptions longer = options;
               longer.maxNewTokens = 40;
               sampleMixtureCompletions(policy, reference, m, prompts, longer, gen);
             }).isEmpty());
  }

  // ---- Flow of Reasoning: losses and rewards ----------------------------------------------------

  void trajectoryBalanceGolden() {
    // logZ = 1; deltas 1 - 1 - 0.5 - (-0.5) = 0 and 1 - 2 - (-1) - (-1) = 1 -> mean square 0.5.
    auto logZ = torch::tensor(1.0, torch::dtype(torch::kDouble)).set_requires_grad(true);
    const auto result = trajectoryBalanceLoss(logZ, dbl({-1, -2}), dbl({0.5, -1}), dbl({-0.5, -1}));
    TB_NEAR(item(result.loss), 0.5, 1e-12);
    TB_NEAR(metric(result.metrics, "gfn/log_z"), 1.0, 1e-12);
    result.loss.backward();
    TB_NEAR(item(logZ.grad()), (2 * 0.0 + 2 * 1.0) / 2, 1e-12);
    // FoR's start: log Z = 5, a Game of 24 success (R = 100) with log P_F = -2 and P_B = 1.
    const auto start = trajectoryBalanceLoss(torch::tensor(5.0, torch::kDouble), dbl({-2}),
                                             dbl({std::log(100.0)}), dbl({0}));
    TB_NEAR(item(start.loss), std::pow(3.0 - std::log(100.0), 2), 1e-12);
  }

  void logPartitionGolden() {
    // delta = [-1 - 2 - 0, -2 - 3 - 0] = [-3, -5] -> mean -4 -> loss 1.
    auto logPf = dbl({-1, -2}).set_requires_grad(true);
    const auto result = logPartitionLoss(logPf, dbl({2, 3}), dbl({0, 0}));
    TB_NEAR(item(result.loss), 1.0, 1e-12);
    TB_NEAR(metric(result.metrics, "gfn/log_z"), 4.0, 1e-12);
    // Shifting every delta by the same amount changes nothing (log Z absorbs it).
    TB_NEAR(item(logPartitionLoss(dbl({-1, -2}), dbl({7, 8}), dbl({-1, -1})).loss), 1.0, 1e-12);
    result.loss.backward();
    TB_NEAR(item(logPf.grad()[0]), 1.0, 1e-12);  // 2/N (delta_i - mean) = +1, -1
    TB_NEAR(item(logPf.grad()[1]), -1.0, 1e-12);
  }

  void forRewardTransform() {
    TB_NEAR(gfnLogReward(100, /*temperature=*/1, /*floor=*/1e-6), std::log(100.0), 1e-12);
    TB_NEAR(gfnLogReward(0.001, 1, 1e-6), std::log(0.001), 1e-12);
    TB_NEAR(gfnLogReward(0.0, 1, 1e-3), std::log(1e-3), 1e-12);         // binary failure: the floor
    TB_NEAR(gfnLogReward(100, 0.5, 1e-6), 2 * std::log(100.0), 1e-12);  // R^(1/T)
    TB_NEAR(gfnLogReward(10, /*likelihood=*/0.5, /*lambda=*/2, /*temperature=*/2, 1e-6), 0.5 * std::log(11.0),
            1e-12);
    TB_NEAR(likelihoodTerm(/*summedLogProb=*/-7, /*tokens=*/10, /*temperature=*/0.7), std::exp(-0.7 / 0.7),
            1e-12);
  }

  // ---- Flow of Reasoning: forward policy on a real Game of 24 puzzle ----------------------------

  void legalActionProbabilitiesSumToOne() {
    const auto& task = game24();
    const Problem& problem = task.problems(Split::Train).front();
    const CharTokenizer tok(task.alphabet());
    auto policy = smallPolicy(tok.vocabSize(), 7);
    torch::NoGradGuard noGrad;
    std::vector<std::string> prefix;
    for (int depth = 0; depth < 3; ++depth) {
      const auto legal = task.legalSteps(problem, prefix);
      QVERIFY(!legal.empty());
      // Each legal action scored as the last step of its own trajectory, one call per action.
      double total = 0;
      for (const auto& action : legal) {
        auto steps = prefix;
        steps.push_back(action);
        const auto logPf = legalActionLogProbs(policy, tok, task, problem, steps, /*temperature=*/1.0);
        QCOMPARE(logPf.size(0), int64_t(steps.size()));
        total += std::exp(item(logPf[depth]));
      }
      TB_NEAR(total, 1.0, 1e-5);
      const auto dist = legalActionDistribution(policy, tok, task, problem, prefix, 1.0);
      QCOMPARE(dist.steps, legal);
      TB_NEAR(item(dist.logProbs.exp().sum()), 1.0, 1e-5);
      prefix.push_back(legal[legal.size() / 2]);
    }
    QVERIFY(task.isTerminal(problem, prefix));
    QVERIFY(legalActionDistribution(policy, tok, task, problem, prefix, 1.0).steps.empty());
  }

  void actionScoresAddUpToTheCompletionLogProb() {
    const auto& task = game24();
    const Problem& problem = task.problems(Split::Train).front();
    const CharTokenizer tok(task.alphabet());
    auto policy = smallPolicy(tok.vocabSize(), 8);
    torch::NoGradGuard noGrad;
    const auto steps = demonstrationSteps(task, problem);
    QCOMPARE(steps.size(), size_t(3));
    const double temperature = 0.8;
    const auto logPf = legalActionLogProbs(policy, tok, task, problem, steps, temperature);
    double actionTokens = 0;
    std::vector<std::string> prefix;
    for (size_t k = 0; k < steps.size(); ++k) {
      const auto dist = legalActionDistribution(policy, tok, task, problem, prefix, temperature);
      const auto at = std::find(dist.steps.begin(), dist.steps.end(), steps[k]) - dist.steps.begin();
      TB_NEAR(item(logPf[k]), item(dist.logProbs[at]), 1e-5);
      actionTokens += item(dist.tokenLogProbs[at]);
      prefix.push_back(steps[k]);
    }
    // '\n' after the first two steps and <eos> after the last: the completion's own tokens.
    std::string completion = steps[0] + "\n" + steps[1] + "\n" + steps[2];
    const auto batch = makeBatch({tok.encodePrompt(problem.prompt)}, {tok.encodeCompletion(completion)},
                                 CharTokenizer::kPad);
    TB_NEAR(actionTokens, item(scoreCompletions(policy, batch, temperature).logprobs.sum()), 1e-4);
  }

  void batchedScoringMatchesSingleTrajectories() {
    const auto& task = game24();
    const auto& problems = task.problems(Split::Train);
    const CharTokenizer tok(task.alphabet());
    auto policy = smallPolicy(tok.vocabSize(), 9);
    torch::NoGradGuard noGrad;
    const auto a = demonstrationSteps(task, problems[0]);
    const auto b = demonstrationSteps(task, problems[5]);
    const std::vector<std::string> partial(a.begin(), a.begin() + 1);
    const auto batched = legalActionLogProbs(
        policy, tok, task,
        {{&problems[0], a}, {&problems[5], b}, {&problems[0], partial}, {&problems[5], {}}}, 1.0);
    QCOMPARE(batched.size(), size_t(4));
    QVERIFY(
        torch::allclose(batched[0], legalActionLogProbs(policy, tok, task, problems[0], a, 1.0), 0, 1e-5));
    QVERIFY(
        torch::allclose(batched[1], legalActionLogProbs(policy, tok, task, problems[5], b, 1.0), 0, 1e-5));
    QVERIFY(torch::allclose(batched[2], batched[0].narrow(0, 0, 1), 0, 1e-5));
    QCOMPARE(batched[3].numel(), int64_t(0));
  }

  void illegalStepIsAnInputError() {
    const auto& task = game24();
    const Problem& problem = task.problems(Split::Train).front();
    const CharTokenizer tok(task.alphabet());
    auto policy = smallPolicy(tok.vocabSize(), 10);
    auto steps = demonstrationSteps(task, problem);
    steps[1] = "1+1=2 (left: 2)";
    const QString error = inputErrorOf([&] { legalActionLogProbs(policy, tok, task, problem, steps, 1.0); });
    QVERIFY2(error.contains("step 2") && error.contains("'1+1=2 (left: 2)'") &&
                 error.contains(QString::fromStdString(problem.id)),
             qPrintable(error));
    // A step after the end: the state is terminal.
    auto longer = demonstrationSteps(task, problem);
    longer.push_back(longer.back());
    QVERIFY(inputErrorOf([&] {
              legalActionLogProbs(policy, tok, task, problem, longer, 1.0);
            }).contains("terminal"));
  }

  void trajectoryBalanceGradientReachesPolicyAndLogZ() {
    const auto& task = game24();
    const auto& problems = task.problems(Split::Train);
    const CharTokenizer tok(task.alphabet());
    auto policy = smallPolicy(tok.vocabSize(), 11);
    auto logZ = torch::tensor(5.0).set_requires_grad(true);
    const auto a = demonstrationSteps(task, problems[1]);
    auto gen = makeGenerator(3);
    const auto b = sampleLegalTrajectory(policy, tok, task, problems[1], {}, /*maxSteps=*/8, 1.0, gen);
    const auto logPf = legalActionLogProbs(policy, tok, task, {{&problems[1], a}, {&problems[1], b}}, 1.0);
    const auto reward = [&](const std::vector<std::string>& steps) {
      const std::string completion = steps[0] + "\n" + steps[1] + "\n" + steps[2];
      return task.verify(problems[1], completion).correct ? 100.0 : 0.001;
    };
    const auto logR = torch::tensor({gfnLogReward(reward(a), 1, 1e-6), gfnLogReward(reward(b), 1, 1e-6)});
    const auto logPb = torch::tensor({logBackward(task, problems[1], a), logBackward(task, problems[1], b)});
    const auto result = trajectoryBalanceLoss(logZ, torch::stack({logPf[0].sum(), logPf[1].sum()}), logR,
                                              logPb.to(torch::kFloat));
    result.loss.backward();
    QVERIFY(logZ.grad().defined() && std::isfinite(item(logZ.grad())) && item(logZ.grad()) != 0);
    double gradNorm = 0;
    for (const auto& p : policy->parameters())
      if (p.grad().defined()) gradNorm += item(p.grad().pow(2).sum().to(torch::kDouble));
    QVERIFY(std::isfinite(gradNorm) && gradNorm > 0);
  }

  void sampledTrajectoriesAreLegalAndSeeded() {
    const auto& task = game24();
    const Problem& problem = task.problems(Split::Train)[2];
    const CharTokenizer tok(task.alphabet());
    auto policy = smallPolicy(tok.vocabSize(), 12);
    auto g1 = makeGenerator(9), g2 = makeGenerator(9);
    const auto a = sampleLegalTrajectory(policy, tok, task, problem, {}, 8, 1.0, g1);
    const auto b = sampleLegalTrajectory(policy, tok, task, problem, {}, 8, 1.0, g2);
    QCOMPARE(a, b);
    QCOMPARE(a.size(), size_t(3));
    QVERIFY(task.isTerminal(problem, a));
    // Resampling after a kept prefix keeps it.
    const auto kept = localSearchCandidate(a);
    QCOMPARE(kept.size(), size_t(1));
    const auto c = sampleLegalTrajectory(policy, tok, task, problem, kept, 8, 1.0, g1);
    QCOMPARE(c.front(), a.front());
    QCOMPARE(sampleLegalTrajectory(policy, tok, task, problem, {}, /*maxSteps=*/2, 1.0, g1).size(),
             size_t(2));
  }

  // ---- backward policy, replay buffer, local search ---------------------------------------------

  void backwardPolicyPerTask() {
    const auto& task = game24();
    const Problem& problem = task.problems(Split::Train).front();
    QVERIFY(backwardPolicyFor(task) == BackwardPolicy::Tree);
    QCOMPARE(logBackward(task, problem, demonstrationSteps(task, problem)), 0.0);

    const BlocksWorldTask blocks(BlocksWorldOptions{});
    QVERIFY(backwardPolicyFor(blocks) == BackwardPolicy::Reversible);
    const Problem& plan = blocks.problems(Split::Train).front();
    const auto steps = demonstrationSteps(blocks, plan);
    QVERIFY(!steps.empty());
    double expected = 0;
    std::vector<std::string> prefix;
    for (const auto& step : steps) {
      prefix.push_back(step);
      expected -= std::log(double(blocks.legalSteps(plan, prefix).size()));
    }
    QVERIFY(expected < 0);
    TB_NEAR(logBackward(blocks, plan, steps), expected, 1e-12);
    QCOMPARE(logBackward(blocks, plan, steps, BackwardPolicy::Tree), 0.0);
    QCOMPARE(logBackward(blocks, plan, {}), 0.0);
    // Holding a block after the first step (pick up / unstack): n legal steps = 1 + clear blocks,
    // as many as the worlds that lead here (from the table, or from on top of each clear block).
    const auto afterFirst = blocks.legalSteps(plan, {steps.front()});
    TB_NEAR(logBackward(blocks, plan, {steps.front()}), -std::log(double(afterFirst.size())), 1e-12);
  }

  void replayBufferKeepsTopKWithoutDuplicates() {
    TrajectoryReplayBuffer buffer(/*capacity=*/3);
    QVERIFY(buffer.add("p", {"a"}, 1.0));
    QVERIFY(buffer.add("p", {"b"}, 3.0));
    QVERIFY(buffer.add("p", {"c"}, 2.0));
    QVERIFY(!buffer.add("p", {"d"}, 0.5));      // below the worst of a full buffer
    QVERIFY(!buffer.add("p", {"d"}, 1.0));      // a tie with the worst does not displace it
    QVERIFY(buffer.add("p", {"e", "f"}, 2.5));  // evicts "a"
    QVERIFY(buffer.add("p", {"b"}, 3.0));       // a duplicate: stored once
    QVERIFY(buffer.add("q", {"x"}, -1.0));
    const auto& p = buffer.entries("p");
    QCOMPARE(p.size(), size_t(3));
    QCOMPARE(p[0].steps, std::vector<std::string>{"b"});
    QCOMPARE(p[1].steps, (std::vector<std::string>{"e", "f"}));
    QCOMPARE(p[2].steps, std::vector<std::string>{"c"});
    QCOMPARE(buffer.size(), size_t(4));
    // Re-adding refreshes the log reward and the order.
    QVERIFY(buffer.add("p", {"c"}, 4.0));
    QCOMPARE(buffer.entries("p")[0].steps, std::vector<std::string>{"c"});
    QCOMPARE(buffer.size(), size_t(4));

    std::mt19937_64 rng(1);
    QVERIFY(!buffer.sample("unknown", rng).has_value());
    std::set<std::vector<std::string>> drawn;
    for (int i = 0; i < 60; ++i) drawn.insert(buffer.sample("p", rng)->steps);
    QCOMPARE(drawn.size(), size_t(3));
    QCOMPARE(buffer.sample("q", rng)->logReward, -1.0);

    // The default capacity is FoR's 50.
    TrajectoryReplayBuffer big;
    QCOMPARE(big.capacity(), 50);
    for (int i = 0; i < 80; ++i) big.add("p", {std::to_string(i)}, i);
    QCOMPARE(big.entries("p").size(), size_t(50));
    QCOMPARE(big.entries("p").back().logReward, 30.0);
  }

  void replayBufferRoundTripsJson() {
    TrajectoryReplayBuffer buffer(4);
    buffer.add("game24/1", {"1+2=3 (left: 3 3 4)", "3+3=6 (left: 4 6)", "4*6=24 (left: 24)"},
               std::log(100.0));
    buffer.add("game24/1", {"1*2=2 (left: 2 3 4)"}, std::log(0.001));
    buffer.add("blocksworld/7", {"pick up the red block"}, 0.25);
    const auto json = buffer.toJson();
    const auto back = TrajectoryReplayBuffer::fromJson(nlohmann::json::parse(json.dump()));
    QCOMPARE(back.capacity(), 4);
    QCOMPARE(back.size(), buffer.size());
    for (const std::string id : {"game24/1", "blocksworld/7"}) {
      QCOMPARE(back.entries(id).size(), buffer.entries(id).size());
      for (size_t i = 0; i < back.entries(id).size(); ++i) {
        QCOMPARE(back.entries(id)[i].steps, buffer.entries(id)[i].steps);
        QCOMPARE(back.entries(id)[i].logReward, buffer.entries(id)[i].logReward);
      }
    }
    QVERIFY(back.toJson() == json);
    QVERIFY(inputErrorOf([] {
              TrajectoryReplayBuffer::fromJson({{"problems", nlohmann::json::object()}});
            }).contains("capacity"));
    const QString bad = inputErrorOf([] {
      nlohmann::json entry{{"steps", nlohmann::json::array({"a"})}, {"log_reward", "high"}};
      nlohmann::json problems{{"game24/1", nlohmann::json::array({entry})}};
      TrajectoryReplayBuffer::fromJson({{"capacity", 2}, {"problems", problems}});
    });
    QVERIFY2(bad.contains("game24/1") && bad.contains("log_reward"), qPrintable(bad));
  }

  void localSearchKeepsTheFirstHalf() {
    QCOMPARE(localSearchCandidate({"a", "b", "c", "d"}), (std::vector<std::string>{"a", "b"}));
    QCOMPARE(localSearchCandidate({"a", "b", "c"}), std::vector<std::string>{"a"});
    QVERIFY(localSearchCandidate({"a"}).empty());
    QVERIFY(localSearchCandidate({}).empty());
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestPreferenceGfn)
#include "test_preference_gfn.moc"
