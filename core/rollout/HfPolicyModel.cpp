// HfPolicyModel: a Hugging Face checkpoint (with LoRA adapters) behind the policy interface.
#include "core/rollout/HfPolicyModel.h"

#include <sstream>

#include "core/Error.h"
#include "core/rollout/HfGeneration.h"

namespace tb {

namespace {

// Switches the adapters off for the lifetime of the guard (a base-only view's forward passes).
class AdaptersOff {
 public:
  AdaptersOff(torch::nn::Module& module, bool active) : module_(module), active_(active) {
    if (active_) setLoraEnabled(module_, false);
  }
  ~AdaptersOff() {
    if (active_) setLoraEnabled(module_, true);
  }
  AdaptersOff(const AdaptersOff&) = delete;
  AdaptersOff& operator=(const AdaptersOff&) = delete;

 private:
  torch::nn::Module& module_;
  bool active_;
};

HfCausalLM loadPlaced(const HfPolicySpec& spec) {
  HfPlacement place;
  try {
    place = hfPlacement(spec.device, spec.dtype);
  } catch (const InputError& e) {
    failInput("model.device / model.dtype: ", e.what());
  }
  return loadHfCausalLM(spec.folder, torch::Device(place.device), place.scalarType);
}

}  // namespace

HfPolicyModel::HfPolicyModel(const HfPolicySpec& spec, std::vector<int> stopIds)
    : model_(loadPlaced(spec)), stopIds_(std::move(stopIds)), folder_(spec.folder) {
  TB_CHECK(!stopIds_.empty(), "an HF policy needs at least one stop id");
  if (spec.loraRank < 0) failInput("model.lora_rank = ", spec.loraRank, ": expected 0 (full fine-tuning) or more");
  if (spec.loraRank > 0) {
    if (!(spec.loraAlpha > 0)) failInput("model.lora_alpha = ", spec.loraAlpha, ": expected a positive number");
    lora_.rank = spec.loraRank;
    lora_.alpha = spec.loraAlpha;
    lora_.targetModules = spec.loraTargets;
    try {
      applyLora(*model_, lora_);
    } catch (const InputError& e) {
      failInput("model.lora_targets: ", e.what());
    }
  } else {
    lora_.rank = 0;
  }
}

HfPolicyModel::HfPolicyModel(HfCausalLM model, LoraConfig lora, std::vector<int> stopIds, bool baseOnly)
    : model_(std::move(model)), lora_(std::move(lora)), stopIds_(std::move(stopIds)), baseOnly_(baseOnly) {}

std::string HfPolicyModel::describe() {
  const HfModelConfig& c = model_->config();
  std::ostringstream out;
  int64_t trainable = 0;
  for (const auto& p : trainableParameters()) trainable += p.numel();
  out << c.architecture << " from " << folder_ << ": " << model_->parameterCount() << " parameters (hidden "
      << c.hiddenSize << ", " << c.layers << " layers, " << c.heads << "/" << c.kvHeads << " heads, vocabulary "
      << c.vocabSize << ") on " << model_->device() << " in " << c10::toString(model_->dtype()) << "; ";
  if (usesLora())
    out << "LoRA r " << lora_.rank << ", alpha " << lora_.alpha << " on " << loraModuleNames(*model_).size()
        << " modules: " << trainable << " trainable parameters, the base frozen";
  else
    out << "every weight trains (" << trainable << " parameters)";
  return out.str();
}

RolloutBatch HfPolicyModel::sample(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                                   torch::Generator& generator) {
  AdaptersOff off(*model_, baseOnly_);
  if (options.moreStopIds.empty()) return sampleHfCompletions(model_, prompts, options, generator, stopIds_);
  std::vector<int> stops = stopIds_;
  stops.insert(stops.end(), options.moreStopIds.begin(), options.moreStopIds.end());
  return sampleHfCompletions(model_, prompts, options, generator, stops);
}

TokenScores HfPolicyModel::score(const RolloutBatch& batch, double temperature) {
  AdaptersOff off(*model_, baseOnly_);
  return scoresOnCpu(scoreHfCompletions(model_, batch, temperature));
}

std::vector<torch::Tensor> HfPolicyModel::attentionMaps(const std::vector<int>& ids) {
  AdaptersOff off(*model_, baseOnly_);
  torch::NoGradGuard noGrad;
  const bool wasTraining = model_->is_training();
  model_->eval();
  const auto T = static_cast<int64_t>(ids.size());
  const auto device = model_->device();
  auto maps = model_->attentionMaps(torch::tensor(ids, torch::kLong).view({1, T}).to(device),
                                    torch::ones({1, T}, torch::TensorOptions().dtype(torch::kBool).device(device)));
  if (wasTraining) model_->train();
  for (auto& m : maps) m = m.to(torch::kCPU, torch::kFloat);
  return maps;
}

std::vector<std::pair<std::string, torch::Tensor>> HfPolicyModel::namedTrainable() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  if (baseOnly_) return out;
  for (const auto& p : model_->named_parameters())
    if (p.value().requires_grad()) out.emplace_back(p.key(), p.value());
  return out;
}

