// Rollout and train-step benchmarks on a randomly initialised policy of the requested size.
#include "core/engine/Benchmark.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/algorithms/PolicyLoss.h"
#include "core/config/RunConfig.h"
#include "core/engine/SearchSession.h"
#include "core/search/TreeLayout.h"
#include "core/tasks/Task.h"
#include "core/model/GptPolicy.h"
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
  sampling.eosId = -1;  // never stop early: every row generates new_tokens
  auto generator = at::make_generator<at::CPUGeneratorImpl>(0);
  const double seconds = medianSeconds(o.repeats, [&] { sampleCompletions(policy, prompts, sampling, generator); });
  const double tokens = static_cast<double>(o.batch) * o.newTokens;
  auto out = describe(o, threads, policy->parameterCount());
  out["bench"] = "rollout";
  out["seconds"] = seconds;
  out["tokens_per_s"] = tokens / seconds;
  return out;
}

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
  auto advantages = torch::randn({o.batch, 1});
  torch::Tensor oldLogp;
  {
    torch::NoGradGuard noGrad;
    oldLogp = scoreCompletions(policy, batch, 1.0).logprobs;
  }
  const double seconds = medianSeconds(o.repeats, [&] {
    auto scores = scoreCompletions(policy, batch, 1.0);
    auto terms = clippedSurrogate(scores.logprobs, oldLogp, advantages, 0.2, 0.2, 3.0);
    auto loss = aggregateTokenLoss(terms.loss, batch.completionMask, LossAggregation::SeqMeanTokenMean, o.newTokens);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  });
  const double tokens = static_cast<double>(o.batch) * (o.promptLength + o.newTokens);
  auto out = describe(o, threads, policy->parameterCount());
  out["bench"] = "train-step";
  out["seconds"] = seconds;
  out["tokens_per_s"] = tokens / seconds;
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

}  // namespace tb
