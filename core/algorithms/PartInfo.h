#pragma once
// Registry entries of the parts algorithms are built from (as verl and TRL compose trainers):
// rollout strategy, reward shaping, data filter, advantage estimator, objective, regularizer and
// curriculum. Each part is registered by name with the parameters it reads; a preset
// (AlgorithmInfo) names one part per slot and retunes their defaults. Free of LibTorch so the
// configuration, the CLI's `list` and the GUI form can describe parts; the implementations and
// their factories live in core/algorithms/parts/ (see Parts.h).
#include <functional>
#include <string>
#include <vector>

#include "core/config/ParamSpec.h"
#include "core/config/Registry.h"

namespace tb {

class RunConfig;

enum class PartKind { Rollout, Reward, Filter, Advantage, Objective, Regularizer, Curriculum };

inline const char* partKindName(PartKind kind) {
  switch (kind) {
    case PartKind::Rollout: return "rollout";
    case PartKind::Reward: return "reward";
    case PartKind::Filter: return "filter";
    case PartKind::Advantage: return "advantage";
    case PartKind::Objective: return "objective";
    case PartKind::Regularizer: return "regularizer";
    case PartKind::Curriculum: return "curriculum";
  }
  return "?";
}

struct PartInfo {
  std::string name = {};     // registry key "<kind>/<name>", e.g. "advantage/rloo"
  PartKind kind = PartKind::Advantage;
  std::string title = {};    // "RLOO leave-one-out baseline"
  std::string help = {};     // one or two sentences: what it computes (formula)
  std::vector<ParamSpec> params = {};  // keys start with "algo."
  // Why the part cannot run on a task with these properties, or "" if it can.
  bool needsSteps = false;   // step-level tasks only (TaskInfo::stepLevel)
  bool needsSolver = false;  // needs demonstrations (TaskInfo::hasSolver)
  std::string alphabet = {};  // characters the part makes the policy write besides the task's (control tokens)
  // Checks between the part's parameters (e.g. alpha < beta); throws InputError naming the keys.
  std::function<void(const RunConfig&)> validate = nullptr;
};

using PartRegistry = Registry<PartInfo>;

inline std::string partKey(PartKind kind, const std::string& name) {
  return std::string(partKindName(kind)) + "/" + name;
}

}  // namespace tb
