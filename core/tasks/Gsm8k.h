#pragma once
// GSM8K (Cobbe et al., 2021, "Training Verifiers to Solve Math Word Problems"): grade-school math
// word problems whose reference solutions carry calculator annotations "<<a*b=c>>" and end with
// "#### <answer>". This file holds the loader of the JSONL data, the extraction of a final answer
// from a model's text, exact numeric comparison, the checker of calculator annotations and the
// mapping of the data's few typographic characters to ASCII.
//
// Completion format (the reference solutions' own): reasoning lines, optionally with annotations
// "<<48/2=24>>", and a last line "#### 72". Answers are also read from "The answer is 72.",
// "Answer: 72" or "\boxed{72}"; failing those, the last number in the text is taken and the
// verdict's reason says so.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tasks/Rational.h"

namespace tb {

// A number as written: exact when it fits a 64-bit rational, always as a double.
struct NumericValue {
  std::optional<Rational> exact;
  double approx = 0;
  std::string text;  // as written, without '$' and thousands commas: "1234", "-5", "3/4", "2.50"
};

// Parses a whole string as one number: "1,234", "-5", "$2.50", "-$3", "3/4", ".5", "12%" (the
// '%' is dropped: "12%" is 12). Surrounding spaces and a final '.' are allowed; nullopt otherwise.
std::optional<NumericValue> parseNumber(std::string_view text);
// Equal as exact rationals when both are exact, else within `relTolerance` relative difference.
bool sameNumber(const NumericValue& a, const NumericValue& b, double relTolerance = 1e-9);
// "27", "4.8", "-3/4" for reasons.
std::string formatNumber(const NumericValue& value);

struct ExtractedAnswer {
  NumericValue value;
  // Where it came from: "####", "the answer is", "answer:", "\\boxed", or "last number" (fallback).
  std::string form;
  bool fallback() const { return form == "last number"; }
};
// The final answer of a completion: the number after the last "####", else after the last "The
// answer is" / "Answer:" (any case), else inside the last "\boxed{...}", else the last number in
// the text. nullopt when the text holds no number.
std::optional<ExtractedAnswer> extractFinalAnswer(const std::string& text);

// Evaluates + - * / with parentheses, unary signs, decimals ("1.5", ".5"), thousands commas and
// a postfix '%' (divides by 100). Exact while the rationals fit in 64 bits, then in doubles.
// nullopt with `error` set on a syntax error or a division by zero.
std::optional<NumericValue> evaluateArithmetic(std::string_view expression, std::string* error);

struct AnnotationCheck {
  int count = 0;  // annotations found
  int wrong = 0;  // malformed ones and ones whose expression does not give their result
  // The first wrong one: "annotation 2 <<9*3=18>>: 9*3 is 27, not 18"; "" when all check.
  std::string firstProblem;
};
// Checks every "<<expression=result>>" of a text: the expression must evaluate to the result
// exactly (1e-9 relative when a value leaves 64-bit rationals), or the result must be the value
// rounded to the result's own number of decimals when it shows at least one ("<<10/3=3.33>>").
AnnotationCheck checkAnnotations(const std::string& text);
// Number of "<<...>>" annotations in a text.
int annotationCount(const std::string& text);

// Typographic Unicode of the data to ASCII ("’" -> "'", "–" -> "-", "×" -> "*", "÷" -> "/",
// "€" -> "EUR", "¾" -> "3/4", non-breaking space -> space, tab -> space, zero-width space and
// '\r' dropped); any other non-ASCII character becomes '?'. Character-level policies cover
// printable ASCII and '\n' only.
std::string asciiText(const std::string& utf8);

struct Gsm8kExample {
  int line = 0;           // 1-based line in the file
  std::string question;   // as in the file
  std::string solution;   // the reference "answer" field, with annotations and "#### n"
  NumericValue answer;    // the number after "####"
};
// One record {question, answer}; `where` prefixes errors ("test.jsonl:12"). The answer is a
// solution ending "#### n" or, for a user's record, the number alone.
Gsm8kExample parseGsm8kRecord(const nlohmann::json& record, const std::string& where);
// Loads a GSM8K JSONL file; throws InputError naming the file, the line and what was expected.
std::vector<Gsm8kExample> loadGsm8kJsonl(const std::string& path);

struct Gsm8kCheck {
  bool correct = false;
  std::string reason;  // "correct", "wrong answer 17 (from '####'), expected 18", ...
};
// Verifies a completion against the expected number; with `requireAnnotations` a wrong
// calculator annotation makes the completion incorrect (else it is only mentioned).
Gsm8kCheck checkGsm8k(const NumericValue& expected, const std::string& completion, bool requireAnnotations);

}  // namespace tb
