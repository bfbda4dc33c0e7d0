#pragma once
// Character-level tokenizer for the small built-in policies: ids 0..2 are <pad>, <bos>, <eos>,
// then one id per character of the task's alphabet (sorted, unique). Characters outside the
// alphabet are an InputError when encoding prompts; generated ids always decode.
#include <cstdint>
#include <string>
#include <vector>

#include "core/text/PolicyTokenizer.h"

namespace tb {

class CharTokenizer : public PolicyTokenizer {
 public:
  static constexpr int kPad = 0;
  static constexpr int kBos = 1;
  static constexpr int kEos = 2;
  static constexpr int kFirstChar = 3;

  explicit CharTokenizer(const std::string& alphabet);

  int vocabSize() const override { return kFirstChar + static_cast<int>(chars_.size()); }
  const std::string& alphabet() const { return chars_; }
  // <bos> followed by the characters of `text`.
  std::vector<int> encodePrompt(const std::string& text) const override;
  // Characters of `text` followed by <eos> (supervised targets).
  std::vector<int> encodeCompletion(const std::string& text) const override;
  // Characters of `text` only (a reasoning step and its '\n', a prefix after the prompt).
  std::vector<int> encodeText(const std::string& text) const override;
  // The id of one character (InputError when it is not in the alphabet).
  int idOf(char c) const;
  // Text of ids up to the first <eos>; <pad>/<bos> are skipped.
  std::string decode(const std::vector<int>& ids) const override;
  std::string decode(const int64_t* ids, int count) const;
  std::string tokenLabel(int id) const override;
  std::vector<int> lineEndIds() const override;
  int padId() const override { return kPad; }
  int eosId() const override { return kEos; }

 private:
  std::string chars_;
  int lookup_[256];
};

}  // namespace tb
