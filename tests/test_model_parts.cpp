// Tests of the model-side parts of PPO and attention-guided credit assignment:
// GptPolicy::hidden / head / attentionMaps (against an independent reference forward written from
// the named parameters; causality, padding, row sums), GAE (hand-computed golden values, padded
// rows), the clipped value loss (golden value, autograd vs finite differences), explained
// variance, ValueModel (initFrom, completion indexing, gradients), and the attention-credit pieces
// (head selection, WAAD 2.3 example, FAI, top-40% scaling, the policy-level multipliers).
#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/algorithms/AttentionCredit.h"
#include "core/algorithms/Gae.h"
#include "core/model/GptPolicy.h"
#include "core/model/ValueModel.h"
#include "core/rollout/Sampler.h"

#include "tests/TestSupport.h"

namespace tb {
namespace {

namespace F = torch::nn::functional;

constexpr int kVocab = 20;
const GptConfig kConfig{kVocab, 32, 2, 4, 40};

// Wider than GPT-2's initialisation so attention patterns differ clearly between heads and rows.
GptPolicy makePolicy(uint64_t seed, double scale = 0.3) {
  torch::manual_seed(seed);
  GptPolicy policy(kConfig);
  torch::NoGradGuard noGrad;
  for (auto& p : policy->named_parameters()) {
    if (p.key().find("ln") != std::string::npos) continue;
    p.value().normal_(0.0, scale);
  }
  return policy;
}

torch::Tensor dbl(const std::vector<double>& values) {
  return torch::tensor(values, torch::dtype(torch::kDouble));
}

torch::Tensor dbl2(const std::vector<std::vector<double>>& rows) {
  std::vector<torch::Tensor> out;
  for (const auto& r : rows) out.push_back(dbl(r));
  return torch::stack(out);
}

double maxAbs(const torch::Tensor& t) { return t.numel() == 0 ? 0.0 : t.abs().max().item<double>(); }

// A reference forward of one unpadded sequence, written from the parameters alone (no module
// code): logits [T,V] and the attention weights [H,T,T] of every layer.
struct Reference {
  torch::Tensor logits;
  std::vector<torch::Tensor> maps;
};

Reference referenceForward(GptPolicy& policy, const std::vector<int64_t>& ids) {
  auto params = policy->named_parameters();
  const auto& cfg = policy->config();
  const int64_t T = static_cast<int64_t>(ids.size()), D = cfg.dModel, H = cfg.heads, hd = D / H;
  auto layerNorm = [&](const torch::Tensor& v, const std::string& name) {
    return torch::layer_norm(v, {D}, params[name + ".weight"], params[name + ".bias"], 1e-5);
  };
  auto linear = [&](const torch::Tensor& v, const std::string& name) {
    return torch::matmul(v, params[name + ".weight"].t()) + params[name + ".bias"];
  };
  auto x = params["token_embedding.weight"].index_select(0, torch::tensor(ids, torch::kLong)) +
           params["position_embedding.weight"].narrow(0, 0, T);
  auto future = torch::ones({T, T}, torch::kBool).triu(1);
  Reference ref;
  for (int l = 0; l < cfg.layers; ++l) {
    const std::string block = "blocks." + std::to_string(l) + ".";
    auto qkv = linear(layerNorm(x, block + "ln1"), block + "attn.qkv");  // [T, 3D] = [T, 3, H, hd]
    auto split = [&](int which) { return qkv.narrow(1, which * D, D).view({T, H, hd}).transpose(0, 1); };
    auto q = split(0), k = split(1), v = split(2);
    auto scores = torch::matmul(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(hd));
    auto weights = torch::softmax(scores.masked_fill(future, -INFINITY), -1);  // [H,T,T]
    ref.maps.push_back(weights);
    x = x + linear(torch::matmul(weights, v).transpose(0, 1).reshape({T, D}), block + "attn.proj");
    x = x + linear(torch::gelu(linear(layerNorm(x, block + "ln2"), block + "fc")), block + "out");
  }
  ref.logits = torch::matmul(layerNorm(x, "ln_final"), params["head.weight"].t());
  return ref;
}

// Map [H,n,n] where head h puts all of row t's weight on key max(t - d_h, 0).
torch::Tensor fixedDistanceMaps(const std::vector<int64_t>& distances, int64_t n) {
  auto maps = torch::zeros({static_cast<int64_t>(distances.size()), n, n});
  for (size_t h = 0; h < distances.size(); ++h)
    for (int64_t t = 0; t < n; ++t) maps[h][t][std::max<int64_t>(t - distances[h], 0)] = 1.0;
  return maps;
}

}  // namespace

class TestModelParts : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { torch::set_num_threads(1); }

