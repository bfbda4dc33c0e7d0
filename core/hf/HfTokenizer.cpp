#include "core/hf/HfTokenizer.h"

#include <algorithm>
#include <array>
#include <climits>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/hf/UnicodeCategories.h"

namespace tb {

namespace {

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
// for U+0100 onwards in byte order, so every byte is one visible character.
struct ByteLevelAlphabet {
  std::array<std::string, 256> byteToText;
  std::unordered_map<char32_t, unsigned char> charToByte;
  ByteLevelAlphabet() {
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      appendUtf8(byteToText[b], cp);
      charToByte[cp] = static_cast<unsigned char>(b);
    }
  }
};

const ByteLevelAlphabet& byteLevel() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

std::string byteLevelText(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += byteLevel().byteToText[b];
  return out;
}

// Bytes to UTF-8 text with U+FFFD for each maximal subpart of an ill-formed sequence (the
// WHATWG / Unicode "substitution of maximal subparts", as Rust's from_utf8_lossy and
// JavaScript's TextDecoder do).
std::string lossyUtf8(const std::string& bytes) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(bytes.size());
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    int need = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF)
      need = 1;
    else if (b == 0xE0)
      need = 2, lo = 0xA0;
    else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF)
      need = 2;
    else if (b == 0xED)
      need = 2, hi = 0x9F;
    else if (b == 0xF0)
      need = 3, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3)
      need = 3;
    else if (b == 0xF4)
      need = 3, hi = 0x8F;
    if (need == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = i + 1;
    int got = 0;
    while (got < need && k < n) {
      const unsigned char c = s[k];
      const bool ok = got == 0 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xBF;
      if (!ok) break;
      ++k, ++got;
    }
    if (got == need)
      out.append(bytes, i, k - i);
    else
      out += kReplacement;
    i = k;
  }
  return out;
}

std::string typeOf(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return "";
  return j["type"].get<std::string>();
}

// "'" + value + "'" for error messages, built stepwise (GCC 12 -Wrestrict). Not named `quoted`:
// argument-dependent lookup would prefer std::quoted for a non-const std::string.
std::string inQuotes(const std::string& value) {
  std::string s = "'";
  s += value;
  s += "'";
  return s;
}

}  // namespace

struct HfTokenizer::WordCache {
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<int>> words;
};

HfTokenizer::HfTokenizer(HfTokenizer&&) noexcept = default;
HfTokenizer& HfTokenizer::operator=(HfTokenizer&&) noexcept = default;
HfTokenizer::~HfTokenizer() = default;

namespace {

nlohmann::json readJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) failInput("cannot open '", path, "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    failInput("'", path, "' is not valid JSON: ", e.what());
  }
}

}  // namespace

HfTokenizer::HfTokenizer(const std::string& tokenizerJsonPath)
    : HfTokenizer(readJsonFile(tokenizerJsonPath), inQuotes(tokenizerJsonPath)) {}

