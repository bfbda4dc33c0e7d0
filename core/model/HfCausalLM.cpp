// HfCausalLM: the Llama / Qwen2 decoder of Hugging Face checkpoints, with its loader and writer.
#include "core/model/HfCausalLM.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <fstream>
#include <limits>

#include "core/Error.h"
#include "core/hf/Safetensors.h"

namespace tb {

namespace F = torch::nn::functional;

namespace {

double ropeNumber(const nlohmann::json& scaling, const char* key, const std::string& origin, const std::string& type) {
  if (!scaling.contains(key) || !scaling[key].is_number())
    failInput(origin, ": rope_scaling of type '", type, "' needs a number '", key, "'");
  const double v = scaling[key].get<double>();
  if (!(v > 0)) failInput(origin, ": rope_scaling.", key, " must be positive, got ", scaling[key].dump());
  return v;
}

// [x1, x2] -> [-x2, x1] over the last dimension.
torch::Tensor rotateHalf(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// [B,k,S,d] -> [B,k*rep,S,d]: query head i reads key/value head i / rep.
torch::Tensor repeatKv(const torch::Tensor& x, int64_t rep) {
  if (rep == 1) return x;
  const auto B = x.size(0), k = x.size(1), S = x.size(2), d = x.size(3);
  return x.unsqueeze(2).expand({B, k, rep, S, d}).reshape({B, k * rep, S, d});
}

// Grows a cache tensor's dimension `dim` to `capacity`, keeping its contents.
torch::Tensor grown(const torch::Tensor& t, int64_t dim, int64_t capacity) {
  auto sizes = t.sizes().vec();
  sizes[dim] = capacity - t.size(dim);
  return torch::cat({t, torch::zeros(sizes, t.options())}, dim);
}

std::string dtypeName(torch::ScalarType dtype) { return c10::toString(dtype); }

}  // namespace

std::vector<double> hfRopeInverseFrequencies(const HfModelConfig& config, const std::string& origin) {
  const int d = config.headDim();
  std::vector<double> inv(d / 2);
  for (int i = 0; i < d / 2; ++i) inv[i] = 1.0 / std::pow(config.ropeTheta, (2.0 * i) / d);
  const auto& scaling = config.ropeScaling;
  if (scaling.is_null()) return inv;
  std::string type;
  for (const char* key : {"rope_type", "type"})
    if (scaling.contains(key) && scaling[key].is_string()) {
      type = scaling[key].get<std::string>();
      break;
    }
  if (type.empty()) failInput(origin, ": rope_scaling has no 'rope_type' (or 'type')");
  if (type == "default") return inv;
  if (type == "linear") {
    const double factor = ropeNumber(scaling, "factor", origin, type);
    for (auto& w : inv) w /= factor;
    return inv;
  }
  if (type == "llama3") {
    const double factor = ropeNumber(scaling, "factor", origin, type);
    const double low = ropeNumber(scaling, "low_freq_factor", origin, type);
    const double high = ropeNumber(scaling, "high_freq_factor", origin, type);
    const double original = ropeNumber(scaling, "original_max_position_embeddings", origin, type);
    if (!(high > low))
      failInput(origin, ": rope_scaling.high_freq_factor (", high, ") must exceed low_freq_factor (", low, ")");
    const double lowFreqWavelength = original / low, highFreqWavelength = original / high;
    for (auto& w : inv) {
      const double wavelength = 2.0 * M_PI / w;
      if (wavelength < highFreqWavelength) continue;  // high frequencies: kept
      if (wavelength > lowFreqWavelength) {           // low frequencies: interpolated positions
        w /= factor;
        continue;
      }
      const double smooth = (original / wavelength - low) / (high - low);
      w = (1.0 - smooth) * w / factor + smooth * w;
    }
    return inv;
  }
  failInput(origin, ": rope_scaling type '", type, "' is not supported (supported: default, linear, llama3)");
}

// ---- layers -------------------------------------------------------------------------------------

HfRmsNormImpl::HfRmsNormImpl(int64_t size, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor HfRmsNormImpl::forward(const torch::Tensor& x) {
  auto h = x.to(torch::kFloat);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps_);
  return weight * h.to(x.scalar_type());
}

HfAttentionImpl::HfAttentionImpl(const HfModelConfig& c)
    : heads_(c.heads), kvHeads_(c.kvHeads), headDim_(c.headDim()) {
  const int64_t H = c.hiddenSize, q = int64_t(heads_) * headDim_, kv = int64_t(kvHeads_) * headDim_;
  qProj_ = register_module("q_proj", LoraLinear(H, q, c.attentionBias));
  kProj_ = register_module("k_proj", LoraLinear(H, kv, c.attentionBias));
  vProj_ = register_module("v_proj", LoraLinear(H, kv, c.attentionBias));
  oProj_ = register_module("o_proj", LoraLinear(q, H, /*bias=*/false));
}

torch::Tensor HfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                       const torch::Tensor& attend, KvCache* cache, int layer,
                                       torch::Tensor* weightsOut) {
  const auto B = x.size(0), T = x.size(1);
  auto q = qProj_->forward(x).view({B, T, heads_, headDim_}).transpose(1, 2);    // [B,n,T,d]
  auto k = kProj_->forward(x).view({B, T, kvHeads_, headDim_}).transpose(1, 2);  // [B,k,T,d]
  auto v = vProj_->forward(x).view({B, T, kvHeads_, headDim_}).transpose(1, 2);
  q = q * cos + rotateHalf(q) * sin;
  k = k * cos + rotateHalf(k) * sin;
  if (cache) {
    const int start = cache->length;
    cache->keys[layer].narrow(2, start, T).copy_(k);
    cache->values[layer].narrow(2, start, T).copy_(v);
    k = cache->keys[layer].narrow(2, 0, start + T);
    v = cache->values[layer].narrow(2, 0, start + T);
  }
  const int64_t rep = heads_ / kvHeads_;
  k = repeatKv(k, rep);
  v = repeatKv(v, rep);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(headDim_)));
  scores = scores.to(torch::kFloat).masked_fill(attend.logical_not(), -std::numeric_limits<float>::infinity());
  auto weights = torch::softmax(scores, -1);
  if (weightsOut) *weightsOut = weights;
  auto y = torch::matmul(weights.to(x.scalar_type()), v).transpose(1, 2).reshape({B, T, int64_t(heads_) * headDim_});
  return oProj_->forward(y);
}

