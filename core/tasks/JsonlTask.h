#pragma once
// A user's own dataset as a Task (registered as "jsonl"), so a dataset needs no C++: a JSONL file
// (task.data_file) of records {"prompt": "...", "answer": "..."} with an optional "id" (string or
// number), "level" (0..9) and "demonstration" (a completion to imitate; else the answer is the
// demonstration). The verifier (task.verifier) is one of:
//   exact    the completion's last line, trimmed, equals the trimmed answer (the whole trimmed
//            completion when the answer has several lines);
//   numeric  the completion's final number ("#### n", "The answer is n", "Answer: n", else the
//            last number) is within task.tolerance of the answer: |x - a| <= tol * max(1, |a|);
//   regex    the answer is an ECMAScript regular expression the completion's last line must
//            match in full;
//   choice   multiple choice: the answer is a letter A-E, the completion's choice is read from
//            "answer is (B)" / "Answer: B", a last line "B" / "(B)" / "B) ...", else the last "(B)".
// Records are split into train and test by a seeded portable shuffle. With an empty
// task.data_file the task uses resources/datasets/jsonl/example.jsonl (10 arithmetic questions).
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "core/tasks/Task.h"

namespace tb {

enum class JsonlVerifier { Exact, Numeric, Regex, Choice };

// Parses "exact" / "numeric" / "regex" / "choice"; throws InputError naming task.verifier.
JsonlVerifier parseJsonlVerifier(const std::string& name);

class JsonlTask : public Task {
 public:
  // Throws InputError naming the task.* key at fault, or the file, line and what was expected.
  JsonlTask(const std::string& dataFile, const std::string& verifier, double tolerance, int testSize,
            long long splitSeed);

  std::string name() const override { return "jsonl"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  // The record's "demonstration", else its answer (for regex only when the answer matches itself).
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  // Printable ASCII (32..126) and '\n'.
  std::string alphabet() const override;
  // A record as in the file: {"prompt": ..., "answer": ..., "id"?, "level"?, "demonstration"?}.
  Problem problemFromData(const nlohmann::json& data) const override;

 private:
  // Checks a record and makes its problem; `where` names it in errors ("file.jsonl:3").
  Problem makeProblem(const nlohmann::json& record, const std::string& where, const std::string& defaultId) const;

  JsonlVerifier verifier_ = JsonlVerifier::Exact;
  double tolerance_ = 0;
  std::vector<Problem> train_;
  std::vector<Problem> test_;
};

// Path of the bundled example file under datasetDirectory().
std::string bundledJsonlExample();

}  // namespace tb