HfTokenizer::HfTokenizer(const nlohmann::json& json, const std::string& origin)
    : origin_(origin), cache_(std::make_unique<WordCache>()) {
  if (!json.is_object()) failInput(origin, ": expected a JSON object");
  auto flag = [&](const nlohmann::json& obj, const char* key, const std::string& where) {
    if (!obj.contains(key) || obj[key].is_null()) return false;
    if (!obj[key].is_boolean())
      failInput(origin, ": field '", where, ".", key, "' must be true or false, got ", obj[key].dump());
    return obj[key].get<bool>();
  };

  // --- model -----------------------------------------------------------------------------------
  if (!json.contains("model") || !json["model"].is_object()) failInput(origin, ": missing object 'model'");
  const nlohmann::json& model = json["model"];
  const std::string modelType = typeOf(model);
  if (modelType != "BPE") failInput(origin, ": model.type = ", inQuotes(modelType), " is not supported (expected BPE)");
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0))
    failInput(origin, ": model.dropout = ", model["dropout"].dump(), " is not supported (expected null)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (model.contains(key) && !model[key].is_null() && model[key] != "")
      failInput(origin, ": model.", key, " = ", model[key].dump(), " is not supported (expected null or \"\")");
  if (flag(model, "byte_fallback", "model"))
    failInput(origin, ": model.byte_fallback = true is not supported (expected false: byte-level BPE)");
  ignoreMerges_ = flag(model, "ignore_merges", "model");
  fuseUnk_ = flag(model, "fuse_unk", "model");

  if (!model.contains("vocab") || !model["vocab"].is_object())
    failInput(origin, ": model.vocab must be an object of token -> id");
  int maxId = -1;
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT_MAX / 2)
      failInput(origin, ": model.vocab[", inQuotes(token), "] = ", id.dump(),
                " is not a valid id (expected a non-negative integer)");
    vocab_[token] = id.get<int>();
    maxId = std::max(maxId, id.get<int>());
  }

  if (!model.contains("merges") || !model["merges"].is_array())
    failInput(origin, ": model.merges must be an array of \"a b\" strings or [a, b] pairs");
  const nlohmann::json& merges = model["merges"];
  for (size_t r = 0; r < merges.size(); ++r) {
    const nlohmann::json& m = merges[r];
    std::string left, right;
    if (m.is_string()) {
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        failInput(origin, ": model.merges[", r, "] = ", m.dump(), " is not two tokens separated by one space");
      left = s.substr(0, space), right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>(), right = m[1].get<std::string>();
    } else {
      failInput(origin, ": model.merges[", r, "] = ", m.dump(), " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    const auto l = vocab_.find(left), rt = vocab_.find(right), merged = vocab_.find(left + right);
    if (l == vocab_.end())
      failInput(origin, ": model.merges[", r, "] = ", m.dump(), " refers to ", inQuotes(left),
                ", which is not in model.vocab");
    if (rt == vocab_.end())
      failInput(origin, ": model.merges[", r, "] = ", m.dump(), " refers to ", inQuotes(right),
                ", which is not in model.vocab");
    if (merged == vocab_.end())
      failInput(origin, ": model.merges[", r, "] = ", m.dump(), " makes ", inQuotes(left + right),
                ", which is not in model.vocab");
    const uint64_t key = (static_cast<uint64_t>(l->second) << 32) | static_cast<uint32_t>(rt->second);
    merges_.emplace(key, Merge{static_cast<int>(r), merged->second});  // the first rank wins
  }

  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    if (!model["unk_token"].is_string()) failInput(origin, ": model.unk_token must be a string or null");
    const auto it = vocab_.find(model["unk_token"].get<std::string>());
    if (it == vocab_.end())
      failInput(origin, ": model.unk_token = ", model["unk_token"].dump(), " is not in model.vocab");
    unkId_ = it->second;
  }

  // --- added tokens ----------------------------------------------------------------------------
  if (json.contains("added_tokens") && !json["added_tokens"].is_null()) {
    if (!json["added_tokens"].is_array()) failInput(origin, ": added_tokens must be an array");
    for (size_t k = 0; k < json["added_tokens"].size(); ++k) {
      const nlohmann::json& t = json["added_tokens"][k];
      const std::string where = "added_tokens[" + std::to_string(k) + "]";
      if (!t.is_object() || !t.contains("id") || !t["id"].is_number_integer() || t["id"].get<int64_t>() < 0 ||
          t["id"].get<int64_t>() > INT_MAX / 2 || !t.contains("content") || !t["content"].is_string())
        failInput(origin, ": ", where, " = ", t.dump(), " needs a non-negative integer 'id' and a string 'content'");
      HfAddedToken token{t["id"].get<int>(), t["content"].get<std::string>(), flag(t, "special", where)};
      if (token.content.empty()) failInput(origin, ": ", where, ".content is empty");
      for (const char* key : {"single_word", "lstrip", "rstrip"})
        if (flag(t, key, where))
          failInput(origin, ": ", where, " (", inQuotes(token.content), ") has ", key,
                    " = true, which is not supported");
      maxId = std::max(maxId, token.id);
      addedByContent_[token.content] = token.id;
      added_.push_back(std::move(token));
    }
  }
  idToToken_.assign(static_cast<size_t>(maxId + 1), "");
  special_.assign(idToToken_.size(), 0);
  for (const auto& [token, id] : vocab_) idToToken_[id] = token;
  addedByFirstByte_.assign(256, {});
  for (size_t k = 0; k < added_.size(); ++k) {
    idToToken_[added_[k].id] = added_[k].content;
    special_[added_[k].id] = added_[k].special ? 1 : 0;
    addedByFirstByte_[static_cast<unsigned char>(added_[k].content[0])].push_back(static_cast<int>(k));
  }
  for (auto& list : addedByFirstByte_)
    std::stable_sort(list.begin(), list.end(),
                     [&](int a, int b) { return added_[a].content.size() > added_[b].content.size(); });
  for (int b = 0; b < 256; ++b) {
    const auto it = vocab_.find(byteLevel().byteToText[b]);
    byteId_[b] = it == vocab_.end() ? -1 : it->second;
  }

  // --- normalizer ------------------------------------------------------------------------------
  if (json.contains("normalizer") && !json["normalizer"].is_null()) {
    // NFC is taken as the identity: the text given to encode() is expected to be NFC already
    // (what editors and the datasets produce); a decomposed accent then tokenizes differently
    // from the reference.
    const std::string type = typeOf(json["normalizer"]);
    if (type != "NFC")
      failInput(origin, ": normalizer.type = ", inQuotes(type), " is not supported (expected null or NFC)");
  }

  // --- pre-tokenizer ---------------------------------------------------------------------------
  auto checkByteLevel = [&](const nlohmann::json& p, const std::string& where, bool useRegex) {
    if (flag(p, "add_prefix_space", where))
      failInput(origin, ": ", where, ".add_prefix_space = true is not supported (expected false)");
    const bool regex = p.contains("use_regex") ? flag(p, "use_regex", where) : true;
    if (regex != useRegex)
      failInput(origin, ": ", where, ".use_regex = ", regex ? "true" : "false", " is not supported here (expected ",
                useRegex ? "true" : "false", ")");
  };
  if (!json.contains("pre_tokenizer") || json["pre_tokenizer"].is_null())
    failInput(origin, ": pre_tokenizer is null; expected Sequence[Split, ByteLevel] or ByteLevel");
  const nlohmann::json& pre = json["pre_tokenizer"];
  const std::string preType = typeOf(pre);
  if (preType == "ByteLevel") {
    checkByteLevel(pre, "pre_tokenizer", /*useRegex=*/true);
    pattern_ = SplitPattern::Gpt2;
  } else if (preType == "Sequence") {
    if (!pre.contains("pretokenizers") || !pre["pretokenizers"].is_array() || pre["pretokenizers"].size() != 2 ||
        typeOf(pre["pretokenizers"][0]) != "Split" || typeOf(pre["pretokenizers"][1]) != "ByteLevel")
      failInput(origin,
                ": pre_tokenizer.pretokenizers = ", pre.value("pretokenizers", nlohmann::json()).dump().substr(0, 200),
                " is not supported (expected [Split, ByteLevel])");
    const nlohmann::json& split = pre["pretokenizers"][0];
    const std::string where = "pre_tokenizer.pretokenizers[0]";
    if (!split.contains("pattern") || !split["pattern"].is_object() || !split["pattern"].contains("Regex") ||
        !split["pattern"]["Regex"].is_string())
      failInput(origin, ": ", where, ".pattern must be {\"Regex\": \"...\"}, got ",
                split.value("pattern", nlohmann::json()).dump());
    const std::string regex = split["pattern"]["Regex"].get<std::string>();
    const auto known = recognizeSplitPattern(regex);
    if (!known)
      failInput(origin, ": ", where, ".pattern.Regex = ", inQuotes(regex),
                " is not a supported split pattern (expected the GPT-2, Qwen2 or Llama 3 pattern)");
    pattern_ = *known;
    const std::string behavior = split.value("behavior", std::string());
    if (behavior != "Isolated")
      failInput(origin, ": ", where, ".behavior = ", inQuotes(behavior), " is not supported (expected Isolated)");
    if (flag(split, "invert", where))
      failInput(origin, ": ", where, ".invert = true is not supported (expected false)");
    checkByteLevel(pre["pretokenizers"][1], "pre_tokenizer.pretokenizers[1]", /*useRegex=*/false);
  } else {
    failInput(origin, ": pre_tokenizer.type = ", inQuotes(preType),
              " is not supported (expected Sequence[Split, ByteLevel] or ByteLevel)");
  }

  // --- post-processor --------------------------------------------------------------------------
  std::vector<std::pair<const nlohmann::json*, std::string>> processors;
  if (json.contains("post_processor") && !json["post_processor"].is_null()) {
    const nlohmann::json& post = json["post_processor"];
    if (typeOf(post) == "Sequence") {
      if (!post.contains("processors") || !post["processors"].is_array())
        failInput(origin, ": post_processor.processors must be an array");
      for (size_t k = 0; k < post["processors"].size(); ++k)
        processors.emplace_back(&post["processors"][k], "post_processor.processors[" + std::to_string(k) + "]");
    } else {
      processors.emplace_back(&post, "post_processor");
    }
  }
  for (const auto& [p, where] : processors) {
    const std::string type = typeOf(*p);
    if (type == "ByteLevel") continue;  // trims offsets only; ids are unchanged
    if (type != "TemplateProcessing")
      failInput(origin, ": ", where, ".type = ", inQuotes(type),
                " is not supported (expected null, ByteLevel, TemplateProcessing or a Sequence of them)");
    if (!template_.empty()) failInput(origin, ": ", where, ": only one TemplateProcessing is supported");
    if (!p->contains("single") || !(*p)["single"].is_array())
      failInput(origin, ": ", where, ".single must be an array");
    const nlohmann::json specials = p->value("special_tokens", nlohmann::json::object());
    bool sawSequence = false;
    for (const nlohmann::json& item : (*p)["single"]) {
      TemplatePiece piece;
      if (item.is_object() && item.contains("Sequence") && item["Sequence"].is_object()) {
        const std::string seq = item["Sequence"].value("id", std::string());
        if (seq != "A")
          failInput(origin, ": ", where, ".single has Sequence ", inQuotes(seq),
                    " (expected A: single sequences only)");
        piece.sequence = sawSequence = true;
      } else if (item.is_object() && item.contains("SpecialToken") && item["SpecialToken"].is_object()) {
        const std::string name = item["SpecialToken"].value("id", std::string());
        if (!specials.contains(name) || !specials[name].contains("ids") || !specials[name]["ids"].is_array())
          failInput(origin, ": ", where, ".single uses special token ", inQuotes(name),
                    ", which special_tokens does not define with its ids");
        for (const nlohmann::json& id : specials[name]["ids"]) {
          if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocabSize())
            failInput(origin, ": ", where, ".special_tokens[", inQuotes(name), "].ids has ", id.dump(),
                      ", which is not an id of the vocabulary");
          piece.ids.push_back(id.get<int>());
        }
      } else {
        failInput(origin, ": ", where, ".single has ", item.dump(),
                  " (expected {\"Sequence\": ..} or {\"SpecialToken\": ..})");
      }
      template_.push_back(std::move(piece));
    }
    if (!sawSequence) failInput(origin, ": ", where, ".single has no Sequence A");
  }

  // --- decoder ---------------------------------------------------------------------------------
  const std::string decoderType = json.contains("decoder") ? typeOf(json["decoder"]) : "";
  if (decoderType != "ByteLevel")
    failInput(origin, ": decoder.type = ", inQuotes(decoderType), " is not supported (expected ByteLevel)");
}

