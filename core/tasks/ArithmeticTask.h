#pragma once
// Multi-step integer arithmetic word problems (registered as "arithmetic"): GSM8K-style questions
// (Cobbe et al. 2021) cut down to templates, for training tiny character-level policies on the
// CPU in seconds. A question chains `task.steps` operations on one quantity:
//   "Ann has 12 pens. She gets 5 more. She loses 3. She doubles them. How many now?\n"
// and a completion writes the computation one operation per line, then GSM8K's answer line:
//   12+5=17
//   17-3=14
//   14*2=28
//   #### 28
// Every value stays a whole number in 1..task.max_value. With the defaults (3 operations, values
// up to 100) prompt and completion fit a 160-token context together. The generator's own
// computation is the demonstration; the templates also parse back, so problemFromData re-solves
// any question written in them (the solver).
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/tasks/Task.h"

namespace tb {

struct WordProblem {
  std::string question;            // without the trailing newline
  long long answer = 0;
  std::vector<std::string> steps;  // "12+5=17", one per operation
};

// A question with `operations` operations and values in 1..maxValue. Deterministic per rng state.
WordProblem generateWordProblem(int operations, int maxValue, std::mt19937_64& rng);
// Reads a question written in the templates back into its computation; nullopt with `error` set
// to what did not match (e.g. "sentence 3 'She eats 4.' matches no template").
std::optional<WordProblem> solveWordProblem(const std::string& question, std::string* error = nullptr);
// The completion of a solved problem: its steps, then "#### answer".
std::string wordProblemCompletion(const WordProblem& problem);

struct WordProblemCheck {
  bool correct = false;
  std::string reason;  // "correct", "line 2: 17-3 is 14, not 13", "answer 27, expected 28", ...
};
// Checks a completion: every line before "#### n" must be an equation "expression=value" that
// holds exactly (the intermediate work may not be wrong), and n must equal `expected`. A bare
// "#### n" is judged by n alone, as GSM8K does; text after the answer line is ignored.
WordProblemCheck checkWordProblemAnswer(const std::string& completion, long long expected);

struct ArithmeticOptions {
  int minSteps = 1;   // operations per question are drawn from [minSteps, steps]
  int steps = 3;
  int maxValue = 100;
  int trainSize = 2000;
  int testSize = 100;
  long long splitSeed = 0;
};

class ArithmeticTask : public Task {
 public:
  // Throws InputError naming the task.* key at fault.
  explicit ArithmeticTask(const ArithmeticOptions& options);

  std::string name() const override { return "arithmetic"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  std::string alphabet() const override;
  // {"question": "...", "answer": n}; the answer may be left out, else must match the question.
  Problem problemFromData(const nlohmann::json& data) const override;

 private:
  std::vector<Problem> train_;
  std::vector<Problem> test_;
};

}  // namespace tb
