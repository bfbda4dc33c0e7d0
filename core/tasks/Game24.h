#pragma once
// Game of 24 (Yao et al. 2023, Tree of Thoughts; Flow of Reasoning, Yu et al. 2024): combine four
// numbers with + - * / into 24, each number used exactly once. Data: the 1362 puzzles of
// resources/datasets/game24/24.csv ranked by human solve time (rank = difficulty).
//
// Completion format (one step per line, then an optional final expression):
//   13-9=4 (left: 4 4 10)
//   10-4=6 (left: 4 6)
//   4*6=24 (left: 24)
//   Answer: (13-9)*(10-4)=24
// Spaces around operators are optional; numbers may be fractions "p/q"; the "left:" list may be
// in any order. Verification is exact (rational arithmetic).
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

// Verifies a completion for `numbers` reaching `target` exactly: every step must use two numbers
// still available, compute exactly, and list the remaining numbers; the last step must leave only
// the target. An "Answer:" line, when present, must use each input number exactly once and equal
// the target. A completion with only an Answer line and no steps is judged by the answer alone.
Game24Check checkGame24(const std::vector<int>& numbers, const std::string& completion,
                        int target = 24);

// Evaluates an arithmetic expression over integers with + - * / and parentheses exactly.
// Returns nullopt on syntax errors or division by zero; fills `used` with the literals in order.
std::optional<Rational> evaluateExpression(const std::string& expression, std::vector<long long>* used);

// Every solution as a completion in the format above (steps + Answer line). Steps put the larger
// operand first for -, so no step yields a negative number; division is tried both ways because
// some puzzles need a fraction below 1 (1 5 5 5 = 5*(5-1/5)). Empty when unsolvable.
// Deterministic order (depth-first over pairs in ascending order, ops + - * /). Numbers must be
// non-negative (InternalError otherwise): Answer lines have no unary minus.
std::vector<std::string> solveGame24(const std::vector<int>& numbers, int target = 24);

// "4 9 10 13\n": the prompt for a puzzle.
std::string game24Prompt(const std::array<int, 4>& numbers);

}  // namespace tb
