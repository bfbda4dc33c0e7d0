#pragma once
// The interfaces of algorithm parts and the context they run in. One iteration of the shared
// training loop (core/engine/TrainingSession.cpp) is
//   curriculum.pick -> rollout.collect (sampling, reward shaping, filters) -> advantage.estimate
//   -> epochs x minibatches of objective.loss (+ regularizers, aggregated) -> curriculum.observe
// A part keeps its state across iterations in state()/restore() (JSON) and modules() (tensors),
// both written into checkpoints, so a resumed run continues bit-identically.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/algorithms/PartInfo.h"
#include "core/algorithms/Rollout.h"
#include "core/config/RunConfig.h"
#include "core/Error.h"
#include "core/model/GptPolicy.h"
#include "core/rollout/PolicyModel.h"
#include "core/rollout/Sampler.h"
#include "core/tasks/Task.h"
#include "core/text/CharTokenizer.h"
#include "core/text/PolicyTokenizer.h"

namespace spdlog {
class logger;
}

namespace tb {

// How a rollout strategy asks the loop for completions.
struct SampleRequest {
  PolicyModel* model = nullptr;          // nullptr = the policy being trained
  double temperature = -1;               // < 0 = rollout.temperature
  int maxNewTokens = -1;                 // < 0 = rollout.max_new_tokens
  std::vector<std::string> prefixes;     // per problem: text placed before the completion (hints)
  std::string source = "policy";
  // Nash-MD: sample from the geometric mixture of `model` and `mixtureWith` (weight `mixture` on it).
  PolicyModel* mixtureWith = nullptr;
  double mixture = 0;
};

// The refusal of a part that needs the built-in policy (Part::needsBuiltInPolicy) in a run that
// trains a Hugging Face checkpoint.
[[noreturn]] inline void refuseHfPolicy(const RunConfig& config, const std::string& part) {
  failInput("algorithm '", config.algorithm(), "': ", part,
            " needs the built-in policy; it cannot train a Hugging Face checkpoint (model.hf_path). "
            "Critic-free sampling algorithms (grpo, dapo, dr_grpo, ...) can");
}

// What parts may use: the task, the models, the random streams and the loop's services.
struct TrainingContext {
  const RunConfig& config;
  const Task& task;
  const TaskInfo& taskInfo;
  const PolicyTokenizer& tokenizer;
  PolicyModel& policy;
  PolicyModel* reference = nullptr;      // frozen warm start (or previous iteration, see ReferenceMode)
  std::mt19937_64& rng;
  torch::Generator& generator;
  spdlog::logger& log;
  int iteration = 0;
  int iterations = 0;
  int groupSize = 8;
  int prompts = 8;
  int maxNewTokens = 96;
  double temperature = 1.0;

  // G completions of each problem, verified (rewards unshaped).
  std::function<Rollout(const std::vector<const Problem*>&, int, const SampleRequest&)> sample = nullptr;
  // `count` training problems from the curriculum.
  std::function<std::vector<const Problem*>(int)> pickProblems = nullptr;

  // Metrics parts report this iteration (averaged over minibatches when reported from loss()).
  std::vector<std::pair<std::string, double>> metrics = {};
  void metric(const std::string& name, double value) { metrics.emplace_back(name, value); }

  // The built-in policy and its character tokenizer, for parts that need the model's internals
  // (a critic built on its trunk, its attention maps, legal-step scoring, tree search). A run
  // that trains a Hugging Face checkpoint (model.hf_path) is refused, naming `part`.
  GptPolicy& builtInPolicy(const std::string& part) const {
    GptPolicy* gpt = policy.gpt();
    if (!gpt) refuseHfPolicy(config, part);
    return *gpt;
  }
  const CharTokenizer& charTokenizer(const std::string& part) const {
    const auto* chars = dynamic_cast<const CharTokenizer*>(&tokenizer);
    if (!chars) refuseHfPolicy(config, part);
    return *chars;
  }
};

// The tensors of an update batch (all rows of the rollout), computed once before the update.
struct UpdateBatch {
  RolloutBatch batch;            // tokens, valid, completionMask [N, L]
  torch::Tensor oldLogp;         // [N, L] log-probs under the policy before the update
  torch::Tensor oldEntropies;    // [N, L]
  torch::Tensor oldMeanLogSoftmax;  // [N, L] mean over the vocabulary of log-softmax (ROVER)
  torch::Tensor refLogp;         // [N, L] under the reference; undefined without one
  torch::Tensor advantages;      // [N, 1] or [N, L]
  int maxLength = 0;             // L_max = rollout.max_new_tokens
};

// One minibatch as an objective sees it (rows are whole groups).
struct PolicyLossInputs {
  const Rollout* rollout = nullptr;
  std::vector<int64_t> rows;       // row indices into the rollout
  RolloutBatch batch;              // the minibatch's tokens
  torch::Tensor logp;              // [n, L] current policy (requires grad)
  torch::Tensor entropies;         // [n, L] current policy (requires grad)
  torch::Tensor meanLogSoftmax;    // [n, L] current policy (requires grad)
  torch::Tensor oldLogp;           // [n, L]
  torch::Tensor oldEntropies;      // [n, L]
  torch::Tensor oldMeanLogSoftmax; // [n, L]
  torch::Tensor refLogp;           // [n, L] or undefined
  torch::Tensor mask;              // [n, L]
  torch::Tensor advantages;        // [n, 1] or [n, L]
  int maxLength = 0;
};

struct LossResult {
  torch::Tensor tokenLoss;   // [n, L] per-token loss, aggregated by algo.loss_agg; or undefined
  torch::Tensor loss;        // scalar added as is (sequence-level objectives, critics); or undefined
  std::vector<std::pair<std::string, double>> metrics;
};

enum class ReferenceMode { None, Frozen, PreviousIteration };

class Part {
 public:
  virtual ~Part() = default;
  // The reference policy the part reads (ctx.reference / batch.refLogp): none, the frozen warm
  // start, or the policy as it was before the iteration (SPIN's opponent).
  virtual ReferenceMode reference() const { return ReferenceMode::None; }
  // Called once before the first iteration (after the warm start or a restore).
  virtual void begin(TrainingContext&) {}
  // What of the built-in policy's internals the part needs (a critic on its trunk, its attention
  // maps, ...), for refusing a Hugging Face policy before any work; null = none.
  virtual const char* needsBuiltInPolicy() const { return nullptr; }
  virtual nlohmann::json state() const { return nullptr; }
  virtual void restore(const nlohmann::json&) {}
  // The warm-start demonstration as this part wants it written (Thinkless adds a mode token).
  virtual std::string demonstration(const Problem&, std::string demo, std::mt19937_64&) const { return demo; }
  // The part of a completion the verifier judges (Thinkless strips its mode token).
  virtual std::string verifiable(const std::string& completion) const { return completion; }
  // Trainable modules the part owns (a critic, log Z); optimised with the policy and checkpointed.
  virtual std::vector<std::pair<std::string, torch::nn::Module*>> modules() { return {}; }
};

class RolloutStrategy : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Rollout;
  // The rollout of one iteration for `problems` (more may be drawn with ctx.pickProblems). The
  // `finish` callback shapes rewards and applies filters to a freshly sampled rollout and tells
  // which groups to keep; strategies that resample dropped groups call it per draw.
  using Finisher = std::function<Rollout(TrainingContext&, Rollout)>;
  virtual Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems,
                          const Finisher& finish) = 0;
  // A loss the strategy trains alongside the policy (ReST-MCTS*'s value model); undefined = none.
  virtual torch::Tensor auxiliaryLoss(TrainingContext&, const PolicyLossInputs&,
                                      std::vector<std::pair<std::string, double>>&) {
    return {};
  }
  // Whether filtered-out groups are replaced by fresh ones (DAPO's dynamic sampling).
};

