#include "core/engine/SearchSession.h"

#include <chrono>
#include <climits>
#include <filesystem>
#include <optional>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/engine/Checkpoint.h"
#include "core/engine/RunPolicy.h"
#include "core/engine/TrainingSession.h"
#include "core/model/ValueModel.h"
#include "core/rollout/PolicySearchSpace.h"
#include "core/rollout/Sampler.h"
#include "core/search/SearchParams.h"
#include "core/search/TrajectoryTree.h"
#include "core/store/RunStore.h"

namespace tb {

namespace {

const Problem& findProblem(const Task& task, const std::string& id) {
  for (Split split : {Split::Test, Split::Train})
    for (const auto& p : task.problems(split))
      if (p.id == id) return p;
  const auto& test = task.problems(Split::Test);
  failInput("task '", task.name(), "' has no problem '", id, "' (ids look like '",
            test.empty() ? std::string("?") : test.front().id, "'; `thoughtbench-cli task show ", task.name(),
            "` lists some)");
}

// `count` completions sampled as a run samples a group, merged into a prefix tree.
void sampleGroupTree(SearchOutcome& out, PolicyModel& policy, const PolicyTokenizer& tokenizer, const Task& task,
                     const Problem& problem, const RunConfig& config, int count, torch::Generator& generator) {
  if (count > 4096) failInput("a sampled group of ", count, " completions (expected at most 4096)");
  SamplingOptions sampling;
  sampling.temperature = config.getFloat("rollout.temperature");
  sampling.topP = config.getFloat("rollout.top_p");
  sampling.maxNewTokens = static_cast<int>(config.getInt("rollout.max_new_tokens"));
  sampling.padId = tokenizer.padId();
  sampling.eosId = tokenizer.eosId();
  const std::vector<std::vector<int>> prompts(count, tokenizer.encodePrompt(problem.prompt));
  const RolloutBatch batch = policy.sample(prompts, sampling, generator);
  out.tokens = batch.generatedTokens();
  std::vector<SampledTrajectory> group;
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  for (int i = 0; i < count; ++i) {
    std::vector<int> ids(static_cast<size_t>(batch.lengths[i]));
    for (size_t j = 0; j < ids.size(); ++j) ids[j] = static_cast<int>(tokens[i][batch.promptLength + int64_t(j)]);
    const std::string text = tokenizer.decode(ids);
    const Verdict v = task.verify(problem, text);
    group.push_back({text, v.reward, v.correct, "policy", {}});
  }
  out.tree = trajectoryTree(problem.prompt, group);
  out.tree.problemId = problem.id;
  out.tree.params = {{"samples", count}, {"temperature", sampling.temperature}};
  const int leaf = out.tree.chosenPath.empty() ? 0 : out.tree.chosenPath.back();
  out.answer = out.tree.textTo(leaf);
  out.answerCorrect = out.tree.nodes[leaf].correct;
}

}  // namespace

SearchOutcome searchProblem(const SearchRequest& request) {
  const auto t0 = std::chrono::steady_clock::now();
  // The configuration the policy was trained with (its shape, task parameters, alphabet).
  std::optional<RunConfig> runConfig;
  std::optional<RunRecord> record;
  if (request.run) {
    TB_CHECK(request.store, "a run needs its store");
    record = request.store->run(*request.run);
    if (!record) failInput("no run ", *request.run, " in workspace '", request.store->path(), "'");
    runConfig = RunConfig::fromJson(record->config, "run " + std::to_string(*request.run));
    if (!request.task.empty() && request.task != runConfig->task())
      failInput("run ", *request.run, " trained on task '", runConfig->task(), "', not '", request.task, "'");
  }
  const std::string taskName = runConfig ? runConfig->task() : request.task;
  if (taskName.empty()) failInput("search needs a task (--task) or a run (--checkpoint RUN)");
  const std::string trainedWith = runConfig ? runConfig->algorithm() : "mcts_dpo";
  const bool runSearches = runConfig && runConfig->has("search.method");
  RunConfig config = RunConfig::defaults(taskName, runSearches ? trainedWith : "mcts_dpo");
  if (runConfig) {
    const nlohmann::json trained = runConfig->toJson();  // kept alive: items() only refers to it
    for (const auto& [key, value] : trained.items())
      if (key != "task" && key != "algorithm" && config.schema().find(key)) config.set(key, value);
  }
  for (const auto& o : request.overrides) config.applyOverride(o);
  config.validate();

  const TaskInfo& taskInfo = TaskRegistry::instance().at(taskName, "task");
  auto task = taskInfo.create(config);
  const Problem& problem = findProblem(*task, request.problemId);
  ValueModel valueModel{nullptr};
  SearchOutcome out;
  const std::string valueSource = config.getString("search.value");
  // The policy: a run's (its latest checkpoint), a model file, or an untrained one; the built-in GPT,
  // or a Hugging Face checkpoint (model.hf_path of the run, or set for this search).
  std::optional<RestoredRunPolicy> restored;
  std::optional<RunPolicy> untrainedHf;
  std::optional<CharTokenizer> charTokenizer;
  std::optional<GptPolicyModel> builtIn;
  PolicyModel* searchPolicy = nullptr;
  const PolicyTokenizer* searchTokenizer = nullptr;
  torch::manual_seed(request.seed);
  if (!config.getString("model.hf_path").empty()) {
    const std::string folder = config.getString("model.hf_path");
    if (!request.modelFile.empty())
      failInput("model file '", request.modelFile, "' holds a built-in policy, but model.hf_path names the Hugging "
                "Face checkpoint '", folder, "'");
    if (record) {
      restored = restoreRunPolicy(*request.store, record->id, config, *task, INT_MAX);
      searchPolicy = restored->policy;
      searchTokenizer = restored->run.tokenizer.get();
      out.policy = "run " + std::to_string(record->id) + " (" + record->algorithm + "), " +
                   (restored->checkpoint ? "checkpoint of iteration " + std::to_string(restored->checkpoint->iteration)
                                         : std::string("warm start (no checkpoint yet)")) +
                   ", " + folder + (restored->onCpuInstead ? " (on the CPU in float32: no GPU here)" : "");
    } else {
      untrainedHf = makeRunPolicy(config, *task);
      searchPolicy = untrainedHf->policy.get();
      searchTokenizer = untrainedHf->tokenizer.get();
      out.policy = "Hugging Face checkpoint " + folder + " as it is (pass --checkpoint RUN for a trained one)";
    }
    searchPolicy->module().eval();
  } else {
    charTokenizer.emplace(task->alphabet() + algorithmAlphabet(AlgorithmRegistry::instance().at(trainedWith, "algorithm")));
    const CharTokenizer& tokenizer = *charTokenizer;
    GptPolicy policy(modelConfig(config, tokenizer.vocabSize()));
    policy->eval();
    if (valueSource == "value_model") valueModel = ValueModel(policy->config());
    if (record) {
      const auto ckpt = request.store->latestCheckpoint(record->id);
      const std::string reference = request.store->runDirectory(record->id) + "/reference.pt";
      if (ckpt) {
        std::vector<std::pair<std::string, torch::nn::Module*>> parts;
        for (int i = 0; i < 12 && valueModel; ++i)
          parts.emplace_back(std::to_string(i) + ".value_model", valueModel.get());
        const auto loaded = loadCheckpointModels(ckpt->path, policy, parts);
        if (valueModel && loaded.empty())
          failInput("search.value = value_model: the checkpoint of run ", record->id, " (", ckpt->path,
                    ") holds no value model (only rest_mcts runs train one)");
        out.policy = "run " + std::to_string(record->id) + " (" + record->algorithm + "), checkpoint of iteration " +
                     std::to_string(ckpt->iteration);
      } else if (std::filesystem::exists(reference)) {
        loadModel(reference, policy);
        out.policy = "run " + std::to_string(record->id) + " warm start (no checkpoint yet)";
      } else {
        failInput("run ", record->id, " has no checkpoint and no warm start yet");
      }
    } else if (!request.modelFile.empty()) {
      loadModel(request.modelFile, policy);
      out.policy = "model file " + request.modelFile;
    } else {
      out.policy = "untrained policy (pass --checkpoint RUN for a trained one)";
    }
    if (valueSource == "value_model" && !record)
      failInput("search.value = value_model needs --checkpoint RUN of a rest_mcts run");
    builtIn.emplace(policy);
    searchTokenizer = &tokenizer;
  }
  if (builtIn) searchPolicy = &*builtIn;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(request.seed);
  torch::NoGradGuard noGrad;
  if (request.sampleGroup > 0) {
    sampleGroupTree(out, *searchPolicy, *searchTokenizer, *task, problem, config, request.sampleGroup, generator);
    out.tree.task = taskName;
    out.tree.label = std::to_string(request.sampleGroup) + " samples, " + out.policy;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }
  const SearchOptions options = searchOptionsFrom(config);
  options.validate();
  PolicySearchOptions policyOptions;
  policyOptions.temperature = config.getFloat("search.temperature");
  policyOptions.stepTokens = static_cast<int>(config.getInt("search.step_tokens"));
  policyOptions.value = valueSource;
  policyOptions.rolloutTokens = static_cast<int>(config.getInt("rollout.max_new_tokens"));
  policyOptions.stepLevel = taskInfo.stepLevel;
  PolicySearchSpace space(*searchPolicy, *searchTokenizer, *task, problem, policyOptions, generator,
                          valueModel ? &valueModel : nullptr);
  out.tree = runSearch(space, options, problem.prompt);
  out.tree.task = taskName;
  out.tree.problemId = problem.id;
  out.tree.label = options.method + ", " + out.policy;
  out.tokens = space.tokensGenerated();
  const int leaf = out.tree.chosenPath.empty() ? 0 : out.tree.chosenPath.back();
  out.answer = out.tree.textTo(leaf);
  out.answerCorrect = out.tree.nodes[leaf].correct;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace tb
