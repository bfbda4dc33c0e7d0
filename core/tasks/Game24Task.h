#pragma once
// The Game of 24 as a Task (registered as "game24"): puzzles from 24.csv filtered by rank, split
// into fixed train/test sets by a seeded shuffle, verified exactly by checkGame24 and demonstrated
// by solveGame24. The constructor takes plain values so tests need no RunConfig.
#include <map>
#include <string>
#include <vector>

#include "core/tasks/Game24.h"
#include "core/tasks/Task.h"

namespace tb {

class Game24Task : public Task {
 public:
  // dataFile: a 24.csv, empty for the bundled one. testSize puzzles (after keeping ranks <=
  // maxRank) go to Test, the rest to Train. Throws InputError naming the task.* key at fault.
  // answerLine: demonstrations end with the "Answer:" expression line (else steps only).
  Game24Task(const std::string& dataFile, int testSize, long long splitSeed, int maxRank,
             bool answerLine = false);

  std::string name() const override { return "game24"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  std::string alphabet() const override;
  // "1 1 4 6" (as in 24.csv) or [1, 1, 4, 6].
  Problem problemFromData(const nlohmann::json& data) const override;

  // The puzzle behind a problem of this task (InternalError for a foreign id).
  const Game24Puzzle& puzzle(const Problem& problem) const;

 private:
  std::vector<Problem> train_;
  std::vector<Problem> test_;
  std::map<std::string, Game24Puzzle> puzzles_;  // by Problem::id
  std::map<std::string, std::vector<std::string>> solutions_;  // by Problem::id, solved once
  bool answerLine_ = false;
};

// Path of the bundled 24.csv under datasetDirectory().
std::string bundledGame24Csv();

}  // namespace tb
