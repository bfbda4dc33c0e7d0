// Arithmetic word problems: the sentence templates, the generator, the parser that solves a
// question written in the templates, the exact "#### n" checker and the task registered as
// "arithmetic".
#include "core/tasks/ArithmeticTask.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Game24.h"

namespace tb {

namespace {

constexpr int kMaxSteps = 6;
constexpr long long kMaxParsedValue = 1000000000;  // parsed questions: no overflow in the steps

struct Person {
  const char* name;
  const char* pronoun;
};
constexpr Person kPeople[] = {{"Ann", "She"}, {"Bob", "He"}, {"Cy", "He"},   {"Di", "She"},
                              {"Eve", "She"}, {"Max", "He"}, {"Sam", "He"}, {"Zoe", "She"}};
constexpr const char* kItems[] = {"pens", "cards", "eggs", "apples", "coins", "books", "cups", "stamps"};

// One operation in words. `factor` > 0: the words imply k ("doubles"); else "{k}" holds it.
struct OpTemplate {
  char op;
  int factor;
  const char* text;  // "{P}" is the pronoun
};
constexpr OpTemplate kTemplates[] = {
    {'+', 0, "{P} gets {k} more."},   {'+', 0, "{P} buys {k} more."}, {'+', 0, "{P} finds {k} more."},
    {'-', 0, "{P} gives away {k}."},  {'-', 0, "{P} loses {k}."},     {'-', 0, "{P} sells {k}."},
    {'*', 2, "{P} doubles them."},    {'*', 3, "{P} triples them."},  {'/', 2, "{P} keeps half."},
    {'/', 3, "{P} keeps a third."},   {'/', 4, "{P} keeps a quarter."}};
constexpr const char* kQuestion = "How many now?";

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

long long applyOp(char op, long long a, long long b) {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return a / b;
  }
}

std::string stepText(long long a, char op, long long b, long long value) {
  return std::to_string(a) + op + std::to_string(b) + "=" + std::to_string(value);
}

// Whether `text` is exactly the template with k written as a positive integer; sets k.
bool matchTemplate(const std::string& text, const std::string& pattern, long long& k) {
  const size_t hole = pattern.find("{k}");
  if (hole == std::string::npos) return text == pattern;
  const std::string before = pattern.substr(0, hole), after = pattern.substr(hole + 3);
  if (text.size() <= before.size() + after.size() || text.compare(0, before.size(), before) != 0 ||
      text.compare(text.size() - after.size(), after.size(), after) != 0)
    return false;
  const std::string digits = text.substr(before.size(), text.size() - before.size() - after.size());
  if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  k = std::stoll(digits);
  return true;
}

// Sentences end with '.' or '?' and are separated by single spaces.
std::vector<std::string> sentencesOf(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (current.empty() && c == ' ') continue;
    current += c;
    if (c == '.' || c == '?') {
      out.push_back(current);
      current.clear();
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

std::string quoted(const std::string& text) {
  std::string t = text.size() > 60 ? text.substr(0, 60) + "..." : text;
  std::replace(t.begin(), t.end(), '\n', ' ');
  return "'" + t + "'";
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// FNV-1a: a stable id from the question text, the same in every run and on every platform.
std::string idOf(const std::string& question) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : question) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return std::string("arithmetic/") + buffer;
}

Problem makeProblem(const WordProblem& w) {
  Problem p;
  p.id = idOf(w.question);
  p.prompt = w.question + "\n";
  p.reference = wordProblemCompletion(w);
  const int operations = static_cast<int>(w.steps.size());
  p.difficulty = operations;
  p.level = std::clamp(operations - 1, 0, kMaxSteps - 1);
  p.data = nlohmann::json{{"question", w.question}, {"answer", w.answer}};
  return p;
}

}  // namespace

WordProblem generateWordProblem(int operations, int maxValue, std::mt19937_64& rng) {
  TB_CHECK(operations >= 1 && maxValue >= 10, "generateWordProblem(", operations, ", ", maxValue, ")");
  auto draw = [&](long long lo, long long hi) {  // uniform in [lo, hi] with rng() % n: portable
    return lo + static_cast<long long>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  };
  const Person& person = kPeople[rng() % std::size(kPeople)];
  const char* items = kItems[rng() % std::size(kItems)];
  long long value = draw(2, maxValue);
  WordProblem w;
  w.question = std::string(person.name) + " has " + std::to_string(value) + " " + items + ".";
  for (int i = 0; i < operations; ++i) {
    // Templates whose operation keeps the value a whole number in 1..maxValue.
    std::vector<const OpTemplate*> fitting;
    for (const OpTemplate& t : kTemplates) {
      const bool fits = t.op == '+'   ? value < maxValue
                        : t.op == '-' ? value > 1
                        : t.op == '*' ? value * t.factor <= maxValue
                                      : value % t.factor == 0;
      if (fits) fitting.push_back(&t);
    }
    // One operation kind at a time, then one of its phrasings: kinds stay balanced.
    std::vector<char> kinds;
    for (const auto* t : fitting)
      if (std::find(kinds.begin(), kinds.end(), t->op) == kinds.end()) kinds.push_back(t->op);
    const char op = kinds[rng() % kinds.size()];
    std::erase_if(fitting, [&](const OpTemplate* t) { return t->op != op; });
    const OpTemplate& t = *fitting[rng() % fitting.size()];
    const long long k = t.factor > 0 ? t.factor : op == '+' ? draw(1, maxValue - value) : draw(1, value - 1);
    const long long next = applyOp(op, value, k);
    w.question += " " + replaceAll(replaceAll(t.text, "{P}", person.pronoun), "{k}", std::to_string(k));
    w.steps.push_back(stepText(value, op, k, next));
    value = next;
  }
  w.question += std::string(" ") + kQuestion;
  w.answer = value;
  return w;
}

std::optional<WordProblem> solveWordProblem(const std::string& question, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<WordProblem> {
    if (error) *error = why;
    return std::nullopt;
  };
  std::string text = question;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  const auto sentences = sentencesOf(text);
  if (sentences.size() < 3)
    return fail("expected '<Name> has <n> <items>.', operations and '" + std::string(kQuestion) + "'");

  // "<Name> has <n> <items>."
  const std::string& first = sentences.front();
  const Person* person = nullptr;
  long long value = 0;
  for (const Person& p : kPeople)
    for (const char* items : kItems)
      if (!person && matchTemplate(first, std::string(p.name) + " has {k} " + items + ".", value)) person = &p;
  if (!person)
    return fail("sentence 1 " + quoted(first) + " is not '<Name> has <n> <items>.' with a known name and item");
  if (sentences.back() != kQuestion) return fail("the question must end with '" + std::string(kQuestion) + "'");

  WordProblem w;
  w.question = text;
  for (size_t i = 1; i + 1 < sentences.size(); ++i) {
    const OpTemplate* matched = nullptr;
    long long k = 0;
    for (const OpTemplate& t : kTemplates)
      if (!matched && matchTemplate(sentences[i], replaceAll(t.text, "{P}", person->pronoun), k)) matched = &t;
    const std::string where = "sentence " + std::to_string(i + 1) + " " + quoted(sentences[i]);
    if (!matched) return fail(where + " matches no template");
    if (matched->factor > 0) k = matched->factor;
    if (matched->op == '/' && value % k != 0)
      return fail(where + ": " + std::to_string(value) + " is not divisible by " + std::to_string(k));
    const long long next = applyOp(matched->op, value, k);
    if (next < 0 || next > kMaxParsedValue) return fail(where + ": the count becomes " + std::to_string(next));
    w.steps.push_back(stepText(value, matched->op, k, next));
    value = next;
  }
  w.answer = value;
  return w;
}

std::string wordProblemCompletion(const WordProblem& problem) {
  std::string out;
  for (const auto& step : problem.steps) out += step + "\n";
  return out + "#### " + std::to_string(problem.answer);
}

WordProblemCheck checkWordProblemAnswer(const std::string& completion, long long expected) {
  WordProblemCheck out;
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= completion.size()) {
    size_t end = completion.find('\n', start);
    if (end == std::string::npos) end = completion.size();
    if (std::string line = trim(completion.substr(start, end - start)); !line.empty()) lines.push_back(line);
    start = end + 1;
  }
  if (lines.empty()) {
    out.reason = "empty completion";
    return out;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("####", 0) == 0) {
      const std::string text = trim(line.substr(4));
      const auto value = Rational::parse(text);
      if (!value || !value->isInteger()) {
        out.reason = "answer: cannot parse " + quoted(text) + " as a whole number";
        return out;
      }
      if (value->num() != expected) {
        out.reason = "answer " + value->toString() + ", expected " + std::to_string(expected);
        return out;
      }
      out.correct = true;
      out.reason = "correct";
      return out;
    }
    const std::string where = "line " + std::to_string(i + 1) + ": ";
    const size_t eq = line.find('=');
    if (eq == std::string::npos || line.find('=', eq + 1) != std::string::npos) {
      out.reason = where + "cannot parse " + quoted(line) + " (expected 'a+b=c' or '#### n')";
      return out;
    }
    std::string why;
    const auto lhs = evaluateExpression(line.substr(0, eq), nullptr, &why);
    if (!lhs) {
      out.reason = where + (why == "cannot parse" ? "cannot parse " + quoted(line) : why);
      return out;
    }
    std::string rhsText = trim(line.substr(eq + 1));
    const auto rhs = Rational::parse(rhsText);
    if (!rhs) {
      out.reason = where + "cannot parse " + quoted(line);
      return out;
    }
    if (*lhs != *rhs) {
      out.reason = where + trim(line.substr(0, eq)) + " is " + lhs->toString() + ", not " + rhs->toString();
      return out;
    }
  }
  out.reason = "no '#### n' answer line";
  return out;
}

