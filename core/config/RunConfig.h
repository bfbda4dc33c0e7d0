#pragma once
// A run's configuration: a flat map from dotted keys to typed values, validated against the
// schema of the chosen task and algorithm. JSON files may be flat ({"rollout.group_size": 8}) or
// nested ({"rollout": {"group_size": 8}}); both load to the same config.
#include <map>
#include <string>
#include <vector>

#include "core/config/ParamSpec.h"

namespace tb {

class ConfigSchema {
 public:
  void add(ParamSpec spec);  // replaces an existing key (presets override defaults this way)
  void setDefault(const std::string& key, nlohmann::json value);
  const ParamSpec* find(const std::string& key) const;
  const ParamSpec& at(const std::string& key) const;  // throws InputError for unknown keys
  const std::vector<ParamSpec>& params() const { return params_; }
  nlohmann::json toJson() const;

 private:
  std::vector<ParamSpec> params_;
};

class RunConfig {
 public:
  // The schema of a run: common parameters + the task's + the algorithm's. Throws InputError for
  // an unknown task or algorithm name.
  static ConfigSchema schemaFor(const std::string& task, const std::string& algorithm);

  // Defaults of the schema of (task, algorithm).
  static RunConfig defaults(const std::string& task, const std::string& algorithm);
  // Loads a JSON file; `task` and `algorithm` keys choose the schema unless given here.
  static RunConfig fromFile(const std::string& path);
  // From a JSON object (flat or nested); `origin` names the source in error messages.
  static RunConfig fromJson(const nlohmann::json& json, const std::string& origin);

  const std::string& task() const { return task_; }
  const std::string& algorithm() const { return algorithm_; }
  const ConfigSchema& schema() const { return schema_; }

  // Sets a value after validating it against the schema (throws InputError).
  void set(const std::string& key, const nlohmann::json& value);
  // Applies "key=value" text as given on the command line (throws InputError).
  void applyOverride(const std::string& assignment);

  long long getInt(const std::string& key) const;
  double getFloat(const std::string& key) const;
  bool getBool(const std::string& key) const;
  std::string getString(const std::string& key) const;
  const nlohmann::json& get(const std::string& key) const;
  bool has(const std::string& key) const { return values_.count(key) > 0; }

  // Flat JSON including task and algorithm: {"task": .., "algorithm": .., "rollout.group_size": ..}
  nlohmann::json toJson() const;
  // Checks constraints between parameters (heads divide width, k <= n, ...); throws InputError
  // naming the keys involved. Loading and the engine call it.
  void validate() const;
  // Keys whose value differs from the schema default.
  std::vector<std::string> changedKeys() const;

 private:
  std::string task_;
  std::string algorithm_;
  ConfigSchema schema_;
  std::map<std::string, nlohmann::json> values_;
};

}  // namespace tb
