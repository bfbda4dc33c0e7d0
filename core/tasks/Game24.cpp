// Game of 24 and its N-number generalisation: the CSV loader, the exact step checker, the
// expression evaluator, the exhaustive solver that writes demonstrations in the completion format
// documented in Game24.h, canonical solutions, and the step-level helpers (replay, legal steps).
#include "core/tasks/Game24.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/Error.h"

namespace tb {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && isSpace(s[b])) ++b;
  while (e > b && isSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

// Quotes untrusted text for a one-line reason, shortened so a runaway completion stays readable.
std::string quoted(const std::string& text) {
  constexpr size_t kMax = 60;
  std::string t = text.size() > kMax ? text.substr(0, kMax) + "..." : text;
  for (char& c : t)
    if (c == '\n' || c == '\r') c = ' ';
  return "'" + t + "'";
}

std::string joinNumbers(const std::vector<Rational>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ' ';
    out += v.toString();
  }
  return out;
}

template <typename T>
std::string joinInts(const std::vector<T>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ' ';
    out += std::to_string(v);
  }
  return out;
}

// Removes spaces; nullopt when a space separates two digits ("2 4" must not read as 24).
std::optional<std::string> compact(const std::string& text) {
  std::string out;
  bool pendingSpace = false;
  for (char c : text) {
    if (isSpace(c)) {
      pendingSpace = !out.empty();
      continue;
    }
    if (pendingSpace && isDigit(c) && isDigit(out.back())) return std::nullopt;
    pendingSpace = false;
    out += c;
  }
  return out;
}

// Multiset helpers over a vector kept sorted ascending.
bool removeOne(std::vector<Rational>& values, const Rational& v) {
  auto it = std::lower_bound(values.begin(), values.end(), v);
  if (it == values.end() || *it != v) return false;
  values.erase(it);
  return true;
}

void insertSorted(std::vector<Rational>& values, const Rational& v) {
  values.insert(std::upper_bound(values.begin(), values.end(), v), v);
}

// One binary operation a op b (a step's reading, or an operation of an Answer expression).
struct StepReading {
  Rational a;
  char op = '+';
  Rational b;
};

// ---- Expression evaluation -------------------------------------------------------------------

enum class EvalStatus { Ok, Syntax, DivisionByZero, Overflow };

// expr := term (('+'|'-') term)*; term := factor (('*'|'/') factor)*; factor := int | '(' expr ')'
class ExpressionParser {
 public:
  ExpressionParser(const std::string& text, std::vector<long long>* used,
                   std::vector<StepReading>* applied = nullptr)
      : text_(text), used_(used), applied_(applied) {}

  std::optional<Rational> parseAll() {
    auto value = expr(0);
    skipSpaces();
    if (value && pos_ != text_.size()) return fail(EvalStatus::Syntax);
    return value;
  }
  EvalStatus status() const { return status_; }

 private:
  static constexpr int kMaxDepth = 64;  // bounds recursion on pathological policy output

