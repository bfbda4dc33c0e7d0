// PolicyModel: the built-in policy behind the training loop's policy interface.
#include "core/rollout/PolicyModel.h"

#include <filesystem>
#include <sstream>

#include "core/Error.h"

namespace tb {

void freezeModule(torch::nn::Module& module) {
  module.eval();
  for (auto& p : module.parameters()) p.set_requires_grad(false);
}

void saveArchiveAtomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  std::filesystem::rename(tmp, path);  // atomic on POSIX within one filesystem
}

void readArchive(torch::serialize::InputArchive& archive, const std::string& path, const std::string& what) {
  if (!std::filesystem::exists(path)) failInput(what, " '", path, "' does not exist");
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    const std::string text = e.what_without_backtrace();
    failInput(what, " '", path, "' cannot be loaded: ", text.substr(0, text.find('\n')));
  }
}

void loadModuleKeepingShapes(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                             const std::string& path) {
  std::vector<std::vector<int64_t>> before;
  for (const auto& p : module.named_parameters()) before.push_back(p.value().sizes().vec());
  module.load(archive);
  size_t i = 0;
  for (const auto& p : module.named_parameters()) {
    if (i < before.size() && p.value().sizes().vec() != before[i])
      failInput("checkpoint '", path, "' holds a model of another shape: ", p.key(), " is ", p.value().sizes(),
                ", this run's model needs ", c10::IntArrayRef(before[i]),
                " (model.* settings, or the task's or algorithm's alphabet, differ)");
    ++i;
  }
}

std::string GptPolicyModel::describe() {
  const GptConfig& c = policy_->config();
  std::ostringstream out;
  out << "built-in GPT policy: " << policy_->parameterCount() << " parameters (d_model " << c.dModel << ", "
      << c.layers << " layers, " << c.heads << " heads, vocabulary " << c.vocabSize << ")";
  return out.str();
}

RolloutBatch GptPolicyModel::sample(const std::vector<std::vector<int>>& prompts, const SamplingOptions& options,
                                    torch::Generator& generator) {
  return sampleCompletions(policy_, prompts, options, generator);
}

TokenScores GptPolicyModel::score(const RolloutBatch& batch, double temperature) {
  return scoreCompletions(policy_, batch, temperature);
}

void GptPolicyModel::save(torch::serialize::OutputArchive& archive) { policy_->save(archive); }

void GptPolicyModel::load(torch::serialize::InputArchive& archive, const std::string& path) {
  loadModuleKeepingShapes(*policy_, archive, path);
}

std::unique_ptr<PolicyModel> GptPolicyModel::adoptReference(const std::string& path) {
  torch::serialize::OutputArchive archive;
  save(archive);
  saveArchiveAtomically(archive, path);
  auto reference = std::make_unique<GptPolicyModel>(GptPolicy(policy_->config()));
  copyInto(*reference);
  freezeModule(reference->module());
  return reference;
}

std::unique_ptr<PolicyModel> GptPolicyModel::restoreReference(const std::string& path) {
  auto reference = std::make_unique<GptPolicyModel>(GptPolicy(policy_->config()));
  torch::serialize::InputArchive archive;
  readArchive(archive, path, "reference model");
  reference->load(archive, path);
  freezeModule(reference->module());
  return reference;
}

std::vector<torch::Tensor> GptPolicyModel::attentionMaps(const std::vector<int>& ids) {
  torch::NoGradGuard noGrad;
  const bool wasTraining = policy_->is_training();
  policy_->eval();
  const auto T = static_cast<int64_t>(ids.size());
  auto maps = policy_->attentionMaps(torch::tensor(ids, torch::kLong).view({1, T}), torch::ones({1, T}, torch::kBool));
  if (wasTraining) policy_->train();
  return maps;
}

void GptPolicyModel::copyInto(PolicyModel& target) {
  GptPolicy* other = target.gpt();
  TB_CHECK(other != nullptr, "the built-in policy can only be copied into another built-in policy");
  torch::NoGradGuard noGrad;
  auto source = policy_->named_parameters();
  for (auto& p : (*other)->named_parameters()) p.value().copy_(source[p.key()]);
}

}  // namespace tb