HfMlpImpl::HfMlpImpl(const HfModelConfig& c) {
  gateProj_ = register_module("gate_proj", LoraLinear(c.hiddenSize, c.intermediateSize, false));
  upProj_ = register_module("up_proj", LoraLinear(c.hiddenSize, c.intermediateSize, false));
  downProj_ = register_module("down_proj", LoraLinear(c.intermediateSize, c.hiddenSize, false));
}

torch::Tensor HfMlpImpl::forward(const torch::Tensor& x) {
  return downProj_->forward(F::silu(gateProj_->forward(x)) * upProj_->forward(x));
}

HfDecoderLayerImpl::HfDecoderLayerImpl(const HfModelConfig& c) {
  inputNorm_ = register_module("input_layernorm", HfRmsNorm(c.hiddenSize, c.rmsNormEps));
  selfAttn_ = register_module("self_attn", HfAttention(c));
  postAttentionNorm_ = register_module("post_attention_layernorm", HfRmsNorm(c.hiddenSize, c.rmsNormEps));
  mlp_ = register_module("mlp", HfMlp(c));
}

torch::Tensor HfDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const torch::Tensor& attend, KvCache* cache, int layer,
                                          torch::Tensor* weights) {
  auto h = x + selfAttn_->forward(inputNorm_->forward(x), cos, sin, attend, cache, layer, weights);
  return h + mlp_->forward(postAttentionNorm_->forward(h));
}

HfDecoderImpl::HfDecoderImpl(const HfModelConfig& c) {
  embedTokens = register_module("embed_tokens", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < c.layers; ++i) layers->push_back(HfDecoderLayer(c));
  norm = register_module("norm", HfRmsNorm(c.hiddenSize, c.rmsNormEps));
}

// ---- the model ----------------------------------------------------------------------------------

HfCausalLMImpl::HfCausalLMImpl(const HfModelConfig& config)
    : config_(config), invFreq_(hfRopeInverseFrequencies(config)) {
  TB_CHECK(config.heads > 0 && config.kvHeads > 0 && config.heads % config.kvHeads == 0 &&
               config.hiddenSize % config.heads == 0 && config.headDim() % 2 == 0,
           "heads ", config.heads, " kv heads ", config.kvHeads, " hidden ", config.hiddenSize);
  model_ = register_module("model", HfDecoder(config));
  if (!config.tieWordEmbeddings)
    lmHead_ = register_module("lm_head", LoraLinear(config.hiddenSize, config.vocabSize, /*bias=*/false));
  torch::NoGradGuard noGrad;
  model_->embedTokens->weight.normal_(0.0, 0.02);
}

