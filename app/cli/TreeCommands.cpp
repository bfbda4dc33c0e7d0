// Reasoning trees from the command line:
//   search --task T --problem ID [--method M|samples] [--checkpoint RUN|FILE.pt] [--set search.k=v]... --out tree.json
//   trees RUN [--iteration N] [--json]          the trees stored with a run
//   export tree --run RUN [--iteration N] [--index K | --tree ID] --out tree.json [--format F]
//   import tree FILE                             check a tree file (either format) and summarise it
#include <cstdio>
#include <filesystem>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/engine/SearchSession.h"
#include "core/search/TreeJson.h"

namespace tb::cli {

namespace {

std::int64_t parseId(const std::string& text, const char* what) {
  try {
    size_t used = 0;
    const long long id = std::stoll(text, &used);
    if (used == text.size()) return id;
  } catch (const std::logic_error&) {
  }
  failInput(what, " must be a number, got '", text, "'");
}

std::string treeFormat(const CliArguments& args) {
  const std::string format = args.value("format").value_or("thoughtbench");
  if (format != "thoughtbench" && format != "llm-reasoners")
    failInput("--format ", format, ": expected thoughtbench or llm-reasoners");
  return format;
}

nlohmann::json treeSummary(const ReasoningTree& tree) {
  int terminals = 0, correct = 0;
  for (const auto& n : tree.nodes) {
    terminals += n.terminal;
    correct += n.correct;
  }
  return {{"kind", tree.kind}, {"task", tree.task}, {"problem_id", tree.problemId}, {"label", tree.label},
          {"nodes", tree.size()}, {"depth", tree.maxDepth()}, {"iterations", tree.iterations()},
          {"terminals", terminals}, {"correct_leaves", correct}};
}

}  // namespace

int searchCommand(const CliArguments& args) {
  args.allowOnly({"task", "problem", "method", "checkpoint", "set", "seed", "out", "format", "db", "simulations",
                  "depth", "branching", "value", "samples", "json"});
  SearchRequest request;
  request.task = args.value("task").value_or("");
  request.problemId = args.value("problem").value_or("");
  if (request.problemId.empty()) failInput("search needs --problem ID (`thoughtbench-cli task show TASK` lists ids)");
  const auto out = args.value("out");
  if (!out) failInput("search needs --out FILE.json");
  const std::string format = treeFormat(args);
  std::unique_ptr<RunStore> store;
  if (auto from = args.value("checkpoint")) {
    if (std::filesystem::path(*from).extension() == ".pt") {
      request.modelFile = *from;
    } else {
      store = RunStore::open(workspacePath(args));
      request.store = store.get();
      request.run = parseId(*from, "--checkpoint (a run id or a .pt file)");
    }
  }
  // Shortcuts for the common search.* keys; --set may give any parameter. --method samples is no
  // search: the policy's group of --samples completions as a prefix tree.
  const bool sampled = args.value("method") == std::optional<std::string>("samples");
  if (sampled) request.sampleGroup = args.intValue("samples", 16);
  for (const auto& [flag, key] : std::vector<std::pair<std::string, std::string>>{
           {"method", "search.method"}, {"simulations", "search.simulations"}, {"depth", "search.max_depth"},
           {"branching", "search.branching"}, {"value", "search.value"}, {"samples", "search.samples"}})
    if (auto v = args.value(flag); v && !(sampled && (flag == "method" || flag == "samples")))
      request.overrides.push_back(key + "=" + *v);
  if (sampled && request.sampleGroup < 1) failInput("--samples ", request.sampleGroup, ": expected >= 1");
  for (const auto& s : args.values("set")) request.overrides.push_back(s);
  request.seed = static_cast<std::uint64_t>(args.intValue("seed", 0));

  const SearchOutcome outcome = searchProblem(request);
  writeTreeFile(outcome.tree, *out, format);
  nlohmann::json summary = treeSummary(outcome.tree);
  summary["policy"] = outcome.policy;
  summary["answer"] = outcome.answer;
  summary["answer_correct"] = outcome.answerCorrect;
  summary["seconds"] = outcome.seconds;
  summary["tokens_generated"] = outcome.tokens;
  summary["out"] = *out;
  if (args.flag("json")) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("%s search on %s: %d nodes, depth %d, %d iterations in %.2f s (%s)\n", outcome.tree.kind.c_str(),
                outcome.tree.problemId.c_str(), outcome.tree.size(), outcome.tree.maxDepth(),
                outcome.tree.iterations(), outcome.seconds, outcome.policy.c_str());
    std::printf("chosen answer (%s):\n  %s\nwritten to %s\n", outcome.answerCorrect ? "correct" : "wrong",
                outcome.answer.empty() ? "(none)" : outcome.answer.c_str(), out->c_str());
  }
  return 0;
}