  std::nullopt_t fail(EvalStatus status) {
    if (status_ == EvalStatus::Ok) status_ = status;
    return std::nullopt;
  }
  void skipSpaces() {
    while (pos_ < text_.size() && isSpace(text_[pos_])) ++pos_;
  }
  bool accept(char c) {
    skipSpaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<Rational> apply(char op, const Rational& a, const Rational& b) {
    if (op == '/' && b == Rational(0)) return fail(EvalStatus::DivisionByZero);
    auto r = Rational::tryApply(op, a, b);
    if (!r) return fail(EvalStatus::Overflow);
    if (applied_) applied_->push_back({a, op, b});
    return r;
  }
  std::optional<Rational> expr(int depth) {
    auto left = term(depth);
    while (left) {
      if (accept('+')) {
        auto right = term(depth);
        if (!right) return std::nullopt;
        left = apply('+', *left, *right);
      } else if (accept('-')) {
        auto right = term(depth);
        if (!right) return std::nullopt;
        left = apply('-', *left, *right);
      } else {
        break;
      }
    }
    return left;
  }
  std::optional<Rational> term(int depth) {
    auto left = factor(depth);
    while (left) {
      if (accept('*')) {
        auto right = factor(depth);
        if (!right) return std::nullopt;
        left = apply('*', *left, *right);
      } else if (accept('/')) {
        auto right = factor(depth);
        if (!right) return std::nullopt;
        left = apply('/', *left, *right);
      } else {
        break;
      }
    }
    return left;
  }
  std::optional<Rational> factor(int depth) {
    if (depth > kMaxDepth) return fail(EvalStatus::Syntax);
    if (accept('(')) {
      auto inner = expr(depth + 1);
      if (!inner) return std::nullopt;
      if (!accept(')')) return fail(EvalStatus::Syntax);
      return inner;
    }
    skipSpaces();
    const size_t start = pos_;
    while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
    if (pos_ == start) return fail(EvalStatus::Syntax);
    long long value = 0;
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
    if (ec != std::errc()) return fail(EvalStatus::Overflow);
    if (used_) used_->push_back(value);
    return Rational(value);
  }

  const std::string& text_;
  std::vector<long long>* used_;
  std::vector<StepReading>* applied_;
  size_t pos_ = 0;
  EvalStatus status_ = EvalStatus::Ok;
};

// ---- Step checking ---------------------------------------------------------------------------

struct ParsedStep {
  std::vector<StepReading> readings;  // "8/4/2" reads as 8/(4/2) or (8/4)/2
  Rational result;
  std::vector<Rational> left;
};

// Parses "a op b = c (left: x y z)"; returns an error (without the "step N: " prefix) or "".
std::string parseStep(const std::string& line, ParsedStep& out) {
  const std::string cannot = "cannot parse " + quoted(line);
  const size_t open = line.find('(');
  if (open == std::string::npos) return "missing the (left: ...) list in " + quoted(line);
  const size_t close = line.find(')', open);
  if (close == std::string::npos || !trim(line.substr(close + 1)).empty()) return cannot;

  std::string list = trim(line.substr(open + 1, close - open - 1));
  if (list.rfind("left", 0) != 0) return cannot;
  list = trim(list.substr(4));
  if (list.empty() || list[0] != ':') return cannot;
  std::istringstream items(list.substr(1));
  for (std::string item; items >> item;) {
    auto v = Rational::parse(item);
    if (!v) return "cannot parse the left list " + quoted(trim(list.substr(1)));
    out.left.push_back(*v);
  }

  auto equation = compact(line.substr(0, open));
  if (!equation) return cannot;
  const size_t eq = equation->find('=');
  if (eq == std::string::npos || equation->find('=', eq + 1) != std::string::npos) return cannot;
  auto result = Rational::parse(equation->substr(eq + 1));
  if (!result) return cannot;
  out.result = *result;

  // Operands may be fractions or negative, so try every operator position as the split point.
  const std::string lhs = equation->substr(0, eq);
  for (size_t p = 1; p + 1 < lhs.size(); ++p) {
    const char op = lhs[p];
    if (op != '+' && op != '-' && op != '*' && op != '/') continue;
    auto a = Rational::parse(lhs.substr(0, p));
    auto b = Rational::parse(lhs.substr(p + 1));
    if (a && b) out.readings.push_back({*a, op, *b});
  }
  if (out.readings.empty()) return cannot;
  return "";
}

// Applies a parsed step to `available`; returns an error (without the "step N: " prefix) or "" and
// then reports the reading it applied in `applied`.
std::string checkStep(const ParsedStep& step, std::vector<Rational>& available,
                      StepReading* applied = nullptr) {
  auto usable = [&](const StepReading& r) {
    auto rest = available;
    return removeOne(rest, r.a) && removeOne(rest, r.b);
  };
  auto matches = [&](const StepReading& r) {
    auto v = Rational::tryApply(r.op, r.a, r.b);
    return v && *v == step.result;
  };
  const StepReading* chosen = nullptr;
  for (const auto& r : step.readings)
    if (!chosen && usable(r) && matches(r)) chosen = &r;
  for (const auto& r : step.readings)
    if (!chosen && usable(r)) chosen = &r;
  if (!chosen) chosen = &step.readings.front();
  const StepReading& r = *chosen;

  auto rest = available;
  if (!removeOne(rest, r.a))
    return r.a.toString() + " is not among the remaining numbers " + joinNumbers(available);
  if (!removeOne(rest, r.b)) {
    if (r.b == r.a)
      return r.b.toString() + " is used twice but appears once among the remaining numbers " +
             joinNumbers(available);
    return r.b.toString() + " is not among the remaining numbers " + joinNumbers(available);
  }
  if (r.op == '/' && r.b == Rational(0)) return "division by zero";
  auto value = Rational::tryApply(r.op, r.a, r.b);
  if (!value) return "number too large";
  const std::string written = r.a.toString() + r.op + r.b.toString();
  if (*value != step.result)
    return written + " is " + value->toString() + ", not " + step.result.toString();
  insertSorted(rest, *value);
  auto left = step.left;
  std::sort(left.begin(), left.end());
  if (left != rest)
    return "left list " + (step.left.empty() ? std::string("(empty)") : joinNumbers(step.left)) +
           " should be " + joinNumbers(rest);
  available = std::move(rest);
  if (applied) *applied = r;
  return "";
}

// Checks the text after "Answer:"; returns an error (without the "Answer: " prefix) or "".
std::string checkAnswer(const std::vector<int>& numbers, const std::string& text, int target) {
  const auto parts = split(text, '=');
  if (parts.empty() || parts.size() > 2) return "cannot parse " + quoted(trim(text));
  std::vector<long long> used;
  ExpressionParser parser(parts[0], &used);
  const auto value = parser.parseAll();
  if (!value) {
    switch (parser.status()) {
      case EvalStatus::DivisionByZero: return "division by zero";
      case EvalStatus::Overflow: return "number too large";
      default: return "cannot parse " + quoted(trim(parts[0]));
    }
  }
  std::vector<long long> expected(numbers.begin(), numbers.end());
  std::sort(expected.begin(), expected.end());
  std::sort(used.begin(), used.end());
  if (used != expected) return "uses " + joinInts(used) + ", expected " + joinInts(expected);
  if (*value != Rational(target))
    return "equals " + value->toString() + ", not " + std::to_string(target);
  if (parts.size() == 2) {
    auto stated = compact(parts[1]);
    auto claimed = stated ? Rational::parse(*stated) : std::nullopt;
    if (!claimed) return "cannot parse " + quoted(trim(parts[1]));
    if (*claimed != *value) return "equals " + value->toString() + " but says " + claimed->toString();
  }
  return "";
}

std::optional<std::string> answerText(const std::string& line);

// The operations of an Answer expression that uses each input number exactly once, in evaluation
// order; false when it cannot be evaluated or uses other numbers.
bool answerOperations(const std::vector<int>& numbers, const std::string& text, std::vector<StepReading>& ops) {
  const auto parts = split(text, '=');
  if (parts.empty() || parts.size() > 2) return false;
  std::vector<long long> used;
  ExpressionParser parser(parts[0], &used, &ops);
  if (!parser.parseAll()) return false;
  std::vector<long long> expected(numbers.begin(), numbers.end());
  std::sort(expected.begin(), expected.end());
  std::sort(used.begin(), used.end());
  return used == expected;
}

// Replays step lines from `available` (ascending) up to the first invalid one; returns its error
// with the "step N: " prefix, or "". Counts the valid steps and collects the readings applied.
std::string replayLines(const std::vector<std::string>& lines, std::vector<Rational>& available, int* validSteps,
                        std::vector<StepReading>* applied) {
  for (size_t i = 0; i < lines.size(); ++i) {
    ParsedStep step;
    StepReading reading;
    std::string error = parseStep(lines[i], step);
    if (error.empty()) error = checkStep(step, available, &reading);
    if (!error.empty()) return "step " + std::to_string(i + 1) + ": " + error;
    if (validSteps) ++*validSteps;
    if (applied) applied->push_back(reading);
  }
  return "";
}

// Splits a completion into its step lines and its Answer text (lines after the Answer are ignored).
void splitCompletion(const std::string& completion, std::vector<std::string>& stepLines,
                     std::optional<std::string>& answer) {
  std::istringstream in(completion);
  for (std::string raw; std::getline(in, raw);) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    if ((answer = answerText(line))) break;
    stepLines.push_back(line);
  }
}

