// Hugging Face Llama / Qwen2 decoders in LibTorch (core/model/HfCausalLM): tiny random
// checkpoints written in the exact HF layout (F32, BF16, F16, sharded, tied and untied heads,
// q/k/v biases, grouped-query attention, linear and llama3 rope scaling) are loaded and their
// logits compared with an independent reference written here in plain loops over doubles (RMSNorm,
// rotary positions with rotate_half, GQA, causal softmax, SwiGLU); the KV cache against the
// whole-sequence forward; left padding against unpadded rows; llama3 inverse frequencies against
// values from HF's _compute_llama3_parameters; refusals of bad checkpoints through loadHfCausalLM;
// and LoRA adapters (core/model/LoraLinear): a fresh adapter changes nothing, a trained one equals
// its merged weights, PEFT files round-trip. Sampling and scoring (core/rollout/HfGeneration):
// near-zero temperature equals argmax decoding with the whole-sequence forward, row-seeded batches
// equal rows sampled alone, extra stop ids end rows, and the differentiable scores equal the
// sampler's log-probs with gradients reaching the parameters (or only the LoRA adapters).
#include <torch/torch.h>

#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/hf/ChatTemplate.h"
#include "core/hf/HfModelConfig.h"
#include "core/hf/HfTokenizer.h"
#include "core/hf/Safetensors.h"
#include "core/model/HfCausalLM.h"
#include "core/model/LoraLinear.h"
#include "core/rollout/HfGeneration.h"

#include "tests/TestSupport.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb {
namespace {

// ---- tiny checkpoints in the HF layout ----------------------------------------------------------

struct TinySpec {
  std::string architecture = "LlamaForCausalLM";
  int hidden = 32, intermediate = 48, layers = 2, heads = 4, kvHeads = 2, vocab = 50, maxPositions = 64;
  double eps = 1e-5, theta = 10000.0;
  json ropeScaling;             // null: none
  bool tied = false;
  bool bias = false;            // q/k/v biases (always for Qwen2; attention_bias for Llama)
  std::string dtype = "F32";    // of the stored tensors
  int shards = 1;
  bool extraInvFreq = false;    // store a rotary inv_freq tensor as some exporters do
};

// The tensors of the checkpoint, named and shaped by hand as HF's modeling code names them.
std::vector<SafetensorToWrite> tinyTensors(const TinySpec& s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t H = s.hidden, I = s.intermediate, V = s.vocab, d = s.hidden / s.heads;
  const int64_t q = s.heads * d, kv = s.kvHeads * d;
  std::vector<SafetensorToWrite> out;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset = 0.0f) {
    int64_t n = 1;
    for (auto e : shape) n *= e;
    std::vector<float> v(n);
    for (auto& x : v) x = offset + scale * normal(rng);
    out.push_back({name, shape, v, s.dtype});
  };
  const float w = 0.35f;  // wide enough that attention patterns and logits differ clearly
  add("model.embed_tokens.weight", {V, H}, 1.0f);
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {H}, 0.2f, 1.0f);
    add(p + "self_attn.q_proj.weight", {q, H}, w);
    add(p + "self_attn.k_proj.weight", {kv, H}, w);
    add(p + "self_attn.v_proj.weight", {kv, H}, w);
    if (s.bias) {
      add(p + "self_attn.q_proj.bias", {q}, 0.5f);
      add(p + "self_attn.k_proj.bias", {kv}, 0.5f);
      add(p + "self_attn.v_proj.bias", {kv}, 0.5f);
    }
    add(p + "self_attn.o_proj.weight", {H, q}, w / 2);
    add(p + "post_attention_layernorm.weight", {H}, 0.2f, 1.0f);
    add(p + "mlp.gate_proj.weight", {I, H}, w);
    add(p + "mlp.up_proj.weight", {I, H}, w);
    add(p + "mlp.down_proj.weight", {H, I}, w / 2);
    if (s.extraInvFreq) add(p + "self_attn.rotary_emb.inv_freq", {d / 2}, 1.0f);
  }
  add("model.norm.weight", {H}, 0.2f, 1.0f);
  if (!s.tied) add("lm_head.weight", {V, H}, w);
  return out;
}

json tinyConfig(const TinySpec& s) {
  const bool qwen2 = s.architecture == "Qwen2ForCausalLM";
  json c = {{"architectures", {s.architecture}},
            {"model_type", qwen2 ? "qwen2" : "llama"},
            {"hidden_size", s.hidden},
            {"intermediate_size", s.intermediate},
            {"num_hidden_layers", s.layers},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.kvHeads},
            {"vocab_size", s.vocab},
            {"max_position_embeddings", s.maxPositions},
            {"rms_norm_eps", s.eps},
            {"rope_theta", s.theta},
            {"rope_scaling", s.ropeScaling},
            {"tie_word_embeddings", s.tied},
            {"hidden_act", "silu"},
            {"torch_dtype", "float32"}};
  if (!qwen2) c["attention_bias"] = s.bias;
  return c;
}

void writeJson(const fs::path& path, const json& j) {
  std::ofstream out(path);
  out << j.dump(2);
}

void writeTinyCheckpoint(const fs::path& folder, const TinySpec& s, uint64_t seed) {
  fs::remove_all(folder);
  fs::create_directories(folder);
  writeJson(folder / "config.json", tinyConfig(s));
  auto tensors = tinyTensors(s, seed);
  if (s.shards == 1) {
    writeSafetensors((folder / "model.safetensors").string(), tensors, {{"format", "pt"}});
    return;
  }
  std::vector<std::vector<SafetensorToWrite>> parts(s.shards);
  for (size_t i = 0; i < tensors.size(); ++i) parts[i * s.shards / tensors.size()].push_back(tensors[i]);
  json index;
  index["metadata"] = {{"total_size", 0}};
  for (int k = 0; k < s.shards; ++k) {
    char name[64];
    std::snprintf(name, sizeof name, "model-%05d-of-%05d.safetensors", k + 1, s.shards);
    writeSafetensors((folder / name).string(), parts[k], {{"format", "pt"}});
    for (const auto& t : parts[k]) index["weight_map"][t.name] = name;
  }
  writeJson(folder / "model.safetensors.index.json", index);
}

// ---- the independent reference: plain loops over doubles -----------------------------------------

class Reference {
 public:
  Reference(const fs::path& folder, const TinySpec& s) : s_(s), checkpoint_(folder.string()) {}

