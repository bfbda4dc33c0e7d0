#pragma once
// Helpers of the comparison suites (test_compare, test_compare_view): stored runs made by hand and
// the text of a written file.
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/store/RunStore.h"

namespace tb {

// A run record of `task` / `algorithm` with run.seed = seed, 4 iterations, plus `extraConfig`.
inline RunRecord makeRun(const std::string& name, const std::string& task, const std::string& algorithm, int seed,
                         const nlohmann::json& extraConfig, const std::string& tag = "",
                         RunStatus status = RunStatus::Finished) {
  RunRecord r;
  r.name = name;
  r.task = task;
  r.algorithm = algorithm;
  r.experiment = tag;
  r.status = status;
  r.iterationsTotal = 4;
  r.config = {{"task", task}, {"algorithm", algorithm}, {"run.seed", seed}};
  for (const auto& [key, value] : extraConfig.items()) r.config[key] = value;
  return r;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace tb
