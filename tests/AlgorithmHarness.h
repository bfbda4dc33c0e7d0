#pragma once
// AlgorithmHarness: drives a composed Algorithm (core/algorithms/Algorithm.h) without a
// TrainingSession, for tests of presets and parts. It owns what a TrainingContext (Parts.h)
// refers to: the task (TaskRegistry), a CharTokenizer over task->alphabet(), a tiny GptPolicy
// (d_model 32, 1 layer, 2 heads, context 160), a frozen reference copy when the preset reads one,
// std::mt19937_64 and a CPU torch::Generator seeded with run.seed, and a logger with a null sink.
//
// Sampling: ctx.sample does not sample by default. It returns the completions of `script`
// (default: per group, the task solver's demonstration on even rows and a wrong one-step answer on
// odd rows), verified by the task, so rollouts are deterministic and cheap. Set `samplePolicy`
// to sample from the tiny policy with sampleCompletions instead (as TrainingSession does). Scripted
// rows ignore SampleRequest::model and temperature (a reference or opponent "samples" the script
// too) but keep the request's prefixes (hints) and source.
//
// Rollouts built by hand: rollout(problems, completions, rewards) gives rows with
// completionIds = tokenizer.encodeCompletion(text), the task's verdict and, when rewards are
// given, verdict.reward = reward = the given value (so Algorithm::finish starts from them too).
// updateBatch() is what the loop computes before an update (makeBatch, old and reference
// scores); lossInputs() is one minibatch of all rows under the current policy (with gradients).
#include <torch/torch.h>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/Error.h"
#include "core/algorithms/Algorithm.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/Parts.h"
#include "core/config/RunConfig.h"
#include "core/model/GptPolicy.h"
#include "core/rollout/PolicyModel.h"
#include "core/rollout/Sampler.h"
#include "core/tasks/Task.h"
#include "core/text/CharTokenizer.h"

namespace tb {

class AlgorithmHarness {
 public:
  // Completions of one group: (problem, G) -> G texts.
  using Script = std::function<std::vector<std::string>(const Problem&, int)>;

  // Defaults of (task, algorithm) with the tiny model and a small batch (2 prompts x 4).
  static RunConfig tinyConfig(const std::string& task, const std::string& algorithm) {
    RunConfig c = RunConfig::defaults(task, algorithm);
    c.set("model.d_model", 32);
    c.set("model.layers", 1);
    c.set("model.heads", 2);
    c.set("model.context", 160);
    c.set("rollout.prompts", 2);
    c.set("rollout.group_size", 4);
    return c;
  }

  explicit AlgorithmHarness(const std::string& algorithm, const std::string& task = "game24")
      : AlgorithmHarness(tinyConfig(task, algorithm)) {}

  explicit AlgorithmHarness(RunConfig runConfig)
      : config(std::move(runConfig)),
        task(TaskRegistry::instance().at(config.task(), "task").create(config)),
        tokenizer(task->alphabet()),
        rng(static_cast<std::uint64_t>(config.getInt("run.seed"))),
        generator(
            at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(config.getInt("run.seed")))),
        log(std::make_shared<spdlog::logger>("algorithm-harness",
                                             std::make_shared<spdlog::sinks::null_sink_mt>())) {
    config.validate();
    torch::manual_seed(static_cast<std::uint64_t>(config.getInt("run.seed")));
    const GptConfig mc{tokenizer.vocabSize(), static_cast<int>(config.getInt("model.d_model")),
                       static_cast<int>(config.getInt("model.layers")),
                       static_cast<int>(config.getInt("model.heads")),
                       static_cast<int>(config.getInt("model.context"))};
    policy = GptPolicy(mc);
    policy->eval();
    algorithm = Algorithm::create(config);
    if (algorithm->needsReference()) {
      reference = GptPolicy(mc);
      torch::NoGradGuard noGrad;
      auto source = policy->named_parameters();
      for (auto& p : reference->named_parameters()) p.value().copy_(source[p.key()]);
      reference->eval();
    }
    script = [this](const Problem& problem, int G) {
      std::vector<std::string> out;
      for (int k = 0; k < G; ++k)
        out.push_back(k % 2 == 0 ? task->demonstration(problem, rng).value_or("1+1=2") : "1+1=2 (left: 2)");
      return out;
    };
    const TaskInfo& taskInfo = TaskRegistry::instance().at(config.task(), "task");
    // The loop's view of the same modules (GptPolicy is a shared holder).
    policyModel = std::make_unique<GptPolicyModel>(policy);
    if (reference) referenceModel = std::make_unique<GptPolicyModel>(reference);
    context.reset(new TrainingContext{config, *task, taskInfo, tokenizer, *policyModel, referenceModel.get(), rng,
                                      generator, *log});
    TrainingContext& c = *context;
    c.iterations = static_cast<int>(config.getInt("run.iterations"));
    c.groupSize = static_cast<int>(config.getInt("rollout.group_size"));
    c.prompts = static_cast<int>(config.getInt("rollout.prompts"));
    c.maxNewTokens = static_cast<int>(config.getInt("rollout.max_new_tokens"));
    c.temperature = config.getFloat("rollout.temperature");
    c.sample = [this](const std::vector<const Problem*>& problems, int G, const SampleRequest& request) {
      return sample(problems, G, request);
    };
    c.pickProblems = [this](int count) { return algorithm->pick(*context, count); };
    algorithm->begin(c);
  }