// An "Answer:" line, in any letter case, with optional spaces before the colon.
std::optional<std::string> answerText(const std::string& line) {
  if (line.size() < 6) return std::nullopt;
  std::string head = line.substr(0, 6);
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (head != "answer") return std::nullopt;
  size_t pos = 6;
  while (pos < line.size() && isSpace(line[pos])) ++pos;
  if (pos >= line.size() || line[pos] != ':') return std::nullopt;
  return line.substr(pos + 1);
}

// ---- Solver ----------------------------------------------------------------------------------

struct Term {
  Rational value;
  std::string expr;
  int precedence = 3;  // 1: + -, 2: * /, 3: a number
};

int precedenceOf(char op) { return op == '+' || op == '-' ? 1 : 2; }

// Parenthesises only where needed: a-(b+c) and a/(b*c) keep them, a+(b-c) and a*(b/c) do not.
std::string combine(const Term& l, char op, const Term& r) {
  const int p = precedenceOf(op);
  const bool wrapLeft = l.precedence < p;
  const bool wrapRight = r.precedence < p || (r.precedence == p && (op == '-' || op == '/'));
  return (wrapLeft ? "(" + l.expr + ")" : l.expr) + op + (wrapRight ? "(" + r.expr + ")" : r.expr);
}

struct Move {
  char op;
  bool largerFirst;
};
// Terms are kept sorted by value, so terms[i] <= terms[j]: + and * print the smaller first, as in
// "4*6"; - puts the larger first so no step goes negative. Division is tried both ways (larger
// first, then smaller first): 9 bundled puzzles need a fraction below 1, e.g. 1 5 5 5 = 5*(5-1/5).
constexpr Move kMoves[] = {{'+', false}, {'-', true}, {'*', false}, {'/', true}, {'/', false}};

