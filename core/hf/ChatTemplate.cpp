#include "core/hf/ChatTemplate.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/hf/HfTokenizer.h"
#include "core/hf/UnicodeCategories.h"

namespace tb {

namespace {

// Jinja's `trim` (Python's str.strip()): Unicode whitespace off both ends.
std::string trimmed(const std::string& text) {
  const std::vector<CodePoint> cps = decodeUtf8(text);
  size_t first = 0, last = cps.size();
  while (first < last && isUnicodeWhitespace(cps[first].value)) ++first;
  while (last > first && isUnicodeWhitespace(cps[last - 1].value)) --last;
  if (first == last) return "";
  return text.substr(cps[first].begin, cps[last - 1].end - cps[first].begin);
}

// The text of a Jinja string literal's body, with \n, \t, \' , \" and \\ unescaped.
std::string unescapeJinja(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 == body.size()) {
      out += body[i];
      continue;
    }
    const char c = body[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
  }
  return out;
}

// ChatML templates that insert a default system prompt hold a literal like
// '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'; returns its prompt ("" if none).
std::string chatMlDefaultSystemPrompt(const std::string& jinja) {
  const std::string open = "<|im_start|>system";
  for (size_t at = jinja.find(open); at != std::string::npos; at = jinja.find(open, at + 1)) {
    size_t body = at + open.size();
    if (jinja.compare(body, 2, "\\n") == 0)
      body += 2;
    else if (jinja.compare(body, 1, "\n") == 0)
      body += 1;
    else
      continue;
    const size_t end = jinja.find("<|im_end|>", body);
    const size_t quote = jinja.find_first_of("'\"", body);
    if (end == std::string::npos || (quote != std::string::npos && quote < end)) continue;  // not one literal
    return unescapeJinja(jinja.substr(body, end - body));
  }
  return "";
}

}  // namespace

std::string ChatTemplate::apply(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const {
  std::string out;
  if (style == ChatStyle::ChatMl) {
    if (!defaultSystemPrompt.empty() && (messages.empty() || messages.front().role != "system")) {
      out += "<|im_start|>system\n";
      out += defaultSystemPrompt;
      out += "<|im_end|>\n";
    }
    for (const ChatMessage& m : messages) {
      out += "<|im_start|>";
      out += m.role;
      out += "\n";
      out += m.content;
      out += "<|im_end|>\n";
    }
    if (addGenerationPrompt) out += "<|im_start|>assistant\n";
    return out;
  }
  out += bosToken;
  for (const ChatMessage& m : messages) {
    out += "<|start_header_id|>";
    out += m.role;
    out += "<|end_header_id|>\n\n";
    out += trimmed(m.content);
    out += "<|eot_id|>";
  }
  if (addGenerationPrompt || alwaysGenerationPrompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

ChatTemplate recognizeChatTemplate(const std::string& jinja, const std::string& origin) {
  ChatTemplate t;
  if (jinja.find("<|start_header_id|>") != std::string::npos) {
    if (jinja.find("Cutting Knowledge Date") != std::string::npos)
      failInput(origin,
                ": chat_template is the Llama 3.1 template (it adds a dated system message), which is not "
                "supported (expected the Llama 3 Instruct or a ChatML template)");
    t.style = ChatStyle::Llama3;
    if (jinja.find("bos_token") != std::string::npos) t.bosToken = "<|begin_of_text|>";
    t.alwaysGenerationPrompt = jinja.find("add_generation_prompt") == std::string::npos;
    return t;
  }
  if (jinja.find("<|im_start|>") != std::string::npos) {
    t.style = ChatStyle::ChatMl;
    t.defaultSystemPrompt = chatMlDefaultSystemPrompt(jinja);
    return t;
  }
  failInput(origin, ": chat_template = '", jinja.substr(0, 80), jinja.size() > 80 ? "...'" : "'",
            " is neither ChatML (<|im_start|>) nor Llama 3 (<|start_header_id|>)");
}

ChatTemplate chatTemplateFor(const HfTokenizer& tokenizer, const std::string& tokenizerConfigPath) {
  if (!tokenizerConfigPath.empty()) {
    std::ifstream in(tokenizerConfigPath);
    if (!in) failInput("cannot open '", tokenizerConfigPath, "'");
    nlohmann::json config;
    try {
      config = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      failInput("'", tokenizerConfigPath, "' is not valid JSON: ", e.what());
    }
    const std::string origin = "'" + tokenizerConfigPath + "'";
    if (config.is_object() && config.contains("chat_template") && !config["chat_template"].is_null()) {
      const nlohmann::json& t = config["chat_template"];
      if (t.is_string()) return recognizeChatTemplate(t.get<std::string>(), origin);
      // A list of named templates: [{"name": "default", "template": "..."}, ...].
      if (t.is_array())
        for (const nlohmann::json& named : t)
          if (named.is_object() && named.value("name", std::string()) == "default" && named.contains("template") &&
              named["template"].is_string())
            return recognizeChatTemplate(named["template"].get<std::string>(), origin);
      failInput(origin, ": chat_template must be a string or a list with a \"default\" template");
    }
  }
  auto has = [&](const char* token) { return tokenizer.tokenToId(token) >= 0; };
  ChatTemplate t;
  if (has("<|start_header_id|>") && has("<|end_header_id|>") && has("<|eot_id|>")) {
    t.style = ChatStyle::Llama3;
    if (has("<|begin_of_text|>")) t.bosToken = "<|begin_of_text|>";
    return t;
  }
  if (has("<|im_start|>") && has("<|im_end|>")) return t;
  failInput(
      "the tokenizer has neither <|im_start|> / <|im_end|> (ChatML) nor <|start_header_id|> / "
      "<|end_header_id|> / <|eot_id|> (Llama 3), so no chat template applies");
}

std::string applyChatTemplate(const HfTokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                              bool addGenerationPrompt) {
  return chatTemplateFor(tokenizer).apply(messages, addGenerationPrompt);
}

}  // namespace tb
