#pragma once
// Built-in experiments: a fixed set of runs that answers one question and ends with a comparison
// report (docs/REPORTS.md). Torch-free: the CLI (`thoughtbench-cli experiment NAME`) and the GUI
// (Experiments menu) both execute the plan run after run.
//
// seed-comparison: GRPO, Dr. GRPO, DAPO, EMPG (entropy-modulated) and Flow of Reasoning x 3
// seeds on Game of 24, sized to finish in about 15 minutes on a 2-core machine:
//   * one shared warm start: the first run fine-tunes on solver demonstrations (the default 1000
//     steps, about 3 of the 15 minutes; fewer leave a policy that solves nothing, and then every
//     reward and advantage is 0) and every later run starts from its reference.pt
//     (warmstart.checkpoint), so the seeds vary the reinforcement-learning phase only;
//   * 16 iterations each, evaluation every 8 iterations on 30 test problems x 8 samples;
//   * Flow of Reasoning samples 1 prompt per iteration instead of 8: its exact scoring of every
//     legal step costs about 3 s per prompt on 2 cores, 20x GRPO (compare runs by "samples seen"
//     to put it on the same footing; the config diff shows it).
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/RunConfig.h"

namespace tb {

struct ExperimentPlan {
  std::string name;                   // "seed-comparison"
  std::string tag;                    // run.experiment of every run (name + start time)
  std::string description;
  std::vector<RunConfig> runs;        // in order; runs[0] warm-starts, the others reuse its model
  std::string groupBy = "algorithm";  // the report's grouping
  std::vector<std::string> metrics;   // the report's metrics
};

struct SeedComparisonOptions {
  std::string task = "game24";
  std::vector<std::string> algorithms = {"grpo", "dr_grpo", "dapo", "empg", "flow_of_reasoning"};
  int seeds = 3;
  int iterations = 16;
  std::vector<std::string> overrides;  // "key=value" applied to every run last (e.g. a tiny model for tests)
};

const std::vector<std::string>& experimentNames();  // {"seed-comparison"}

// InputError naming the option when the task or an algorithm is unknown, when an algorithm cannot
// run on the task, or when seeds / iterations are < 1.
ExperimentPlan seedComparisonPlan(const SeedComparisonOptions& options = {});

// Where an experiment's report goes without --out: <workspace>.runs/<name>-<first run>, to which
// the caller adds ".html" / ".pdf"; and its title.
std::string experimentReportBase(const std::string& firstRunDirectory, const ExperimentPlan& plan, std::int64_t firstRun);
std::string experimentReportTitle(const ExperimentPlan& plan);

// Makes `config` start from the shared warm start (the first run's reference.pt).
void useSharedWarmStart(RunConfig& config, const std::string& referenceModelPath);

}  // namespace tb
