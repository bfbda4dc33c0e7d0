#pragma once
// One tree search on one problem outside training (`thoughtbench-cli search`, the GUI's tree
// view): the policy comes from a run of the workspace (its latest checkpoint, or its warm start
// when it has none), from a model file, or is untrained; search.* parameters start from the run's
// own (for search-based runs) or their defaults, then the overrides apply. With search.value =
// value_model the run must be a rest_mcts run, whose checkpoint holds the value model.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/search/ReasoningTree.h"

namespace tb {

class RunStore;

struct SearchRequest {
  std::string task;                     // required without a run; must match the run's task
  std::string problemId;                // a problem of the task (train or test split)
  RunStore* store = nullptr;            // with run: the workspace holding it
  std::optional<std::int64_t> run;
  std::string modelFile;                // a policy saved by a run (reference.pt, checkpoint-N.pt)
  std::vector<std::string> overrides;   // "search.simulations=64", "task.xyz=..."
  std::uint64_t seed = 0;
  // > 0: no search; the policy samples this many whole completions of the problem (at
  // rollout.temperature, up to rollout.max_new_tokens), merged into a prefix tree over steps, as
  // a sampling algorithm's group is stored: two policies' diversity on one problem, side by side.
  int sampleGroup = 0;
};

struct SearchOutcome {
  ReasoningTree tree;
  std::string policy;                   // where the policy came from, in words
  double seconds = 0;
  std::int64_t tokens = 0;              // tokens the policy generated
  bool answerCorrect = false;           // the chosen path's verdict
  std::string answer;                   // the chosen path's text
};

// Throws InputError naming the problem, run, file or parameter at fault.
SearchOutcome searchProblem(const SearchRequest& request);

}  // namespace tb
