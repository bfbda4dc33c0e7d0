// The attention behind a stored trajectory (core/engine/AttentionSession.h): maps equal to the
// policy's own attention (itself checked against a naive softmax(QK^T/sqrt(d)) reference forward
// in test_model_parts), causal rows summing to one, the token metrics equal to what the
// attention_credit preset computes from the same policy (one implementation), the policy that
// drew a sample chosen from the run's checkpoints, JSON round trip, refusals, and max-keeping
// downsampling for long sequences.
#include <torch/torch.h>

#include <QtTest>

#include <cmath>

#include "core/Error.h"
#include "core/algorithms/AttentionCredit.h"
#include "core/attention/AttentionSample.h"
#include "core/config/RunConfig.h"
#include "core/engine/AttentionSession.h"
#include "core/model/AttentionAnalysis.h"
#include "core/engine/Engine.h"
#include "core/rollout/Sampler.h"
#include "core/store/RunStore.h"
#include "core/text/CharTokenizer.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

const std::string kAlphabet = "0123456789+-*/=() :\nlefta";

GptPolicy makePolicy(std::uint64_t seed) {
  torch::manual_seed(seed);
  const CharTokenizer tokenizer(kAlphabet);
  GptPolicy policy(GptConfig{tokenizer.vocabSize(), 32, 2, 4, 96});
  torch::NoGradGuard noGrad;
  for (auto& p : policy->parameters()) p.normal_(0.0, 0.3);  // sharper maps than the default init
  return policy;
}

// attentionOfText through the PolicyModel the training loop and the attention session use.
AttentionSample attentionOfGpt(GptPolicy& policy, const CharTokenizer& tokenizer, const std::string& prompt,
                               const std::string& completion, const std::vector<int>& layers = {}) {
  GptPolicyModel model(policy);
  return attentionOfText(model, tokenizer, prompt, completion, layers);
}

}  // namespace

class TestAttention : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void mapsAreThePoliciesAttention() {
    auto policy = makePolicy(1);
    const CharTokenizer tokenizer(kAlphabet);
    const std::string prompt = "1 3 4 7", completion = "7-1=6 (left: 3 4 6)\n4*6=24 (left: 3 24)";
    const AttentionSample a = attentionOfGpt(policy, tokenizer, prompt, completion);
    const int T = a.size();
    QCOMPARE(T, 1 + 7 + static_cast<int>(completion.size()) + 1);  // <bos> prompt completion <eos>
    QCOMPARE(a.promptLength, 8);
    QCOMPARE(a.tokens.front(), std::string("<bos>"));
    QCOMPARE(a.tokens.back(), std::string("<eos>"));
    QCOMPARE(a.tokens[8 + 19], std::string("\u23ce"));  // the newline after the first step
    QCOMPARE(a.layers, (std::vector<int>{0, 1}));
    QCOMPARE(a.headCount, 4);

