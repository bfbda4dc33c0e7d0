// The PrOntoQA task: bundled or generated problems, a seeded portable split, step verification
// with binary or Flow-of-Reasoning rewards, the step-level interface, and its registration under
// "prontoqa".
#include "core/tasks/ProntoQaTask.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <cstdio>

#include "core/Error.h"
#include "core/config/RunConfig.h"

namespace tb {

namespace {

constexpr int kMaxHops = 8;

}  // namespace

std::string bundledProntoQaJson() { return datasetDirectory() + "/prontoqa/345hop_random_true.first100.json"; }

ProntoQaTask::Entry ProntoQaTask::makeEntry(ProntoQaExample example, const std::string& where) {
  Entry entry;
  try {
    entry.context = std::make_shared<const ProntoQaContext>(example.question, example.query);
  } catch (const InputError& e) {
    const std::string what = e.what();
    failInput(where, ": field '", what.rfind("query", 0) == 0 ? "query" : "question", "': ", what);
  }
  const auto truth = entry.context->truth();
  if (!truth)
    failInput(where, ": field 'query': neither '", entry.context->render(entry.context->query()),
              "' nor its negation follows from the question");
  if (example.answer && *example.answer != *truth)
    failInput(where, ": field 'answer': ", *example.answer ? "True" : "False",
              " contradicts the question, which gives '", entry.context->solve().back(), "'");
  example.answer = *truth;
  if (example.chainOfThought.empty()) example.chainOfThought = entry.context->solve();
  entry.example = std::move(example);
  return entry;
}

Problem ProntoQaTask::makeProblem(const std::string& id, const Entry& entry) {
  Problem p;
  p.id = id;
  p.prompt = prontoQaPrompt(entry.example);
  p.reference = prontoQaAnswerLine(*entry.example.answer);
  const int hops = entry.context->hops();
  p.difficulty = hops;
  p.level = std::clamp(hops - 1, 0, kMaxHops - 1);
  p.data = entry.example.toJson();
  return p;
}

ProntoQaTask::ProntoQaTask(const Options& options) {
  if (options.testSize < 1) failInput("task.test_size = ", options.testSize, " must be at least 1");
  if (options.splitSeed < 0) failInput("task.split_seed = ", options.splitSeed, " must be >= 0");
  if (options.reward != "binary" && options.reward != "for")
    failInput("task.reward = '", options.reward, "' must be 'binary' or 'for'");
  forReward_ = options.reward == "for";

  std::vector<std::pair<std::string, Entry>> pool;
  if (options.source == "bundled") {
    const std::string path = options.dataFile.empty() ? bundledProntoQaJson() : options.dataFile;
    for (auto& ex : loadProntoQaJson(path)) {
      const std::string key = ex.key;
      pool.emplace_back("prontoqa/" + key, makeEntry(std::move(ex), path + ": " + key));
    }
  } else if (options.source == "generated") {
    if (options.generated < 2) failInput("task.generated = ", options.generated, " must be at least 2");
    if (options.hops < 1 || options.hops > kMaxHops)
      failInput("task.hops = ", options.hops, " must be in [1, ", kMaxHops, "]");
    if (options.distractors < 0 || options.distractors > 8)
      failInput("task.distractors = ", options.distractors, " must be in [0, 8]");
    std::mt19937_64 rng(static_cast<std::uint64_t>(options.splitSeed));
    const std::string prefix = "prontoqa/gen" + std::to_string(options.splitSeed) + "/";
    for (int i = 0; i < options.generated; ++i) {
      // Hop counts 1..hops in turn, so every level up to task.hops has problems.
      ProntoQaExample ex = generateProntoQa(i % options.hops + 1, options.distractors, rng);
      const std::string id = prefix + std::to_string(i);
      ex.key = id;
      pool.emplace_back(id, makeEntry(std::move(ex), "generated problem " + std::to_string(i)));
    }
  } else {
    failInput("task.source = '", options.source, "' must be 'bundled' or 'generated'");
  }
  if (static_cast<size_t>(options.testSize) >= pool.size())
    failInput("task.test_size = ", options.testSize, " must be smaller than the number of problems (",
              pool.size(), ")");

  std::mt19937_64 rng(static_cast<std::uint64_t>(options.splitSeed) ^ 0x70726f6e746f7161ULL);
  portableShuffle(pool, rng);
  for (size_t i = 0; i < pool.size(); ++i) {
    Problem p = makeProblem(pool[i].first, pool[i].second);
    (i < static_cast<size_t>(options.testSize) ? test_ : train_).push_back(std::move(p));
    const bool fresh = entries_.emplace(pool[i].first, std::move(pool[i].second)).second;
    TB_CHECK(fresh, "duplicate PrOntoQA problem id '", pool[i].first, "'");
  }
  // Within a split, fewer hops first; membership is what the shuffle decided.
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::stable_sort(test_.begin(), test_.end(), byDifficulty);
  std::stable_sort(train_.begin(), train_.end(), byDifficulty);
}

const std::vector<Problem>& ProntoQaTask::problems(Split split) const {
  return split == Split::Test ? test_ : train_;
}

ProntoQaTask::Entry ProntoQaTask::entryOf(const Problem& problem) const {
  if (auto it = entries_.find(problem.id); it != entries_.end()) return it->second;
  TB_CHECK(problem.data.is_object(), "problem '", problem.id, "' is not a PrOntoQA problem of this task");
  return makeEntry(parseProntoQaExample(problem.data, "problem " + problem.id), "problem " + problem.id);
}

Verdict ProntoQaTask::verify(const Problem& problem, const std::string& completion) const {
  const Entry entry = entryOf(problem);
  const ProntoQaCheck check = entry.context->check(splitSteps(completion), *entry.example.answer);
  double reward = check.correct ? 1.0 : 0.0;
  if (forReward_) {
    // FoR's rule reward, averaged: 100 per valid rule application up to the first invalid step,
    // 1e-5 for that step, and 100 or 1e-5 for the end.
    const double items = check.derivedSteps + (check.invalidStep ? 1 : 0) + 1;
    const double sum = 100.0 * check.derivedSteps + (check.invalidStep ? 1e-5 : 0.0) + (check.correct ? 100.0 : 1e-5);
    reward = sum / items;
  }
  return Verdict{reward, check.correct, check.reason};
}

std::optional<std::string> ProntoQaTask::demonstration(const Problem& problem, std::mt19937_64&) const {
  const Entry entry = entryOf(problem);
  std::string out;
  for (const auto& step : entry.example.chainOfThought) out += step + "\n";
  return out + prontoQaAnswerLine(*entry.example.answer);
}

std::string ProntoQaTask::alphabet() const {
  std::string out = "\n";
  for (char c = 32; c < 127; ++c) out += c;
  return out;
}

Problem ProntoQaTask::problemFromData(const nlohmann::json& data) const {
  if (!data.is_object())
    failInput("expected a PrOntoQA example object {\"question\", \"query\", \"chain_of_thought\", \"answer\"}, got ",
              data.dump());
  const nlohmann::json& object = data.contains("test_example") ? data["test_example"] : data;
  Entry entry = makeEntry(parseProntoQaExample(object, "problem"), "problem");
  return makeProblem("prontoqa/data-" + stableHash(prontoQaPrompt(entry.example)), entry);
}

std::vector<std::string> ProntoQaTask::legalSteps(const Problem& problem, const std::vector<std::string>& steps) const {
  return entryOf(problem).context->legalSteps(steps);
}

bool ProntoQaTask::isTerminal(const Problem& problem, const std::vector<std::string>& steps) const {
  return entryOf(problem).context->isTerminal(steps);
}

std::string ProntoQaTask::describeState(const Problem& problem, const std::vector<std::string>& steps) const {
  std::string out = problem.prompt;
  for (const auto& s : steps) out += s + "\n";
  return out + entryOf(problem).context->describe(steps);
}

TB_REGISTER_TASK(prontoQaRegistration, TaskInfo{
    .name = "prontoqa",
    .title = "PrOntoQA",
    .description =
        "Decide whether a statement about a small ontology is true or false (\"True or false: Alex "
        "is six-legged.\") with a chain of one-rule steps, one sentence per line, ending \"The "
        "answer is True.\" or \"The answer is False.\". Every step is checked: it must restate the "
        "context or follow from the facts so far by one rule. Problems are the bundled PrOntoQA "
        "3-5 hop examples or generated fictional ontologies (\"Every wumpus is a yumpus.\") with a "
        "chosen number of hops and distractors; the solver writes demonstrations.",
    .stepLevel = true,
    .hasSolver = true,
    .levels = {"1 hop", "2 hops", "3 hops", "4 hops", "5 hops", "6 hops", "7 hops", "8 hops"},
    .source = "PrOntoQA (Saparov & He 2023, Apache-2.0): first 100 examples of 345hop_random_true.json "
              "as shipped by Yu-Fangxu/FoR (MIT)",
    .params =
        {ParamSpec::integer("task.test_size", 100, 1.0, 100000.0, "Problems held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt,
                            "Seed of the fixed train/test split (and of the generator)"),
         ParamSpec::choice("task.source", "bundled", {"bundled", "generated"},
                           "bundled: the 900 PrOntoQA examples (3-5 hops); generated: fictional ontologies"),
         ParamSpec::integer("task.generated", 1000, 2.0, 100000.0,
                            "Number of generated problems (task.source = generated)"),
         ParamSpec::integer("task.hops", 5, 1.0, 8.0,
                            "Generated problems take 1..hops reasoning hops in turn (one level per hop count)"),
         ParamSpec::integer("task.distractors", 2, 0.0, 8.0,
                            "Distractor rules per generated problem (off-path classes, opposite property)"),
         ParamSpec::choice("task.reward", "binary", {"binary", "for"},
                           "binary: 1 if correct else 0; for: Flow of Reasoning's PrOntoQA rule reward "
                           "(ALGORITHMS.md has none): mean of 100 per valid rule application before the "
                           "first invalid step and 100 for a correct end (1e-5 otherwise)")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      ProntoQaTask::Options o;
      o.source = config.getString("task.source");
      o.testSize = static_cast<int>(config.getInt("task.test_size"));
      o.splitSeed = config.getInt("task.split_seed");
      o.generated = static_cast<int>(config.getInt("task.generated"));
      o.hops = static_cast<int>(config.getInt("task.hops"));
      o.distractors = static_cast<int>(config.getInt("task.distractors"));
      o.reward = config.getString("task.reward");
      return std::make_unique<ProntoQaTask>(o);
    },
    // Bundled prompts reach 417 characters and gold chains 350; the default context of 160 fits neither.
    .defaultOverrides = {{"model.context", 896}, {"rollout.max_new_tokens", 384}}});

}  // namespace tb
