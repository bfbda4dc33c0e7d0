#pragma once
// The tokenizer as the training loop sees it: prompts in, completions out, in the ids of the
// policy's vocabulary. Two implementations: CharTokenizer (the built-in policy's task alphabet)
// and HfPolicyTokenizer (a Hugging Face tokenizer.json, prompts in the model's chat template).
#include <string>
#include <vector>

namespace tb {

class PolicyTokenizer {
 public:
  virtual ~PolicyTokenizer() = default;
  // A problem's prompt as the model reads it (<bos> + text, or a rendered user turn).
  virtual std::vector<int> encodePrompt(const std::string& text) const = 0;
  // Text followed by the end-of-completion id (supervised targets, demonstrations).
  virtual std::vector<int> encodeCompletion(const std::string& text) const = 0;
  // Text alone, no special ids (a reasoning step, a prefix placed after the prompt).
  virtual std::vector<int> encodeText(const std::string& text) const = 0;
  // Text of generated ids up to the end-of-completion id, special ids dropped.
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  // One token as the attention view shows it: its text with "\u23ce" for a newline and "\u2423" for
  // a space, special tokens by name (<bos>, <|im_start|>).
  virtual std::string tokenLabel(int id) const = 0;
  // The ids whose text holds a newline: sampling a reasoning step stops at any of them (one id for
  // the character tokenizer; every "\n", ".\n", "\n\n", ... piece of a BPE vocabulary).
  virtual std::vector<int> lineEndIds() const = 0;
  virtual int padId() const = 0;
  // The id that ends a completion (the sampler's eos).
  virtual int eosId() const = 0;
  virtual int vocabSize() const = 0;
};

}  // namespace tb