ArithmeticTask::ArithmeticTask(const ArithmeticOptions& o) {
  if (o.steps < 1 || o.steps > kMaxSteps) failInput("task.steps = ", o.steps, " must be from 1 to ", kMaxSteps);
  if (o.minSteps < 1 || o.minSteps > o.steps)
    failInput("task.min_steps = ", o.minSteps, " must be from 1 to task.steps = ", o.steps);
  if (o.maxValue < 10 || o.maxValue > 1000000) failInput("task.max_value = ", o.maxValue, " must be from 10 to 1000000");
  if (o.trainSize < 1) failInput("task.train_size = ", o.trainSize, " must be at least 1");
  if (o.testSize < 1) failInput("task.test_size = ", o.testSize, " must be at least 1");
  if (o.splitSeed < 0) failInput("task.split_seed = ", o.splitSeed, " must be >= 0");

  // Test and train come from separate streams, so the test set does not depend on train_size.
  std::set<std::string> seen;
  auto fill = [&](std::vector<Problem>& out, int size, std::uint64_t streamSeed, const char* key) {
    std::mt19937_64 rng(streamSeed);
    const long long attempts = 50LL * size + 1000;
    for (long long t = 0; t < attempts && out.size() < static_cast<size_t>(size); ++t) {
      const int operations = o.minSteps + static_cast<int>(rng() % static_cast<std::uint64_t>(o.steps - o.minSteps + 1));
      WordProblem w = generateWordProblem(operations, o.maxValue, rng);
      if (seen.insert(w.question).second) out.push_back(makeProblem(w));
    }
    if (out.size() < static_cast<size_t>(size))
      failInput(key, " = ", size, ": only ", out.size(), " distinct questions in ", attempts,
                " draws; raise task.max_value or task.steps, or ask for fewer");
  };
  const auto seed = static_cast<std::uint64_t>(o.splitSeed);
  fill(test_, o.testSize, 2 * seed + 1, "task.test_size");
  fill(train_, o.trainSize, 2 * seed + 2, "task.train_size");
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::stable_sort(test_.begin(), test_.end(), byDifficulty);
  std::stable_sort(train_.begin(), train_.end(), byDifficulty);
}

