#pragma once
// The pre-tokenizer split patterns of byte-level BPE tokenizers, matched by hand instead of by a
// regex engine (std::regex has no \p{L}): exactly three patterns are known, recognised by their
// text, and any other pattern is refused by the caller.
//
//   GPT-2   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//           (ByteLevel with use_regex = true)
//   Qwen2   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//           \s*[\r\n]+|\s+(?!\S)|\s+            (Qwen2, Qwen2.5: digits one by one)
//   Llama 3 the Qwen2 pattern with \p{N}{1,3}  (digits in groups of up to three)
//
// Splitting follows `Split(pattern, behavior = Isolated)`: the text is cut at every match of the
// pattern, leftmost first, each alternative tried in order with the backtracking an Oniguruma /
// ECMAScript engine would do (worked out per alternative in SplitPattern.cpp). Every code point
// is matched by some alternative, so the pieces tile the text. \s is the White_Space property,
// \p{L} / \p{N} the general categories L* / N* (core/hf/UnicodeCategories).
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tb {

enum class SplitPattern { Gpt2, Qwen2, Llama3 };

// The pattern's text exactly as tokenizer.json holds it (after JSON unescaping).
const std::string& splitPatternText(SplitPattern pattern);
const char* splitPatternName(SplitPattern pattern);  // "GPT-2", "Qwen2", "Llama 3"
std::optional<SplitPattern> recognizeSplitPattern(const std::string& regex);

// The pieces of `text` as [begin, end) byte offsets, in order, covering all of it.
std::vector<std::pair<size_t, size_t>> splitByPattern(SplitPattern pattern, const std::string& text);

}  // namespace tb
