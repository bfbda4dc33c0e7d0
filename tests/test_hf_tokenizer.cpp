// Hugging Face tokenizer.json tokenizers (core/hf/HfTokenizer) and chat templates
// (core/hf/ChatTemplate): three small byte-level BPE tokenizers in the exact HF format
// (tests/data/hf_tokenizer: Qwen2-, Llama 3- and GPT-2-style, made by make_tokenizers.mjs) must
// reproduce, id for id and byte for byte, what transformers.js makes of a varied corpus
// (goldens.json, by make_goldens.mjs): encode with and without special tokens, decode with and
// without them, every id decoded alone, and the chat templates rendered by Jinja. Also the split
// patterns and Unicode classes on hand-worked cases, round trips, ignore_merges, hand-written chat
// templates, and refusals of unsupported or broken tokenizer.json files naming the field and value.
// THOUGHTBENCH_TOKENIZER_GOLDENS=file.json runs the same comparison for goldens made from a real
// tokenizer (see make_goldens.mjs); without it that test is skipped.
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/hf/ChatTemplate.h"
#include "core/hf/HfTokenizer.h"
#include "core/hf/SplitPattern.h"
#include "core/hf/UnicodeCategories.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

const std::string kData = std::string(THOUGHTBENCH_SOURCE_RESOURCES) + "/../tests/data/hf_tokenizer";

nlohmann::json readJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string show(const std::vector<int>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

std::vector<std::string> pieces(SplitPattern pattern, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& [b, e] : splitByPattern(pattern, text)) out.push_back(text.substr(b, e - b));
  return out;
}

// Compares one goldens file (all its tokenizers); returns "" or the first difference.
std::string compareGoldens(const std::string& goldensPath, int* checked) {
  const nlohmann::json goldens = readJson(goldensPath);
  const std::string base = goldensPath.substr(0, goldensPath.find_last_of('/'));
  for (const nlohmann::json& t : goldens["tokenizers"]) {
    const std::string name = t["name"].get<std::string>();
    const std::string folder = name.front() == '/' ? name : base + "/" + name;
    const HfTokenizer tok(folder + "/tokenizer.json");
    for (const nlohmann::json& c : t["cases"]) {
      const std::string text = c["text"].get<std::string>();
      const std::string where = name + ", text " + nlohmann::json(text).dump() + ": ";
      const auto ids = c["ids"].get<std::vector<int>>();
      const auto withSpecial = c["ids_with_special"].get<std::vector<int>>();
      const auto got = tok.encode(text, /*addSpecial=*/false);
      if (got != ids) return where + "encode " + show(got) + " != expected " + show(ids);
      const auto gotSpecial = tok.encode(text, /*addSpecial=*/true);
      if (gotSpecial != withSpecial) return where + "encode+special " + show(gotSpecial) + " != " + show(withSpecial);
      const std::string decoded = tok.decode(withSpecial, /*skipSpecial=*/false);
      if (decoded != c["decoded"].get<std::string>())
        return where + "decode " + nlohmann::json(decoded).dump() + " != " + c["decoded"].dump();
      const std::string skipped = tok.decode(withSpecial, /*skipSpecial=*/true);
      if (skipped != c["decoded_skip_special"].get<std::string>())
        return where + "decode(skip special) " + nlohmann::json(skipped).dump() +
               " != " + c["decoded_skip_special"].dump();
      const auto each = c["decoded_each"].get<std::vector<std::string>>();
      for (size_t i = 0; i < ids.size(); ++i)
        if (tok.decode({ids[i]}) != each[i])
          return where + "decode([" + std::to_string(ids[i]) + "]) " + nlohmann::json(tok.decode({ids[i]})).dump() +
                 " != " + nlohmann::json(each[i]).dump();
      ++*checked;
    }
    if (t.contains("chats") && !t["chats"].empty()) {
      const ChatTemplate chat = chatTemplateFor(tok, folder + "/tokenizer_config.json");
      for (const nlohmann::json& c : t["chats"]) {
        std::vector<ChatMessage> messages;
        for (const nlohmann::json& m : c["messages"]) messages.push_back({m["role"], m["content"]});
        const std::string text = chat.apply(messages, c["add_generation_prompt"].get<bool>());
        if (text != c["text"].get<std::string>())
          return name + ": chat " + nlohmann::json(text).dump() + " != " + c["text"].dump();
        ++*checked;
      }
    }
  }
  return "";
}

}  // namespace

