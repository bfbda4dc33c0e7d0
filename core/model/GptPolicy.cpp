// GptPolicy: pre-LN decoder with learned positions and a KV cache for incremental decoding.
#include "core/model/GptPolicy.h"

#include "kernels/DecodeAttention.h"

#include <cmath>

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
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd));
  scores = scores.masked_fill(attendMask.logical_not(), -std::numeric_limits<float>::infinity());
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

KvCache GptPolicyImpl::makeCache(int batch, torch::Device device) const {
  KvCache cache;
  const int hd = config_.dModel / config_.heads;
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device);
  for (int i = 0; i < config_.layers; ++i) {
    cache.keys.push_back(torch::zeros({batch, config_.heads, config_.context, hd}, opts));
    cache.values.push_back(torch::zeros({batch, config_.heads, config_.context, hd}, opts));
  }
  cache.valid = torch::zeros({batch, config_.context}, torch::TensorOptions().dtype(torch::kBool).device(device));
  return cache;
}

torch::Tensor GptPolicyImpl::forwardCached(const torch::Tensor& tokens, const torch::Tensor& valid,
                                           KvCache& cache) {
  const auto T = tokens.size(1);
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

void keepCacheRows(KvCache& cache, const torch::Tensor& rows) {
  const auto index = rows.to(cache.valid.device());
  for (auto& k : cache.keys) k = k.index_select(0, index);
  for (auto& v : cache.values) v = v.index_select(0, index);
  cache.valid = cache.valid.index_select(0, index);
}

int64_t GptPolicyImpl::parameterCount() {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace tb
