// GSM8K (Cobbe et al. 2021): numbers, final-answer extraction, calculator annotations, ASCII
// mapping and the JSONL loader (see Gsm8k.h).
#include "core/tasks/Gsm8k.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/Error.h"

namespace tb {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlnum(char c) { return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string_view trimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lowerAscii(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// Digits of a numeral (no sign) and the power of ten below it: "12.50" -> 1250 / 10^2. nullopt
// when it does not fit a long long (the caller then keeps only the double).
std::optional<Rational> exactDecimal(const std::string& digits, int decimals, bool negative) {
  std::string trimmed = digits;
  trimmed.erase(0, std::min(trimmed.find_first_not_of('0'), trimmed.size()));
  if (trimmed.size() > 18 || decimals > 18) return std::nullopt;
  long long num = trimmed.empty() ? 0 : std::stoll(trimmed);
  long long den = 1;
  for (int i = 0; i < decimals; ++i) den *= 10;
  return Rational(negative ? -num : num, den);
}

// Scans a number at `pos`: [sign] [$] [sign] digits with optional thousands groups, an optional
// decimal part, and (when allowFraction and no decimals) an optional "/denominator". `allowSign`
// lets a leading '-' or '+' be part of the number. Sets *end past the number.
std::optional<NumericValue> scanNumber(std::string_view s, size_t pos, size_t* end, bool allowSign,
                                       bool allowFraction) {
  size_t i = pos;
  bool negative = false;
  auto sign = [&] {
    if (allowSign && i < s.size() && (s[i] == '-' || s[i] == '+')) {
      negative = s[i] == '-';
      ++i;
    }
  };
  sign();
  if (i < s.size() && s[i] == '$') {
    ++i;
    if (!negative) sign();
  }
  std::string digits;
  size_t run = 0;
  while (i < s.size() && isDigit(s[i])) {
    digits += s[i++];
    ++run;
  }
  // Thousands groups: ",ddd" after a run of 1-3 digits, each followed by a non-digit or another group.
  if (run >= 1 && run <= 3) {
    while (i + 3 < s.size() && s[i] == ',' && isDigit(s[i + 1]) && isDigit(s[i + 2]) && isDigit(s[i + 3]) &&
           (i + 4 >= s.size() || !isDigit(s[i + 4]))) {
      digits.append(s.substr(i + 1, 3));
      i += 4;
    }
  }
  int decimals = 0;
  if (i + 1 < s.size() && s[i] == '.' && isDigit(s[i + 1])) {
    ++i;
    while (i < s.size() && isDigit(s[i])) {
      digits += s[i++];
      ++decimals;
    }
  }
  if (digits.empty()) return std::nullopt;
  NumericValue v;
  const std::string intPart = digits.substr(0, digits.size() - static_cast<size_t>(decimals));
  const std::string decPart = digits.substr(digits.size() - static_cast<size_t>(decimals));
  v.text = std::string(negative ? "-" : "") + (intPart.empty() ? "0" : intPart) + (decimals ? "." + decPart : "");
  v.approx = std::strtod(v.text.c_str(), nullptr);
  v.exact = exactDecimal(digits, decimals, negative);
  if (allowFraction && decimals == 0 && i + 1 < s.size() && s[i] == '/' && isDigit(s[i + 1])) {
    size_t j = i + 1;
    std::string den;
    while (j < s.size() && isDigit(s[j])) den += s[j++];
    const auto d = exactDecimal(den, 0, false);
    if (d && d->num() != 0 && v.exact) {  // "3/4"; "3/0" stays the number 3
      v.exact = *v.exact->dividedBy(*d);
      v.approx = static_cast<double>(v.exact->num()) / static_cast<double>(v.exact->den());
      v.text += "/" + den;
      i = j;
    }
  }
  *end = i;
  return v;
}

std::optional<Rational> apply(char op, const std::optional<Rational>& a, const std::optional<Rational>& b) {
  if (!a || !b) return std::nullopt;
  return Rational::tryApply(op, *a, *b);
}

// Recursive descent over + - * / ( ) with unary signs and a postfix '%'.
class Evaluator {
 public:
  explicit Evaluator(std::string_view text) : s_(text) {}

  std::optional<NumericValue> run(std::string* error) {
    auto v = expression();
    skipSpace();
    if (v && pos_ < s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    if (!error_.empty()) {
      *error = error_;
      return std::nullopt;
    }
    return v;
  }

 private:
  void fail(const std::string& what) {
    if (error_.empty()) error_ = what;
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '$')) ++pos_;
  }
  NumericValue combine(char op, const NumericValue& a, const NumericValue& b) {
    NumericValue out;
    if (op == '/' && b.approx == 0 && (!b.exact || b.exact->num() == 0)) {
      fail("division by zero");
      return out;
    }
    out.exact = apply(op, a.exact, b.exact);  // nullopt once a value leaves 64-bit rationals
    switch (op) {
      case '+': out.approx = a.approx + b.approx; break;
      case '-': out.approx = a.approx - b.approx; break;
      case '*': out.approx = a.approx * b.approx; break;
      default: out.approx = a.approx / b.approx; break;
    }
    if (out.exact) out.approx = static_cast<double>(out.exact->num()) / static_cast<double>(out.exact->den());
    return out;
  }
  std::optional<NumericValue> expression() {
    auto left = term();
    while (left) {
      skipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '+' && s_[pos_] != '-')) break;
      const char op = s_[pos_++];
      auto right = term();
      if (!right) return std::nullopt;
      left = combine(op, *left, *right);
    }
    return error_.empty() ? left : std::nullopt;
  }
  std::optional<NumericValue> term() {
    auto left = factor();
    while (left) {
      skipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '*' && s_[pos_] != '/')) break;
      const char op = s_[pos_++];
      auto right = factor();
      if (!right) return std::nullopt;
      left = combine(op, *left, *right);
      if (!error_.empty()) return std::nullopt;
    }
    return left;
  }
  std::optional<NumericValue> factor() {
    skipSpace();
    if (pos_ >= s_.size()) {
      fail("expression ends early");
      return std::nullopt;
    }
    std::optional<NumericValue> v;
    if (s_[pos_] == '-' || s_[pos_] == '+') {
      const bool minus = s_[pos_++] == '-';
      v = factor();
      if (v && minus) v = combine('-', NumericValue{Rational(0), 0, "0"}, *v);
      return v;
    }
    if (s_[pos_] == '(') {
      ++pos_;
      v = expression();
      skipSpace();
      if (!v) return std::nullopt;
      if (pos_ >= s_.size() || s_[pos_] != ')') {
        fail("missing ')'");
        return std::nullopt;
      }
      ++pos_;
    } else {
      size_t end = pos_;
      v = scanNumber(s_, pos_, &end, /*allowSign=*/false, /*allowFraction=*/false);
      if (!v) {
        fail("unexpected '" + std::string(1, s_[pos_]) + "'");
        return std::nullopt;
      }
      pos_ = end;
    }
    skipSpace();
    while (pos_ < s_.size() && s_[pos_] == '%') {
      ++pos_;
      v = combine('/', *v, NumericValue{Rational(100), 100, "100"});
    }
    return v;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

// Appends the UTF-8 encoding's ASCII stand-in for code point `cp`.
void appendAscii(std::string& out, std::uint32_t cp) {
  switch (cp) {
    case 0x2018: case 0x2019: case 0x201B: case 0x2032: out += '\''; return;
    case 0x201C: case 0x201D: case 0x2033: out += '"'; return;
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212: out += '-'; return;
    case 0x00D7: out += '*'; return;
    case 0x00F7: out += '/'; return;
    case 0x00A0: case 0x2009: case 0x202F: out += ' '; return;
    case 0x200B: case 0xFEFF: return;
    case 0x20AC: out += "EUR"; return;
    case 0x00A3: out += "GBP"; return;
    case 0x00BC: out += "1/4"; return;
    case 0x00BD: out += "1/2"; return;
    case 0x00BE: out += "3/4"; return;
    case 0x2026: out += "..."; return;
    default: out += '?';
  }
}

}  // namespace

