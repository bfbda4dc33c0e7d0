#pragma once
// A training algorithm as the training loop sees it: one part per slot (Parts.h), composed from
// the preset's parts list (AlgorithmInfo::parts) and the run's configuration. The loop is shared
// by every preset; a paper is a list of parts plus retuned defaults.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/Parts.h"

namespace tb {

class Algorithm {
 public:
  // The preset named by config.algorithm(), with its parts created from `config`.
  static std::unique_ptr<Algorithm> create(const RunConfig& config);
  explicit Algorithm(const RunConfig& config, const PresetParts& parts);
  virtual ~Algorithm() = default;

  ReferenceMode referenceMode() const;
  bool needsReference() const { return referenceMode() != ReferenceMode::None; }
  bool needsOldScores() const;
  // The first part's Part::needsBuiltInPolicy(), or "" when every part runs on any policy.
  std::string builtInPolicyNeededBy() const;

  void begin(TrainingContext& ctx);
  std::vector<const Problem*> pick(TrainingContext& ctx, int count);
  // Samples, shapes rewards and filters: the rollout the update trains on.
  Rollout collect(TrainingContext& ctx);
  // Reward shaping and filters on a freshly sampled rollout (the strategy's Finisher).
  Rollout finish(TrainingContext& ctx, Rollout rollout);
  void prepare(TrainingContext& ctx, const Rollout& rollout, UpdateBatch& batch);
  torch::Tensor advantages(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch);
  // Objective + regularizers, aggregated with algo.loss_agg; result.loss is the scalar to minimise.
  LossResult loss(TrainingContext& ctx, const PolicyLossInputs& in);
  void endIteration(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch);

  // Warm-start demonstration and verifier input as the parts shape them (Part::demonstration, ::verifiable).
  std::optional<std::string> demonstration(const Task& task, const Problem& problem, std::mt19937_64& rng) const;
  std::string verifiable(const std::string& completion) const;

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);
  std::vector<std::pair<std::string, torch::nn::Module*>> modules();

  const PresetParts& parts() const { return names_; }

 private:
  std::vector<Part*> allParts() const;

  PresetParts names_;
  std::unique_ptr<RolloutStrategy> rollout_;
  std::vector<std::unique_ptr<RewardShaper>> rewards_;
  std::vector<std::unique_ptr<DataFilter>> filters_;
  std::unique_ptr<AdvantageEstimator> advantage_;
  std::unique_ptr<Objective> objective_;
  std::vector<std::unique_ptr<Regularizer>> regularizers_;
  std::unique_ptr<Curriculum> curriculum_;
  std::string aggregation_;
};

}  // namespace tb