    std::vector<int> ids = tokenizer.encodePrompt(prompt);
    const auto tail = tokenizer.encodeCompletion(completion);
    ids.insert(ids.end(), tail.begin(), tail.end());
    torch::NoGradGuard noGrad;
    const auto maps = policy->attentionMaps(torch::tensor(ids, torch::kLong).view({1, T}), torch::ones({1, T}, torch::kBool));
    double worst = 0, worstRow = 0;
    for (int li = 0; li < 2; ++li)
      for (int h = 0; h < 4; ++h)
        for (int t = 0; t < T; ++t) {
          double row = 0;
          for (int s = 0; s < T; ++s) {
            worst = std::max(worst, std::abs(a.weight(li, h, t, s) - maps[li][0][h][t][s].item<double>()));
            if (s > t) QCOMPARE(a.weight(li, h, t, s), 0.0f);  // causal, exactly
            row += a.weight(li, h, t, s);
          }
          worstRow = std::max(worstRow, std::abs(row - 1.0));
        }
    QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));
    QVERIFY2(worstRow < 1e-5, qPrintable(QString::number(worstRow)));

    // One kept layer only.
    const AttentionSample one = attentionOfGpt(policy, tokenizer, prompt, completion, {1});
    QCOMPARE(one.layers, (std::vector<int>{1}));
    QCOMPARE(one.weight(0, 2, 10, 3), a.weight(1, 2, 10, 3));
    // The mean map of a head set is the mean of its heads.
    const auto mean = a.map(0, {1, 3});
    QCOMPARE(mean[10 * T + 4], (a.weight(0, 1, 10, 4) + a.weight(0, 3, 10, 4)) / 2);
  }

  void metricsAreTheAttentionCreditOnes() {
    // The viewer's preplan / anchor tokens are exactly where attention_credit scales advantages.
    auto policy = makePolicy(2);
    const CharTokenizer tokenizer(kAlphabet);
    const std::string prompt = "2 5 8 9", completion = "9-5=4 (left: 2 4 8)\n8-2=6 (left: 4 6)\n4*6=24 (left: 24)";
    const AttentionSample a = attentionOfGpt(policy, tokenizer, prompt, completion);
    const int n = a.completionLength();
    QCOMPARE(static_cast<int>(a.waad.size()), n);
    QCOMPARE(static_cast<int>(a.fai.size()), n);
    QCOMPARE(static_cast<int>(a.headDistance.size()), 4);
    QCOMPARE(static_cast<int>(a.localHeads.size()), 1);  // round(0.3 x 4)
    QCOMPARE(static_cast<int>(a.anchors.size()), static_cast<int>(std::lround(0.4 * n)));
    const RolloutBatch batch = makeBatch({tokenizer.encodePrompt(prompt)}, {tokenizer.encodeCompletion(completion)},
                                         CharTokenizer::kPad);
    for (const char* mode : {"local", "global"}) {
      auto scale = attentionCreditScale(policy, batch, mode);
      std::vector<int> scaled;
      for (int t = 0; t < n; ++t)
        if (scale[0][t].item<double>() > 1.0) scaled.push_back(t);
      QCOMPARE(scaled, std::string(mode) == "local" ? a.preplan : a.anchors);
    }
    for (double v : a.waad) QVERIFY(v >= 0 && v <= 10.0 + 1e-9);  // a distance capped at W = 10
  }

  void jsonRoundTripAndRefusals() {
    auto policy = makePolicy(3);
    const CharTokenizer tokenizer(kAlphabet);
    AttentionSample a = attentionOfGpt(policy, tokenizer, "1 2 3 4", "4*3=12\n12*2=24");
    a.problemId = "game24/7";
    a.policy = "warm start";
    const AttentionSample b = attentionFromJson(attentionToJson(a), "round trip");
    QCOMPARE(b.tokens, a.tokens);
    QCOMPARE(b.weights, a.weights);
    QCOMPARE(b.waad, a.waad);
    QCOMPARE(b.anchors, a.anchors);
    QCOMPARE(b.problemId, a.problemId);
    auto broken = attentionToJson(a);
    broken["attention"][0][0][3] = std::vector<float>{0.5f};
    QVERIFY(inputErrorOf([&] { attentionFromJson(broken, "bad.json"); }).contains("bad.json"));
    QVERIFY(inputErrorOf([&] { attentionFromJson(nlohmann::json{{"nodes", 1}}, "x.json"); }).contains("thoughtbench-attention"));
    QVERIFY(inputErrorOf([&] { attentionOfGpt(policy, tokenizer, "1 2", "3", {5}); }).contains("layer 5"));
    QVERIFY(inputErrorOf([&] { attentionOfGpt(policy, tokenizer, "1 2", std::string(200, '1')); }).contains("context"));
  }

  void storedSamplesUseThePolicyThatDrewThem() {
    const std::string db = dir_.filePath("attention.sqlite").toStdString();
    RunConfig c = RunConfig::defaults("game24", "grpo");
    for (const char* o : {"model.d_model=32", "model.layers=2", "model.heads=2", "rollout.prompts=2",
                          "rollout.group_size=2", "rollout.max_new_tokens=64", "warmstart.demonstrations=16",
                          "warmstart.steps=10", "warmstart.batch=4", "eval.every=0", "run.threads=1",
                          "run.checkpoint_every=1", "run.samples_logged=2", "run.iterations=2"})
      c.applyOverride(o);
    std::int64_t run = 0;
    {
      auto store = RunStore::open(db);
      run = createRun(*store, c);
    }
    RunControl control;
    const RunStatus status = executeRun(db, run, control, nullptr);
    auto store = RunStore::open(db);
    QVERIFY2(status == RunStatus::Finished, store->run(run)->message.c_str());
    const auto first = store->samples(run, 0, 1).at(0);
    const auto second = store->samples(run, 1, 1).at(0);
    const AttentionSample a0 = attentionOfSample(*store, first.id);
    QVERIFY2(a0.policy.find("warm start") != std::string::npos, a0.policy.c_str());
    const AttentionSample a1 = attentionOfSample(*store, second.id, {1});
    QCOMPARE(a1.policy, std::string("checkpoint of iteration 0"));
    QCOMPARE(a1.sampleId, second.id);
    QCOMPARE(a1.problemId, second.problemId);
    QCOMPARE(a1.layers, (std::vector<int>{1}));
    QCOMPARE(a1.headCount, 2);
    QCOMPARE(a1.completionLength(), static_cast<int>(second.completion.size()) + 1);  // characters + <eos>
    QVERIFY(inputErrorOf([&] { attentionOfSample(*store, 987654); }).contains("987654"));
  }

  void downsamplingKeepsTheMaximum() {
    const int T = 2048;
    std::vector<float> map(static_cast<size_t>(T) * T, 0.0f);
    for (int t = 0; t < T; ++t) map[static_cast<size_t>(t) * T] = 0.01f;  // weak column on the first key
    map[static_cast<size_t>(1500) * T + 777] = 0.9f;                    // one strong cell
    int side = 0;
    const auto small = downsampleMax(map, T, 512, side);
    QCOMPARE(side, 512);
    QCOMPARE(small[static_cast<size_t>(1500 * 512 / T) * 512 + 777 * 512 / T], 0.9f);
    QCOMPARE(small[static_cast<size_t>(100) * 512], 0.01f);
    QCOMPARE(*std::max_element(small.begin(), small.end()), 0.9f);
    int same = 0;
    QCOMPARE(downsampleMax(std::vector<float>(16, 0.5f), 4, 512, same).size(), size_t(16));
    QCOMPARE(same, 4);
  }
};

QTEST_APPLESS_MAIN(TestAttention)
#include "test_attention.moc"
