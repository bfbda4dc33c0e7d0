// TrainingSession: warm start, the RL iteration loop, evaluation and checkpoints.
#include "core/engine/TrainingSession.h"

#include "core/search/TrajectoryTree.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <set>

#include "core/Error.h"
#include "core/ProcessMemory.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/engine/Checkpoint.h"
#include "core/engine/Distributed.h"
#include "core/engine/MicroBatching.h"
#include "core/engine/RunPolicy.h"
#include "core/metrics/PassAtK.h"
#include "core/rollout/MixtureSampler.h"
#include "core/algorithms/parts/SemanticClusters.h"

namespace tb {

namespace {

// Gradient all-reduce buckets (distributed runs): large enough to amortise a collective's latency,
// small enough that the first buckets travel while later ones are packed.
constexpr std::int64_t kGradientBucketBytes = 8 << 20;

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
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

}  // namespace

GptConfig modelConfig(const RunConfig& c, int vocabSize) {
  return GptConfig{vocabSize, static_cast<int>(c.getInt("model.d_model")),
                   static_cast<int>(c.getInt("model.layers")), static_cast<int>(c.getInt("model.heads")),
                   static_cast<int>(c.getInt("model.context"))};
}

TrainingSession::TrainingSession(RunStore& store, std::int64_t runId, const RunConfig& config,
                                 RunControl& control, RunListener* listener,
                                 std::shared_ptr<spdlog::logger> log, Distributed* dist)
    : store_(store),
      runId_(runId),
      config_(config),
      control_(control),
      listener_(listener),
      log_(std::move(log)),
      dist_(dist),
      task_(TaskRegistry::instance().at(config.task(), "task").create(config)),
      rng_(static_cast<std::uint64_t>(config.getInt("run.seed"))),
      generator_(at::make_generator<at::CPUGeneratorImpl>(static_cast<std::uint64_t>(config.getInt("run.seed")))) {
  config_.validate();
  iterations_ = static_cast<int>(config.getInt("run.iterations"));
  torch::manual_seed(static_cast<std::uint64_t>(config.getInt("run.seed")));
  RunPolicy runPolicy = makeRunPolicy(config, *task_, dist_ ? dist_->localRank() : -1);
  policy_ = std::move(runPolicy.policy);
  tokenizer_ = std::move(runPolicy.tokenizer);
  algorithm_ = Algorithm::create(config);
  if (policy_->gpt() == nullptr) {
    if (const std::string part = algorithm_->builtInPolicyNeededBy(); !part.empty())
      refuseHfPolicy(config, part);
    if (algorithm_->referenceMode() == ReferenceMode::PreviousIteration)
      failInput("algorithm '", config.algorithm(), "' plays the policy against its previous iteration (SPIN), "
                "which needs the built-in policy; it cannot train a Hugging Face checkpoint (model.hf_path)");
    if (!config.getString("warmstart.checkpoint").empty())
      failInput("warmstart.checkpoint = '", config.getString("warmstart.checkpoint"),
                "': a model file of the built-in policy cannot start a Hugging Face checkpoint's run "
                "(model.hf_path); leave it empty");
  }
  if (task_->problems(Split::Train).empty()) failInput("task '", config.task(), "' has no training problems");
  // Flow of Reasoning's loss runs the policy itself over legal steps: its gradient cannot be split
  // into per-rank rows the way every other objective's can.
  if (dist_ && algorithm_->parts().objective == "trajectory_balance")
    failInput("algorithm '", config.algorithm(), "' cannot train across processes (its trajectory-balance loss "
              "scores every legal step with the policy itself); run it in one process");
  log_->info("policy: {}", policy_->describe());
  if (dist_)
    log_->info("rank {} of {}, process group {} ({})", dist_->rank(), dist_->worldSize(), backendName(dist_->backend()),
               dist_->backendReason());
}

std::vector<torch::Tensor> TrainingSession::trainableParameters() {
  std::vector<torch::Tensor> params;
  for (auto& group : optimizer_->param_groups())
    for (auto& p : group.params()) params.push_back(p);
  return params;
}

TokenScores TrainingSession::scoreRows(PolicyModel& model, const RolloutBatch& batch, double temperature,
                                       std::int64_t micro) {
  const BatchScorer scorer = [&](const RolloutBatch& rows) { return model.score(rows, temperature); };
  const std::int64_t N = batch.tokens.size(0), L = batch.completionMask.size(1);
  if (!dist_) return micro > 0 ? scoreInChunks(scorer, batch, 0, N, micro) : model.score(batch, temperature);
  const auto [first, last] = shardRange(N, dist_->rank(), dist_->worldSize());
  // logprobs, entropies and mean log-softmax of every row, this rank's rows filled in.
  auto assembled = torch::zeros({3, N, L}, torch::kFloat);
  TokenScores local;
  if (last > first) {
    local = micro > 0 ? scoreInChunks(scorer, batch, first, last, micro) : model.score(batchRows(batch, first, last), temperature);
    torch::NoGradGuard noGrad;
    assembled[0].narrow(0, first, last - first).copy_(local.logprobs);
    assembled[1].narrow(0, first, last - first).copy_(local.entropies);
    assembled[2].narrow(0, first, last - first).copy_(local.meanLogSoftmax);
  }
  dist_->allReduceSum(assembled, "the token scores");
  auto join = [&](int which, const torch::Tensor& mine) {
    if (last == first) return assembled[which];
    return torch::cat({assembled[which].narrow(0, 0, first), mine, assembled[which].narrow(0, last, N - last)});
  };
  TokenScores out;
  out.logprobs = join(0, local.logprobs);
  out.entropies = join(1, local.entropies);
  out.meanLogSoftmax = join(2, local.meanLogSoftmax);
  return out;
}

void TrainingSession::beginTraining() {
  const TaskInfo& taskInfo = TaskRegistry::instance().at(config_.task(), "task");
  context_ = std::make_unique<TrainingContext>(TrainingContext{
      config_, *task_, taskInfo, *tokenizer_, *policy_, reference_.get(), rng_, generator_, *log_});
  TrainingContext& ctx = *context_;
  ctx.iterations = iterations_;
  ctx.groupSize = static_cast<int>(config_.getInt("rollout.group_size"));
  ctx.prompts = static_cast<int>(config_.getInt("rollout.prompts"));
  ctx.maxNewTokens = static_cast<int>(config_.getInt("rollout.max_new_tokens"));
  ctx.temperature = config_.getFloat("rollout.temperature");
  ctx.sample = [this](const std::vector<const Problem*>& problems, int groupSize, const SampleRequest& request) {
    return sampleGroups(problems, groupSize, request, generator_);
  };
  ctx.pickProblems = [this](int count) { return algorithm_->pick(*context_, count); };
  algorithm_->begin(ctx);
  // The optimiser covers the policy and the algorithm's trainable parts (a critic, log Z).
  std::vector<torch::Tensor> params = policy_->trainableParameters();
  for (auto& [name, module] : algorithm_->modules())
    for (auto& p : module->parameters()) params.push_back(p);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      params, torch::optim::AdamWOptions(config_.getFloat("train.lr")).weight_decay(config_.getFloat("train.weight_decay")));
}

