#pragma once
// Registry entry of a training algorithm (a preset of parts and parameters). Kept free of LibTorch
// so that configuration, the CLI's `list` and the GUI form do not pull in torch headers.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config/ParamSpec.h"
#include "core/config/Registry.h"

namespace tb {

class RunConfig;
class Algorithm;  // core/algorithms/Algorithm.h (LibTorch)

struct AlgorithmInfo {
  std::string name;         // "grpo"
  std::string title;        // "GRPO"
  std::string paper;        // "DeepSeekMath: Pushing the Limits of ... (Shao et al., 2024)"
  std::string changes;      // what it changes relative to GRPO, one paragraph
  std::vector<ParamSpec> params;                   // keys start with "algo."
  std::vector<std::pair<std::string, nlohmann::json>> defaultOverrides;  // common keys it retunes
  std::function<std::unique_ptr<Algorithm>(const RunConfig&)> create;
};

using AlgorithmRegistry = Registry<AlgorithmInfo>;

}  // namespace tb

#define TB_REGISTER_ALGORITHM(var, ...) \
  static ::tb::Registration<::tb::AlgorithmInfo> var{__VA_ARGS__}
