// The user-dataset task: JSONL loading with line-level errors, the four verifiers, a seeded
// portable split, and its registration under "jsonl".
#include "core/tasks/JsonlTask.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Gsm8k.h"

namespace tb {

namespace {

constexpr int kMaxLevel = 9;

std::string trim(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return text.substr(b, text.find_last_not_of(" \t\r\n") - b + 1);
}

std::string lastLine(const std::string& completion) {
  const auto steps = splitSteps(completion);
  return steps.empty() ? "" : trim(steps.back());
}

std::string shorten(const std::string& text, size_t n = 80) {
  return text.size() <= n ? text : text.substr(0, n) + "...";
}

// "B", "(b)", " C " -> the upper-case letter A-E; nullopt otherwise.
std::optional<char> choiceLetter(const std::string& answer) {
  std::string s = trim(answer);
  if (s.size() == 3 && s.front() == '(' && s.back() == ')') s = s.substr(1, 1);
  if (s.size() != 1) return std::nullopt;
  const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (c < 'A' || c > 'E') return std::nullopt;
  return c;
}

bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The letter at `pos` read as a choice: "(b" any case; "B" upper case before a non-letter;
// "b" lower case only before the end or '.', ')' or ':' (so "a dog" is not choice A).
std::optional<char> choiceAt(const std::string& s, size_t pos) {
  bool paren = false;
  if (pos < s.size() && s[pos] == '(') {
    paren = true;
    ++pos;
  }
  if (pos >= s.size()) return std::nullopt;
  const char c = s[pos];
  const char up = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up < 'A' || up > 'E') return std::nullopt;
  const char next = pos + 1 < s.size() ? s[pos + 1] : '\0';
  if (paren || (c == up && !isLetter(next)) || next == '\0' || next == '.' || next == ')' || next == ':') return up;
  return std::nullopt;
}

// The model's chosen letter: after the last "answer is" / "answer:", else a last line that is the
// letter ("B", "(B)", "B) Paris", "B."), else the last "(X)" in the text.
std::optional<char> extractChoice(const std::string& completion) {
  std::string low = completion;
  for (char& c : low) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* marker : {"answer is", "answer:"}) {
    if (size_t p = low.rfind(marker); p != std::string::npos) {
      p += std::string(marker).size();
      while (p < completion.size() && (completion[p] == ' ' || completion[p] == ':')) ++p;
      if (auto c = choiceAt(completion, p)) return c;
    }
  }
  const std::string line = lastLine(completion);
  if (!line.empty()) {
    const bool paren = line[0] == '(';
    const size_t at = paren ? 1 : 0;
    const char next = at + 1 < line.size() ? line[at + 1] : '\0';
    if (at < line.size() && line[at] >= 'A' && line[at] <= 'E' &&
        (next == '\0' || next == ')' || next == '.' || next == ':'))
      return line[at];
  }
  for (size_t p = completion.rfind('('); p != std::string::npos; p = p == 0 ? std::string::npos : completion.rfind('(', p - 1))
    if (p + 2 < completion.size() && completion[p + 2] == ')' && completion[p + 1] >= 'A' && completion[p + 1] <= 'E')
      return completion[p + 1];
  return std::nullopt;
}

std::string answerText(const nlohmann::json& record) {
  const auto& a = record.at("answer");
  return a.is_string() ? a.get<std::string>() : a.dump();
}

}  // namespace

JsonlVerifier parseJsonlVerifier(const std::string& name) {
  if (name == "exact") return JsonlVerifier::Exact;
  if (name == "numeric") return JsonlVerifier::Numeric;
  if (name == "regex") return JsonlVerifier::Regex;
  if (name == "choice") return JsonlVerifier::Choice;
  failInput("task.verifier = '", name, "' must be one of exact, numeric, regex, choice");
}

std::string bundledJsonlExample() { return datasetDirectory() + "/jsonl/example.jsonl"; }

