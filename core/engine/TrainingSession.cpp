// TrainingSession: warm start, the RL iteration loop, evaluation and checkpoints.
#include "core/engine/TrainingSession.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/Advantages.h"
#include "core/engine/Checkpoint.h"
#include "core/metrics/PassAtK.h"

namespace tb {

namespace {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

GptConfig modelConfig(const RunConfig& c, int vocabSize) {
  return GptConfig{vocabSize, static_cast<int>(c.getInt("model.d_model")),
                   static_cast<int>(c.getInt("model.layers")), static_cast<int>(c.getInt("model.heads")),
                   static_cast<int>(c.getInt("model.context"))};
}

// Rows `rows` of a batch (for minibatches); the prompt width stays the same.
RolloutBatch selectRows(const RolloutBatch& batch, const torch::Tensor& rows) {
  RolloutBatch out;
  out.tokens = batch.tokens.index_select(0, rows);
  out.valid = batch.valid.index_select(0, rows);
  out.completionMask = batch.completionMask.index_select(0, rows);
  out.promptLength = batch.promptLength;
  return out;
}

double maskedMean(const torch::Tensor& values, const torch::Tensor& mask) {
  const double n = mask.sum().item<double>();
  return n > 0 ? (values * mask).sum().item<double>() / n : 0.0;
}

}  // namespace

TrainingSession::TrainingSession(RunStore& store, std::int64_t runId, const RunConfig& config,
                                 RunControl& control, RunListener* listener,
                                 std::shared_ptr<spdlog::logger> log)
    : store_(store),
      runId_(runId),
      config_(config),
      control_(control),
      listener_(listener),
      log_(std::move(log)),
      task_(TaskRegistry::instance().at(config.task(), "task").create(config)),
      tokenizer_(task_->alphabet()),
      rng_(static_cast<std::uint64_t>(config.getInt("run.seed"))),
      generator_(at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(config.getInt("run.seed")))) {
  config_.validate();
  iterations_ = static_cast<int>(config.getInt("run.iterations"));
  torch::manual_seed(static_cast<std::uint64_t>(config.getInt("run.seed")));
  const GptConfig mc = modelConfig(config, tokenizer_.vocabSize());
  policy_ = GptPolicy(mc);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      policy_->parameters(),
      torch::optim::AdamWOptions(config.getFloat("train.lr")).weight_decay(config.getFloat("train.weight_decay")));
  algorithm_ = AlgorithmRegistry::instance().at(config.algorithm(), "algorithm").create(config);
  if (task_->problems(Split::Train).empty()) failInput("task '", config.task(), "' has no training problems");
  log_->info("policy: {} parameters (d_model {}, {} layers, {} heads, vocabulary {})",
             policy_->parameterCount(), mc.dModel, mc.layers, mc.heads, mc.vocabSize);
}

void TrainingSession::copyPolicyInto(GptPolicy& target) {
  torch::NoGradGuard noGrad;
  auto source = policy_->named_parameters();
  for (auto& p : target->named_parameters()) p.value().copy_(source[p.key()]);
}

RunStatus TrainingSession::run() {
  startTime_ = nowSeconds();
  const std::string dir = store_.runDirectory(runId_);
  const std::string referencePath = dir + "/reference.pt";
  int start = 0;
  if (auto ckpt = store_.latestCheckpoint(runId_); ckpt && std::filesystem::exists(referencePath)) {
    const int done = loadCheckpoint(ckpt->path, policy_, *optimizer_, {-1, &rng_, &generator_});
    store_.truncateAfter(runId_, done);
    start = done + 1;
    log_->info("resuming from checkpoint of iteration {} ({})", done, ckpt->path);
    if (algorithm_->needsReference()) {
      reference_ = GptPolicy(policy_->config());
      loadModel(referencePath, reference_);
    }
  } else {
    store_.truncateAfter(runId_, -1);  // a restart without checkpoint begins from scratch
    warmStart();
    if (control_.cancelRequested()) return RunStatus::Cancelled;
    saveModel(referencePath, policy_);
    if (algorithm_->needsReference()) {
      reference_ = GptPolicy(policy_->config());
      copyPolicyInto(reference_);
    }
  }
  if (reference_) {
    reference_->eval();
    for (auto& p : reference_->parameters()) p.set_requires_grad(false);
  }

  const int evalEvery = static_cast<int>(config_.getInt("eval.every"));
  const int ckptEvery = static_cast<int>(config_.getInt("run.checkpoint_every"));
  for (int it = start; it < iterations_; ++it) {
    if (!waitIfPaused()) return RunStatus::Cancelled;
    if (evalEvery > 0 && it % evalEvery == 0) evaluate(it);
    iterate(it);
    if (it + 1 == iterations_ || (ckptEvery > 0 && (it + 1) % ckptEvery == 0)) checkpoint(it);
  }
  if (evalEvery > 0 && !control_.cancelRequested()) evaluate(iterations_);
  return control_.cancelRequested() ? RunStatus::Cancelled : RunStatus::Finished;
}

