// HfPolicyTokenizer: tokenizer.json + chat template + stop ids of a checkpoint folder.
#include "core/rollout/HfPolicyTokenizer.h"

#include <algorithm>
#include <filesystem>

#include "core/Error.h"
#include "core/rollout/HfGeneration.h"

namespace tb {

namespace {

HfTokenizer readTokenizer(const std::string& folder) {
  const auto path = std::filesystem::path(folder) / "tokenizer.json";
  if (!std::filesystem::exists(path))
    failInput("model.hf_path '", folder, "' has no tokenizer.json (the policy's tokenizer is read from it)");
  return HfTokenizer(path.string());
}

}  // namespace

HfPolicyTokenizer::HfPolicyTokenizer(const std::string& folder, const std::string& chat, int modelVocab)
    : tokenizer_(readTokenizer(folder)), modelVocab_(modelVocab) {
  if (chat != "auto" && chat != "on" && chat != "off")
    failInput("model.hf_chat = '", chat, "': expected auto, on or off");
  if (chat != "off") {
    const auto config = std::filesystem::path(folder) / "tokenizer_config.json";
    try {
      chat_ = std::make_unique<ChatTemplate>(
          chatTemplateFor(tokenizer_, std::filesystem::exists(config) ? config.string() : ""));
    } catch (const InputError& e) {
      if (chat == "on") failInput("model.hf_chat = on: ", e.what());
    }
  }
  stopIds_ = hfStopTokenIds(folder, tokenizer_, chat_.get());
  if (stopIds_.empty())
    failInput("model.hf_path '", folder, "': no end-of-sequence token (eos_token_id in generation_config.json or "
              "config.json) and no chat template, so a completion could never end");
  for (int id : stopIds_)
    if (id >= modelVocab_)
      failInput("model.hf_path '", folder, "': stop token id ", id, " is outside the model's vocabulary of ",
                modelVocab_);
}

std::vector<int> HfPolicyTokenizer::encodePrompt(const std::string& text) const {
  if (chat_) return tokenizer_.encode(chat_->apply({{"user", text}}, /*addGenerationPrompt=*/true), false);
  return tokenizer_.encode(text, /*addSpecial=*/true);
}

std::vector<int> HfPolicyTokenizer::encodeCompletion(const std::string& text) const {
  auto ids = tokenizer_.encode(text, /*addSpecial=*/false);
  ids.push_back(eosId());
  return ids;
}

std::vector<int> HfPolicyTokenizer::encodeText(const std::string& text) const {
  return tokenizer_.encode(text, /*addSpecial=*/false);
}

std::string HfPolicyTokenizer::decode(const std::vector<int>& ids) const {
  auto end = std::find_if(ids.begin(), ids.end(), [&](int id) {
    return std::find(stopIds_.begin(), stopIds_.end(), id) != stopIds_.end();
  });
  return tokenizer_.decode(std::vector<int>(ids.begin(), end), /*skipSpecial=*/true);
}

std::vector<int> HfPolicyTokenizer::lineEndIds() const {
  std::call_once(lineEndsFound_, [this] {
    for (int id = 0; id < tokenizer_.vocabSize(); ++id)
      if (!tokenizer_.isSpecial(id) && tokenizer_.decode({id}, /*skipSpecial=*/true).find('\n') != std::string::npos)
        lineEnds_.push_back(id);
  });
  return lineEnds_;
}

std::string HfPolicyTokenizer::tokenLabel(int id) const {
  if (id < 0 || id >= tokenizer_.vocabSize() || tokenizer_.idToToken(id).empty()) return "<id " + std::to_string(id) + ">";
  const std::string text = tokenizer_.decode({id}, /*skipSpecial=*/false);
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\u23ce";
    else if (c == ' ') out += "\u2423";
    else out += c;
  }
  return out;
}

}  // namespace tb
