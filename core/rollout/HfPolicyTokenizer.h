#pragma once
// A Hugging Face checkpoint's tokenizer as the training loop's tokenizer (core/text/PolicyTokenizer.h):
// a task's prompt becomes one user turn in the model's chat template (ChatML for Qwen2.5
// Instruct, Llama 3's header format) followed by the assistant's generation prompt, or plain text
// with the tokenizer's own special tokens for base models; completions end at the model's stop
// token (the template's end of turn, else eos_token_id).
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/hf/ChatTemplate.h"
#include "core/hf/HfTokenizer.h"
#include "core/text/PolicyTokenizer.h"

namespace tb {

class HfPolicyTokenizer : public PolicyTokenizer {
 public:
  // Reads folder/tokenizer.json and, for the chat template, folder/tokenizer_config.json.
  // chat: "auto" (the template when the tokenizer has one, else plain text), "on", "off".
  // modelVocab: the model's vocab_size (>= the tokenizer's, which may be padded).
  // InputError naming the folder: no tokenizer.json, chat "on" without a template, no stop token
  // at all (completions could never end), a stop id outside the model's vocabulary.
  HfPolicyTokenizer(const std::string& folder, const std::string& chat, int modelVocab);

  std::vector<int> encodePrompt(const std::string& text) const override;
  std::vector<int> encodeCompletion(const std::string& text) const override;
  std::vector<int> encodeText(const std::string& text) const override;
  std::string decode(const std::vector<int>& ids) const override;
  // The token's text (bytes cut mid-character show as U+FFFD), "\u23ce" for each newline, "\u2423"
  // for each space, special and added tokens by their content; "<id N>" for a hole in the vocabulary.
  std::string tokenLabel(int id) const override;
  // Found once, on first use, by decoding every id (a 150k vocabulary: tens of milliseconds).
  std::vector<int> lineEndIds() const override;
  int padId() const override { return stopIds_.front(); }  // padding is masked; any id will do
  int eosId() const override { return stopIds_.front(); }
  int vocabSize() const override { return modelVocab_; }

  // Every id that ends a completion, eosId() first.
  const std::vector<int>& stopIds() const { return stopIds_; }
  bool usesChatTemplate() const { return chat_ != nullptr; }
  const HfTokenizer& tokenizer() const { return tokenizer_; }

 private:
  HfTokenizer tokenizer_;
  std::unique_ptr<ChatTemplate> chat_;
  std::vector<int> stopIds_;
  int modelVocab_ = 0;
  mutable std::once_flag lineEndsFound_;
  mutable std::vector<int> lineEnds_;
};

}  // namespace tb