bool TrainingSession::waitIfPaused() {
  if (control_.cancelRequested()) return false;
  if (!control_.pauseRequested()) return true;
  store_.setStatus(runId_, RunStatus::Paused);
  if (listener_) listener_->onStatus(runId_, RunStatus::Paused, "");
  log_->info("paused");
  const bool go = control_.waitWhilePaused();
  if (go) {
    store_.setStatus(runId_, RunStatus::Running);
    if (listener_) listener_->onStatus(runId_, RunStatus::Running, "");
    log_->info("resumed");
  }
  return go;
}

std::vector<const Problem*> TrainingSession::pickProblems(int count) {
  const auto& pool = task_->problems(Split::Train);
  std::vector<const Problem*> out;
  for (int i = 0; i < count; ++i) out.push_back(&pool[rng_() % pool.size()]);
  return out;
}

void TrainingSession::warmStart() {
  const int demos = static_cast<int>(config_.getInt("warmstart.demonstrations"));
  const int steps = static_cast<int>(config_.getInt("warmstart.steps"));
  if (demos == 0 || steps == 0) {
    log_->info("no warm start: training from a randomly initialised policy");
    return;
  }
  // Demonstrations from the task's solver on `demos` distinct training problems; every step draws
  // a fresh solution of each chosen problem, so problems with several solutions show them all.
  const auto& pool = task_->problems(Split::Train);
  std::vector<size_t> order(pool.size());
  std::iota(order.begin(), order.end(), 0);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_() % i]);
  // A demonstration must fit the completion limit and the model's context, else the policy
  // could never write it.
  const size_t maxNew = static_cast<size_t>(config_.getInt("rollout.max_new_tokens"));
  const size_t context = static_cast<size_t>(config_.getInt("model.context"));
  std::vector<const Problem*> problems;
  int tooLong = 0;
  for (size_t i = 0; i < order.size() && static_cast<int>(problems.size()) < demos; ++i) {
    const Problem& p = pool[order[i]];
    auto demo = task_->demonstration(p, rng_);
    if (!demo) continue;
    const size_t completion = tokenizer_.encodeCompletion(*demo).size();
    if (completion > maxNew || tokenizer_.encodePrompt(p.prompt).size() + completion > context) {
      ++tooLong;
      continue;
    }
    problems.push_back(&p);
  }
  if (problems.empty())
    failInput("no warm-start demonstration of task '", config_.task(), "' fits rollout.max_new_tokens = ", maxNew,
              " and model.context = ", context, " (", tooLong, " were too long)");
  if (tooLong > 0) log_->warn("warm start: {} demonstrations longer than rollout.max_new_tokens skipped", tooLong);
  log_->info("warm start: {} steps of supervised fine-tuning on solver solutions of {} problems", steps, problems.size());

  torch::optim::AdamW sft(policy_->parameters(), torch::optim::AdamWOptions(config_.getFloat("warmstart.lr")));
  const int batchSize = static_cast<int>(config_.getInt("warmstart.batch"));
  double t0 = nowSeconds(), smoothed = 0;
  for (int step = 0; step < steps; ++step) {
    if (control_.cancelRequested()) return;
    std::vector<std::vector<int>> bp, bt;
    for (int i = 0; i < batchSize; ++i) {
      const Problem& p = *problems[rng_() % problems.size()];
      // Another solution of the same problem may be longer than the one that was checked.
      std::vector<int> target;
      for (int attempt = 0; attempt < 8 && (target.empty() || target.size() > maxNew); ++attempt)
        target = tokenizer_.encodeCompletion(*task_->demonstration(p, rng_));
      if (target.size() > maxNew) continue;
      bp.push_back(tokenizer_.encodePrompt(p.prompt));
      bt.push_back(std::move(target));
    }
    // Cosine decay from warmstart.lr to a tenth of it: a lower final rate settles the fit.
    const double progress = steps > 1 ? step / (steps - 1.0) : 1.0;
    const double lr = config_.getFloat("warmstart.lr") * (0.1 + 0.45 * (1 + std::cos(M_PI * progress)));
    for (auto& group : sft.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    if (bp.empty()) continue;
    RolloutBatch batch = makeBatch(bp, bt, CharTokenizer::kPad);
    auto scores = scoreCompletions(policy_, batch, 1.0);
    auto loss = -(scores.logprobs.sum() / batch.completionMask.sum());
    sft.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(policy_->parameters(), 1.0);
    sft.step();
    const double l = loss.item<double>();
    smoothed = step == 0 ? l : 0.9 * smoothed + 0.1 * l;
    if (step % 10 == 0 || step + 1 == steps) {
      // Recorded at iterations -steps..-1: the warm start comes before RL iteration 0.
      store_.recordMetrics(runId_, step - steps, {{"warmstart/loss", l}}, nowSeconds() - startTime_);
      if (listener_) listener_->onPhase(runId_, "warm start", (step + 1.0) / steps);
    }
  }
  log_->info("warm start done in {:.1f} s, final loss {:.4f}", nowSeconds() - t0, smoothed);
}

