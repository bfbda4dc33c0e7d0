// The Blocksworld task: the bundled PlanBench instances with their gold plans (checked at load),
// optional generated instances, a seeded portable split, exact plan verification with a binary or
// Flow-of-Reasoning reward, optimal demonstrations, step-level states, and the registration
// under "blocksworld".
#include "core/tasks/BlocksWorldTask.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/Error.h"
#include "core/config/RunConfig.h"

namespace tb {

namespace {

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) failInput("cannot open ", path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// FNV-1a: a portable hash for the ids of problems given as data (std::hash differs by library).
std::string fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string renderPlan(const BwProblem& instance, const std::vector<BwAction>& plan) {
  std::string out;
  for (const auto& action : plan) {
    if (!out.empty()) out += '\n';
    out += renderAction(instance, action);
  }
  return out;
}

// The plan lines of a completion; a PlanBench "[PLAN END]" line ends the plan.
std::vector<std::string> planSteps(const std::string& completion) {
  std::vector<std::string> steps = splitSteps(completion);
  for (size_t i = 0; i < steps.size(); ++i) {
    std::string s = steps[i];
    s.erase(0, s.find_first_not_of(" \t"));
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "[plan end]") {
      steps.resize(i);
      break;
    }
  }
  return steps;
}

BwProblem instanceFromData(const nlohmann::json& data) {
  const std::string what = "expected the PlanBench PDDL text of a Blocksworld problem or {\"pddl\": \"<that text>\"}";
  if (data.is_string()) return parseBlocksWorldProblem(data.get<std::string>(), "problem data");
  if (data.is_object() && data.contains("pddl") && data["pddl"].is_string())
    return parseBlocksWorldProblem(data["pddl"].get<std::string>(), "problem data");
  failInput("blocksworld problem data: ", what, ", found ", data.dump().substr(0, 80));
}

struct Candidate {
  std::string id;
  BwProblem instance;
  std::string pddl;                  // the problem's text (the file's, or written for generated ones)
  std::vector<BwAction> gold;        // a bundled gold plan, else empty
};

// The bundled step files: step_N.json in `dir`, by N.
std::vector<std::filesystem::path> stepFiles(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::pair<long, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step_", 0) != 0 || entry.path().extension() != ".json") continue;
    const std::string number = name.substr(5, name.size() - 5 - 5);
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stol(number), entry.path());
  }
  if (ec) failInput("cannot read the Blocksworld data folder ", dir, ": ", ec.message());
  if (found.empty()) failInput(dir, ": expected step_N.json files (PlanBench gold plans), found none");
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [n, path] : found) out.push_back(std::move(path));
  return out;
}

