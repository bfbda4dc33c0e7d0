// GptPolicy: pre-LN decoder with learned positions and a KV cache for incremental decoding.
#include "core/model/GptPolicy.h"

#include "core/model/GptDecodeStep.h"
#include "kernels/DecodeAttention.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/Error.h"

namespace tb {

namespace F = torch::nn::functional;

torch::Tensor positionsFromValid(const torch::Tensor& valid, int offset) {
  // Cumulative count of real tokens minus one; padding positions get 0 (they are never read).
  auto pos = valid.to(torch::kLong).cumsum(1) - 1 + offset;
  return pos.clamp_min(0);
}

CausalSelfAttentionImpl::CausalSelfAttentionImpl(int dModel, int heads) : heads_(heads) {
  qkv_ = register_module("qkv", torch::nn::Linear(dModel, 3 * dModel));
  proj_ = register_module("proj", torch::nn::Linear(dModel, dModel));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& attendMask,
                                               KvCache* cache, int layer, torch::Tensor* weightsOut) {
  const auto B = x.size(0), T = x.size(1), D = x.size(2);
  const int64_t hd = D / heads_;
  auto qkv = qkv_->forward(x).view({B, T, 3, heads_, hd}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0], k = qkv[1], v = qkv[2];  // [B,H,T,hd]
  if (cache) {
    const int start = cache->length;
    cache->keys[layer].narrow(2, start, T).copy_(k);
    cache->values[layer].narrow(2, start, T).copy_(v);
    // One new token per row while sampling: the fused decode-step attention over the cache
    // (kernels/DecodeAttention.h) instead of ~5 small operators. It attends to the valid cached
    // positions only, so a row whose new token is padding (a finished row, whose output the
    // sampler discards) does not attend to itself as the masked path below would.
    if (T == 1 && !weightsOut && !torch::GradMode::is_enabled() && x.device().is_cpu() &&
        x.scalar_type() == torch::kFloat) {
      auto y = decodeAttention(q, cache->keys[layer], cache->values[layer], cache->valid, start + 1);
      return proj_->forward(y.transpose(1, 2).reshape({B, T, D}));
    }
    k = cache->keys[layer].narrow(2, 0, start + T);
    v = cache->values[layer].narrow(2, 0, start + T);
  }
  // q is scaled before the product ([B,H,T,hd], smaller than the [B,H,T,S] scores, and copied
  // by matmul anyway as a permuted view), and the mask is written into the product's own output:
  // two passes over the scores fewer, forward and backward, than (q k^T) / sqrt(d) + masked_fill.
  auto scores = torch::matmul(q * (1.0 / std::sqrt(static_cast<double>(hd))), k.transpose(-2, -1));
  scores.masked_fill_(attendMask.logical_not(), -std::numeric_limits<float>::infinity());
  auto weights = torch::softmax(scores, -1);
  if (weightsOut) *weightsOut = weights;
  auto y = torch::matmul(weights, v).transpose(1, 2).reshape({B, T, D});
  return proj_->forward(y);
}

DecoderBlockImpl::DecoderBlockImpl(int dModel, int heads) {
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dModel})));
  attn_ = register_module("attn", CausalSelfAttention(dModel, heads));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dModel})));
  fc_ = register_module("fc", torch::nn::Linear(dModel, 4 * dModel));
  out_ = register_module("out", torch::nn::Linear(4 * dModel, dModel));
}

torch::Tensor DecoderBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& attendMask,
                                        KvCache* cache, int layer, torch::Tensor* weights) {
  auto h = x + attn_->forward(ln1_->forward(x), attendMask, cache, layer, weights);
  return h + out_->forward(F::gelu(fc_->forward(ln2_->forward(h))));
}

GptPolicyImpl::GptPolicyImpl(const GptConfig& config) : config_(config) {
  TB_CHECK(config.dModel % config.heads == 0, "d_model ", config.dModel, " heads ", config.heads);
  tokenEmbedding_ = register_module("token_embedding", torch::nn::Embedding(config.vocabSize, config.dModel));
  positionEmbedding_ = register_module("position_embedding", torch::nn::Embedding(config.context, config.dModel));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int i = 0; i < config.layers; ++i) blocks_->push_back(DecoderBlock(config.dModel, config.heads));
  lnFinal_ = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.dModel})));
  head_ = register_module("head", torch::nn::Linear(torch::nn::LinearOptions(config.dModel, config.vocabSize).bias(false)));
  // GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 * layers).
  torch::NoGradGuard noGrad;
  for (auto& p : named_parameters()) {
    const auto& name = p.key();
    auto& t = p.value();
    if (name.find("bias") != std::string::npos) t.zero_();
    else if (name.find("ln") != std::string::npos) t.fill_(1.0);
    else if (name.find("attn.proj") != std::string::npos || name.find(".out.") != std::string::npos)
      t.normal_(0.0, 0.02 / std::sqrt(2.0 * config.layers));
    else t.normal_(0.0, 0.02);
  }
}

