// LoraLinear: a linear layer with an optional low-rank adapter, and PEFT adapter files.
#include "core/model/LoraLinear.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/hf/Safetensors.h"

namespace tb {

namespace F = torch::nn::functional;

namespace {

const char* const kPeftPrefix = "base_model.model.";

bool endsWithModule(const std::string& path, const std::string& target) {
  if (path == target) return true;
  return path.size() > target.size() && path.compare(path.size() - target.size(), target.size(), target) == 0 &&
         path[path.size() - target.size() - 1] == '.';
}

bool isTarget(const std::string& path, const std::vector<std::string>& targets) {
  return std::any_of(targets.begin(), targets.end(), [&](const std::string& t) { return endsWithModule(path, t); });
}

std::vector<std::pair<std::string, LoraLinearImpl*>> loraLinears(torch::nn::Module& model) {
  std::vector<std::pair<std::string, LoraLinearImpl*>> out;
  for (const auto& item : model.named_modules("", /*include_self=*/false))
    if (auto* linear = dynamic_cast<LoraLinearImpl*>(item.value().get())) out.emplace_back(item.key(), linear);
  return out;
}

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace

LoraLinearImpl::LoraLinearImpl(int64_t in, int64_t out, bool withBias) : in_(in), out_(out) {
  weight = register_parameter("weight", torch::empty({out, in}));
  if (withBias) bias = register_parameter("bias", torch::zeros({out}));
  torch::NoGradGuard noGrad;
  weight.normal_(0.0, 0.02);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& x) {
  auto y = F::linear(x, weight, bias);
  if (loraA_ && loraEnabled_) {
    // Adapters over a bfloat16 / half base are float32 (see attachLora): computed in float32,
    // added in the base's dtype.
    const auto a = x.scalar_type() == loraA_->weight.scalar_type() ? x : x.to(loraA_->weight.scalar_type());
    y = y + (loraB_->forward(loraA_->forward(a)) * loraScale()).to(y.scalar_type());
  }
  return y;
}

void LoraLinearImpl::attachLora(int rank, double alpha) {
  TB_CHECK(!loraA_, "an adapter is already attached");
  TB_CHECK(rank >= 1, "LoRA rank ", rank);
  rank_ = rank;
  alpha_ = alpha;
  // nn.Linear's default initialisation is PEFT's for A: kaiming_uniform_(a = sqrt(5)).
  loraA_ = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(in_, rank).bias(false)));
  loraB_ = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(rank, out_).bias(false)));
  torch::NoGradGuard noGrad;
  loraB_->weight.zero_();
  // Float32 adapters over a bfloat16 / half base (as PEFT's autocast_adapter_dtype): AdamW's steps
  // of 1e-5-relative size on a bfloat16 B would round away (8 bits of mantissa).
  const auto dtype = weight.is_floating_point() && weight.element_size() < 4 ? torch::kFloat : weight.scalar_type();
  loraA_->to(weight.device(), dtype);
  loraB_->to(weight.device(), dtype);
}

void LoraLinearImpl::mergeLora() {
  if (!loraA_) return;
  {
    torch::NoGradGuard noGrad;
    auto delta = torch::matmul(loraB_->weight.to(torch::kFloat), loraA_->weight.to(torch::kFloat)) * loraScale();
    weight.add_(delta.to(weight.scalar_type()));
  }
  unregister_module("lora_A");
  unregister_module("lora_B");
  loraA_ = nullptr;
  loraB_ = nullptr;
  rank_ = 0;
  alpha_ = 0.0;
}

int applyLora(torch::nn::Module& model, const LoraConfig& config) {
  if (config.rank < 1) failInput("LoRA rank must be at least 1, got ", config.rank);
  if (config.targetModules.empty()) failInput("LoRA target_modules is empty");
  int adapted = 0;
  for (auto& [path, linear] : loraLinears(model))
    if (isTarget(path, config.targetModules) && !linear->hasLora()) ++adapted;
  if (adapted == 0) {
    std::string names;
    for (const auto& t : config.targetModules) {
      if (!names.empty()) names += ", ";
      names += t;
    }
    failInput("LoRA target_modules [", names, "] match no linear layer of the model");
  }
  for (auto& p : model.parameters()) p.set_requires_grad(false);
  for (auto& [path, linear] : loraLinears(model))
    if (isTarget(path, config.targetModules) && !linear->hasLora()) linear->attachLora(config.rank, config.alpha);
  return adapted;
}

void mergeLora(torch::nn::Module& model) {
  for (auto& [path, linear] : loraLinears(model)) linear->mergeLora();
}

void setLoraEnabled(torch::nn::Module& model, bool enabled) {
  for (auto& [path, linear] : loraLinears(model)) linear->setLoraEnabled(enabled);
}

std::vector<std::string> loraModuleNames(torch::nn::Module& model) {
  std::vector<std::string> names;
  for (auto& [path, linear] : loraLinears(model))
    if (linear->hasLora()) names.push_back(path);
  std::sort(names.begin(), names.end());
  return names;
}