RunStatus TrainingSession::run() {
  startTime_ = nowSeconds();
  const std::string dir = store_.runDirectory(runId_);
  const std::string referencePath = dir + "/reference.pt";
  const ReferenceMode referenceMode = algorithm_->referenceMode();
  int start = 0;
  if (auto ckpt = store_.latestCheckpoint(runId_); ckpt && std::filesystem::exists(referencePath)) {
    // The reference first: for a LoRA policy restoring it folds the warm start into the base and
    // attaches the adapters the optimiser and the checkpoint then hold.
    auto reference = policy_->restoreReference(referencePath);
    if (referenceMode != ReferenceMode::None) reference_ = std::move(reference);
    beginTraining();
    nlohmann::json algorithmState;
    const int done = loadCheckpoint(ckpt->path, *policy_, *optimizer_,
                                    {-1, &rng_, &generator_, &algorithmState, algorithm_->modules()});
    algorithm_->restore(algorithmState);
    store_.truncateAfter(runId_, done);
    start = done + 1;
    log_->info("resuming from checkpoint of iteration {} ({})", done, ckpt->path);
  } else {
    store_.truncateAfter(runId_, -1);  // a restart without checkpoint begins from scratch
    warmStart();
    if (control_.cancelRequested()) return RunStatus::Cancelled;
    // Every rank warm-starts the same way; rank 0's weights make sure they start equal.
    if (dist_) dist_->broadcast(policy_->trainableParameters(), "the warm-started policy");
    auto reference = policy_->adoptReference(referencePath);
    if (referenceMode != ReferenceMode::None) reference_ = std::move(reference);
    // A LoRA policy now trains fresh adapters: rank 0's make sure the ranks start equal.
    if (dist_) dist_->broadcast(policy_->trainableParameters(), "the policy's trainable weights");
    beginTraining();
    if (dist_)
      for (auto& [name, module] : algorithm_->modules()) dist_->broadcast(module->parameters(), name.c_str());
  }
  const int evalEvery = static_cast<int>(config_.getInt("eval.every"));
  const int ckptEvery = static_cast<int>(config_.getInt("run.checkpoint_every"));
  for (int it = start; it < iterations_; ++it) {
    if (!waitIfPaused()) return RunStatus::Cancelled;
    if (evalEvery > 0 && it % evalEvery == 0) evaluate(it);
    // SPIN's opponent: the policy as it was before this iteration.
    if (referenceMode == ReferenceMode::PreviousIteration) policy_->copyInto(*reference_);
    iterate(it);
    if (it + 1 == iterations_ || (ckptEvery > 0 && (it + 1) % ckptEvery == 0)) checkpoint(it);
  }
  // Across processes the ranks agree on whether to run the final evaluation (its sampling is shared).
  const bool stop = dist_ ? dist_->anyRank(control_.cancelRequested()) : control_.cancelRequested();
  if (evalEvery > 0 && !stop) evaluate(iterations_);
  return control_.cancelRequested() ? RunStatus::Cancelled : RunStatus::Finished;
}

