// Countdown: the instance generator (random integer walks), the seeded train/test split, exact
// verification with the shared arithmetic-step checker, solver demonstrations, the step-level
// interface and the registration under "countdown".
#include "core/tasks/CountdownTask.h"

#include <algorithm>
#include <set>

#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Game24.h"

namespace tb {

namespace {

constexpr int kMinCount = 2;               // numbers per instance
constexpr int kMaxCount = 6;               // the exhaustive solver stays fast up to here
constexpr int kMaxNumber = 9999;
constexpr int kMaxTarget = 999999;
constexpr long long kMaxIntermediate = 10000000;  // walks skip products beyond this

std::string joined(const std::vector<int>& numbers, const char* sep) {
  std::string out;
  for (int n : numbers) {
    if (!out.empty()) out += sep;
    out += std::to_string(n);
  }
  return out;
}

std::string idOf(const std::vector<int>& numbers, int target) {
  return "countdown/" + joined(numbers, "-") + "/" + std::to_string(target);
}

// Parses {"numbers": [...], "target": t}; "" on success, else what was expected.
std::string parseInstance(const nlohmann::json& data, std::vector<int>& numbers, int& target) {
  const std::string expected = "expected {\"numbers\": [2 to 6 integers from 0 to " + std::to_string(kMaxNumber) +
                               "], \"target\": integer from 0 to " + std::to_string(kMaxTarget) + "}";
  if (!data.is_object()) return expected;
  for (const auto& [key, value] : data.items())
    if (key != "numbers" && key != "target") return "unexpected key '" + key + "'; " + expected;
  if (!data.contains("numbers") || !data["numbers"].is_array() || !data.contains("target") ||
      !data["target"].is_number_integer())
    return expected;
  const auto& array = data["numbers"];
  if (array.size() < kMinCount || array.size() > kMaxCount) return expected;
  numbers.clear();
  for (const auto& v : array) {
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > kMaxNumber) return expected;
    numbers.push_back(static_cast<int>(v.get<long long>()));
  }
  const long long t = data["target"].get<long long>();
  if (t < 0 || t > kMaxTarget) return expected;
  target = static_cast<int>(t);
  std::sort(numbers.begin(), numbers.end());
  return "";
}

// A solution by the solver: integer steps first (as the generator's), else with fractions.
std::optional<std::string> solve(const std::vector<int>& numbers, int target, std::mt19937_64* rng) {
  for (bool integersOnly : {true, false}) {
    auto found = solveArithmetic(numbers, target, SolveOptions{.limit = 1, .integersOnly = integersOnly, .rng = rng});
    if (!found.empty()) return withoutAnswerLine(found.front());
  }
  return std::nullopt;
}

}  // namespace

std::optional<CountdownInstance> generateCountdown(int count, const CountdownOptions& o, std::mt19937_64& rng) {
  TB_CHECK(count >= 1 && o.minNumber <= o.maxNumber, "bad countdown generator arguments");
  const auto range = static_cast<std::uint64_t>(o.maxNumber - o.minNumber + 1);
  std::vector<int> numbers(static_cast<size_t>(count));
  for (int& n : numbers) n = o.minNumber + static_cast<int>(rng() % range);
  std::sort(numbers.begin(), numbers.end());

  struct Option {
    char op;
    long long l, r, value;
  };
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::vector<long long> values(numbers.begin(), numbers.end());  // ascending
    std::string walk;
    while (values.size() > 1) {
      const size_t i = static_cast<size_t>(rng() % values.size());
      size_t j = static_cast<size_t>(rng() % (values.size() - 1));
      if (j >= i) ++j;
      const long long a = std::min(values[i], values[j]), b = std::max(values[i], values[j]);
      // The solver's spelling: + and * smaller first, - and / larger first; no negative, zero
      // difference or fraction, as in Countdown.
      std::vector<Option> options{{'+', a, b, a + b}};
      if (b > a) options.push_back({'-', b, a, b - a});
      if (a * b <= kMaxIntermediate) options.push_back({'*', a, b, a * b});
      if (a > 1 && b % a == 0) options.push_back({'/', b, a, b / a});
      const Option& pick = options[static_cast<size_t>(rng() % options.size())];
      values.erase(values.begin() + static_cast<std::ptrdiff_t>(std::max(i, j)));
      values.erase(values.begin() + static_cast<std::ptrdiff_t>(std::min(i, j)));
      values.insert(std::upper_bound(values.begin(), values.end(), pick.value), pick.value);
      const std::vector<Rational> rest(values.begin(), values.end());
      if (!walk.empty()) walk += '\n';
      walk += formatArithmeticStep(Rational(pick.l), pick.op, Rational(pick.r), Rational(pick.value), rest);
    }
    if (values[0] >= o.minTarget && values[0] <= o.maxTarget)
      return CountdownInstance{numbers, static_cast<int>(values[0]), walk};
  }
  return std::nullopt;
}