// The value of move on (small, large), or nullopt when it is skipped or impossible.
std::optional<Rational> applyMove(const Move& move, const Rational& small, const Rational& large) {
  const Rational& l = move.largerFirst ? large : small;
  const Rational& r = move.largerFirst ? small : large;
  if (move.op == '/' && r == Rational(0)) return std::nullopt;
  // Equal values divide to 1 either way; keep only the larger-first spelling.
  if (move.op == '/' && !move.largerFirst && l == r) return std::nullopt;
  return Rational::tryApply(move.op, l, r);
}

// Whether a move's value is kept: it exists and, under Countdown rules (integersOnly), is whole.
bool keeps(const std::optional<Rational>& value, bool integersOnly) {
  return value && (!integersOnly || value->isInteger());
}

// Whether values can reach the target at all; lets the solver skip building the strings of dead
// branches, which would otherwise dominate its cost. Results for three or more values are
// memoised by multiset: with 5 or 6 numbers the same states recur along many step orders.
class ReachCache {
 public:
  ReachCache(const Rational& target, bool integersOnly) : target_(target), integersOnly_(integersOnly) {}

  // Order-free: each pair is sorted here; `values` is restored before returning.
  bool canReach(std::vector<Rational>& values) {
    const size_t n = values.size();
    if (n == 0) return false;
    if (n == 1) return values[0] == target_;
    std::string key;
    if (n >= 3) {
      auto sorted = values;
      std::sort(sorted.begin(), sorted.end());
      key.resize(sorted.size() * 2 * sizeof(long long));
      char* out = key.data();
      for (const auto& v : sorted) {
        const long long parts[2] = {v.num(), v.den()};
        std::memcpy(out, parts, sizeof parts);
        out += sizeof parts;
      }
      if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    }
    const bool found = search(values);
    if (n >= 3) memo_.emplace(std::move(key), found);
    return found;
  }

 private:
  bool search(std::vector<Rational>& values) {
    const size_t n = values.size();
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        const Rational vi = values[i], vj = values[j], last = values[n - 1];
        // Replace the pair by its result in place (slot i: result, slot j: the last value), then
        // restore, so the search allocates nothing.
        values[j] = last;
        values.pop_back();
        bool found = false;
        for (const Move& move : kMoves) {
          auto value = applyMove(move, std::min(vi, vj), std::max(vi, vj));
          if (!keeps(value, integersOnly_)) continue;
          values[i] = *value;
          if ((found = canReach(values))) break;
        }
        values.push_back(last);
        values[i] = vi;
        values[j] = vj;
        if (found) return true;
      }
    }
    return false;
  }

  Rational target_;
  bool integersOnly_;
  std::unordered_map<std::string, bool> memo_;
};

struct Solver {
  Rational target;
  SolveOptions options;
  ReachCache reach;
  std::vector<std::string> steps;
  std::unordered_set<std::string> seen;
  std::vector<std::string> solutions;

