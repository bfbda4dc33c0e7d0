// Hugging Face checkpoints (core/hf): config.json of Llama / Qwen2 with the tensors they need and
// hand-counted parameters, checkpoint checks naming the missing or misshapen tensor, and
// safetensors files (core/hf/Safetensors): half-precision conversions against
// known bit patterns, write / read round trips in F32, BF16 and F16, a hand-assembled file laid
// out byte by byte as the format specifies, sharded checkpoints through
// model.safetensors.index.json, and refusals of corrupt headers, naming the file and the tensor.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/Error.h"
#include "core/hf/HfModelConfig.h"
#include "core/hf/Safetensors.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

void writeRaw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << data;
}

std::string floats(std::initializer_list<float> values) {
  std::string s;
  for (float v : values) s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

 private slots:
  void halfPrecisionBits() {
    QCOMPARE(floatToBf16(1.0f), uint16_t(0x3f80));
    QCOMPARE(floatToBf16(-2.0f), uint16_t(0xc000));
    QCOMPARE(bf16ToFloat(0x4049), 3.140625f);
    QCOMPARE(floatToBf16(3.14159265f), uint16_t(0x4049));  // nearest bf16 of pi
    QCOMPARE(floatToF16(1.0f), uint16_t(0x3c00));
    QCOMPARE(floatToF16(65504.0f), uint16_t(0x7bff));      // largest half
    QCOMPARE(floatToF16(1e6f), uint16_t(0x7c00));          // overflow: infinity
    QCOMPARE(floatToF16(std::ldexp(1.0f, -24)), uint16_t(0x0001));  // smallest subnormal
    QCOMPARE(f16ToFloat(0x0001), std::ldexp(1.0f, -24));
    QCOMPARE(f16ToFloat(0x3555), 0.333251953125f);
    QCOMPARE(f16ToFloat(0xc400), -4.0f);
    QVERIFY(std::isinf(f16ToFloat(0x7c00)) && std::isnan(f16ToFloat(0x7e00)));
    // Every half value survives half -> float -> half.
    for (uint32_t h = 0; h < 0x10000; ++h) {
      const float f = f16ToFloat(static_cast<uint16_t>(h));
      if (std::isnan(f)) continue;
      QCOMPARE(floatToF16(f), static_cast<uint16_t>(h));
    }
  }

  void roundTrips() {
    const std::string file = path("model.safetensors");
    writeSafetensors(file,
                     {{"w", {2, 3}, {1, -2, 3.5f, 0, 1e-3f, -7}, "F32"},
                      {"b", {3}, {0.1f, 0.2f, 0.3f}, "BF16"},
                      {"h", {2}, {0.5f, -1.25f}, "F16"},
                      {"empty", {0}, {}, "F32"}},
                     {{"format", "pt"}});
    SafetensorsFile f(file);
    QCOMPARE(f.tensors().size(), size_t(4));
    QCOMPARE(f.metadata().at("format"), std::string("pt"));
    QCOMPARE(f.info("w").shape, (std::vector<int64_t>{2, 3}));
    QCOMPARE(f.readFloats("w"), (std::vector<float>{1, -2, 3.5f, 0, 1e-3f, -7}));
    const auto b = f.readFloats("b");
    for (int i = 0; i < 3; ++i) QVERIFY(std::fabs(b[i] - 0.1f * (i + 1)) < 0.002f);  // bf16: 8 bits of mantissa
    QCOMPARE(b[0], bf16ToFloat(floatToBf16(0.1f)));
    QCOMPARE(f.readFloats("h"), (std::vector<float>{0.5f, -1.25f}));
    QVERIFY(f.readFloats("empty").empty());
    QVERIFY(inputErrorText([&] { f.readFloats("missing"); }).find("'missing'") != std::string::npos);
  }

  // A file assembled by hand the way the format (and the Python library) lays it out.
  void handAssembledFile() {
    const std::string file = path("hand.safetensors");
    writeRaw(file,
             R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("c":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}  )",
             floats({1.5f, -3.0f}) + std::string("\x07\0\0\0\0\0\0\0", 8));
    SafetensorsFile f(file);
    QCOMPARE(f.readFloats("a"), (std::vector<float>{1.5f, -3.0f}));
    const auto raw = f.readBytes("c");
    int64_t seven = 0;
    std::memcpy(&seven, raw.data(), 8);
    QCOMPARE(seven, int64_t(7));
    QVERIFY(inputErrorText([&] { f.readFloats("c"); }).find("I64") != std::string::npos);
  }

  void refusesCorruptHeaders() {
    auto refusedWith = [&](const std::string& header, const std::string& data, const std::string& needle) {
      const std::string file = path("bad.safetensors");
      writeRaw(file, header, data);
      const std::string message = inputErrorText([&] { SafetensorsFile f(file); });
      QVERIFY2(message.find(needle) != std::string::npos && message.find("bad.safetensors") != std::string::npos,
               (needle + " not in: " + message).c_str());
    };
    refusedWith("{not json", "", "not valid JSON");
    refusedWith(R"({"x":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", "a", "tensor 'x': unknown dtype 'F8'");
    refusedWith(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", floats({1, 2}), "tensor 'x': 8 bytes");
    refusedWith(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", floats({1}), "outside the 4-byte");
    refusedWith(R"({"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", "", "non-negative");
    refusedWith(R"({"x":{"dtype":"F32","shape":[2]}})", floats({1, 2}), "data_offsets");
    refusedWith(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                floats({1, 2}), "overlap");
    // A header length beyond the file.
    const std::string file = path("short.safetensors");
    std::ofstream(file, std::ios::binary) << std::string("\xff\0\0\0\0\0\0\0{}", 10);
    QVERIFY(inputErrorText([&] { SafetensorsFile f(file); }).find("exceeds the file") != std::string::npos);
    std::ofstream(path("tiny.safetensors"), std::ios::binary) << "abc";
    QVERIFY(inputErrorText([&] { SafetensorsFile f(path("tiny.safetensors")); }).find("too short") != std::string::npos);
    QVERIFY(inputErrorText([&] { SafetensorsFile f(path("nope.safetensors")); }).find("nope.safetensors") != std::string::npos);
  }

  void shardedCheckpoint() {
    namespace fs = std::filesystem;
    const std::string folder = path("sharded");
    fs::create_directories(folder);
    writeSafetensors(folder + "/model-00001-of-00002.safetensors", {{"embed", {2, 2}, {1, 2, 3, 4}, "BF16"}});
    writeSafetensors(folder + "/model-00002-of-00002.safetensors", {{"head", {2}, {5, 6}, "F32"}});
    auto writeIndex = [&](const std::string& json) { std::ofstream(folder + "/model.safetensors.index.json") << json; };
    writeIndex(R"({"metadata":{"total_size":16},"weight_map":{"embed":"model-00001-of-00002.safetensors",)"
               R"("head":"model-00002-of-00002.safetensors"}})");
    SafetensorsCheckpoint c(folder);
    QCOMPARE(c.shardCount(), size_t(2));
    QCOMPARE(c.names(), (std::vector<std::string>{"embed", "head"}));
    QCOMPARE(c.readFloats("embed"), (std::vector<float>{1, 2, 3, 4}));
    QCOMPARE(c.readFloats("head"), (std::vector<float>{5, 6}));
    QCOMPARE(c.info("embed").dtype, std::string("BF16"));
    QVERIFY(inputErrorText([&] { c.info("lm_head"); }).find("'lm_head'") != std::string::npos);
    // The index names a tensor the shard does not hold; a missing shard; a malformed index.
    writeIndex(R"({"weight_map":{"embed":"model-00002-of-00002.safetensors","head":"model-00002-of-00002.safetensors"}})");
    QVERIFY(inputErrorText([&] { SafetensorsCheckpoint x(folder); }).find("tensor 'embed'") != std::string::npos);
    writeIndex(R"({"weight_map":{"embed":"model-00003-of-00002.safetensors"}})");
    QVERIFY(inputErrorText([&] { SafetensorsCheckpoint x(folder); }).find("shard 'model-00003-of-00002.safetensors' is missing") !=
            std::string::npos);
    writeIndex(R"({"weights":{}})");
    QVERIFY(inputErrorText([&] { SafetensorsCheckpoint x(folder); }).find("weight_map") != std::string::npos);
    // A single-file checkpoint, and a folder with neither.
    const std::string single = path("single");
    fs::create_directories(single);
    QVERIFY(inputErrorText([&] { SafetensorsCheckpoint x(single); }).find("neither model.safetensors") != std::string::npos);
    writeSafetensors(single + "/model.safetensors", {{"w", {1}, {9}, "F16"}});
    QCOMPARE(SafetensorsCheckpoint(single).readFloats("w"), (std::vector<float>{9}));
  }

  void hfConfigAndChecks() {
    nlohmann::json llama = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", 8},
                            {"intermediate_size", 16}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
                            {"num_key_value_heads", 1}, {"vocab_size", 10}, {"rms_norm_eps", 1e-5},
                            {"rope_theta", 500000.0}, {"tie_word_embeddings", false}, {"torch_dtype", "bfloat16"},
                            {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}}}};
    const HfModelConfig c = parseHfModelConfig(llama, "config");
    QCOMPARE(c.headDim(), 4);
    QVERIFY(!c.attentionBias && !c.tieWordEmbeddings);
    QCOMPARE(c.ropeScaling["factor"].get<double>(), 8.0);
    // By hand: embed 80 + 2 x (8 + 64 + 32 + 32 + 64 + 8 + 3 x 128) + norm 8 + lm_head 80.
    QCOMPARE(hfParameterCount(c), int64_t(80 + 2 * 592 + 8 + 80));
    QCOMPARE(expectedHfTensors(c).at("model.layers.1.self_attn.k_proj.weight"), (std::vector<int64_t>{4, 8}));
    nlohmann::json qwen = llama;
    qwen["architectures"] = {"Qwen2ForCausalLM"};
    qwen["tie_word_embeddings"] = true;
    const HfModelConfig q = parseHfModelConfig(qwen, "config");
    QVERIFY(q.attentionBias && q.tieWordEmbeddings);
    QCOMPARE(hfParameterCount(q), int64_t(80 + 2 * (592 + 8 + 4 + 4) + 8));  // q/k/v biases, no lm_head
    QVERIFY(!expectedHfTensors(q).count("lm_head.weight"));

    auto refusedWith = [&](nlohmann::json j, const std::string& needle) {
      const std::string message = inputErrorText([&] { parseHfModelConfig(j, "'cfg/config.json'"); });
      QVERIFY2(message.find(needle) != std::string::npos && message.find("cfg/config.json") != std::string::npos,
               (needle + " not in: " + message).c_str());
    };
    nlohmann::json bad = llama;
    bad["architectures"] = {"GPT2LMHeadModel"};
    refusedWith(bad, "'GPT2LMHeadModel' is not supported");
    bad = llama;
    bad.erase("hidden_size");
    refusedWith(bad, "missing field 'hidden_size'");
    bad = llama;
    bad["num_attention_heads"] = 3;
    refusedWith(bad, "does not divide hidden_size");
    bad = llama;
    bad["vocab_size"] = -4;
    refusedWith(bad, "'vocab_size' must be a positive integer");

    // A checkpoint folder with every tensor, then one missing and one misshapen.
    namespace fs = std::filesystem;
    const std::string folder = path("llama");
    fs::create_directories(folder);
    std::vector<SafetensorToWrite> tensors;
    for (const auto& [name, shape] : expectedHfTensors(c)) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      tensors.push_back({name, shape, std::vector<float>(size_t(n), 0.5f), "BF16"});
    }
    tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", {2}, {1, 0.5f}, "F32"});
    writeSafetensors(folder + "/model.safetensors", tensors);
    const SafetensorsCheckpoint ok(folder);
    QCOMPARE(checkHfCheckpoint(c, ok, folder), (std::vector<std::string>{"model.layers.0.self_attn.rotary_emb.inv_freq"}));
    auto without = tensors;
    without.erase(std::remove_if(without.begin(), without.end(),
                                 [](const SafetensorToWrite& t) { return t.name == "model.layers.1.mlp.up_proj.weight"; }),
                  without.end());
    writeSafetensors(folder + "/model.safetensors", without);
    QVERIFY(inputErrorText([&] { checkHfCheckpoint(c, SafetensorsCheckpoint(folder), folder); })
                .find("lacks tensor 'model.layers.1.mlp.up_proj.weight'") != std::string::npos);
    auto misshapen = tensors;
    for (auto& t : misshapen)
      if (t.name == "model.norm.weight") t = {t.name, {4, 2}, t.values, "F32"};
    writeSafetensors(folder + "/model.safetensors", misshapen);
    const std::string message = inputErrorText([&] { checkHfCheckpoint(c, SafetensorsCheckpoint(folder), folder); });
    QVERIFY2(message.find("'model.norm.weight' has shape [4, 2], config.json implies [8]") != std::string::npos,
             message.c_str());
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
