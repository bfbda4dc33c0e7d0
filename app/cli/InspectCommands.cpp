// `show`, `metrics` and `samples`: read a run of the workspace, as text, JSON or CSV.
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/store/RunStore.h"

namespace tb::cli {

namespace {

struct OpenRun {
  std::unique_ptr<RunStore> store;
  RunRecord record;
};

OpenRun openRun(const CliArguments& args) {
  const std::string idText = args.positional(0, "run id");
  std::int64_t id = 0;
  try {
    size_t used = 0;
    id = std::stoll(idText, &used);
    if (used != idText.size()) throw std::invalid_argument("trailing");
  } catch (const std::logic_error&) {
    failInput("run id must be a number, got '", idText, "'");
  }
  OpenRun out;
  out.store = RunStore::open(workspacePath(args));
  out.store->markInterruptedRuns();
  auto record = out.store->run(id);
  if (!record) failInput("no run ", id, " in workspace '", out.store->path(), "'");
  out.record = *record;
  return out;
}


}  // namespace

nlohmann::json runRecordJson(const RunRecord& r) {
  return {{"id", r.id}, {"name", r.name}, {"experiment", r.experiment}, {"task", r.task},
          {"algorithm", r.algorithm}, {"status", runStatusName(r.status)}, {"message", r.message},
          {"iterations_done", r.iterationsDone}, {"iterations_total", r.iterationsTotal},
          {"created_at", r.createdAt}, {"started_at", r.startedAt}, {"finished_at", r.finishedAt},
          {"config", r.config}};
}

int showCommand(const CliArguments& args) {
  args.allowOnly({"json", "db"});
  auto run = openRun(args);
  nlohmann::json out = runRecordJson(run.record);
  nlohmann::json latest = nlohmann::json::object();
  for (const auto& [name, points] : run.store->metrics(run.record.id))
    if (!points.empty()) latest[name] = {{"iteration", points.back().iteration}, {"value", points.back().value}};
  out["latest_metrics"] = latest;
  auto ckpt = run.store->latestCheckpoint(run.record.id);
  out["checkpoint"] = ckpt ? nlohmann::json{{"iteration", ckpt->iteration}, {"path", ckpt->path}} : nlohmann::json();
  out["directory"] = run.store->runDirectory(run.record.id);
  if (args.flag("json")) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  const auto& r = run.record;
  std::printf("run %lld  %s\n  task %s, algorithm %s\n  status %s%s%s\n  progress %d/%d iterations\n",
              static_cast<long long>(r.id), r.name.c_str(), r.task.c_str(), r.algorithm.c_str(),
              runStatusName(r.status), r.message.empty() ? "" : ": ", r.message.c_str(), r.iterationsDone,
              r.iterationsTotal);
  std::printf("  files %s\n  latest metrics:\n", out["directory"].get<std::string>().c_str());
  for (const auto& [name, v] : latest.items())
    std::printf("    %-26s %12.6g  (iteration %d)\n", name.c_str(), v["value"].get<double>(), v["iteration"].get<int>());
  std::printf("  config:\n");
  for (const auto& [key, value] : r.config.items()) std::printf("    %-30s %s\n", key.c_str(), value.dump().c_str());
  return 0;
}

int metricsCommand(const CliArguments& args) {
  args.allowOnly({"json", "csv", "db", "name"});
  auto run = openRun(args);
  auto all = run.store->metrics(run.record.id);
  if (auto name = args.value("name")) {
    if (!all.count(*name)) failInput("run ", run.record.id, " has no metric '", *name, "'");
    all = {{*name, all[*name]}};
  }
  if (args.flag("json")) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, points] : all) {
      nlohmann::json series = nlohmann::json::array();
      for (const auto& p : points) series.push_back({{"iteration", p.iteration}, {"value", p.value}, {"wall_time", p.wallTime}});
      out[name] = series;
    }
    std::printf("%s\n", out.dump(2).c_str());
  } else if (args.flag("csv")) {
    // Long format: one row per point, easy to load in pandas or a spreadsheet.
    std::printf("metric,iteration,value,wall_time\n");
    for (const auto& [name, points] : all)
      for (const auto& p : points) std::printf("%s,%d,%.9g,%.6f\n", name.c_str(), p.iteration, p.value, p.wallTime);
  } else {
    for (const auto& [name, points] : all) {
      if (points.empty()) continue;
      std::printf("%-26s %5zu points, first %.4g, last %.4g (iteration %d)\n", name.c_str(), points.size(),
                  points.front().value, points.back().value, points.back().iteration);
    }
  }
  return 0;
}

int samplesCommand(const CliArguments& args) {
  args.allowOnly({"json", "db", "iteration", "limit"});
  auto run = openRun(args);
  const int iteration = args.intValue("iteration", -1);
  auto samples = run.store->samples(run.record.id, iteration, args.intValue("limit", 1000));
  if (args.flag("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : samples)
      out.push_back({{"id", s.id}, {"iteration", s.iteration}, {"group", s.group}, {"split", s.split},
                     {"problem_id", s.problemId}, {"prompt", s.prompt}, {"completion", s.completion},
                     {"reward", s.reward}, {"correct", s.correct}, {"reason", s.reason}, {"tokens", s.tokens}});
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  for (const auto& s : samples) {
    std::printf("#%lld  iteration %d  %s  reward %.3f  %s  (%s)\n", static_cast<long long>(s.id), s.iteration,
                s.problemId.c_str(), s.reward, s.correct ? "correct" : "wrong", s.reason.c_str());
    std::printf("  prompt: %s", s.prompt.c_str());
    if (s.prompt.empty() || s.prompt.back() != '\n') std::printf("\n");
    std::string indented = "  ";
    for (char c : s.completion) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
    std::printf("%s\n\n", indented.c_str());
  }
  return 0;
}

}  // namespace tb::cli