  // Logits [T][V] of one unpadded sequence.
  std::vector<std::vector<double>> logits(const std::vector<int64_t>& tokens) {
    const int H = s_.hidden, n = s_.heads, k = s_.kvHeads, d = H / n, T = static_cast<int>(tokens.size());
    const auto invFreq = inverseFrequencies();
    const auto& embed = w("model.embed_tokens.weight");
    std::vector<std::vector<double>> x(T, std::vector<double>(H));
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < H; ++h) x[t][h] = embed[tokens[t] * H + h];
    for (int l = 0; l < s_.layers; ++l) {
      const std::string p = "model.layers." + std::to_string(l) + ".";
      std::vector<std::vector<double>> q(T), key(T), val(T);
      for (int t = 0; t < T; ++t) {
        const auto a = rmsNorm(x[t], w(p + "input_layernorm.weight"));
        q[t] = linear(p + "self_attn.q_proj", a);
        key[t] = linear(p + "self_attn.k_proj", a);
        val[t] = linear(p + "self_attn.v_proj", a);
        for (int i = 0; i < n; ++i) rope(&q[t][i * d], d, t, invFreq);
        for (int i = 0; i < k; ++i) rope(&key[t][i * d], d, t, invFreq);
      }
      for (int t = 0; t < T; ++t) {
        std::vector<double> attended(n * d, 0.0);
        for (int i = 0; i < n; ++i) {
          const int g = i / (n / k);  // the key/value head this query head reads
          std::vector<double> score(t + 1);
          double top = -1e300;
          for (int s = 0; s <= t; ++s) {
            double dot = 0;
            for (int e = 0; e < d; ++e) dot += q[t][i * d + e] * key[s][g * d + e];
            score[s] = dot / std::sqrt(double(d));
            top = std::max(top, score[s]);
          }
          double z = 0;
          for (auto& v : score) z += (v = std::exp(v - top));
          for (int s = 0; s <= t; ++s)
            for (int e = 0; e < d; ++e) attended[i * d + e] += score[s] / z * val[s][g * d + e];
        }
        const auto o = linear(p + "self_attn.o_proj", attended);
        for (int h = 0; h < H; ++h) x[t][h] += o[h];
        const auto m = rmsNorm(x[t], w(p + "post_attention_layernorm.weight"));
        auto gate = linear(p + "mlp.gate_proj", m);
        const auto up = linear(p + "mlp.up_proj", m);
        for (size_t j = 0; j < gate.size(); ++j) gate[j] = gate[j] / (1.0 + std::exp(-gate[j])) * up[j];
        const auto down = linear(p + "mlp.down_proj", gate);
        for (int h = 0; h < H; ++h) x[t][h] += down[h];
      }
    }
    std::vector<std::vector<double>> out(T);
    for (int t = 0; t < T; ++t)
      out[t] = linear(s_.tied ? "model.embed_tokens" : "lm_head", rmsNorm(x[t], w("model.norm.weight")));
    return out;
  }

  // w_i = theta^(-2i/d), then rope_scaling (linear or llama3, following HF's definitions).
  std::vector<double> inverseFrequencies() const {
    const int d = s_.hidden / s_.heads;
    std::vector<double> inv(d / 2);
    for (int i = 0; i < d / 2; ++i) inv[i] = std::pow(s_.theta, -2.0 * i / d);
    if (s_.ropeScaling.is_null()) return inv;
    const auto& r = s_.ropeScaling;
    const std::string type = r.value("rope_type", r.value("type", std::string()));
    const double factor = r["factor"].get<double>();
    for (auto& f : inv) {
      if (type == "linear") {
        f /= factor;
      } else if (type == "llama3") {
        const double low = r["low_freq_factor"], high = r["high_freq_factor"];
        const double old = r["original_max_position_embeddings"];
        const double wavelength = 2 * M_PI / f;
        if (wavelength > old / low) {
          f /= factor;
        } else if (wavelength >= old / high) {
          const double smooth = (old / wavelength - low) / (high - low);
          f = (1 - smooth) * f / factor + smooth * f;
        }
      }
    }
    return inv;
  }

 private:
  const std::vector<double>& w(const std::string& name) {
    auto it = cache_.find(name);
    if (it == cache_.end()) {
      const auto f = checkpoint_.readFloats(name);
      it = cache_.emplace(name, std::vector<double>(f.begin(), f.end())).first;
    }
    return it->second;
  }
  std::vector<double> linear(const std::string& prefix, const std::vector<double>& in) {
    const auto& W = w(prefix + ".weight");
    const size_t outSize = W.size() / in.size();
    std::vector<double> out(outSize, 0.0);
    for (size_t o = 0; o < outSize; ++o)
      for (size_t i = 0; i < in.size(); ++i) out[o] += W[o * in.size() + i] * in[i];
    if (checkpoint_.has(prefix + ".bias")) {
      const auto& b = w(prefix + ".bias");
      for (size_t o = 0; o < outSize; ++o) out[o] += b[o];
    }
    return out;
  }
  std::vector<double> rmsNorm(const std::vector<double>& x, const std::vector<double>& weight) const {
    double ms = 0;
    for (double v : x) ms += v * v;
    ms /= x.size();
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = weight[i] * x[i] / std::sqrt(ms + s_.eps);
    return out;
  }
  // rotate_half convention: element j pairs with j + d/2, both rotated by angle pos * w_j.
  static void rope(double* v, int d, int pos, const std::vector<double>& invFreq) {
    for (int j = 0; j < d / 2; ++j) {
      const double c = std::cos(pos * invFreq[j]), s = std::sin(pos * invFreq[j]);
      const double a = v[j], b = v[j + d / 2];
      v[j] = a * c - b * s;
      v[j + d / 2] = b * c + a * s;
    }
  }

  TinySpec s_;
  SafetensorsCheckpoint checkpoint_;
  std::map<std::string, std::vector<double>> cache_;
};

// ---- helpers ------------------------------------------------------------------------------------

json llama3Scaling(double factor, double low, double high, int original) {
  return {{"rope_type", "llama3"}, {"factor", factor}, {"low_freq_factor", low}, {"high_freq_factor", high},
          {"original_max_position_embeddings", original}};
}

std::vector<int64_t> randomTokens(int n, int vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> t(n);
  for (auto& x : t) x = static_cast<int64_t>(rng() % vocab);
  return t;
}

