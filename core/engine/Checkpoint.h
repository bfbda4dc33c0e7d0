#pragma once
// Checkpoints of a run: model, optimiser, random states and the iteration, written to a temporary
// file and renamed into place so a crash never leaves a half-written checkpoint.
#include <torch/torch.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/GptPolicy.h"
#include "core/rollout/PolicyModel.h"

namespace tb {

struct TrainingState {
  int iteration = -1;          // last completed iteration
  std::mt19937_64* rng = nullptr;
  torch::Generator* generator = nullptr;
  nlohmann::json* algorithmState = nullptr;  // the algorithm's parts (curricula, baselines, buffers)
  std::vector<std::pair<std::string, torch::nn::Module*>> modules;  // trainable parts (critic, log Z)
};

// The policy's trainable state goes in as PolicyModel::save writes it (the whole built-in policy,
// or an HF policy's adapters).
void saveCheckpoint(const std::string& path, PolicyModel& policy, torch::optim::Optimizer& optimizer,
                    const TrainingState& state);
// Restores into existing objects; throws InputError naming the file when it is unreadable or was
// written for a model of another shape. Returns the iteration stored.
int loadCheckpoint(const std::string& path, PolicyModel& policy, torch::optim::Optimizer& optimizer,
                   const TrainingState& state);

// Only the policy and the named trainable parts of a checkpoint (for inspection and search, no
// optimiser or random state). A part the file lacks is left as it is and not listed in the result.
std::vector<std::string> loadCheckpointModels(const std::string& path, GptPolicy& policy,
                                              const std::vector<std::pair<std::string, torch::nn::Module*>>& modules);

// Only the policy's trainable state of a checkpoint (PolicyModel::load: the built-in policy, an HF
// policy's adapters or weights), nothing else; InputError naming the file as above.
void loadCheckpointPolicy(const std::string& path, PolicyModel& policy);

void saveModel(const std::string& path, GptPolicy& policy);
void loadModel(const std::string& path, GptPolicy& policy);

}  // namespace tb