CountdownTask::CountdownTask(const CountdownOptions& o) {
  if (o.numbers < kMinCount || o.numbers > kMaxCount)
    failInput("task.numbers = ", o.numbers, " must be from ", kMinCount, " to ", kMaxCount);
  if (o.minNumbers < kMinCount || o.minNumbers > o.numbers)
    failInput("task.min_numbers = ", o.minNumbers, " must be from ", kMinCount, " to task.numbers = ", o.numbers);
  if (o.minNumber < 0 || o.maxNumber > kMaxNumber || o.minNumber > o.maxNumber)
    failInput("task.min_number = ", o.minNumber, " and task.max_number = ", o.maxNumber,
              " must satisfy 0 <= min <= max <= ", kMaxNumber);
  if (o.minTarget < 0 || o.maxTarget > kMaxTarget || o.minTarget > o.maxTarget)
    failInput("task.min_target = ", o.minTarget, " and task.max_target = ", o.maxTarget,
              " must satisfy 0 <= min <= max <= ", kMaxTarget);
  if (o.trainSize < 1) failInput("task.train_size = ", o.trainSize, " must be at least 1");
  if (o.testSize < 1) failInput("task.test_size = ", o.testSize, " must be at least 1");
  if (o.splitSeed < 0) failInput("task.split_seed = ", o.splitSeed, " must be >= 0");
  if (o.reward != "binary" && o.reward != "for") failInput("task.reward = '", o.reward, "': expected binary or for");
  forReward_ = o.reward == "for";

  // Test and train come from separate streams, so the test set does not depend on train_size.
  std::set<std::string> seen;
  auto fill = [&](std::vector<Problem>& out, int size, std::uint64_t streamSeed, const char* key) {
    std::mt19937_64 rng(streamSeed);
    const long long attempts = 50LL * size + 1000;
    for (long long t = 0; t < attempts && out.size() < static_cast<size_t>(size); ++t) {
      const int count = o.minNumbers + static_cast<int>(rng() % static_cast<std::uint64_t>(o.numbers - o.minNumbers + 1));
      auto instance = generateCountdown(count, o, rng);
      if (!instance) continue;
      const std::string id = idOf(instance->numbers, instance->target);
      if (!seen.insert(id).second) continue;
      out.push_back(makeProblem(instance->numbers, instance->target, instance->walk));
    }
    if (out.size() < static_cast<size_t>(size))
      failInput(key, " = ", size, ": only ", out.size(), " distinct instances with ", o.minNumbers, "..", o.numbers,
                " numbers from ", o.minNumber, "..", o.maxNumber, " reach a target in ", o.minTarget, "..",
                o.maxTarget, " within ", attempts, " draws; widen the ranges or ask for fewer");
  };
  const auto seed = static_cast<std::uint64_t>(o.splitSeed);
  fill(test_, o.testSize, 2 * seed + 1, "task.test_size");
  fill(train_, o.trainSize, 2 * seed + 2, "task.train_size");
  // Within a split, fewer numbers first.
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::stable_sort(test_.begin(), test_.end(), byDifficulty);
  std::stable_sort(train_.begin(), train_.end(), byDifficulty);
  for (Split split : {Split::Train, Split::Test})
    for (size_t i = 0; i < problems(split).size(); ++i) index_.emplace(problems(split)[i].id, std::make_pair(split, i));
}

Problem CountdownTask::makeProblem(const std::vector<int>& numbers, int target, const std::string& reference) const {
  Problem p;
  p.id = idOf(numbers, target);
  p.prompt = arithmeticPrompt(numbers, target);
  p.reference = reference;
  p.difficulty = static_cast<double>(numbers.size());
  p.level = std::clamp(static_cast<int>(numbers.size()) - kMinCount, 0, kMaxCount - kMinCount);
  p.data = nlohmann::json{{"numbers", numbers}, {"target", target}};
  return p;
}

const std::vector<Problem>& CountdownTask::problems(Split split) const {
  return split == Split::Test ? test_ : train_;
}

std::pair<std::vector<int>, int> CountdownTask::instanceOf(const Problem& problem) {
  std::vector<int> numbers;
  int target = 0;
  const std::string error = parseInstance(problem.data, numbers, target);
  TB_CHECK(error.empty(), "problem '", problem.id, "' has no countdown data (", error, ")");
  return {numbers, target};
}