std::optional<NumericValue> parseNumber(std::string_view text) {
  std::string_view s = trimView(text);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  s = trimView(s);
  size_t end = 0;
  auto v = scanNumber(s, 0, &end, /*allowSign=*/true, /*allowFraction=*/true);
  if (!v || end != s.size()) return std::nullopt;
  return v;
}

bool sameNumber(const NumericValue& a, const NumericValue& b, double relTolerance) {
  if (a.exact && b.exact) return *a.exact == *b.exact;
  // A numeral too long for a double ("9999...") is never equal to anything.
  if (!std::isfinite(a.approx) || !std::isfinite(b.approx)) return false;
  if (a.approx == b.approx) return true;
  return std::abs(a.approx - b.approx) <= relTolerance * std::max(std::abs(a.approx), std::abs(b.approx));
}

std::string formatNumber(const NumericValue& value) {
  if (value.exact && value.exact->isInteger()) return std::to_string(value.exact->num());
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.12g", value.approx);
  return buffer;
}

std::optional<ExtractedAnswer> extractFinalAnswer(const std::string& text) {
  // A number right after a marker: spaces, ':' and '*' (markdown bold) may come between.
  auto after = [&](size_t pos) -> std::optional<NumericValue> {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == ':' || text[pos] == '*')) ++pos;
    size_t end = pos;
    return scanNumber(text, pos, &end, /*allowSign=*/true, /*allowFraction=*/true);
  };
  if (const size_t p = text.rfind("####"); p != std::string::npos)
    if (auto v = after(p + 4)) return ExtractedAnswer{*v, "####"};
  const std::string low = lowerAscii(text);
  for (const char* marker : {"the answer is", "answer:"}) {
    if (const size_t p = low.rfind(marker); p != std::string::npos)
      if (auto v = after(p + std::string(marker).size())) return ExtractedAnswer{*v, marker};
  }
  if (const size_t p = text.rfind("\\boxed{"); p != std::string::npos)
    if (auto v = after(p + 7)) return ExtractedAnswer{*v, "\\boxed"};
  // Fallback: the last number; '-' is a sign only where it cannot be a minus ("16-3" is 16, 3).
  std::optional<NumericValue> last;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const bool signHere = (c == '-' || c == '$') && (i == 0 || (!isAlnum(text[i - 1]) && text[i - 1] != ')'));
    const bool startsNumber =
        isDigit(c) || (c == '.' && i + 1 < text.size() && isDigit(text[i + 1]) && (i == 0 || !isDigit(text[i - 1])));
    if (signHere || startsNumber) {
      size_t end = i;
      if (auto v = scanNumber(text, i, &end, /*allowSign=*/signHere, /*allowFraction=*/true)) {
        last = v;
        i = end;
        continue;
      }
    }
    ++i;
  }
  if (!last) return std::nullopt;
  return ExtractedAnswer{*last, "last number"};
}

