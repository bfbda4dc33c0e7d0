// Tests of the built-in policy stack: the character tokenizer, GptPolicy (KV-cache consistency
// with the whole-sequence forward, invariance to left padding), the batched sampler (determinism
// under a fixed generator, <eos> handling and masks, log-probs and entropies that agree with
// scoreCompletions, greedy limits of temperature and top-p), the inference-only step
// (GptDecodeStep, and its raw-buffer attention) against the whole-sequence forward and the
// LibTorch path, makeBatch + scoreCompletions (gradients, exact zeros on masked positions) and a
// tiny supervised fit end to end.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <QtTest>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/model/GptDecodeStep.h"
#include "core/model/GptPolicy.h"
#include "core/rollout/Sampler.h"
#include "kernels/DecodeAttention.h"
#include "kernels/DecodeStepAttention.h"
#include "core/text/CharTokenizer.h"

#include "tests/TestSupport.h"

namespace tb {
namespace {

constexpr int kVocab = 20;

// A small random policy. Weights are drawn wider than GPT-2's N(0, 0.02) so that attention
// patterns, positions and logits differ clearly between tokens (a padding or position bug then
// shows up as a large logit difference, and argmax ties are practically impossible).
GptPolicy makePolicy(uint64_t seed, double scale = 0.3) {
  torch::manual_seed(seed);
  GptPolicy policy(GptConfig{kVocab, 32, 2, 4, 40});
  torch::NoGradGuard noGrad;
  for (auto& p : policy->named_parameters()) {
    const auto& name = p.key();
    if (name.find("ln") != std::string::npos) continue;  // LayerNorm stays (1, 0)
    p.value().normal_(0.0, scale);
  }
  return policy;
}

torch::Generator makeGenerator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Largest |a - b| over positions where `valid` [B,T] is true; a, b are [B,T,V].
double maxDiffAtValid(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& valid) {
  auto diff = (a - b).abs().amax(-1) * valid.to(torch::kFloat);
  return diff.max().item<double>();
}

std::string completionText(const CharTokenizer& tok, const RolloutBatch& batch, int row) {
  auto ids = batch.tokens[row].narrow(0, batch.promptLength, batch.completionMask.size(1)).contiguous();
  return tok.decode(ids.data_ptr<int64_t>(), static_cast<int>(ids.numel()));
}

}  // namespace

class TestPolicyModel : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { torch::set_num_threads(1); }

  // ---- tokenizer --------------------------------------------------------------------------------

  void tokenizerRoundTrip() {
    CharTokenizer tok("9876543210+-*/()= ");
    QCOMPARE(tok.alphabet(), std::string(" ()*+-/0123456789="));
    QCOMPARE(tok.vocabSize(), 3 + 18);
    const std::string text = "(1+2)*3 = 9";
    const auto prompt = tok.encodePrompt(text);
    QCOMPARE(prompt.size(), text.size() + 1);
    QCOMPARE(prompt.front(), CharTokenizer::kBos);
    for (size_t i = 1; i < prompt.size(); ++i)
      QVERIFY(prompt[i] >= CharTokenizer::kFirstChar && prompt[i] < tok.vocabSize());
    QCOMPARE(tok.decode(prompt), text);

    const auto completion = tok.encodeCompletion(text);
    QCOMPARE(completion.size(), text.size() + 1);
    QCOMPARE(completion.back(), CharTokenizer::kEos);
    QCOMPARE(tok.decode(completion), text);
    QVERIFY(tok.encodeCompletion("").size() == 1);

    // decode stops at the first <eos>, skips <pad>/<bos> and ids outside the vocabulary.
    auto withTail = completion;
    withTail.push_back(tok.encodeCompletion("7").front());
    QCOMPARE(tok.decode(withTail), text);
    const int four = tok.encodeCompletion("4").front();
    QCOMPARE(tok.decode(std::vector<int>{CharTokenizer::kPad, CharTokenizer::kBos, four, 99, CharTokenizer::kPad}),
             std::string("4"));
    QCOMPARE(tok.decode(std::vector<int>{}), std::string());

    // Duplicates in the alphabet collapse.
    CharTokenizer dup("baab");
    QCOMPARE(dup.alphabet(), std::string("ab"));
    QCOMPARE(dup.vocabSize(), 5);
    QCOMPARE(dup.encodePrompt("ab"), (std::vector<int>{1, 3, 4}));
  }

  void tokenizerRejectsUnknownCharacters() {
    CharTokenizer tok("0123456789+");
    for (int which = 0; which < 2; ++which) {
      try {
        if (which == 0) tok.encodePrompt("12x3");
        else tok.encodeCompletion("1+y");
        QFAIL("expected InputError");
      } catch (const InputError& e) {
        const QString message = e.what();
        QVERIFY2(message.contains(which == 0 ? "'x'" : "'y'"), e.what());
      }
    }
  }

