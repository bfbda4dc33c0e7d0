// Rollout and train-step benchmarks on a randomly initialised policy of the requested size.
#include "core/engine/Benchmark.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <thread>

#include "core/algorithms/PolicyLoss.h"
#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/engine/Engine.h"
#include "core/engine/MicroBatching.h"
#include "core/engine/SearchSession.h"
#include "core/store/RunStore.h"
#include "core/search/TreeLayout.h"
#include "core/tasks/Task.h"
#include "kernels/CpuAllocationMeter.h"
#include "core/hf/HfModelConfig.h"
#include "core/model/GptPolicy.h"
#include "core/model/HfCausalLM.h"
#include "core/model/LoraLinear.h"
#include "core/rollout/HfGeneration.h"
#include "core/rollout/Sampler.h"

namespace tb {

namespace {

int applyThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return threads;
}

template <typename Fn>
double medianSeconds(int repeats, Fn&& fn) {
  fn();  // warm-up: allocator and thread pools
  std::vector<double> times;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

nlohmann::json describe(const BenchOptions& o, int threads, int64_t parameters) {
  return {{"vocab", o.vocab}, {"d_model", o.dModel}, {"layers", o.layers}, {"heads", o.heads},
          {"batch", o.batch}, {"prompt_len", o.promptLength}, {"new_tokens", o.newTokens},
          {"threads", threads}, {"parameters", parameters}, {"repeats", o.repeats}};
}

std::vector<std::vector<int>> randomPrompts(const BenchOptions& o) {
  std::vector<std::vector<int>> prompts(o.batch);
  for (int i = 0; i < o.batch; ++i)
    for (int j = 0; j < o.promptLength; ++j) prompts[i].push_back(3 + (i * 7 + j * 13) % (o.vocab - 3));
  return prompts;
}

}  // namespace

nlohmann::json benchRollout(const BenchOptions& o) {
  const int threads = applyThreads(o.threads);
  torch::manual_seed(0);
  GptPolicy policy(GptConfig{o.vocab, o.dModel, o.layers, o.heads, o.promptLength + o.newTokens});
  policy->eval();
  auto prompts = randomPrompts(o);
  SamplingOptions sampling;
  sampling.maxNewTokens = o.newTokens;
  sampling.eosId = o.eosId;  // -1: never stop early, every row generates new_tokens
  sampling.dropFinishedRows = !o.keepFinished;
  // Row seeds (as training samples): every repetition draws the same completions.
  for (int i = 0; i < o.batch; ++i) sampling.rowSeeds.push_back(rowSeed(0, static_cast<std::uint64_t>(i)));
  auto generator = at::make_generator<at::CPUGeneratorImpl>(0);
  std::int64_t generated = 0;
  const double seconds = medianSeconds(o.repeats, [&] {
    generated = sampleCompletions(policy, prompts, sampling, generator).generatedTokens();
  });
  const double tokens = static_cast<double>(generated);
  auto out = describe(o, threads, policy->parameterCount());
  out["bench"] = "rollout";
  out["eos_id"] = o.eosId;
  out["drop_finished_rows"] = !o.keepFinished;
  out["tokens"] = generated;
  out["seconds"] = seconds;
  out["tokens_per_s"] = tokens / seconds;
  return out;
}

namespace {

struct UpdateStepFigures {
  double seconds = 0;         // median of the timed steps
  std::int64_t peakBytes = -1;  // peak CPU tensor bytes of one more step; -1 on a GPU (not metered)
  int microBatch = 0;         // rows per forward/backward actually used
};

// One update step of the scorer's model as the training loop takes it: scores with a graph, the
// clipped surrogate (seq-mean-token-mean) against fixed old log-probs and random advantages,
// backward and the optimiser's step, whole or in micro-batches (core/engine/MicroBatching.h).
UpdateStepFigures measureUpdateStep(const BatchScorer& scorer, const RolloutBatch& batch,
                                    torch::optim::Optimizer& optimizer, int microBatch, int repeats,
                                    torch::Device device) {
  const std::int64_t rows = batch.tokens.size(0);
  const auto maxLength = static_cast<int>(batch.completionMask.size(1));
  const torch::Tensor oldLogp = scoreInChunks(scorer, batch, 0, rows, microBatch).logprobs;
  const torch::Tensor advantages = torch::randn({rows, 1});
  const bool accumulate = microBatch > 0 && microBatch < rows;
  auto step = [&] {
    const TokenScores scores = accumulate ? asLeaves(scoreInChunks(scorer, batch, 0, rows, microBatch)) : scorer(batch);
    auto terms = clippedSurrogate(scores.logprobs, oldLogp, advantages, 0.2, 0.2, 3.0);
    auto loss = aggregateTokenLoss(terms.loss, batch.completionMask, LossAggregation::SeqMeanTokenMean, maxLength);
    optimizer.zero_grad();
    loss.backward();
    if (accumulate) backpropagateInChunks(scorer, batch, 0, rows, microBatch, scores);
    optimizer.step();
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
  };
  UpdateStepFigures out;
  out.seconds = medianSeconds(repeats, step);
  out.microBatch = static_cast<int>(accumulate ? microBatch : rows);
  if (!device.is_cuda()) {
    // After the timed steps the optimiser's moments exist: the peak is what one step adds.
    CpuAllocationMeter meter;
    step();
    if (meter.active()) out.peakBytes = meter.peakBytes();
  }
  return out;
}

}  // namespace

nlohmann::json benchTrainStep(const BenchOptions& o) {
  const int threads = applyThreads(o.threads);
  torch::manual_seed(0);
  GptPolicy policy(GptConfig{o.vocab, o.dModel, o.layers, o.heads, o.promptLength + o.newTokens});
  torch::optim::AdamW optimizer(policy->parameters(), torch::optim::AdamWOptions(1e-4));
  auto prompts = randomPrompts(o);
  std::vector<std::vector<int>> completions(o.batch);
  for (int i = 0; i < o.batch; ++i)
    for (int j = 0; j < o.newTokens; ++j) completions[i].push_back(3 + (i * 5 + j * 11) % (o.vocab - 3));
  RolloutBatch batch = makeBatch(prompts, completions, 0);
  const BatchScorer scorer = [&](const RolloutBatch& rows) { return scoreCompletions(policy, rows, 1.0); };
  const UpdateStepFigures step = measureUpdateStep(scorer, batch, optimizer, o.microBatch, o.repeats, torch::kCPU);
  const double tokens = static_cast<double>(o.batch) * (o.promptLength + o.newTokens);
  auto out = describe(o, threads, policy->parameterCount());
  out["bench"] = "train-step";
  out["micro_batch"] = step.microBatch;
  out["peak_tensor_bytes"] = step.peakBytes;
  out["seconds"] = step.seconds;
  out["tokens_per_s"] = tokens / step.seconds;
  return out;
}

nlohmann::json benchMcts(const MctsBenchOptions& o) {
  const int threads = applyThreads(o.threads);
  RunConfig config = RunConfig::defaults("game24", "mcts_dpo");
  auto task = TaskRegistry::instance().at("game24", "task").create(config);
  const auto& problems = task->problems(Split::Test);
  double seconds = 0, simulations = 0, nodes = 0, tokens = 0, solved = 0;
  const int count = std::min<int>(o.problems, static_cast<int>(problems.size()));
  for (int i = 0; i < count; ++i) {
    SearchRequest request;
    request.task = "game24";
    request.problemId = problems[i].id;
    request.modelFile = o.modelFile;
    request.seed = static_cast<std::uint64_t>(i);
    request.overrides = {"search.simulations=" + std::to_string(o.simulations),
                         "search.branching=" + std::to_string(o.branching)};
    const SearchOutcome out = searchProblem(request);
    seconds += out.seconds;
    simulations += out.tree.iterations();
    nodes += out.tree.size();
    tokens += static_cast<double>(out.tokens);
    solved += out.answerCorrect;
  }
  return {{"bench", "mcts"}, {"task", "game24"}, {"problems", count}, {"simulations", o.simulations},
          {"branching", o.branching}, {"threads", threads}, {"model", o.modelFile.empty() ? "untrained" : o.modelFile},
          {"d_model", config.getInt("model.d_model")}, {"layers", config.getInt("model.layers")},
          {"seconds", seconds}, {"simulations_per_s", simulations / std::max(1e-9, seconds)},
          {"nodes_per_s", nodes / std::max(1e-9, seconds)}, {"tokens_per_s", tokens / std::max(1e-9, seconds)},
          {"mean_nodes", nodes / std::max(1, count)}, {"answers_correct", solved}};
}

nlohmann::json benchTreeLayout(int nodes, int repeats) {
  const ReasoningTree tree = randomTree(nodes, 1);
  TreeLayoutResult result;
  const double seconds = medianSeconds(repeats, [&] { result = layoutTree(tree); });
  return {{"bench", "tree-layout"}, {"nodes", nodes}, {"depth", tree.maxDepth()}, {"repeats", repeats},
          {"seconds", seconds}, {"visible", result.visibleCount}, {"width", result.maxX - result.minX}};
}

nlohmann::json benchGrpoIteration(const GrpoIterationBenchOptions& o) {
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string folder = (std::filesystem::temp_directory_path() / "thoughtbench-bench-XXXXXX").string();
  if (!::mkdtemp(folder.data())) throw std::runtime_error("cannot create a scratch folder for the benchmark");
  const std::string db = folder + "/workspace.sqlite";
  nlohmann::json config = {{"task", "game24"},
                           {"algorithm", "grpo"},
                           {"run.iterations", o.iterations},
                           {"run.threads", threads},
                           {"run.checkpoint_every", 0},
                           {"run.samples_logged", 0},
                           {"run.trees_logged", 0},
                           {"eval.every", 0},
                           {"model.d_model", o.dModel},
                           {"model.layers", o.layers},
                           {"model.heads", o.heads},
                           {"rollout.prompts", o.prompts},
                           {"rollout.group_size", o.groupSize},
                           {"rollout.max_new_tokens", o.newTokens},
                           {"warmstart.steps", o.warmStartSteps},
                           {"warmstart.demonstrations", o.warmStartSteps > 0 ? 256 : 0}};
  std::map<std::string, std::vector<MetricPoint>> metrics;
  try {
    auto store = RunStore::open(db);
    const std::int64_t runId = createRun(*store, RunConfig::fromJson(config, "bench grpo-iteration"));
    store.reset();
    RunControl control;
    if (executeRun(db, runId, control, nullptr) != RunStatus::Finished) {
      const auto record = RunStore::open(db)->run(runId);
      throw std::runtime_error("bench grpo-iteration: the run failed: " + (record ? record->message : std::string()));
    }
    metrics = RunStore::open(db)->metrics(runId);
  } catch (...) {
    std::filesystem::remove_all(folder);
    throw;
  }
  std::filesystem::remove_all(folder);

  // Mean over the iterations after the first (allocator, thread pools and caches warm up): means,
  // not medians, so that the phases add up to the iteration.
  auto mean = [&](const std::string& name) {
    double sum = 0;
    int n = 0;
    if (metrics.count(name))
      for (const auto& point : metrics.at(name))
        if (point.iteration > 0) {
          sum += point.value;
          ++n;
        }
    return n > 0 ? sum / n : 0.0;
  };
  const double iteration = mean("time/iteration_s"), rollout = mean("time/rollout_s");
  const double update = mean("time/update_s");
  const double sample = mean("time/sample_s"), verify = mean("time/verify_s");
  const double score = mean("time/score_s"), advantages = mean("time/advantages_s");
  const double optimiser = std::max(0.0, update - score - advantages);
  const double other = std::max(0.0, iteration - sample - verify - score - advantages - optimiser);
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [name, seconds] : std::vector<std::pair<std::string, double>>{
           {"sample", sample}, {"verify", verify}, {"score", score}, {"advantages", advantages},
           {"optimiser", optimiser}, {"other", other}})
    phases[name] = {{"seconds", seconds}, {"share", iteration > 0 ? seconds / iteration : 0.0}};
  return {{"benchmark", "grpo-iteration"},
          {"task", "game24"},
          {"d_model", o.dModel},
          {"layers", o.layers},
          {"heads", o.heads},
          {"prompts", o.prompts},
          {"group_size", o.groupSize},
          {"new_tokens", o.newTokens},
          {"warm_start_steps", o.warmStartSteps},
          {"threads", threads},
          {"timed_iterations", std::max(0, o.iterations - 1)},
          {"iteration_s", iteration},
          {"rollout_s", rollout},
          {"update_s", update},
          {"tokens_per_iteration", mean("rollout/tokens")},
          {"tokens_per_s", sample > 0 ? mean("rollout/tokens") / sample : 0.0},
          {"phases", phases}};
}

