// ValueModel: GptPolicy trunk + linear value head (PPO critic).
#include "core/model/ValueModel.h"

#include <cmath>

#include "core/Error.h"

namespace tb {

ValueModelImpl::ValueModelImpl(const GptConfig& config) {
  trunk_ = register_module("trunk", GptPolicy(config));
  valueHead_ = register_module("value_head", torch::nn::Linear(config.dModel, 1));
  torch::NoGradGuard noGrad;
  // OpenAI's lm-human-preferences scale: initial values O(1) without saturating anything; a zero
  // head would make the first updates blind to the trunk.
  valueHead_->weight.normal_(0.0, 1.0 / std::sqrt(config.dModel + 1.0));
  valueHead_->bias.zero_();
  // The trunk's LM head never reaches the value; freezing it keeps it out of weight decay.
  for (auto& p : trunk_->named_parameters())
    if (p.key().rfind("head.", 0) == 0) p.value().set_requires_grad(false);
}

torch::Tensor ValueModelImpl::values(const torch::Tensor& tokens, const torch::Tensor& valid) {
  return valueHead_->forward(trunk_->hidden(tokens, valid)).squeeze(-1);
}

void ValueModelImpl::initFrom(GptPolicy& policy) {
  const auto& a = policy->config();
  const auto& b = trunk_->config();
  TB_CHECK(a.vocabSize == b.vocabSize && a.dModel == b.dModel && a.layers == b.layers && a.heads == b.heads &&
               a.context == b.context,
           "critic config (vocab ", b.vocabSize, ", d_model ", b.dModel, ", layers ", b.layers, ", heads ",
           b.heads, ", context ", b.context, ") differs from the policy's (vocab ", a.vocabSize, ", d_model ",
           a.dModel, ", layers ", a.layers, ", heads ", a.heads, ", context ", a.context, ")");
  torch::NoGradGuard noGrad;
  auto source = policy->named_parameters();
  for (auto& p : trunk_->named_parameters()) p.value().copy_(source[p.key()]);
  auto sourceBuffers = policy->named_buffers();
  for (auto& buffer : trunk_->named_buffers()) buffer.value().copy_(sourceBuffers[buffer.key()]);
}

torch::Tensor completionValues(ValueModel& critic, const RolloutBatch& batch) {
  const int P = batch.promptLength;
  const auto L = batch.completionMask.size(1);
  TB_CHECK(P >= 1, "a completion needs a prompt of at least one token, got P = ", P);
  auto v = critic->values(batch.tokens, batch.valid);
  return v.narrow(1, P - 1, L) * batch.completionMask.to(v.dtype());
}

}  // namespace tb
