// CharTokenizer: a fixed, task-defined character vocabulary.
#include "core/text/CharTokenizer.h"

#include <algorithm>
#include <cstdint>

#include "core/Error.h"

namespace tb {

CharTokenizer::CharTokenizer(const std::string& alphabet) : chars_(alphabet) {
  std::sort(chars_.begin(), chars_.end());
  chars_.erase(std::unique(chars_.begin(), chars_.end()), chars_.end());
  std::fill(std::begin(lookup_), std::end(lookup_), -1);
  for (size_t i = 0; i < chars_.size(); ++i)
    lookup_[static_cast<unsigned char>(chars_[i])] = kFirstChar + static_cast<int>(i);
}

int CharTokenizer::idOf(char c) const {
  int id = lookup_[static_cast<unsigned char>(c)];
  if (id < 0) failInput("character '", c, "' (code ", int(static_cast<unsigned char>(c)),
                        ") is not in the tokenizer's alphabet \"", chars_, "\"");
  return id;
}

std::vector<int> CharTokenizer::encodePrompt(const std::string& text) const {
  std::vector<int> ids{kBos};
  for (char c : text) ids.push_back(idOf(c));
  return ids;
}

std::vector<int> CharTokenizer::encodeCompletion(const std::string& text) const {
  std::vector<int> ids;
  for (char c : text) ids.push_back(idOf(c));
  ids.push_back(kEos);
  return ids;
}

std::vector<int> CharTokenizer::encodeText(const std::string& text) const {
  std::vector<int> ids;
  ids.reserve(text.size());
  for (char c : text) ids.push_back(idOf(c));
  return ids;
}

std::string CharTokenizer::decode(const int64_t* ids, int count) const {
  std::string out;
  for (int i = 0; i < count; ++i) {
    const int64_t id = ids[i];
    if (id == kEos) break;
    if (id >= kFirstChar && id < vocabSize()) out.push_back(chars_[id - kFirstChar]);
  }
  return out;
}

std::string CharTokenizer::decode(const std::vector<int>& ids) const {
  std::vector<int64_t> wide(ids.begin(), ids.end());
  return decode(wide.data(), static_cast<int>(wide.size()));
}

std::string CharTokenizer::tokenLabel(int id) const {
  if (id == kBos) return "<bos>";
  if (id == kEos) return "<eos>";
  if (id == kPad) return "<pad>";
  const std::string text = decode(std::vector<int>{id});
  if (text == "\n") return "\u23ce";
  if (text == " ") return "\u2423";
  return text;
}

std::vector<int> CharTokenizer::lineEndIds() const {
  if (lookup_[static_cast<unsigned char>('\n')] < 0) return {};
  return {idOf('\n')};
}

}  // namespace tb
