#pragma once
// A Task is a source of problems plus an exact verifier: it loads or generates problems by split,
// renders prompts, scores completions, and (where it has a solver) writes demonstrations for a
// warm start. Tasks register themselves in Registry<TaskInfo> by name.
//
// Step-level tasks (TaskInfo::stepLevel) also expose their states for search and GFlowNet
// training: a state is the problem plus the steps taken so far, a step is one line of a
// completion, and a completion is its steps joined by '\n'.
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/ParamSpec.h"
#include "core/config/Registry.h"

namespace tb {

class RunConfig;

enum class Split { Train, Test };
const char* splitName(Split split);

struct Problem {
  std::string id;          // stable across runs, e.g. "game24/417"
  std::string prompt;      // what the policy is conditioned on
  std::string reference;   // one reference answer for display (may be empty)
  double difficulty = 0;   // task-specific scale, larger is harder
  int level = 0;           // difficulty level, 0 = easiest (TaskInfo::levels names them)
  nlohmann::json data;     // the problem in the task's own data form (see Task::problemFromData)
};

struct Verdict {
  double reward = 0;       // scalar reward used by the algorithm
  bool correct = false;    // exact verification result
  std::string reason;      // one line: why the verifier decided so ("step 2: 13-9 is 4, not 5")
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual const std::vector<Problem>& problems(Split split) const = 0;
  virtual Verdict verify(const Problem& problem, const std::string& completion) const = 0;
  // A correct completion written by the task's own solver, or nullopt if it has none. The rng
  // picks among several solutions so demonstrations are not all alike.
  virtual std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const = 0;
  // Characters the policy's tokenizer must cover for prompts and completions of this task.
  virtual std::string alphabet() const = 0;

  // A problem from the task's own data form (game24: "1 1 4 6"; others: their JSON record), as
  // `thoughtbench-cli task check` files give it. Throws InputError saying what was expected.
  virtual Problem problemFromData(const nlohmann::json& data) const = 0;

  // Step-level interface; the defaults describe a task without steps.
  // The legal next steps from the state reached by `steps` (each a completion line).
  virtual std::vector<std::string> legalSteps(const Problem& problem, const std::vector<std::string>& steps) const;
  // Whether the state reached by `steps` ends the episode (solved, or no legal step left).
  virtual bool isTerminal(const Problem& problem, const std::vector<std::string>& steps) const;
  // A readable description of that state (e.g. the remaining numbers, the block stacks).
  virtual std::string describeState(const Problem& problem, const std::vector<std::string>& steps) const;

  // The final answer a completion arrives at, in canonical form, for grouping completions by
  // meaning (semantic entropy, SEED-GRPO, EMPO). Default: the last non-empty line, after its last
  // '=' and before any " (" remark ("24-0=24 (left: 24)" -> "24"), spaces trimmed.
  virtual std::string finalAnswer(const Problem& problem, const std::string& completion) const;
};

// A stable 16-hex-digit id for problems given without one (FNV-1a of the text).
std::string stableHash(const std::string& text);

// Splits a completion into its non-empty step lines (trailing spaces trimmed).
std::vector<std::string> splitSteps(const std::string& completion);

struct TaskInfo {
  std::string name;
  std::string title;        // "Game of 24"
  std::string description;  // one paragraph
  bool stepLevel = false;   // completions are sequences of checkable steps
  bool hasSolver = false;   // can write demonstrations
  std::vector<std::string> levels;  // names of the difficulty levels, easiest first
  std::string source;       // where the bundled data comes from and its licence ("" = generated)
  std::vector<ParamSpec> params;  // keys start with "task."
  std::function<std::unique_ptr<Task>(const RunConfig&)> create;
  // Common parameters this task needs changed (e.g. a longer model.context for long prompts).
  std::vector<std::pair<std::string, nlohmann::json>> defaultOverrides = {};
};

using TaskRegistry = Registry<TaskInfo>;

// Directory with the bundled datasets: $THOUGHTBENCH_DATA_DIR if set, else next to the
// executable (../share/thoughtbench/datasets when installed), else the source tree's resources/.
std::string datasetDirectory();

}  // namespace tb

#define TB_REGISTER_TASK(var, ...) static ::tb::Registration<::tb::TaskInfo> var{__VA_ARGS__}
