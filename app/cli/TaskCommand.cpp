// `task show NAME` and `task check NAME --file F`: look at a task's problems with solved
// demonstrations, and verify a JSONL file of model outputs with the task's exact verifier.
#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Task.h"

namespace tb::cli {

namespace {

std::unique_ptr<Task> createTask(const std::string& name, const CliArguments& args) {
  const TaskInfo& info = TaskRegistry::instance().at(name, "task");
  RunConfig config = RunConfig::defaults(name, "grpo");
  for (const auto& assignment : args.values("set")) config.applyOverride(assignment);
  return info.create(config);
}

nlohmann::json verdictJson(int line, const Verdict& v) {
  return {{"line", line}, {"correct", v.correct}, {"reward", v.reward}, {"reason", v.reason}};
}

int showTask(const std::string& name, const CliArguments& args) {
  const TaskInfo& info = TaskRegistry::instance().at(name, "task");
  auto task = createTask(name, args);
  const int n = args.intValue("n", 5);
  const int level = args.intValue("difficulty", -1);
  if (level >= static_cast<int>(info.levels.size()))
    failInput("--difficulty ", level, ": task '", name, "' has levels 0..", static_cast<int>(info.levels.size()) - 1);
  std::mt19937_64 rng(static_cast<std::uint64_t>(args.intValue("seed", 0)));
  nlohmann::json out = nlohmann::json::array();
  if (!args.flag("json")) {
    std::printf("%s (%s): %s\n", info.title.c_str(), info.name.c_str(), info.description.c_str());
    if (!info.source.empty()) std::printf("source: %s\n", info.source.c_str());
    std::printf("problems: %zu train, %zu test", task->problems(Split::Train).size(), task->problems(Split::Test).size());
    if (!info.levels.empty()) {
      std::printf("; levels:");
      for (size_t i = 0; i < info.levels.size(); ++i) std::printf(" %zu=%s", i, info.levels[i].c_str());
    }
    std::printf("\n\n");
  }
  int shown = 0;
  for (const Problem& p : task->problems(Split::Train)) {
    if (shown >= n) break;
    if (level >= 0 && p.level != level) continue;
    ++shown;
    const auto demo = task->demonstration(p, rng);
    const Verdict verdict = demo ? task->verify(p, *demo) : Verdict{0, false, "no solver demonstration"};
    if (args.flag("json")) {
      out.push_back({{"id", p.id}, {"level", p.level}, {"difficulty", p.difficulty}, {"data", p.data},
                     {"prompt", p.prompt}, {"demonstration", demo ? nlohmann::json(*demo) : nlohmann::json()},
                     {"verdict", verdictJson(0, verdict)}});
      continue;
    }
    std::printf("── %s  (level %d, difficulty %g)\n%s", p.id.c_str(), p.level, p.difficulty, p.prompt.c_str());
    if (!p.prompt.empty() && p.prompt.back() != '\n') std::printf("\n");
    std::printf("%s\n  → %s (reward %g): %s\n\n", demo ? demo->c_str() : "(no demonstration)",
                verdict.correct ? "correct" : "incorrect", verdict.reward, verdict.reason.c_str());
  }
  if (args.flag("json")) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

int checkTask(const std::string& name, const CliArguments& args) {
  auto task = createTask(name, args);
  const auto file = args.value("file");
  if (!file) failInput("task check needs --file F (a JSONL file of {\"problem\": ..., \"completion\": \"...\"})");
  std::ifstream in(*file);
  if (!in) failInput("cannot open '", *file, "'");
  const bool json = args.flag("json");
  int lineNo = 0, checked = 0, unreadable = 0, correct = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string error;
    try {
      const auto record = nlohmann::json::parse(line);
      if (!record.is_object() || !record.contains("problem") || !record.contains("completion") ||
          !record["completion"].is_string())
        failInput("expected {\"problem\": ..., \"completion\": \"...\"}");
      const Problem problem = task->problemFromData(record["problem"]);
      const Verdict v = task->verify(problem, record["completion"].get<std::string>());
      ++checked;
      correct += v.correct;
      if (json) std::printf("%s\n", verdictJson(lineNo, v).dump().c_str());
      else std::printf("%d: %s (reward %g): %s\n", lineNo, v.correct ? "correct" : "incorrect", v.reward, v.reason.c_str());
      continue;
    } catch (const nlohmann::json::parse_error& e) {
      error = std::string("not valid JSON: ") + e.what();
    } catch (const InputError& e) {
      error = e.what();
    }
    ++unreadable;
    if (json) std::printf("%s\n", nlohmann::json{{"line", lineNo}, {"error", error}}.dump().c_str());
    else std::printf("%d: cannot check: %s\n", lineNo, error.c_str());
  }
  if (checked + unreadable == 0) failInput("'", *file, "' has no records");
  if (!json) std::fprintf(stderr, "%d checked, %d correct, %d could not be checked\n", checked, correct, unreadable);
  if (unreadable > 0) {
    std::fprintf(stderr, "thoughtbench-cli task check: %d line(s) of '%s' could not be checked\n", unreadable, file->c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int taskCommand(const CliArguments& args) {
  args.allowOnly({"n", "difficulty", "json", "file", "set", "seed"});
  const std::string action = args.positional(0, "task action: show or check");
  const std::string name = args.positional(1, "task name (see `thoughtbench-cli list tasks`)");
  if (action == "show") return showTask(name, args);
  if (action == "check") return checkTask(name, args);
  failInput("unknown task action '", action, "' (expected show or check)");
}

}  // namespace tb::cli
