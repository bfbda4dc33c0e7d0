#pragma once
// Countdown (registered as "countdown"): reach a target from N numbers with + - * /, as in the
// Countdown tasks of TinyZero (Pan et al. 2025; data Jiayi-Pan/Countdown-Tasks-3to4) and Stream of
// Search (Gandhi et al. 2024). Prompt "3 7 25 50 -> 107\n"; the completion is steps in the Game of
// 24 format, "50+25=75 (left: 3 7 75)", the last one leaving exactly the target.
//
// Rule: every number is used exactly once. TinyZero's reward (validate_equation) compares the
// sorted numbers of the equation with the sorted given numbers, so it too demands exactly once
// despite its prompt's "can only be used once"; this also lets countdown share the step checker,
// solver and step-level interface of game24 (Game24.h).
//
// Instances are generated deterministically from task.split_seed: N numbers drawn from
// [min_number, max_number], then a random walk of integer steps (Countdown's rules: no negative
// or fractional intermediate) whose end in [min_target, max_target] becomes the target, so every
// instance is solvable; the walk is its reference. Levels: N (2..6 numbers).
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/tasks/Task.h"

namespace tb {

struct CountdownOptions {
  int minNumbers = 3;      // N is drawn from [minNumbers, numbers]
  int numbers = 4;
  int minNumber = 1;       // range of the given numbers
  int maxNumber = 100;
  int minTarget = 10;      // range of the targets
  int maxTarget = 1000;
  int trainSize = 2000;
  int testSize = 100;
  long long splitSeed = 0;
  std::string reward = "binary";  // "binary" | "for"
};

struct CountdownInstance {
  std::vector<int> numbers;  // ascending
  int target = 0;
  std::string walk;          // the generator's own solution (steps)
};

// One instance with `count` numbers, or nullopt when no walk landed in the target range within a
// few tries (the caller draws again). Deterministic for a given rng state.
std::optional<CountdownInstance> generateCountdown(int count, const CountdownOptions& options, std::mt19937_64& rng);

class CountdownTask : public Task {
 public:
  // Throws InputError naming the task.* key at fault.
  explicit CountdownTask(const CountdownOptions& options);

  std::string name() const override { return "countdown"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  std::string alphabet() const override;
  // {"numbers": [2..6 integers 0..9999], "target": 0..999999}.
  Problem problemFromData(const nlohmann::json& data) const override;

  std::vector<std::string> legalSteps(const Problem& problem, const std::vector<std::string>& steps) const override;
  bool isTerminal(const Problem& problem, const std::vector<std::string>& steps) const override;
  std::string describeState(const Problem& problem, const std::vector<std::string>& steps) const override;

  // The numbers (ascending) and target of a problem, from its data (InternalError when it has none).
  static std::pair<std::vector<int>, int> instanceOf(const Problem& problem);

 private:
  Problem makeProblem(const std::vector<int>& numbers, int target, const std::string& reference) const;

  std::vector<Problem> train_;
  std::vector<Problem> test_;
  std::map<std::string, std::pair<Split, size_t>> index_;  // by Problem::id
  bool forReward_ = false;
};

}  // namespace tb