TrainingSession::Rollout TrainingSession::sampleGroups(const std::vector<const Problem*>& problems,
                                                       int groupSize, double temperature,
                                                       torch::Generator& generator) {
  Rollout r;
  r.problems = problems;
  for (const Problem* p : problems) {
    auto ids = tokenizer_.encodePrompt(p->prompt);
    for (int g = 0; g < groupSize; ++g) r.promptIds.push_back(ids);
  }
  SamplingOptions options;
  options.temperature = temperature;
  options.topP = config_.getFloat("rollout.top_p");
  options.maxNewTokens = static_cast<int>(config_.getInt("rollout.max_new_tokens"));
  options.padId = CharTokenizer::kPad;
  options.eosId = CharTokenizer::kEos;
  policy_->eval();
  RolloutBatch batch = sampleCompletions(policy_, r.promptIds, options, generator);
  policy_->train();
  const int P = batch.promptLength;
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  for (size_t i = 0; i < r.promptIds.size(); ++i) {
    const int len = batch.lengths[i];
    std::vector<int> ids;
    for (int j = 0; j < len; ++j) ids.push_back(static_cast<int>(tokens[i][P + j]));
    r.completions.push_back(tokenizer_.decode(ids));
    r.verdicts.push_back(task_->verify(*problems[i / groupSize], r.completions.back()));
    if (!batch.finished[i] && r.verdicts.back().reason.find("truncated") == std::string::npos)
      r.verdicts.back().reason += " (truncated at rollout.max_new_tokens)";
    r.completionIds.push_back(std::move(ids));
    r.lengths.push_back(len);
  }
  return r;
}