namespace {

// A randomly initialised Qwen2-shaped model of the benchmark's sizes, placed as asked.
HfCausalLM randomHfModel(const HfModelBenchOptions& o, const HfPlacement& place, const char* what) {
  const torch::Device device(place.device);
  requireUsableDtype(device, place.scalarType, what);
  const nlohmann::json json = {{"architectures", {"Qwen2ForCausalLM"}}, {"hidden_size", o.hidden},
                               {"intermediate_size", o.intermediate}, {"num_hidden_layers", o.layers},
                               {"num_attention_heads", o.heads}, {"num_key_value_heads", o.kvHeads},
                               {"vocab_size", o.vocab}, {"tie_word_embeddings", true},
                               {"max_position_embeddings", std::max(32768, o.promptLength + o.newTokens)},
                               {"rope_theta", 1000000.0}, {"rms_norm_eps", 1e-6}};
  const HfModelConfig config = parseHfModelConfig(json, what);
  torch::manual_seed(0);
  HfCausalLM model(config);
  model->to(device, place.scalarType);
  model->eval();
  return model;
}

nlohmann::json describeHf(const HfModelBenchOptions& o, const HfPlacement& place, int threads, HfCausalLM& model) {
  return {{"hidden", o.hidden}, {"intermediate", o.intermediate}, {"layers", o.layers}, {"heads", o.heads},
          {"kv_heads", o.kvHeads}, {"vocab", o.vocab}, {"parameters", model->parameterCount()}, {"batch", o.batch},
          {"prompt_len", o.promptLength}, {"new_tokens", o.newTokens}, {"device", o.device},
          {"dtype", place.dtype}, {"threads", threads}, {"repeats", o.repeats}};
}

std::vector<std::vector<int>> benchPrompts(int batch, int length, int vocab) {
  std::vector<std::vector<int>> prompts(static_cast<size_t>(batch));
  for (int i = 0; i < batch; ++i)
    for (int j = 0; j < length; ++j) prompts[i].push_back((i * 7919 + j * 104729) % vocab);
  return prompts;
}

}  // namespace

