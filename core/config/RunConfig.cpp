// RunConfig: schema assembly (common + task + algorithm parameters), JSON loading with nested or
// flat keys, `key=value` overrides and validation with messages that name key, value and expectation.
#include "core/config/RunConfig.h"

#include <algorithm>
#include <fstream>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/CommonParams.h"
#include "core/tasks/Task.h"

namespace tb {

namespace {

size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Flattens {"rollout": {"group_size": 8}} into {"rollout.group_size": 8}.
void flatten(const nlohmann::json& node, const std::string& prefix,
             std::vector<std::pair<std::string, nlohmann::json>>& out) {
  for (const auto& [key, value] : node.items()) {
    const std::string full = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) flatten(value, full, out);
    else out.emplace_back(full, value);
  }
}

}  // namespace

void ConfigSchema::add(ParamSpec spec) {
  for (auto& p : params_)
    if (p.key == spec.key) {
      p = std::move(spec);
      return;
    }
  params_.push_back(std::move(spec));
}

void ConfigSchema::setDefault(const std::string& key, nlohmann::json value) {
  for (auto& p : params_)
    if (p.key == key) {
      p.defaultValue = p.coerce(value);
      return;
    }
  TB_CHECK(false, "setDefault of unknown key ", key);
}

const ParamSpec* ConfigSchema::find(const std::string& key) const {
  for (const auto& p : params_)
    if (p.key == key) return &p;
  return nullptr;
}

const ParamSpec& ConfigSchema::at(const std::string& key) const {
  if (const ParamSpec* p = find(key)) return *p;
  const ParamSpec* best = nullptr;
  size_t bestDistance = 4;  // suggest only close matches
  for (const auto& p : params_) {
    size_t d = editDistance(key, p.key);
    if (d < bestDistance) bestDistance = d, best = &p;
  }
  if (best) failInput("unknown parameter '", key, "' (did you mean '", best->key, "'?)");
  failInput("unknown parameter '", key, "' (see `thoughtbench-cli list params`)");
}

nlohmann::json ConfigSchema::toJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : params_) out.push_back(p.toJson());
  return out;
}

ConfigSchema RunConfig::schemaFor(const std::string& task, const std::string& algorithm) {
  const TaskInfo& taskInfo = TaskRegistry::instance().at(task, "task");
  const AlgorithmInfo& algoInfo = AlgorithmRegistry::instance().at(algorithm, "algorithm");
  ConfigSchema schema;
  for (auto& p : commonParams()) schema.add(std::move(p));
  for (const auto& p : taskInfo.params) schema.add(p);
  for (const auto& p : algorithmParams(algoInfo)) schema.add(p);
  for (const auto& [key, value] : taskInfo.defaultOverrides) schema.setDefault(key, value);
  for (const auto& [key, value] : algoInfo.defaultOverrides)
    if (key.rfind("task.", 0) != 0 || schema.find(key)) schema.setDefault(key, value);  // task keys: where the task has them
  return schema;
}

RunConfig RunConfig::defaults(const std::string& task, const std::string& algorithm) {
  RunConfig config;
  config.task_ = task;
  config.algorithm_ = algorithm;
  config.schema_ = schemaFor(task, algorithm);
  for (const auto& p : config.schema_.params()) config.values_[p.key] = p.defaultValue;
  return config;
}

RunConfig RunConfig::fromJson(const nlohmann::json& json, const std::string& origin) {
  if (!json.is_object()) failInput(origin, ": expected a JSON object, got ", json.type_name());
  std::vector<std::pair<std::string, nlohmann::json>> flat;
  flatten(json, "", flat);
  std::string task = "game24", algorithm = "grpo";
  for (const auto& [key, value] : flat) {
    if (key != "task" && key != "algorithm") continue;
    if (!value.is_string()) failInput(origin, ": '", key, "' must be a string, got ", value.dump());
    (key == "task" ? task : algorithm) = value.get<std::string>();
  }
  RunConfig config;
  try {
    config = defaults(task, algorithm);
    for (const auto& [key, value] : flat)
      if (key != "task" && key != "algorithm") config.set(key, value);
    config.validate();
  } catch (const InputError& e) {
    failInput(origin, ": ", e.what());
  }
  return config;
}

RunConfig RunConfig::fromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) failInput("cannot open config file '", path, "'");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    failInput("config file '", path, "' is not valid JSON: ", e.what());
  }
  return fromJson(json, "config file '" + path + "'");
}

void RunConfig::set(const std::string& key, const nlohmann::json& value) {
  values_[key] = schema_.at(key).coerce(value);
}

void RunConfig::applyOverride(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    failInput("override '", assignment, "': expected key=value, e.g. rollout.group_size=8");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  if (key == "task" || key == "algorithm")
    failInput("override '", assignment, "': choose the ", key, " with --", key);
  values_[key] = schema_.at(key).parse(text);
}

const nlohmann::json& RunConfig::get(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) schema_.at(key);  // throws with a suggestion
  TB_CHECK(it != values_.end(), "no value for ", key);
  return it->second;
}

long long RunConfig::getInt(const std::string& key) const { return get(key).get<long long>(); }
double RunConfig::getFloat(const std::string& key) const { return get(key).get<double>(); }
bool RunConfig::getBool(const std::string& key) const { return get(key).get<bool>(); }
std::string RunConfig::getString(const std::string& key) const { return get(key).get<std::string>(); }

void RunConfig::validate() const {
  if (getInt("model.d_model") % getInt("model.heads") != 0)
    failInput("model.heads = ", getInt("model.heads"), " must divide model.d_model = ",
              getInt("model.d_model"));
  if (getInt("eval.k") > getInt("eval.samples"))
    failInput("eval.k = ", getInt("eval.k"), " must not exceed eval.samples = ",
              getInt("eval.samples"));
  if (getInt("rollout.max_new_tokens") >= getInt("model.context"))
    failInput("rollout.max_new_tokens = ", getInt("rollout.max_new_tokens"),
              " must be smaller than model.context = ", getInt("model.context"),
              " (the prompt needs room too)");
  const AlgorithmInfo& algo = AlgorithmRegistry::instance().at(algorithm_, "algorithm");
  const TaskInfo& task = TaskRegistry::instance().at(task_, "task");
  if (const std::string why = incompatibility(algo, task); !why.empty())
    failInput("algorithm '", algorithm_, "' cannot run on task '", task_, "': ", why);
  if (algo.parts)
    for (const auto& [kind, name] : algo.parts->all())
      if (const PartInfo* part = PartRegistry::instance().find(partKey(kind, name)); part && part->validate)
        part->validate(*this);
}

nlohmann::json RunConfig::toJson() const {
  nlohmann::json out = nlohmann::json::object();
  out["task"] = task_;
  out["algorithm"] = algorithm_;
  for (const auto& p : schema_.params()) out[p.key] = values_.at(p.key);
  return out;
}

std::vector<std::string> RunConfig::changedKeys() const {
  std::vector<std::string> out;
  for (const auto& p : schema_.params())
    if (values_.at(p.key) != p.defaultValue) out.push_back(p.key);
  return out;
}

}  // namespace tb