void TrainingSession::iterate(int iteration) {
  const double t0 = nowSeconds();
  const int prompts = static_cast<int>(config_.getInt("rollout.prompts"));
  const int G = static_cast<int>(config_.getInt("rollout.group_size"));
  const int maxLen = static_cast<int>(config_.getInt("rollout.max_new_tokens"));
  const double temperature = config_.getFloat("rollout.temperature");

  // Rollout; with dynamic sampling, groups with all-equal rewards are replaced (up to 4 rounds).
  Rollout kept;
  std::vector<double> allRewards, keptRewards;
  int correct = 0, sampled = 0, dropped = 0, tokensGenerated = 0;
  double zeroStdFirstRound = 0;
  const int rounds = algorithm_->dropsZeroVarianceGroups() ? 5 : 1;
  for (int round = 0; round < rounds && static_cast<int>(kept.problems.size()) < prompts; ++round) {
    Rollout r = sampleGroups(pickProblems(prompts - static_cast<int>(kept.problems.size())), G,
                             temperature, generator_);
    std::vector<double> shaped;
    for (size_t i = 0; i < r.verdicts.size(); ++i) {
      allRewards.push_back(r.verdicts[i].reward);
      correct += r.verdicts[i].correct;
      tokensGenerated += r.lengths[i];
      shaped.push_back(algorithm_->shapeReward(r.verdicts[i].reward, r.lengths[i], maxLen));
    }
    sampled += static_cast<int>(r.verdicts.size());
    if (round == 0) zeroStdFirstRound = zeroStdGroupFraction(shaped, G);
    for (size_t g = 0; g < r.problems.size(); ++g) {
      auto first = shaped.begin() + g * G;
      const bool flat = std::all_of(first, first + G, [&](double v) { return v == *first; });
      if (algorithm_->dropsZeroVarianceGroups() && flat && round + 1 < rounds) {
        ++dropped;
        continue;
      }
      kept.problems.push_back(r.problems[g]);
      for (int i = 0; i < G; ++i) {
        const size_t k = g * G + i;
        kept.promptIds.push_back(r.promptIds[k]);
        kept.completionIds.push_back(r.completionIds[k]);
        kept.completions.push_back(r.completions[k]);
        kept.verdicts.push_back(r.verdicts[k]);
        kept.lengths.push_back(r.lengths[k]);
        keptRewards.push_back(shaped[k]);
      }
    }
  }
  const double tRollout = nowSeconds();

  // Advantages and the update batch.
  const auto advantages = algorithm_->advantages(keptRewards, G);
  RolloutBatch batch = makeBatch(kept.promptIds, kept.completionIds, CharTokenizer::kPad);
  const int N = static_cast<int>(kept.promptIds.size());
  auto advantageTensor = torch::tensor(std::vector<float>(advantages.begin(), advantages.end())).unsqueeze(1);
  const int epochs = static_cast<int>(config_.getInt("train.epochs"));
  const int minibatches = std::min(N, static_cast<int>(config_.getInt("train.minibatches")));
  // With one optimiser step the policy before it is the current one: its log-probs and entropies
  // come from the update's own forward pass, so the separate no-grad pass is only needed when
  // several steps share the rollout.
  const bool singleUpdate = epochs * minibatches == 1;
  torch::Tensor oldLogp, refLogp, entropies;
  {
    torch::NoGradGuard noGrad;
    if (!singleUpdate) {
      auto old = scoreCompletions(policy_, batch, temperature);
      oldLogp = old.logprobs;
      entropies = old.entropies;
    }
    if (reference_) refLogp = scoreCompletions(reference_, batch, temperature).logprobs;
  }

  const double gradClip = config_.getFloat("train.grad_clip");
  const int warmup = static_cast<int>(config_.getInt("train.warmup_iterations"));
  const double lr = config_.getFloat("train.lr") * (warmup > 0 ? std::min(1.0, (iteration + 1.0) / warmup) : 1.0);
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

  std::map<std::string, double> lossMetrics;
  double lossSum = 0, gradNormSum = 0;
  int updates = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::vector<int64_t> order(N);
    std::iota(order.begin(), order.end(), 0);
    if (minibatches > 1)
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_() % i]);
    for (int mb = 0; mb < minibatches; ++mb) {
      const int begin = mb * N / minibatches, end = (mb + 1) * N / minibatches;
      auto rows = torch::tensor(std::vector<int64_t>(order.begin() + begin, order.begin() + end));
      RolloutBatch sub = selectRows(batch, rows);
      auto scores = scoreCompletions(policy_, sub, temperature);
      PolicyLossInputs in;
      in.logp = scores.logprobs;
      in.entropies = scores.entropies;
      if (singleUpdate) {
        oldLogp = scores.logprobs.detach();
        entropies = scores.entropies.detach();
      }
      in.oldLogp = oldLogp.index_select(0, rows);
      if (refLogp.defined()) in.refLogp = refLogp.index_select(0, rows);
      in.mask = sub.completionMask;
      in.advantages = advantageTensor.index_select(0, rows);
      in.maxLength = maxLen;
      LossResult result = algorithm_->loss(in);
      optimizer_->zero_grad();
      result.loss.backward();
      const double norm = torch::nn::utils::clip_grad_norm_(
          policy_->parameters(), gradClip > 0 ? gradClip : std::numeric_limits<double>::infinity());
      optimizer_->step();
      lossSum += result.loss.item<double>();
      gradNormSum += norm;
      for (const auto& [k, v] : result.metrics) lossMetrics[k] += v;
      ++updates;
    }
  }
  const double tEnd = nowSeconds();

  double mean = 0, var = 0;
  for (double r : allRewards) mean += r;
  mean /= allRewards.size();
  for (double r : allRewards) var += (r - mean) * (r - mean);
  double lengthSum = 0;
  for (int l : kept.lengths) lengthSum += l;

  std::vector<std::pair<std::string, double>> metrics = {
      {"reward/mean", mean},
      {"reward/std", allRewards.size() > 1 ? std::sqrt(var / (allRewards.size() - 1)) : 0.0},
      {"accuracy", static_cast<double>(correct) / sampled},
      {"entropy", maskedMean(entropies, batch.completionMask)},
      {"length/mean", lengthSum / N},
      {"groups/zero_std_frac", zeroStdFirstRound},
      {"groups/dropped", static_cast<double>(dropped)},
      {"loss/total", lossSum / updates},
      {"grad_norm", gradNormSum / updates},
      {"lr", lr},
      {"throughput/tokens_per_s", tokensGenerated / std::max(1e-9, tEnd - t0)},
      {"time/rollout_s", tRollout - t0},
      {"time/update_s", tEnd - tRollout},
      {"time/iteration_s", tEnd - t0},
  };
  if (!lossMetrics.count("kl")) lossMetrics["kl"] = 0.0;
  for (const auto& [k, v] : lossMetrics) metrics.emplace_back(k, v / updates);

  // Samples stored: whole groups, first prompts first.
  std::vector<SampleRecord> samples;
  const int logged = std::min<int>(N, static_cast<int>(config_.getInt("run.samples_logged")));
  for (int i = 0; i < logged; ++i) {
    SampleRecord s;
    s.runId = runId_;
    s.iteration = iteration;
    s.group = i / G;
    s.split = "train";
    s.problemId = kept.problems[i / G]->id;
    s.prompt = kept.problems[i / G]->prompt;
    s.completion = kept.completions[i];
    s.reward = kept.verdicts[i].reward;
    s.correct = kept.verdicts[i].correct;
    s.reason = kept.verdicts[i].reason;
    s.tokens = kept.lengths[i];
    samples.push_back(std::move(s));
  }
  emitIteration(iteration, std::move(metrics), std::move(samples), /*countsAsIteration=*/true);
  log_->info("iteration {}/{}: reward {:.3f}, accuracy {:.3f}, entropy {:.3f}, {:.2f} s", iteration + 1,
             iterations_, mean, static_cast<double>(correct) / sampled, maskedMean(entropies, batch.completionMask),
             tEnd - t0);
}

