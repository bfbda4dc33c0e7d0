#pragma once
// Flow of Reasoning (Yu et al. 2024, "Flow of Reasoning: Training LLMs for Divergent Reasoning with
// Minimal Examples"): the policy is a GFlowNet over step-level states. A state s_k is the problem
// plus the steps so far (Task.h), an action is one legal next step, and
//   log P_F(a | s) = log-softmax over the legal steps a' at s of log pi(a' | s),
// where log pi(a | s) is the policy's summed token log-probs of the action's line (below).
//
// Trajectory balance (Malkin et al. 2022, "Trajectory Balance: Improved Credit Assignment in
// GFlowNets"), learned log Z (FoR starts it at 5):
//   l = (log Z + sum_k log P_F(a_k | s_k) - log R(x) - sum_k log P_B(s_k | s_k+1))^2
// Log-partition ("VarGrad") form over the G trajectories of one problem, no learned log Z:
//   delta_i = sum log P_F - log R - sum log P_B;  l = mean_i (delta_i - mean_j delta_j)^2
//   example: delta = [-3, -5] -> 1.
// FoR's log reward is log R = (1/T) log(R + lambda * likelihood term) (reward tempering), with
// rewards Game of 24: 100 if it reaches 24 else 0.001; BlocksWorld: 100 if every goal holds else
// 10 x the fraction of goals that hold (the tasks' task.reward = "for"). Exploration: a per-problem
// top-k replay buffer (k = 50, replayed with probability 0.5), tempered sampling, and local search:
// keep the first half of the best trajectory, resample the rest, accept if log R improves.
//
// What is scored for action a at s_k: the context is <bos> + prompt + every earlier step followed
// by '\n'; the action's tokens are the characters of a followed by its terminator, '\n' when the
// state after a is not terminal (Task::isTerminal) and <eos> when it is. This is exactly how
// CharTokenizer::encodeCompletion tokenizes the completion "a_1\n...\na_K" of a finished
// trajectory, so the unnormalised action log-probs of a finished trajectory sum to its completion
// log-prob (scoreCompletions), and a warm-started policy's end-of-answer habit is kept.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model/GptPolicy.h"