torch::Device HfCausalLMImpl::device() const { return model_->embedTokens->weight.device(); }
torch::ScalarType HfCausalLMImpl::dtype() const { return model_->embedTokens->weight.scalar_type(); }

std::pair<torch::Tensor, torch::Tensor> HfCausalLMImpl::rotary(const torch::Tensor& positions) {
  if (!invFreqDevice_.defined() || invFreqDevice_.device() != positions.device()) {
    auto inv = torch::tensor(invFreq_, torch::kDouble).to(torch::kFloat);
    invFreqDevice_ = inv.to(positions.device());
  }
  // As HF: float32 frequencies p * w, duplicated over both halves, cos / sin cast to the dtype.
  auto freqs = positions.to(torch::kFloat).unsqueeze(-1) * invFreqDevice_;  // [B,T,d/2]
  auto angles = torch::cat({freqs, freqs}, -1).unsqueeze(1);                 // [B,1,T,d]
  return {angles.cos().to(dtype()), angles.sin().to(dtype())};
}

torch::Tensor HfCausalLMImpl::trunk(const torch::Tensor& tokens, const torch::Tensor& valid,
                                    std::vector<torch::Tensor>* weights) {
  TB_CHECK(tokens.dim() == 2 && valid.sizes() == tokens.sizes(), "tokens ", tokens.sizes(), " valid ", valid.sizes());
  const auto T = tokens.size(1);
  auto x = model_->embedTokens->forward(tokens);
  auto [cos, sin] = rotary(positionsFromValid(valid));
  // Causal mask and padded keys; every position sees itself so padded rows stay finite.
  auto causal = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(tokens.device())).tril();
  auto attend = (causal.unsqueeze(0) & valid.to(torch::kBool).unsqueeze(1)) |
                torch::eye(T, causal.options()).unsqueeze(0);
  attend = attend.unsqueeze(1);  // [B,1,T,T]
  if (weights) weights->assign(model_->layers->size(), torch::Tensor());
  for (size_t i = 0; i < model_->layers->size(); ++i)
    x = model_->layers[i]->as<HfDecoderLayer>()->forward(x, cos, sin, attend, nullptr, static_cast<int>(i),
                                                           weights ? &(*weights)[i] : nullptr);
  return model_->norm->forward(x);
}

torch::Tensor HfCausalLMImpl::forward(const torch::Tensor& tokens, const torch::Tensor& valid) {
  return head(hidden(tokens, valid));
}

torch::Tensor HfCausalLMImpl::hidden(const torch::Tensor& tokens, const torch::Tensor& valid) {
  return trunk(tokens, valid, nullptr);
}

torch::Tensor HfCausalLMImpl::head(const torch::Tensor& hidden) {
  auto logits = lmHead_ ? lmHead_->forward(hidden) : F::linear(hidden, model_->embedTokens->weight);
  return logits.to(torch::kFloat);
}

std::vector<torch::Tensor> HfCausalLMImpl::attentionMaps(const torch::Tensor& tokens, const torch::Tensor& valid) {
  std::vector<torch::Tensor> weights;
  trunk(tokens, valid, &weights);
  return weights;
}

KvCache HfCausalLMImpl::makeCache(int batch, torch::Device device, int capacity) const {
  if (capacity <= 0) capacity = std::min(config_.maxPositions, 1024);
  KvCache cache;
  auto opts = torch::TensorOptions().dtype(dtype()).device(device);
  for (int i = 0; i < config_.layers; ++i) {
    cache.keys.push_back(torch::zeros({batch, config_.kvHeads, capacity, config_.headDim()}, opts));
    cache.values.push_back(torch::zeros({batch, config_.kvHeads, capacity, config_.headDim()}, opts));
  }
  cache.valid = torch::zeros({batch, capacity}, torch::TensorOptions().dtype(torch::kBool).device(device));
  return cache;
}