// Positions never exceed a row's length, so the callers' length checks keep them in range
// without a reduction (and a device sync) on every decoding step.
torch::Tensor GptPolicyImpl::embed(const torch::Tensor& tokens, const torch::Tensor& positions) {
  return tokenEmbedding_->forward(tokens) + positionEmbedding_->forward(positions);
}

torch::Tensor GptPolicyImpl::trunk(const torch::Tensor& tokens, const torch::Tensor& valid,
                                   std::vector<torch::Tensor>* weights) {
  const auto T = tokens.size(1);
  TB_CHECK(T <= config_.context, "sequence of ", T, " tokens exceeds model.context = ", config_.context);
  auto x = embed(tokens, positionsFromValid(valid));
  // Causal mask and padded keys; every position may see itself so padded rows stay finite.
  auto causal = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(tokens.device())).tril();
  auto attend = (causal.unsqueeze(0) & valid.unsqueeze(1)) | torch::eye(T, causal.options()).unsqueeze(0);
  attend = attend.unsqueeze(1);  // [B,1,T,T]
  if (weights) weights->assign(blocks_->size(), torch::Tensor());
  for (size_t i = 0; i < blocks_->size(); ++i)
    x = blocks_[i]->as<DecoderBlock>()->forward(x, attend, nullptr, static_cast<int>(i),
                                                weights ? &(*weights)[i] : nullptr);
  return lnFinal_->forward(x);
}

torch::Tensor GptPolicyImpl::forward(const torch::Tensor& tokens, const torch::Tensor& valid) {
  return head(hidden(tokens, valid));
}

torch::Tensor GptPolicyImpl::hidden(const torch::Tensor& tokens, const torch::Tensor& valid) {
  return trunk(tokens, valid, nullptr);
}

torch::Tensor GptPolicyImpl::head(const torch::Tensor& hidden) { return head_->forward(hidden); }

std::vector<torch::Tensor> GptPolicyImpl::attentionMaps(const torch::Tensor& tokens, const torch::Tensor& valid) {
  std::vector<torch::Tensor> weights;
  trunk(tokens, valid, &weights);
  return weights;
}

namespace {

// The key / value buffers of this thread's last CPU cache, handed to the next makeCache of the
// same shape once nothing else holds them (the cache that used them is gone): a fresh cache is
// page-faulted and zeroed memory, 14 ms of a 470 ms rollout at the benchmark's reference
// configuration (33.5 MB; docs/PERFORMANCE.md), paid on every sampler call. Only buffers up to
// kMaxSpareCacheBytes are kept. A reused buffer is not cleared: positions at or after a cache's
// `length` are never read (every position below it is written by forwardCached first).
struct SpareCacheBuffers {
  std::vector<torch::Tensor> keys, values;
};
constexpr int64_t kMaxSpareCacheBytes = int64_t{64} << 20;

SpareCacheBuffers& spareCacheBuffers() {
  thread_local SpareCacheBuffers spare;
  return spare;
}

bool unusedBuffers(const std::vector<torch::Tensor>& buffers, size_t count, torch::IntArrayRef shape) {
  if (buffers.size() != count) return false;
  for (const auto& t : buffers)
    if (!t.defined() || t.sizes() != shape || t.use_count() != 1 || t.storage().use_count() != 1) return false;
  return true;
}

}  // namespace

KvCache GptPolicyImpl::makeCache(int batch, torch::Device device) const {
  KvCache cache;
  const int hd = config_.dModel / config_.heads;
  const std::vector<int64_t> shape{batch, config_.heads, config_.context, hd};
  const auto layers = static_cast<size_t>(config_.layers);
  auto& spare = spareCacheBuffers();
  if (device.is_cpu() && unusedBuffers(spare.keys, layers, shape) && unusedBuffers(spare.values, layers, shape)) {
    cache.keys = spare.keys;
    cache.values = spare.values;
  } else {
    auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device);
    for (size_t i = 0; i < layers; ++i) {
      cache.keys.push_back(torch::zeros(shape, opts));
      cache.values.push_back(torch::zeros(shape, opts));
    }
    const int64_t bytes = 2 * config_.layers * batch * config_.heads * config_.context * hd * 4;
    if (device.is_cpu() && bytes <= kMaxSpareCacheBytes) {
      spare.keys = cache.keys;
      spare.values = cache.values;
    }
  }
  cache.valid = torch::zeros({batch, config_.context}, torch::TensorOptions().dtype(torch::kBool).device(device));
  return cache;
}