// Left-pads rows to a batch: tokens (padding id `pad`) and valid [B,T].
std::pair<torch::Tensor, torch::Tensor> leftPadded(const std::vector<std::vector<int64_t>>& rows, int64_t pad = 3) {
  size_t T = 0;
  for (const auto& r : rows) T = std::max(T, r.size());
  auto tokens = torch::full({int64_t(rows.size()), int64_t(T)}, pad, torch::kLong);
  auto valid = torch::zeros({int64_t(rows.size()), int64_t(T)}, torch::kBool);
  for (size_t b = 0; b < rows.size(); ++b)
    for (size_t i = 0; i < rows[b].size(); ++i) {
      tokens[b][T - rows[b].size() + i] = rows[b][i];
      valid[b][T - rows[b].size() + i] = true;
    }
  return {tokens, valid};
}

// max |logits[b, offset + t, :] - ref[t]| / max(1, max |ref|) over the row's tokens.
double relativeError(const torch::Tensor& logits, int64_t b, int64_t offset,
                     const std::vector<std::vector<double>>& ref) {
  auto l = logits.to(torch::kDouble).contiguous();
  double diff = 0, scale = 1;
  for (size_t t = 0; t < ref.size(); ++t)
    for (size_t v = 0; v < ref[t].size(); ++v) {
      diff = std::max(diff, std::fabs(l[b][offset + t][v].item<double>() - ref[t][v]));
      scale = std::max(scale, std::fabs(ref[t][v]));
    }
  return diff / scale;
}

double maxDiffAtValid(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& valid) {
  return ((a - b).abs().amax(-1) * valid.to(torch::kFloat)).max().item<double>();
}

}  // namespace