Problem JsonlTask::makeProblem(const nlohmann::json& record, const std::string& where,
                               const std::string& defaultId) const {
  if (!record.is_object())
    failInput(where, ": expected a JSON object {\"prompt\": ..., \"answer\": ...}, got ", shorten(record.dump()));
  const auto prompt = record.find("prompt");
  if (prompt == record.end() || !prompt->is_string() || trim(prompt->get<std::string>()).empty())
    failInput(where, ": field 'prompt': expected a non-empty string");
  const auto answer = record.find("answer");
  if (answer == record.end() || !(answer->is_string() || answer->is_number()))
    failInput(where, ": field 'answer': expected a string or a number");
  const std::string answerValue = answerText(record);
  if (trim(answerValue).empty()) failInput(where, ": field 'answer': expected a non-empty answer");

  Problem p;
  p.id = defaultId;
  if (const auto id = record.find("id"); id != record.end()) {
    if (!id->is_string() && !id->is_number_integer())
      failInput(where, ": field 'id': expected a string or an integer, got ", id->dump());
    p.id = "jsonl/" + (id->is_string() ? id->get<std::string>() : id->dump());
  }
  if (const auto level = record.find("level"); level != record.end()) {
    if (!level->is_number_integer() || level->get<long long>() < 0 || level->get<long long>() > kMaxLevel)
      failInput(where, ": field 'level': expected an integer in 0..", kMaxLevel, ", got ", level->dump());
    p.level = static_cast<int>(level->get<long long>());
  }
  if (const auto demo = record.find("demonstration"); demo != record.end() && !demo->is_string())
    failInput(where, ": field 'demonstration': expected a string");

  switch (verifier_) {
    case JsonlVerifier::Exact: break;
    case JsonlVerifier::Numeric:
      if (!parseNumber(answerValue))
        failInput(where, ": field 'answer': expected a number for task.verifier = numeric, got '", shorten(answerValue), "'");
      break;
    case JsonlVerifier::Regex:
      try {
        std::regex check(answerValue, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        failInput(where, ": field 'answer': not a valid regular expression for task.verifier = regex (", e.what(), ")");
      }
      break;
    case JsonlVerifier::Choice:
      if (!choiceLetter(answerValue))
        failInput(where, ": field 'answer': expected a letter A-E for task.verifier = choice, got '", shorten(answerValue), "'");
      break;
  }
  std::string text = asciiText(prompt->get<std::string>());  // the policies are character level
  if (trim(text).empty()) failInput(where, ": field 'prompt': expected a non-empty string");
  if (text.back() != '\n') text += '\n';
  p.prompt = text;
  p.reference = answerValue;
  p.difficulty = p.level;
  p.data = record;
  return p;
}

JsonlTask::JsonlTask(const std::string& dataFile, const std::string& verifier, double tolerance, int testSize,
                     long long splitSeed)
    : verifier_(parseJsonlVerifier(verifier)), tolerance_(tolerance) {
  if (!(tolerance >= 0)) failInput("task.tolerance = ", tolerance, " must be >= 0");
  if (testSize < 1) failInput("task.test_size = ", testSize, " must be at least 1");
  if (splitSeed < 0) failInput("task.split_seed = ", splitSeed, " must be >= 0");
  const std::string path = dataFile.empty() ? bundledJsonlExample() : dataFile;
  std::ifstream in(path);
  if (!in) failInput("cannot open JSONL dataset '", path, "' (task.data_file)");
  std::vector<Problem> problems;
  std::map<std::string, int> lineOfId;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (trim(line).empty()) continue;  // blank lines are not records
    const std::string where = path + ":" + std::to_string(number);
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      failInput(where, ": malformed JSON (expected an object {\"prompt\": ..., \"answer\": ...}): ", e.what());
    }
    Problem p = makeProblem(record, where, "jsonl/" + std::to_string(number));
    if (auto [it, fresh] = lineOfId.emplace(p.id, number); !fresh)
      failInput(where, ": field 'id': duplicate id '", p.id.substr(6), "' (also on line ", it->second, ")");
    problems.push_back(std::move(p));
  }
  if (problems.empty())
    failInput(path, ": no records (expected one JSON object {\"prompt\": ..., \"answer\": ...} per line)");
  if (static_cast<size_t>(testSize) >= problems.size())
    failInput("task.test_size = ", testSize, " must be smaller than the number of records (", problems.size(),
              " in ", path, ")");
  std::mt19937_64 rng(static_cast<std::uint64_t>(splitSeed));
  portableShuffle(problems, rng);
  for (size_t i = 0; i < problems.size(); ++i)
    (i < static_cast<size_t>(testSize) ? test_ : train_).push_back(std::move(problems[i]));
  auto byLevel = [](const Problem& a, const Problem& b) { return a.level < b.level; };
  std::stable_sort(test_.begin(), test_.end(), byLevel);
  std::stable_sort(train_.begin(), train_.end(), byLevel);
}

const std::vector<Problem>& JsonlTask::problems(Split split) const { return split == Split::Test ? test_ : train_; }