  Solver(const Rational& t, const SolveOptions& o) : target(t), options(o), reach(t, o.integersOnly) {}

  bool done() const { return options.limit > 0 && solutions.size() >= options.limit; }

  void search(const std::vector<Term>& terms) {
    if (terms.size() == 1) {
      if (terms[0].value != target) return;
      std::string completion;
      for (const auto& s : steps) completion += s + "\n";
      completion += "Answer: " + terms[0].expr + "=" + target.toString();
      if (seen.insert(completion).second) solutions.push_back(std::move(completion));
      return;
    }
    struct Choice {
      size_t i, j;
      const Move* move;
    };
    std::vector<Choice> choices;
    for (size_t i = 0; i < terms.size(); ++i)
      for (size_t j = i + 1; j < terms.size(); ++j)
        for (const Move& move : kMoves) choices.push_back({i, j, &move});
    if (options.rng) portableShuffle(choices, *options.rng);
    for (const Choice& c : choices) {
      if (done()) return;
      const size_t i = c.i, j = c.j;
      const Move& move = *c.move;
      const char op = move.op;
      const Term& l = move.largerFirst ? terms[j] : terms[i];
      const Term& r = move.largerFirst ? terms[i] : terms[j];
      auto value = applyMove(move, terms[i].value, terms[j].value);
      if (!keeps(value, options.integersOnly)) continue;
      // Most branches miss the target: test the values before building any strings.
      std::vector<Rational> values;
      for (size_t k = 0; k < terms.size(); ++k)
        if (k != i && k != j) values.push_back(terms[k].value);
      insertSorted(values, *value);
      if (!reach.canReach(values)) continue;
      Term made{*value, combine(l, op, r), precedenceOf(op)};
      std::vector<Term> rest;
      rest.reserve(terms.size() - 1);
      for (size_t k = 0; k < terms.size(); ++k)
        if (k != i && k != j) rest.push_back(terms[k]);
      auto at = std::upper_bound(rest.begin(), rest.end(), made.value,
                                 [](const Rational& v, const Term& t) { return v < t.value; });
      rest.insert(at, std::move(made));
      steps.push_back(formatArithmeticStep(l.value, op, r.value, *value, values));
      search(rest);
      steps.pop_back();
    }
  }
};

}  // namespace

// ---- Public functions ------------------------------------------------------------------------

std::vector<Game24Puzzle> loadGame24Csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) failInput("cannot open Game of 24 dataset '", path, "'");

  std::string line;
  if (!std::getline(in, line)) failInput(path, ":1: empty file, expected a header starting with Rank,Puzzles");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = split(line, ',');
  auto column = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < header.size(); ++i)
      if (trim(header[i]) == name) return i;
    failInput(path, ":1: header: missing column '", name, "' in '", line, "'");
  };
  const size_t rankCol = column("Rank"), puzzleCol = column("Puzzles"), rateCol = column("Solved rate");
  const size_t needed = std::max({rankCol, puzzleCol, rateCol}) + 1;

  std::vector<Game24Puzzle> puzzles;
  std::map<int, int> lineOfRank;
  for (int lineNo = 2; std::getline(in, line); ++lineNo) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const auto fields = split(line, ',');
    if (fields.size() < needed)
      failInput(path, ":", lineNo, ": expected ", header.size(), " fields, got ", fields.size());
    Game24Puzzle p;

    const std::string rankText = trim(fields[rankCol]);
    auto [rankEnd, rankEc] = std::from_chars(rankText.data(), rankText.data() + rankText.size(), p.rank);
    if (rankEc != std::errc() || rankEnd != rankText.data() + rankText.size() || p.rank < 1)
      failInput(path, ":", lineNo, ": field Rank: expected a positive integer, got '", rankText, "'");
    if (auto [it, fresh] = lineOfRank.emplace(p.rank, lineNo); !fresh)
      failInput(path, ":", lineNo, ": field Rank: duplicate rank ", p.rank, " (also on line ", it->second, ")");

    const std::string puzzleText = trim(fields[puzzleCol]);
    std::istringstream numbers(puzzleText);
    std::vector<int> values;
    bool ok = true;
    for (std::string item; numbers >> item;) {
      int v = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec != std::errc() || end != item.data() + item.size() || v < 1 || v > 13) ok = false;
      values.push_back(v);
    }
    if (!ok || values.size() != 4)
      failInput(path, ":", lineNo, ": field Puzzles: expected 4 integers in 1..13, got '", puzzleText, "'");
    std::sort(values.begin(), values.end());  // the CSV lists them ascending; make sure of it
    std::copy(values.begin(), values.end(), p.numbers.begin());

    std::string rateText = trim(fields[rateCol]);
    bool rateOk = !rateText.empty() && rateText.back() == '%';
    if (rateOk) {
      const std::string digits = rateText.substr(0, rateText.size() - 1);
      double percent = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), percent);
      rateOk = !digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
               percent >= 0 && percent <= 100;
      p.solvedRate = percent / 100.0;
    }
    if (!rateOk)
      failInput(path, ":", lineNo, ": field Solved rate: expected a percentage like 99.20%, got '",
                rateText, "'");
    puzzles.push_back(p);
  }
  if (puzzles.empty()) failInput(path, ": no puzzles after the header");
  return puzzles;
}