torch::Tensor HfCausalLMImpl::forwardCached(const torch::Tensor& tokens, const torch::Tensor& valid, KvCache& cache,
                                            bool lastOnly) {
  TB_CHECK(tokens.dim() == 2 && valid.sizes() == tokens.sizes(), "tokens ", tokens.sizes(), " valid ", valid.sizes());
  TB_CHECK(static_cast<int>(cache.keys.size()) == config_.layers, "cache of ", cache.keys.size(), " layers, model has ",
           config_.layers);
  const auto T = tokens.size(1);
  const int start = cache.length;
  const int64_t capacity = cache.valid.size(1);
  if (start + T > capacity) {
    const int64_t grownTo = std::max<int64_t>(2 * capacity, start + T);
    for (auto& k : cache.keys) k = grown(k, 2, grownTo);
    for (auto& v : cache.values) v = grown(v, 2, grownTo);
    cache.valid = grown(cache.valid, 1, grownTo);
  }
  cache.valid.narrow(1, start, T).copy_(valid);
  auto allValid = cache.valid.narrow(1, 0, start + T);  // [B,S]
  // Position of each new token = number of valid tokens before it in the whole row.
  auto longOpts = torch::TensorOptions().dtype(torch::kLong).device(tokens.device());
  auto before = start > 0 ? cache.valid.narrow(1, 0, start).sum(1, /*keepdim=*/true)
                          : torch::zeros({tokens.size(0), 1}, longOpts);
  auto positions = (valid.to(torch::kLong).cumsum(1) - 1 + before).clamp_min(0);
  auto x = model_->embedTokens->forward(tokens);
  auto [cos, sin] = rotary(positions);
  // New query i (absolute start + i) sees valid keys j <= start + i, and always itself.
  auto qIdx = torch::arange(start, start + T, longOpts).unsqueeze(1);  // [T,1]
  auto kIdx = torch::arange(0, start + T, longOpts).unsqueeze(0);      // [1,S]
  auto attend = ((kIdx <= qIdx).unsqueeze(0) & allValid.unsqueeze(1)) | (kIdx == qIdx).unsqueeze(0);
  attend = attend.unsqueeze(1);  // [B,1,T,S]
  for (size_t i = 0; i < model_->layers->size(); ++i)
    x = model_->layers[i]->as<HfDecoderLayer>()->forward(x, cos, sin, attend, &cache, static_cast<int>(i));
  cache.length = start + static_cast<int>(T);
  if (lastOnly) x = x.narrow(1, T - 1, 1);
  return head(model_->norm->forward(x));
}

int64_t HfCausalLMImpl::parameterCount() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

// ---- loading and saving -------------------------------------------------------------------------

bool cpuBfloat16MatmulIsAccurate() {
  static const bool accurate = [] {
    torch::NoGradGuard noGrad;
    auto a = torch::ones({1, 1024}, torch::kBFloat16);
    auto b = torch::full({1024, 1}, 0.01, torch::kBFloat16);
    const double exact = 1024.0 * b[0][0].item<double>();  // 10.25
    const double viaMatmul = torch::matmul(a, b).item<double>();
    const double viaLinear = F::linear(a, b.t()).item<double>();
    return std::fabs(viaMatmul - exact) < 0.1 && std::fabs(viaLinear - exact) < 0.1;
  }();
  return accurate;
}

HfPlacement hfPlacement(const std::string& device, const std::string& dtype) {
  HfPlacement place;
  place.device = device;
  const bool cuda = device == "cuda" || device.rfind("cuda:", 0) == 0;
  if (device != "cpu" && !cuda) failInput("--device ", device, ": expected cpu, cuda or cuda:N");
  if (cuda && !torch::cuda::is_available())
    failInput("--device ", device, ": this build of LibTorch sees no CUDA device");
  if (device.size() > 5) {
    const std::string index = device.substr(5);
    const auto count = static_cast<long>(torch::cuda::device_count());
    if (index.empty() || index.size() > 4 || index.find_first_not_of("0123456789") != std::string::npos ||
        std::stol(index) >= count)
      failInput("--device ", device, ": expected cuda:N with N from 0 to ", count - 1, " (", count,
                " CUDA devices visible)");
  }
  place.dtype = !dtype.empty() ? dtype : cuda ? "bfloat16" : "float32";
  const std::map<std::string, torch::ScalarType> dtypes = {
      {"float32", torch::kFloat}, {"bfloat16", torch::kBFloat16}, {"float16", torch::kHalf}};
  if (!dtypes.count(place.dtype)) failInput("--dtype ", place.dtype, ": expected float32, bfloat16 or float16");
  place.scalarType = dtypes.at(place.dtype);
  return place;
}

void requireUsableDtype(torch::Device device, torch::ScalarType dtype, const std::string& what) {
  if (dtype != torch::kFloat && dtype != torch::kBFloat16 && dtype != torch::kHalf)
    failInput(what, ": dtype ", dtypeName(dtype), " is not supported (float32, bfloat16, float16)");
  if (device.is_cpu() && dtype == torch::kHalf)
    failInput(what, ": float16 is not supported on the CPU (LibTorch has no CPU half matmul); use float32");
  if (device.is_cpu() && dtype == torch::kBFloat16 && !cpuBfloat16MatmulIsAccurate())
    failInput(what, ": bfloat16 on the CPU is refused: this LibTorch (", TORCH_VERSION,
              ") accumulates CPU bfloat16 matrix products in bfloat16, which ruins long dot products; "
              "use float32 on the CPU (bfloat16 works on CUDA)");
}