int HfTokenizer::tokenToId(const std::string& token) const {
  const auto added = addedByContent_.find(token);
  if (added != addedByContent_.end()) return added->second;
  const auto it = vocab_.find(token);
  return it == vocab_.end() ? -1 : it->second;
}

std::string HfTokenizer::idToToken(int id) const {
  return id >= 0 && id < vocabSize() ? idToToken_[id] : std::string();
}

bool HfTokenizer::isSpecial(int id) const { return id >= 0 && id < vocabSize() && special_[id]; }

std::vector<int> HfTokenizer::bpe(const std::string& piece) const {
  std::vector<int> symbols;
  symbols.reserve(piece.size());
  bool lastUnk = false;
  for (unsigned char b : piece) {
    if (byteId_[b] >= 0) {
      symbols.push_back(byteId_[b]);
      lastUnk = false;
    } else if (unkId_ >= 0 && !(fuseUnk_ && lastUnk)) {
      symbols.push_back(unkId_);  // a byte the vocabulary lacks (without unk_token it is dropped)
      lastUnk = true;
    }
  }
  // Merge the lowest-ranked adjacent pair, every occurrence left to right, until none has a rank.
  while (symbols.size() > 1) {
    int best = INT_MAX, bestId = -1;
    int bestLeft = -1, bestRight = -1;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const uint64_t key = (static_cast<uint64_t>(symbols[i]) << 32) | static_cast<uint32_t>(symbols[i + 1]);
      const auto it = merges_.find(key);
      if (it != merges_.end() && it->second.rank < best) {
        best = it->second.rank, bestId = it->second.id;
        bestLeft = symbols[i], bestRight = symbols[i + 1];
      }
    }
    if (bestId < 0) break;
    std::vector<int> next;
    next.reserve(symbols.size());
    for (size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size() && symbols[i] == bestLeft && symbols[i + 1] == bestRight) {
        next.push_back(bestId);
        ++i;
      } else {
        next.push_back(symbols[i]);
      }
    }
    symbols.swap(next);
  }
  return symbols;
}