ArithmeticCheck checkArithmeticSteps(const std::vector<int>& numbers, const std::string& completion, int target) {
  ArithmeticCheck out;
  std::vector<std::string> stepLines;
  std::optional<std::string> answer;
  splitCompletion(completion, stepLines, answer);  // anything after the Answer line is ignored
  if (stepLines.empty() && !answer) {
    out.reason = "no steps and no Answer line";
    return out;
  }

  std::vector<Rational> available(numbers.begin(), numbers.end());
  std::sort(available.begin(), available.end());
  if (std::string error = replayLines(stepLines, available, &out.validSteps, nullptr); !error.empty()) {
    out.reason = error;
    return out;
  }
  if (!stepLines.empty()) {
    const std::string last = "step " + std::to_string(stepLines.size());
    if (available.size() != 1) {
      out.reason = last + " leaves " + std::to_string(available.size()) + " numbers, not just the target";
      return out;
    }
    if (available[0] != Rational(target)) {
      out.reason = last + " leaves " + available[0].toString() + ", not " + std::to_string(target);
      return out;
    }
  }
  if (answer) {
    if (std::string error = checkAnswer(numbers, *answer, target); !error.empty()) {
      out.reason = "Answer: " + error;
      return out;
    }
  }
  out.correct = true;
  out.reason = "correct";
  return out;
}

Game24Check checkGame24(const std::vector<int>& numbers, const std::string& completion, int target) {
  return checkArithmeticSteps(numbers, completion, target);
}

std::optional<Rational> evaluateExpression(const std::string& expression, std::vector<long long>* used,
                                           std::string* error) {
  if (used) used->clear();
  ExpressionParser parser(expression, used);
  auto value = parser.parseAll();
  if (!value && error) {
    switch (parser.status()) {
      case EvalStatus::DivisionByZero: *error = "division by zero"; break;
      case EvalStatus::Overflow: *error = "number too large"; break;
      default: *error = "cannot parse"; break;
    }
  }
  return value;
}

std::vector<std::string> solveArithmetic(const std::vector<int>& numbers, int target, const SolveOptions& options) {
  if (numbers.empty()) return {};
  std::vector<Term> terms;
  for (int n : numbers) {
    // Answer lines have no unary minus, so a negative input could not be written down.
    TB_CHECK(n >= 0, "solveArithmetic needs non-negative numbers, got ", n);
    terms.push_back({Rational(n), std::to_string(n), 3});
  }
  std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.value < b.value; });
  Solver solver(Rational(target), options);
  solver.search(terms);
  return std::move(solver.solutions);
}

std::vector<std::string> solveGame24(const std::vector<int>& numbers, int target) {
  return solveArithmetic(numbers, target);
}

bool isSolvable(const std::vector<int>& numbers, int target, bool integersOnly) {
  std::vector<Rational> values(numbers.begin(), numbers.end());
  std::sort(values.begin(), values.end());
  ReachCache reach(Rational(target), integersOnly);
  return reach.canReach(values);
}

std::string withoutAnswerLine(const std::string& completion) {
  const size_t at = completion.rfind("\nAnswer:");
  return at == std::string::npos ? completion : completion.substr(0, at);
}

std::string game24Prompt(const std::array<int, 4>& numbers) {
  return std::to_string(numbers[0]) + " " + std::to_string(numbers[1]) + " " +
         std::to_string(numbers[2]) + " " + std::to_string(numbers[3]) + "\n";
}

