#pragma once
// Sampled trajectories as a tree: the G completions a sampling algorithm drew for one problem
// (GRPO and its variants, Flow of Reasoning, ...) merged into a prefix tree over steps (lines).
// A node's visits count the trajectories through it (edge counts), its value is their mean reward,
// Q the same; terminal nodes carry the verdict. With log-flows given (FoR), each trajectory's
// per-step log F values are averaged into the nodes they pass. The chosen path follows the most
// visited child (ties: higher mean reward).
#include <optional>
#include <string>
#include <vector>

#include "core/search/ReasoningTree.h"

namespace tb {

struct SampledTrajectory {
  std::string completion;     // steps joined by '\n' (Task's step convention)
  double reward = 0;
  bool correct = false;
  std::string source = "policy";  // policy | reference | replay | ... (kept in node extra "sources")
  std::vector<double> logFlows;   // optional: log F(s_k) for k = 1..steps (FoR), else empty
};

// kind = "samples"; a node's state is the text of its steps so far.
ReasoningTree trajectoryTree(const std::string& prompt, const std::vector<SampledTrajectory>& trajectories);

}  // namespace tb