std::vector<torch::Tensor> HfPolicyModel::trainableParameters() {
  std::vector<torch::Tensor> out;
  for (auto& [name, tensor] : namedTrainable()) out.push_back(tensor);
  return out;
}

// Archive layout: "names" (the trainable parameters' names, one per line) and "p0", "p1", ... in
// that order, on the CPU. Names, not module nesting, because only the adapters are written.
void HfPolicyModel::save(torch::serialize::OutputArchive& archive) {
  std::string names;
  int i = 0;
  for (auto& [name, tensor] : namedTrainable()) {
    names += name + "\n";
    archive.write("p" + std::to_string(i++), tensor.detach().to(torch::kCPU));
  }
  archive.write("names", c10::IValue(names));
}

void HfPolicyModel::load(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue stored;
  if (!archive.try_read("names", stored))
    failInput("checkpoint '", path, "' was not written for a Hugging Face policy (model.hf_path differs)");
  const auto params = namedTrainable();
  std::string expected;
  for (const auto& [name, tensor] : params) expected += name + "\n";
  if (stored.toStringRef() != expected)
    failInput("checkpoint '", path, "' holds other trainable tensors than this run's model (model.lora_* or "
              "model.hf_path differ): it has\n", stored.toStringRef(), "this run trains\n", expected);
  torch::NoGradGuard noGrad;
  for (size_t i = 0; i < params.size(); ++i) {
    torch::Tensor t;
    archive.read("p" + std::to_string(i), t);
    if (t.sizes() != params[i].second.sizes())
      failInput("checkpoint '", path, "': ", params[i].first, " is ", t.sizes(), ", this run's model needs ",
                params[i].second.sizes());
    params[i].second.copy_(t);
  }
}

void HfPolicyModel::writeTrainable(const std::string& path) {
  torch::serialize::OutputArchive archive;
  save(archive);
  saveArchiveAtomically(archive, path);
}

void HfPolicyModel::readTrainable(const std::string& path) {
  torch::serialize::InputArchive archive;
  readArchive(archive, path, "reference");
  load(archive, path);
}

std::unique_ptr<PolicyModel> HfPolicyModel::foldIntoReference() {
  mergeLora(*model_);
  applyLora(*model_, lora_);  // fresh adapters, B = 0: the policy is unchanged
  return std::unique_ptr<PolicyModel>(new HfPolicyModel(model_, lora_, stopIds_, /*baseOnly=*/true));
}

std::unique_ptr<PolicyModel> HfPolicyModel::adoptReference(const std::string& path) {
  writeTrainable(path);
  if (usesLora()) return foldIntoReference();
  // Full fine-tuning: a frozen copy of every weight.
  HfCausalLM copy(model_->config());
  copy->to(model_->device(), model_->dtype());
  {
    torch::NoGradGuard noGrad;
    auto source = model_->named_parameters();
    for (auto& p : copy->named_parameters()) p.value().copy_(source[p.key()]);
  }
  freezeModule(*copy);
  return std::unique_ptr<PolicyModel>(new HfPolicyModel(copy, lora_, stopIds_, /*baseOnly=*/false));
}

std::unique_ptr<PolicyModel> HfPolicyModel::restoreReference(const std::string& path) {
  if (usesLora()) {
    readTrainable(path);  // the warm start's adapters, folded in as adoptReference did
    return foldIntoReference();
  }
  HfCausalLM copy(model_->config());
  copy->to(model_->device(), model_->dtype());
  auto reference = std::unique_ptr<HfPolicyModel>(new HfPolicyModel(copy, lora_, stopIds_, /*baseOnly=*/false));
  reference->readTrainable(path);
  freezeModule(*copy);
  return reference;
}

void HfPolicyModel::copyInto(PolicyModel&) {
  failInput("a Hugging Face policy cannot serve as its own previous-iteration reference (SPIN's opponent): "
            "use the built-in policy for this algorithm");
}

}  // namespace tb