torch::Tensor GptPolicyImpl::forwardCached(const torch::Tensor& tokens, const torch::Tensor& valid,
                                           KvCache& cache) {
  const auto T = tokens.size(1);
  // Sampling (no grad, CPU float32): the inference-only step (core/model/GptDecodeStep.h), for
  // the prompts' prefill and for each decoded token, instead of ~20 LibTorch operators per layer.
  if (GptDecodeStep::applies(*this, tokens, cache)) return GptDecodeStep::run(*this, tokens, valid, cache);
  const int start = cache.length;
  TB_CHECK(start + T <= config_.context, "sequence of ", start + T, " tokens exceeds model.context = ",
           config_.context);
  cache.valid.narrow(1, start, T).copy_(valid);
  auto allValid = cache.valid.narrow(1, 0, start + T);              // [B,S]
  // Position of each new token = number of valid tokens before it in the whole row.
  auto before = start > 0 ? cache.valid.narrow(1, 0, start).sum(1, /*keepdim=*/true)
                          : torch::zeros({tokens.size(0), 1}, torch::TensorOptions().dtype(torch::kLong).device(tokens.device()));
  auto positions = (valid.to(torch::kLong).cumsum(1) - 1 + before).clamp_min(0);
  auto x = embed(tokens, positions);
  // New query i (absolute start+i) sees keys j <= start+i that are valid, and always itself.
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(tokens.device());
  auto qIdx = torch::arange(start, start + T, opts).unsqueeze(1);   // [T,1]
  auto kIdx = torch::arange(0, start + T, opts).unsqueeze(0);       // [1,S]
  auto causal = kIdx <= qIdx;                                        // [T,S]
  auto attend = (causal.unsqueeze(0) & allValid.unsqueeze(1)) | (kIdx == qIdx).unsqueeze(0);
  attend = attend.unsqueeze(1);                                      // [B,1,T,S]
  for (size_t i = 0; i < blocks_->size(); ++i)
    x = blocks_[i]->as<DecoderBlock>()->forward(x, attend, &cache, static_cast<int>(i));
  cache.length = start + static_cast<int>(T);
  return head_->forward(lnFinal_->forward(x));
}

torch::Tensor GptPolicyImpl::forwardCachedLast(const torch::Tensor& tokens, const torch::Tensor& valid,
                                               KvCache& cache) {
  if (GptDecodeStep::applies(*this, tokens, cache))
    return GptDecodeStep::run(*this, tokens, valid, cache, /*lastOnly=*/true);
  const auto logits = forwardCached(tokens, valid, cache);
  return logits.narrow(1, logits.size(1) - 1, 1);
}

namespace {

// Row keep[i] -> row i of a contiguous CPU tensor [B, ...], in place, copying along dimension
// `positions` (2 for keys / values [B, H, C, Dh], 1 for valid [B, C]) only the first `length`
// entries; returns the first keep.size() rows (a view of the same buffer). keep is strictly
// ascending, so a row is never overwritten before it is moved.
torch::Tensor compactRows(const torch::Tensor& t, const std::vector<int64_t>& keep, int64_t positions, int64_t length) {
  const int64_t inner = t.stride(positions);                 // elements per position
  const int64_t blocks = t.stride(0) / t.stride(positions - 1);  // heads (1 for valid)
  const int64_t blockStride = t.stride(positions - 1);
  const auto bytes = static_cast<size_t>(length * inner * t.element_size());
  auto* base = static_cast<char*>(t.data_ptr());
  const int64_t rowBytes = t.stride(0) * t.element_size(), blockBytes = blockStride * t.element_size();
  for (size_t i = 0; i < keep.size(); ++i) {
    const auto from = keep[i], to = static_cast<int64_t>(i);
    if (from == to || bytes == 0) continue;
    for (int64_t h = 0; h < blocks; ++h)
      std::memcpy(base + to * rowBytes + h * blockBytes, base + from * rowBytes + h * blockBytes, bytes);
  }
  return t.narrow(0, 0, static_cast<int64_t>(keep.size()));
}

bool compactable(const torch::Tensor& t, int64_t dims) {
  return t.device().is_cpu() && t.dim() == dims && t.is_contiguous() && !t.requires_grad();
}

}  // namespace

void keepCacheRows(KvCache& cache, const torch::Tensor& rows) {
  // In place on the CPU (finished rows leave the batch several times per rollout: a copy into new
  // tensors re-faulted and copied the whole cache each time), only the positions below `length`.
  const auto index = rows.to(torch::kCPU, torch::kLong).contiguous();
  std::vector<int64_t> keep(index.data_ptr<int64_t>(), index.data_ptr<int64_t>() + index.numel());
  bool ascending = true;
  for (size_t i = 0; i < keep.size(); ++i)
    ascending = ascending && keep[i] >= static_cast<int64_t>(i) && (i == 0 || keep[i] > keep[i - 1]) &&
                keep[i] < cache.valid.size(0);
  bool inPlace = ascending && compactable(cache.valid, 2) && cache.length <= cache.valid.size(1);
  for (const auto* list : {&cache.keys, &cache.values})
    for (const auto& t : *list) inPlace = inPlace && compactable(t, 4) && cache.length <= t.size(2);
  if (inPlace) {
    for (auto& k : cache.keys) k = compactRows(k, keep, 2, cache.length);
    for (auto& v : cache.values) v = compactRows(v, keep, 2, cache.length);
    cache.valid = compactRows(cache.valid, keep, 1, cache.length);
    return;
  }
  const auto onDevice = rows.to(cache.valid.device());
  for (auto& k : cache.keys) k = k.index_select(0, onDevice);
  for (auto& v : cache.values) v = v.index_select(0, onDevice);
  cache.valid = cache.valid.index_select(0, onDevice);
}

int64_t GptPolicyImpl::parameterCount() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace tb