std::vector<Candidate> loadBundled(const std::string& dir) {
  const std::string domainPath = dir + "/domain.pddl";
  checkBlocksWorldDomain(loadPddlDomain(domainPath), domainPath);
  std::vector<Candidate> out;
  std::map<std::string, std::string> seen;  // instance -> step file
  for (const auto& path : stepFiles(dir)) {
    const std::string file = path.string();
    nlohmann::json records;
    try {
      records = nlohmann::json::parse(readText(file));
    } catch (const nlohmann::json::parse_error& e) {
      failInput(file, ": expected JSON: ", e.what());
    }
    if (!records.is_array()) failInput(file, ": expected a JSON list of {instance, plan, steps} records");
    for (size_t i = 0; i < records.size(); ++i) {
      const auto& r = records[i];
      const std::string where = file + ": record " + std::to_string(i + 1);
      if (!r.is_object() || !r.contains("instance") || !r["instance"].is_string() || !r.contains("plan") ||
          !r["plan"].is_string())
        failInput(where, ": expected {\"instance\": \"instances/....pddl\", \"plan\": \"(pick-up red)\\n...\", ",
                  "\"steps\": n}");
      const std::string instancePath = r["instance"].get<std::string>();
      if (auto [it, fresh] = seen.emplace(instancePath, file); !fresh)
        failInput(where, ": instance ", instancePath, " is listed twice (also in ", it->second, ")");
      Candidate c;
      c.pddl = readText(dir + "/" + instancePath);
      c.instance = parseBlocksWorldProblem(c.pddl, dir + "/" + instancePath);
      c.id = "blocksworld/" + std::filesystem::path(instancePath).stem().string();
      const auto steps = splitSteps(r["plan"].get<std::string>());
      const BwPlanCheck check = checkBwPlan(c.instance, steps);
      if (!check.correct) failInput(where, " (", instancePath, "): the gold plan is not valid: ", check.reason);
      const auto length = static_cast<long long>(steps.size());
      if (r.contains("steps") && (!r["steps"].is_number_integer() || r["steps"].get<long long>() != length))
        failInput(where, ": \"steps\" is ", r["steps"].dump(), " but the plan has ", steps.size(), " actions");
      for (const auto& s : steps) c.gold.push_back(*parseBwAction(c.instance, s).action);
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace

std::string bundledBlocksWorldDir() { return datasetDirectory() + "/blocksworld"; }

int blocksWorldLevel(int planLength) { return planLength <= 2 ? 0 : std::min(4, (planLength - 1) / 2); }

BlocksWorldTask::BlocksWorldTask(BlocksWorldOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  if (o.testSize < 1) failInput("task.test_size = ", o.testSize, " must be at least 1");
  if (o.splitSeed < 0) failInput("task.split_seed = ", o.splitSeed, " must be >= 0");
  if (o.generated < 0) failInput("task.generated = ", o.generated, " must be >= 0");
  if (o.reward != "binary" && o.reward != "for")
    failInput("task.reward = '", o.reward, "' must be 'binary' or 'for'");
  if (o.promptStyle != "compact" && o.promptStyle != "planbench")
    failInput("task.prompt_style = '", o.promptStyle, "' must be 'compact' or 'planbench'");

  std::vector<Candidate> pool;
  if (o.bundled) pool = loadBundled(o.dataDir.empty() ? bundledBlocksWorldDir() : o.dataDir);
  if (o.generated > 0) {
    if (o.blocks < 2 || o.blocks > 12) failInput("task.blocks = ", o.blocks, " must be in [2, 12]");
    std::set<std::string> exclude;  // a generated copy of a bundled instance could leak into the test split
    for (const auto& c : pool) exclude.insert(canonicalBwKey(c.instance));
    // The generator's seed is derived from the split seed (one knob fixes the whole problem set).
    const std::uint64_t seed = static_cast<std::uint64_t>(o.splitSeed) * 0x9E3779B97F4A7C15ull + 0x5eed;
    auto generated = generateBlocksWorld(o.blocks, o.minSteps, o.maxSteps, o.generated, seed, exclude);
    for (size_t i = 0; i < generated.size(); ++i) {
      Candidate c;
      c.instance = std::move(generated[i].problem);
      c.pddl = toPddl(c.instance);
      c.id = "blocksworld/gen-" + std::to_string(o.blocks) + "-" + std::to_string(i);
      pool.push_back(std::move(c));
    }
  }
  if (static_cast<size_t>(o.testSize) >= pool.size())
    failInput("task.test_size = ", o.testSize, " must be smaller than the number of instances (", pool.size(),
              "; task.generated adds more)");

  // Shuffle from id order, not file order, so the split depends only on the instance set.
  std::sort(pool.begin(), pool.end(), [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
  std::mt19937_64 rng(static_cast<std::uint64_t>(o.splitSeed));
  portableShuffle(pool, rng);

  for (size_t i = 0; i < pool.size(); ++i) {
    Candidate& c = pool[i];
    auto plans = solveBlocksWorld(c.instance, c.instance.init);
    if (!plans) failInput(c.id, ": the planner found no plan (the goal is unreachable or the instance too large)");
    Problem problem = makeProblem(c.id, c.instance, *plans, c.gold.empty() ? nullptr : &c.gold);
    problem.data = {{"pddl", c.pddl}};
    entries_.emplace(problem.id, Entry{std::move(c.instance), std::move(*plans)});
    (i < static_cast<size_t>(o.testSize) ? test_ : train_).push_back(std::move(problem));
  }
  // Within a split, easier problems first; membership is what the shuffle decided.
  auto byDifficulty = [](const Problem& a, const Problem& b) { return a.difficulty < b.difficulty; };
  std::stable_sort(test_.begin(), test_.end(), byDifficulty);
  std::stable_sort(train_.begin(), train_.end(), byDifficulty);
}

Problem BlocksWorldTask::makeProblem(const std::string& id, const BwProblem& instance, const BwPlanSet& plans,
                                     const std::vector<BwAction>* reference) const {
  Problem p;
  p.id = id;
  p.prompt = prompt(instance);
  p.reference = renderPlan(instance, reference ? *reference : plans.first());
  p.difficulty = plans.length();
  // Bundled instances are levelled by their gold plan (the step file they come from).
  p.level = blocksWorldLevel(reference ? static_cast<int>(reference->size()) : plans.length());
  return p;
}

std::string BlocksWorldTask::prompt(const BwProblem& instance) const {
  if (options_.promptStyle == "planbench")
    return "I am playing with a set of blocks where I need to arrange the blocks into stacks.\n[STATEMENT]\n"
           "As initial conditions I have that, " + describeBwState(instance, instance.init) +
           ".\nMy goal is to have that " + describeBwGoal(instance) + ".\n\nMy plan is as follows:\n\n[PLAN]\n";
  // Compact by default: the character-level policy's context is small (model.context), so the
  // prompt names each fact once ("blue on orange; red, orange on table; hand empty"; clear is
  // implied by the stacks) and leaves PlanBench's preamble out: about 70-110 characters for the
  // bundled instances instead of 300-400.
  return "Initial state: " + compactBwState(instance, instance.init) + ". Goal: " + compactBwGoal(instance) +
         ".\nPlan:\n";
}

const std::vector<Problem>& BlocksWorldTask::problems(Split split) const {
  return split == Split::Test ? test_ : train_;
}

BwProblem BlocksWorldTask::instance(const Problem& problem) const {
  if (auto it = entries_.find(problem.id); it != entries_.end()) return it->second.instance;
  return instanceFromData(problem.data);
}

Problem BlocksWorldTask::problemFromData(const nlohmann::json& data) const {
  const BwProblem inst = instanceFromData(data);
  std::optional<BwPlanSet> plans;
  // Level and reference when the planner can afford it; an unsolved problem is still checkable.
  if (static_cast<int>(inst.objects.size()) <= kBwMaxPlannerBlocks) plans = solveBlocksWorld(inst, inst.init, 200'000);
  Problem p;
  if (plans) {
    p = makeProblem("", inst, *plans, nullptr);
  } else {
    p.prompt = prompt(inst);
  }
  p.id = "blocksworld/data-" + fnv1a(canonicalBwKey(inst));
  p.data = data.is_string() ? nlohmann::json{{"pddl", data.get<std::string>()}} : data;
  return p;
}

BwPlanCheck BlocksWorldTask::replay(const Problem& problem, const std::vector<std::string>& steps) const {
  return checkBwPlan(instance(problem), steps);
}

Verdict BlocksWorldTask::verify(const Problem& problem, const std::string& completion) const {
  BwProblem inst;
  try {
    inst = instance(problem);
  } catch (const InputError& e) {
    return Verdict{0.0, false, std::string("the problem is not a valid Blocksworld instance: ") + e.what()};
  }
  const BwPlanCheck check = checkBwPlan(inst, planSteps(completion));
  double reward = check.correct ? 1.0 : 0.0;
  if (options_.reward == "for") {
    // Flow of Reasoning: 100 when every goal holds, else 10 x the fraction of goal atoms that hold
    // at the end of the longest valid prefix.
    const double fraction =
        inst.goal.empty() ? 1.0 : static_cast<double>(check.goalsMet) / static_cast<double>(inst.goal.size());
    reward = check.correct ? 100.0 : 10.0 * fraction;
  }
  return Verdict{reward, check.correct, check.reason};
}

std::optional<std::string> BlocksWorldTask::demonstration(const Problem& problem, std::mt19937_64& rng) const {
  if (auto it = entries_.find(problem.id); it != entries_.end())
    return renderPlan(it->second.instance, it->second.plans.sample(rng));
  const BwProblem inst = instanceFromData(problem.data);
  const auto plans = solveBlocksWorld(inst, inst.init);
  if (!plans) return std::nullopt;
  return renderPlan(inst, plans->sample(rng));
}

std::string BlocksWorldTask::alphabet() const {
  // Lower-case letters (colours, actions, facts), the capitals of "Initial state", "Goal", "Plan"
  // and of PlanBench's "I am ...", "[STATEMENT]", "As", "My", "[PLAN]", and the punctuation of
  // both prompt styles. Plans themselves use only lower-case letters, spaces and newlines.
  return "abcdefghijklmnopqrstuvwxyzAEGILMNPST ,.:;[]\n";
}

std::vector<std::string> BlocksWorldTask::legalSteps(const Problem& problem,
                                                     const std::vector<std::string>& steps) const {
  const BwProblem inst = instance(problem);
  const BwPlanCheck check = checkBwPlan(inst, steps);
  std::vector<std::string> out;
  if (!check.legal) return out;
  for (const auto& action : applicableActions(check.state)) out.push_back(renderAction(inst, action));
  return out;
}

bool BlocksWorldTask::isTerminal(const Problem& problem, const std::vector<std::string>& steps) const {
  const BwPlanCheck check = replay(problem, steps);
  return !check.legal || check.goalReached || applicableActions(check.state).empty();
}

std::string BlocksWorldTask::describeState(const Problem& problem, const std::vector<std::string>& steps) const {
  const BwProblem inst = instance(problem);
  const BwPlanCheck check = checkBwPlan(inst, steps);
  std::string out = describeBwState(inst, check.state);
  // The note names the step only: state sentences in it ("the hand is not holding ...") would
  // read as facts to a parser of this description (the task browser draws the stacks from it).
  if (!check.legal)
    out += "\n(step " + std::to_string(check.failedStep) + " cannot be applied; this is the state before it)";
  else if (check.goalReached) out += "\n(the goal is reached)";
  return out;
}

// Plans that reach the same blocks state mean the same.
std::string BlocksWorldTask::finalAnswer(const Problem& problem, const std::string& completion) const {
  const BwProblem inst = instance(problem);
  return describeBwState(inst, checkBwPlan(inst, splitSteps(completion)).state);
}

TB_REGISTER_TASK(blocksWorldRegistration, TaskInfo{
    .name = "blocksworld",
    .title = "Blocksworld",
    .description =
        "Rearrange stacks of coloured blocks into a goal configuration with four actions (pick up, "
        "put down, stack, unstack), one per line in PlanBench's words (\"unstack the blue block from "
        "on top of the orange block\"). The 87 PlanBench instances with 2- and 4-step gold plans used "
        "by Flow of Reasoning, plus generated instances of chosen size and plan length; every plan is "
        "played exactly and an optimal planner writes demonstrations.",
    .stepLevel = true,
    .hasSolver = true,
    .levels = {"1-2 steps", "3-4 steps", "5-6 steps", "7-8 steps", "9+ steps"},
    .source = "PlanBench Blocksworld (Valmeekam et al. 2023, karthikv792/LLMs-Planning) with the gold plans "
              "of Flow of Reasoning, from Yu-Fangxu/FoR BlocksWorld/data (MIT)",
    .params =
        {ParamSpec::integer("task.test_size", 20, 1.0, 100000.0, "Instances held out for evaluation"),
         ParamSpec::integer("task.split_seed", 0, 0.0, std::nullopt,
                            "Seed of the fixed train/test split and of the instance generator"),
         ParamSpec::integer("task.generated", 0, 0.0, 100000.0,
                            "Generated instances added to the 87 bundled ones"),
         ParamSpec::integer("task.blocks", 4, 2.0, 12.0,
                            "Blocks of a generated instance (planning slows down beyond 8)"),
         ParamSpec::integer("task.min_steps", 2, 1.0, 40.0, "Shortest optimal plan of a generated instance"),
         ParamSpec::integer("task.max_steps", 6, 1.0, 40.0, "Longest optimal plan of a generated instance"),
         ParamSpec::choice("task.reward", "binary", {"binary", "for"},
                           "binary: 1 if the plan reaches the goal, else 0; for (Flow of Reasoning): 100 if "
                           "it does, else 10 x the fraction of goal facts met"),
         ParamSpec::choice("task.prompt_style", "compact", {"compact", "planbench"},
                           "compact: short state and goal for small contexts; planbench: PlanBench's "
                           "[STATEMENT] wording")},
    .create = [](const RunConfig& config) -> std::unique_ptr<Task> {
      BlocksWorldOptions o;
      o.testSize = static_cast<int>(config.getInt("task.test_size"));
      o.splitSeed = config.getInt("task.split_seed");
      o.generated = static_cast<int>(config.getInt("task.generated"));
      o.blocks = static_cast<int>(config.getInt("task.blocks"));
      o.minSteps = static_cast<int>(config.getInt("task.min_steps"));
      o.maxSteps = static_cast<int>(config.getInt("task.max_steps"));
      o.reward = config.getString("task.reward");
      o.promptStyle = config.getString("task.prompt_style");
      return std::make_unique<BlocksWorldTask>(std::move(o));
    },
    // A compact prompt (~110 characters) plus a 4-step plan (~200) do not fit the default 160.
    .defaultOverrides = {{"model.context", 384}, {"rollout.max_new_tokens", 256}}});

}  // namespace tb