std::optional<NumericValue> evaluateArithmetic(std::string_view expression, std::string* error) {
  if (trimView(expression).empty()) {
    *error = "empty expression";
    return std::nullopt;
  }
  return Evaluator(expression).run(error);
}

int annotationCount(const std::string& text) {
  int count = 0;
  for (size_t p = text.find("<<"); p != std::string::npos; p = text.find("<<", p + 2)) ++count;
  return count;
}

AnnotationCheck checkAnnotations(const std::string& text) {
  AnnotationCheck out;
  auto wrong = [&](const std::string& what) {
    if (out.wrong++ == 0) out.firstProblem = what;
  };
  for (size_t start = text.find("<<"); start != std::string::npos; start = text.find("<<", start + 2)) {
    const int k = ++out.count;
    const std::string label = "annotation " + std::to_string(k) + " ";
    const size_t close = text.find(">>", start + 2);
    if (close == std::string::npos) {
      const size_t shown = std::min<size_t>(24, text.find('\n', start) - start);
      wrong(label + "'" + text.substr(start, shown) + "' is not closed with '>>'");
      break;
    }
    const std::string inner = text.substr(start + 2, close - start - 2);
    const std::string shown = label + "<<" + inner + ">>";
    if (std::count(inner.begin(), inner.end(), '=') != 1) {
      wrong(shown + ": expected <<expression=result>>");
      continue;
    }
    const size_t eq = inner.find('=');
    const std::string expression(trimView(std::string_view(inner).substr(0, eq)));
    const std::string resultText(trimView(std::string_view(inner).substr(eq + 1)));
    std::string error;
    const auto value = evaluateArithmetic(expression, &error);
    if (!value) {
      wrong(shown + ": cannot evaluate '" + expression + "': " + error);
      continue;
    }
    const auto result = parseNumber(resultText);
    if (!result) {
      wrong(shown + ": the result '" + resultText + "' is not a number");
      continue;
    }
    bool ok = sameNumber(*value, *result);
    // A result shown with d >= 1 decimals may be the value rounded to d decimals ("10/3=3.33").
    const size_t dot = result->text.find('.');
    if (!ok && dot != std::string::npos && result->text.find('/') == std::string::npos) {
      const int decimals = static_cast<int>(result->text.size() - dot - 1);
      ok = std::abs(value->approx - result->approx) <= 0.5 * std::pow(10.0, -decimals) * (1 + 1e-9);
    }
    if (!ok) wrong(shown + ": " + expression + " is " + formatNumber(*value) + ", not " + resultText);
    start = close;
  }
  return out;
}

