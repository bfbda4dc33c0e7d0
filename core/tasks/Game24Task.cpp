// The Game of 24 task: a seeded, portable train/test split of the bundled puzzles, exact
// verification and solver demonstrations, plus its registration under "game24".
#include "core/tasks/Game24Task.h"

#include <algorithm>
#include <sstream>

#include "core/Error.h"
#include "core/config/RunConfig.h"

namespace tb {

namespace {

std::vector<int> numbersOf(const Game24Puzzle& puzzle) {
  return {puzzle.numbers.begin(), puzzle.numbers.end()};
}

// Fisher-Yates with rng() % n: std::shuffle and the distributions differ between standard
// libraries, and a split must be the same wherever a run is repeated.
template <typename T>
void portableShuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (size_t i = items.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(items[i - 1], items[j]);
  }
}

// Five levels of about 300 puzzles by human solve rank.
int levelOfRank(int rank) { return std::min(4, (rank - 1) / 300); }

std::string joinedNumbers(const std::array<int, 4>& numbers) {
  std::string out;
  for (int n : numbers) out += (out.empty() ? "" : " ") + std::to_string(n);
  return out;
}

}  // namespace

std::string bundledGame24Csv() { return datasetDirectory() + "/game24/24.csv"; }

Game24Task::Game24Task(const std::string& dataFile, int testSize, long long splitSeed, int maxRank,
                       bool answerLine)
    : answerLine_(answerLine) {
  if (testSize < 1) failInput("task.test_size = ", testSize, " must be at least 1");
  if (splitSeed < 0) failInput("task.split_seed = ", splitSeed, " must be >= 0");
  if (maxRank < 1) failInput("task.max_rank = ", maxRank, " must be at least 1");

  std::vector<Game24Puzzle> puzzles = loadGame24Csv(dataFile.empty() ? bundledGame24Csv() : dataFile);
  std::erase_if(puzzles, [&](const Game24Puzzle& p) { return p.rank > maxRank; });
  // Shuffle from rank order, not file order, so the split depends only on the puzzle set.
  std::sort(puzzles.begin(), puzzles.end(),
            [](const Game24Puzzle& a, const Game24Puzzle& b) { return a.rank < b.rank; });
  if (static_cast<size_t>(testSize) >= puzzles.size())
    failInput("task.test_size = ", testSize, " must be smaller than the number of puzzles (",
              puzzles.size(), " with task.max_rank = ", maxRank, ")");

  std::mt19937_64 rng(static_cast<std::uint64_t>(splitSeed));
  portableShuffle(puzzles, rng);

  for (size_t i = 0; i < puzzles.size(); ++i) {
    const Game24Puzzle& p = puzzles[i];
    Problem problem;
    problem.id = "game24/" + std::to_string(p.rank);
    problem.prompt = game24Prompt(p.numbers);
    auto solutions = solveGame24(numbersOf(p));
    if (!solutions.empty()) problem.reference = solutions.front().substr(solutions.front().rfind('\n') + 1);
    solutions_.emplace(problem.id, std::move(solutions));
    problem.difficulty = p.rank;
    problem.level = levelOfRank(p.rank);
    problem.data = joinedNumbers(p.numbers);
    puzzles_.emplace(problem.id, p);
    (i < static_cast<size_t>(testSize) ? test_ : train_).push_back(std::move(problem));
  }
  // Within a split, list easier puzzles first; membership is what the shuffle decided.
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::sort(test_.begin(), test_.end(), byDifficulty);
  std::sort(train_.begin(), train_.end(), byDifficulty);
}

const std::vector<Problem>& Game24Task::problems(Split split) const {
  return split == Split::Test ? test_ : train_;
}

const Game24Puzzle& Game24Task::puzzle(const Problem& problem) const {
  auto it = puzzles_.find(problem.id);
  TB_CHECK(it != puzzles_.end(), "problem '", problem.id, "' is not a Game of 24 problem of this task");
  return it->second;
}