  // ---- GptPolicy --------------------------------------------------------------------------------

  void positionsCountValidTokensOnly() {
    auto valid = torch::tensor({0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, torch::kBool).view({2, 5});
    auto pos = positionsFromValid(valid);
    auto expected = torch::tensor({0, 0, 0, 1, 2, 0, 1, 2, 3, 4}, torch::kLong).view({2, 5});
    QVERIFY2(torch::equal(pos, expected), qPrintable(QString::fromStdString(c10::str(pos))));
  }

  void kvCacheMatchesFullForward() {
    auto policy = makePolicy(1);
    torch::NoGradGuard noGrad;
    // Three prompts of different lengths (left padding), then 6 completion tokens; row 1 stops
    // after 4 (its last two columns are padding, as after <eos> in the sampler).
    const std::vector<std::vector<int>> prompts{{1, 5, 6, 7, 8}, {1, 9}, {1, 3, 4, 5}};
    auto [promptTokens, promptValid] = padPrompts(prompts, 0);
    const int64_t P = promptTokens.size(1), C = 6;
    QCOMPARE(P, int64_t(5));
    torch::manual_seed(11);
    auto completion = torch::randint(3, kVocab, {3, C}, torch::kLong);
    auto completionValid = torch::ones({3, C}, torch::kBool);
    completionValid[1].narrow(0, 4, 2).fill_(false);
    completion[1].narrow(0, 4, 2).fill_(0);
    auto tokens = torch::cat({promptTokens, completion}, 1);
    auto valid = torch::cat({promptValid, completionValid}, 1);

    auto full = policy->forward(tokens, valid);
    QVERIFY(full.sizes() == std::vector<int64_t>({3, P + C, kVocab}));
    QVERIFY(full.isfinite().all().item<bool>());
    QVERIFY2(full.abs().max().item<double>() > 0.5, "logits too small for a meaningful comparison");

    auto cache = policy->makeCache(3, torch::kCPU);
    auto prefill = policy->forwardCached(promptTokens, promptValid, cache);
    QCOMPARE(cache.length, int(P));
    double err = maxDiffAtValid(prefill, full.narrow(1, 0, P), promptValid);
    QVERIFY2(err < 1e-5, qPrintable(QString("prefill max |diff| = %1").arg(err)));

    // Two completion tokens as one chunk, then one at a time.
    auto chunk = policy->forwardCached(completion.narrow(1, 0, 2), completionValid.narrow(1, 0, 2), cache);
    err = maxDiffAtValid(chunk, full.narrow(1, P, 2), completionValid.narrow(1, 0, 2));
    QVERIFY2(err < 1e-5, qPrintable(QString("chunk max |diff| = %1").arg(err)));
    for (int64_t t = 2; t < C; ++t) {
      auto step = policy->forwardCached(completion.narrow(1, t, 1), completionValid.narrow(1, t, 1), cache);
      err = maxDiffAtValid(step, full.narrow(1, P + t, 1), completionValid.narrow(1, t, 1));
      QVERIFY2(err < 1e-5, qPrintable(QString("step %1 max |diff| = %2").arg(t).arg(err)));
    }
    QCOMPARE(cache.length, int(P + C));
  }

  void leftPaddingDoesNotChangeLogits() {
    auto policy = makePolicy(2);
    torch::NoGradGuard noGrad;
    const std::vector<int> shortRow{1, 5, 6, 7}, longRow{1, 3, 4, 5, 6, 7, 8};
    auto alone = policy->forward(torch::tensor(std::vector<int64_t>(shortRow.begin(), shortRow.end())).view({1, 4}),
                                 torch::ones({1, 4}, torch::kBool));
    auto [tokens, valid] = padPrompts({shortRow, longRow}, 0);
    QCOMPARE(tokens.size(1), int64_t(7));
    auto batched = policy->forward(tokens, valid);
    const double err = (batched[0].narrow(0, 3, 4) - alone[0]).abs().max().item<double>();
    QVERIFY2(err < 1e-5, qPrintable(QString("max |diff| = %1").arg(err)));

    // The long row is unaffected by sharing the batch too.
    auto longAlone = policy->forward(tokens[1].unsqueeze(0), torch::ones({1, 7}, torch::kBool));
    const double err2 = (batched[1] - longAlone[0]).abs().max().item<double>();
    QVERIFY2(err2 < 1e-5, qPrintable(QString("long row max |diff| = %1").arg(err2)));

    // Cached prefill of the padded batch agrees as well.
    auto cache = policy->makeCache(2, torch::kCPU);
    auto cached = policy->forwardCached(tokens, valid, cache);
    const double err3 = (cached[0].narrow(0, 3, 4) - alone[0]).abs().max().item<double>();
    QVERIFY2(err3 < 1e-5, qPrintable(QString("cached max |diff| = %1").arg(err3)));
  }

  // ---- sampler ----------------------------------------------------------------------------------

  void samplingIsDeterministicForASeed() {
    auto policy = makePolicy(3);
    const std::vector<std::vector<int>> prompts{{1, 5, 6}, {1, 7}, {1, 8, 9, 10}, {1}};
    SamplingOptions options;
    options.temperature = 1.0;
    options.maxNewTokens = 12;
    auto g1 = makeGenerator(123), g2 = makeGenerator(123), g3 = makeGenerator(124);
    auto a = sampleCompletions(policy, prompts, options, g1);
    auto b = sampleCompletions(policy, prompts, options, g2);
    QVERIFY(torch::equal(a.tokens, b.tokens));
    QVERIFY(torch::equal(a.completionMask, b.completionMask));
    QVERIFY(torch::allclose(a.logprobs, b.logprobs));
    QCOMPARE(a.lengths, b.lengths);
    auto c = sampleCompletions(policy, prompts, options, g3);
    QVERIFY2(!torch::equal(a.tokens, c.tokens), "a different seed should give different samples");
  }

  void samplerStopsAtEosAndMasksAfter() {
    auto policy = makePolicy(4);
    std::vector<std::vector<int>> prompts;
    for (int i = 0; i < 24; ++i) prompts.push_back(i % 3 == 0 ? std::vector<int>{1, 3 + i % 17}
                                                               : std::vector<int>{1, 4, 5 + i % 15, 6});
    SamplingOptions options;
    options.temperature = 1.5;
    options.maxNewTokens = 16;
    auto gen = makeGenerator(5);
    auto batch = sampleCompletions(policy, prompts, options, gen);
    const int64_t N = 24, L = options.maxNewTokens;
    const int P = batch.promptLength;
    QCOMPARE(P, 4);
    QVERIFY(batch.tokens.sizes() == std::vector<int64_t>({N, P + L}));
    QVERIFY(batch.completionMask.sizes() == std::vector<int64_t>({N, L}));
    QCOMPARE(batch.lengths.size(), size_t(N));
    QCOMPARE(batch.finished.size(), size_t(N));
    QVERIFY(torch::equal(batch.valid.narrow(1, P, L), batch.completionMask.to(torch::kBool)));

    int finished = 0, unfinished = 0;
    auto tokens = batch.tokens.accessor<int64_t, 2>();
    auto mask = batch.completionMask.accessor<float, 2>();
    int64_t total = 0;
    for (int64_t i = 0; i < N; ++i) {
      const int len = batch.lengths[i];
      total += len;
      QVERIFY(len >= 1 && len <= L);
      for (int64_t j = 0; j < L; ++j) {
        const int64_t t = tokens[i][P + j];
        QCOMPARE(mask[i][j], j < len ? 1.0f : 0.0f);
        if (j >= len) QCOMPARE(t, int64_t(options.padId));
        if (j < len - 1) QVERIFY2(t != options.eosId, "a row continued after <eos>");
      }
      const bool endsWithEos = tokens[i][P + len - 1] == options.eosId;
      QCOMPARE(bool(batch.finished[i]), endsWithEos);
      if (endsWithEos) ++finished;
      else {
        ++unfinished;
        QCOMPARE(len, int(L));
      }
    }
    QCOMPARE(batch.generatedTokens(), total);
    QVERIFY2(finished > 0 && unfinished > 0,
             qPrintable(QString("finished %1, unfinished %2: choose another seed").arg(finished).arg(unfinished)));
  }

  void samplerScoresMatchScoreCompletions() {
    auto policy = makePolicy(6);
    const std::vector<std::vector<int>> prompts{{1, 5, 6}, {1, 7}, {1, 8, 9, 10, 11}, {1, 12}, {1, 3}, {1, 4, 4}};
    for (double temperature : {1.0, 0.7}) {
      for (double topP : {1.0, 0.9}) {
        SamplingOptions options;
        options.temperature = temperature;
        options.topP = topP;
        options.maxNewTokens = 14;
        auto gen = makeGenerator(7);
        auto batch = sampleCompletions(policy, prompts, options, gen);
        torch::NoGradGuard noGrad;
        auto scores = scoreCompletions(policy, batch, temperature);
        const auto& mask = batch.completionMask;
        const double lpErr = ((scores.logprobs - batch.logprobs).abs() * mask).max().item<double>();
        QVERIFY2(lpErr < 1e-4, qPrintable(QString("T=%1 p=%2 logprob |diff| = %3").arg(temperature).arg(topP).arg(lpErr)));
        const double entErr = ((scores.entropies - batch.entropies).abs() * mask).max().item<double>();
        QVERIFY2(entErr < 1e-4, qPrintable(QString("T=%1 p=%2 entropy |diff| = %3").arg(temperature).arg(topP).arg(entErr)));
        // Masked positions are exactly zero in both.
        auto off = mask == 0;
        QCOMPARE(batch.logprobs.masked_select(off).abs().sum().item<double>(), 0.0);
        QCOMPARE(scores.logprobs.masked_select(off).abs().sum().item<double>(), 0.0);
        QCOMPARE(batch.entropies.masked_select(off).abs().sum().item<double>(), 0.0);
        // Log-probs <= 0; entropies within [0, log V].
        auto on = mask > 0;
        QVERIFY(batch.logprobs.masked_select(on).max().item<double>() <= 0.0);
        auto ent = batch.entropies.masked_select(on);
        QVERIFY(ent.min().item<double>() >= -1e-6);
        QVERIFY(ent.max().item<double>() <= std::log(double(kVocab)) + 1e-5);
      }
    }
  }

  void smallTemperatureAndTopPAreGreedy() {
    auto policy = makePolicy(8);
    const std::vector<std::vector<int>> prompts{{1, 5, 6}, {1, 7}, {1, 8, 9, 10}, {1, 12}};
    struct Case {
      double temperature, topP;
    };
    for (const Case& c : {Case{1e-5, 1.0}, Case{1.0, 1e-6}, Case{2.0, 1e-6}}) {
      SamplingOptions options;
      options.temperature = c.temperature;
      options.topP = c.topP;
      options.maxNewTokens = 10;
      auto g1 = makeGenerator(1), g2 = makeGenerator(99);
      auto batch = sampleCompletions(policy, prompts, options, g1);
      auto other = sampleCompletions(policy, prompts, options, g2);
      QVERIFY2(torch::equal(batch.tokens, other.tokens), "greedy sampling should not depend on the seed");
      torch::NoGradGuard noGrad;
      const int P = batch.promptLength;
      const auto L = batch.completionMask.size(1);
      auto logits = policy->forward(batch.tokens, batch.valid).narrow(1, P - 1, L);
      auto argmax = logits.argmax(-1);
      auto sampled = batch.tokens.narrow(1, P, L);
      auto on = batch.completionMask > 0;
      const auto mismatches = (argmax != sampled).logical_and(on).sum().item<int64_t>();
      QVERIFY2(mismatches == 0, qPrintable(QString("T=%1 top_p=%2: %3 non-argmax tokens")
                                               .arg(c.temperature).arg(c.topP).arg(mismatches)));
      QVERIFY(on.sum().item<int64_t>() >= int64_t(prompts.size()));
    }
  }

  // drawStep (the decode step's draws where the logits are; decodeCompletions uses it for GPU
  // logits) against the CPU path of decodeCompletions on the same logits: the same tokens, log-probs
  // and entropies, with row seeds, temperature and top-p; tokens with p = 0 (-inf logits) are never
  // drawn; without seeds the draws come from the generator (same seed, same tokens).
  void drawStepMatchesCpuPath() {
    const int64_t n = 48, V = 3000;
    torch::manual_seed(5);
    auto logits = torch::randn({n, V}) * 3.0;
    logits.narrow(1, 0, 100).fill_(-std::numeric_limits<float>::infinity());  // never drawn
    logits[3].fill_(-std::numeric_limits<float>::infinity());
    logits[3][V - 1] = 0.0f;  // a row with one possible token, the last
    for (double temperature : {1.0, 0.7}) {
      for (double topP : {1.0, 0.9}) {
        SamplingOptions options;
        options.temperature = temperature;
        options.topP = topP;
        options.maxNewTokens = 1;
        options.eosId = -1;
        for (int64_t i = 0; i < n; ++i) options.rowSeeds.push_back(rowSeed(77, static_cast<std::uint64_t>(i)));
        const std::vector<std::vector<int>> prompts(static_cast<size_t>(n), std::vector<int>{1});
        auto prefill = [&](const torch::Tensor&, const torch::Tensor&) { return logits.unsqueeze(1); };
        auto g = makeGenerator(1);
        const RolloutBatch cpu = decodeCompletions(prompts, options, g, 64, prefill, prefill);
        const StepDraws d = drawStep(logits, temperature, topP, g, options.rowSeeds, 0);
        for (int64_t i = 0; i < n; ++i) {
          const auto ui = static_cast<size_t>(i);
          QCOMPARE(d.tokens[ui], cpu.tokens[i][1].item<int64_t>());
          QVERIFY(d.tokens[ui] >= 100);
          QVERIFY(std::abs(d.logprobs[ui] - cpu.logprobs[i][0].item<float>()) < 1e-5);
          QVERIFY(std::abs(d.entropies[ui] - cpu.entropies[i][0].item<float>()) < 1e-4);
          QVERIFY(std::isfinite(d.entropies[ui]));
        }
        QCOMPARE(d.tokens[3], V - 1);
        QCOMPARE(d.entropies[3], 0.0f);
      }
    }
    auto g1 = makeGenerator(3), g2 = makeGenerator(3);
    const StepDraws a = drawStep(logits, 1.0, 1.0, g1, {}, 0), b = drawStep(logits, 1.0, 1.0, g2, {}, 0);
    QVERIFY(a.tokens == b.tokens);
    for (int64_t t : a.tokens) QVERIFY(t >= 100 && t < V);
  }

  // Finished rows leave the decode batch (their KV cache rows are dropped): with row seeds every
  // completion, length and score is what the full batch gives.
  void droppingFinishedRowsChangesNothing() {
    torch::manual_seed(11);
    GptPolicy policy(GptConfig{6, 32, 2, 2, 64});  // 6 tokens, <eos> = 2: rows end at different steps
    policy->eval();
    std::vector<std::vector<int>> prompts;
    for (int i = 0; i < 24; ++i) prompts.push_back({1, 3 + i % 3, 4, 5 - i % 2});
    SamplingOptions options;
    options.maxNewTokens = 30;
    options.padId = 0;
    options.eosId = 2;
    for (size_t i = 0; i < prompts.size(); ++i) options.rowSeeds.push_back(rowSeed(42, i));
    auto g1 = at::make_generator<at::CPUGeneratorImpl>(1);
    const RolloutBatch dropped = sampleCompletions(policy, prompts, options, g1);

    KvCache cache = policy->makeCache(static_cast<int>(prompts.size()), torch::kCPU);
    auto forward = [&](const torch::Tensor& t, const torch::Tensor& v) { return policy->forwardCached(t, v, cache); };
    int keeps = 0;
    auto g2 = at::make_generator<at::CPUGeneratorImpl>(1);
    const RolloutBatch full = decodeCompletions(prompts, options, g2, 64, forward, forward);
    KvCache cache2 = policy->makeCache(static_cast<int>(prompts.size()), torch::kCPU);
    auto forward2 = [&](const torch::Tensor& t, const torch::Tensor& v) { return policy->forwardCached(t, v, cache2); };
    auto keep = [&](const torch::Tensor& rows) {
      ++keeps;
      keepCacheRows(cache2, rows);
    };
    auto g3 = at::make_generator<at::CPUGeneratorImpl>(1);
    const RolloutBatch counted = decodeCompletions(prompts, options, g3, 64, forward2, forward2, keep);
    QVERIFY2(keeps >= 1, "no row was ever dropped");
    int unfinished = 0;
    for (const RolloutBatch* b : {&dropped, &counted}) {
      QVERIFY(torch::equal(b->tokens, full.tokens));
      QVERIFY(torch::equal(b->completionMask, full.completionMask));
      QVERIFY(b->lengths == full.lengths);
      QVERIFY(b->finished == full.finished);
      QVERIFY(torch::allclose(b->logprobs, full.logprobs, 1e-5, 1e-5));
      QVERIFY(torch::allclose(b->entropies, full.entropies, 1e-5, 1e-5));
    }
    for (bool f : full.finished) unfinished += !f;
    QVERIFY(unfinished < 24);
  }

  // The inference-only step (core/model/GptDecodeStep.h), which forwardCached runs under
  // NoGradGuard, against the whole-sequence forward and against forwardCached's LibTorch path
  // (taken with autograd on): a prefill of left-padded prompts, then one token per step with a
  // row that ends early (padding afterwards, as after <eos>) and then leaves the batch
  // (keepCacheRows moves the rows after it). Head dimensions 8 and 32 take the AVX2 attention, 12
  // the portable loops.
  void fastStepMatchesForward() {
    struct Shape {
      int dModel, layers, heads;
    };
    for (const Shape& shape : {Shape{32, 2, 4}, Shape{64, 2, 2}, Shape{36, 1, 3}}) {
      torch::manual_seed(21);
      GptPolicy policy(GptConfig{kVocab, shape.dModel, shape.layers, shape.heads, 40});
      {
        torch::NoGradGuard noGrad;
        for (auto& p : policy->named_parameters()) {
          const bool norm = p.key().find("ln") != std::string::npos;
          const bool bias = p.key().find("bias") != std::string::npos;
          if (norm) p.value().copy_((bias ? 0.0 : 1.0) + 0.1 * torch::randn_like(p.value()));
          else p.value().normal_(0.0, 0.3);
        }
      }
      const std::vector<std::vector<int>> prompts{{1, 5, 6, 7, 8}, {1, 9}, {1, 3, 4, 5}, {1}};
      auto [promptTokens, promptValid] = padPrompts(prompts, 0);
      const int64_t N = 4, P = promptTokens.size(1), C = 8;
      torch::manual_seed(12);
      auto completion = torch::randint(3, kVocab, {N, C}, torch::kLong);
      auto completionValid = torch::ones({N, C}, torch::kBool);
      completionValid[1].narrow(0, 3, C - 3).fill_(false);  // row 1 ends after 3 tokens
      completion[1].narrow(0, 3, C - 3).fill_(0);
      const auto tokens = torch::cat({promptTokens, completion}, 1);
      const auto valid = torch::cat({promptValid, completionValid}, 1);

      torch::NoGradGuard noGrad;
      const auto full = policy->forward(tokens, valid);
      auto fast = policy->makeCache(static_cast<int>(N), torch::kCPU);
      auto plain = policy->makeCache(static_cast<int>(N), torch::kCPU);
      auto plainStep = [&](const torch::Tensor& t, const torch::Tensor& v) {
        torch::AutoGradMode on(true);
        if (GptDecodeStep::applies(*policy, t, plain)) QTest::qFail("the LibTorch path was not taken", __FILE__, __LINE__);
        return policy->forwardCached(t, v, plain).detach();
      };
      // max |a - b| over valid positions / max |b| over valid positions.
      auto relErr = [](const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& on) {
        const auto m = on.unsqueeze(-1).to(torch::kFloat);
        return ((a - b).abs() * m).max().item<double>() / (b.abs() * m).max().item<double>();
      };
      const QString where = QString("d_model %1, heads %2").arg(shape.dModel).arg(shape.heads);

      QVERIFY(GptDecodeStep::applies(*policy, promptTokens, fast));
      const auto prefill = policy->forwardCached(promptTokens, promptValid, fast);
      const auto prefillPlain = plainStep(promptTokens, promptValid);
      QVERIFY(prefill.isfinite().all().item<bool>());
      double err = relErr(prefill, full.narrow(1, 0, P), promptValid);
      QVERIFY2(err < 1e-5, qPrintable(where + QString(": prefill vs forward rel err %1").arg(err)));
      err = relErr(prefill, prefillPlain, promptValid);
      QVERIFY2(err < 1e-5, qPrintable(where + QString(": prefill vs LibTorch path rel err %1").arg(err)));
      {
        // The sampler's prefill: the last position only, and the same cache.
        auto lastCache = policy->makeCache(static_cast<int>(N), torch::kCPU);
        const auto last = policy->forwardCachedLast(promptTokens, promptValid, lastCache);
        QVERIFY(last.sizes() == std::vector<int64_t>({N, 1, kVocab}));
        err = relErr(last, prefill.narrow(1, P - 1, 1), torch::ones({N, 1}, torch::kBool));
        QVERIFY2(err < 1e-6, qPrintable(where + QString(": last-position prefill rel err %1").arg(err)));
        QCOMPARE(lastCache.length, int(P));
        for (size_t layer = 0; layer < fast.keys.size(); ++layer) {
          QVERIFY(torch::allclose(lastCache.keys[layer].narrow(2, 0, P), fast.keys[layer].narrow(2, 0, P), 1e-6, 1e-6));
          QVERIFY(torch::allclose(lastCache.values[layer].narrow(2, 0, P), fast.values[layer].narrow(2, 0, P), 1e-6, 1e-6));
        }
      }

      std::vector<int64_t> rows{0, 1, 2, 3};  // batch rows still in the caches
      for (int64_t t = 0; t < C; ++t) {
        if (t == 5) {  // row 1, finished two steps ago, leaves the batch
          rows = {0, 2, 3};
          const auto keep = torch::tensor(std::vector<int64_t>{0, 2, 3}, torch::kLong);
          keepCacheRows(fast, keep);
          keepCacheRows(plain, keep);
        }
        const auto index = torch::tensor(rows, torch::kLong);
        const auto stepTokens = completion.index_select(0, index).narrow(1, t, 1);
        const auto stepValid = completionValid.index_select(0, index).narrow(1, t, 1);
        QVERIFY(GptDecodeStep::applies(*policy, stepTokens, fast));
        const auto step = policy->forwardCached(stepTokens, stepValid, fast);
        const auto stepPlain = plainStep(stepTokens, stepValid);
        QVERIFY(step.sizes() == std::vector<int64_t>({static_cast<int64_t>(rows.size()), 1, kVocab}));
        QVERIFY(step.isfinite().all().item<bool>());
        err = relErr(step, full.index_select(0, index).narrow(1, P + t, 1), stepValid);
        QVERIFY2(err < 1e-5, qPrintable(where + QString(": step %1 vs forward rel err %2").arg(t).arg(err)));
        err = relErr(step, stepPlain, stepValid);
        QVERIFY2(err < 1e-5, qPrintable(where + QString(": step %1 vs LibTorch path rel err %2").arg(t).arg(err)));
      }
      QCOMPARE(fast.length, int(P + C));
      QCOMPARE(plain.length, int(P + C));
      // The new keys and values went into the cache as the LibTorch path writes them.
      const auto on = fast.valid.narrow(1, 0, P + C).unsqueeze(1).unsqueeze(-1).to(torch::kFloat);
      for (size_t layer = 0; layer < fast.keys.size(); ++layer) {
        const auto k = fast.keys[layer].narrow(2, 0, P + C), kPlain = plain.keys[layer].narrow(2, 0, P + C);
        const double kErr = ((k - kPlain).abs() * on).max().item<double>() / (kPlain.abs() * on).max().item<double>();
        QVERIFY2(kErr < 1e-5, qPrintable(where + QString(": keys of layer %1 rel err %2").arg(layer).arg(kErr)));
      }
      QVERIFY(torch::equal(fast.valid.narrow(1, 0, P + C), plain.valid.narrow(1, 0, P + C)));
    }
  }

  // The raw-buffer decode attention against the plain composition: random queries and caches,
  // left padding and holes in `valid`, a row with nothing to attend (zeros), head dimensions on
  // the AVX2 path (8, 32) and off it (12); and with attendSelf, a padded query that sees itself.
  void decodeStepAttentionMatchesReference() {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    for (int64_t Dh : {8, 32, 12}) {
      const int64_t B = 5, H = 3, Ccap = 23, length = 19;
      torch::NoGradGuard noGrad;
      const auto q = torch::randn({B, H, Dh}, gen);
      const auto keys = torch::randn({B, H, Ccap, Dh}, gen);
      const auto values = torch::randn({B, H, Ccap, Dh}, gen);
      auto valid = torch::rand({B, Ccap}, gen) > 0.3;
      valid[0].narrow(0, 0, 7).fill_(false);  // left padding
      valid[1].fill_(true);
      valid[2].fill_(false);                  // nothing to attend
      const auto fused = decodeStepAttention(q, keys, values, valid, length);
      const auto reference = referenceDecodeAttention(q, keys, values, valid, length);
      const double err = (fused - reference).abs().max().item<double>();
      QVERIFY2(err < 1e-5, qPrintable(QString("Dh %1: max |diff| %2").arg(Dh).arg(err)));
      QCOMPARE(fused[2].abs().max().item<double>(), 0.0);
      // attendSelf: the query at position length-1 also sees itself when it is not valid.
      auto selfValid = valid.clone();
      selfValid.select(1, length - 1).fill_(true);
      auto padded = valid.clone();
      padded.select(1, length - 1).fill_(false);
      const auto withSelf = decodeStepAttention(q, keys, values, padded, length, /*attendSelf=*/true);
      const auto expected = referenceDecodeAttention(q, keys, values, selfValid, length);
      const double selfErr = (withSelf - expected).abs().max().item<double>();
      QVERIFY2(selfErr < 1e-5, qPrintable(QString("Dh %1 attendSelf: max |diff| %2").arg(Dh).arg(selfErr)));
    }
#if defined(__x86_64__) && defined(__GNUC__)
    QVERIFY2(decodeStepAttentionHasAvx2() || !__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"),
             "the AVX2 path is not taken on an AVX2 + FMA CPU");
#endif
  }

  void promptTooLongForContextIsInputError() {
    auto policy = makePolicy(9);
    SamplingOptions options;
    options.maxNewTokens = 38;  // context 40
    auto gen = makeGenerator(1);
    QVERIFY_THROWS_EXCEPTION(InputError, sampleCompletions(policy, {{1, 3, 4}}, options, gen));
  }

  // ---- makeBatch + scoreCompletions -------------------------------------------------------------

  void makeBatchLayoutAndGradients() {
    auto policy = makePolicy(10, 0.1);
    const std::vector<std::vector<int>> prompts{{1, 5, 6}, {1, 7}};
    const std::vector<std::vector<int>> completions{{8, 9, 2}, {10, 2}};
    auto batch = makeBatch(prompts, completions, 0);
    QCOMPARE(batch.promptLength, 3);
    QVERIFY(batch.tokens.sizes() == std::vector<int64_t>({2, 6}));
    QVERIFY(torch::equal(batch.tokens, torch::tensor({1, 5, 6, 8, 9, 2, 0, 1, 7, 10, 2, 0}, torch::kLong).view({2, 6})));
    QVERIFY(torch::equal(batch.valid, torch::tensor({1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0}, torch::kBool).view({2, 6})));
    QVERIFY(torch::equal(batch.completionMask, torch::tensor({1.f, 1.f, 1.f, 1.f, 1.f, 0.f}).view({2, 3})));
    QCOMPARE(batch.lengths, (std::vector<int>{3, 2}));
    QCOMPARE(batch.generatedTokens(), int64_t(5));

    auto scores = scoreCompletions(policy, batch, 1.0);
    QVERIFY(scores.logprobs.sizes() == std::vector<int64_t>({2, 3}));
    QCOMPARE(scores.logprobs[1][2].item<float>(), 0.0f);
    QCOMPARE(scores.entropies[1][2].item<float>(), 0.0f);
    auto on = batch.completionMask > 0;
    QVERIFY(scores.logprobs.masked_select(on).max().item<double>() < 0.0);

    auto loss = -scores.logprobs.sum() - 0.1 * scores.entropies.sum();
    loss.backward();
    int withGrad = 0, total = 0;
    for (const auto& p : policy->named_parameters()) {
      ++total;
      const auto& g = p.value().grad();
      QVERIFY2(g.defined(), p.key().c_str());
      QVERIFY2(g.isfinite().all().item<bool>(), p.key().c_str());
      if (g.abs().sum().item<double>() > 0) ++withGrad;
    }
    // Every parameter lies on the path from the inputs to the logits, so each gets a gradient.
    QCOMPARE(withGrad, total);
    const auto params = policy->named_parameters();
    QVERIFY(params["head.weight"].grad().abs().sum().item<double>() > 0);
    QVERIFY(params["token_embedding.weight"].grad().abs().sum().item<double>() > 0);
  }

  void maskedCompletionTokensDoNotAffectScores() {
    // The padded tail of a completion (after <eos>) must not change the scores of real tokens.
    auto policy = makePolicy(12);
    torch::NoGradGuard noGrad;
    auto batch = makeBatch({{1, 5, 6}, {1, 7}}, {{8, 9, 2}, {10, 2}}, 0);
    auto before = scoreCompletions(policy, batch, 1.0);
    batch.tokens[1][5] = 13;  // garbage in a masked column
    auto after = scoreCompletions(policy, batch, 1.0);
    QVERIFY(torch::allclose(before.logprobs, after.logprobs, 0.0, 1e-6));
    QVERIFY(torch::allclose(before.entropies, after.entropies, 0.0, 1e-6));
  }

  // ---- learning end to end ----------------------------------------------------------------------

  void supervisedFitLearnsTarget() {
    QElapsedTimer timer;
    timer.start();
    CharTokenizer tok("0123456789+*=");
    torch::manual_seed(0);
    GptPolicy policy(GptConfig{tok.vocabSize(), 32, 2, 4, 40});
    const std::vector<std::string> promptText{"12+34=", "5*6="}, target{"46", "30"};
    std::vector<std::vector<int>> prompts, completions;
    for (size_t i = 0; i < promptText.size(); ++i) {
      prompts.push_back(tok.encodePrompt(promptText[i]));
      completions.push_back(tok.encodeCompletion(target[i]));
    }
    auto batch = makeBatch(prompts, completions, CharTokenizer::kPad);
    torch::optim::AdamW optimizer(policy->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.0));
    double first = 0, last = 0;
    for (int step = 0; step < 100; ++step) {
      auto scores = scoreCompletions(policy, batch, 1.0);
      auto loss = -scores.logprobs.sum() / batch.completionMask.sum();
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      (step == 0 ? first : last) = loss.item<double>();
    }
    QVERIFY2(last < 0.05 && last < first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));

    SamplingOptions options;
    options.temperature = 1.0;
    options.topP = 1e-6;  // argmax
    options.maxNewTokens = 6;
    options.padId = CharTokenizer::kPad;
    options.eosId = CharTokenizer::kEos;
    auto gen = makeGenerator(0);
    auto sampled = sampleCompletions(policy, prompts, options, gen);
    for (int i = 0; i < 2; ++i) {
      QCOMPARE(completionText(tok, sampled, i), target[i]);
      QVERIFY(sampled.finished[i]);
      QCOMPARE(sampled.lengths[i], int(target[i].size() + 1));
    }
    qInfo("supervised fit: loss %.4f -> %.5f in %lld ms", first, last, static_cast<long long>(timer.elapsed()));
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestPolicyModel)
#include "test_policy_model.moc"
