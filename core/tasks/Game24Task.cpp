// The Game of 24 task: a seeded, portable train/test split of the bundled puzzles or of generated
// ones (other targets and number ranges), exact verification from the problem's data, solver
// demonstrations, the step-level interface, plus its registration under "game24".
#include "core/tasks/Game24Task.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/Error.h"
#include "core/config/RunConfig.h"

namespace tb {

namespace {

constexpr int kMaxNumber = 999;    // bounds of the data form: prompts stay short, arithmetic exact
constexpr int kMaxTarget = 99999;
// Generated puzzles: enumerate every multiset of four numbers when there are at most this many,
// else draw at random.
constexpr long long kEnumerateLimit = 50000;

std::vector<int> numbersOf(const Game24Puzzle& puzzle) {
  return {puzzle.numbers.begin(), puzzle.numbers.end()};
}

// Five levels of about 300 puzzles by human solve rank.
int levelOfRank(int rank) { return std::min(4, (rank - 1) / 300); }

std::string joinedNumbers(const std::vector<int>& numbers, const char* sep = " ") {
  std::string out;
  for (int n : numbers) {
    if (!out.empty()) out += sep;
    out += std::to_string(n);
  }
  return out;
}

// Parses the data form of a game24 problem; "" on success, else what was expected.
std::string parseInstance(const nlohmann::json& data, Game24Task::Instance& out) {
  const std::string expected = "expected four numbers as \"1 1 4 6\", [1, 1, 4, 6] or {\"numbers\": [..], \"target\": t}";
  std::vector<long long> values;
  long long target = 24;
  auto readArray = [&](const nlohmann::json& array) -> std::string {
    for (const auto& v : array) {
      if (!v.is_number_integer()) return "expected integers, got " + v.dump();
      values.push_back(v.get<long long>());
    }
    return "";
  };
  if (data.is_string()) {
    std::istringstream in(data.get<std::string>());
    for (std::string item; in >> item;) {
      long long v = 0;
      size_t used = 0;
      try {
        v = std::stoll(item, &used);
      } catch (const std::logic_error&) {
        used = 0;
      }
      if (used != item.size() || item.empty()) return "'" + item + "' is not an integer";
      values.push_back(v);
    }
  } else if (data.is_array()) {
    if (auto error = readArray(data); !error.empty()) return error;
  } else if (data.is_object()) {
    for (const auto& [key, value] : data.items())
      if (key != "numbers" && key != "target") return "unexpected key '" + key + "'; " + expected;
    if (!data.contains("numbers") || !data["numbers"].is_array()) return "missing \"numbers\" array; " + expected;
    if (auto error = readArray(data["numbers"]); !error.empty()) return error;
    if (data.contains("target")) {
      if (!data["target"].is_number_integer()) return "\"target\" must be an integer";
      target = data["target"].get<long long>();
    }
  } else {
    return expected;
  }
  if (values.size() != 4 || std::any_of(values.begin(), values.end(), [](long long v) { return v < 0 || v > kMaxNumber; }))
    return "expected four integers from 0 to " + std::to_string(kMaxNumber);
  if (target < 0 || target > kMaxTarget) return "target must be from 0 to " + std::to_string(kMaxTarget);
  out.numbers.assign(values.begin(), values.end());
  std::sort(out.numbers.begin(), out.numbers.end());
  out.target = static_cast<int>(target);
  return "";
}

// The data form: the CSV's "a b c d" for 24, else {"numbers": [...], "target": t}.
nlohmann::json dataOf(const Game24Task::Instance& instance) {
  if (instance.target == 24) return joinedNumbers(instance.numbers);
  return nlohmann::json{{"numbers", instance.numbers}, {"target", instance.target}};
}

std::string promptOf(const Game24Task::Instance& instance) {
  if (instance.target == 24)
    return game24Prompt({instance.numbers[0], instance.numbers[1], instance.numbers[2], instance.numbers[3]});
  return arithmeticPrompt(instance.numbers, instance.target);
}

// Ids of puzzles outside 24.csv name their numbers and target, so they are stable across runs.
std::string generatedId(const Game24Task::Instance& instance) {
  return "game24/t" + std::to_string(instance.target) + "/" + joinedNumbers(instance.numbers, "-");
}

}  // namespace

std::string bundledGame24Csv() { return datasetDirectory() + "/game24/24.csv"; }

int game24LevelOfSolutionCount(int distinct) {
  // Buckets of about 270 bundled puzzles each: their distinct-solution counts fall with human rank.
  if (distinct >= 13) return 0;
  if (distinct >= 7) return 1;
  if (distinct >= 4) return 2;
  if (distinct >= 2) return 3;
  return 4;
}

Game24Task::Game24Task(const std::string& dataFile, int testSize, long long splitSeed, int maxRank,
                       bool answerLine)
    : Game24Task(Game24Options{.dataFile = dataFile,
                               .testSize = testSize,
                               .splitSeed = splitSeed,
                               .maxRank = maxRank,
                               .answerLine = answerLine}) {}

Game24Task::Game24Task(const Game24Options& options) : answerLine_(options.answerLine), target_(options.target) {
  if (options.testSize < 1) failInput("task.test_size = ", options.testSize, " must be at least 1");
  if (options.splitSeed < 0) failInput("task.split_seed = ", options.splitSeed, " must be >= 0");
  if (options.reward != "binary" && options.reward != "for")
    failInput("task.reward = '", options.reward, "': expected binary or for");
  forReward_ = options.reward == "for";
  if (options.source == "bundled") {
    loadBundled(options);
  } else if (options.source == "generated") {
    generate(options);
  } else {
    failInput("task.source = '", options.source, "': expected bundled or generated");
  }
  // Within a split, list easier puzzles first; membership is what the shuffle decided.
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::stable_sort(test_.begin(), test_.end(), byDifficulty);
  std::stable_sort(train_.begin(), train_.end(), byDifficulty);
  for (Split split : {Split::Train, Split::Test})
    for (size_t i = 0; i < problems(split).size(); ++i) index_.emplace(problems(split)[i].id, std::make_pair(split, i));
}

void Game24Task::addProblem(Problem problem, const Game24Puzzle& puzzle, std::vector<std::string> solutions,
                            bool test) {
  puzzles_.emplace(problem.id, puzzle);
  solutions_.emplace(problem.id, std::move(solutions));
  (test ? test_ : train_).push_back(std::move(problem));
}

void Game24Task::loadBundled(const Game24Options& options) {
  if (options.maxRank < 1) failInput("task.max_rank = ", options.maxRank, " must be at least 1");
  if (options.target != 24)
    failInput("task.target = ", options.target, " needs task.source = generated (the bundled puzzles are for 24)");
  std::vector<Game24Puzzle> puzzles =
      loadGame24Csv(options.dataFile.empty() ? bundledGame24Csv() : options.dataFile);
  for (const auto& p : puzzles) csvPuzzles_.emplace(joinedNumbers(numbersOf(p)), p);
  std::erase_if(puzzles, [&](const Game24Puzzle& p) { return p.rank > options.maxRank; });
  // Shuffle from rank order, not file order, so the split depends only on the puzzle set.
  std::sort(puzzles.begin(), puzzles.end(),
            [](const Game24Puzzle& a, const Game24Puzzle& b) { return a.rank < b.rank; });
  if (static_cast<size_t>(options.testSize) >= puzzles.size())
    failInput("task.test_size = ", options.testSize, " must be smaller than the number of puzzles (",
              puzzles.size(), " with task.max_rank = ", options.maxRank, ")");

  std::mt19937_64 rng(static_cast<std::uint64_t>(options.splitSeed));
  portableShuffle(puzzles, rng);
  for (size_t i = 0; i < puzzles.size(); ++i) {
    const Game24Puzzle& p = puzzles[i];
    auto solutions = solveGame24(numbersOf(p));
    Problem problem = makeProblem({numbersOf(p), 24}, solutions, p.rank);
    addProblem(std::move(problem), p, std::move(solutions), i < static_cast<size_t>(options.testSize));
  }
}

void Game24Task::generate(const Game24Options& o) {
  if (o.minNumber < 0 || o.maxNumber > kMaxNumber || o.minNumber > o.maxNumber)
    failInput("task.min_number = ", o.minNumber, " and task.max_number = ", o.maxNumber,
              " must satisfy 0 <= min <= max <= ", kMaxNumber);
  if (o.target < 0 || o.target > kMaxTarget) failInput("task.target = ", o.target, " must be from 0 to ", kMaxTarget);
  if (o.generated < 2) failInput("task.generated = ", o.generated, " must be at least 2");
  if (o.testSize >= o.generated)
    failInput("task.test_size = ", o.testSize, " must be smaller than task.generated = ", o.generated);

  std::mt19937_64 rng(static_cast<std::uint64_t>(o.splitSeed));
  const long long range = static_cast<long long>(o.maxNumber) - o.minNumber + 1;
  const long long multisets = range * (range + 1) * (range + 2) * (range + 3) / 24;
  std::vector<std::vector<int>> chosen;
  if (multisets <= kEnumerateLimit) {
    // Small ranges: every solvable multiset, shuffled, so a request beyond them is caught exactly.
    std::vector<std::vector<int>> solvable;
    for (int a = o.minNumber; a <= o.maxNumber; ++a)
      for (int b = a; b <= o.maxNumber; ++b)
        for (int c = b; c <= o.maxNumber; ++c)
          for (int d = c; d <= o.maxNumber; ++d)
            if (isSolvable({a, b, c, d}, o.target)) solvable.push_back({a, b, c, d});
    if (solvable.size() < static_cast<size_t>(o.generated))
      failInput("task.generated = ", o.generated, " but only ", solvable.size(), " puzzles with numbers ",
                o.minNumber, "..", o.maxNumber, " reach ", o.target, "; lower task.generated or widen the range");
    portableShuffle(solvable, rng);
    chosen.assign(solvable.begin(), solvable.begin() + o.generated);
  } else {
    std::set<std::vector<int>> seen;
    const long long attempts = 200LL * o.generated + 10000;
    for (long long t = 0; t < attempts && chosen.size() < static_cast<size_t>(o.generated); ++t) {
      std::vector<int> numbers(4);
      for (int& n : numbers) n = o.minNumber + static_cast<int>(rng() % static_cast<std::uint64_t>(range));
      std::sort(numbers.begin(), numbers.end());
      if (!seen.insert(numbers).second) continue;
      if (isSolvable(numbers, o.target)) chosen.push_back(std::move(numbers));
    }
    if (chosen.size() < static_cast<size_t>(o.generated))
      failInput("task.generated = ", o.generated, ": found only ", chosen.size(), " puzzles with numbers ",
                o.minNumber, "..", o.maxNumber, " that reach ", o.target, " in ", attempts,
                " draws; lower task.generated or change the range");
  }
  for (size_t i = 0; i < chosen.size(); ++i) {
    const Instance instance{chosen[i], o.target};
    auto solutions = solveArithmetic(instance.numbers, instance.target);
    Problem problem = makeProblem(instance, solutions, 0);
    Game24Puzzle puzzle;
    std::copy(instance.numbers.begin(), instance.numbers.end(), puzzle.numbers.begin());
    addProblem(std::move(problem), puzzle, std::move(solutions), i < static_cast<size_t>(o.testSize));
  }
}

// A puzzle of 24.csv (rank > 0): id, difficulty and level from its rank. Any other: id from its
// numbers and target, difficulty and level from its number of distinct solutions.
Problem Game24Task::makeProblem(const Instance& instance, const std::vector<std::string>& solutions, int rank) const {
  Problem problem;
  problem.prompt = promptOf(instance);
  problem.data = dataOf(instance);
  if (!solutions.empty()) problem.reference = solutions.front().substr(solutions.front().rfind('\n') + 1);
  if (rank > 0) {
    problem.id = "game24/" + std::to_string(rank);
    problem.difficulty = rank;
    problem.level = levelOfRank(rank);
    return problem;
  }
  problem.id = generatedId(instance);
  const int distinct = distinctCorrectSolutions(instance.numbers, solutions, instance.target);
  // Larger is harder: 100 / distinct solutions (1000 when there is none).
  problem.difficulty = distinct > 0 ? 100.0 / distinct : 1000.0;
  problem.level = game24LevelOfSolutionCount(distinct);
  return problem;
}

const std::vector<Problem>& Game24Task::problems(Split split) const {
  return split == Split::Test ? test_ : train_;
}

const Game24Puzzle& Game24Task::puzzle(const Problem& problem) const {
  auto it = puzzles_.find(problem.id);
  TB_CHECK(it != puzzles_.end(), "problem '", problem.id, "' is not a Game of 24 problem of this task");
  return it->second;
}

Game24Task::Instance Game24Task::instanceOf(const Problem& problem) {
  Instance instance;
  const std::string error = parseInstance(problem.data, instance);
  TB_CHECK(error.empty(), "problem '", problem.id, "' has no Game of 24 data (", error, ")");
  return instance;
}

Problem Game24Task::problemFromData(const nlohmann::json& data) const {
  Instance instance;
  if (std::string error = parseInstance(data, instance); !error.empty())
    failInput("game24 problem ", data.dump(), ": ", error);
  // A puzzle of this task comes back as itself (its id, rank and level).
  const std::string key = joinedNumbers(instance.numbers);
  std::string id = generatedId(instance);
  if (instance.target == 24)
    if (auto it = csvPuzzles_.find(key); it != csvPuzzles_.end()) id = "game24/" + std::to_string(it->second.rank);
  if (auto it = index_.find(id); it != index_.end()) return problems(it->second.first)[it->second.second];
  // Not a problem of this task; a puzzle of 24.csv left out by task.max_rank keeps its rank.
  int rank = 0;
  if (instance.target == 24)
    if (auto it = csvPuzzles_.find(key); it != csvPuzzles_.end()) rank = it->second.rank;
  return makeProblem(instance, solveArithmetic(instance.numbers, instance.target), rank);
}

Verdict Game24Task::verify(const Problem& problem, const std::string& completion) const {
  const Instance instance = instanceOf(problem);
  const ArithmeticCheck check = checkArithmeticSteps(instance.numbers, completion, instance.target);
  // FoR (Yu et al. 2024) rewards a Game of 24 trajectory 100 if it reaches 24, else 0.001.
  const double reward = forReward_ ? (check.correct ? 100.0 : 0.001) : (check.correct ? 1.0 : 0.0);
  return Verdict{reward, check.correct, check.reason};
}

std::optional<std::string> Game24Task::demonstration(const Problem& problem, std::mt19937_64& rng) const {
  std::vector<std::string> solved;
  const std::vector<std::string>* solutions = nullptr;
  if (auto it = solutions_.find(problem.id); it != solutions_.end()) {
    solutions = &it->second;
  } else {
    const Instance instance = instanceOf(problem);  // a problem from problemFromData: solve now
    solved = solveArithmetic(instance.numbers, instance.target);
    solutions = &solved;
  }
  if (solutions->empty()) return std::nullopt;
  const std::string& full = (*solutions)[static_cast<size_t>(rng() % solutions->size())];
  if (answerLine_) return full;
  return withoutAnswerLine(full);  // the steps alone are a complete solution
}

std::string Game24Task::alphabet() const {
  // Digits and separators of prompts and steps, plus the letters of "left" and "Answer"; prompts
  // name another target as "a b c d -> t". The alphabet for 24 stays as it was, so older
  // checkpoints keep their vocabulary.
  return std::string("0123456789+-*/=() :\nleftAnswr") + (target_ != 24 ? ">" : "");
}

std::vector<std::string> Game24Task::legalSteps(const Problem& problem, const std::vector<std::string>& steps) const {
  const Instance instance = instanceOf(problem);
  const ArithmeticState state = replayArithmeticSteps(instance.numbers, steps);
  if (!state.valid || state.answered || state.left.size() < 2) return {};
  return legalArithmeticSteps(state.left);
}

bool Game24Task::isTerminal(const Problem& problem, const std::vector<std::string>& steps) const {
  const ArithmeticState state = replayArithmeticSteps(instanceOf(problem).numbers, steps);
  return !state.valid || state.answered || state.left.size() < 2;
}

std::string Game24Task::describeState(const Problem& problem, const std::vector<std::string>& steps) const {
  return describeArithmeticState(replayArithmeticSteps(instanceOf(problem).numbers, steps));
}

TB_REGISTER_TASK(game24Registration, TaskInfo{
    .name = "game24",
    .title = "Game of 24",
    .description =
        "Combine four numbers from 1 to 13 with + - * / into 24, using each exactly once, one "
        "step per line (\"13-9=4 (left: 4 4 10)\") and an optional final \"Answer:\" expression. "
        "The 1362 puzzles of the Tree of Thoughts benchmark, ranked by human solve time, or "
        "generated puzzles for another target and number range; every step is verified exactly "
        "and a built-in solver writes demonstrations.",
    .stepLevel = true,
    .hasSolver = true,
    .levels = {"rank 1-300 (generated: 13+ solutions)", "rank 301-600 (generated: 7-12 solutions)",
               "rank 601-900 (generated: 4-6 solutions)", "rank 901-1200 (generated: 2-3 solutions)",
               "rank 1201-1362 (generated: 1 solution)"},
    .source = "Tree of Thoughts 24.csv via Yu-Fangxu/FoR (MIT)",
    .params =
        {ParamSpec::integer("task.test_size", 100, 1.0, 1000.0, "Puzzles held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt,
                            "Seed of the fixed train/test split (and of generated puzzles)"),
         ParamSpec::integer("task.max_rank", 1362, 1.0, 1362.0,
                            "Use only puzzles with rank <= this (easier first)"),
         ParamSpec::file("task.data_file", "", "CSV files (*.csv)", "Path to a 24.csv; empty = the bundled dataset"),
         ParamSpec::boolean("task.answer_line", false,
                            "Demonstrations end with an 'Answer: <expression>=24' line (else steps only)"),
         ParamSpec::choice("task.source", "bundled", {"bundled", "generated"},
                           "Puzzles from 24.csv, or generated for task.target and the number range"),
         ParamSpec::integer("task.target", 24, 0.0, double(kMaxTarget), "Target of generated puzzles"),
         ParamSpec::integer("task.min_number", 1, 0.0, double(kMaxNumber), "Smallest number of generated puzzles"),
         ParamSpec::integer("task.max_number", 13, 0.0, double(kMaxNumber), "Largest number of generated puzzles"),
         ParamSpec::integer("task.generated", 1000, 2.0, 100000.0,
                            "Generated puzzles in all (train + test), each with a solution"),
         ParamSpec::choice("task.reward", "binary", {"binary", "for"},
                           "binary: 1 if correct else 0; for: 100 if correct else 0.001 (Flow of Reasoning)")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      Game24Options options;
      options.source = config.getString("task.source");
      options.dataFile = config.getString("task.data_file");
      options.testSize = static_cast<int>(config.getInt("task.test_size"));
      options.splitSeed = config.getInt("task.split_seed");
      options.maxRank = static_cast<int>(config.getInt("task.max_rank"));
      options.answerLine = config.getBool("task.answer_line");
      options.target = static_cast<int>(config.getInt("task.target"));
      options.minNumber = static_cast<int>(config.getInt("task.min_number"));
      options.maxNumber = static_cast<int>(config.getInt("task.max_number"));
      options.generated = static_cast<int>(config.getInt("task.generated"));
      options.reward = config.getString("task.reward");
      return std::make_unique<Game24Task>(options);
    }});

}  // namespace tb
