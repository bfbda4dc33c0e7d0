#pragma once
// Hugging Face `tokenizer.json` tokenizers of the byte-level BPE kind that GPT-2, Qwen2 / Qwen2.5
// and Llama 3 ship (torch-free). Encoding runs the pipeline of the `tokenizers` library:
//
//   1. added tokens (special or not) are cut out of the text first, as whole strings, leftmost
//      and longest first, and become their own ids;
//   2. normalizer: none, or NFC (taken as the identity: text is expected to be NFC already);
//   3. pre-tokenizer: the text between added tokens is split by one of the known patterns
//      (core/hf/SplitPattern: Sequence[Split(Qwen2 | Llama 3 pattern, Isolated), ByteLevel] or
//      ByteLevel(use_regex = true) with the GPT-2 pattern), and each piece's UTF-8 bytes are
//      mapped to the 256 printable characters of GPT-2's bytes_to_unicode;
//   4. model BPE: a piece starts as one symbol per byte and the adjacent pair with the lowest
//      merge rank is merged, again and again, until no pair has a rank (Sennrich et al. 2016,
//      "Neural Machine Translation of Rare Words with Subword Units"); with ignore_merges (Llama 3)
//      a piece found whole in the vocabulary is one token without merging;
//   5. post-processor (only when special tokens are asked for): none, ByteLevel (no effect on
//      ids), TemplateProcessing's `single` template (e.g. Llama 3's <|begin_of_text|> $A), or a
//      Sequence of those.
//
// Decoding maps ids back to tokens (added tokens to their text), drops special ones on request,
// and the ByteLevel decoder turns the characters back into bytes, read as UTF-8 with U+FFFD for
// each maximal invalid subsequence. Everything else in tokenizer.json is refused on load with an
// InputError naming the file, the field and the value. encode() and decode() may be called from
// several threads at once (the per-word BPE cache has a mutex).
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/hf/SplitPattern.h"

namespace tb {

struct HfAddedToken {
  int id = 0;
  std::string content;
  bool special = false;
};

class HfTokenizer {
 public:
  // Reads tokenizer.json. InputError naming the file when it cannot be read, is not JSON, or uses
  // a component or setting this tokenizer does not implement.
  explicit HfTokenizer(const std::string& tokenizerJsonPath);
  // From parsed JSON; `origin` names it in error messages.
  HfTokenizer(const nlohmann::json& json, const std::string& origin);
  HfTokenizer(HfTokenizer&&) noexcept;
  HfTokenizer& operator=(HfTokenizer&&) noexcept;
  ~HfTokenizer();

  // Token ids of UTF-8 text; addSpecial applies the post-processor's template (as the
  // `add_special_tokens` argument of `tokenizers`, true there by default).
  std::vector<int> encode(const std::string& text, bool addSpecial = true) const;
  // UTF-8 text of the ids; skipSpecial drops special added tokens. Ids outside the vocabulary are
  // skipped.
  std::string decode(const std::vector<int>& ids, bool skipSpecial = false) const;

  int tokenToId(const std::string& token) const;  // -1 when unknown (added tokens included)
  std::string idToToken(int id) const;            // "" when unknown
  // One past the largest id of the vocabulary and the added tokens (the rows an embedding needs).
  int vocabSize() const { return static_cast<int>(idToToken_.size()); }
  bool isSpecial(int id) const;
  const std::vector<HfAddedToken>& addedTokens() const { return added_; }
  SplitPattern splitPattern() const { return pattern_; }
  bool ignoreMerges() const { return ignoreMerges_; }
  size_t mergeCount() const { return merges_.size(); }

 private:
  struct Merge {
    int rank;
    int id;
  };
  struct WordCache;
  struct TemplatePiece {
    bool sequence = false;  // $A: the encoded text
    std::vector<int> ids;   // a special token's ids
  };

  void encodePiece(const std::string& piece, std::vector<int>& out) const;
  std::vector<int> bpe(const std::string& piece) const;

  std::string origin_;
  SplitPattern pattern_ = SplitPattern::Qwen2;
  bool ignoreMerges_ = false;
  int unkId_ = -1;
  bool fuseUnk_ = false;
  std::unordered_map<std::string, int> vocab_;      // model.vocab
  std::vector<std::string> idToToken_;              // vocab and added tokens by id ("" for holes)
  std::unordered_map<uint64_t, Merge> merges_;      // (left id << 32 | right id) -> rank, merged id
  std::vector<HfAddedToken> added_;
  std::unordered_map<std::string, int> addedByContent_;
  std::vector<std::vector<int>> addedByFirstByte_;  // indices into added_, longest first
  std::vector<char> special_;                       // by id
  int byteId_[256];                                 // vocab id of each byte's character, -1 if none
  std::vector<TemplatePiece> template_;             // post-processor `single` (empty: none)
  std::unique_ptr<WordCache> cache_;
};

}  // namespace tb
