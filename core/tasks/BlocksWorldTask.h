#pragma once
// Blocksworld as a Task (registered as "blocksworld"): the PlanBench instances of the bundled
// step_2.json / step_4.json (Valmeekam et al. 2023, as used by Flow of Reasoning, Yu et al. 2024)
// plus optional generated instances, split into fixed train/test sets by a seeded shuffle. A
// completion is a plan, one natural-language action per line ("unstack the blue block from on
// top of the orange block"); the verifier plays it exactly and demonstrations are optimal plans.
// Step-level: a state is the problem plus the actions so far. The constructor takes plain values
// so tests need no RunConfig.
#include <map>
#include <string>
#include <vector>

#include "core/tasks/BlocksWorld.h"
#include "core/tasks/Task.h"

namespace tb {

struct BlocksWorldOptions {
  int testSize = 20;          // problems held out for evaluation
  long long splitSeed = 0;    // seeds the split and the generator
  int generated = 0;          // generated instances added to the bundled ones
  int blocks = 4;             // blocks of a generated instance
  int minSteps = 2;           // optimal plan length range of generated instances
  int maxSteps = 6;
  std::string reward = "binary";        // "binary" (1/0) or "for" (100 / 10 * goal fraction)
  std::string promptStyle = "compact";  // "compact" or "planbench"
  bool bundled = true;        // include the bundled PlanBench instances
  std::string dataDir;        // folder with domain.pddl, step_*.json, instances/; empty = bundled
};

class BlocksWorldTask : public Task {
 public:
  // Throws InputError naming the task.* key at fault, or the data file, line and what was expected.
  explicit BlocksWorldTask(BlocksWorldOptions options);

  std::string name() const override { return "blocksworld"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  std::string alphabet() const override;
  // {"pddl": "<problem PDDL>"} or the PDDL text itself.
  Problem problemFromData(const nlohmann::json& data) const override;

  std::vector<std::string> legalSteps(const Problem& problem, const std::vector<std::string>& steps) const override;
  bool isTerminal(const Problem& problem, const std::vector<std::string>& steps) const override;
  std::string describeState(const Problem& problem, const std::vector<std::string>& steps) const override;
  std::string finalAnswer(const Problem& problem, const std::string& completion) const override;

  // The instance behind a problem: this task's own, or parsed from problem.data (InputError if
  // that is not a valid problem).
  BwProblem instance(const Problem& problem) const;
  // Plays the steps of a state (for drawings of the stacks and for step-level search).
  BwPlanCheck replay(const Problem& problem, const std::vector<std::string>& steps) const;
  // The prompt of an instance in this task's style.
  std::string prompt(const BwProblem& instance) const;

 private:
  struct Entry {
    BwProblem instance;
    BwPlanSet plans;
  };
  Problem makeProblem(const std::string& id, const BwProblem& instance, const BwPlanSet& plans,
                      const std::vector<BwAction>* reference) const;

  BlocksWorldOptions options_;
  std::vector<Problem> train_;
  std::vector<Problem> test_;
  std::map<std::string, Entry> entries_;  // by Problem::id
};

// Folder of the bundled PlanBench data under datasetDirectory().
std::string bundledBlocksWorldDir();
// Difficulty level of an optimal plan length: 1-2 steps -> 0, 3-4 -> 1, 5-6 -> 2, 7-8 -> 3, 9+ -> 4.
int blocksWorldLevel(int planLength);

}  // namespace tb