Problem CountdownTask::problemFromData(const nlohmann::json& data) const {
  std::vector<int> numbers;
  int target = 0;
  if (std::string error = parseInstance(data, numbers, target); !error.empty())
    failInput("countdown problem ", data.dump(), ": ", error);
  if (auto it = index_.find(idOf(numbers, target)); it != index_.end())
    return problems(it->second.first)[it->second.second];
  return makeProblem(numbers, target, solve(numbers, target, nullptr).value_or(""));
}

Verdict CountdownTask::verify(const Problem& problem, const std::string& completion) const {
  const auto [numbers, target] = instanceOf(problem);
  const ArithmeticCheck check = checkArithmeticSteps(numbers, completion, target);
  // The FoR reward of the Game of 24, for comparison across the arithmetic tasks.
  const double reward = forReward_ ? (check.correct ? 100.0 : 0.001) : (check.correct ? 1.0 : 0.0);
  return Verdict{reward, check.correct, check.reason};
}

std::optional<std::string> CountdownTask::demonstration(const Problem& problem, std::mt19937_64& rng) const {
  const auto [numbers, target] = instanceOf(problem);
  return solve(numbers, target, &rng);  // the rng shuffles the search order: demonstrations vary
}

std::string CountdownTask::alphabet() const {
  // Digits, operators and separators of prompts ("3 7 -> 21") and steps ("7*3=21 (left: 21)").
  return "0123456789+-*/=() :\nleft>";
}

std::vector<std::string> CountdownTask::legalSteps(const Problem& problem, const std::vector<std::string>& steps) const {
  const ArithmeticState state = replayArithmeticSteps(instanceOf(problem).first, steps);
  if (!state.valid || state.answered || state.left.size() < 2) return {};
  return legalArithmeticSteps(state.left);
}

bool CountdownTask::isTerminal(const Problem& problem, const std::vector<std::string>& steps) const {
  const ArithmeticState state = replayArithmeticSteps(instanceOf(problem).first, steps);
  return !state.valid || state.answered || state.left.size() < 2;
}

std::string CountdownTask::describeState(const Problem& problem, const std::vector<std::string>& steps) const {
  return describeArithmeticState(replayArithmeticSteps(instanceOf(problem).first, steps));
}

TB_REGISTER_TASK(countdownRegistration, TaskInfo{
    .name = "countdown",
    .title = "Countdown",
    .description =
        "Reach the target from N numbers with + - * /, each number used exactly once, one step "
        "per line in the Game of 24 format (\"50+25=75 (left: 3 7 75)\"), the last step leaving "
        "only the target. Instances as in TinyZero's Countdown training, generated from a seed "
        "with a chosen count and range of numbers and range of targets; steps are verified "
        "exactly and an exhaustive solver writes demonstrations.",
    .stepLevel = true,
    .hasSolver = true,
    .levels = {"2 numbers", "3 numbers", "4 numbers", "5 numbers", "6 numbers"},
    .source = "",
    .params =
        {ParamSpec::integer("task.numbers", 4, double(kMinCount), double(kMaxCount), "Most numbers per instance"),
         ParamSpec::integer("task.min_numbers", 3, double(kMinCount), double(kMaxCount),
                            "Fewest numbers per instance (levels run from min_numbers to numbers)"),
         ParamSpec::integer("task.min_number", 1, 0.0, double(kMaxNumber), "Smallest given number"),
         ParamSpec::integer("task.max_number", 100, 0.0, double(kMaxNumber), "Largest given number"),
         ParamSpec::integer("task.min_target", 10, 0.0, double(kMaxTarget), "Smallest target"),
         ParamSpec::integer("task.max_target", 1000, 0.0, double(kMaxTarget), "Largest target"),
         ParamSpec::integer("task.train_size", 2000, 1.0, 100000.0, "Training instances"),
         ParamSpec::integer("task.test_size", 100, 1.0, 10000.0, "Instances held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt, "Seed of the generated instances"),
         ParamSpec::choice("task.reward", "binary", {"binary", "for"},
                           "binary: 1 if correct else 0; for: 100 if correct else 0.001 (Flow of Reasoning)")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      CountdownOptions o;
      o.numbers = static_cast<int>(config.getInt("task.numbers"));
      o.minNumbers = static_cast<int>(config.getInt("task.min_numbers"));
      o.minNumber = static_cast<int>(config.getInt("task.min_number"));
      o.maxNumber = static_cast<int>(config.getInt("task.max_number"));
      o.minTarget = static_cast<int>(config.getInt("task.min_target"));
      o.maxTarget = static_cast<int>(config.getInt("task.max_target"));
      o.trainSize = static_cast<int>(config.getInt("task.train_size"));
      o.testSize = static_cast<int>(config.getInt("task.test_size"));
      o.splitSeed = config.getInt("task.split_seed");
      o.reward = config.getString("task.reward");
      return std::make_unique<CountdownTask>(o);
    }});

}  // namespace tb
