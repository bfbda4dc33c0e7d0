#include "core/hf/SplitPattern.h"

#include "core/hf/UnicodeCategories.h"

namespace tb {

namespace {

const std::string kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const std::string kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const std::string kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

class Matcher {
 public:
  Matcher(SplitPattern pattern, const std::vector<CodePoint>& cps) : pattern_(pattern), cps_(cps) {}

  // End (in code points) of the match that starts at i; always > i.
  size_t matchAt(size_t i) const {
    size_t end = 0;
    if ((end = contraction(i))) return end;
    if ((end = letters(i))) return end;
    if ((end = numbers(i))) return end;
    if ((end = punctuation(i))) return end;
    if (pattern_ != SplitPattern::Gpt2 && (end = whitespaceThroughNewline(i))) return end;
    if ((end = whitespaceNotBeforeText(i))) return end;
    return whitespaceRun(i);  // \s+; the alternatives above leave only whitespace here
  }

 private:
  char32_t at(size_t i) const { return i < cps_.size() ? cps_[i].value : 0; }
  bool has(size_t i) const { return i < cps_.size(); }
  bool letter(size_t i) const { return has(i) && isUnicodeLetter(at(i)); }
  bool number(size_t i) const { return has(i) && isUnicodeNumber(at(i)); }
  bool space(size_t i) const { return has(i) && isUnicodeWhitespace(at(i)); }
  bool newline(size_t i) const { return has(i) && (at(i) == '\r' || at(i) == '\n'); }
  // [^\s\p{L}\p{N}]
  bool other(size_t i) const { return has(i) && !space(i) && !letter(i) && !number(i); }

  template <typename Pred>
  size_t runEnd(size_t i, Pred pred) const {
    while (pred(i)) ++i;
    return i;
  }

  // Compares the code point at i with an ASCII lower-case letter; (?i:...) in Qwen2 / Llama 3
  // folds case (Unicode simple folding: U+017F LONG S folds to 's').
  bool is(size_t i, char lower) const {
    if (!has(i)) return false;
    const char32_t c = at(i);
    if (c == static_cast<char32_t>(lower)) return true;
    if (pattern_ == SplitPattern::Gpt2) return false;
    return c == static_cast<char32_t>(lower - 'a' + 'A') || (lower == 's' && c == 0x17F);
  }

  // 's|'t|'re|'ve|'m|'ll|'d
  size_t contraction(size_t i) const {
    if (at(i) != '\'') return 0;
    if (is(i + 1, 's') || is(i + 1, 't')) return i + 2;
    if ((is(i + 1, 'r') || is(i + 1, 'v')) && is(i + 2, 'e')) return i + 3;
    if (is(i + 1, 'm')) return i + 2;
    if (is(i + 1, 'l') && is(i + 2, 'l')) return i + 3;
    if (is(i + 1, 'd')) return i + 2;
    return 0;
  }

  // GPT-2: ` ?\p{L}+`. Qwen2 / Llama 3: `[^\r\n\p{L}\p{N}]?\p{L}+`. The optional prefix is taken
  // when a letter follows it, otherwise the match must start with a letter.
  size_t letters(size_t i) const {
    auto isLetter = [this](size_t k) { return letter(k); };
    const bool prefix =
        pattern_ == SplitPattern::Gpt2 ? at(i) == ' ' && has(i) : has(i) && !newline(i) && !letter(i) && !number(i);
    if (prefix && letter(i + 1)) return runEnd(i + 1, isLetter);
    if (letter(i)) return runEnd(i, isLetter);
    return 0;
  }

  // GPT-2: ` ?\p{N}+`. Qwen2: `\p{N}`. Llama 3: `\p{N}{1,3}`.
  size_t numbers(size_t i) const {
    switch (pattern_) {
      case SplitPattern::Gpt2: {
        auto isNumber = [this](size_t k) { return number(k); };
        if (at(i) == ' ' && number(i + 1)) return runEnd(i + 1, isNumber);
        return number(i) ? runEnd(i, isNumber) : 0;
      }
      case SplitPattern::Qwen2: return number(i) ? i + 1 : 0;
      case SplitPattern::Llama3: {
        size_t k = i;
        while (k < i + 3 && number(k)) ++k;
        return k > i ? k : 0;
      }
    }
    return 0;
  }

  // ` ?[^\s\p{L}\p{N}]+`, followed by `[\r\n]*` in Qwen2 / Llama 3. The space is taken only when
  // such a character follows it (a space is itself \s, so it cannot start the run).
  size_t punctuation(size_t i) const {
    auto isOther = [this](size_t k) { return other(k); };
    size_t end = 0;
    if (at(i) == ' ' && other(i + 1))
      end = runEnd(i + 1, isOther);
    else if (other(i))
      end = runEnd(i, isOther);
    else
      return 0;
    if (pattern_ != SplitPattern::Gpt2) end = runEnd(end, [this](size_t k) { return newline(k); });
    return end;
  }

  // `\s*[\r\n]+`: \s* takes the whole whitespace run, then gives characters back until
  // [\r\n]+ can match; the match therefore ends after the run's last \r or \n.
  size_t whitespaceThroughNewline(size_t i) const {
    const size_t end = runEnd(i, [this](size_t k) { return space(k); });
    for (size_t k = end; k > i; --k)
      if (newline(k - 1)) return k;
    return 0;
  }

  // `\s+(?!\S)`: the whole whitespace run when it ends the text; otherwise the run less its last
  // character (which is whitespace, so the lookahead holds there), if that leaves at least one.
  size_t whitespaceNotBeforeText(size_t i) const {
    const size_t end = runEnd(i, [this](size_t k) { return space(k); });
    if (end == i) return 0;
    if (end == cps_.size()) return end;
    return end - i >= 2 ? end - 1 : 0;
  }

  size_t whitespaceRun(size_t i) const {
    const size_t end = runEnd(i, [this](size_t k) { return space(k); });
    return end > i ? end : i + 1;  // unreachable fallback: a lone code point is its own piece
  }

  SplitPattern pattern_;
  const std::vector<CodePoint>& cps_;
};

}  // namespace

const std::string& splitPatternText(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::Gpt2: return kGpt2;
    case SplitPattern::Qwen2: return kQwen2;
    case SplitPattern::Llama3: return kLlama3;
  }
  return kGpt2;
}

const char* splitPatternName(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::Gpt2: return "GPT-2";
    case SplitPattern::Qwen2: return "Qwen2";
    case SplitPattern::Llama3: return "Llama 3";
  }
  return "?";
}

std::optional<SplitPattern> recognizeSplitPattern(const std::string& regex) {
  for (SplitPattern p : {SplitPattern::Gpt2, SplitPattern::Qwen2, SplitPattern::Llama3})
    if (regex == splitPatternText(p)) return p;
  return std::nullopt;
}

std::vector<std::pair<size_t, size_t>> splitByPattern(SplitPattern pattern, const std::string& text) {
  const std::vector<CodePoint> cps = decodeUtf8(text);
  const Matcher matcher(pattern, cps);
  std::vector<std::pair<size_t, size_t>> pieces;
  for (size_t i = 0; i < cps.size();) {
    const size_t end = matcher.matchAt(i);
    pieces.emplace_back(cps[i].begin, cps[end - 1].end);
    i = end;
  }
  return pieces;
}

}  // namespace tb
