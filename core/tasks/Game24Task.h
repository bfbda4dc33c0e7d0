#pragma once
// The Game of 24 as a Task (registered as "game24"; Yao et al. 2023, Tree of Thoughts; Yu et al.
// 2024, Flow of Reasoning). Two sources of puzzles:
//   bundled   (default) the 1362 puzzles of 24.csv filtered by rank; levels = rank buckets;
//   generated four numbers from [min_number, max_number] with a solution for task.target, drawn
//             deterministically from task.split_seed; levels = number of distinct solutions
//             (canonicalSolution), fewer = harder.
// A seeded shuffle splits them into fixed train/test sets. Verification (checkArithmeticSteps) and
// the step-level interface work from Problem::data alone, so any four numbers can be checked.
// Rewards: "binary" (1/0) or "for" (FoR: 100 if correct, else 0.001). The constructors take plain
// values so tests need no RunConfig.
#include <map>
#include <string>
#include <vector>

#include "core/tasks/Game24.h"
#include "core/tasks/Task.h"

namespace tb {

struct Game24Options {
  std::string source = "bundled";  // "bundled" | "generated"
  std::string dataFile;            // bundled: a 24.csv, empty for the bundled one
  int testSize = 100;              // puzzles held out (after filtering / generating)
  long long splitSeed = 0;
  int maxRank = 1362;              // bundled: keep ranks <= maxRank
  bool answerLine = false;         // demonstrations end with the "Answer:" expression line
  int target = 24;                 // generated puzzles aim at this (bundled: must be 24)
  int minNumber = 1;               // generated: range of the four numbers
  int maxNumber = 13;
  int generated = 1000;            // generated: puzzles in all, train + test
  std::string reward = "binary";   // "binary" | "for"
};

class Game24Task : public Task {
 public:
  // Throws InputError naming the task.* key at fault.
  explicit Game24Task(const Game24Options& options);
  // The bundled puzzles: testSize puzzles (after keeping ranks <= maxRank) go to Test, the rest
  // to Train. dataFile: a 24.csv, empty for the bundled one.
  Game24Task(const std::string& dataFile, int testSize, long long splitSeed, int maxRank,
             bool answerLine = false);

  std::string name() const override { return "game24"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  std::string alphabet() const override;
  // "1 1 4 6" (as in 24.csv) or [1, 1, 4, 6] for target 24, or {"numbers": [..4], "target": t};
  // numbers 0..999, target 0..99999. Known puzzles come back as this task's problem.
  Problem problemFromData(const nlohmann::json& data) const override;

  std::vector<std::string> legalSteps(const Problem& problem, const std::vector<std::string>& steps) const override;
  bool isTerminal(const Problem& problem, const std::vector<std::string>& steps) const override;
  std::string describeState(const Problem& problem, const std::vector<std::string>& steps) const override;

  // The puzzle behind a problem of this task (rank 0 when generated; InternalError for a foreign id).
  const Game24Puzzle& puzzle(const Problem& problem) const;

  struct Instance {
    std::vector<int> numbers;  // ascending
    int target = 24;
  };
  // The numbers and target of a problem, from its data (InternalError when it has none).
  static Instance instanceOf(const Problem& problem);

 private:
  void loadBundled(const Game24Options& options);
  void generate(const Game24Options& options);
  Problem makeProblem(const Instance& instance, const std::vector<std::string>& solutions, int rank) const;
  void addProblem(Problem problem, const Game24Puzzle& puzzle, std::vector<std::string> solutions, bool test);

  std::vector<Problem> train_;
  std::vector<Problem> test_;
  std::map<std::string, Game24Puzzle> puzzles_;  // by Problem::id
  std::map<std::string, std::vector<std::string>> solutions_;  // by Problem::id, solved once
  std::map<std::string, std::pair<Split, size_t>> index_;  // by Problem::id: where it is
  std::map<std::string, Game24Puzzle> csvPuzzles_;  // bundled: every CSV puzzle by "a b c d"
  bool answerLine_ = false;
  bool forReward_ = false;
  int target_ = 24;
};

// Path of the bundled 24.csv under datasetDirectory().
std::string bundledGame24Csv();

// Difficulty level of a puzzle with this many distinct (canonical) solutions: 0 = many.
int game24LevelOfSolutionCount(int distinct);

}  // namespace tb