nlohmann::json benchHfModel(const HfModelBenchOptions& o) {
  const int threads = applyThreads(o.threads);
  const HfPlacement place = hfPlacement(o.device, o.dtype);
  const torch::Device device(place.device);
  HfCausalLM model = randomHfModel(o, place, "bench hf-model");
  torch::NoGradGuard noGrad;
  auto synchronize = [&] {
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
  };
  const auto prompts = benchPrompts(o.batch, o.promptLength, o.vocab);
  auto [tokens, valid] = padPrompts(prompts, 0);
  tokens = tokens.to(device);
  valid = valid.to(device);
  const double prefill = medianSeconds(o.repeats, [&] {
    model->forward(tokens, valid);
    synchronize();
  });
  SamplingOptions sampling;
  sampling.maxNewTokens = o.newTokens;
  sampling.eosId = -1;  // every row generates new_tokens
  for (int i = 0; i < o.batch; ++i) sampling.rowSeeds.push_back(rowSeed(0, static_cast<std::uint64_t>(i)));
  auto generator = at::make_generator<at::CPUGeneratorImpl>(0);
  const double generate = medianSeconds(o.repeats, [&] {
    sampleHfCompletions(model, prompts, sampling, generator);
    synchronize();
  });
  // The sampler's first step comes from its own prefill: the decode time is what follows it.
  const double decode = std::max(1e-9, generate - prefill);
  const double decoded = static_cast<double>(o.batch) * std::max(0, o.newTokens - 1);
  auto out = describeHf(o, place, threads, model);
  out["bench"] = "hf-model";
  out["prefill_s"] = prefill;
  out["prefill_tokens_per_s"] = o.batch * o.promptLength / prefill;
  out["generate_s"] = generate;
  out["decode_tokens_per_s"] = decoded / decode;
  return out;
}

