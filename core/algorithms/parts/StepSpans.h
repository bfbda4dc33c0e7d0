#pragma once
// Steps of a completion as token spans. The built-in tokenizer is character-level, so character i
// of the completion is completion token i; a step is one line and owns its '\n'; the final <eos>
// belongs to the last step. Blank lines join the step before them (leading ones the first step).
#include <string>
#include <utility>
#include <vector>

namespace tb {

struct StepSpan {
  int begin = 0, end = 0;  // token range [begin, end)
  std::string text;        // the line, without '\n'
};

inline std::vector<StepSpan> stepSpans(const std::string& completion, int length) {
  std::vector<StepSpan> out;
  int start = 0;
  for (int i = 0; i <= static_cast<int>(completion.size()); ++i) {
    const bool lineEnd = i == static_cast<int>(completion.size()) || completion[i] == '\n';
    if (!lineEnd) continue;
    std::string text = completion.substr(start, i - start);
    const bool blank = text.find_first_not_of(" \t\r") == std::string::npos;
    const int end = std::min(length, i + 1);
    if (blank && !out.empty()) out.back().end = std::max(out.back().end, end);
    else if (!blank) out.push_back({start, end, text});
    start = i + 1;
  }
  if (out.empty()) out.push_back({0, length, completion});
  out.front().begin = 0;    // leading blank lines join the first step
  out.back().end = length;  // <eos> (and any trailing blank) with the last step
  return out;
}

}  // namespace tb