namespace tb {

class CharTokenizer;
class Task;
struct Problem;

// ---- forward policy ---------------------------------------------------------------------------

// log P_F(a_k | s_k) of each step of a trajectory, [steps.size()], differentiable. All candidate
// actions of all its states go through one forward pass. `temperature` divides the token logits
// (1 = the model's own distribution), as scoreCompletions does. Throws InputError naming the step
// when a step is not among the legal steps of its state, or when a scored sequence exceeds the
// model's context.
torch::Tensor legalActionLogProbs(GptPolicy& policy, const CharTokenizer& tokenizer, const Task& task,
                                  const Problem& problem, const std::vector<std::string>& steps,
                                  double temperature);

// The same for several trajectories (of one or several problems) in one forward pass.
struct StepTrajectory {
  const Problem* problem = nullptr;
  std::vector<std::string> steps;
};
std::vector<torch::Tensor> legalActionLogProbs(GptPolicy& policy, const CharTokenizer& tokenizer,
                                               const Task& task,
                                               const std::vector<StepTrajectory>& trajectories,
                                               double temperature);

// The policy's distribution over the next step at the state reached by `steps`, for sampling.
// Empty when the state has no legal step.
struct LegalActions {
  std::vector<std::string> steps;  // Task::legalSteps, in its order
  torch::Tensor logProbs;          // [n] log P_F over them (sums to 1 in probability)
  torch::Tensor tokenLogProbs;     // [n] unnormalised: summed token log-probs of each action line
};
LegalActions legalActionDistribution(GptPolicy& policy, const CharTokenizer& tokenizer, const Task& task,
                                     const Problem& problem, const std::vector<std::string>& steps,
                                     double temperature);

// Extends `prefix` by sampling legal steps from P_F (no gradient) until the state is terminal or the
// trajectory has maxSteps steps. Local search resamples a kept prefix with it.
std::vector<std::string> sampleLegalTrajectory(GptPolicy& policy, const CharTokenizer& tokenizer,
                                               const Task& task, const Problem& problem,
                                               std::vector<std::string> prefix, int maxSteps,
                                               double temperature, torch::Generator& generator);

// ---- backward policy --------------------------------------------------------------------------

// P_B is uniform over the legal predecessors of a state; which states count as one decides how
// many there are.
enum class BackwardPolicy {
  // A state is its step sequence, as the policy sees it (it conditions on the whole text): every
  // state has one predecessor, the space is a tree and log P_B = 0. FoR's Game of 24 does this;
  // with it TB samples each distinct solution path in proportion to its reward.
  Tree,
  // A state is the world the steps reach, and every step can be undone (BlocksWorld: pick up /
  // put down, unstack / stack), so a world with n legal steps has exactly n predecessor worlds:
  // log P_B(s_k | s_k+1) = -log #legalSteps(s_k+1). FoR's BlocksWorld does this. Like FoR it does
  // not check that each predecessor is reachable from the start in k steps.
  Reversible,
};
// Reversible for "blocksworld"; Tree for every other task (Game of 24 and the text tasks).
BackwardPolicy backwardPolicyFor(const Task& task);
// sum_k log P_B(s_k | s_k+1) over the trajectory.
double logBackward(const Task& task, const Problem& problem, const std::vector<std::string>& steps);
double logBackward(const Task& task, const Problem& problem, const std::vector<std::string>& steps,
                   BackwardPolicy policy);

// ---- losses and rewards -----------------------------------------------------------------------

struct GfnLossResult {
  torch::Tensor loss;                                   // scalar
  std::vector<std::pair<std::string, double>> metrics;  // gfn/log_z, gfn/log_reward, gfn/log_pf
};
// Trajectory balance, mean over N trajectories. logZ: a scalar tensor (the learned log Z); logPf,
// logR, logPb: [N] per-trajectory sums.
GfnLossResult trajectoryBalanceLoss(const torch::Tensor& logZ, const torch::Tensor& logPf,
                                    const torch::Tensor& logR, const torch::Tensor& logPb);
// Log-partition form over one group; gfn/log_z reports the implied estimate -mean delta.
GfnLossResult logPartitionLoss(const torch::Tensor& logPf, const torch::Tensor& logR,
                               const torch::Tensor& logPb);

// log R = (1/T) log max(R, floor): reward tempering R^(1/T) (T < 1 sharpens), and a floor > 0 so a
// zero reward (binary rewards) stays finite. FoR's rewards are >= 0.001 and pass unchanged.
double gfnLogReward(double reward, double temperature, double floor);
// With FoR's likelihood term: (1/T) log max(R + lambda * likelihood, floor).
double gfnLogReward(double reward, double likelihood, double lambda, double temperature, double floor);
// FoR's likelihood term (Game of 24): the reference's per-token likelihood of the trajectory,
// exp(mean token log-prob)^(1/T) = exp(summedLogProb / tokens / T) (FoR uses T = 0.7).
double likelihoodTerm(double summedLogProb, int tokens, double temperature);

// ---- exploration ------------------------------------------------------------------------------

// Per-problem top-k trajectories by log reward (FoR, k = 50). Identical trajectories are stored
// once; adding one again refreshes its log reward (the reward temperature may have changed).
// Ties keep the earlier entry. Serialises to JSON for checkpoints.
class TrajectoryReplayBuffer {
 public:
  struct Entry {
    std::vector<std::string> steps;
    double logReward = 0;
  };

  explicit TrajectoryReplayBuffer(int capacity = 50);
  int capacity() const { return capacity_; }

  // True when the trajectory is in the buffer afterwards (false: below the problem's top k).
  // logReward must be finite.
  bool add(const std::string& problemId, const std::vector<std::string>& steps, double logReward);
  // A uniformly drawn entry of the problem (portable: rng() modulo the count), nullopt if none.
  std::optional<Entry> sample(const std::string& problemId, std::mt19937_64& rng) const;
  // The problem's entries, best first (empty if none).
  const std::vector<Entry>& entries(const std::string& problemId) const;
  size_t size() const;  // entries over all problems

  // {"capacity": k, "problems": {"<id>": [{"steps": [...], "log_reward": x}, ...]}}
  nlohmann::json toJson() const;
  // Throws InputError naming the field at fault and what was expected.
  static TrajectoryReplayBuffer fromJson(const nlohmann::json& json);

 private:
  int capacity_;
  std::map<std::string, std::vector<Entry>> problems_;  // each sorted by descending log reward
};

// Local search (FoR, after Kim et al. 2023, "Local Search GFlowNets"): the prefix of the best
// trajectory to keep, its first floor(K / 2) steps. The caller resamples the rest
// (sampleLegalTrajectory) and accepts the new trajectory if its log R is higher.
std::vector<std::string> localSearchCandidate(const std::vector<std::string>& steps);

}  // namespace tb
