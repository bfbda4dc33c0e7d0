// `export tree ...` (TreeCommands.cpp) and `export tensorboard --runs ID,ID,... --out DIR`: each run's
// metric series as a TensorBoard event file in DIR/<id>-<name>/, so `tensorboard --logdir DIR`
// shows the runs side by side (step = iteration; wall time = the run's start + the point's time).
// Missing values (NaN) are left out, never written as 0.
// `export model --run RUN --out DIR [--adapter]`: a Hugging Face run's trained policy as an HF
// folder (merged weights, or the PEFT adapter; core/engine/RunPolicy.h).
#include <cstdio>
#include <sstream>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/engine/RunPolicy.h"
#include "core/export/TensorBoardWriter.h"
#include "core/store/RunStore.h"

namespace tb::cli {

std::vector<std::int64_t> parseIdList(const std::string& text, const char* option) {
  std::vector<std::int64_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t"), last = item.find_last_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    try {
      size_t used = 0;
      ids.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::logic_error&) {
      failInput(option, " ", text, ": expected run ids separated by commas, e.g. 3,4,7");
    }
  }
  if (ids.empty()) failInput(option, ": expected at least one run id");
  return ids;
}

int exportCommand(const CliArguments& args) {
  const std::string what = args.positional(0, "what to export (tree or tensorboard)");
  if (what == "tree") return exportTreeCommand(args);
  if (what == "tensorboard") return exportTensorBoardCommand(args);
  if (what == "model") return exportModelCommand(args);
  failInput("export ", what, ": expected `export tree`, `export tensorboard` or `export model`");
}

int exportTensorBoardCommand(const CliArguments& args) {
  args.allowOnly({"runs", "out", "db"});
  const auto runs = args.value("runs");
  const auto out = args.value("out");
  if (!runs || !out) failInput("export tensorboard needs --runs ID,ID,... and --out DIR");
  auto store = RunStore::open(workspacePath(args));
  std::vector<RunRecord> records;
  for (std::int64_t id : parseIdList(*runs, "--runs")) {
    auto r = store->run(id);
    if (!r) failInput("no run ", id, " in workspace '", store->path(), "'");
    records.push_back(*r);
  }
  for (const auto& run : records) {
    const std::string file = writeRunTensorBoard(*store, run, *out);
    std::printf("run %lld (%s on %s): %s\n", static_cast<long long>(run.id), run.algorithm.c_str(), run.task.c_str(),
                file.c_str());
  }
  std::printf("open with: tensorboard --logdir %s\n", out->c_str());
  return 0;
}

int exportModelCommand(const CliArguments& args) {
  args.allowOnly({"run", "out", "adapter", "db"});
  const auto run = args.value("run");
  const auto out = args.value("out");
  if (!run || !out) failInput("export model needs --run RUN and --out DIR");
  const std::int64_t id = parseIdList(*run, "--run").at(0);
  auto store = RunStore::open(workspacePath(args));
  const bool adapter = args.flag("adapter");
  const int iteration = exportHfPolicy(*store, id, *out, adapter);
  std::printf("run %lld, checkpoint of iteration %d: %s written to %s\n", static_cast<long long>(id), iteration,
              adapter ? "LoRA adapter (PEFT)" : "merged Hugging Face checkpoint", out->c_str());
  return 0;
}

}  // namespace tb::cli