class RewardShaper : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Reward;
  virtual void shape(TrainingContext& ctx, Rollout& rollout) = 0;  // edits rows[i].reward
};

class DataFilter : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Filter;
  // The rows of group `g` to keep (empty = drop the group).
  virtual std::vector<int> keep(TrainingContext& ctx, const Rollout& rollout, int g, const std::vector<int>& rows) = 0;
  // Dropped groups are replaced by freshly sampled ones (up to 4 extra rounds).
  virtual bool resamples() const { return false; }
};

class AdvantageEstimator : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Advantage;
  // [N, 1] sequence-level or [N, L] token-level advantages for every row of the rollout.
  virtual torch::Tensor estimate(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) = 0;
  virtual bool needsOldScores() const { return false; }  // reads batch.oldLogp/oldEntropies
  // A loss the estimator trains alongside the policy (PPO's critic); undefined = none.
  virtual torch::Tensor auxiliaryLoss(TrainingContext&, const PolicyLossInputs&,
                                      std::vector<std::pair<std::string, double>>&) {
    return {};
  }
};

class Objective : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Objective;
  virtual LossResult loss(TrainingContext& ctx, const PolicyLossInputs& in) = 0;
  // Called before the update with the whole batch (e.g. a critic computes old values).
  virtual void prepare(TrainingContext&, const Rollout&, UpdateBatch&) {}
};

class Regularizer : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Regularizer;
  // [n, L] token term added to the objective's token loss (undefined = nothing this time).
  virtual torch::Tensor tokenLoss(TrainingContext& ctx, const PolicyLossInputs& in,
                                  std::vector<std::pair<std::string, double>>& metrics) = 0;
  virtual void endIteration(TrainingContext&, const Rollout&, const UpdateBatch&) {}
};

class Curriculum : public Part {
 public:
  static constexpr PartKind kKind = PartKind::Curriculum;
  virtual std::vector<const Problem*> pick(TrainingContext& ctx, const std::vector<Problem>& pool, int count) = 0;
  // After the update: the rollout and its advantages ([N,1] or [N,L]).
  virtual void observe(TrainingContext&, const Rollout&, const torch::Tensor& advantages) {}
};

// Factories of parts by registry key; registration adds the PartInfo (torch-free) as well.
template <typename Interface>
struct PartFactory {
  std::string name;  // "<kind>/<name>"
  std::function<std::unique_ptr<Interface>(const RunConfig&)> create;
};

template <typename Interface>
using PartFactories = Registry<PartFactory<Interface>>;

template <typename Interface>
struct PartRegistration {
  PartRegistration(PartInfo info, std::function<std::unique_ptr<Interface>(const RunConfig&)> create) {
    info.kind = Interface::kKind;
    info.name = partKey(Interface::kKind, info.name);
    PartFactories<Interface>::instance().add({info.name, std::move(create)});
    PartRegistry::instance().add(std::move(info));
  }
};

template <typename Interface>
std::unique_ptr<Interface> createPart(const std::string& name, const RunConfig& config) {
  return PartFactories<Interface>::instance().at(partKey(Interface::kKind, name), "algorithm part").create(config);
}

// Masked mean of a [N, L] tensor as a double (0 for an empty mask).
double maskedMeanValue(const torch::Tensor& values, const torch::Tensor& mask);

}  // namespace tb

// TB_REGISTER_PART(var, Interface, PartInfo{...}, factory)
#define TB_REGISTER_PART(var, Interface, ...) static ::tb::PartRegistration<Interface> var{__VA_ARGS__}
