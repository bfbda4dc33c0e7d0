#pragma once
// The built-in policy: a small GPT-style decoder (pre-LayerNorm blocks, learned positions, GELU
// MLP; Radford et al. 2019) with a key/value cache for sampling. Sequences are left-padded:
// `valid` marks real tokens, positions count real tokens only, and padded keys are masked out.
// logits = head(hidden(tokens)); attentionMaps() exposes softmax(q k^T / sqrt(d_head)) of every
// layer for attention-based credit assignment and the attention viewer.
#include <torch/torch.h>

#include <vector>

namespace tb {

struct GptDecodeStep;  // core/model/GptDecodeStep.h: the inference-only decode step reads the weights

struct GptConfig {
  int vocabSize = 64;
  int dModel = 128;
  int layers = 4;
  int heads = 4;
  int context = 160;
};

// Pre-allocated keys and values of every layer: [batch, heads, context, head_dim]. `valid`
// [batch, context] marks cached positions that are real tokens (not padding). Positions at or
// after `length` hold unspecified values (makeCache may hand out reused buffers) and are never
// read: forwardCached writes every position before reading it.
struct KvCache {
  std::vector<torch::Tensor> keys, values;
  torch::Tensor valid;
  int length = 0;
};

// Keeps only batch rows `rows` (int64 indices) of every cached tensor: finished sequences leave
// the decode batch (core/rollout/Sampler.h).
void keepCacheRows(KvCache& cache, const torch::Tensor& rows);

class CausalSelfAttentionImpl : public torch::nn::Module {
 public:
  CausalSelfAttentionImpl(int dModel, int heads);
  // x [B,T,D]; attendMask [B,1,T,S] bool (true = may attend); with a cache, S = cached + T.
  // When `weights` is given it receives the attention weights [B,H,T,S] (the tensor the forward
  // pass computes anyway, so recording costs nothing).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attendMask,
                        KvCache* cache, int layer, torch::Tensor* weights = nullptr);

 private:
  friend struct GptDecodeStep;
  int heads_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(CausalSelfAttention);

class DecoderBlockImpl : public torch::nn::Module {
 public:
  DecoderBlockImpl(int dModel, int heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attendMask, KvCache* cache,
                        int layer, torch::Tensor* weights = nullptr);

 private:
  friend struct GptDecodeStep;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  CausalSelfAttention attn_{nullptr};
  torch::nn::Linear fc_{nullptr}, out_{nullptr};
};
TORCH_MODULE(DecoderBlock);

class GptPolicyImpl : public torch::nn::Module {
 public:
  explicit GptPolicyImpl(const GptConfig& config);
  const GptConfig& config() const { return config_; }

  // Whole-sequence forward for training: tokens and valid [B,T] -> logits [B,T,V];
  // equals head(hidden(tokens, valid)).
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& valid);

  // Final-LayerNorm hidden states [B,T,D] of the whole-sequence forward (a critic's trunk).
  torch::Tensor hidden(const torch::Tensor& tokens, const torch::Tensor& valid);
  // The language-model head: hidden [..,D] -> logits [..,V].
  torch::Tensor head(const torch::Tensor& hidden);

  // Attention weights of a whole-sequence (uncached) forward, one [B,H,T,T] tensor per layer:
  // row t is query t over keys s <= t; padded keys get weight 0, so the rows of real tokens sum to
  // 1 over real keys (rows of padding positions attend to themselves only).
  std::vector<torch::Tensor> attentionMaps(const torch::Tensor& tokens, const torch::Tensor& valid);

  // Incremental forward: appends tokens [B,T] (valid [B,T]) to the cache, returns logits [B,T,V].
  // Under NoGradGuard on the CPU in float32 it runs GptDecodeStep (the same logits to ~1e-6).
  torch::Tensor forwardCached(const torch::Tensor& tokens, const torch::Tensor& valid, KvCache& cache);
  // The same, returning only the last position's logits [B,1,V] (a sampler's prefill): on the
  // GptDecodeStep path the last layer then skips the other positions' attention output and MLP.
  torch::Tensor forwardCachedLast(const torch::Tensor& tokens, const torch::Tensor& valid, KvCache& cache);
  KvCache makeCache(int batch, torch::Device device) const;

  int64_t parameterCount();

 private:
  friend struct GptDecodeStep;
  torch::Tensor embed(const torch::Tensor& tokens, const torch::Tensor& positions);
  // Embedding + blocks + final LayerNorm; fills `weights` (one per layer) when given.
  torch::Tensor trunk(const torch::Tensor& tokens, const torch::Tensor& valid,
                      std::vector<torch::Tensor>* weights);
  GptConfig config_;
  torch::nn::Embedding tokenEmbedding_{nullptr}, positionEmbedding_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm lnFinal_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(GptPolicy);

// Positions of left-padded rows: number of valid tokens before each position.
torch::Tensor positionsFromValid(const torch::Tensor& valid, int offset = 0);

}  // namespace tb