bool TrainingSession::waitIfPaused() {
  // Ranks stop together, at the same iteration, or one would wait for the others forever.
  if (dist_) return !dist_->anyRank(control_.cancelRequested());
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

void TrainingSession::warmStart() {
  if (const std::string from = config_.getString("warmstart.checkpoint"); !from.empty()) {
    try {
      loadModel(from, *policy_->gpt());
    } catch (const InputError& e) {
      failInput("warmstart.checkpoint: ", e.what(), " (expected a model file of the same model.* shape and task)");
    }
    log_->info("warm start: policy loaded from {}", from);
    return;
  }
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
  const size_t context = static_cast<size_t>(policy_->context());
  std::vector<const Problem*> problems;
  int tooLong = 0;
  for (size_t i = 0; i < order.size() && static_cast<int>(problems.size()) < demos; ++i) {
    const Problem& p = pool[order[i]];
    auto demo = algorithm_->demonstration(*task_, p, rng_);
    if (!demo) continue;
    const size_t completion = tokenizer_->encodeCompletion(*demo).size();
    if (completion > maxNew || tokenizer_->encodePrompt(p.prompt).size() + completion > context) {
      ++tooLong;
      continue;
    }
    problems.push_back(&p);
  }
  if (problems.empty())
    failInput("no warm-start demonstration of task '", config_.task(), "' fits rollout.max_new_tokens = ", maxNew,
              " and the model's context of ", context, " (", tooLong, " were too long)");
  if (tooLong > 0) log_->warn("warm start: {} demonstrations longer than rollout.max_new_tokens skipped", tooLong);
  log_->info("warm start: {} steps of supervised fine-tuning on solver solutions of {} problems", steps, problems.size());

  torch::optim::AdamW sft(policy_->trainableParameters(), torch::optim::AdamWOptions(config_.getFloat("warmstart.lr")));
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
        target = tokenizer_->encodeCompletion(*algorithm_->demonstration(*task_, p, rng_));
      if (target.size() > maxNew) continue;
      bp.push_back(tokenizer_->encodePrompt(p.prompt));
      bt.push_back(std::move(target));
    }
    // Cosine decay from warmstart.lr to a tenth of it: a lower final rate settles the fit.
    const double progress = steps > 1 ? step / (steps - 1.0) : 1.0;
    const double lr = config_.getFloat("warmstart.lr") * (0.1 + 0.45 * (1 + std::cos(M_PI * progress)));
    for (auto& group : sft.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    if (bp.empty()) continue;
    RolloutBatch batch = makeBatch(bp, bt, tokenizer_->padId());
    auto scores = policy_->score(batch, 1.0);
    auto loss = -(scores.logprobs.sum() / batch.completionMask.sum());
    sft.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(policy_->trainableParameters(), 1.0);
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

Rollout TrainingSession::sampleGroups(const std::vector<const Problem*>& problems, int groupSize,
                                     const SampleRequest& request, torch::Generator& generator) {
  Rollout r;
  r.problems = problems;
  std::vector<std::vector<int>> promptIds;
  for (size_t p = 0; p < problems.size(); ++p) {
    auto ids = tokenizer_->encodePrompt(problems[p]->prompt);
    if (p < request.prefixes.size() && !request.prefixes[p].empty()) {
      auto prefix = tokenizer_->encodeText(request.prefixes[p]);
      ids.insert(ids.end(), prefix.begin(), prefix.end());
    }
    for (int g = 0; g < groupSize; ++g) promptIds.push_back(ids);
  }
  SamplingOptions options;
  options.temperature = request.temperature >= 0 ? request.temperature : config_.getFloat("rollout.temperature");
  options.topP = config_.getFloat("rollout.top_p");
  options.maxNewTokens =
      request.maxNewTokens >= 0 ? request.maxNewTokens : static_cast<int>(config_.getInt("rollout.max_new_tokens"));
  options.padId = tokenizer_->padId();
  options.eosId = tokenizer_->eosId();
  // Each row draws from its own counter-based stream (Sampler.h): the completions do not depend
  // on how the rows are split over ranks.
  std::uint64_t base = 0;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    base = generator.get<at::CPUGeneratorImpl>()->random64();
  }
  // A distributed run samples whole groups per rank; the rows are then assembled on every rank.
  const auto rowCount = static_cast<std::int64_t>(promptIds.size());
  std::int64_t first = 0, last = rowCount;
  if (dist_) {
    const auto [groupBegin, groupEnd] = shardRange(static_cast<std::int64_t>(problems.size()), dist_->rank(),
                                                   dist_->worldSize());
    first = groupBegin * groupSize;
    last = groupEnd * groupSize;
  }
  const std::vector<std::vector<int>> localPrompts(promptIds.begin() + first, promptIds.begin() + last);
  for (std::int64_t i = first; i < last; ++i) options.rowSeeds.push_back(rowSeed(base, static_cast<std::uint64_t>(i)));
  // Per row: completion tokens (L columns), length, finished, entropy sum. Doubles hold token ids exactly.
  const int L = options.maxNewTokens;
  const double tSample = nowSeconds();
  auto rowsTable = torch::zeros({rowCount, L + 3}, torch::kDouble);
  if (!localPrompts.empty()) {
    PolicyModel& model = request.model ? *request.model : *policy_;
    const bool wasTraining = model.module().is_training();
    model.module().eval();
    RolloutBatch batch;
    if (request.mixtureWith) {
      GptPolicy* own = model.gpt();
      GptPolicy* other = request.mixtureWith->gpt();
      TB_CHECK(own && other, "mixture sampling needs two built-in policies");
      batch = sampleMixtureCompletions(*own, *other, request.mixture, localPrompts, options, generator);
    } else {
      batch = model.sample(localPrompts, options, generator);
    }
    if (wasTraining) model.module().train();
    auto local = rowsTable.narrow(0, first, last - first);
    local.narrow(1, 0, L).copy_(batch.tokens.narrow(1, batch.promptLength, L));
    local.select(1, L + 2).copy_(batch.entropies.sum(1));
    auto cells = rowsTable.accessor<double, 2>();
    for (std::int64_t i = 0; i < last - first; ++i) {
      cells[first + i][L] = batch.lengths[static_cast<size_t>(i)];
      cells[first + i][L + 1] = batch.finished[static_cast<size_t>(i)] ? 1.0 : 0.0;
    }
  }
  if (dist_) dist_->allReduceSum(rowsTable, "the sampled completions");
  const double tVerify = nowSeconds();
  sampleSeconds_ += tVerify - tSample;
  auto table = rowsTable.accessor<double, 2>();
  for (size_t i = 0; i < promptIds.size(); ++i) {
    RolloutRow row;
    row.group = static_cast<int>(i / groupSize);
    row.promptIds = promptIds[i];
    if (static_cast<size_t>(row.group) < request.prefixes.size()) row.prefix = request.prefixes[row.group];
    row.length = static_cast<int>(table[i][L]);
    for (int j = 0; j < row.length; ++j) row.completionIds.push_back(static_cast<int>(table[i][j]));
    row.completion = tokenizer_->decode(row.completionIds);
    row.verdict = task_->verify(*problems[row.group], algorithm_->verifiable(row.text()));
    row.finished = table[i][L + 1] > 0.5;
    if (row.length > 0) row.meanEntropy = table[i][L + 2] / row.length;
    if (!row.finished && row.verdict.reason.find("truncated") == std::string::npos)
      row.verdict.reason += " (truncated at rollout.max_new_tokens)";
    row.reward = row.verdict.reward;
    row.source = request.source;
    r.rows.push_back(std::move(row));
  }
  verifySeconds_ += nowSeconds() - tVerify;
  return r;
}

void TrainingSession::iterate(int iteration) {
  resetPeakResidentBytes();
  const double t0 = nowSeconds();
  TrainingContext& ctx = *context_;
  ctx.iteration = iteration;
  ctx.metrics.clear();
  sampleSeconds_ = verifySeconds_ = 0;
  const int maxLen = ctx.maxNewTokens;
  const double temperature = ctx.temperature;

  // Rollout: the strategy samples, shapes rewards and applies the filters.
  Rollout rollout = algorithm_->collect(ctx);
  const double tRollout = nowSeconds();
  // Reward and accuracy describe the policy's own samples: demonstrations (SPIN), hinted
  // (Scaf-GRPO), replayed (FoR), reference (offline DPO) and mixture (Nash-MD) rows are left out.
  std::vector<double> rewards;
  int correct = 0, tokensGenerated = 0, samplesGenerated = 0;
  auto count = [&](const RolloutRow& row) {
    if (row.source != "demonstration" && row.source != "replay") {
      tokensGenerated += row.length;
      ++samplesGenerated;
    }
    // A search's chosen answer is what the policy answers with search (MCTS-DPO, ReST-MCTS*).
    if (row.source != "policy" && row.source != "search") return;
    rewards.push_back(row.verdict.reward);
    correct += row.verdict.correct;
  };
  for (const auto& row : rollout.rows) count(row);
  for (const auto& [_, row] : rollout.filteredOut) count(row);
  const int N = static_cast<int>(rollout.rows.size());

  const double gradClip = config_.getFloat("train.grad_clip");
  const int warmup = static_cast<int>(config_.getInt("train.warmup_iterations"));
  double lr = config_.getFloat("train.lr") * (warmup > 0 ? std::min(1.0, (iteration + 1.0) / warmup) : 1.0);
  if (config_.getString("train.lr_schedule") == "cosine" && iteration >= warmup && iterations_ - warmup > 1) {
    const double progress = (iteration - warmup) / (iterations_ - warmup - 1.0);
    lr *= 0.1 + 0.45 * (1 + std::cos(M_PI * progress));
  }
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

  std::map<std::string, double> lossMetrics;
  double lossSum = 0, gradNormSum = 0, entropy = 0, lengthSum = 0, scoreSeconds = 0, advantageSeconds = 0;
  int updates = 0;
  UpdateBatch update;
  if (N > 0) {
    std::vector<std::vector<int>> promptIds, completionIds;
    for (const auto& row : rollout.rows) {
      promptIds.push_back(row.promptIds);
      completionIds.push_back(row.completionIds);
      lengthSum += row.length;
    }
    update.batch = makeBatch(promptIds, completionIds, tokenizer_->padId());
    update.maxLength = maxLen;
    const int epochs = static_cast<int>(config_.getInt("train.epochs"));
    const auto groups = rollout.groupRows();
    const int minibatches = std::min(rollout.groups(), static_cast<int>(config_.getInt("train.minibatches")));
    // With one optimiser step the policy before it is the current one: its log-probs and entropies
    // come from the update's own forward pass, so the separate no-grad pass is only needed when
    // several steps share the rollout or the advantage estimator reads them.
    const bool singleUpdate = epochs * minibatches == 1 && !algorithm_->needsOldScores();
    // Rows per forward/backward pass (gradient accumulation, core/engine/MicroBatching.h); 0 = all.
    const std::int64_t micro = config_.getInt("train.micro_batch");
    const BatchScorer scorePolicy = [&](const RolloutBatch& rows) { return policy_->score(rows, temperature); };
    const double tScore = nowSeconds();
    {
      torch::NoGradGuard noGrad;
      if (!singleUpdate) {
        auto old = scoreRows(*policy_, update.batch, temperature, micro);
        update.oldLogp = old.logprobs;
        update.oldEntropies = old.entropies;
        update.oldMeanLogSoftmax = old.meanLogSoftmax;
      }
      if (reference_) update.refLogp = scoreRows(*reference_, update.batch, temperature, micro).logprobs;
    }
    const double tAdvantages = nowSeconds();
    scoreSeconds = tAdvantages - tScore;
    algorithm_->prepare(ctx, rollout, update);
    update.advantages = algorithm_->advantages(ctx, rollout, update);
    advantageSeconds = nowSeconds() - tAdvantages;

    for (int epoch = 0; epoch < epochs; ++epoch) {
      // Minibatches are whole groups, so pairwise and group objectives see complete groups.
      std::vector<int> order(groups.size());
      std::iota(order.begin(), order.end(), 0);
      if (minibatches > 1)
        for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng_() % i]);
      for (int mb = 0; mb < minibatches; ++mb) {
        const int begin = mb * static_cast<int>(groups.size()) / minibatches;
        const int end = (mb + 1) * static_cast<int>(groups.size()) / minibatches;
        std::vector<int64_t> rowList;
        for (int g = begin; g < end; ++g)
          for (int i : groups[order[g]]) rowList.push_back(i);
        auto rows = torch::tensor(rowList);
        PolicyLossInputs in;
        in.rollout = &rollout;
        in.rows = rowList;
        in.batch = selectRows(update.batch, rows);
        // This process's rows of the minibatch (all of them outside a distributed run).
        const auto n = static_cast<std::int64_t>(rowList.size());
        const auto [first, last] = dist_ ? shardRange(n, dist_->rank(), dist_->worldSize())
                                         : std::pair<std::int64_t, std::int64_t>{0, n};
        const bool accumulate = micro > 0 && last - first > micro;
        TokenScores scores;
        if (accumulate) {
          // Before the first optimiser step the policy is the one the old scores came from.
          const bool unchanged = epoch == 0 && mb == 0 && !singleUpdate;
          scores = asLeaves(unchanged ? TokenScores{update.oldLogp.index_select(0, rows),
                                                    update.oldEntropies.index_select(0, rows),
                                                    update.oldMeanLogSoftmax.index_select(0, rows)}
                                      : scoreRows(*policy_, in.batch, temperature, micro));
        } else {
          scores = scoreRows(*policy_, in.batch, temperature);
        }
        in.logp = scores.logprobs;
        in.entropies = scores.entropies;
        in.meanLogSoftmax = scores.meanLogSoftmax;
        if (singleUpdate) {
          update.oldLogp = scores.logprobs.detach();
          update.oldEntropies = scores.entropies.detach();
          update.oldMeanLogSoftmax = scores.meanLogSoftmax.detach();
        }
        in.oldLogp = update.oldLogp.index_select(0, rows);
        in.oldEntropies = update.oldEntropies.index_select(0, rows);
        in.oldMeanLogSoftmax = update.oldMeanLogSoftmax.index_select(0, rows);
        if (update.refLogp.defined()) in.refLogp = update.refLogp.index_select(0, rows);
        in.mask = in.batch.completionMask;
        in.advantages = update.advantages.index_select(0, rows);
        in.maxLength = maxLen;
        LossResult result = algorithm_->loss(ctx, in);
        optimizer_->zero_grad();
        // A rank without rows in this minibatch (and without trainable parts) has no graph.
        if (result.loss.requires_grad()) result.loss.backward();
        // With micro-batches the backward above reached the scores (leaves); now the policy.
        if (accumulate) backpropagateInChunks(scorePolicy, in.batch, first, last, micro, scores);
        // The sum over ranks is the gradient of the whole minibatch's loss. The algorithm's own
        // parts (a critic, log Z) saw every row on every rank: their gradients already agree.
        if (dist_) dist_->allReduceGradients(policy_->trainableParameters(), kGradientBucketBytes);
        const std::vector<torch::Tensor> params = trainableParameters();
        const double norm = torch::nn::utils::clip_grad_norm_(
            params, gradClip > 0 ? gradClip : std::numeric_limits<double>::infinity());
        optimizer_->step();
        lossSum += result.loss.item<double>();
        gradNormSum += norm;
        for (const auto& [k, v] : result.metrics) lossMetrics[k] += v;
        ++updates;
      }
    }
    entropy = maskedMeanValue(update.oldEntropies, update.batch.completionMask);
    algorithm_->endIteration(ctx, rollout, update);
  }
  const double tEnd = nowSeconds();

  double mean = 0, var = 0;
  for (double r : rewards) mean += r;
  if (!rewards.empty()) mean /= rewards.size();
  for (double r : rewards) var += (r - mean) * (r - mean);
  const double accuracy = rewards.empty() ? 0.0 : static_cast<double>(correct) / rewards.size();

  std::vector<std::pair<std::string, double>> metrics;
  if (!rewards.empty()) {
    metrics.emplace_back("reward/mean", mean);
    metrics.emplace_back("reward/std", rewards.size() > 1 ? std::sqrt(var / (rewards.size() - 1)) : 0.0);
    metrics.emplace_back("accuracy", accuracy);
  }
  // An iteration whose filters left no rows (DAPO's dynamic sampling on a policy that solves
  // nothing) has no entropy, length or loss: those points are missing, not 0.
  if (N > 0) {
    metrics.emplace_back("entropy", entropy);
    metrics.emplace_back("length/mean", lengthSum / N);
  }
  if (updates > 0) {
    metrics.emplace_back("loss/total", lossSum / updates);
    metrics.emplace_back("grad_norm", gradNormSum / updates);
  }
  metrics.insert(metrics.end(), {
      {"groups/zero_std_frac", rollout.zeroStdFirstRound},
      {"groups/dropped", static_cast<double>(rollout.groupsDropped)},
      {"lr", lr},
      {"throughput/tokens_per_s", tokensGenerated / std::max(1e-9, tEnd - t0)},
      {"rollout/samples", static_cast<double>(samplesGenerated)},
      {"rollout/tokens", static_cast<double>(tokensGenerated)},
      {"time/rollout_s", tRollout - t0},
      {"time/update_s", tEnd - tRollout},
      {"time/iteration_s", tEnd - t0},
      {"time/sample_s", sampleSeconds_},
      {"time/verify_s", verifySeconds_},
      {"time/score_s", scoreSeconds},
      {"time/advantages_s", advantageSeconds},
  });
  if (const long long peak = peakResidentBytes(); peak > 0) metrics.emplace_back("memory/peak_rss_mb", peak / 1048576.0);
  if (dist_) metrics.emplace_back("dist/world_size", dist_->worldSize());
  if (updates > 0) {
    if (!lossMetrics.count("kl")) lossMetrics["kl"] = 0.0;
    for (const auto& [k, v] : lossMetrics) metrics.emplace_back(k, v / updates);
  }
  // Parts may report a name more than once (a curriculum asked again by dynamic sampling): the mean.
  std::map<std::string, std::pair<double, int>> partMetrics;
  for (const auto& [name, value] : ctx.metrics) {
    auto& m = partMetrics[name];
    m.first += value;
    m.second += 1;
  }
  for (const auto& [name, m] : partMetrics)
    if (!lossMetrics.count(name)) metrics.emplace_back(name, m.first / m.second);

  // Samples stored: whole groups, first groups first, then rows the filters removed.
  std::vector<SampleRecord> samples;
  const int logged = static_cast<int>(config_.getInt("run.samples_logged"));
  auto record = [&](const Problem& problem, const RolloutRow& row, int group, const std::string& note) {
    if (static_cast<int>(samples.size()) >= logged) return;
    SampleRecord s;
    s.runId = runId_;
    s.iteration = iteration;
    s.group = group;
    s.split = "train";
    s.problemId = problem.id;
    s.prompt = problem.prompt;
    s.completion = row.text();
    s.reward = row.reward;
    s.correct = row.verdict.correct;
    s.reason = row.verdict.reason + note;
    s.tokens = row.length;
    samples.push_back(std::move(s));
  };
  auto recordRows = [&] {
    for (const auto& row : rollout.rows)
      record(*rollout.problems[row.group], row, row.group, row.source == "policy" ? "" : " [" + row.source + "]");
  };
  auto recordFiltered = [&] {
    for (const auto& [problem, row] : rollout.filteredOut)
      record(*problem, row, rollout.groups(), row.source == "search" ? " [search answer]" : " [filtered out]");
  };
  // A search's answers say more than its training rows (single steps): they come first.
  if (rollout.trees.empty()) {
    recordRows();
    recordFiltered();
  } else {
    recordFiltered();
    recordRows();
  }
  emitIteration(iteration, std::move(metrics), std::move(samples), /*countsAsIteration=*/true,
                storedTrees(rollout, iteration));
  log_->info("iteration {}/{}: reward {:.3f}, accuracy {:.3f}, entropy {:.3f}, {:.2f} s", iteration + 1,
             iterations_, mean, accuracy, entropy, tEnd - t0);
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
  double correctTotal = 0, passSum = 0, distinctSum = 0, semanticSum = 0, entropySum = 0;
  const int chunk = std::max(1, 256 / n);
  for (int begin = 0; begin < count; begin += chunk) {
    std::vector<const Problem*> problems;
    for (int i = begin; i < std::min(count, begin + chunk); ++i) problems.push_back(&test[i]);
    SampleRequest request;
    request.temperature = config_.getFloat("eval.temperature");
    Rollout r = sampleGroups(problems, n, request, generator);
    for (size_t p = 0; p < problems.size(); ++p) {
      int c = 0;
      std::set<std::string> distinct;
      std::vector<std::string> answers;
      for (int i = 0; i < n; ++i) {
        const RolloutRow& row = r.rows[p * n + i];
        c += row.verdict.correct;
        entropySum += row.meanEntropy;
        answers.push_back(task_->finalAnswer(*problems[p], row.text()));
        // FoR's diversity: distinct correct solutions, as normalised step sequences.
        if (row.verdict.correct) {
          std::string canonical;
          for (const auto& step : splitSteps(row.text())) canonical += step + "\n";
          distinct.insert(canonical);
        }
      }
      correctTotal += c;
      passSum += passAtK(n, c, k);
      distinctSum += static_cast<double>(distinct.size());
      semanticSum += semanticEntropy(clusterAnswers(answers));
    }
    if (listener_) listener_->onPhase(runId_, "evaluation", std::min(1.0, (begin + chunk) / double(count)));
  }
  std::vector<std::pair<std::string, double>> metrics = {
      {"eval/accuracy", correctTotal / (static_cast<double>(count) * n)},
      {"eval/pass@k", passSum / count},
      {"eval/distinct_correct", distinctSum / count},
      {"eval/semantic_entropy", semanticSum / count},
      {"eval/entropy", entropySum / (static_cast<double>(count) * n)},
      {"time/eval_s", nowSeconds() - t0}};
  log_->info("evaluation at iteration {}: accuracy {:.3f}, pass@{} {:.3f} on {} test problems x {} samples",
             iteration, metrics[0].second, k, metrics[1].second, count, n);
  emitIteration(iteration, std::move(metrics), {}, /*countsAsIteration=*/false);
}

