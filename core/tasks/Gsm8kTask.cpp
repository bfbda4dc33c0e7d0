// The GSM8K task: a seeded portable split of the bundled test set, answer and annotation
// verification, reference demonstrations, and its registration under "gsm8k".
#include "core/tasks/Gsm8kTask.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <cstdio>

#include "core/Error.h"
#include "core/config/RunConfig.h"

namespace tb {

namespace {

constexpr int kLevels = 6;  // "0-1 steps" .. "6+ steps"

std::string trimmed(const std::string& text) {
  const size_t b = text.find_first_not_of(" \n");
  if (b == std::string::npos) return "";
  return text.substr(b, text.find_last_not_of(" \n") - b + 1);
}

}  // namespace

std::string bundledGsm8kJsonl() { return datasetDirectory() + "/gsm8k/test.jsonl"; }

Problem Gsm8kTask::makeProblem(const std::string& id, const Gsm8kExample& example, const nlohmann::json& data) {
  Problem p;
  p.id = id;
  p.prompt = trimmed(asciiText(example.question)) + "\n";
  p.reference = example.answer.text;
  const int steps = annotationCount(example.solution);
  p.difficulty = steps;
  p.level = std::clamp(steps - 1, 0, kLevels - 1);
  p.data = data;
  return p;
}

Gsm8kTask::Gsm8kTask(const std::string& dataFile, int testSize, long long splitSeed, bool checkAnnotations)
    : checkAnnotations_(checkAnnotations) {
  if (testSize < 1) failInput("task.test_size = ", testSize, " must be at least 1");
  if (splitSeed < 0) failInput("task.split_seed = ", splitSeed, " must be >= 0");
  std::vector<Gsm8kExample> examples = loadGsm8kJsonl(dataFile.empty() ? bundledGsm8kJsonl() : dataFile);
  if (static_cast<size_t>(testSize) >= examples.size())
    failInput("task.test_size = ", testSize, " must be smaller than the number of problems (", examples.size(), ")");
  std::mt19937_64 rng(static_cast<std::uint64_t>(splitSeed));
  portableShuffle(examples, rng);
  for (size_t i = 0; i < examples.size(); ++i) {
    const Gsm8kExample& ex = examples[i];
    const nlohmann::json data{{"question", ex.question}, {"answer", ex.solution}};
    Problem p = makeProblem("gsm8k/" + std::to_string(ex.line), ex, data);
    (i < static_cast<size_t>(testSize) ? test_ : train_).push_back(std::move(p));
  }
  // Within a split, fewer steps first; membership is what the shuffle decided.
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::stable_sort(test_.begin(), test_.end(), byDifficulty);
  std::stable_sort(train_.begin(), train_.end(), byDifficulty);
}

const std::vector<Problem>& Gsm8kTask::problems(Split split) const { return split == Split::Test ? test_ : train_; }

Verdict Gsm8kTask::verify(const Problem& problem, const std::string& completion) const {
  TB_CHECK(problem.data.is_object(), "problem '", problem.id, "' is not a GSM8K problem");
  const Gsm8kExample ex = parseGsm8kRecord(problem.data, "problem " + problem.id);
  const Gsm8kCheck check = checkGsm8k(ex.answer, completion, checkAnnotations_);
  return Verdict{check.correct ? 1.0 : 0.0, check.correct, check.reason};
}

std::optional<std::string> Gsm8kTask::demonstration(const Problem& problem, std::mt19937_64&) const {
  TB_CHECK(problem.data.is_object(), "problem '", problem.id, "' is not a GSM8K problem");
  const Gsm8kExample ex = parseGsm8kRecord(problem.data, "problem " + problem.id);
  if (ex.solution.find("####") == std::string::npos) return std::nullopt;  // a bare number
  return trimmed(asciiText(ex.solution));
}

std::string Gsm8kTask::alphabet() const {
  std::string out = "\n";
  for (char c = 32; c < 127; ++c) out += c;
  return out;
}

Problem Gsm8kTask::problemFromData(const nlohmann::json& data) const {
  const Gsm8kExample ex = parseGsm8kRecord(data, "problem");
  const nlohmann::json normalised{{"question", ex.question}, {"answer", ex.solution}};
  return makeProblem("gsm8k/data-" + stableHash(ex.question + "\n" + ex.solution), ex, normalised);
}

TB_REGISTER_TASK(gsm8kRegistration, TaskInfo{
    .name = "gsm8k",
    .title = "GSM8K",
    .description =
        "Grade-school math word problems (the 1319 problems of the GSM8K test set). A completion "
        "reasons in free text, may use calculator annotations such as \"<<48/2=24>>\", and ends "
        "with \"#### <answer>\" (\"The answer is 24.\" and \"Answer: 24\" are read too). The final "
        "number is compared exactly and every annotation is recomputed; the reference solution is "
        "the demonstration.",
    .stepLevel = false,
    .hasSolver = true,
    .levels = {"0-1 steps", "2 steps", "3 steps", "4 steps", "5 steps", "6+ steps"},
    .source = "GSM8K test set (Cobbe et al. 2021), openai/grade-school-math via Yu-Fangxu/FoR (MIT)",
    .params =
        {ParamSpec::integer("task.test_size", 200, 1.0, 1318.0, "Problems held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt, "Seed of the fixed train/test split"),
         ParamSpec::boolean("task.check_annotations", true,
                            "A wrong calculator annotation <<a*b=c>> makes a completion incorrect (reward 0)")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      return std::make_unique<Gsm8kTask>("", static_cast<int>(config.getInt("task.test_size")),
                                         config.getInt("task.split_seed"), config.getBool("task.check_annotations"));
    },
    // Question plus reference solution: median 500 characters, 90% within 820 (solutions: 90%
    // within 484); longer demonstrations are skipped by the warm start.
    .defaultOverrides = {{"model.context", 1024}, {"rollout.max_new_tokens", 512}}});

}  // namespace tb