  // ---- GptPolicy: hidden, head, attention maps ---------------------------------------------------

  void forwardIsHeadOfHidden() {
    auto policy = makePolicy(1);
    torch::NoGradGuard noGrad;
    auto [tokens, valid] = padPrompts({{1, 5, 6, 7, 8, 9}, {1, 3}, {1, 4, 4, 12}}, 0);
    auto hidden = policy->hidden(tokens, valid);
    QVERIFY(hidden.sizes() == std::vector<int64_t>({3, 6, kConfig.dModel}));
    auto logits = policy->forward(tokens, valid);
    QVERIFY(torch::equal(logits, policy->head(hidden)));
    // Final LayerNorm with unit gain and zero bias: every real position has mean 0, variance 1.
    auto real = hidden.index({valid});
    QVERIFY2(maxAbs(real.mean(-1)) < 1e-5, "hidden is not the final-LayerNorm output");
    TB_NEAR(real.var(-1, /*unbiased=*/false).mean().item<double>(), 1.0, 1e-3);
  }

  void attentionMapsAreCausalAndSumToOneOverRealKeys() {
    auto policy = makePolicy(2);
    torch::NoGradGuard noGrad;
    auto [tokens, valid] = padPrompts({{1, 5, 6, 7, 8, 9, 10}, {1, 3, 4}, {1}}, 0);
    const int64_t B = 3, T = 7;
    auto maps = policy->attentionMaps(tokens, valid);
    QCOMPARE(maps.size(), size_t(kConfig.layers));
    auto future = torch::ones({T, T}, torch::kBool).triu(1);
    auto validF = valid.to(torch::kFloat);
    for (const auto& w : maps) {
      QVERIFY(w.sizes() == std::vector<int64_t>({B, kConfig.heads, T, T}));
      QVERIFY(w.isfinite().all().item<bool>());
      QVERIFY(w.min().item<double>() >= 0.0);
      // Causal: nothing above the diagonal, exactly.
      QCOMPARE(w.masked_select(future.expand_as(w)).abs().max().item<double>(), 0.0);
      // Padded keys get exactly 0 in the rows of real tokens.
      auto realRows = valid.view({B, 1, T, 1});
      auto paddedKeys = valid.logical_not().view({B, 1, 1, T});
      auto onPadding = w.masked_select((realRows & paddedKeys).expand_as(w));
      QVERIFY(onPadding.numel() > 0);
      QCOMPARE(maxAbs(onPadding), 0.0);
      // Rows of real tokens sum to 1 over real keys.
      auto sums = (w * validF.view({B, 1, 1, T})).sum(-1);  // [B,H,T]
      auto realSums = sums.masked_select(valid.view({B, 1, T}).expand_as(sums));
      QVERIFY2(maxAbs(realSums - 1.0) < 1e-5,
               qPrintable(QString("max |row sum - 1| = %1").arg(maxAbs(realSums - 1.0))));
      // Not a trivial map: some row spreads its weight over several keys.
      QVERIFY(w[0].amax(-1).min().item<double>() < 0.9);
    }
  }

