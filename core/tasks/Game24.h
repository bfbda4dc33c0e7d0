#pragma once
// Game of 24 (Yao et al. 2023, Tree of Thoughts; Flow of Reasoning, Yu et al. 2024) and its
// generalisation to N numbers and any target (Countdown as in TinyZero, Pan et al. 2025; Stream of
// Search, Gandhi et al. 2024): combine the numbers with + - * / into the target, each number used
// exactly once. Data: the 1362 puzzles of resources/datasets/game24/24.csv ranked by human solve
// time (rank = difficulty).
//
// Completion format (one step per line, then an optional final expression):
//   13-9=4 (left: 4 4 10)
//   10-4=6 (left: 4 6)
//   4*6=24 (left: 24)
//   Answer: (13-9)*(10-4)=24
// Spaces around operators are optional; numbers may be fractions "p/q"; the "left:" list may be
// in any order. Verification is exact (rational arithmetic). The same format, checker, solver and
// step-level helpers serve every arithmetic-step task (game24, countdown).
#include <array>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/tasks/Rational.h"

namespace tb {

struct Game24Puzzle {
  int rank = 0;                   // 1 = solved fastest by humans
  std::array<int, 4> numbers{};   // ascending, as in the CSV
  double solvedRate = 0;          // fraction of humans who solved it
};

// Parses 24.csv (header "Rank,Puzzles,..."); throws InputError naming the file, line and field.
std::vector<Game24Puzzle> loadGame24Csv(const std::string& path);

struct Game24Check {
  bool correct = false;
  int validSteps = 0;     // steps that were well-formed, legal and arithmetically right
  std::string reason;     // one line, e.g. "step 2: 10-4 is 6, not 5"; "correct" when correct
};

using ArithmeticCheck = Game24Check;

// Verifies a completion for `numbers` (any count) reaching `target` exactly: every step must use
// two numbers still available, compute exactly, and list the remaining numbers; the last step must
// leave only the target. An "Answer:" line, when present, must use each input number exactly once
// and equal the target. A completion with only an Answer line and no steps is judged by the answer
// alone. Never throws on untrusted text.
ArithmeticCheck checkArithmeticSteps(const std::vector<int>& numbers, const std::string& completion,
                                     int target);
// The same for the Game of 24 (kept for existing callers).
Game24Check checkGame24(const std::vector<int>& numbers, const std::string& completion,
                        int target = 24);

// Evaluates an arithmetic expression over integers with + - * / and parentheses exactly.
// Returns nullopt on syntax errors or division by zero, and then sets `error` (when given) to
// "division by zero", "number too large" or "cannot parse"; fills `used` with the literals in order.
std::optional<Rational> evaluateExpression(const std::string& expression, std::vector<long long>* used,
                                           std::string* error = nullptr);

struct SolveOptions {
  size_t limit = 0;            // stop after this many solutions; 0 = all of them
  bool integersOnly = false;   // every intermediate value a non-negative integer (Countdown rules)
  std::mt19937_64* rng = nullptr;  // shuffles the order of pairs and operations (varied demonstrations)
};

// Solutions as completions in the format above (steps + Answer line). Steps put the larger
// operand first for -, so no step yields a negative number; division is tried both ways because
// some puzzles need a fraction below 1 (1 5 5 5 = 5*(5-1/5)). Empty when unsolvable. Without an
// rng the order is deterministic (depth-first over pairs in ascending order, ops + - * /).
// Exhaustive, with dead states memoised so that 6 numbers stay fast. Numbers must be
// non-negative (InternalError otherwise): Answer lines have no unary minus.
std::vector<std::string> solveArithmetic(const std::vector<int>& numbers, int target,
                                         const SolveOptions& options = {});
// Every solution for the Game of 24 (solveArithmetic with no limit).
std::vector<std::string> solveGame24(const std::vector<int>& numbers, int target = 24);
// Whether any solution exists (no strings are built).
bool isSolvable(const std::vector<int>& numbers, int target, bool integersOnly = false);

// A completion without its "Answer:" line (the steps alone are a complete solution).
std::string withoutAnswerLine(const std::string& completion);

// "4 9 10 13\n": the prompt for a puzzle.
std::string game24Prompt(const std::array<int, 4>& numbers);
// "13-9=4 (left: 4 4 10)": one step line as the solver writes it (`rest` ascending).
std::string formatArithmeticStep(const Rational& l, char op, const Rational& r, const Rational& value,
                                 const std::vector<Rational>& rest);
// "3 7 25 50 -> 107\n": the prompt when the target must be stated (countdown, game24 variants).
std::string arithmeticPrompt(const std::vector<int>& numbers, int target);

// ---- Canonical solutions (FoR's "distinct solutions", ALGORITHMS.md "Shared parts") -------------

// The canonical form of the steps of a completion: its steps as applied, each with the operands of
// + and * in ascending order, sorted and joined by "; " (e.g. "10-4=6; 13-9=4; 4*6=24"). Solutions
// that differ only in the order of independent steps or in the order of the operands of + and *
// map to the same string; steps are value equations, so two equal values are interchangeable. An
// Answer-only completion is read as the steps of its expression. "" when a step is invalid or
// there are no steps.
std::string canonicalSolution(const std::vector<int>& numbers, const std::string& completion);
// How many distinct canonical forms the correct completions among `completions` have.
int distinctCorrectSolutions(const std::vector<int>& numbers, const std::vector<std::string>& completions,
                             int target = 24);

// ---- Step-level interface shared by the arithmetic-step tasks -----------------------------------

struct ArithmeticState {
  bool valid = true;                // every step so far was legal and right
  bool answered = false;            // an "Answer:" line ended the completion
  std::vector<Rational> left;       // remaining numbers, ascending (before the first invalid step)
  std::string reason;               // why a step was invalid ("step 2: ..."), else ""
};

// Replays the steps (completion lines) from the numbers.
ArithmeticState replayArithmeticSteps(const std::vector<int>& numbers, const std::vector<std::string>& steps);
// Every distinct step line applicable to `left`, in the solver's format: pairs x ops, the larger
// operand first for -, both orders for / when they differ, no division by zero.
std::vector<std::string> legalArithmeticSteps(const std::vector<Rational>& left);
// "left: 4 6" (or "invalid: step 2: ..." / "answered, left: 24").
std::string describeArithmeticState(const ArithmeticState& state);

}  // namespace tb
