#pragma once
// A Task is a source of problems plus an exact verifier: it loads or generates problems by split,
// renders prompts, scores completions, and (where it has a solver) writes demonstrations for a
// warm start. Tasks register themselves in Registry<TaskInfo> by name.
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

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
};

struct TaskInfo {
  std::string name;
  std::string title;        // "Game of 24"
  std::string description;  // one paragraph
  bool stepLevel = false;   // completions are sequences of checkable steps
  bool hasSolver = false;   // can write demonstrations
  std::vector<ParamSpec> params;  // keys start with "task."
  std::function<std::unique_ptr<Task>(const RunConfig&)> create;
};

using TaskRegistry = Registry<TaskInfo>;

// Directory with the bundled datasets: $THOUGHTBENCH_DATA_DIR if set, else next to the
// executable (../share/thoughtbench/datasets when installed), else the source tree's resources/.
std::string datasetDirectory();

}  // namespace tb

#define TB_REGISTER_TASK(var, ...) static ::tb::Registration<::tb::TaskInfo> var{__VA_ARGS__}
