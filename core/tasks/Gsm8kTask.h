#pragma once
// GSM8K as a Task (registered as "gsm8k"; Cobbe et al. 2021): the 1319 bundled test problems,
// split into fixed train/test sets by a seeded portable shuffle, verified by the final number
// (exact rational comparison, 1e-9 relative beyond 64-bit rationals) and, with
// task.check_annotations, by every calculator annotation "<<a*b=c>>" of the completion. The
// reference solution is the demonstration. Levels count the reference's annotation steps.
// Completions are not step-level (free text ending "#### n").
#include <string>
#include <vector>

#include "core/tasks/Gsm8k.h"
#include "core/tasks/Task.h"

namespace tb {

class Gsm8kTask : public Task {
 public:
  // dataFile: a GSM8K JSONL file, empty for the bundled test set. Throws InputError naming the
  // task.* key at fault or the file and line.
  Gsm8kTask(const std::string& dataFile, int testSize, long long splitSeed, bool checkAnnotations);

  std::string name() const override { return "gsm8k"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  // The reference solution (typographic characters mapped to ASCII); nullopt for a problem given
  // with a bare number as its answer.
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  // Printable ASCII (32..126) and '\n'.
  std::string alphabet() const override;
  // Accepts {"question": ..., "answer": "<solution> #### n"} or {"question": ..., "answer": n}.
  Problem problemFromData(const nlohmann::json& data) const override;

 private:
  static Problem makeProblem(const std::string& id, const Gsm8kExample& example, const nlohmann::json& data);

  std::vector<Problem> train_;
  std::vector<Problem> test_;
  bool checkAnnotations_ = true;
};

// Path of the bundled GSM8K test.jsonl under datasetDirectory().
std::string bundledGsm8kJsonl();

}  // namespace tb