Verdict JsonlTask::verify(const Problem& problem, const std::string& completion) const {
  TB_CHECK(problem.data.is_object() && problem.data.contains("answer"), "problem '", problem.id,
           "' is not a JSONL problem");
  const std::string answer = answerText(problem.data);
  Verdict v;
  switch (verifier_) {
    case JsonlVerifier::Exact: {
      const std::string expected = trim(asciiText(answer));  // as the demonstration writes it
      const std::string got = expected.find('\n') == std::string::npos ? lastLine(completion) : trim(completion);
      v.correct = got == expected;
      v.reason = v.correct ? "correct" : "expected '" + shorten(expected) + "', got '" + shorten(got) + "'";
      break;
    }
    case JsonlVerifier::Numeric: {
      const auto expected = parseNumber(answer);
      TB_CHECK(expected.has_value(), "numeric answer '", answer, "' was checked at load");
      const auto got = extractFinalAnswer(completion);
      if (!got) {
        v.reason = "no number in the completion";
        break;
      }
      const double diff = std::abs(got->value.approx - expected->approx);
      v.correct = sameNumber(got->value, *expected) ||
                  (std::isfinite(diff) && diff <= tolerance_ * std::max(1.0, std::abs(expected->approx)));
      const std::string source =
          got->fallback() ? "no final-answer form: took the last number in the text" : "from '" + got->form + "'";
      v.reason = v.correct ? "correct" + (got->fallback() ? " (" + source + ", " + got->value.text + ")" : std::string())
                           : "wrong answer " + got->value.text + " (" + source + "), expected " + expected->text;
      break;
    }
    case JsonlVerifier::Regex: {
      const std::string line = lastLine(completion);
      try {
        v.correct = std::regex_match(line, std::regex(answer, std::regex::ECMAScript));
        v.reason = v.correct ? "correct" : "the last line '" + shorten(line) + "' does not match /" + shorten(answer) + "/";
      } catch (const std::regex_error& e) {  // a problem given as data with a bad pattern
        v.reason = std::string("invalid regular expression in the answer: ") + e.what();
      }
      break;
    }
    case JsonlVerifier::Choice: {
      const auto expected = choiceLetter(answer);
      const auto got = extractChoice(completion);
      if (!expected) v.reason = "the answer '" + shorten(answer) + "' is not a letter A-E";
      else if (!got) v.reason = "no choice letter A-E in the completion";
      else {
        v.correct = *got == *expected;
        v.reason = v.correct ? "correct" : std::string("chose ") + *got + ", expected " + *expected;
      }
      break;
    }
  }
  v.reward = v.correct ? 1.0 : 0.0;
  return v;
}

std::optional<std::string> JsonlTask::demonstration(const Problem& problem, std::mt19937_64&) const {
  TB_CHECK(problem.data.is_object() && problem.data.contains("answer"), "problem '", problem.id,
           "' is not a JSONL problem");
  if (const auto demo = problem.data.find("demonstration"); demo != problem.data.end() && demo->is_string())
    return asciiText(demo->get<std::string>());
  const std::string answer = trim(asciiText(answerText(problem.data)));
  if (verifier_ == JsonlVerifier::Choice) return std::string(1, *choiceLetter(answer));
  if (verifier_ == JsonlVerifier::Regex) {
    // A pattern is a demonstration only when it matches itself (a literal such as "42").
    try {
      if (!std::regex_match(answer, std::regex(answer, std::regex::ECMAScript))) return std::nullopt;
    } catch (const std::regex_error&) {
      return std::nullopt;
    }
  }
  return answer;
}

std::string JsonlTask::alphabet() const {
  std::string out = "\n";
  for (char c = 32; c < 127; ++c) out += c;
  return out;
}

Problem JsonlTask::problemFromData(const nlohmann::json& data) const {
  return makeProblem(data, "problem", "jsonl/data-" + stableHash(data.dump()));
}

TB_REGISTER_TASK(jsonlRegistration, TaskInfo{
    .name = "jsonl",
    .title = "Your JSONL dataset",
    .description =
        "Bring your own dataset without writing C++: a JSONL file of {\"prompt\": ..., \"answer\": "
        "...} records (optional \"id\", \"level\" 0-9 and \"demonstration\"), checked by a chosen "
        "verifier: exact (last line equals the answer), numeric (final number within a tolerance), "
        "regex (last line matches the answer as a pattern) or choice (multiple choice A-E). "
        "Without a file, 10 bundled arithmetic questions.",
    .stepLevel = false,
    .hasSolver = true,
    .levels = {"level 0", "level 1", "level 2", "level 3", "level 4", "level 5", "level 6", "level 7",
               "level 8", "level 9"},
    .source = "your own file (task.data_file); the bundled example.jsonl is written for Thoughtbench",
    .params =
        {ParamSpec::file("task.data_file", "", "JSON Lines files (*.jsonl *.json)", "Path to your JSONL file; empty = the bundled 10-question example"),
         ParamSpec::choice("task.verifier", "exact", {"exact", "numeric", "regex", "choice"},
                           "How a completion is checked against the record's answer"),
         ParamSpec::real("task.tolerance", 1e-6, 0.0, std::nullopt,
                         "numeric: accepted |x - answer| <= tolerance * max(1, |answer|)"),
         ParamSpec::integer("task.test_size", 2, 1.0, 1000000.0, "Records held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt, "Seed of the fixed train/test split")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      return std::make_unique<JsonlTask>(config.getString("task.data_file"), config.getString("task.verifier"),
                                         config.getFloat("task.tolerance"),
                                         static_cast<int>(config.getInt("task.test_size")),
                                         config.getInt("task.split_seed"));
    }});

}  // namespace tb