class TestHfTokenizer : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }
  static std::string tokenizerPath(const char* name) { return kData + "/" + name + "/tokenizer.json"; }

  std::string writeJson(const char* name, const nlohmann::json& json) const {
    const std::string file = path(name);
    std::ofstream(file) << json.dump();
    return file;
  }

 private slots:
  void unicodeClasses() {
    QVERIFY(isUnicodeLetter('a') && isUnicodeLetter('Z') && !isUnicodeLetter('1') && !isUnicodeLetter('_'));
    QVERIFY(isUnicodeLetter(0xE9) && isUnicodeLetter(0x6771) && isUnicodeLetter(0x0645) && isUnicodeLetter(0xD55C));
    QVERIFY(isUnicodeLetter(0x02B0));  // Lm: modifier letter small h
    QVERIFY(!isUnicodeLetter(0x00D7) && !isUnicodeLetter(0x20AC) && !isUnicodeLetter(0x1F600));
    QVERIFY(isUnicodeNumber('7') && isUnicodeNumber(0x0663) && isUnicodeNumber(0xFF15));  // Arabic-Indic 3, fullwidth 5
    QVERIFY(isUnicodeNumber(0x00BD) && isUnicodeNumber(0x216B) && isUnicodeNumber(0x00B2));  // No, Nl, No
    QVERIFY(!isUnicodeNumber('x') && !isUnicodeNumber(0x3002));
    QVERIFY(isUnicodeWhitespace(' ') && isUnicodeWhitespace('\t') && isUnicodeWhitespace(0xA0) &&
            isUnicodeWhitespace(0x3000));
    QVERIFY(!isUnicodeWhitespace(0x200B) && !isUnicodeWhitespace('x'));
    const auto cps = decodeUtf8("a\xC3\xA9\xF0\x9F\x98\x80\xFFz");
    QCOMPARE(cps.size(), size_t(5));
    QCOMPARE(uint32_t(cps[1].value), 0xE9u);
    QCOMPARE(uint32_t(cps[2].value), 0x1F600u);
    QCOMPARE(uint32_t(cps[3].value), 0xFFFDu);  // a stray byte is its own code point
    QCOMPARE(cps[4].begin, 8u);
  }

  void splitPatterns() {
    using V = std::vector<std::string>;
    QCOMPARE(pieces(SplitPattern::Qwen2, "Hello world 12345"), (V{"Hello", " world", " ", "1", "2", "3", "4", "5"}));
    QCOMPARE(pieces(SplitPattern::Llama3, "Hello world 12345"), (V{"Hello", " world", " ", "123", "45"}));
    QCOMPARE(pieces(SplitPattern::Gpt2, "Hello world 12345"), (V{"Hello", " world", " 12345"}));
    // Contractions: case-insensitive in Qwen2 / Llama 3 only.
    QCOMPARE(pieces(SplitPattern::Qwen2, "IT'S it's"), (V{"IT", "'S", " it", "'s"}));
    QCOMPARE(pieces(SplitPattern::Gpt2, "IT'S it's"), (V{"IT", "'", "S", " it", "'s"}));
    // \s+(?!\S) leaves the last space to the next word; \s*[\r\n]+ ends after the last newline.
    QCOMPARE(pieces(SplitPattern::Qwen2, "a   b"), (V{"a", "  ", " b"}));
    QCOMPARE(pieces(SplitPattern::Qwen2, "a \n \n  b"), (V{"a", " \n \n", " ", " b"}));
    QCOMPARE(pieces(SplitPattern::Qwen2, "end  "), (V{"end", "  "}));
    // A non-letter, non-digit, non-newline character joins the letters after it.
    QCOMPARE(pieces(SplitPattern::Qwen2, "!hi\tyo,x"), (V{"!hi", "\tyo", ",x"}));
    QCOMPARE(pieces(SplitPattern::Qwen2, "x ;;\n\ny"), (V{"x", " ;;\n\n", "y"}));
    QCOMPARE(pieces(SplitPattern::Gpt2, "x ;;\n\ny"), (V{"x", " ;;", "\n", "\n", "y"}));
    QCOMPARE(recognizeSplitPattern(splitPatternText(SplitPattern::Llama3)), std::optional(SplitPattern::Llama3));
    QVERIFY(!recognizeSplitPattern("\\w+|\\s+"));
  }

  void goldensFromTransformersJs() {
    int checked = 0;
    const std::string diff = compareGoldens(kData + "/goldens.json", &checked);
    QVERIFY2(diff.empty(), diff.c_str());
    QVERIFY(checked >= 3 * 36 + 6);
  }

  void goldensFromEnvironment() {
    const QByteArray file = qgetenv("THOUGHTBENCH_TOKENIZER_GOLDENS");
    if (file.isEmpty()) QSKIP("THOUGHTBENCH_TOKENIZER_GOLDENS is not set (see make_goldens.mjs)");
    int checked = 0;
    const std::string diff = compareGoldens(file.toStdString(), &checked);
    QVERIFY2(diff.empty(), diff.c_str());
    qInfo("%d texts and chats identical", checked);
  }

  void roundTrips() {
    const nlohmann::json goldens = readJson(kData + "/goldens.json");
    for (const char* name : {"qwen2_like", "llama3_like", "gpt2_like"}) {
      const HfTokenizer tok(tokenizerPath(name));
      for (const nlohmann::json& c : goldens["tokenizers"][0]["cases"]) {
        const std::string text = c["text"];
        QCOMPARE(QString::fromStdString(tok.decode(tok.encode(text, /*addSpecial=*/false))),
                 QString::fromStdString(text));
      }
      // Bytes that are not UTF-8 survive encoding too (one byte-level symbol per byte).
      const std::string raw = "ok \xFF\xFE end \xE4\xB8";
      const auto ids = tok.encode(raw, false);
      QCOMPARE(tok.decode(ids),
               std::string("ok \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD"));  // U+FFFD per maximal subpart
    }
  }

  void vocabularyAccess() {
    const HfTokenizer qwen(tokenizerPath("qwen2_like"));
    QCOMPARE(qwen.splitPattern(), SplitPattern::Qwen2);
    QCOMPARE(qwen.mergeCount(), size_t(400));
    QCOMPARE(qwen.vocabSize(), 656 + 5);
    const int imEnd = qwen.tokenToId("<|im_end|>");
    QCOMPARE(imEnd, 658);
    QCOMPARE(qwen.idToToken(imEnd), std::string("<|im_end|>"));
    QVERIFY(qwen.isSpecial(imEnd));
    const int toolCall = qwen.tokenToId("<tool_call>");
    QVERIFY(toolCall > 0 && !qwen.isSpecial(toolCall));
    QCOMPARE(qwen.tokenToId("!"), 33);                      // the test vocabularies give byte b the id b
    QCOMPARE(qwen.idToToken(32), std::string("\xC4\xA0"));  // 'Ġ' stands for the space byte
    QCOMPARE(qwen.tokenToId("no such token"), -1);
    QCOMPARE(qwen.idToToken(-1), std::string());
    QCOMPARE(qwen.idToToken(100000), std::string());
    QCOMPARE(qwen.decode({imEnd, 72, 100000, -5}, /*skipSpecial=*/true), std::string("H"));  // unknown ids skipped
    // Added tokens: longest first, and the text around them is encoded on its own.
    QCOMPARE(qwen.encode("<|im_end|>x", false), (std::vector<int>{imEnd, qwen.tokenToId("x")}));
    const HfTokenizer llama(tokenizerPath("llama3_like"));
    QCOMPARE(llama.encode("", /*addSpecial=*/true), std::vector<int>{llama.tokenToId("<|begin_of_text|>")});
    QCOMPARE(llama.encode("", /*addSpecial=*/false), std::vector<int>{});
  }

  void ignoreMerges() {
    nlohmann::json json = readJson(tokenizerPath("llama3_like"));
    const HfTokenizer whole(json, "llama3_like");
    QVERIFY(whole.ignoreMerges());
    const int word = whole.tokenToId("\xC4\xA0supercalifragilistic");
    QCOMPARE(whole.encode(" supercalifragilistic", false), std::vector<int>{word});
    json["model"]["ignore_merges"] = false;
    const HfTokenizer merged(json, "llama3_like without ignore_merges");
    const auto ids = merged.encode(" supercalifragilistic", false);
    QVERIFY2(ids.size() > 3, show(ids).c_str());  // no merge reaches the vocabulary word
    QCOMPARE(merged.decode(ids), std::string(" supercalifragilistic"));
  }

  void mergesAsPairsOrStrings() {
    nlohmann::json json = readJson(tokenizerPath("qwen2_like"));
    const HfTokenizer strings(json, "strings");
    for (auto& m : json["model"]["merges"]) {
      const std::string s = m;
      m = nlohmann::json::array({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
    }
    const HfTokenizer pairs(json, "pairs");
    const std::string text = "The model writes a chain of thought, then an answer; 東京 12345!";
    QCOMPARE(pairs.encode(text), strings.encode(text));
  }

  void chatTemplatesHandWritten() {
    const std::vector<ChatMessage> chat = {{"system", "Be brief."}, {"user", "  2+2?\n"}, {"assistant", "4"}};
    const HfTokenizer qwen(tokenizerPath("qwen2_like"));
    QCOMPARE(applyChatTemplate(qwen, chat, /*addGenerationPrompt=*/true),
             std::string("<|im_start|>system\nBe brief.<|im_end|>\n"
                         "<|im_start|>user\n  2+2?\n<|im_end|>\n"
                         "<|im_start|>assistant\n4<|im_end|>\n"
                         "<|im_start|>assistant\n"));
    // With tokenizer_config.json: Qwen2.5's template adds its default system prompt.
    const ChatTemplate qwenConfig = chatTemplateFor(qwen, kData + "/qwen2_like/tokenizer_config.json");
    QCOMPARE(qwenConfig.defaultSystemPrompt,
             std::string("You are Qwen, created by Alibaba Cloud. You are a helpful assistant."));
    QCOMPARE(qwenConfig.apply({{"user", "Hi"}}, /*addGenerationPrompt=*/false),
             std::string(
                 "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                 "<|im_start|>user\nHi<|im_end|>\n"));
    // Qwen2's template, whose literal has a real newline instead of \n.
    const ChatTemplate qwen2 = recognizeChatTemplate(
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
        "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
        "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}",
        "qwen2");
    QCOMPARE(qwen2.defaultSystemPrompt, std::string("You are a helpful assistant."));

    const HfTokenizer llama(tokenizerPath("llama3_like"));
    QCOMPARE(applyChatTemplate(llama, chat, /*addGenerationPrompt=*/true),
             std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                         "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
                         "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
                         "<|start_header_id|>assistant<|end_header_id|>\n\n"));
    QCOMPARE(applyChatTemplate(llama, {{"user", "Hi"}}, /*addGenerationPrompt=*/false),
             std::string("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"));
    // The rendered text encodes with its special tokens as single ids.
    const auto ids = llama.encode(applyChatTemplate(llama, {{"user", "Hi"}}, false), /*addSpecial=*/false);
    QCOMPARE(ids.front(), llama.tokenToId("<|begin_of_text|>"));
    QCOMPARE(ids.back(), llama.tokenToId("<|eot_id|>"));

    const HfTokenizer gpt2(tokenizerPath("gpt2_like"));
    QVERIFY(contains(inputErrorText([&] { applyChatTemplate(gpt2, chat, true); }), "neither <|im_start|>"));
    QVERIFY(contains(inputErrorText([&] { recognizeChatTemplate("{{ messages }}", "cfg"); }),
                     "cfg: chat_template = '{{ messages }}'"));
    QVERIFY(contains(inputErrorText([&] { recognizeChatTemplate("<|start_header_id|> Cutting Knowledge Date", "cfg"); }),
                     "Llama 3.1"));
  }

  void refusals() {
    QVERIFY(contains(inputErrorText([&] { HfTokenizer(path("missing.json")); }), "cannot open '"));
    {
      std::ofstream(path("bad.json")) << "{\"model\": ";
      QVERIFY(contains(inputErrorText([&] { HfTokenizer(path("bad.json")); }), "bad.json' is not valid JSON"));
    }
    const nlohmann::json good = readJson(tokenizerPath("qwen2_like"));
    auto refused = [&](const std::function<void(nlohmann::json&)>& edit) {
      nlohmann::json json = good;
      edit(json);
      return inputErrorText([&] { HfTokenizer(writeJson("edited.json", json)); });
    };
    QCOMPARE(refused([](nlohmann::json&) {}), std::string());
    std::string m = refused([](nlohmann::json& j) { j["model"]["type"] = "WordPiece"; });
    QVERIFY2(contains(m, "edited.json': model.type = 'WordPiece' is not supported (expected BPE)"), m.c_str());
    m = refused([](nlohmann::json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+|\\s+"; });
    QVERIFY2(contains(m, "pre_tokenizer.pretokenizers[0].pattern.Regex = '\\w+|\\s+' is not a supported split pattern"),
             m.c_str());
    m = refused([](nlohmann::json& j) { j["model"]["merges"][3] = "Ġ zzz"; });
    QVERIFY2(contains(m, "model.merges[3] = \"Ġ zzz\" refers to 'zzz', which is not in model.vocab"), m.c_str());
    m = refused([](nlohmann::json& j) { j["model"]["merges"][0] = "a b c"; });
    QVERIFY2(contains(m, "model.merges[0]"), m.c_str());
    m = refused([](nlohmann::json& j) { j["model"]["vocab"].erase("ĠĠ"); });
    QVERIFY2(contains(m, "model.merges[0] = \"Ġ Ġ\" makes 'ĠĠ', which is not in model.vocab"), m.c_str());
    m = refused([](nlohmann::json& j) { j["model"].erase("vocab"); });
    QVERIFY2(contains(m, "model.vocab must be an object"), m.c_str());
    m = refused([](nlohmann::json& j) { j["model"]["byte_fallback"] = true; });
    QVERIFY2(contains(m, "model.byte_fallback = true is not supported"), m.c_str());
    m = refused([](nlohmann::json& j) { j["normalizer"] = {{"type", "NFKC"}}; });
    QVERIFY2(contains(m, "normalizer.type = 'NFKC' is not supported (expected null or NFC)"), m.c_str());
    m = refused([](nlohmann::json& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; });
    QVERIFY2(contains(m, "pre_tokenizer.type = 'Whitespace' is not supported"), m.c_str());
    m = refused([](nlohmann::json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; });
    QVERIFY2(contains(m, "pre_tokenizer.pretokenizers[0].behavior = 'Removed' is not supported (expected Isolated)"),
             m.c_str());
    m = refused([](nlohmann::json& j) { j["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true; });
    QVERIFY2(contains(m, "pre_tokenizer.pretokenizers[1].add_prefix_space = true is not supported"), m.c_str());
    m = refused([](nlohmann::json& j) { j["post_processor"] = {{"type", "RobertaProcessing"}}; });
    QVERIFY2(contains(m, "post_processor.type = 'RobertaProcessing' is not supported"), m.c_str());
    m = refused([](nlohmann::json& j) { j["decoder"] = {{"type", "WordPiece"}}; });
    QVERIFY2(contains(m, "decoder.type = 'WordPiece' is not supported (expected ByteLevel)"), m.c_str());
    m = refused([](nlohmann::json& j) { j["added_tokens"][1]["lstrip"] = true; });
    QVERIFY2(contains(m, "added_tokens[1] ('<|im_start|>') has lstrip = true, which is not supported"), m.c_str());
    m = refused([](nlohmann::json& j) {
      j["post_processor"] = {
          {"type", "TemplateProcessing"},
          {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}}}}}},
          {"special_tokens", nlohmann::json::object()}};
    });
    QVERIFY2(contains(m, "post_processor.single uses special token '<s>', which special_tokens does not define"),
             m.c_str());
    m = inputErrorText([&] { HfTokenizer(nlohmann::json::array(), "inline"); });
    QCOMPARE(m, std::string("inline: expected a JSON object"));
  }
};

QTEST_APPLESS_MAIN(TestHfTokenizer)
#include "test_hf_tokenizer.moc"