void TrainingSession::evaluate(int iteration) {
  const auto& test = task_->problems(Split::Test);
  const int count = std::min<int>(static_cast<int>(test.size()), static_cast<int>(config_.getInt("eval.problems")));
  const int n = static_cast<int>(config_.getInt("eval.samples"));
  const int k = static_cast<int>(config_.getInt("eval.k"));
  if (count == 0) return;
  const double t0 = nowSeconds();
  // Its own generator, seeded by iteration, so evaluation never changes the training stream.
  torch::Generator generator = at::make_generator<at::CPUGeneratorImpl>(
      static_cast<std::uint64_t>(config_.getInt("run.seed")) * 1000003ULL + iteration);
  torch::NoGradGuard noGrad;
  double correctTotal = 0, passSum = 0;
  const int chunk = std::max(1, 256 / n);
  for (int begin = 0; begin < count; begin += chunk) {
    std::vector<const Problem*> problems;
    for (int i = begin; i < std::min(count, begin + chunk); ++i) problems.push_back(&test[i]);
    Rollout r = sampleGroups(problems, n, config_.getFloat("eval.temperature"), generator);
    for (size_t p = 0; p < problems.size(); ++p) {
      int c = 0;
      for (int i = 0; i < n; ++i) c += r.verdicts[p * n + i].correct;
      correctTotal += c;
      passSum += passAtK(n, c, k);
    }
    if (listener_) listener_->onPhase(runId_, "evaluation", std::min(1.0, (begin + chunk) / double(count)));
  }
  std::vector<std::pair<std::string, double>> metrics = {
      {"eval/accuracy", correctTotal / (static_cast<double>(count) * n)},
      {"eval/pass@k", passSum / count},
      {"time/eval_s", nowSeconds() - t0}};
  log_->info("evaluation at iteration {}: accuracy {:.3f}, pass@{} {:.3f} on {} test problems x {} samples",
             iteration, metrics[0].second, k, metrics[1].second, count, n);
  emitIteration(iteration, std::move(metrics), {}, /*countsAsIteration=*/false);
}

void TrainingSession::emitIteration(int iteration, std::vector<std::pair<std::string, double>> metrics,
                                    std::vector<SampleRecord> samples, bool countsAsIteration) {
  const double wall = nowSeconds() - startTime_;
  if (countsAsIteration) store_.recordIteration(runId_, iteration, metrics, samples, wall);
  else store_.recordMetrics(runId_, iteration, metrics, wall);
  if (listener_) {
    IterationEvent event{runId_, iteration, iterations_, std::move(metrics), std::move(samples)};
    listener_->onIteration(event);
  }
}

void TrainingSession::checkpoint(int iteration) {
  const std::string path = store_.runDirectory(runId_) + "/checkpoint-" + std::to_string(iteration) + ".pt";
  saveCheckpoint(path, policy_, *optimizer_, {iteration, &rng_, &generator_});
  store_.addCheckpoint(runId_, iteration, path);
  log_->info("checkpoint of iteration {} written to {}", iteration, path);
}

}  // namespace tb