void HfTokenizer::encodePiece(const std::string& piece, std::vector<int>& out) const {
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    const auto it = cache_->words.find(piece);
    if (it != cache_->words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> ids;
  if (ignoreMerges_) {
    const auto whole = vocab_.find(byteLevelText(piece));
    if (whole != vocab_.end()) ids.push_back(whole->second);
  }
  if (ids.empty()) ids = bpe(piece);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cache_->mutex);
  if (cache_->words.size() > 200000) cache_->words.clear();  // bound the memory on long corpora
  cache_->words.emplace(piece, std::move(ids));
}

std::vector<int> HfTokenizer::encode(const std::string& text, bool addSpecial) const {
  std::vector<int> ids;
  auto encodeText = [&](size_t begin, size_t end) {
    if (begin >= end) return;
    const std::string segment = text.substr(begin, end - begin);
    for (const auto& [b, e] : splitByPattern(pattern_, segment)) encodePiece(segment.substr(b, e - b), ids);
  };
  size_t start = 0;  // start of the text not yet encoded
  for (size_t pos = 0; pos < text.size();) {
    int match = -1;
    for (int k : addedByFirstByte_[static_cast<unsigned char>(text[pos])]) {
      const std::string& content = added_[k].content;
      if (text.compare(pos, content.size(), content) == 0) {
        match = k;
        break;  // longest first
      }
    }
    if (match < 0) {
      ++pos;
      continue;
    }
    encodeText(start, pos);
    ids.push_back(added_[match].id);
    pos += added_[match].content.size();
    start = pos;
  }
  encodeText(start, text.size());
  if (!addSpecial || template_.empty()) return ids;
  std::vector<int> out;
  out.reserve(ids.size() + 4);
  for (const TemplatePiece& piece : template_) {
    if (piece.sequence)
      out.insert(out.end(), ids.begin(), ids.end());
    else
      out.insert(out.end(), piece.ids.begin(), piece.ids.end());
  }
  return out;
}

std::string HfTokenizer::decode(const std::vector<int>& ids, bool skipSpecial) const {
  std::string bytes;
  for (int id : ids) {
    if (id < 0 || id >= vocabSize() || (skipSpecial && special_[id])) continue;
    const std::string& token = idToToken_[id];
    // ByteLevel decoder: each character back to its byte; a token with a character outside the
    // byte alphabet (an added token such as "<|im start|>" with a space) keeps its own bytes.
    std::string tokenBytes;
    bool mapped = true;
    for (const CodePoint& cp : decodeUtf8(token)) {
      const auto it = byteLevel().charToByte.find(cp.value);
      if (it == byteLevel().charToByte.end()) {
        mapped = false;
        break;
      }
      tokenBytes += static_cast<char>(it->second);
    }
    bytes += mapped ? tokenBytes : token;
  }
  return lossyUtf8(bytes);
}

}  // namespace tb