std::string formatArithmeticStep(const Rational& l, char op, const Rational& r, const Rational& value,
                                 const std::vector<Rational>& rest) {
  std::string step = l.toString() + op + r.toString() + "=" + value.toString() + " (left:";
  for (const auto& v : rest) {
    step += ' ';
    step += v.toString();
  }
  return step + ")";
}

std::string arithmeticPrompt(const std::vector<int>& numbers, int target) {
  return joinInts(numbers) + " -> " + std::to_string(target) + "\n";
}

// ---- Canonical solutions ---------------------------------------------------------------------

namespace {

// Fractions in parentheses, so that "8/(1/3)" and "(8/1)/3" cannot print alike.
std::string operandText(const Rational& v) { return v.isInteger() ? v.toString() : "(" + v.toString() + ")"; }

std::string canonicalStep(const StepReading& r) {
  Rational a = r.a, b = r.b;
  if ((r.op == '+' || r.op == '*') && b < a) std::swap(a, b);
  const auto value = Rational::tryApply(r.op, a, b);  // applied before, so it exists
  return operandText(a) + r.op + operandText(b) + "=" + (value ? operandText(*value) : std::string("?"));
}

}  // namespace

std::string canonicalSolution(const std::vector<int>& numbers, const std::string& completion) {
  std::vector<std::string> stepLines;
  std::optional<std::string> answer;
  splitCompletion(completion, stepLines, answer);
  std::vector<StepReading> ops;
  if (!stepLines.empty()) {
    std::vector<Rational> available(numbers.begin(), numbers.end());
    std::sort(available.begin(), available.end());
    if (!replayLines(stepLines, available, nullptr, &ops).empty()) return "";
  } else if (!answer || !answerOperations(numbers, *answer, ops)) {
    return "";
  }
  if (ops.empty()) return "";
  // The multiset of steps forgets their order, which is all that independent steps may change.
  std::vector<std::string> parts;
  for (const auto& op : ops) parts.push_back(canonicalStep(op));
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

int distinctCorrectSolutions(const std::vector<int>& numbers, const std::vector<std::string>& completions,
                             int target) {
  std::set<std::string> forms;
  for (const auto& completion : completions) {
    if (!checkArithmeticSteps(numbers, completion, target).correct) continue;
    if (std::string form = canonicalSolution(numbers, completion); !form.empty()) forms.insert(std::move(form));
  }
  return static_cast<int>(forms.size());
}

// ---- Step-level interface ----------------------------------------------------------------------

ArithmeticState replayArithmeticSteps(const std::vector<int>& numbers, const std::vector<std::string>& steps) {
  ArithmeticState state;
  state.left.assign(numbers.begin(), numbers.end());
  std::sort(state.left.begin(), state.left.end());
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string line = trim(steps[i]);
    if (answerText(line)) {
      state.answered = true;
      break;
    }
    ParsedStep step;
    std::string error = parseStep(line, step);
    if (error.empty()) error = checkStep(step, state.left);
    if (!error.empty()) {
      state.valid = false;
      state.reason = "step " + std::to_string(i + 1) + ": " + error;
      break;
    }
  }
  return state;
}

std::vector<std::string> legalArithmeticSteps(const std::vector<Rational>& left) {
  std::vector<Rational> values = left;
  std::sort(values.begin(), values.end());
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = i + 1; j < values.size(); ++j) {
      std::vector<Rational> others;
      for (size_t k = 0; k < values.size(); ++k)
        if (k != i && k != j) others.push_back(values[k]);
      for (const Move& move : kMoves) {
        const auto value = applyMove(move, values[i], values[j]);
        if (!value) continue;
        auto rest = others;
        insertSorted(rest, *value);
        const Rational& l = move.largerFirst ? values[j] : values[i];
        const Rational& r = move.largerFirst ? values[i] : values[j];
        std::string line = formatArithmeticStep(l, move.op, r, *value, rest);
        if (seen.insert(line).second) out.push_back(std::move(line));
      }
    }
  }
  return out;
}

std::string describeArithmeticState(const ArithmeticState& state) {
  if (!state.valid) return "invalid: " + state.reason;
  return "left: " + joinNumbers(state.left) + (state.answered ? " (answered)" : "");
}

}  // namespace tb
