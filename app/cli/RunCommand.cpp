// `run` and `resume`: execute a run headless with progress on the terminal; Ctrl-C cancels the
// run cleanly (it is stored as cancelled with its last checkpoint, and can be resumed).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/engine/Distributed.h"
#include "core/engine/Engine.h"
#include "core/store/RunStore.h"
#include "core/store/Workspace.h"

namespace tb::cli {

namespace {

std::atomic<bool> interrupted{false};

void onSignal(int) { interrupted = true; }

double metricValue(const IterationEvent& e, const std::string& name) {
  for (const auto& [k, v] : e.metrics)
    if (k == name) return v;
  return std::nan("");
}

// One line per iteration on the terminal; warm start and evaluation progress on stderr.
class TerminalListener : public RunListener {
 public:
  explicit TerminalListener(bool quiet) : quiet_(quiet) {}
  void onPhase(std::int64_t, const std::string& phase, double fraction) override {
    if (!quiet_) std::fprintf(stderr, "\r%s %3.0f%%%s", phase.c_str(), fraction * 100, fraction >= 1 ? "\n" : "");
  }
  void onIteration(const IterationEvent& e) override {
    if (quiet_) return;
    if (e.samples.empty() && !std::isnan(metricValue(e, "eval/accuracy"))) {
      std::printf("  eval @%d: accuracy %.3f  pass@k %.3f\n", e.iteration, metricValue(e, "eval/accuracy"),
                  metricValue(e, "eval/pass@k"));
    } else {
      std::printf("[%d/%d] reward %.3f  accuracy %.3f  entropy %.3f  kl %.4f  len %.1f  %.2f s\n",
                  e.iteration + 1, e.iterationsTotal, metricValue(e, "reward/mean"), metricValue(e, "accuracy"),
                  metricValue(e, "entropy"), metricValue(e, "kl"), metricValue(e, "length/mean"),
                  metricValue(e, "time/iteration_s"));
    }
    std::fflush(stdout);
  }
  void onLog(std::int64_t, const std::string& level, const std::string& message) override {
    if (level == "warning" || level == "error") std::fprintf(stderr, "%s: %s\n", level.c_str(), message.c_str());
  }

 private:
  bool quiet_;
};

}  // namespace

int executeOnTerminal(const std::string& db, std::int64_t runId, bool quiet, Distributed* dist) {
  RunControl control;
  interrupted = false;
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::atomic<bool> finished{false};
  // Signal handlers may only set a flag; this watcher turns it into a cancel request.
  std::thread watcher([&] {
    while (!finished) {
      if (interrupted) {
        control.requestCancel();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  TerminalListener listener(quiet);
  const RunStatus status = executeRun(db, runId, control, &listener, dist);
  finished = true;
  watcher.join();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  auto store = RunStore::open(db);
  auto record = store->run(runId);
  if (dist && dist->rank() > 0) return status == RunStatus::Finished ? 0 : status == RunStatus::Cancelled ? 130 : 1;
  std::printf("run %lld %s%s%s\n", static_cast<long long>(runId), runStatusName(status),
              record && !record->message.empty() ? ": " : "", record ? record->message.c_str() : "");
  switch (status) {
    case RunStatus::Finished: return 0;
    case RunStatus::Cancelled: return 130;
    default: return 1;
  }
}


std::string workspacePath(const CliArguments& args) { return args.value("db").value_or(defaultWorkspacePath()); }

int runCommand(const CliArguments& args) {
  args.allowOnly({"task", "algorithm", "iterations", "seed", "set", "config", "db", "name", "quiet", "nproc"});
  int nproc = 1;
  if (auto n = args.value("nproc")) {
    try {
      nproc = std::stoi(*n);
    } catch (const std::logic_error&) {
      nproc = 0;
    }
    if (nproc < 1 || nproc > 256) failInput("--nproc ", *n, ": expected a number of processes from 1 to 256");
  }
  const auto launched = LaunchEnvironment::fromEnvironment();
  if (launched && nproc > 1)
    failInput("--nproc ", nproc, " starts local ranks itself, but this process is already rank ", launched->rank,
              " of WORLD_SIZE ", launched->worldSize, " (torchrun / srun): drop one of the two");
  nlohmann::json json = nlohmann::json::object();
  std::string origin = "command line";
  if (auto file = args.value("config")) {
    std::ifstream in(*file);
    if (!in) failInput("cannot open config file '", *file, "'");
    try {
      json = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      failInput("config file '", *file, "' is not valid JSON: ", e.what());
    }
    origin = "config file '" + *file + "'";
  }
  if (auto task = args.value("task")) json["task"] = *task;
  if (auto algorithm = args.value("algorithm")) json["algorithm"] = *algorithm;
  RunConfig config = RunConfig::fromJson(json, origin);
  if (auto n = args.value("iterations")) config.applyOverride("run.iterations=" + *n);
  if (auto s = args.value("seed")) config.applyOverride("run.seed=" + *s);
  if (auto name = args.value("name")) config.set("run.name", *name);
  for (const auto& assignment : args.values("set")) config.applyOverride(assignment);
  config.validate();

  const std::string db = workspacePath(args);
  if (nproc > 1) return launchLocalRanks(db, config, nproc, args.flag("quiet"));
  if (launched) return runAsRank(*launched, db, &config, 0, args.flag("quiet"));
  auto store = RunStore::open(db);
  const std::int64_t runId = createRun(*store, config);
  store.reset();
  std::printf("run %lld: %s on %s, %lld iterations (workspace %s)\n", static_cast<long long>(runId),
              config.algorithm().c_str(), config.task().c_str(), config.getInt("run.iterations"), db.c_str());
  return executeOnTerminal(db, runId, args.flag("quiet"));
}

int resumeCommand(const CliArguments& args) {
  args.allowOnly({"db", "quiet"});
  const std::string db = workspacePath(args);
  const std::string idText = args.positional(0, "run id (thoughtbench-cli resume RUN)");
  std::int64_t runId = 0;
  try {
    runId = std::stoll(idText);
  } catch (const std::logic_error&) {
    failInput("run id must be a number, got '", idText, "'");
  }
  {
    auto store = RunStore::open(db);
    store->markInterruptedRuns();
    auto record = store->run(runId);
    if (!record) failInput("no run ", runId, " in workspace '", db, "'");
    if (record->status == RunStatus::Running || record->status == RunStatus::Paused)
      failInput("run ", runId, " is ", runStatusName(record->status), " in another process (pid ", record->pid, ")");
    if (record->status == RunStatus::Finished) failInput("run ", runId, " has already finished");
    auto ckpt = store->latestCheckpoint(runId);
    std::printf("resuming run %lld from %s\n", static_cast<long long>(runId),
                ckpt ? ("the checkpoint of iteration " + std::to_string(ckpt->iteration)).c_str() : "the start (no checkpoint)");
  }
  return executeOnTerminal(db, runId, args.flag("quiet"));
}

}  // namespace tb::cli