  void attentionAndLogitsMatchReferenceForward() {
    auto policy = makePolicy(3);
    torch::NoGradGuard noGrad;
    const std::vector<int64_t> ids{1, 7, 3, 9, 12, 4, 4, 15};
    auto ref = referenceForward(policy, ids);
    const int64_t T = static_cast<int64_t>(ids.size());
    // Alone, and left-padded by 3 in a batch with a longer row: same maps on the real block.
    std::vector<int> asInt(ids.begin(), ids.end());
    auto [tokens, valid] = padPrompts({asInt, {1, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16}}, 0);
    const int64_t pad = tokens.size(1) - T;
    QCOMPARE(pad, int64_t(3));
    auto logits = policy->forward(tokens, valid);
    auto logitsErr = maxAbs(logits[0].narrow(0, pad, T) - ref.logits);
    QVERIFY2(logitsErr < 1e-5, qPrintable(QString("logits max |diff| = %1").arg(logitsErr)));
    QVERIFY(maxAbs(ref.logits) > 0.5);
    auto hiddenLogits = policy->head(policy->hidden(tokens, valid));
    QVERIFY(maxAbs(hiddenLogits[0].narrow(0, pad, T) - ref.logits) < 1e-5);
    auto maps = policy->attentionMaps(tokens, valid);
    for (int l = 0; l < kConfig.layers; ++l) {
      auto block = maps[l][0].narrow(1, pad, T).narrow(2, pad, T);
      const double err = maxAbs(block - ref.maps[l]);
      QVERIFY2(err < 1e-5, qPrintable(QString("layer %1 attention max |diff| = %2").arg(l).arg(err)));
    }
    // The unpadded single row gives the same maps too.
    auto single = policy->attentionMaps(torch::tensor(ids, torch::kLong).view({1, T}),
                                        torch::ones({1, T}, torch::kBool));
    for (int l = 0; l < kConfig.layers; ++l) QVERIFY(maxAbs(single[l][0] - ref.maps[l]) < 1e-5);
  }

  void attentionMapsAreDifferentiable() {
    auto policy = makePolicy(4, 0.1);
    auto [tokens, valid] = padPrompts({{1, 5, 6, 7}, {1, 3}}, 0);
    auto maps = policy->attentionMaps(tokens, valid);
    // The last layer's attention depends on the first layer's query projection.
    maps.back().select(3, 1).sum().backward();
    auto grad = policy->named_parameters()["blocks.0.attn.qkv.weight"].grad();
    QVERIFY(grad.defined() && grad.abs().sum().item<double>() > 0);
  }

  // ---- GAE ---------------------------------------------------------------------------------------

  void gaeGoldenGammaOneLambda095() {
    // delta = [0 + .6 - .5, 0 + .7 - .6, 1 + 0 - .7] = [.1, .1, .3]
    // A_2 = .3; A_1 = .1 + .95 * .3 = .385; A_0 = .1 + .95 * .385 = .46575; R = A + V.
    auto g = generalizedAdvantages(dbl2({{0, 0, 1}}), dbl2({{.5, .6, .7}}), dbl2({{1, 1, 1}}), 1.0, 0.95);
    const std::vector<double> a{0.46575, 0.385, 0.3}, r{0.96575, 0.985, 1.0};
    for (int t = 0; t < 3; ++t) {
      TB_NEAR(g.advantages[0][t].item<double>(), a[t], 1e-12);
      TB_NEAR(g.returns[0][t].item<double>(), r[t], 1e-12);
    }
    QVERIFY(!g.advantages.requires_grad());
  }