HfCausalLM loadHfCausalLM(const std::string& folder, torch::Device device, torch::ScalarType dtype) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(folder)) failInput("checkpoint folder '", folder, "' does not exist");
  requireUsableDtype(device, dtype, "loading '" + folder + "'");
  const std::string configPath = (fs::path(folder) / "config.json").string();
  const HfModelConfig config = readHfModelConfig(configPath);
  hfRopeInverseFrequencies(config, "'" + configPath + "'");  // refuses an unsupported rope_scaling by name
  const SafetensorsCheckpoint checkpoint(folder);
  checkHfCheckpoint(config, checkpoint, folder);

  HfCausalLM model(config);
  {
    torch::NoGradGuard noGrad;
    const auto expected = expectedHfTensors(config);
    size_t copied = 0;
    for (auto& p : model->named_parameters()) {
      const auto& name = p.key();
      TB_CHECK(expected.count(name), "parameter '", name, "' is not an HF tensor name");
      auto values = checkpoint.readFloats(name);
      auto& target = p.value();
      TB_CHECK(static_cast<int64_t>(values.size()) == target.numel(), name, ": ", values.size(), " values for ",
               target.sizes());
      target.copy_(torch::from_blob(values.data(), target.sizes(), torch::kFloat));
      ++copied;
    }
    TB_CHECK(copied == expected.size(), copied, " parameters, ", expected.size(), " expected tensors");
  }
  model->to(device, dtype);
  model->eval();
  return model;
}

nlohmann::json hfConfigJson(const HfModelConfig& c, const std::string& torchDtype) {
  const bool qwen2 = c.architecture == "Qwen2ForCausalLM";
  nlohmann::json j;
  j["architectures"] = {c.architecture};
  j["model_type"] = c.modelType.empty() ? (qwen2 ? "qwen2" : "llama") : c.modelType;
  j["hidden_size"] = c.hiddenSize;
  j["intermediate_size"] = c.intermediateSize;
  j["num_hidden_layers"] = c.layers;
  j["num_attention_heads"] = c.heads;
  j["num_key_value_heads"] = c.kvHeads;
  j["vocab_size"] = c.vocabSize;
  j["max_position_embeddings"] = c.maxPositions;
  j["rms_norm_eps"] = c.rmsNormEps;
  j["rope_theta"] = c.ropeTheta;
  j["rope_scaling"] = c.ropeScaling;
  j["tie_word_embeddings"] = c.tieWordEmbeddings;
  if (!qwen2) j["attention_bias"] = c.attentionBias;
  j["hidden_act"] = "silu";
  j["torch_dtype"] = torchDtype;
  return j;
}

void saveHfCausalLM(HfCausalLM& model, const std::string& folder, const std::string& tensorDtype) {
  namespace fs = std::filesystem;
  if (tensorDtype != "F32" && tensorDtype != "BF16" && tensorDtype != "F16")
    failInput("saving '", folder, "': tensor dtype '", tensorDtype, "' is not supported (F32, BF16, F16)");
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) failInput("cannot create folder '", folder, "': ", ec.message());
  const auto expected = expectedHfTensors(model->config());
  std::vector<SafetensorToWrite> tensors;
  for (const auto& p : model->named_parameters()) {
    if (!expected.count(p.key())) continue;  // adapters
    auto t = p.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
    SafetensorToWrite w;
    w.name = p.key();
    w.shape = t.sizes().vec();
    w.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    w.dtype = tensorDtype;
    tensors.push_back(std::move(w));
  }
  const std::string torchDtype = tensorDtype == "F32" ? "float32" : tensorDtype == "BF16" ? "bfloat16" : "float16";
  const std::string configPath = (fs::path(folder) / "config.json").string();
  std::ofstream out(configPath);
  if (!out) failInput("cannot write '", configPath, "'");
  out << hfConfigJson(model->config(), torchDtype).dump(2) << "\n";
  if (!out) failInput("cannot write '", configPath, "'");
  writeSafetensors((fs::path(folder) / "model.safetensors").string(), tensors, {{"format", "pt"}});
}

}  // namespace tb