std::string asciiText(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      if (c == '\t') out += ' ';
      else if (c == '\n' || (c >= 32 && c < 127)) out += static_cast<char>(c);
      else if (c != '\r') out += ' ';  // other control characters
      ++i;
      continue;
    }
    const int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    std::uint32_t cp = len == 4 ? (c & 0x07u) : len == 3 ? (c & 0x0Fu) : (c & 0x1Fu);
    bool valid = len > 1 && i + static_cast<size_t>(len) <= utf8.size();
    for (int k = 1; valid && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(utf8[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0u) != 0x80u) valid = false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (!valid) {
      out += '?';
      ++i;
      continue;
    }
    appendAscii(out, cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

Gsm8kExample parseGsm8kRecord(const nlohmann::json& record, const std::string& where) {
  if (!record.is_object()) failInput(where, ": expected a JSON object {\"question\": ..., \"answer\": ...}");
  Gsm8kExample ex;
  const auto q = record.find("question");
  if (q == record.end() || !q->is_string() || trimView(q->get<std::string>()).empty())
    failInput(where, ": field 'question': expected a non-empty string");
  ex.question = q->get<std::string>();
  const auto a = record.find("answer");
  if (a == record.end()) failInput(where, ": field 'answer': missing (expected a solution ending '#### <number>')");
  if (a->is_number()) {
    ex.solution = a->dump();
  } else if (a->is_string()) {
    ex.solution = a->get<std::string>();
  } else {
    failInput(where, ": field 'answer': expected a string, got ", a->dump());
  }
  const size_t hashes = ex.solution.rfind("####");
  const std::string final = hashes == std::string::npos ? ex.solution : ex.solution.substr(hashes + 4);
  const auto value = parseNumber(asciiText(final));
  if (!value)
    failInput(where, ": field 'answer': expected a solution ending '#### <number>' or a number, got '",
              std::string(trimView(final)), "'");
  ex.answer = *value;
  return ex;
}

std::vector<Gsm8kExample> loadGsm8kJsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) failInput("cannot open GSM8K dataset '", path, "'");
  std::vector<Gsm8kExample> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (trimView(line).empty()) continue;  // blank lines separate nothing; they are not records
    const std::string where = path + ":" + std::to_string(number);
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      failInput(where, ": malformed JSON (expected an object {\"question\": ..., \"answer\": ...}): ", e.what());
    }
    Gsm8kExample ex = parseGsm8kRecord(record, where);
    ex.line = number;
    out.push_back(std::move(ex));
  }
  if (out.empty()) failInput(path, ": no records (expected one JSON object {\"question\", \"answer\"} per line)");
  return out;
}

Gsm8kCheck checkGsm8k(const NumericValue& expected, const std::string& completion, bool requireAnnotations) {
  Gsm8kCheck out;
  auto shown = [](const std::string& number) { return number.size() <= 40 ? number : number.substr(0, 40) + "..."; };
  const auto answer = extractFinalAnswer(completion);
  if (!answer) {
    out.reason = "no number in the completion (expected a last line '#### <answer>')";
    return out;
  }
  const AnnotationCheck annotations = checkAnnotations(completion);
  const std::string source = answer->fallback()
                                 ? "no final-answer form: took the last number in the text"
                                 : "from '" + answer->form + "'";
  if (!sameNumber(answer->value, expected)) {
    out.reason = "wrong answer " + shown(answer->value.text) + " (" + source + "), expected " + expected.text;
    if (annotations.wrong) out.reason += "; " + annotations.firstProblem;
    return out;
  }
  if (annotations.wrong && requireAnnotations) {
    out.reason = "right answer " + answer->value.text + " but " + annotations.firstProblem;
    return out;
  }
  out.correct = true;
  out.reason = "correct";
  if (answer->fallback()) out.reason += " (" + source + ", " + answer->value.text + ")";
  if (annotations.wrong) out.reason += "; " + annotations.firstProblem + " (not counted: task.check_annotations is off)";
  return out;
}

}  // namespace tb
