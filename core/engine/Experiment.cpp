#include "core/engine/Experiment.h"

#include <ctime>
#include <filesystem>

#include "core/Error.h"

namespace tb {

const std::vector<std::string>& experimentNames() {
  static const std::vector<std::string> kNames = {"seed-comparison"};
  return kNames;
}

ExperimentPlan seedComparisonPlan(const SeedComparisonOptions& options) {
  if (options.seeds < 1) failInput("seed-comparison: --seeds ", options.seeds, ": expected at least 1");
  if (options.iterations < 1) failInput("seed-comparison: --iterations ", options.iterations, ": expected at least 1");
  if (options.algorithms.empty()) failInput("seed-comparison: --algorithms: expected at least one algorithm");
  ExperimentPlan plan;
  plan.name = "seed-comparison";
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M", std::localtime(&now));
  plan.tag = "seed-comparison " + std::string(stamp);
  plan.metrics = {"reward/mean", "accuracy", "entropy", "kl", "length/mean", "eval/accuracy", "eval/pass@k",
                  "eval/distinct_correct"};
  const int evalEvery = std::max(1, options.iterations / 2);
  for (int seed = 1; seed <= options.seeds; ++seed)
    for (const auto& algorithm : options.algorithms) {
      RunConfig config = RunConfig::defaults(options.task, algorithm);  // InputError for unknown names
      config.set("run.name", algorithm + "-s" + std::to_string(seed));
      config.set("run.experiment", plan.tag);
      config.set("run.seed", seed);
      config.set("run.iterations", options.iterations);
      config.set("eval.every", evalEvery);
      config.set("eval.problems", 30);
      if (algorithm == "flow_of_reasoning") config.set("rollout.prompts", 1);
      for (const auto& assignment : options.overrides) config.applyOverride(assignment);
      config.validate();  // InputError when the algorithm cannot run on the task
      plan.runs.push_back(std::move(config));
    }
  plan.description = std::to_string(options.algorithms.size()) + " algorithms x " + std::to_string(options.seeds) +
                     " seeds on " + options.task + ", " + std::to_string(options.iterations) +
                     " iterations each, one shared warm start";
  return plan;
}

std::string experimentReportBase(const std::string& firstRunDirectory, const ExperimentPlan& plan, std::int64_t firstRun) {
  return (std::filesystem::path(firstRunDirectory).parent_path() / (plan.name + "-" + std::to_string(firstRun))).string();
}

std::string experimentReportTitle(const ExperimentPlan& plan) { return "Seed comparison: " + plan.description; }

void useSharedWarmStart(RunConfig& config, const std::string& referenceModelPath) {
  config.set("warmstart.checkpoint", referenceModelPath);
}

}  // namespace tb