std::vector<ReasoningTree> TrainingSession::storedTrees(Rollout& rollout, int iteration) const {
  const int wanted = static_cast<int>(config_.getInt("run.trees_logged"));
  std::vector<ReasoningTree> out;
  const std::string label = config_.algorithm() + ", iteration " + std::to_string(iteration);
  for (auto& tree : rollout.trees) {
    if (static_cast<int>(out.size()) >= wanted) break;
    tree.label = label + (tree.label.empty() ? "" : ", " + tree.label);
    out.push_back(std::move(tree));
  }
  if (!rollout.trees.empty()) return out;
  // Sampling algorithms: each of the first groups (with its filtered-out rows) as a prefix tree.
  std::map<const Problem*, std::vector<SampledTrajectory>> groups;
  std::vector<const Problem*> order;
  auto add = [&](const Problem* problem, const RolloutRow& row) {
    if (!groups.count(problem)) {
      if (static_cast<int>(order.size()) >= wanted) return;
      order.push_back(problem);
    }
    groups[problem].push_back({row.text(), row.reward, row.verdict.correct, row.source, row.logFlows});
  };
  for (const auto& row : rollout.rows) add(rollout.problems[row.group], row);
  for (const auto& [problem, row] : rollout.filteredOut) add(problem, row);
  for (const Problem* problem : order) {
    ReasoningTree tree = trajectoryTree(problem->prompt, groups[problem]);
    tree.task = task_->name();
    tree.problemId = problem->id;
    tree.label = label + ", " + std::to_string(groups[problem].size()) + " samples";
    tree.params = {{"temperature", config_.getFloat("rollout.temperature")},
                   {"group_size", config_.getInt("rollout.group_size")}};
    out.push_back(std::move(tree));
  }
  return out;
}

