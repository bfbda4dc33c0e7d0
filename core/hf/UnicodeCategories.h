#pragma once
// The few Unicode facts the byte-level BPE pre-tokenizer needs (core/hf/SplitPattern): general
// category L* (\p{L}) and N* (\p{N}) from a table generated with Python's unicodedata
// (UnicodeCategories.inc says how), the White_Space property (\s in Oniguruma, the regex engine of
// Hugging Face `tokenizers`), and a UTF-8 decoder that keeps each code point's byte span.
#include <cstdint>
#include <string>
#include <vector>

namespace tb {

bool isUnicodeLetter(char32_t cp);      // general category Lu, Ll, Lt, Lm or Lo
bool isUnicodeNumber(char32_t cp);      // general category Nd, Nl or No
bool isUnicodeWhitespace(char32_t cp);  // property White_Space

struct CodePoint {
  char32_t value = 0;      // U+FFFD for a byte that is not part of valid UTF-8
  uint32_t begin = 0;      // byte offset in the decoded string
  uint32_t end = 0;        // one past the last byte
};

// Decodes UTF-8; every byte of an invalid or truncated sequence becomes its own U+FFFD code point
// (spanning that one byte), so the spans always tile the input.
std::vector<CodePoint> decodeUtf8(const std::string& text);

// Appends the UTF-8 encoding of cp.
void appendUtf8(std::string& out, char32_t cp);

}  // namespace tb