class TestHfModel : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path path(const std::string& name) const { return fs::path(dir_.path().toStdString()) / name; }

  // A loaded tiny Llama (GQA, llama3 scaling) for the cache, padding and LoRA tests.
  TinySpec cacheSpec() const {
    TinySpec s;
    s.theta = 500000.0;
    s.ropeScaling = llama3Scaling(8, 1, 4, 256);
    return s;
  }

 private slots:
  void initTestCase() {
    torch::set_num_threads(1);
    QVERIFY(dir_.isValid());
  }

  // Golden values: HF's _compute_llama3_parameters in float32 (PyTorch) for a Llama 3.2-like
  // head (d = 64, theta = 500000, factor 32, low 1, high 4, original 8192); every branch occurs.
  void llama3InverseFrequencies() {
    HfModelConfig c;
    c.hiddenSize = 64 * 4;
    c.heads = 4;
    c.ropeTheta = 500000.0;
    c.ropeScaling = llama3Scaling(32, 1, 4, 8192);
    const std::vector<double> hf = {
        1.0, 0.663601279, 0.440366626, 0.292227834, 0.193922758, 0.128687382, 0.0853971019, 0.0566696189,
        0.0376060307, 0.0249554086, 0.0165604409, 0.0109895291, 0.00729266508, 0.00483942125, 0.00321144611,
        0.00129054801, 0.000429556705, 9.70828623e-05, 1.94616387e-05, 1.29147675e-05, 8.57025589e-06,
        5.68723226e-06, 3.77405445e-06, 2.50446715e-06, 1.66196742e-06, 1.10288363e-06, 7.31874934e-07,
        4.85673127e-07, 3.22293289e-07, 2.1387423e-07, 1.41927202e-07, 9.41830649e-08};
    const auto inv = hfRopeInverseFrequencies(c);
    QCOMPARE(inv.size(), hf.size());
    for (size_t i = 0; i < hf.size(); ++i) TB_NEAR(inv[i] / hf[i], 1.0, 2e-6);
    // linear: every frequency divided by the factor
    c.ropeScaling = {{"type", "linear"}, {"factor", 4.0}};
    TB_NEAR(hfRopeInverseFrequencies(c)[1], std::pow(500000.0, -2.0 / 64) / 4, 1e-15);
    c.ropeScaling = {{"rope_type", "dynamic"}, {"factor", 2.0}};
    QVERIFY(inputErrorOf([&] { hfRopeInverseFrequencies(c); }).contains("'dynamic' is not supported"));
    c.ropeScaling = {{"rope_type", "llama3"}, {"factor", 8.0}};
    QVERIFY(inputErrorOf([&] { hfRopeInverseFrequencies(c); }).contains("low_freq_factor"));
  }

  // transformers 5 writes rope_parameters {rope_type, rope_theta, ...} and dtype where 4.x wrote
  // rope_theta, rope_scaling and torch_dtype: both spellings give the same frequencies.
  void transformers5ConfigKeys() {
    nlohmann::json v4 = {{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", 256}, {"intermediate_size", 64},
                         {"num_hidden_layers", 1}, {"num_attention_heads", 4}, {"vocab_size", 10},
                         {"rope_theta", 500000.0}, {"rope_scaling", llama3Scaling(32, 1, 4, 8192)},
                         {"torch_dtype", "bfloat16"}};
    nlohmann::json v5 = v4;
    v5.erase("rope_theta");
    v5.erase("rope_scaling");
    v5.erase("torch_dtype");
    v5["rope_parameters"] = llama3Scaling(32, 1, 4, 8192);
    v5["rope_parameters"]["rope_theta"] = 500000.0;
    v5["dtype"] = "bfloat16";
    const auto a = parseHfModelConfig(v4, "v4"), b = parseHfModelConfig(v5, "v5");
    QCOMPARE(b.ropeTheta, 500000.0);
    QCOMPARE(b.torchDtype, std::string("bfloat16"));
    QCOMPARE(hfRopeInverseFrequencies(b), hfRopeInverseFrequencies(a));
    QVERIFY(hfRopeInverseFrequencies(b)[31] < std::pow(500000.0, -62.0 / 64) / 2);  // scaled
    // default rope_type: no scaling, only theta
    v5["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 1000000.0}};
    const auto d = parseHfModelConfig(v5, "v5");
    QVERIFY(d.ropeScaling.is_null());
    QCOMPARE(d.ropeTheta, 1000000.0);
    v5["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", "big"}};
    QVERIFY(inputErrorOf([&] { parseHfModelConfig(v5, "'x/config.json'"); }).contains("rope_parameters.rope_theta"));
  }

  void parityWithReference_data() {
    QTest::addColumn<QString>("architecture");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<double>("theta");
    QTest::addColumn<QString>("scaling");  // JSON
    QTest::addColumn<bool>("tied");
    QTest::addColumn<bool>("bias");
    QTest::addColumn<QString>("dtype");
    QTest::addColumn<int>("shards");
    const QString llama3 = QString::fromStdString(llama3Scaling(8, 1, 4, 256).dump());
    const QString linear = QStringLiteral(R"({"type":"linear","factor":2.0})"), none = QStringLiteral("null");
    const QString llama = QStringLiteral("LlamaForCausalLM"), qwen2 = QStringLiteral("Qwen2ForCausalLM");
    auto row = [](const char* tag, const QString& arch, int kv, double theta, const QString& scaling, bool tied,
                  bool bias, const char* dtype, int shards) {
      QTest::newRow(tag) << arch << kv << theta << scaling << tied << bias << QString(dtype) << shards;
    };
    row("llama untied llama3-scaling F32 (+inv_freq)", llama, 2, 5e5, llama3, false, false, "F32", 1);
    row("llama linear-scaling BF16", llama, 2, 1e4, linear, false, false, "BF16", 1);
    row("llama attention_bias MQA F16 sharded", llama, 1, 1e4, none, false, true, "F16", 3);
    row("llama tied MHA BF16 sharded llama3", llama, 4, 5e5, llama3, true, false, "BF16", 2);
    row("qwen2 tied biases F32", qwen2, 2, 1e6, none, true, true, "F32", 1);
    row("qwen2 untied BF16 sharded", qwen2, 2, 1e6, none, false, true, "BF16", 2);
  }

  // Logits of the loaded model equal the reference's, for a full row and a left-padded one.
  void parityWithReference() {
    QFETCH(QString, architecture);
    QFETCH(int, kvHeads);
    QFETCH(double, theta);
    QFETCH(QString, scaling);
    QFETCH(bool, tied);
    QFETCH(bool, bias);
    QFETCH(QString, dtype);
    QFETCH(int, shards);
    TinySpec s;
    s.architecture = architecture.toStdString();
    s.kvHeads = kvHeads;
    s.theta = theta;
    s.ropeScaling = json::parse(scaling.toStdString());
    s.tied = tied;
    s.bias = bias;
    s.dtype = dtype.toStdString();
    s.shards = shards;
    s.extraInvFreq = QByteArray(QTest::currentDataTag()).contains("inv_freq");
    const auto folder = path("parity");
    writeTinyCheckpoint(folder, s, /*seed=*/11);
    if (shards > 1) QVERIFY(fs::exists(folder / "model.safetensors.index.json"));

    HfCausalLM model = loadHfCausalLM(folder.string());
    QCOMPARE(model->parameterCount(), hfParameterCount(model->config()));
    QCOMPARE(model->config().tieWordEmbeddings, tied);
    Reference ref(folder, s);

    const auto full = randomTokens(12, s.vocab, 5), shorter = randomTokens(7, s.vocab, 6);
    auto [tokens, valid] = leftPadded({full, shorter});
    torch::NoGradGuard noGrad;
    auto logits = model->forward(tokens, valid);
    QCOMPARE(logits.sizes().vec(), (std::vector<int64_t>{2, 12, s.vocab}));
    QCOMPARE(logits.scalar_type(), torch::kFloat);
    const double e0 = relativeError(logits, 0, 0, ref.logits(full));
    const double e1 = relativeError(logits, 1, 12 - 7, ref.logits(shorter));
    qDebug("relative error: full row %.3g, padded row %.3g", e0, e1);
    QVERIFY2(e0 < 1e-4 && e1 < 1e-4, qPrintable(QString("%1 %2").arg(e0).arg(e1)));
  }

  // Token-by-token (and chunked) decoding with the cache equals the whole-sequence forward, the
  // cache growing past its initial capacity; padded rows equal unpadded single rows.
  void kvCacheAndPadding() {
    const auto s = cacheSpec();
    const auto folder = path("cache");
    writeTinyCheckpoint(folder, s, /*seed=*/21);
    HfCausalLM model = loadHfCausalLM(folder.string());
    torch::NoGradGuard noGrad;
    const std::vector<std::vector<int64_t>> rows = {randomTokens(10, s.vocab, 1), randomTokens(6, s.vocab, 2),
                                                    randomTokens(8, s.vocab, 3)};
    auto [tokens, valid] = leftPadded(rows);
    const auto full = model->forward(tokens, valid);
    for (int64_t prefix : {1, 4}) {
      KvCache cache = model->makeCache(3, torch::kCPU, /*capacity=*/3);
      std::vector<torch::Tensor> parts = {
          model->forwardCached(tokens.narrow(1, 0, prefix), valid.narrow(1, 0, prefix), cache)};
      for (int64_t t = prefix; t < tokens.size(1); ++t)
        parts.push_back(model->forwardCached(tokens.narrow(1, t, 1), valid.narrow(1, t, 1), cache));
      QCOMPARE(cache.length, 10);
      QVERIFY(cache.keys[0].size(2) >= 10);
      QCOMPARE(cache.keys[0].size(1), int64_t(s.kvHeads));
      const double diff = maxDiffAtValid(torch::cat(parts, 1), full, valid);
      QVERIFY2(diff < 1e-4, qPrintable(QString("prefix %1: %2").arg(prefix).arg(diff)));
    }
    for (size_t b = 0; b < rows.size(); ++b) {
      auto single = torch::tensor(rows[b], torch::kLong).unsqueeze(0);
      auto alone = model->forward(single, torch::ones_like(single, torch::kBool));
      const int64_t n = rows[b].size();
      const double diff = (alone[0] - full[b].narrow(0, 10 - n, n)).abs().max().item<double>();
      QVERIFY2(diff < 1e-4, qPrintable(QString("row %1: %2").arg(b).arg(diff)));
    }
    // Attention rows of real tokens sum to 1 over real keys; padded keys get 0.
    const auto maps = model->attentionMaps(tokens, valid);
    QCOMPARE(maps.size(), size_t(2));
    QCOMPARE(maps[0].sizes().vec(), (std::vector<int64_t>{3, 4, 10, 10}));
    QVERIFY(maps[1][1].narrow(-1, 0, 4).narrow(-2, 4, 6).abs().max().item<double>() == 0.0);
    TB_NEAR(maps[1][1][2][9].sum().item<double>(), 1.0, 1e-5);
  }

  // saveHfCausalLM writes a checkpoint that loads back to the same logits.
  void saveRoundTrip() {
    const auto s = cacheSpec();
    writeTinyCheckpoint(path("orig"), s, 31);
    HfCausalLM model = loadHfCausalLM(path("orig").string());
    saveHfCausalLM(model, path("saved").string());
    HfCausalLM again = loadHfCausalLM(path("saved").string());
    QCOMPARE(SafetensorsCheckpoint(path("saved").string()).names(),
             SafetensorsCheckpoint(path("orig").string()).names());
    torch::NoGradGuard noGrad;
    auto [tokens, valid] = leftPadded({randomTokens(9, s.vocab, 4), randomTokens(5, s.vocab, 5)});
    QVERIFY(torch::equal(model->forward(tokens, valid), again->forward(tokens, valid)));
  }

  // model.device / --device: cpu, cuda or cuda:N (the GPU of one rank); the message says which.
  void devicePlacement() {
    QCOMPARE(QString::fromStdString(hfPlacement("cpu", "").dtype), QString("float32"));
    QString m = inputErrorOf([] { hfPlacement("gpu", ""); });
    QVERIFY2(m.contains("--device gpu: expected cpu, cuda or cuda:N"), qPrintable(m));
    const auto devices = static_cast<int>(torch::cuda::device_count());
    if (devices == 0) {
      m = inputErrorOf([] { hfPlacement("cuda:0", ""); });
      QVERIFY2(m.contains("--device cuda:0: this build of LibTorch sees no CUDA device"), qPrintable(m));
    } else {
      QCOMPARE(QString::fromStdString(hfPlacement("cuda:" + std::to_string(devices - 1), "").dtype),
               QString("bfloat16"));
      for (const std::string bad : {"cuda:" + std::to_string(devices), std::string("cuda:x"), std::string("cuda:")}) {
        m = inputErrorOf([&] { hfPlacement(bad, ""); });
        QVERIFY2(m.contains("expected cuda:N with N from 0 to"), qPrintable(m));
      }
    }
  }

  void refusals() {
    const auto s = cacheSpec();
    const auto folder = path("bad");
    auto refusal = [&](torch::ScalarType dtype = torch::kFloat) {
      return inputErrorOf([&] { loadHfCausalLM(folder.string(), torch::kCPU, dtype); });
    };
    // missing tensor
    writeTinyCheckpoint(folder, s, 41);
    {
      auto tensors = tinyTensors(s, 41);
      tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                                   [](const auto& t) { return t.name == "model.layers.1.mlp.up_proj.weight"; }),
                    tensors.end());
      writeSafetensors((folder / "model.safetensors").string(), tensors);
      const QString m = refusal();
      QVERIFY2(m.contains("lacks tensor 'model.layers.1.mlp.up_proj.weight'"), qPrintable(m));
    }
    // wrong shape
    {
      auto tensors = tinyTensors(s, 41);
      for (auto& t : tensors)
        if (t.name == "model.layers.0.self_attn.k_proj.weight") {
          t.shape = {8, 32};
          t.values.resize(8 * 32);
        }
      writeSafetensors((folder / "model.safetensors").string(), tensors);
      const QString m = refusal();
      QVERIFY2(m.contains("'model.layers.0.self_attn.k_proj.weight' has shape [8, 32]") && m.contains("[16, 32]"),
               qPrintable(m));
    }
    // unsupported architecture
    writeTinyCheckpoint(folder, s, 41);
    {
      auto c = tinyConfig(s);
      c["architectures"] = {"MistralForCausalLM"};
      c["model_type"] = "mistral";
      writeJson(folder / "config.json", c);
      const QString m = refusal();
      QVERIFY2(m.contains("MistralForCausalLM") && m.contains("not supported") && m.contains("config.json"),
               qPrintable(m));
    }
    // unsupported rope scaling
    {
      auto c = tinyConfig(s);
      c["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
      writeJson(folder / "config.json", c);
      const QString m = refusal();
      QVERIFY2(m.contains("rope_scaling type 'dynamic' is not supported") && m.contains("config.json"), qPrintable(m));
    }
    // corrupt header
    writeTinyCheckpoint(folder, s, 41);
    {
      std::ofstream out(folder / "model.safetensors", std::ios::binary);
      const uint64_t n = 20;
      out.write(reinterpret_cast<const char*>(&n), 8);
      out << "{\"a\": {\"dtype\": \"F3";
    }
    QVERIFY2(refusal().contains("model.safetensors"), qPrintable(refusal()));
    // missing folder, no weights
    QVERIFY(inputErrorOf([&] { loadHfCausalLM(path("nowhere").string()); }).contains("does not exist"));
    fs::remove(folder / "model.safetensors");
    QVERIFY(!refusal().isEmpty());
    // dtypes: half on the CPU never; bfloat16 on the CPU only when its matmul accumulates in float
    writeTinyCheckpoint(folder, s, 41);
    QVERIFY(refusal(torch::kHalf).contains("float16 is not supported on the CPU"));
    QVERIFY(refusal(torch::kDouble).contains("is not supported"));
    if (cpuBfloat16MatmulIsAccurate()) {
      QVERIFY(refusal(torch::kBFloat16).isEmpty());
    } else {
      const QString m = refusal(torch::kBFloat16);
      QVERIFY2(m.contains("bfloat16 on the CPU is refused"), qPrintable(m));
      qDebug("%s", qPrintable(m));
    }
  }

  // ---- LoRA -----------------------------------------------------------------------------------

  void loraFreshAdapterChangesNothing() {
    const auto s = cacheSpec();
    writeTinyCheckpoint(path("lora"), s, 51);
    HfCausalLM model = loadHfCausalLM(path("lora").string());
    auto [tokens, valid] = leftPadded({randomTokens(9, s.vocab, 7), randomTokens(4, s.vocab, 8)});
    torch::Tensor before;
    {
      torch::NoGradGuard noGrad;
      before = model->forward(tokens, valid);
    }
    torch::manual_seed(3);
    QCOMPARE(applyLora(*model, LoraConfig{4, 8.0, {"q_proj", "v_proj"}}), 2 * s.layers);
    const auto names = loraModuleNames(*model);
    QCOMPARE(names.size(), size_t(4));
    QCOMPARE(names[0], std::string("model.layers.0.self_attn.q_proj"));
    int64_t trainable = 0;
    for (const auto& p : model->named_parameters()) {
      const bool lora = p.key().find(".lora_") != std::string::npos;
      QCOMPARE(p.value().requires_grad(), lora);
      if (lora) trainable += p.value().numel();
    }
    QCOMPARE(trainable, int64_t(s.layers) * (4 * 32 + 32 * 4 + 4 * 32 + 16 * 4));  // q: A [4,32] B [32,4]; v: B [16,4]
    auto after = model->forward(tokens, valid);
    QVERIFY(torch::equal(before, after));
    // Gradients reach the adapters only.
    after.logsumexp(-1).sum().backward();
    for (const auto& p : model->named_parameters()) {
      if (p.key().find(".lora_") == std::string::npos) QVERIFY(!p.value().grad().defined());
      else if (p.key().find(".lora_B") != std::string::npos) QVERIFY(p.value().grad().abs().sum().item<double>() > 0);
    }
    QVERIFY(inputErrorOf([&] { applyLora(*model, LoraConfig{4, 8.0, {"qkv"}}); }).contains("match no linear layer"));
  }

  // Over a bfloat16 base the adapters are float32, as PEFT's default: the adapter's product is
  // computed in float32 and added in bfloat16; gradients reach A and B in float32. (Half behaves
  // the same; LibTorch 1.13 has no CPU half matmul to test it with.)
  void loraAdaptersAreFloat32OverBfloat16() {
    for (auto dtype : {torch::kBFloat16}) {
      torch::manual_seed(4);
      LoraLinear layer(32, 16, /*bias=*/true);
      layer->to(dtype);
      layer->attachLora(4, 8.0);
      QCOMPARE(layer->loraA()->weight.scalar_type(), torch::kFloat);
      QCOMPARE(layer->loraB()->weight.scalar_type(), torch::kFloat);
      {
        torch::NoGradGuard noGrad;
        layer->loraB()->weight.normal_(0.0, 0.1);
      }
      const auto x = torch::randn({5, 32}).to(dtype);
      auto y = layer->forward(x);
      QCOMPARE(y.scalar_type(), dtype);
      // The same sum computed by hand in float32, rounded once.
      const auto expected = (torch::nn::functional::linear(x, layer->weight, layer->bias).to(torch::kFloat) +
                             torch::matmul(torch::matmul(x.to(torch::kFloat), layer->loraA()->weight.t()),
                                           layer->loraB()->weight.t()) * 2.0);
      QVERIFY((y.to(torch::kFloat) - expected).abs().max().item<double>() < 0.05 * expected.abs().max().item<double>());
      y.to(torch::kFloat).sum().backward();
      QCOMPARE(layer->loraA()->weight.grad().scalar_type(), torch::kFloat);
      QVERIFY(layer->loraB()->weight.grad().abs().sum().item<double>() > 0);
      QVERIFY(!layer->weight.grad().defined() || layer->weight.grad().scalar_type() == dtype);
    }
    // A float32 base keeps float32 adapters (nothing converted).
    LoraLinear plain(8, 8, false);
    plain->attachLora(2, 4.0);
    QCOMPARE(plain->loraA()->weight.scalar_type(), torch::kFloat);
  }

  // With B changed by hand the logits equal those of W + (alpha/r) B A written into the base
  // weights by hand, and mergeLora gives the same; the PEFT files round-trip.
  void loraMergeAndPeftRoundTrip() {
    const auto s = cacheSpec();
    writeTinyCheckpoint(path("lora"), s, 52);
    const LoraConfig config{4, 16.0, {"q_proj", "k_proj", "v_proj", "o_proj", "down_proj"}};
    HfCausalLM model = loadHfCausalLM(path("lora").string());
    torch::manual_seed(4);
    QCOMPARE(applyLora(*model, config), 5 * s.layers);
    torch::NoGradGuard noGrad;
    for (auto& p : model->named_parameters())
      if (p.key().find(".lora_B.") != std::string::npos) p.value().normal_(0.0, 0.2);
    auto [tokens, valid] = leftPadded({randomTokens(9, s.vocab, 9), randomTokens(6, s.vocab, 10)});
    const auto adapted = model->forward(tokens, valid);

    HfCausalLM merged = loadHfCausalLM(path("lora").string());
    auto base = merged->named_parameters();
    const auto params = model->named_parameters();
    int mergedCount = 0;
    for (const auto& name : loraModuleNames(*model)) {
      const auto A = params[name + ".lora_A.weight"], B = params[name + ".lora_B.weight"];
      base[name + ".weight"].add_(torch::matmul(B, A) * (16.0 / 4));
      ++mergedCount;
    }
    QCOMPARE(mergedCount, 10);
    const auto byHand = merged->forward(tokens, valid);
    QVERIFY((adapted - byHand).abs().max().item<double>() < 1e-4);
    const auto unadapted = loadHfCausalLM(path("lora").string())->forward(tokens, valid);
    QVERIFY((adapted - unadapted).abs().max().item<double>() > 1e-2);

    saveLoraAdapter(*model, config, path("adapter").string());
    SafetensorsFile file((path("adapter") / "adapter_model.safetensors").string());
    QCOMPARE(file.tensors().size(), size_t(20));
    QVERIFY(file.has("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"));
    QCOMPARE(file.info("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight").shape,
             (std::vector<int64_t>{32, 4}));
    std::ifstream in(path("adapter") / "adapter_config.json");
    const auto j = json::parse(in);
    QCOMPARE(j["r"].get<int>(), 4);
    QCOMPARE(j["lora_alpha"].get<double>(), 16.0);
    QCOMPARE(j["peft_type"].get<std::string>(), std::string("LORA"));

    HfCausalLM reloaded = loadHfCausalLM(path("lora").string());
    const auto read = loadLoraAdapter(*reloaded, path("adapter").string());
    QCOMPARE(read.rank, 4);
    QCOMPARE(read.targetModules, config.targetModules);
    QVERIFY(torch::equal(reloaded->forward(tokens, valid), adapted));

    mergeLora(*model);
    QVERIFY(loraModuleNames(*model).empty());
    QVERIFY((model->forward(tokens, valid) - byHand).abs().max().item<double>() < 1e-4);

    // Refusals: a wrong shape, a key naming no module, a bad config.
    auto tensors = std::vector<SafetensorToWrite>{};
    for (const auto& [name, info] : file.tensors()) tensors.push_back({name, info.shape, file.readFloats(name), "F32"});
    tensors[0].shape = {2, int64_t(tensors[0].values.size()) / 2};
    writeSafetensors((path("adapter") / "adapter_model.safetensors").string(), tensors);
    HfCausalLM fresh = loadHfCausalLM(path("lora").string());
    QVERIFY(inputErrorOf([&] { loadLoraAdapter(*fresh, path("adapter").string()); }).contains("has shape [2,"));
    tensors[0].name = "base_model.model.model.layers.7.self_attn.q_proj.lora_A.weight";
    writeSafetensors((path("adapter") / "adapter_model.safetensors").string(), tensors);
    HfCausalLM fresh2 = loadHfCausalLM(path("lora").string());
    QVERIFY(inputErrorOf([&] { loadLoraAdapter(*fresh2, path("adapter").string()); })
                .contains("names no adapted module"));
    auto bad = j;
    bad["use_rslora"] = true;
    writeJson(path("adapter") / "adapter_config.json", bad);
    HfCausalLM fresh3 = loadHfCausalLM(path("lora").string());
    QVERIFY(inputErrorOf([&] { loadLoraAdapter(*fresh3, path("adapter").string()); }).contains("use_rslora"));
  }

  // ---- sampling and scoring (core/rollout/HfGeneration) --------------------------------------

  // At temperature 1e-4 the sampler picks the argmax; the reference decodes each prompt alone
  // with the whole-sequence forward, one token at a time, stopping at eos, the stop id or the
  // extra stop id (the last one exercises the forced-eos path and its removal).
  void greedySamplingEqualsArgmaxDecoding() {
    const auto s = cacheSpec();
    writeTinyCheckpoint(path("sample"), s, 61);
    HfCausalLM model = loadHfCausalLM(path("sample").string());
    const std::vector<std::vector<int>> prompts = {{5, 9, 14, 2, 33, 7}, {41, 3}, {12, 12, 30, 8, 1, 22, 19, 4, 6, 28}};
    const int L = 14;
    auto argmaxDecode = [&](std::vector<int> seq, const std::vector<int>& stops) {
      torch::NoGradGuard noGrad;
      std::vector<int> out;
      while (static_cast<int>(out.size()) < L) {
        std::vector<int64_t> ids(seq.begin(), seq.end());
        auto tokens = torch::tensor(ids, torch::kLong).unsqueeze(0);
        const int next = static_cast<int>(model->forward(tokens, torch::ones_like(tokens, torch::kBool))[0][-1]
                                              .argmax()
                                              .item<int64_t>());
        out.push_back(next);
        seq.push_back(next);
        if (std::find(stops.begin(), stops.end(), next) != stops.end()) break;
      }
      return out;
    };
    // Stop ids that the greedy paths actually reach: prompt 1's 4th token and prompt 0's 6th and
    // prompt 2's 3rd (those not already stopping earlier).
    const auto free0 = argmaxDecode(prompts[0], {}), free1 = argmaxDecode(prompts[1], {}),
               free2 = argmaxDecode(prompts[2], {});
    SamplingOptions options;
    options.temperature = 1e-4;
    options.maxNewTokens = L;
    options.padId = 0;
    options.eosId = free1[3];
    options.stopId = free0[5] != options.eosId ? free0[5] : -1;
    std::vector<int> extra;
    for (int id : {free2[2], free0[1], 47})
      if (id != options.eosId && id != options.stopId) extra.push_back(id);
    std::vector<int> stops = {options.eosId};
    if (options.stopId >= 0) stops.push_back(options.stopId);
    stops.insert(stops.end(), extra.begin(), extra.end());
    auto generator = at::make_generator<at::CPUGeneratorImpl>(7);
    const RolloutBatch batch = sampleHfCompletions(model, prompts, options, generator, extra);
    const int P = batch.promptLength;
    QCOMPARE(P, 10);
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto expected = argmaxDecode(prompts[i], stops);
      std::vector<int> got;
      for (int j = 0; j < batch.lengths[i]; ++j) got.push_back(static_cast<int>(batch.tokens[i][P + j].item<int64_t>()));
      QVERIFY2(got == expected, qPrintable(QString("row %1: %2 vs %3 tokens").arg(i).arg(got.size()).arg(expected.size())));
      const bool stopped = std::find(stops.begin(), stops.end(), expected.back()) != stops.end();
      QCOMPARE(bool(batch.finished[i]), stopped);
      // The batch is consistent after the forced eos was removed: mask, valid and lengths agree.
      QCOMPARE(batch.completionMask[i].sum().item<float>(), float(batch.lengths[i]));
      QCOMPARE(batch.valid[i].narrow(0, P, batch.completionMask.size(1)).sum().item<int64_t>(),
               int64_t(batch.lengths[i]));
      // Near-zero temperature: the argmax has probability ~1 (log-prob ~0, entropy ~0).
      QVERIFY(batch.logprobs[i].abs().max().item<float>() < 1e-3);
    }
    QVERIFY2(batch.finished[0] && batch.finished[1] && batch.finished[2], "every row should reach a stop id");
    QVERIFY(!extra.empty());
  }

  // With rowSeeds, a batch of prompts sampled together equals the prompts sampled one by one
  // (with top-p and stops that end rows at different steps).
  void rowSeededBatchEqualsRowsAlone() {
    const auto s = cacheSpec();
    writeTinyCheckpoint(path("sample"), s, 62);
    HfCausalLM model = loadHfCausalLM(path("sample").string());
    std::vector<std::vector<int>> prompts;
    for (int i = 0; i < 6; ++i) {
      const auto t = randomTokens(2 + 3 * (i % 3), s.vocab, 100 + i);
      prompts.emplace_back(t.begin(), t.end());
    }
    SamplingOptions options;
    options.temperature = 1.0;
    options.topP = 0.9;
    options.maxNewTokens = 16;
    options.eosId = 7;
    options.stopId = 9;
    const std::vector<int> extra = {11, 13, 17};
    for (size_t i = 0; i < prompts.size(); ++i) options.rowSeeds.push_back(rowSeed(1234, i));
    auto g = at::make_generator<at::CPUGeneratorImpl>(1);
    const RolloutBatch batch = sampleHfCompletions(model, prompts, options, g, extra);
    int finished = 0, byExtra = 0;
    for (size_t i = 0; i < prompts.size(); ++i) {
      SamplingOptions one = options;
      one.rowSeeds = {options.rowSeeds[i]};
      auto g1 = at::make_generator<at::CPUGeneratorImpl>(99);
      const RolloutBatch alone = sampleHfCompletions(model, {prompts[i]}, one, g1, extra);
      QCOMPARE(alone.lengths[0], batch.lengths[i]);
      QCOMPARE(bool(alone.finished[0]), bool(batch.finished[i]));
      const int n = batch.lengths[i];
      QVERIFY(torch::equal(alone.tokens[0].narrow(0, alone.promptLength, n),
                           batch.tokens[i].narrow(0, batch.promptLength, n)));
      QVERIFY((alone.logprobs[0].narrow(0, 0, n) - batch.logprobs[i].narrow(0, 0, n)).abs().max().item<float>() < 1e-4);
      finished += batch.finished[i] ? 1 : 0;
      const auto last = batch.tokens[i][batch.promptLength + n - 1].item<int64_t>();
      byExtra += batch.finished[i] && std::find(extra.begin(), extra.end(), last) != extra.end() ? 1 : 0;
    }
    qDebug("%d of %zu rows reached a stop id (%d an extra one); lengths %d %d %d %d %d %d", finished, prompts.size(),
           byExtra, batch.lengths[0], batch.lengths[1], batch.lengths[2], batch.lengths[3], batch.lengths[4],
           batch.lengths[5]);
    QVERIFY(finished >= 1 && byExtra >= 1);
  }

  // scoreHfCompletions recomputes the sampler's log-probs and entropies (temperature 1 and 0.7)
  // and is differentiable: gradients reach every parameter, or after applyLora only the adapters.
  void scoresEqualSamplingLogprobsAndTrain() {
    const auto s = cacheSpec();
    writeTinyCheckpoint(path("score"), s, 63);
    for (bool lora : {false, true}) {
      HfCausalLM model = loadHfCausalLM(path("score").string());
      if (lora) {
        torch::manual_seed(5);
        applyLora(*model, LoraConfig{4, 8.0, {"q_proj", "v_proj", "down_proj"}});
        torch::NoGradGuard noGrad;
        for (auto& p : model->named_parameters())
          if (p.key().find(".lora_B.") != std::string::npos) p.value().normal_(0.0, 0.1);
      }
      for (double temperature : {1.0, 0.7}) {
        const std::vector<std::vector<int>> prompts = {{4, 8, 15, 16, 23, 42}, {1, 2}, {30, 31, 32, 33}};
        SamplingOptions options;
        options.temperature = temperature;
        options.maxNewTokens = 12;
        options.eosId = 7;
        options.stopId = 9;
        auto g = at::make_generator<at::CPUGeneratorImpl>(3);
        const RolloutBatch batch = sampleHfCompletions(model, prompts, options, g, /*extraStopIds=*/{11, 13});
        model->zero_grad();
        const TokenScores scores = scoreHfCompletions(model, batch, temperature);
        QCOMPARE(scores.logprobs.sizes(), batch.logprobs.sizes());
        const double dLogp = (scores.logprobs.detach() - batch.logprobs).abs().max().item<double>();
        const double dEntropy = (scores.entropies.detach() - batch.entropies).abs().max().item<double>();
        QVERIFY2(dLogp < 1e-4 && dEntropy < 1e-4, qPrintable(QString("%1 %2").arg(dLogp).arg(dEntropy)));
        QVERIFY(((scores.meanLogSoftmax.detach() < 0) == batch.completionMask.to(torch::kBool)).all().item<bool>());
        (scores.logprobs.sum() + 0.1 * scores.entropies.sum()).backward();
        int withGrad = 0, without = 0;
        for (const auto& p : model->named_parameters()) {
          const bool adapter = p.key().find(".lora_") != std::string::npos;
          const bool has = p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0;
          if (lora && !adapter) {
            QVERIFY2(!p.value().grad().defined(), p.key().c_str());
          } else if (!lora || p.key().find(".lora_B") != std::string::npos) {
            QVERIFY2(has, p.key().c_str());
          }
          (has ? withGrad : without)++;
        }
        qDebug("lora %d, T %.1f: max |score - sample| log-prob %.2g, entropy %.2g; %d parameters with gradient",
               int(lora), temperature, dLogp, dEntropy, withGrad);
      }
    }
  }

  // Stop ids from generation_config.json (list) over config.json (int), after the chat template's
  // end of turn; malformed fields are refused naming the file.
  void stopTokenIds() {
    const auto folder = path("stops");
    writeTinyCheckpoint(folder, cacheSpec(), 64);
    const HfTokenizer tokenizer(std::string(THOUGHTBENCH_SOURCE_RESOURCES) +
                                "/../tests/data/hf_tokenizer/qwen2_like/tokenizer.json");
    QVERIFY(hfStopTokenIds(folder.string(), tokenizer, nullptr).empty());
    auto config = tinyConfig(cacheSpec());
    config["eos_token_id"] = 5;
    writeJson(folder / "config.json", config);
    QCOMPARE(hfStopTokenIds(folder.string(), tokenizer, nullptr), std::vector<int>{5});
    writeJson(folder / "generation_config.json", {{"eos_token_id", {6, 5, 6}}});
    QCOMPARE(hfStopTokenIds(folder.string(), tokenizer, nullptr), (std::vector<int>{6, 5}));
    const ChatTemplate chat = chatTemplateFor(tokenizer);
    const int imEnd = tokenizer.tokenToId("<|im_end|>");
    QVERIFY(imEnd >= 0);
    QCOMPARE(hfStopTokenIds(folder.string(), tokenizer, &chat), (std::vector<int>{imEnd, 6, 5}));
    writeJson(folder / "generation_config.json", {{"eos_token_id", "</s>"}});
    const QString m = inputErrorOf([&] { hfStopTokenIds(folder.string(), tokenizer, nullptr); });
    QVERIFY2(m.contains("generation_config.json") && m.contains("eos_token_id"), qPrintable(m));
  }
};

}  // namespace tb

QTEST_APPLESS_MAIN(tb::TestHfModel)
#include "test_hf_model.moc"
