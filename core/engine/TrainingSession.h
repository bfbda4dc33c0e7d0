#pragma once
// The training loop of one run (see docs/ARCHITECTURE.md, "Data flow of one run"):
//   warm start (supervised fine-tuning on solver demonstrations; the result is the frozen
//   reference policy), then per iteration the algorithm's parts (core/algorithms/Parts.h):
//   curriculum picks prompts -> rollout strategy samples (KV-cached sampler) -> verify -> shape
//   rewards -> filters -> advantages -> epochs x minibatches of objective + regularizers with
//   AdamW -> metrics and samples to the store in one transaction.
// Periodic evaluation on the test split (accuracy, unbiased pass@k) and atomic checkpoints; a run
// with a checkpoint continues from it, bit-identically to an uninterrupted run.
#include <torch/torch.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/algorithms/Algorithm.h"
#include "core/config/RunConfig.h"
#include "core/engine/RunControl.h"
#include "core/engine/RunListener.h"
#include "core/model/GptPolicy.h"
#include "core/rollout/PolicyModel.h"
#include "core/rollout/Sampler.h"
#include "core/tasks/Task.h"
#include "core/text/PolicyTokenizer.h"

namespace spdlog {
class logger;
}

namespace tb {

class Distributed;

// The policy's shape from a run's model.* parameters and its tokenizer's vocabulary.
GptConfig modelConfig(const RunConfig& config, int vocabSize);

class TrainingSession {
 public:
  TrainingSession(RunStore& store, std::int64_t runId, const RunConfig& config, RunControl& control,
                  RunListener* listener, std::shared_ptr<spdlog::logger> log, Distributed* dist = nullptr);
  // Trains to the end; returns Finished or Cancelled. Throws on errors (the engine stores them).
  RunStatus run();

  PolicyModel& policy() { return *policy_; }
  const PolicyTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  void warmStart();
  // G completions of each problem from `model` (default: the policy), verified; rewards unshaped.
  Rollout sampleGroups(const std::vector<const Problem*>& problems, int groupSize, const SampleRequest& request,
                       torch::Generator& generator);
  void beginTraining();
  void iterate(int iteration);
  void evaluate(int iteration);
  void checkpoint(int iteration);
  bool waitIfPaused();
  // Distributed runs: scores of the rows of `batch`, each rank scoring its shard; the others'
  // rows enter as constants, so a loss over the result back-propagates into this rank's rows only.
  // micro > 0: without a graph, `micro` rows per forward pass (train.micro_batch).
  TokenScores scoreRows(PolicyModel& model, const RolloutBatch& batch, double temperature, std::int64_t micro = 0);
  // Every trainable tensor the optimiser holds, policy first.
  std::vector<torch::Tensor> trainableParameters();
  void emitIteration(int iteration, std::vector<std::pair<std::string, double>> metrics,
                     std::vector<SampleRecord> samples, bool countsAsIteration,
                     std::vector<ReasoningTree> trees = {});
  // The trees stored with an iteration (run.trees_logged): the strategy's search trees, or the
  // first groups merged into prefix trees over steps.
  std::vector<ReasoningTree> storedTrees(Rollout& rollout, int iteration) const;

  RunStore& store_;
  std::int64_t runId_;
  const RunConfig& config_;
  RunControl& control_;
  RunListener* listener_;
  std::shared_ptr<spdlog::logger> log_;
  Distributed* dist_ = nullptr;  // null for a single process

  std::unique_ptr<Task> task_;
  // The built-in policy with its character tokenizer, or a Hugging Face checkpoint (model.hf_path).
  std::unique_ptr<PolicyTokenizer> tokenizer_;
  std::unique_ptr<PolicyModel> policy_;
  std::unique_ptr<PolicyModel> reference_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::unique_ptr<Algorithm> algorithm_;
  std::unique_ptr<TrainingContext> context_;
  std::mt19937_64 rng_;
  torch::Generator generator_;
  double startTime_ = 0;
  // Seconds of the current iteration spent decoding and verifying inside sampleGroups (all calls).
  double sampleSeconds_ = 0, verifySeconds_ = 0;
  int iterations_ = 0;
};

}  // namespace tb