void TrainingSession::emitIteration(int iteration, std::vector<std::pair<std::string, double>> metrics,
                                    std::vector<SampleRecord> samples, bool countsAsIteration,
                                    std::vector<ReasoningTree> trees) {
  const double wall = nowSeconds() - startTime_;
  if (countsAsIteration) store_.recordIteration(runId_, iteration, metrics, samples, wall, trees);
  else store_.recordMetrics(runId_, iteration, metrics, wall);
  if (listener_) {
    IterationEvent event{runId_, iteration, iterations_, std::move(metrics), std::move(samples),
                         static_cast<int>(trees.size())};
    listener_->onIteration(event);
  }
}

void TrainingSession::checkpoint(int iteration) {
  if (dist_ && dist_->rank() != 0) return;  // rank 0 alone writes checkpoints
  const std::string path = store_.runDirectory(runId_) + "/checkpoint-" + std::to_string(iteration) + ".pt";
  nlohmann::json algorithmState = algorithm_->state();
  saveCheckpoint(path, *policy_, *optimizer_, {iteration, &rng_, &generator_, &algorithmState, algorithm_->modules()});
  store_.addCheckpoint(runId_, iteration, path);
  log_->info("checkpoint of iteration {} written to {}", iteration, path);
}

}  // namespace tb