  AlgorithmHarness(const AlgorithmHarness&) = delete;
  AlgorithmHarness& operator=(const AlgorithmHarness&) = delete;

  TrainingContext& ctx() { return *context; }

  const Problem& problem(int i = 0) const { return task->problems(Split::Train).at(static_cast<size_t>(i)); }

  // One row of group `group`: `text` after `prefix`, verified by the task.
  RolloutRow row(const Problem& p, int group, const std::string& text, const std::string& prefix = "") const {
    RolloutRow r;
    r.group = group;
    r.promptIds = tokenizer.encodePrompt(p.prompt);
    if (!prefix.empty()) {
      const auto ids = tokenizer.encodeCompletion(prefix);
      r.promptIds.insert(r.promptIds.end(), ids.begin(), ids.end() - 1);  // without its <eos>
    }
    r.prefix = prefix;
    r.completion = text;
    r.completionIds = tokenizer.encodeCompletion(text);
    r.length = static_cast<int>(r.completionIds.size());
    r.verdict = task->verify(p, r.text());
    r.reward = r.verdict.reward;
    return r;
  }

  // Groups of completions of `problems`; rewards (same shape), when given, replace the verdicts'.
  Rollout rollout(const std::vector<const Problem*>& problems,
                  const std::vector<std::vector<std::string>>& completions,
                  const std::vector<std::vector<double>>& rewards = {}) const {
    TB_CHECK(problems.size() == completions.size(), problems.size(), " problems, ", completions.size(),
             " groups");
    TB_CHECK(rewards.empty() || rewards.size() == completions.size(), "rewards of ", rewards.size(),
             " groups");
    Rollout out;
    out.problems = problems;
    for (size_t g = 0; g < problems.size(); ++g)
      for (size_t k = 0; k < completions[g].size(); ++k) {
        RolloutRow r = row(*problems[g], static_cast<int>(g), completions[g][k]);
        if (!rewards.empty()) r.verdict.reward = r.reward = rewards[g].at(k);
        out.rows.push_back(std::move(r));
      }
    out.groupsSampled = out.groups();
    return out;
  }

  // One group of problem(0).
  Rollout rollout(const std::vector<std::string>& completions,
                  const std::vector<double>& rewards = {}) const {
    return rollout(
        {&problem(0)}, {completions},
        rewards.empty() ? std::vector<std::vector<double>>{} : std::vector<std::vector<double>>{rewards});
  }

  // The tensors the loop computes before the update: tokens, old scores, reference log-probs.
  UpdateBatch updateBatch(const Rollout& r) {
    UpdateBatch u;
    std::vector<std::vector<int>> prompts, completions;
    for (const auto& row : r.rows) {
      prompts.push_back(row.promptIds);
      completions.push_back(row.completionIds);
    }
    u.batch = makeBatch(prompts, completions, CharTokenizer::kPad);
    u.maxLength = context->maxNewTokens;
    torch::NoGradGuard noGrad;
    auto old = scoreCompletions(policy, u.batch, context->temperature);
    u.oldLogp = old.logprobs;
    u.oldEntropies = old.entropies;
    u.oldMeanLogSoftmax = old.meanLogSoftmax;
    if (reference) u.refLogp = scoreCompletions(reference, u.batch, context->temperature).logprobs;
    return u;
  }

  // prepare + advantages, as the loop runs them; the result is also stored in `u.advantages`.
  torch::Tensor advantages(const Rollout& r, UpdateBatch& u) {
    algorithm->prepare(*context, r, u);
    u.advantages = algorithm->advantages(*context, r, u);
    return u.advantages;
  }
  torch::Tensor advantages(const Rollout& r) {
    UpdateBatch u = updateBatch(r);
    return advantages(r, u);
  }