  void gaeLambdaOneIsDiscountedReturnMinusValue() {
    // gamma .9: discounted returns [.81, .9, 1] -> A = [.31, .30, .30], R = [.81, .9, 1].
    auto g = generalizedAdvantages(dbl2({{0, 0, 1}}), dbl2({{.5, .6, .7}}), dbl2({{1, 1, 1}}), 0.9, 1.0);
    const std::vector<double> a{0.31, 0.3, 0.3}, r{0.81, 0.9, 1.0};
    for (int t = 0; t < 3; ++t) {
      TB_NEAR(g.advantages[0][t].item<double>(), a[t], 1e-12);
      TB_NEAR(g.returns[0][t].item<double>(), r[t], 1e-12);
    }
    // Random rows: the same identity, with the return computed directly.
    torch::manual_seed(5);
    auto rewards = torch::randn({4, 6}, torch::kDouble), values = torch::randn({4, 6}, torch::kDouble);
    auto random = generalizedAdvantages(rewards, values, torch::ones({4, 6}, torch::kDouble), 0.8, 1.0);
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t t = 0; t < 6; ++t) {
        double ret = 0.0, discount = 1.0;
        for (int64_t u = t; u < 6; ++u, discount *= 0.8) ret += discount * rewards[i][u].item<double>();
        TB_NEAR(random.advantages[i][t].item<double>(), ret - values[i][t].item<double>(), 1e-12);
        TB_NEAR(random.returns[i][t].item<double>(), ret, 1e-12);
      }
    // lambda = 0: the one-step TD error.
    auto td = generalizedAdvantages(dbl2({{0, 0, 1}}), dbl2({{.5, .6, .7}}), dbl2({{1, 1, 1}}), 0.9, 0.0);
    TB_NEAR(td.advantages[0][0].item<double>(), 0.9 * 0.6 - 0.5, 1e-12);
    TB_NEAR(td.advantages[0][1].item<double>(), 0.9 * 0.7 - 0.6, 1e-12);
  }

  void gaeIsZeroOutsideMaskAndRowsAreIndependent() {
    // Row 1 ends after 2 tokens; its padding holds garbage that must not leak in.
    auto rewards = dbl2({{0, 0, 0, 1}, {0, 1, 7, -3}});
    auto values = dbl2({{.2, .4, .1, .3}, {.5, .25, 9, 9}});
    auto mask = dbl2({{1, 1, 1, 1}, {1, 1, 0, 0}});
    for (double lambda : {0.95, 1.0}) {
      auto g = generalizedAdvantages(rewards, values, mask, 0.99, lambda);
      auto off = mask == 0;
      QCOMPARE(maxAbs(g.advantages.masked_select(off)), 0.0);
      QCOMPARE(maxAbs(g.returns.masked_select(off)), 0.0);
      auto row0 = generalizedAdvantages(rewards.narrow(0, 0, 1), values.narrow(0, 0, 1), mask.narrow(0, 0, 1),
                                        0.99, lambda);
      auto row1 = generalizedAdvantages(rewards[1].narrow(0, 0, 2).unsqueeze(0),
                                        values[1].narrow(0, 0, 2).unsqueeze(0),
                                        torch::ones({1, 2}, torch::kDouble), 0.99, lambda);
      QVERIFY(maxAbs(g.advantages[0] - row0.advantages[0]) < 1e-12);
      QVERIFY(maxAbs(g.advantages[1].narrow(0, 0, 2) - row1.advantages[0]) < 1e-12);
      // Last real token of row 1: no bootstrap from the padding, A = r - V = 1 - .25.
      TB_NEAR(g.advantages[1][1].item<double>(), 0.75, 1e-12);
      TB_NEAR(g.returns[1][1].item<double>(), 1.0, 1e-12);
    }
  }

  // ---- clipped value loss, explained variance ------------------------------------------------------

  void clippedValueLossGolden() {
    // c = .2. Token 0: V 1.0, Vold .5 -> clipped .7; max((1-.8)^2, (.7-.8)^2) = .04 -> .02.
    // Token 1: V .2, Vold .5 -> clipped .3; max(.2^2, .3^2) = .09 -> .045. Token 2 masked.
    // Masked mean (.02 + .045) / 2 = .0325.
    auto loss = clippedValueLoss(dbl2({{1.0, 0.2, 50.0}}), dbl2({{0.5, 0.5, 0.0}}), dbl2({{0.8, 0.0, -4.0}}),
                                 dbl2({{1, 1, 0}}), 0.2);
    TB_NEAR(loss.item<double>(), 0.0325, 1e-12);
    // Inside the clip range it is plain 1/2 (V - R)^2.
    auto inside = clippedValueLoss(dbl2({{0.55}}), dbl2({{0.5}}), dbl2({{1.0}}), dbl2({{1}}), 0.2);
    TB_NEAR(inside.item<double>(), 0.5 * 0.45 * 0.45, 1e-12);
    // An empty mask gives 0, not NaN.
    auto empty = clippedValueLoss(dbl2({{1.0}}), dbl2({{0.0}}), dbl2({{2.0}}), dbl2({{0}}), 0.2);
    QCOMPARE(empty.item<double>(), 0.0);
  }

  void clippedValueLossGradientMatchesFiniteDifferences() {
    // Values away from the kinks (|V - Vold| = c and the branch switch) so both sides agree.
    auto values = dbl2({{0.9, 0.1, 0.45, -0.3}, {0.2, 1.4, 0.0, 0.7}});
    auto oldValues = dbl2({{0.5, 0.5, 0.5, 0.0}, {0.25, 0.8, 0.3, 0.3}});
    auto returns = dbl2({{0.0, 0.0, 1.0, 0.6}, {-1.0, 2.0, 0.1, 0.0}});
    auto mask = dbl2({{1, 1, 1, 1}, {1, 1, 1, 0}});
    const double clip = 0.2;
    auto v = values.clone().set_requires_grad(true);
    clippedValueLoss(v, oldValues, returns, mask, clip).backward();
    auto grad = v.grad();
    const double h = 1e-6;
    int clippedActive = 0;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t t = 0; t < 4; ++t) {
        auto plus = values.clone(), minus = values.clone();
        plus[i][t] += h;
        minus[i][t] -= h;
        const double numeric = (clippedValueLoss(plus, oldValues, returns, mask, clip).item<double>() -
                                clippedValueLoss(minus, oldValues, returns, mask, clip).item<double>()) /
                               (2 * h);
        TB_NEAR(grad[i][t].item<double>(), numeric, 1e-7);
        if (std::abs(numeric) < 1e-12 && mask[i][t].item<double>() > 0) ++clippedActive;
      }
    // The clipped branch has zero gradient: the test covers it (token [0][1] and [1][1]).
    QVERIFY(clippedActive >= 2);
    QCOMPARE(grad[1][3].item<double>(), 0.0);  // masked
  }

  void explainedVarianceCases() {
    auto returns = dbl2({{1, 2, 3, 4, 99}});
    auto mask = dbl2({{1, 1, 1, 1, 0}});
    TB_NEAR(explainedVariance(returns, returns, mask), 1.0, 1e-12);
    // Predicting the mean explains nothing.
    TB_NEAR(explainedVariance(dbl2({{2.5, 2.5, 2.5, 2.5, -7}}), returns, mask), 0.0, 1e-12);
    // R - V = [0,0,0,1]: Var = .1875; Var(R) = 1.25 -> 1 - .15 = .85.
    TB_NEAR(explainedVariance(dbl2({{1, 2, 3, 3, 0}}), returns, mask), 0.85, 1e-12);
    // Constant returns: 0 by convention.
    TB_NEAR(explainedVariance(dbl2({{0.1, 0.5, 0.3}}), dbl2({{0.7, 0.7, 0.7}}), dbl2({{1, 1, 1}})), 0.0, 0.0);
  }

  // ---- ValueModel --------------------------------------------------------------------------------

  void valueModelInitFromCopiesTrunk() {
    auto policy = makePolicy(6), other = makePolicy(7);
    torch::manual_seed(8);
    ValueModel critic(kConfig);
    auto batch = makeBatch({{1, 5, 6}, {1, 7}, {1, 8, 9, 10}}, {{8, 9, 2}, {10, 2}, {11, 12, 13, 2}}, 0);
    torch::NoGradGuard noGrad;
    auto before = critic->values(batch.tokens, batch.valid);
    critic->initFrom(policy);
    auto source = policy->named_parameters();
    int compared = 0;
    for (const auto& p : critic->trunk()->named_parameters()) {
      QVERIFY2(torch::equal(p.value(), source[p.key()]), p.key().c_str());
      ++compared;
    }
    QCOMPARE(compared, static_cast<int>(source.size()));
    // values = value head of the policy's hidden states.
    auto values = critic->values(batch.tokens, batch.valid);
    QVERIFY(values.sizes() == std::vector<int64_t>({3, batch.tokens.size(1)}));
    auto expected = critic->valueHead()->forward(policy->hidden(batch.tokens, batch.valid)).squeeze(-1);
    QVERIFY(maxAbs(values - expected) < 1e-6);
    QVERIFY(maxAbs(values - before) > 1e-3);
    // Values depend on the trunk: another policy gives other values with the same head.
    critic->initFrom(other);
    QVERIFY(maxAbs(critic->values(batch.tokens, batch.valid) - values) > 1e-3);
    // A critic of another shape is refused.
    ValueModel wide(GptConfig{kVocab, 64, 2, 4, 40});
    QVERIFY_THROWS_EXCEPTION(InternalError, wide->initFrom(policy));
  }

  void completionValuesUseThePredictingPosition() {
    auto policy = makePolicy(9);
    ValueModel critic(kConfig);
    critic->initFrom(policy);
    auto batch = makeBatch({{1, 5, 6}, {1, 7}}, {{8, 9, 2}, {10, 2}}, 0);
    torch::NoGradGuard noGrad;
    auto all = critic->values(batch.tokens, batch.valid);
    auto cv = completionValues(critic, batch);
    const int P = batch.promptLength;
    QVERIFY(cv.sizes() == std::vector<int64_t>({2, 3}));
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) {
        const double expected =
            batch.completionMask[i][j].item<double>() > 0 ? all[i][P - 1 + j].item<double>() : 0.0;
        QCOMPARE(cv[i][j].item<double>(), expected);
      }
    QCOMPARE(cv[1][2].item<double>(), 0.0);
  }

  void valueModelGradientsFlowAndFit() {
    auto policy = makePolicy(10, 0.1);
    torch::manual_seed(11);
    ValueModel critic(kConfig);
    critic->initFrom(policy);
    auto batch = makeBatch({{1, 5, 6}, {1, 7}, {1, 4}}, {{8, 9, 2}, {10, 2}, {3, 3, 3, 2}}, 0);
    const auto& mask = batch.completionMask;
    auto rewards = torch::zeros_like(mask);
    rewards[0][2] = 1.0;
    rewards[2][3] = -1.0;
    torch::Tensor oldValues;
    {
      torch::NoGradGuard noGrad;
      oldValues = completionValues(critic, batch);
    }
    auto gae = generalizedAdvantages(rewards, oldValues, mask, 1.0, 0.95);
    auto loss = clippedValueLoss(completionValues(critic, batch), oldValues, gae.returns, mask, 0.2);
    loss.backward();
    auto params = critic->named_parameters();
    QVERIFY(params["value_head.weight"].grad().abs().sum().item<double>() > 0);
    QVERIFY(params["value_head.bias"].grad().abs().sum().item<double>() > 0);
    QVERIFY(params["trunk.blocks.0.attn.qkv.weight"].grad().abs().sum().item<double>() > 0);
    QVERIFY(params["trunk.token_embedding.weight"].grad().abs().sum().item<double>() > 0);
    // The unused LM head is frozen.
    QVERIFY(!params["trunk.head.weight"].requires_grad());

    // A few steps of regression towards fixed returns lower the loss and raise explained variance.
    torch::optim::Adam optimizer(critic->parameters(), torch::optim::AdamOptions(3e-3));
    const double first = loss.item<double>();
    double last = first;
    for (int step = 0; step < 60; ++step) {
      auto l =
          clippedValueLoss(completionValues(critic, batch), oldValues, gae.returns, mask, /*clip=*/100.0);
      optimizer.zero_grad();
      l.backward();
      optimizer.step();
      last = l.item<double>();
    }
    QVERIFY2(last < 0.1 * first, qPrintable(QString("value loss %1 -> %2").arg(first).arg(last)));
    torch::NoGradGuard noGrad;
    const double ev = explainedVariance(completionValues(critic, batch), gae.returns, mask);
    QVERIFY2(ev > 0.9, qPrintable(QString("explained variance %1").arg(ev)));
    qInfo("critic fit: value loss %.4f -> %.6f, explained variance %.4f", first, last, ev);
  }

  // ---- attention credit ----------------------------------------------------------------------------

  void waadGoldenExample() {
    auto local = torch::zeros({21, 21});
    local[20][19] = 0.7;
    local[20][17] = 0.2;
    local[20][0] = 0.1;
    local[1][0] = 1.0;
    local[0][0] = 1.0;
    local[5][9] = 1.0;  // above the diagonal: ignored
    auto w = waad(local);
    QVERIFY(w.sizes() == std::vector<int64_t>({21}));
    TB_NEAR(w[20].item<double>(), 0.7 * 1 + 0.2 * 3 + 0.1 * 10, 1e-6);
    TB_NEAR(w[20].item<double>(), 2.3, 1e-6);
    TB_NEAR(w[1].item<double>(), 1.0, 1e-7);
    QCOMPARE(w[0].item<double>(), 0.0);
    QCOMPARE(w[5].item<double>(), 0.0);
    // W = 2 caps both distant keys: .7 + .2 * 2 + .1 * 2 = 1.3.
    TB_NEAR(waad(local, /*window=*/2)[20].item<double>(), 1.3, 1e-6);
    // |WAAD_t - WAAD_{t+1}|, last position 0.
    auto change = waadChange(torch::tensor({1.0, 3.0, 2.5, 2.5}));
    QVERIFY(torch::allclose(change, torch::tensor({2.0, 0.5, 0.0, 0.0})));
  }

  void faiGoldenExample() {
    auto global = torch::zeros({15, 15});
    global[12][2] = 0.3;
    global[13][2] = 0.6;
    global[14][2] = 0.9;
    global[11][2] = 5.0;  // lag 9 < near: outside the window
    global[14][5] = 7.0;  // s = 5: [15, 14] is empty
    auto f = fai(global);
    QVERIFY(f.sizes() == std::vector<int64_t>({15}));
    TB_NEAR(f[2].item<double>(), 0.6, 1e-6);
    QCOMPARE(f[5].item<double>(), 0.0);
    QCOMPARE(f[14].item<double>(), 0.0);
    // near 1, far 2: s = 0 averages t = 1, 2 only.
    auto g = torch::zeros({6, 6});
    g[1][0] = 0.4;
    g[2][0] = 0.2;
    g[3][0] = 0.9;
    g[5][4] = 0.8;  // s = 4: only t = 5 is in range
    auto f2 = fai(g, /*nearLag=*/1, /*farLag=*/2);
    TB_NEAR(f2[0].item<double>(), 0.3, 1e-6);
    TB_NEAR(f2[4].item<double>(), 0.8, 1e-6);
    QCOMPARE(f2[5].item<double>(), 0.0);
  }

  void creditScalePicksTopFractionAndSparesNegativeAdvantages() {
    auto scores = torch::tensor({0.1, 0.9, 0.5, 0.3, 0.8, 0.2, 0.7, 0.0, 0.4, 0.6});
    auto scale = creditScale(scores);  // top 40% of 10 = 4: positions 1, 4, 6, 9
    auto expected = torch::tensor({1.0, 1.5, 1.0, 1.0, 1.5, 1.0, 1.5, 1.0, 1.0, 1.5});
    QVERIFY2(torch::allclose(scale, expected.to(scale.dtype())),
             qPrintable(QString::fromStdString(c10::str(scale))));
    auto advantages = torch::tensor({1.0, 1.0, 1.0, 1.0, -0.5, 1.0, 0.0, 1.0, 1.0, -2.0});
    auto signAware = creditScale(scores, 0.4, 1.5, advantages);
    auto expectedSigned = torch::tensor({1.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.5, 1.0, 1.0, 1.0});
    QVERIFY(torch::allclose(signAware, expectedSigned.to(signAware.dtype())));
    // applyCreditScale: A >= 0 scaled, A < 0 unchanged, whatever the multiplier.
    auto scaled = applyCreditScale(advantages, scale);
    for (int64_t t = 0; t < 10; ++t) {
      const double a = advantages[t].item<double>();
      TB_NEAR(scaled[t].item<double>(), a >= 0 ? a * scale[t].item<double>() : a, 1e-7);
    }
    // Sequence-level advantages [N,1] broadcast over token multipliers [N,L].
    auto rowScaled = applyCreditScale(torch::tensor({2.0, -1.0}).view({2, 1}),
                                      torch::tensor({1.5, 1.0, 1.5, 1.5}).view({2, 2}));
    QVERIFY(torch::allclose(rowScaled, torch::tensor({3.0, 2.0, -1.0, -1.0}).view({2, 2})));
    // Ties keep the earlier positions; fraction 0 and 1 are the extremes.
    QVERIFY(
        torch::allclose(creditScale(torch::zeros({5}), 0.4, 2.0), torch::tensor({2.0, 2.0, 1.0, 1.0, 1.0})));
    QVERIFY(torch::allclose(creditScale(scores, 0.0, 2.0), torch::ones({10})));
    QVERIFY(torch::allclose(creditScale(scores, 1.0, 2.0), torch::full({10}, 2.0)));
  }

  void selectHeadsPicksByMeanBackwardDistance() {
    const std::vector<int64_t> distances{4, 0, 7, 1, 3, 9, 2, 6, 5, 8};
    const int64_t n = 12;
    auto maps = fixedDistanceMaps(distances, n);
    auto d = headDistances(maps);
    for (size_t h = 0; h < distances.size(); ++h) {
      double expected = 0.0;  // row t reaches back min(d, t)
      for (int64_t t = 0; t < n; ++t) expected += std::min<int64_t>(distances[h], t);
      TB_NEAR(d[h].item<double>(), expected / n, 1e-6);
    }
    auto sel = selectHeads(maps);  // 30% of 10 heads = 3 each
    QCOMPARE(sel.localHeads, (std::vector<int64_t>{1, 3, 6}));
    QCOMPARE(sel.globalHeads, (std::vector<int64_t>{5, 9, 2}));
    QVERIFY(torch::allclose(sel.local, (maps[1] + maps[3] + maps[6]) / 3.0));
    QVERIFY(torch::allclose(sel.global, (maps[5] + maps[9] + maps[2]) / 3.0));
    // The weighted mean uses the attention mass: half the weight at lag 0 and half at lag 4 -> 2.
    auto mixed = (fixedDistanceMaps({0}, n) + fixedDistanceMaps({4}, n)) * 0.5;
    double expected = 0.0;
    for (int64_t t = 0; t < n; ++t) expected += 0.5 * std::min<int64_t>(4, t);
    TB_NEAR(headDistances(mixed)[0].item<double>(), expected / n, 1e-6);
    // At least one head each, even for a small fraction.
    auto one = selectHeads(maps, 0.01);
    QCOMPARE(one.localHeads, (std::vector<int64_t>{1}));
    QCOMPARE(one.globalHeads, (std::vector<int64_t>{5}));
  }

  void attentionCreditScaleOnPolicy() {
    auto policy = makePolicy(12);
    // Completions of 20, 9 and 1 tokens after prompts of different lengths.
    std::vector<std::vector<int>> completions(3);
    for (int j = 0; j < 19; ++j) completions[0].push_back(3 + (j * 7) % 16);
    completions[0].push_back(2);
    for (int j = 0; j < 8; ++j) completions[1].push_back(4 + (j * 5) % 15);
    completions[1].push_back(2);
    completions[2].push_back(2);
    auto batch = makeBatch({{1, 5, 6}, {1, 7, 8, 9, 10}, {1}}, completions, 0);
    const int P = batch.promptLength;
    const auto L = batch.completionMask.size(1);
    for (const std::string mode : {"local", "global"}) {
      auto scale = attentionCreditScale(policy, batch, mode);
      QVERIFY(!scale.requires_grad());
      QVERIFY(scale.sizes() == std::vector<int64_t>({3, L}));
      QVERIFY(((scale == 1.0) | (scale == 1.5)).all().item<bool>());
      QCOMPARE(scale.masked_select(batch.completionMask == 0).sub(1.0).abs().sum().item<double>(), 0.0);
      for (int64_t i = 0; i < 3; ++i) {
        const int n = batch.lengths[i];
        const auto boosted = (scale[i] == 1.5).sum().item<int64_t>();
        QCOMPARE(boosted, static_cast<int64_t>(std::llround(0.4 * n)));
      }
      // Row 0 by hand from the pieces: layer-averaged maps of the completion span.
      torch::NoGradGuard noGrad;
      auto maps = policy->attentionMaps(batch.tokens, batch.valid);
      auto mean = (maps[0] + maps[1]) / 2.0;
      const int n = batch.lengths[0];
      auto span = mean[0].narrow(1, P, n).narrow(2, P, n);
      auto heads = selectHeads(span, 0.3);
      auto scores = mode == "local" ? waadChange(waad(heads.local, 10)) : fai(heads.global, 10, 50);
      QVERIFY(scores.abs().sum().item<double>() > 0);
      QVERIFY(torch::equal(scale[0].narrow(0, 0, n), creditScale(scores, 0.4, 1.5)));
      // Other parameters are passed through.
      AttentionCreditParams params;
      params.topFraction = 0.25;
      params.gamma = 2.0;
      auto custom = attentionCreditScale(policy, batch, mode, params);
      QCOMPARE((custom[0] == 2.0).sum().item<int64_t>(), static_cast<int64_t>(std::llround(0.25 * n)));
    }
    QVERIFY_THROWS_EXCEPTION(InputError, attentionCreditScale(policy, batch, "sideways"));
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestModelParts)
#include "test_model_parts.moc"