void saveLoraAdapter(torch::nn::Module& model, const LoraConfig& config, const std::string& folder) {
  namespace fs = std::filesystem;
  std::vector<SafetensorToWrite> tensors;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
    std::vector<float> values(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    tensors.push_back({name, c.sizes().vec(), std::move(values), "F32"});
  };
  for (auto& [path, linear] : loraLinears(model)) {
    if (!linear->hasLora()) continue;
    TB_CHECK(linear->loraRank() == config.rank, path, " has rank ", linear->loraRank(), ", config says ", config.rank);
    add(kPeftPrefix + path + ".lora_A.weight", linear->loraA()->weight);
    add(kPeftPrefix + path + ".lora_B.weight", linear->loraB()->weight);
  }
  if (tensors.empty()) failInput("saving a LoRA adapter to '", folder, "': the model has no adapter");
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) failInput("cannot create folder '", folder, "': ", ec.message());
  nlohmann::json j;
  j["peft_type"] = "LORA";
  j["task_type"] = "CAUSAL_LM";
  j["r"] = config.rank;
  j["lora_alpha"] = config.alpha;
  j["lora_dropout"] = 0.0;
  j["target_modules"] = config.targetModules;
  j["bias"] = "none";
  j["fan_in_fan_out"] = false;
  j["use_rslora"] = false;
  j["inference_mode"] = true;
  const std::string configPath = (fs::path(folder) / "adapter_config.json").string();
  std::ofstream out(configPath);
  out << j.dump(2) << "\n";
  if (!out) failInput("cannot write '", configPath, "'");
  writeSafetensors((fs::path(folder) / "adapter_model.safetensors").string(), tensors, {{"format", "pt"}});
}

LoraConfig loadLoraAdapter(torch::nn::Module& model, const std::string& folder) {
  namespace fs = std::filesystem;
  const std::string configPath = (fs::path(folder) / "adapter_config.json").string();
  const std::string weightsPath = (fs::path(folder) / "adapter_model.safetensors").string();
  std::ifstream in(configPath);
  if (!in) failInput("cannot open '", configPath, "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    failInput("'", configPath, "' is not valid JSON: ", e.what());
  }
  const std::string origin = "'" + configPath + "'";
  if (!j.is_object()) failInput(origin, ": expected a JSON object");
  if (j.contains("peft_type") && j["peft_type"] != "LORA")
    failInput(origin, ": peft_type ", j["peft_type"].dump(), " is not supported (expected \"LORA\")");
  LoraConfig config;
  if (!j.contains("r") || !j["r"].is_number_integer() || j["r"].get<int64_t>() < 1)
    failInput(origin, ": field 'r' must be a positive integer");
  config.rank = j["r"].get<int>();
  if (!j.contains("lora_alpha") || !j["lora_alpha"].is_number())
    failInput(origin, ": field 'lora_alpha' must be a number");
  config.alpha = j["lora_alpha"].get<double>();
  if (!j.contains("target_modules") || !j["target_modules"].is_array() || j["target_modules"].empty())
    failInput(origin, ": field 'target_modules' must be a non-empty list of module names");
  config.targetModules.clear();
  for (const auto& t : j["target_modules"]) {
    if (!t.is_string()) failInput(origin, ": target_modules holds ", t.dump(), ", expected names");
    config.targetModules.push_back(t.get<std::string>());
  }
  for (const char* flag : {"use_rslora", "use_dora", "fan_in_fan_out"})
    if (j.contains(flag) && j[flag].is_boolean() && j[flag].get<bool>())
      failInput(origin, ": ", flag, " = true is not supported");
  for (const char* list : {"layers_to_transform", "modules_to_save", "rank_pattern", "alpha_pattern"})
    if (j.contains(list) && !j[list].is_null() && !j[list].empty())
      failInput(origin, ": field '", list, "' is not supported (only uniform adapters)");

  const SafetensorsFile file(weightsPath);
  applyLora(model, config);
  std::map<std::string, torch::Tensor> expected;  // PEFT key -> parameter
  for (auto& [path, linear] : loraLinears(model)) {
    if (!linear->hasLora()) continue;
    expected[kPeftPrefix + path + ".lora_A.weight"] = linear->loraA()->weight;
    expected[kPeftPrefix + path + ".lora_B.weight"] = linear->loraB()->weight;
  }
  for (const auto& [name, info] : file.tensors()) {
    // PEFT writes adapter keys without the adapter name; accept ".default" spelled out too.
    std::string key = name;
    for (const char* part : {".lora_A.default.weight", ".lora_B.default.weight"}) {
      const std::string p(part);
      if (key.size() > p.size() && key.compare(key.size() - p.size(), p.size(), p) == 0)
        key = key.substr(0, key.size() - p.size()) + (p[6] == 'A' ? ".lora_A.weight" : ".lora_B.weight");
    }
    if (!expected.count(key))
      failInput("'", weightsPath, "': tensor '", name, "' names no adapted module (target_modules of ", origin, ")");
  }
  torch::NoGradGuard noGrad;
  for (auto& [key, param] : expected) {
    std::string name = key;
    if (!file.has(name)) {
      const auto dot = key.rfind(".weight");
      name = key.substr(0, dot) + ".default.weight";
      if (!file.has(name)) failInput("'", weightsPath, "' lacks tensor '", key, "'");
    }
    const auto& shape = file.info(name).shape;
    if (shape != param.sizes().vec())
      failInput("'", weightsPath, "': tensor '", name, "' has shape ", shapeText(shape), ", the model needs ",
                shapeText(param.sizes().vec()));
    auto values = file.readFloats(name);
    param.copy_(torch::from_blob(values.data(), param.sizes(), torch::kFloat));
  }
  return config;
}

}  // namespace tb