  // All rows of `r` as one minibatch, scored by the current policy (with gradients).
  PolicyLossInputs lossInputs(const Rollout& r, const UpdateBatch& u) {
    PolicyLossInputs in;
    in.rollout = &r;
    for (size_t i = 0; i < r.rows.size(); ++i) in.rows.push_back(static_cast<int64_t>(i));
    in.batch = u.batch;
    auto scores = scoreCompletions(policy, u.batch, context->temperature);
    in.logp = scores.logprobs;
    in.entropies = scores.entropies;
    in.meanLogSoftmax = scores.meanLogSoftmax;
    in.oldLogp = u.oldLogp;
    in.oldEntropies = u.oldEntropies;
    in.oldMeanLogSoftmax = u.oldMeanLogSoftmax;
    in.refLogp = u.refLogp;
    in.mask = u.batch.completionMask;
    in.advantages = u.advantages;
    in.maxLength = u.maxLength;
    return in;
  }

  // ctx.sample: the script's completions (or the tiny policy's samples), verified, unshaped.
  Rollout sample(const std::vector<const Problem*>& problems, int G, const SampleRequest& request) {
    ++sampleCalls;
    Rollout out;
    out.problems = problems;
    if (!samplePolicy) {
      for (size_t g = 0; g < problems.size(); ++g) {
        const std::string prefix = g < request.prefixes.size() ? request.prefixes[g] : "";
        const auto texts = script(*problems[g], G);
        TB_CHECK(static_cast<int>(texts.size()) == G, "script gave ", texts.size(), " completions, expected ",
                 G);
        for (const auto& text : texts) {
          out.rows.push_back(row(*problems[g], static_cast<int>(g), text, prefix));
          out.rows.back().source = request.source;
        }
      }
      return out;
    }
    std::vector<std::vector<int>> prompts;
    std::vector<std::string> prefixes;
    for (size_t g = 0; g < problems.size(); ++g) {
      const std::string prefix = g < request.prefixes.size() ? request.prefixes[g] : "";
      const RolloutRow head = row(*problems[g], static_cast<int>(g), "", prefix);
      for (int k = 0; k < G; ++k) prompts.push_back(head.promptIds), prefixes.push_back(prefix);
    }
    SamplingOptions options;
    options.temperature = request.temperature >= 0 ? request.temperature : context->temperature;
    options.maxNewTokens = context->maxNewTokens;
    options.padId = CharTokenizer::kPad;
    options.eosId = CharTokenizer::kEos;
    GptPolicy& model = request.model ? *request.model->gpt() : policy;
    const RolloutBatch batch = sampleCompletions(model, prompts, options, generator);
    auto tokens = batch.tokens.accessor<int64_t, 2>();
    for (size_t i = 0; i < prompts.size(); ++i) {
      RolloutRow r;
      r.group = static_cast<int>(i / G);
      r.promptIds = prompts[i];
      r.prefix = prefixes[i];
      r.length = batch.lengths[i];
      for (int j = 0; j < r.length; ++j)
        r.completionIds.push_back(static_cast<int>(tokens[i][batch.promptLength + j]));
      r.completion = tokenizer.decode(r.completionIds);
      r.verdict = task->verify(*problems[r.group], r.text());
      r.reward = r.verdict.reward;
      r.finished = batch.finished[i];
      r.source = request.source;
      out.rows.push_back(std::move(r));
    }
    return out;
  }

  // Members are public: tests read and adjust them (script, samplePolicy, ctx fields).
  RunConfig config;
  std::unique_ptr<Task> task;
  CharTokenizer tokenizer;
  GptPolicy policy{nullptr};
  GptPolicy reference{nullptr};
  std::unique_ptr<GptPolicyModel> policyModel, referenceModel;
  std::mt19937_64 rng;
  torch::Generator generator;
  std::shared_ptr<spdlog::logger> log;
  std::unique_ptr<Algorithm> algorithm;
  std::unique_ptr<TrainingContext> context;
  Script script;
  bool samplePolicy = false;
  int sampleCalls = 0;
};

// The value of metric `name` in `metrics` (the last one reported), or NaN.
inline double metricValue(const std::vector<std::pair<std::string, double>>& metrics,
                          const std::string& name) {
  double out = std::nan("");
  for (const auto& [key, value] : metrics)
    if (key == name) out = value;
  return out;
}

}  // namespace tb
