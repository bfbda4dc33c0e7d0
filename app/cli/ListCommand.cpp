// `list tasks|algorithms|runs|params`: what the workbench offers and what the workspace holds.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/store/RunStore.h"
#include "core/tasks/Task.h"

namespace tb::cli {

namespace {

nlohmann::json paramsJson(const std::vector<ParamSpec>& params) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : params) out.push_back(p.toJson());
  return out;
}

void printParams(const std::vector<ParamSpec>& params) {
  for (const auto& p : params)
    std::printf("  %-28s %-7s %-22s %s\n", p.key.c_str(), paramTypeName(p.type), p.defaultValue.dump().c_str(),
                p.help.c_str());
}

}  // namespace

int listCommand(const CliArguments& args) {
  args.allowOnly({"json", "db", "task", "algorithm"});
  const std::string what = args.positional(0, "what to list: tasks, algorithms, runs or params");
  const bool json = args.flag("json");
  if (what == "tasks") {
    nlohmann::json out = nlohmann::json::array();
    for (const TaskInfo* t : TaskRegistry::instance().all()) {
      nlohmann::json overrides = nlohmann::json::object();
      for (const auto& [k, v] : t->defaultOverrides) overrides[k] = v;
      out.push_back({{"name", t->name}, {"title", t->title}, {"description", t->description},
                     {"step_level", t->stepLevel}, {"has_solver", t->hasSolver}, {"levels", t->levels},
                     {"source", t->source}, {"default_overrides", overrides}, {"params", paramsJson(t->params)}});
      if (!json) std::printf("%-12s %s: %s\n", t->name.c_str(), t->title.c_str(), t->description.c_str());
    }
    if (json) std::printf("%s\n", out.dump(2).c_str());
  } else if (what == "algorithms") {
    nlohmann::json out = nlohmann::json::array();
    for (const AlgorithmInfo* a : AlgorithmRegistry::instance().all()) {
      nlohmann::json overrides = nlohmann::json::object();
      for (const auto& [k, v] : a->defaultOverrides) overrides[k] = v;
      nlohmann::json tasks = nlohmann::json::array(), refused = nlohmann::json::object();
      for (const TaskInfo* t : TaskRegistry::instance().all()) {
        const std::string why = incompatibility(*a, *t);
        if (why.empty()) tasks.push_back(t->name);
        else refused[t->name] = why;
      }
      nlohmann::json parts = nlohmann::json::array();
      if (a->parts)
        for (const auto& [kind, name] : a->parts->all()) {
          const PartInfo* part = PartRegistry::instance().find(partKey(kind, name));
          parts.push_back({{"kind", partKindName(kind)}, {"name", name},
                           {"title", part ? part->title : ""}, {"help", part ? part->help : ""}});
        }
      out.push_back({{"name", a->name}, {"title", a->title}, {"paper", a->paper}, {"year", a->year},
                     {"changes", a->changes}, {"tasks", tasks}, {"cannot_run_on", refused}, {"parts", parts},
                     {"params", paramsJson(algorithmParams(*a))}, {"default_overrides", overrides}});
      if (!json) {
        std::string partList, taskList;
        for (const auto& p : parts) partList += (partList.empty() ? "" : ", ") + p["kind"].get<std::string>() + " " + p["name"].get<std::string>();
        for (const auto& t : tasks) taskList += (taskList.empty() ? "" : " ") + t.get<std::string>();
        std::printf("%-18s %s (%d)\n    paper: %s\n    %s\n    parts: %s\n    tasks: %s\n", a->name.c_str(),
                    a->title.c_str(), a->year, a->paper.c_str(), a->changes.c_str(), partList.c_str(), taskList.c_str());
        for (auto it = refused.begin(); it != refused.end(); ++it)
          std::printf("    not on %s: %s\n", it.key().c_str(), it.value().get<std::string>().c_str());
      }
    }
    if (json) std::printf("%s\n", out.dump(2).c_str());
  } else if (what == "params") {
    const auto schema = RunConfig::schemaFor(args.value("task").value_or("game24"),
                                             args.value("algorithm").value_or("grpo"));
    if (json) std::printf("%s\n", schema.toJson().dump(2).c_str());
    else printParams(schema.params());
  } else if (what == "runs") {
    auto store = RunStore::open(workspacePath(args));
    store->markInterruptedRuns();
    nlohmann::json out = nlohmann::json::array();
    if (!json) std::printf("%5s  %-28s %-10s %-9s %-12s %9s  %s\n", "id", "name", "task", "algorithm", "status", "progress", "reward");
    for (const auto& r : store->runs()) {
      // Only the last iterations are read: the series of a long run can be large.
      auto reward = store->metric(r.id, "reward/mean", r.iterationsDone - 2);
      const double last = reward.empty() ? std::nan("") : reward.back().value;
      nlohmann::json row = runRecordJson(r);
      row.erase("config");
      row["reward_mean"] = reward.empty() ? nlohmann::json() : nlohmann::json(last);
      out.push_back(std::move(row));
      if (!json)
        std::printf("%5lld  %-28s %-10s %-9s %-12s %4d/%-4d  %s\n", static_cast<long long>(r.id), r.name.c_str(),
                    r.task.c_str(), r.algorithm.c_str(), runStatusName(r.status), r.iterationsDone,
                    r.iterationsTotal, reward.empty() ? "-" : std::to_string(last).c_str());
    }
    if (json) std::printf("%s\n", out.dump(2).c_str());
  } else {
    failInput("cannot list '", what, "' (expected tasks, algorithms, runs or params)");
  }
  return 0;
}

}  // namespace tb::cli
