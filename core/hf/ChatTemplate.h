#pragma once
// Chat templates of the two families the byte-level BPE tokenizers serve, written out in C++
// rather than run as Jinja (tokenizer_config.json's `chat_template` is only read to tell which
// family it is, and for ChatML the default system prompt it inserts):
//
//   ChatML (Qwen2, Qwen2.5)   <|im_start|>{role}\n{content}<|im_end|>\n ... then, with the
//                             generation prompt, <|im_start|>assistant\n. When the first message
//                             is not a system message and the template has a default system
//                             prompt ("You are a helpful assistant." in Qwen2, "You are Qwen,
//                             created by Alibaba Cloud. ..." in Qwen2.5), a system message with it
//                             comes first.
//   Llama 3 (Instruct)        <|begin_of_text|> then per message
//                             <|start_header_id|>{role}<|end_header_id|>\n\n{trim(content)}<|eot_id|>
//                             then, with the generation prompt,
//                             <|start_header_id|>assistant<|end_header_id|>\n\n.
//
// The text carries the special tokens as text: encode it with addSpecial = false (Llama 3's
// template already starts with <|begin_of_text|>). Tool calls, Qwen2.5's tools preamble and the
// Llama 3.1 template (which dates a system message) are not reproduced; the latter is refused.
#include <string>
#include <vector>

namespace tb {

class HfTokenizer;

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

enum class ChatStyle { ChatMl, Llama3 };

struct ChatTemplate {
  ChatStyle style = ChatStyle::ChatMl;
  std::string defaultSystemPrompt;     // ChatML: inserted when the first message is not "system"
  std::string bosToken;                // Llama 3: text that opens the conversation
  bool alwaysGenerationPrompt = false; // Llama 3 base templates add the prompt unconditionally

  std::string apply(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const;
};

// The template for a tokenizer: from `chat_template` in tokenizerConfigPath when that file is
// given and has one (InputError naming the file when it cannot be read or the template is neither
// family), otherwise from the special tokens in the vocabulary (<|im_start|> / <|im_end|>:
// ChatML without a default system prompt; <|start_header_id|> / <|end_header_id|> / <|eot_id|>:
// Llama 3); InputError when neither set is there.
ChatTemplate chatTemplateFor(const HfTokenizer& tokenizer, const std::string& tokenizerConfigPath = "");

// Which family a Jinja chat template is (InputError naming `origin` when neither is recognised).
ChatTemplate recognizeChatTemplate(const std::string& jinja, const std::string& origin);

// The conversation rendered with the tokenizer's template (chatTemplateFor without a config file).
std::string applyChatTemplate(const HfTokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                              bool addGenerationPrompt);

}  // namespace tb