const std::vector<Problem>& ArithmeticTask::problems(Split split) const {
  return split == Split::Test ? test_ : train_;
}

Problem ArithmeticTask::problemFromData(const nlohmann::json& data) const {
  const std::string expected = "expected {\"question\": \"...\", \"answer\": n}";
  if (!data.is_object() || !data.contains("question") || !data["question"].is_string())
    failInput("arithmetic problem ", data.dump(), ": ", expected);
  for (const auto& [key, value] : data.items())
    if (key != "question" && key != "answer") failInput("arithmetic problem: unexpected key '", key, "'; ", expected);
  std::string error;
  const auto solved = solveWordProblem(data["question"].get<std::string>(), &error);
  if (!solved) failInput("arithmetic problem ", data.dump(), ": ", error);
  if (data.contains("answer")) {
    if (!data["answer"].is_number_integer())
      failInput("arithmetic problem ", data.dump(), ": \"answer\" must be an integer");
    if (data["answer"].get<long long>() != solved->answer)
      failInput("arithmetic problem ", data.dump(), ": the answer ", data["answer"].get<long long>(),
                " does not match the question's ", solved->answer);
  }
  return makeProblem(*solved);
}

Verdict ArithmeticTask::verify(const Problem& problem, const std::string& completion) const {
  TB_CHECK(problem.data.is_object() && problem.data.contains("answer") && problem.data["answer"].is_number_integer(),
           "problem '", problem.id, "' has no arithmetic data");
  const WordProblemCheck check = checkWordProblemAnswer(completion, problem.data["answer"].get<long long>());
  return Verdict{check.correct ? 1.0 : 0.0, check.correct, check.reason};
}