Problem Game24Task::problemFromData(const nlohmann::json& data) const {
  std::vector<long long> values;
  if (data.is_string()) {
    std::istringstream in(data.get<std::string>());
    std::string item;
    while (in >> item) {
      try {
        size_t used = 0;
        values.push_back(std::stoll(item, &used));
        if (used != item.size()) values.clear(), values.resize(5);  // force the error below
      } catch (const std::logic_error&) {
        failInput("game24 problem ", data.dump(), ": '", item, "' is not an integer");
      }
    }
  } else if (data.is_array()) {
    for (const auto& v : data) {
      if (!v.is_number_integer()) failInput("game24 problem ", data.dump(), ": expected integers");
      values.push_back(v.get<long long>());
    }
  } else {
    failInput("game24 problem ", data.dump(), ": expected four numbers as \"1 1 4 6\" or [1, 1, 4, 6]");
  }
  if (values.size() != 4 || std::any_of(values.begin(), values.end(), [](long long v) { return v < 1 || v > 13; }))
    failInput("game24 problem ", data.dump(), ": expected four integers from 1 to 13");
  std::array<int, 4> numbers{};
  for (int i = 0; i < 4; ++i) numbers[i] = static_cast<int>(values[i]);
  std::sort(numbers.begin(), numbers.end());
  const std::string key = joinedNumbers(numbers);
  for (const auto& [id, puzzle] : puzzles_)
    if (puzzle.numbers == numbers)
      for (const auto* split : {&train_, &test_})
        for (const Problem& p : *split)
          if (p.id == id) return p;
  failInput("game24 problem '", key, "' is not among the puzzles of this task (task.max_rank or task.data_file)");
}

Verdict Game24Task::verify(const Problem& problem, const std::string& completion) const {
  const Game24Check check = checkGame24(numbersOf(puzzle(problem)), completion);
  return Verdict{check.correct ? 1.0 : 0.0, check.correct, check.reason};
}

std::optional<std::string> Game24Task::demonstration(const Problem& problem, std::mt19937_64& rng) const {
  auto it = solutions_.find(problem.id);
  TB_CHECK(it != solutions_.end(), "problem '", problem.id, "' is not a Game of 24 problem of this task");
  const auto& solutions = it->second;
  if (solutions.empty()) return std::nullopt;
  const std::string& full = solutions[static_cast<size_t>(rng() % solutions.size())];
  if (answerLine_) return full;
  return full.substr(0, full.rfind("\nAnswer:"));  // the steps alone are a complete solution
}

std::string Game24Task::alphabet() const {
  // Digits and separators of prompts and steps, plus the letters of "left" and "Answer".
  return "0123456789+-*/=() :\nleftAnswr";
}

TB_REGISTER_TASK(game24Registration, TaskInfo{
    .name = "game24",
    .title = "Game of 24",
    .description =
        "Combine four numbers from 1 to 13 with + - * / into 24, using each exactly once, one "
        "step per line (\"13-9=4 (left: 4 4 10)\") and an optional final \"Answer:\" expression. "
        "The 1362 puzzles of the Tree of Thoughts benchmark, ranked by human solve time; every "
        "step is verified exactly and a built-in solver writes demonstrations.",
    .stepLevel = true,
    .hasSolver = true,
    .levels = {"rank 1-300", "rank 301-600", "rank 601-900", "rank 901-1200", "rank 1201-1362"},
    .source = "Tree of Thoughts 24.csv via Yu-Fangxu/FoR (MIT)",
    .params =
        {ParamSpec::integer("task.test_size", 100, 1.0, 1000.0, "Puzzles held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt,
                            "Seed of the fixed train/test split"),
         ParamSpec::integer("task.max_rank", 1362, 1.0, 1362.0,
                            "Use only puzzles with rank <= this (easier first)"),
         ParamSpec::text("task.data_file", "", "Path to a 24.csv; empty = the bundled dataset"),
         ParamSpec::boolean("task.answer_line", false,
                            "Demonstrations end with an 'Answer: <expression>=24' line (else steps only)")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      return std::make_unique<Game24Task>(config.getString("task.data_file"),
                                          static_cast<int>(config.getInt("task.test_size")),
                                          config.getInt("task.split_seed"),
                                          static_cast<int>(config.getInt("task.max_rank")),
                                          config.getBool("task.answer_line"));
    }});

}  // namespace tb