int treesCommand(const CliArguments& args) {
  args.allowOnly({"db", "iteration", "json"});
  const std::int64_t runId = parseId(args.positional(0, "run id"), "run id");
  auto store = RunStore::open(workspacePath(args));
  if (!store->run(runId)) failInput("no run ", runId, " in workspace '", store->path(), "'");
  const auto trees = store->trees(runId, args.intValue("iteration", -1));
  if (args.flag("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : trees)
      out.push_back({{"id", t.id}, {"iteration", t.iteration}, {"problem_id", t.problemId}, {"kind", t.kind},
                     {"label", t.label}, {"nodes", t.nodes}});
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%6s %9s  %-10s %-16s %6s  %s\n", "tree", "iteration", "kind", "problem", "nodes", "label");
  for (const auto& t : trees)
    std::printf("%6lld %9d  %-10s %-16s %6d  %s\n", static_cast<long long>(t.id), t.iteration, t.kind.c_str(),
                t.problemId.c_str(), t.nodes, t.label.c_str());
  if (trees.empty()) std::printf("(run %lld stores no trees: run.trees_logged = 0, or no iteration yet)\n",
                                 static_cast<long long>(runId));
  return 0;
}

int exportTreeCommand(const CliArguments& args) {
  args.allowOnly({"run", "iteration", "index", "tree", "out", "format", "db"});
  const auto out = args.value("out");
  if (!out) failInput("export tree needs --out FILE.json");
  const std::string format = treeFormat(args);
  auto store = RunStore::open(workspacePath(args));
  std::int64_t treeId = 0;
  if (auto id = args.value("tree")) {
    treeId = parseId(*id, "--tree");
  } else {
    const auto runText = args.value("run");
    if (!runText) failInput("export tree needs --run RUN (with --iteration N) or --tree ID");
    const std::int64_t runId = parseId(*runText, "--run");
    if (!store->run(runId)) failInput("no run ", runId, " in workspace '", store->path(), "'");
    const int iteration = args.intValue("iteration", -1);
    auto trees = store->trees(runId, iteration);
    if (trees.empty())
      failInput("run ", runId, " stores no trees", iteration >= 0 ? " at iteration " + std::to_string(iteration) : "",
                " (`thoughtbench-cli trees ", runId, "` lists them)");
    if (iteration < 0) {  // the last iteration's trees
      const int last = trees.back().iteration;
      std::erase_if(trees, [&](const TreeRecord& t) { return t.iteration != last; });
    }
    const int index = args.intValue("index", 0);
    if (index < 0 || index >= static_cast<int>(trees.size()))
      failInput("--index ", index, ": iteration ", trees.front().iteration, " of run ", runId, " has ", trees.size(),
                " tree(s)");
    treeId = trees[index].id;
  }
  const ReasoningTree tree = store->tree(treeId);
  writeTreeFile(tree, *out, format);
  std::printf("tree %lld (%s, %d nodes) written to %s as %s\n", static_cast<long long>(treeId), tree.label.c_str(),
              tree.size(), out->c_str(), format.c_str());
  return 0;
}

int importCommand(const CliArguments& args) {
  const std::string what = args.positional(0, "what to import (tree)");
  if (what != "tree") failInput("import ", what, ": expected `import tree FILE`");
  args.allowOnly({"json", "out", "format"});
  const std::string path = args.positional(1, "tree file");
  const ReasoningTree tree = readTreeFile(path);
  if (auto out = args.value("out")) writeTreeFile(tree, *out, treeFormat(args));
  nlohmann::json summary = treeSummary(tree);
  summary["file"] = path;
  std::printf("%s\n", summary.dump(args.flag("json") ? 2 : -1).c_str());
  return 0;
}

}  // namespace tb::cli