std::optional<std::string> ArithmeticTask::demonstration(const Problem& problem, std::mt19937_64&) const {
  TB_CHECK(problem.data.is_object() && problem.data.contains("question") && problem.data["question"].is_string(),
           "problem '", problem.id, "' has no arithmetic data");
  const auto solved = solveWordProblem(problem.data["question"].get<std::string>());
  if (!solved) return std::nullopt;
  return wordProblemCompletion(*solved);
}

std::string ArithmeticTask::alphabet() const {
  // Every character of the templates, names and items, plus digits and the completion's symbols.
  std::set<char> chars{'\n', ' ', '+', '-', '*', '/', '=', '#'};
  for (char c = '0'; c <= '9'; ++c) chars.insert(c);
  auto add = [&](const std::string& text) { chars.insert(text.begin(), text.end()); };
  for (const Person& p : kPeople) add(std::string(p.name) + p.pronoun);
  for (const char* items : kItems) add(items);
  for (const OpTemplate& t : kTemplates) add(replaceAll(replaceAll(t.text, "{P}", ""), "{k}", ""));
  add(" has .");
  add(kQuestion);
  return std::string(chars.begin(), chars.end());
}

TB_REGISTER_TASK(arithmeticRegistration, TaskInfo{
    .name = "arithmetic",
    .title = "Arithmetic word problems",
    .description =
        "Short GSM8K-style word problems from templates (\"Ann has 12 pens. She gets 5 more. She "
        "doubles them. How many now?\"), one to six whole-number operations; the completion "
        "writes each operation as \"12+5=17\" and ends with \"#### 34\". Built for training tiny "
        "character-level policies on the CPU; every equation and the answer are checked exactly.",
    .stepLevel = false,
    .hasSolver = true,
    .levels = {"1 operation", "2 operations", "3 operations", "4 operations", "5 operations", "6 operations"},
    .source = "",
    .params =
        {ParamSpec::integer("task.steps", 3, 1.0, double(kMaxSteps), "Most operations per question"),
         ParamSpec::integer("task.min_steps", 1, 1.0, double(kMaxSteps),
                            "Fewest operations per question (levels run from min_steps to steps)"),
         ParamSpec::integer("task.max_value", 100, 10.0, 1000000.0, "Largest value any count takes"),
         ParamSpec::integer("task.train_size", 2000, 1.0, 100000.0, "Training questions"),
         ParamSpec::integer("task.test_size", 100, 1.0, 10000.0, "Questions held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt, "Seed of the generated questions")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      ArithmeticOptions o;
      o.steps = static_cast<int>(config.getInt("task.steps"));
      o.minSteps = static_cast<int>(config.getInt("task.min_steps"));
      o.maxValue = static_cast<int>(config.getInt("task.max_value"));
      o.trainSize = static_cast<int>(config.getInt("task.train_size"));
      o.testSize = static_cast<int>(config.getInt("task.test_size"));
      o.splitSeed = config.getInt("task.split_seed");
      return std::make_unique<ArithmeticTask>(o);
    }});

}  // namespace tb
