#pragma once
// Registry entry of a training algorithm: a preset of parts (PartInfo.h) and parameters. Kept
// free of LibTorch so that configuration, the CLI's `list` and the GUI form do not pull in torch.
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/algorithms/PartInfo.h"
#include "core/config/ParamSpec.h"
#include "core/config/Registry.h"
#include "core/tasks/Task.h"

namespace tb {

class RunConfig;
class Algorithm;  // core/algorithms/Algorithm.h (LibTorch)

// One part per slot (names without the kind prefix); the defaults are GRPO's.
struct PresetParts {
  std::string rollout = "group";
  std::vector<std::string> rewards = {};
  std::vector<std::string> filters = {};
  std::string advantage = "group_norm";
  std::string objective = "clipped_surrogate";
  std::vector<std::string> regularizers = {"kl", "entropy"};
  std::string curriculum = "uniform";

  // (kind, name) of every part, in pipeline order.
  std::vector<std::pair<PartKind, std::string>> all() const {
    std::vector<std::pair<PartKind, std::string>> out{{PartKind::Rollout, rollout}};
    for (const auto& r : rewards) out.emplace_back(PartKind::Reward, r);
    for (const auto& f : filters) out.emplace_back(PartKind::Filter, f);
    out.emplace_back(PartKind::Advantage, advantage);
    out.emplace_back(PartKind::Objective, objective);
    for (const auto& r : regularizers) out.emplace_back(PartKind::Regularizer, r);
    out.emplace_back(PartKind::Curriculum, curriculum);
    return out;
  }
};

// Parts of a preset that trains on what its rollout strategy made (pairs, traces) with its own
// objective: no advantage estimator, no regularizers (DPO, SPIN, P3O, Nash-MD, MCTS-DPO, ReST-MCTS*).
inline PresetParts strategyParts(const std::string& rollout, const std::string& objective) {
  PresetParts p;
  p.rollout = rollout;
  p.advantage = "none";
  p.objective = objective;
  p.regularizers = {};
  return p;
}

struct AlgorithmInfo {
  std::string name = {};         // "grpo"
  std::string title = {};        // "GRPO"
  std::string paper = {};        // "DeepSeekMath: Pushing the Limits of ... (Shao et al., 2024)"
  std::string changes = {};      // what it changes relative to GRPO, one paragraph
  std::vector<ParamSpec> params = {};                   // own keys (start with "algo."), besides its parts'
  std::vector<std::pair<std::string, nlohmann::json>> defaultOverrides = {};  // keys it retunes
  // Custom factory (tests); empty = compose the algorithm from `parts`.
  std::function<std::unique_ptr<Algorithm>(const RunConfig&)> create = nullptr;
  int year = 0;             // publication year of the paper
  // The parts it is built from; none for a test's stand-in with its own factory.
  std::optional<PresetParts> parts = std::nullopt;
};

using AlgorithmRegistry = Registry<AlgorithmInfo>;

// The parameters of a preset: its own plus those of its parts (first declaration of a key wins;
// parts may share keys such as algo.clip_low). Parts are looked up at call time, after static
// registration, so presets and parts may be registered from any translation unit.
inline std::vector<ParamSpec> algorithmParams(const AlgorithmInfo& info) {
  std::vector<ParamSpec> out = info.params;
  std::set<std::string> seen;
  for (const auto& p : out) seen.insert(p.key);
  if (!info.parts) return out;
  for (const auto& [kind, name] : info.parts->all()) {
    const PartInfo& part = PartRegistry::instance().at(partKey(kind, name), "algorithm part");
    for (const auto& p : part.params)
      if (seen.insert(p.key).second) out.push_back(p);
  }
  return out;
}

// Characters the preset's parts add to the task's alphabet (e.g. Thinkless's mode tokens).
inline std::string algorithmAlphabet(const AlgorithmInfo& info) {
  std::string out;
  if (!info.parts) return out;
  for (const auto& [kind, name] : info.parts->all())
    if (const PartInfo* part = PartRegistry::instance().find(partKey(kind, name))) out += part->alphabet;
  return out;
}

// Why `info` cannot train on `task` ("" if it can): a part that needs steps or a solver.
inline std::string incompatibility(const AlgorithmInfo& info, const TaskInfo& task) {
  if (!info.parts) return "";
  for (const auto& [kind, name] : info.parts->all()) {
    const PartInfo* part = PartRegistry::instance().find(partKey(kind, name));
    if (!part) continue;
    if (part->needsSteps && !task.stepLevel)
      return part->title + " (" + part->name + ") needs a step-level task (completions of checkable steps); '" +
             task.name + "' has none";
    if (part->needsSolver && !task.hasSolver)
      return part->title + " (" + part->name + ") needs solver demonstrations; '" + task.name + "' has no solver";
  }
  return "";
}

}  // namespace tb

#define TB_REGISTER_ALGORITHM(var, ...) \
  static ::tb::Registration<::tb::AlgorithmInfo> var{__VA_ARGS__}