nlohmann::json benchHfUpdate(const HfModelBenchOptions& o) {
  const int threads = applyThreads(o.threads);
  const HfPlacement place = hfPlacement(o.device, o.dtype);
  const torch::Device device(place.device);
  HfCausalLM model = randomHfModel(o, place, "bench hf-update");
  if (o.loraRank > 0) applyLora(*model, LoraConfig{o.loraRank, 2.0 * o.loraRank, {"q_proj", "k_proj", "v_proj", "o_proj"}});
  std::vector<torch::Tensor> trainable;
  for (auto& p : model->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::AdamW optimizer(trainable, torch::optim::AdamWOptions(1e-5));
  const auto prompts = benchPrompts(o.batch, o.promptLength, o.vocab);
  std::vector<std::vector<int>> completions(static_cast<size_t>(o.batch));
  for (int i = 0; i < o.batch; ++i)
    for (int j = 0; j < o.newTokens; ++j) completions[i].push_back((i * 104723 + j * 7907 + 11) % o.vocab);
  const RolloutBatch batch = makeBatch(prompts, completions, 0);
  const BatchScorer scorer = [&](const RolloutBatch& rows) {
    return scoresOnCpu(scoreHfCompletions(model, rows, 1.0));
  };
  const UpdateStepFigures step = measureUpdateStep(scorer, batch, optimizer, o.microBatch, o.repeats, device);
  auto out = describeHf(o, place, threads, model);
  out["bench"] = "hf-update";
  out["lora_rank"] = o.loraRank;
  out["trainable_parameters"] = std::accumulate(trainable.begin(), trainable.end(), std::int64_t(0),
                                                [](std::int64_t n, const torch::Tensor& t) { return n + t.numel(); });
  out["micro_batch"] = step.microBatch;
  out["peak_tensor_bytes"] = step.peakBytes < 0 ? nlohmann::json(nullptr) : nlohmann::json(step.peakBytes);
  out["seconds"] = step.seconds;
  out["tokens_per_s"] = static_cast<double>(o.batch) * (o.promptLength + o.newTokens) / step.seconds;
  return out;
}

}  // namespace tb
