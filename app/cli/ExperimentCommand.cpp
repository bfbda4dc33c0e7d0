// `experiment seed-comparison [--task T] [--algorithms a,b,...] [--seeds N] [--iterations N]
// [--set key=value]... [--out FILE.html] [--dry-run] [--db PATH] [--quiet]`: runs a built-in experiment's plan
// (core/engine/Experiment.h) in this process, run after run, and ends by writing its comparison
// report (HTML, and the PDF next to it when the GUI is built). The first run's warm start is shared
// by the others. Ctrl-C stops the current run (stored as cancelled) and the experiment; a failed
// run is noted and the rest go on. `--dry-run` prints the plan only.
#include <cstdio>
#include <sstream>

#include "app/cli/Commands.h"
#include "app/cli/OffscreenRender.h"
#include "core/Error.h"
#include "core/compare/Comparison.h"
#include "core/compare/Reports.h"
#include "core/engine/Engine.h"
#include "core/engine/Experiment.h"
#include "core/store/RunStore.h"

namespace tb::cli {

int experimentCommand(const CliArguments& args) {
  const std::string name = args.positional(0, "experiment name (seed-comparison)");
  if (name != "seed-comparison") failInput("unknown experiment '", name, "' (expected seed-comparison)");
  args.allowOnly({"task", "algorithms", "seeds", "iterations", "set", "out", "db", "quiet", "dry-run"});
  SeedComparisonOptions options;
  options.task = args.value("task").value_or(options.task);
  if (const auto list = args.value("algorithms")) {
    options.algorithms.clear();
    std::stringstream in(*list);
    std::string item;
    while (std::getline(in, item, ','))
      if (!item.empty()) options.algorithms.push_back(item);
  }
  options.seeds = args.intValue("seeds", options.seeds);
  options.iterations = args.intValue("iterations", options.iterations);
  options.overrides = args.values("set");
  ExperimentPlan plan = seedComparisonPlan(options);

  std::printf("%s: %s (%zu runs, tag \"%s\")\n", plan.name.c_str(), plan.description.c_str(), plan.runs.size(),
              plan.tag.c_str());
  for (const auto& run : plan.runs) std::printf("  %s\n", run.getString("run.name").c_str());
  if (args.flag("dry-run")) return 0;

  const std::string db = workspacePath(args);
  std::vector<std::int64_t> ids;
  std::string sharedModel;
  int failed = 0;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    RunConfig& config = plan.runs[i];
    if (i > 0) useSharedWarmStart(config, sharedModel);
    std::int64_t id = 0;
    {
      auto store = RunStore::open(db);
      id = createRun(*store, config);
      if (i == 0) sharedModel = store->runDirectory(id) + "/reference.pt";
    }
    std::printf("[%zu/%zu] run %lld: %s\n", i + 1, plan.runs.size(), static_cast<long long>(id),
                config.getString("run.name").c_str());
    std::fflush(stdout);
    const int code = executeOnTerminal(db, id, args.flag("quiet"));
    ids.push_back(id);
    if (code == 130) {
      std::printf("experiment stopped; %zu of %zu runs done\n", i, plan.runs.size());
      return 130;
    }
    if (code != 0) {
      if (i == 0) failInput("the first run (", id, ") failed, so there is no warm start to share; see its log");
      ++failed;
    }
  }

  auto store = RunStore::open(db);
  const RunComparison comparison = buildComparison(*store, ids, plan.metrics, plan.groupBy);
  // By default next to the runs' folders: <workspace>.runs/seed-comparison-<first run>.html.
  const std::string out =
      args.value("out").value_or(experimentReportBase(store->runDirectory(ids.front()), plan, ids.front()) + ".html");
  const std::string title = experimentReportTitle(plan);
  for (const auto& file : writeReport(comparison, out, title)) std::printf("wrote %s\n", file.c_str());
  const auto dot = out.rfind('.');
  const std::string pdf = (dot == std::string::npos ? out : out.substr(0, dot)) + ".pdf";
  try {
    writePdfReportFile(comparison, pdf, title);
    std::printf("wrote %s\n", pdf.c_str());
  } catch (const InputError& e) {
    std::printf("no PDF: %s\n", e.what());
  }
  std::string list;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) list += ',';
    list += std::to_string(ids[i]);
  }
  const std::string failures = failed ? " (" + std::to_string(failed) + " failed)" : std::string();
  std::printf("runs %s%s; compare them in the workbench: thoughtbench --compare %s\n", list.c_str(), failures.c_str(),
              list.c_str());
  return failed ? 1 : 0;
}

}  // namespace tb::cli
