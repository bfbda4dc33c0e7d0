// Unit and golden tests of Blocksworld (PlanBench; Flow of Reasoning): the PDDL reader on every
// bundled instance and its error messages, the built-in simulator against a plain STRIPS
// interpreter of domain.pddl, every bundled gold plan and its corruptions (judged against that
// interpreter, not by assumption), planner optimality against breadth-first search, the
// natural-language round trip, the generator, the seeded split, rewards, step-level states, the
// alphabet and the registration.
#include <QtTest>

#include "tests/TestSupport.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/tasks/BlocksWorld.h"
#include "core/tasks/BlocksWorldTask.h"
#include "core/text/CharTokenizer.h"

using namespace tb;

// A schema needs an algorithm; the real ones live in tb_core (LibTorch), which this test avoids.
TB_REGISTER_ALGORITHM(blocksWorldTestAlgorithm, tb::AlgorithmInfo{
    "blocksworld-test-algo", "Test algorithm", "none", "nothing", {}, {}, nullptr});

namespace {

std::string dataDir() { return bundledBlocksWorldDir(); }

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct GoldRecord {
  std::string file;      // step_2.json / step_4.json
  std::string instance;  // instances/pb-instance-N.pddl
  std::vector<std::string> plan;
  int steps = 0;
};

std::vector<GoldRecord> goldRecords() {
  std::vector<GoldRecord> out;
  for (const char* file : {"step_2.json", "step_4.json"}) {
    const auto records = nlohmann::json::parse(readText(dataDir() + "/" + file));
    for (const auto& r : records)
      out.push_back({file, r["instance"].get<std::string>(), splitSteps(r["plan"].get<std::string>()),
                     r["steps"].get<int>()});
  }
  return out;
}

std::vector<std::string> instanceFiles() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dataDir() + "/instances")) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// ---- an independent oracle: STRIPS over the facts and goal read straight from the file ----

struct Oracle {
  std::set<std::string> init;
  std::vector<std::string> goal;
};

std::string factOf(const SExpr& e) {
  std::string s;
  for (const auto& item : e.items) s += (s.empty() ? "" : " ") + item.atom;
  return s;
}

void collectGoal(const SExpr& e, std::vector<std::string>& out) {
  if (!e.items.empty() && e.items.front().atom == "and") {
    for (size_t i = 1; i < e.items.size(); ++i) collectGoal(e.items[i], out);
  } else {
    out.push_back(factOf(e));
  }
}

Oracle oracleOf(const std::string& pddl) {
  Oracle o;
  const SExpr top = parseSExpression(pddl, "oracle");
  for (const auto& section : top.items) {
    if (!section.isList || section.items.empty()) continue;
    if (section.items.front().atom == ":init")
      for (size_t i = 1; i < section.items.size(); ++i) o.init.insert(factOf(section.items[i]));
    if (section.items.front().atom == ":goal")
      for (size_t i = 1; i < section.items.size(); ++i) collectGoal(section.items[i], o.goal);
  }
  return o;
}

const char* schemaName(BwActionKind kind) {
  switch (kind) {
    case BwActionKind::PickUp: return "pick-up";
    case BwActionKind::PutDown: return "put-down";
    case BwActionKind::Stack: return "stack";
    case BwActionKind::Unstack: return "unstack";
  }
  return "";
}

std::vector<std::string> argsOf(const BwProblem& p, const BwAction& a) {
  std::vector<std::string> args{p.objects[static_cast<size_t>(a.block)]};
  if (a.kind == BwActionKind::Stack || a.kind == BwActionKind::Unstack) args.push_back(p.objects[static_cast<size_t>(a.target)]);
  return args;
}

// Every ground action of the four schemas over the problem's objects, in a fixed order.
std::vector<BwAction> allGroundActions(int n) {
  std::vector<BwAction> out;
  for (BwActionKind kind : {BwActionKind::PickUp, BwActionKind::Unstack, BwActionKind::PutDown, BwActionKind::Stack})
    for (int x = 0; x < n; ++x) {
      if (kind == BwActionKind::PickUp || kind == BwActionKind::PutDown) {
        out.push_back({kind, x, -1});
        continue;
      }
      for (int y = 0; y < n; ++y) out.push_back({kind, x, y});
    }
  return out;
}

struct OracleVerdict {
  int firstIllegal = 0;  // 1-based, 0 = none
  bool goal = false;     // all steps legal and the goal holds at the end
};

OracleVerdict replayOracle(const PddlDomain& domain, const BwProblem& p, const Oracle& o, const std::vector<BwAction>& plan) {
  OracleVerdict v;
  std::set<std::string> facts = o.init;
  for (size_t i = 0; i < plan.size(); ++i) {
    auto next = applyPddlAction(*domain.find(schemaName(plan[i].kind)), argsOf(p, plan[i]), facts);
    if (!next) {
      v.firstIllegal = static_cast<int>(i + 1);
      return v;
    }
    facts = std::move(*next);
  }
  v.goal = std::all_of(o.goal.begin(), o.goal.end(), [&](const std::string& g) { return facts.count(g) > 0; });
  return v;
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string renderPlanLines(const BwProblem& p, const std::vector<BwAction>& plan) {
  std::string out;
  for (const auto& a : plan) out += renderAction(p, a) + "\n";
  return out;
}

// Breadth-first search counting every shortest plan (plans stop at the first goal state).
std::pair<int, std::uint64_t> bfsOptimal(const BwProblem& p) {
  std::map<std::vector<int>, std::uint64_t> layer{{p.init.below, 1}};
  std::set<std::vector<int>> seen{p.init.below};
  for (int depth = 0; !layer.empty(); ++depth) {
    std::uint64_t goals = 0;
    for (const auto& [below, ways] : layer)
      if (goalReached(BwState{below}, p.goal)) goals += ways;
    if (goals > 0) return {depth, goals};
    std::map<std::vector<int>, std::uint64_t> next;
    for (const auto& [below, ways] : layer)
      for (const auto& a : applicableActions(BwState{below})) {
        const BwState t = applyAction(BwState{below}, a);
        if (seen.count(t.below) && !next.count(t.below)) continue;  // reached at an earlier depth
        next[t.below] += ways;
      }
    for (const auto& [below, ways] : next) seen.insert(below);
    layer = std::move(next);
  }
  return {-1, 0};
}

BwProblem problemOf(const std::string& pddl) { return parseBlocksWorldProblem(pddl, "test"); }

// Three blocks on the table; goal: red on blue on orange (two goal atoms).
const char* kTower =
    "(define (problem tower)\n"
    "(:domain blocksworld-4ops)\n"
    "(:objects a b c)\n"
    "(:init (handempty) (ontable a) (ontable b) (ontable c) (clear a) (clear b) (clear c))\n"
    "(:goal (and (on a b) (on b c))))\n";

}  // namespace

class TestBlocksWorld : public QObject {
  Q_OBJECT

 private slots:
  void parsesEveryBundledInstance() {
    const auto files = instanceFiles();
    QCOMPARE(files.size(), size_t(87));
    for (const auto& file : files) {
      const BwProblem p = loadBlocksWorldProblem(file);
      QVERIFY2(p.objects.size() == 4 || p.objects.size() == 5, file.c_str());
      QVERIFY2(!p.goal.empty(), file.c_str());
      QCOMPARE(heldBlock(p.init), -1);
      // The reader agrees with the file's facts, clear ones included.
      QCOMPARE(pddlFacts(p, p.init), oracleOf(readText(file)).init);
      // Written back in PlanBench's layout, it reads as the same problem.
      const BwProblem again = problemOf(toPddl(p));
      QCOMPARE(again.objects, p.objects);
      QVERIFY(again.init == p.init);
      QVERIFY(again.goal == p.goal);
      QCOMPARE(canonicalBwKey(again), canonicalBwKey(p));
    }
    // pb-instance-1: a on the table, b on c, c and d on the table; goal c on b.
    const BwProblem one = loadBlocksWorldProblem(dataDir() + "/instances/pb-instance-1.pddl");
    QCOMPARE(one.init.below, (std::vector<int>{kBwTable, 2, kBwTable, kBwTable}));
    QCOMPARE(one.goal.size(), size_t(1));
    QVERIFY((one.goal[0] == BwAtom{BwPredicate::On, 2, 1}));
    // The same text as the file, but for its 2 leading blank lines and the case of its name.
    QCOMPARE(toPddl(one), QString::fromStdString(readText(dataDir() + "/instances/pb-instance-1.pddl").substr(2))
                              .replace("BW-rand-4", "bw-rand-4").toStdString());
  }

  void domainMatchesTheSimulator() {
    const std::string path = dataDir() + "/domain.pddl";
    const PddlDomain domain = loadPddlDomain(path);
    QCOMPARE(domain.name, std::string("blocksworld-4ops"));
    QCOMPARE(domain.actions.size(), size_t(4));
    checkBlocksWorldDomain(domain, path);  // throws if not PlanBench's semantics

    // Every ground action in states along random walks: the built-in simulator and the STRIPS
    // interpreter of domain.pddl agree on applicability and on the successor.
    std::mt19937_64 rng(3);
    int compared = 0;
    for (const auto& file : instanceFiles()) {
      const BwProblem p = loadBlocksWorldProblem(file);
      BwState s = p.init;
      for (int step = 0; step < 12; ++step) {
        const auto facts = pddlFacts(p, s);
        std::set<BwAction> applicable;
        for (const auto& a : applicableActions(s)) applicable.insert(a);
        for (const auto& a : allGroundActions(static_cast<int>(p.objects.size()))) {
          const auto pddl = applyPddlAction(*domain.find(schemaName(a.kind)), argsOf(p, a), facts);
          const bool ours = !whyInapplicable(p, s, a).has_value();
          QVERIFY2(ours == pddl.has_value(), (file + ": " + renderAction(p, a)).c_str());
          QCOMPARE(applicable.count(a) > 0, ours);
          if (pddl) QCOMPARE(pddlFacts(p, applyAction(s, a)), *pddl);
          ++compared;
        }
        const auto actions = applicableActions(s);
        s = applyAction(s, actions[static_cast<size_t>(rng() % actions.size())]);
      }
    }
    qInfo("compared %d ground actions with the STRIPS interpreter", compared);

    // A domain whose stack lacks (clear ?underob) is not the one the simulator implements.
    std::string text = readText(path);
    const std::string pre = ":precondition (and (clear ?underob) (holding ?ob))";
    QVERIFY(text.find(pre) != std::string::npos);
    text.replace(text.find(pre), pre.size(), ":precondition (and (holding ?ob))");
    const QString error = inputErrorOf([&] { checkBlocksWorldDomain(parsePddlDomain(text, "d.pddl"), "d.pddl"); });
    QVERIFY2(error.startsWith("d.pddl:21: the precondition of action 'stack'"), qPrintable(error));
  }

  void everyGoldPlanValidates() {
    const auto records = goldRecords();
    QCOMPARE(records.size(), size_t(87));
    const PddlDomain domain = loadPddlDomain(dataDir() + "/domain.pddl");
    for (const auto& r : records) {
      const std::string text = readText(dataDir() + "/" + r.instance);
      const BwProblem p = problemOf(text);
      QCOMPARE(static_cast<int>(r.plan.size()), r.steps);
      const BwPlanCheck check = checkBwPlan(p, r.plan);
      QVERIFY2(check.correct, (r.instance + ": " + check.reason).c_str());
      QCOMPARE(check.reason, std::string("correct"));
      // The same plan in natural language, and judged by the STRIPS interpreter.
      std::vector<BwAction> plan;
      for (const auto& line : r.plan) plan.push_back(*parseBwAction(p, line).action);
      QVERIFY(checkBwPlan(p, splitSteps(renderPlanLines(p, plan))).correct);
      const OracleVerdict oracle = replayOracle(domain, p, oracleOf(text), plan);
      QVERIFY2(oracle.firstIllegal == 0 && oracle.goal, r.instance.c_str());
    }
  }

  void everyCorruptedGoldPlanIsJudgedAsTheInterpreterSays() {
    const BlocksWorldTask task(BlocksWorldOptions{});
    std::map<std::string, const Problem*> byId;
    for (Split split : {Split::Train, Split::Test})
      for (const auto& p : task.problems(split)) byId[p.id] = &p;
    const PddlDomain domain = loadPddlDomain(dataDir() + "/domain.pddl");
    int rejected = 0;
    int stillValid = 0;
    for (const auto& r : goldRecords()) {
      const std::string text = readText(dataDir() + "/" + r.instance);
      const BwProblem p = problemOf(text);
      const Oracle oracle = oracleOf(text);
      const Problem& problem = *byId.at("blocksworld/" + std::filesystem::path(r.instance).stem().string());
      std::vector<BwAction> goldPlan;
      for (const auto& line : r.plan) goldPlan.push_back(*parseBwAction(p, line).action);
      std::vector<std::vector<BwAction>> bases{goldPlan};
      // A valid plan with a needless last step: dropping that step leaves a valid plan, which
      // must be accepted (the corruptions of gold plans themselves all break the plan).
      if (r.instance == "instances/pb-instance-1.pddl") {
        bases.push_back(goldPlan);
        bases.back().push_back({BwActionKind::PickUp, 0, -1});
        QVERIFY(replayOracle(domain, p, oracle, bases.back()).goal);
      }
      for (const auto& gold : bases) {
        std::vector<std::pair<std::string, std::vector<BwAction>>> corrupted;
        for (size_t i = 0; i < gold.size(); ++i) {
          auto removed = gold;
          removed.erase(removed.begin() + static_cast<long>(i));
          corrupted.emplace_back("step " + std::to_string(i + 1) + " removed", removed);
        }
        for (size_t i = 0; i + 1 < gold.size(); ++i) {
          auto swapped = gold;
          std::swap(swapped[i], swapped[i + 1]);
          corrupted.emplace_back("steps " + std::to_string(i + 1) + "," + std::to_string(i + 2) + " swapped", swapped);
        }
        // Replace step i by actions the interpreter finds inapplicable there: the first one of
        // each action kind, so every kind of precondition failure is exercised.
        std::set<std::string> facts = oracle.init;
        for (size_t i = 0; i < gold.size(); ++i) {
          std::set<BwActionKind> kindsDone;
          for (const auto& a : allGroundActions(static_cast<int>(p.objects.size()))) {
            if (kindsDone.count(a.kind)) continue;
            if (applyPddlAction(*domain.find(schemaName(a.kind)), argsOf(p, a), facts)) continue;
            kindsDone.insert(a.kind);
            auto replaced = gold;
            replaced[i] = a;
            corrupted.emplace_back("step " + std::to_string(i + 1) + " replaced by " + renderAction(p, a), replaced);
          }
          facts = *applyPddlAction(*domain.find(schemaName(gold[i].kind)), argsOf(p, gold[i]), facts);
        }

        for (const auto& [what, plan] : corrupted) {
          const std::string where = r.instance + ", " + what;
          const OracleVerdict expected = replayOracle(domain, p, oracle, plan);
          // Both completion forms: natural language (the task's) and the step files' form.
          std::string stepForm;
          for (const auto& a : plan) stepForm += renderActionPddl(p, a) + "\n";
          for (const std::string& completion : {renderPlanLines(p, plan), stepForm}) {
            const Verdict v = task.verify(problem, completion);
            if (expected.firstIllegal == 0 && expected.goal) {
              QVERIFY2(v.correct, (where + ": a valid plan was rejected: " + v.reason).c_str());
              continue;
            }
            QVERIFY2(!v.correct, (where + ": accepted").c_str());
            if (expected.firstIllegal > 0) {
              const std::string prefix = "step " + std::to_string(expected.firstIllegal) + ": cannot ";
              QVERIFY2(v.reason.rfind(prefix, 0) == 0, (where + ": reason '" + v.reason + "', expected '" + prefix + "...'").c_str());
            } else {
              QVERIFY2(v.reason.rfind("the goal is not reached: ", 0) == 0 || v.reason.rfind("no steps", 0) == 0,
                       (where + ": reason '" + v.reason + "'").c_str());
            }
          }
          (expected.firstIllegal == 0 && expected.goal ? stillValid : rejected) += 1;
        }
      }
    }
    qInfo("corrupted plans: %d rejected with the failing step or unmet goal named, %d still valid and accepted",
          rejected, stillValid);
    QVERIFY(rejected > 1500);
    QCOMPARE(stillValid, 1);
  }

  void failingStepIsNamedInWords() {
    const BwProblem p = loadBlocksWorldProblem(dataDir() + "/instances/pb-instance-1.pddl");
    // red and yellow are on the table, blue is on orange.
    auto reason = [&](const std::string& plan) { return QString::fromStdString(checkBwPlan(p, splitSteps(plan)).reason); };
    QCOMPARE(reason("pick up the red block\nstack the red block on top of the blue block\n"
                    "unstack the blue block from on top of the orange block"),
             QString("step 3: cannot unstack the blue block from on top of the orange block: the blue block is not clear"));
    QCOMPARE(reason("unstack the red block from on top of the blue block"),
             QString("step 1: cannot unstack the red block from on top of the blue block: the red block is not on top of the blue block"));
    QCOMPARE(reason("pick up the orange block"), QString("step 1: cannot pick up the orange block: the orange block is not clear"));
    QCOMPARE(reason("pick up the blue block"), QString("step 1: cannot pick up the blue block: the blue block is not on the table"));
    QCOMPARE(reason("pick up the red block\npick up the yellow block"),
             QString("step 2: cannot pick up the yellow block: the hand is not empty (it holds the red block)"));
    QCOMPARE(reason("put down the red block"), QString("step 1: cannot put down the red block: the hand is not holding the red block"));
    QCOMPARE(reason("pick up the red block\nstack the red block on top of the orange block"),
             QString("step 2: cannot stack the red block on top of the orange block: the orange block is not clear"));
    QCOMPARE(reason("pick up the red block\nstack the red block on top of the red block"),
             QString("step 2: cannot stack the red block on top of the red block: the red block is not clear"));
    QCOMPARE(reason("pick up the red block\nput down the red block"),
             QString("the goal is not reached: the orange block is not on top of the blue block"));
    QCOMPARE(reason(""), QString("no steps; the goal is not reached: the orange block is not on top of the blue block"));
    QCOMPARE(reason("fly the red block to the moon"),
             QString("step 1: cannot read 'fly the red block to the moon': expected an action such as 'pick up the red "
                     "block' or '(pick-up red)'"));
  }

  void plannerFindsTheGoldLengthsAndEveryOptimalPlan() {
    const auto records = goldRecords();
    std::vector<BwProblem> instances;
    for (const auto& r : records) instances.push_back(loadBlocksWorldProblem(dataDir() + "/" + r.instance));
    QElapsedTimer timer;
    timer.start();
    std::vector<std::pair<GoldRecord, BwPlanSet>> solved;
    size_t expanded = 0;
    for (size_t i = 0; i < instances.size(); ++i) {
      auto plans = solveBlocksWorld(instances[i], instances[i].init);
      QVERIFY(plans.has_value());
      expanded += plans->expandedStates();
      solved.emplace_back(records[i], std::move(*plans));
    }
    const qint64 allPlansUs = timer.nsecsElapsed() / 1000;
    timer.restart();
    for (size_t i = 0; i < instances.size(); ++i)
      QCOMPARE(*optimalBwPlanLength(instances[i], instances[i].init), solved[i].first.steps);
    const qint64 lengthUs = timer.nsecsElapsed() / 1000;
    qInfo("planner on the 87 bundled instances: all optimal plans in %lld us (%zu states expanded), optimal "
          "lengths alone in %lld us", static_cast<long long>(allPlansUs), expanded, static_cast<long long>(lengthUs));

    std::mt19937_64 rng(5);
    for (const auto& [r, plans] : solved) {
      const BwProblem p = loadBlocksWorldProblem(dataDir() + "/" + r.instance);
      QCOMPARE(plans.length(), r.steps);
      // Plan counts agree with breadth-first search, and every sampled plan is optimal and valid.
      const auto [bfsLength, bfsCount] = bfsOptimal(p);
      QCOMPARE(bfsLength, r.steps);
      QCOMPARE(plans.count(), bfsCount);
      for (const auto& plan : {plans.first(), plans.sample(rng), plans.sample(rng)}) {
        QCOMPARE(static_cast<int>(plan.size()), r.steps);
        QVERIFY(checkBwPlan(p, splitSteps(renderPlanLines(p, plan))).correct);
      }
    }
  }

  void plannerIsOptimalOnRandomInstances() {
    // Against breadth-first search on generated instances of 3 to 6 blocks.
    int checked = 0;
    for (int blocks = 3; blocks <= 6; ++blocks) {
      const auto generated = generateBlocksWorld(blocks, 1, 40, blocks <= 5 ? 25 : 8, 100 + blocks);
      for (const auto& g : generated) {
        const auto plans = solveBlocksWorld(g.problem, g.problem.init);
        QVERIFY(plans.has_value());
        const auto [length, count] = bfsOptimal(g.problem);
        QCOMPARE(plans->length(), length);
        QCOMPARE(g.optimalLength, length);
        QCOMPARE(plans->count(), count);
        ++checked;
      }
    }
    // Partial and unusual goals: clear, ontable, holding, handempty.
    const BwProblem p = problemOf(
        "(define (problem odd) (:objects a b c d)"
        "(:init (on a b) (on b c) (on c d) (ontable d) (clear a) (handempty))"
        "(:goal (and (clear c) (ontable a) (holding d))))");
    const auto plans = solveBlocksWorld(p, p.init);
    QVERIFY(plans.has_value());
    QCOMPARE(plans->length(), bfsOptimal(p).first);
    QCOMPARE(plans->count(), bfsOptimal(p).second);
    QVERIFY(!solveBlocksWorld(problemOf("(define (problem no) (:objects a b) (:init (ontable a) (ontable b))"
                                        "(:goal (and (on a b) (on b a))))"),
                              problemOf("(define (problem no) (:objects a b) (:init (ontable a) (ontable b))"
                                        "(:goal (and (on a b) (on b a))))").init)
                 .has_value());
    qInfo("planner matched breadth-first search on %d random instances", checked + 1);
  }

  void plannerTimingsOnLargerInstances() {
    for (int blocks : {6, 7, 8}) {
      const auto generated = generateBlocksWorld(blocks, blocks + 2, 2 * blocks + 4, 5, 7);
      QElapsedTimer timer;
      timer.start();
      size_t expanded = 0;
      int longest = 0;
      for (const auto& g : generated) {
        const auto plans = solveBlocksWorld(g.problem, g.problem.init);
        QVERIFY(plans.has_value());
        QCOMPARE(plans->length(), g.optimalLength);
        expanded += plans->expandedStates();
        longest = std::max(longest, plans->length());
      }
      qInfo("planner, %d blocks: 5 instances (plans up to %d steps) with all optimal plans in %lld ms, %zu states "
            "expanded", blocks, longest, static_cast<long long>(timer.elapsed()), expanded);
    }
  }

  void naturalLanguageRoundTrip() {
    // Twelve blocks: every colour name, every ground action, both forms and sloppy spellings.
    BwProblem p;
    for (char c = 'a'; c <= 'l'; ++c) p.objects.push_back(std::string(1, c));
    p.init.below.assign(12, kBwTable);
    int n = 0;
    for (const auto& a : allGroundActions(12)) {
      const std::string nl = renderAction(p, a);
      for (const std::string& line : {nl, renderActionPddl(p, a), nl + ".", "  " + nl + "  ",
                                      QString::fromStdString(nl).toUpper().toStdString()}) {
        const BwParsedStep parsed = parseBwAction(p, line);
        QVERIFY2(parsed.action.has_value(), (line + ": " + parsed.error).c_str());
        QVERIFY2(*parsed.action == a, line.c_str());
      }
      ++n;
    }
    QCOMPARE(n, 12 + 12 + 144 + 144);
    QCOMPARE(renderAction(p, {BwActionKind::Unstack, 0, 1}), std::string("unstack the red block from on top of the blue block"));
    QCOMPARE(renderAction(p, {BwActionKind::Stack, 11, 10}), std::string("stack the gold block on top of the silver block"));
    QCOMPARE(renderAction(p, {BwActionKind::PickUp, 4, -1}), std::string("pick up the white block"));
    QCOMPARE(renderAction(p, {BwActionKind::PutDown, 5, -1}), std::string("put down the magenta block"));
    QCOMPARE(renderActionPddl(p, {BwActionKind::Unstack, 1, 2}), std::string("(unstack blue orange)"));
    // Objects may be named by their PDDL names too.
    QVERIFY((*parseBwAction(p, "(stack a b)").action == BwAction{BwActionKind::Stack, 0, 1}));
    for (const char* bad : {"", "pick up", "stack the red block", "stack the red block on top of", "(pick-up)",
                            "(pick-up red blue)", "(jump red)", "pick up the red block now", "(((", "(((\n)))"})
      QVERIFY2(!parseBwAction(p, bad).action.has_value(), bad);
  }

  void stateSentencesFollowPlanBench() {
    const BwProblem p = loadBlocksWorldProblem(dataDir() + "/instances/pb-instance-1.pddl");
    QCOMPARE(describeBwState(p, p.init),
             std::string("the red block is clear, the blue block is clear, the yellow block is clear, the hand is empty, "
                         "the blue block is on top of the orange block, the red block is on the table, the orange block "
                         "is on the table and the yellow block is on the table"));
    QCOMPARE(describeBwGoal(p), std::string("the orange block is on top of the blue block"));
    QCOMPARE(compactBwState(p, p.init), std::string("blue on orange; red, orange, yellow on table; hand empty"));
    QCOMPARE(compactBwGoal(p), std::string("orange on blue"));
    const BwState held = applyAction(p.init, {BwActionKind::Unstack, 1, 2});
    QCOMPARE(describeBwState(p, held),
             std::string("the red block is clear, the orange block is clear, the yellow block is clear, the hand is "
                         "currently holding the blue block, the red block is on the table, the orange block is on the "
                         "table and the yellow block is on the table"));
    QCOMPARE(compactBwState(p, held), std::string("red, orange, yellow on table; holding blue"));
    QCOMPARE(bwStacks(p.init), (std::vector<std::vector<int>>{{0}, {2, 1}, {3}}));
  }

  void malformedPddlNamesFileAndLine_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    const QString head = "(define (problem p)\n(:domain blocksworld-4ops)\n(:objects a b c)\n";
    QTest::newRow("unclosed") << head + "(:init (ontable a)\n(ontable b)\n" << "p.pddl:5: expected ')' to close the '(' of line 4, found the end of the file";
    QTest::newRow("stray paren") << "(define (problem p))\n)" << "p.pddl:2: expected the end of the file after the expression of line 1, found ')'";
    QTest::newRow("not define") << "(problem p)" << "p.pddl:1: expected '(define (problem NAME) ...)', found '(problem ...)'";
    QTest::newRow("empty") << "  ; nothing\n" << "p.pddl:1: expected an s-expression, found the end of the file";
    QTest::newRow("predicate") << head + "(:init\n(ontable a) (ontable b) (ontable c)\n(heavy a))\n(:goal (on a b)))"
                               << "p.pddl:6: expected one of the predicates on, ontable, clear, holding, handempty, found 'heavy'";
    QTest::newRow("unknown object") << head + "(:init (ontable a) (ontable b)\n(on c d))\n(:goal (on a b)))"
                                    << "p.pddl:5: unknown object 'd' in '(on ...)', expected one of the :objects";
    QTest::newRow("arity") << head + "(:init (ontable a) (ontable b) (ontable c))\n(:goal\n(on a))\n)"
                           << "p.pddl:6: expected 2 argument(s) for 'on', found 1";
    QTest::newRow("two positions") << head + "(:init (ontable a) (ontable b)\n(ontable c)\n(on c a))\n(:goal (on a b)))"
                                   << "p.pddl:6: block 'c' already has a position (line 5), expected one of on / ontable / holding per block";
    QTest::newRow("no position") << head + "(:init (ontable a) (ontable b))\n(:goal (on a b)))"
                                 << "p.pddl:4: expected a position for block 'c' in :init: (ontable c), (on c ...) or (holding c)";
    QTest::newRow("two on one") << head + "(:init (ontable a)\n(on b a)\n(on c a))\n(:goal (on a b)))"
                                << "p.pddl:6: blocks 'b' and 'c' are both on 'a', expected one block on another";
    QTest::newRow("cycle") << head + "(:init (ontable c)\n(on a b)\n(on b a))\n(:goal (on a b)))"
                           << "p.pddl:5: the on facts of block 'a' form a cycle, expected stacks that end on the table";
    QTest::newRow("contradiction") << head + "(:init (ontable a) (on b a) (ontable c)\n(clear a))\n(:goal (on a b)))"
                                   << "p.pddl:5: '(clear a)' contradicts the positions of the blocks (the red block is not clear)";
    QTest::newRow("no goal") << head + "(:init (ontable a) (ontable b) (ontable c)))"
                             << "p.pddl:1: expected a '(:goal ...)' section";
    QTest::newRow("negative goal") << head + "(:init (ontable a) (ontable b) (ontable c))\n(:goal (and\n(not (on a b)))))"
                                   << "p.pddl:6: expected a positive atom in the goal (STRIPS), found '(not ...)'";
    QTest::newRow("twice") << head + "(:init (ontable a) (ontable b) (ontable c))\n(:goal (on a b))\n(:goal (on b a)))"
                           << "p.pddl:6: the section ':goal' appears twice (first on line 5)";
  }
  void malformedPddlNamesFileAndLine() {
    QFETCH(QString, text);
    QFETCH(QString, message);
    QCOMPARE(inputErrorOf([&] { parseBlocksWorldProblem(text.toStdString(), "p.pddl"); }), message);
  }

  void tolerantReaderAcceptsVariants() {
    // Comments, upper case, typed objects, a single goal atom without "and", missing clear facts.
    const BwProblem p = problemOf(
        "; a comment\n(DEFINE (PROBLEM X) ; trailing\n (:domain BLOCKS)\n(:requirements :strips)\n"
        "(:objects A B - block C)\n(:INIT (HANDEMPTY) (ONTABLE A) (ON B A) (ONTABLE C))\n(:goal (ON A C)))\n");
    QCOMPARE(p.objects, (std::vector<std::string>{"a", "b", "c"}));
    QCOMPARE(p.init.below, (std::vector<int>{kBwTable, 0, kBwTable}));
    QCOMPARE(p.goal.size(), size_t(1));
    QCOMPARE(*optimalBwPlanLength(p, p.init), 4);
    QVERIFY(inputErrorOf([] { loadBlocksWorldProblem("/nonexistent/p.pddl"); }).contains("/nonexistent/p.pddl"));
  }

  void unknownObjectInPlanIsIncorrectWithReason() {
    const BlocksWorldTask task(BlocksWorldOptions{});
    const Problem problem = task.problemFromData(readText(dataDir() + "/instances/pb-instance-1.pddl"));
    for (const auto& [plan, reason] : std::vector<std::pair<std::string, std::string>>{
             {"pick up the purple block", "step 1: unknown block 'purple' (this problem has the red, blue, orange and yellow blocks)"},
             {"unstack the blue block from on top of the orange block\nstack the blue block on top of the white block",
              "step 2: unknown block 'white' (this problem has the red, blue, orange and yellow blocks)"},
             {"(pick-up e)", "step 1: unknown block 'e' (this problem has the red, blue, orange and yellow blocks)"}}) {
      const Verdict v = task.verify(problem, plan);
      QVERIFY(!v.correct);
      QCOMPARE(v.reward, 0.0);
      QCOMPARE(v.reason, reason);
    }
    for (const std::string& bad : {std::string(), std::string("xyz"), std::string("(((\n)))"), std::string(5000, '9')}) {
      const Verdict v = task.verify(problem, bad);
      QVERIFY(!v.correct);
      QVERIFY(!v.reason.empty());
    }
    // A problem whose data is not PDDL is judged incorrect, not a crash.
    Problem broken = problem;
    broken.data = {{"pddl", "(define (problem x)"}};
    const Verdict v = task.verify(broken, "pick up the red block");
    QVERIFY(!v.correct);
    QVERIFY2(QString::fromStdString(v.reason).startsWith("the problem is not a valid Blocksworld instance: problem data:1:"),
             v.reason.c_str());
    QVERIFY(inputErrorOf([&] { task.problemFromData(nlohmann::json{{"text", 1}}); }).startsWith("blocksworld problem data: expected"));
  }

  void generatorRespectsBlocksRangeAndSeed() {
    const auto a = generateBlocksWorld(5, 3, 6, 15, 11);
    const auto b = generateBlocksWorld(5, 3, 6, 15, 11);
    const auto c = generateBlocksWorld(5, 3, 6, 15, 12);
    QCOMPARE(a.size(), size_t(15));
    std::set<std::string> keys;
    std::set<int> lengths;
    for (size_t i = 0; i < a.size(); ++i) {
      const BwProblem& p = a[i].problem;
      QCOMPARE(p.objects, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
      const int length = *optimalBwPlanLength(p, p.init);
      QCOMPARE(length, a[i].optimalLength);
      QVERIFY(length >= 3 && length <= 6);
      lengths.insert(length);
      QVERIFY(keys.insert(canonicalBwKey(p)).second);                       // distinct
      QCOMPARE(toPddl(p), toPddl(b[i].problem));                            // deterministic
      QCOMPARE(problemOf(toPddl(p)).goal, p.goal);                          // well-formed PDDL
    }
    QVERIFY(lengths.size() > 1);
    bool differs = false;
    for (size_t i = 0; i < a.size(); ++i) differs = differs || toPddl(a[i].problem) != toPddl(c[i].problem);
    QVERIFY(differs);
    // Pinned: mt19937_64 and rng() % n make the instances the same with every standard library.
    const BwProblem first = generateBlocksWorld(5, 3, 6, 1, 11)[0].problem;
    QCOMPARE(canonicalBwKey(first), canonicalBwKey(a[0].problem));
    QCOMPARE(compactBwState(first, first.init), std::string("blue on yellow, yellow on red; red, orange, white on table; hand empty"));
    QCOMPARE(compactBwGoal(first), std::string("blue on red"));
    // Excluded instances are skipped; impossible ranges are an InputError naming the keys.
    std::set<std::string> exclude{canonicalBwKey(a[0].problem)};
    QVERIFY(canonicalBwKey(generateBlocksWorld(5, 3, 6, 1, 11, exclude)[0].problem) != canonicalBwKey(a[0].problem));
    QVERIFY(inputErrorOf([] { generateBlocksWorld(2, 5, 9, 3, 1); }).contains("task.min_steps"));
    QVERIFY(inputErrorOf([] { generateBlocksWorld(13, 1, 9, 3, 1); }).startsWith("task.blocks = 13"));
    QVERIFY(inputErrorOf([] { generateBlocksWorld(4, 5, 3, 3, 1); }).startsWith("task.max_steps = 3"));
  }

  void splitIsDeterministicAndDisjoint() {
    const BlocksWorldTask a(BlocksWorldOptions{});
    const BlocksWorldTask b(BlocksWorldOptions{});
    const BlocksWorldTask other(BlocksWorldOptions{.splitSeed = 1});
    auto ids = [](const std::vector<Problem>& ps) {
      std::vector<std::string> out;
      for (const auto& p : ps) out.push_back(p.id);
      return out;
    };
    QCOMPARE(a.problems(Split::Test).size(), size_t(20));
    QCOMPARE(a.problems(Split::Train).size(), size_t(67));
    QCOMPARE(ids(a.problems(Split::Test)), ids(b.problems(Split::Test)));
    QCOMPARE(ids(a.problems(Split::Train)), ids(b.problems(Split::Train)));
    QVERIFY(ids(a.problems(Split::Test)) != ids(other.problems(Split::Test)));
    std::set<std::string> all;
    for (const auto* split : {&a.problems(Split::Test), &a.problems(Split::Train)})
      for (const auto& p : *split) {
        QVERIFY2(all.insert(p.id).second, p.id.c_str());
        QVERIFY(p.level == 0 || p.level == 1);
        QCOMPARE(p.level, p.difficulty == 2 ? 0 : 1);
        QVERIFY(checkBwPlan(a.instance(p), splitSteps(p.reference)).correct);
        QCOMPARE(a.problemFromData(p.data).prompt, p.prompt);
        QCOMPARE(a.problemFromData(p.data).level, p.level);
      }
    QCOMPARE(all.size(), size_t(87));
    // Pinned split (portable shuffle): the same test set with every standard library.
    const auto testIds = ids(a.problems(Split::Test));
    QCOMPARE(std::set<std::string>(testIds.begin(), testIds.end()),
             (std::set<std::string>{"blocksworld/pb-instance-158", "blocksworld/pb-instance-170", "blocksworld/pb-instance-198",
                                    "blocksworld/pb-instance-224", "blocksworld/pb-instance-228", "blocksworld/pb-instance-233",
                                    "blocksworld/pb-instance-273", "blocksworld/pb-instance-290", "blocksworld/pb-instance-297",
                                    "blocksworld/pb-instance-312", "blocksworld/pb-instance-350", "blocksworld/pb-instance-396",
                                    "blocksworld/pb-instance-426", "blocksworld/pb-instance-428", "blocksworld/pb-instance-445",
                                    "blocksworld/pb-instance-46", "blocksworld/pb-instance-477", "blocksworld/pb-instance-495",
                                    "blocksworld/pb-instance-501", "blocksworld/pb-instance-98"}));

    // With generated instances: more problems, still disjoint and reproducible.
    const BlocksWorldOptions withGenerated{.testSize = 30, .generated = 40, .blocks = 5, .minSteps = 4, .maxSteps = 8};
    const BlocksWorldTask g1(withGenerated);
    const BlocksWorldTask g2(withGenerated);
    QCOMPARE(g1.problems(Split::Test).size() + g1.problems(Split::Train).size(), size_t(127));
    QCOMPARE(ids(g1.problems(Split::Train)), ids(g2.problems(Split::Train)));
    std::set<std::string> gAll;
    int generatedSeen = 0;
    for (const auto* split : {&g1.problems(Split::Test), &g1.problems(Split::Train)})
      for (const auto& p : *split) {
        QVERIFY(gAll.insert(p.id).second);
        if (p.id.rfind("blocksworld/gen-5-", 0) != 0) continue;
        ++generatedSeen;
        QVERIFY(p.difficulty >= 4 && p.difficulty <= 8);
        QCOMPARE(p.level, blocksWorldLevel(static_cast<int>(p.difficulty)));
      }
    QCOMPARE(generatedSeen, 40);
    QVERIFY(inputErrorOf([] { BlocksWorldTask(BlocksWorldOptions{.testSize = 87}); }).startsWith("task.test_size = 87"));
    QVERIFY(inputErrorOf([] { BlocksWorldTask(BlocksWorldOptions{.reward = "dense"}); }).startsWith("task.reward"));
  }

  void rewardsBinaryAndFlowOfReasoning() {
    const BlocksWorldTask binary(BlocksWorldOptions{});
    const BlocksWorldTask flow(BlocksWorldOptions{.reward = "for"});
    const Problem p = binary.problemFromData(nlohmann::json{{"pddl", kTower}});
    QCOMPARE(p.difficulty, 4.0);
    struct Case {
      std::string plan;
      double binary, flow;
      bool correct;
    };
    for (const Case& c : std::vector<Case>{
             // both goal atoms: 100
             {"pick up the blue block\nstack the blue block on top of the orange block\n"
              "pick up the red block\nstack the red block on top of the blue block", 1, 100, true},
             // one of two goal atoms (blue on orange): 10 * 1/2
             {"pick up the blue block\nstack the blue block on top of the orange block", 0, 5, false},
             // an illegal step 3 after reaching one atom: the valid prefix counts
             {"pick up the blue block\nstack the blue block on top of the orange block\npick up the blue block", 0, 5, false},
             // nothing met
             {"pick up the red block\npick up the blue block", 0, 0, false},
             {"", 0, 0, false},
             // the step files' form, and a PlanBench end marker
             {"(pick-up blue)\n(stack blue orange)\n(pick-up red)\n(stack red blue)\n[PLAN END]\n(pick-up red)", 1, 100, true},
         }) {
      const Verdict vb = binary.verify(p, c.plan);
      const Verdict vf = flow.verify(p, c.plan);
      QVERIFY2(vb.correct == c.correct && vf.correct == c.correct, (c.plan + " -> " + vb.reason).c_str());
      QCOMPARE(vb.reward, c.binary);
      QCOMPARE(vf.reward, c.flow);
    }
    QCOMPARE(binary.verify(p, "pick up the blue block\nstack the blue block on top of the orange block").reason,
             std::string("the goal is not reached: the red block is not on top of the blue block"));
    QCOMPARE(binary.verify(p, "pick up the blue block\nstack the blue block on top of the orange block\npick up the blue block").reason,
             std::string("step 3: cannot pick up the blue block: the blue block is not on the table"));
  }

  void legalStepsAndStates() {
    const BlocksWorldTask task(BlocksWorldOptions{});
    const Problem p = task.problemFromData(readText(dataDir() + "/instances/pb-instance-1.pddl"));
    // red and yellow on the table, blue on orange; goal orange on blue.
    const auto initial = task.legalSteps(p, {});
    QCOMPARE(std::set<std::string>(initial.begin(), initial.end()),
             (std::set<std::string>{"pick up the red block", "pick up the yellow block",
                                    "unstack the blue block from on top of the orange block"}));
    const std::vector<std::string> one{"unstack the blue block from on top of the orange block"};
    const auto afterOne = task.legalSteps(p, one);
    QCOMPARE(std::set<std::string>(afterOne.begin(), afterOne.end()),
             (std::set<std::string>{"put down the blue block", "stack the blue block on top of the red block",
                                    "stack the blue block on top of the orange block",
                                    "stack the blue block on top of the yellow block"}));
    QVERIFY(!task.isTerminal(p, {}));
    QVERIFY(!task.isTerminal(p, one));
    QVERIFY(task.legalSteps(p, {"pick up the orange block"}).empty());
    QVERIFY(task.isTerminal(p, {"pick up the orange block"}));
    QVERIFY(task.legalSteps(p, {"dance"}).empty());
    const std::vector<std::string> gold{"unstack the blue block from on top of the orange block", "put down the blue block",
                                        "pick up the orange block", "stack the orange block on top of the blue block"};
    QVERIFY(task.isTerminal(p, gold));
    QVERIFY(task.verify(p, joinLines(gold)).correct);
    QCOMPARE(task.describeState(p, one),
             std::string("the red block is clear, the orange block is clear, the yellow block is clear, the hand is "
                         "currently holding the blue block, the red block is on the table, the orange block is on the "
                         "table and the yellow block is on the table"));
    QVERIFY(QString::fromStdString(task.describeState(p, {"pick up the orange block"}))
                .endsWith("\n(step 1 cannot be applied; this is the state before it)"));
    QVERIFY(QString::fromStdString(task.describeState(p, gold)).endsWith("(the goal is reached)"));
    QCOMPARE(task.replay(p, one).state.below, (std::vector<int>{kBwTable, kBwHand, kBwTable, kBwTable}));
  }

  void demonstrationsAreOptimalAndVaried() {
    const BlocksWorldTask task(BlocksWorldOptions{});
    const Problem p = task.problemFromData(nlohmann::json{{"pddl", kTower}});
    std::mt19937_64 rng(1);
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
      const auto demo = task.demonstration(p, rng);
      QVERIFY(demo.has_value());
      QCOMPARE(splitSteps(*demo).size(), size_t(4));
      QVERIFY(task.verify(p, *demo).correct);
      seen.insert(*demo);
    }
    QCOMPARE(seen.size(), size_t(1));  // the tower has a single optimal plan
    // Two independent goals: (on a b) and (on c d) from all on the table; either order is optimal.
    const Problem two = task.problemFromData(
        std::string("(define (problem two) (:objects a b c d) (:init (handempty) (ontable a) (ontable b) (ontable c) "
                    "(ontable d) (clear a) (clear b) (clear c) (clear d)) (:goal (and (on a b) (on c d))))"));
    seen.clear();
    for (int i = 0; i < 40; ++i) seen.insert(*task.demonstration(two, rng));
    QCOMPARE(seen.size(), size_t(2));
    std::mt19937_64 r1(9), r2(9);
    const Problem& own = task.problems(Split::Train).back();
    QCOMPARE(task.demonstration(own, r1), task.demonstration(own, r2));
  }

  void promptsAndDemonstrationsUseTheAlphabet() {
    size_t longestPrompt[2] = {0, 0};
    size_t longestDemo = 0;
    int style = 0;
    for (const char* promptStyle : {"compact", "planbench"}) {
      const BlocksWorldTask task(BlocksWorldOptions{.generated = 20, .blocks = 6, .minSteps = 4, .maxSteps = 10,
                                                    .promptStyle = promptStyle});
      const CharTokenizer tokenizer(task.alphabet());
      const std::string alphabet = task.alphabet();
      std::mt19937_64 rng(2);
      for (Split split : {Split::Train, Split::Test})
        for (const Problem& p : task.problems(split)) {
          for (char ch : p.prompt) QVERIFY2(alphabet.find(ch) != std::string::npos, (p.id + ": " + std::string(1, ch)).c_str());
          const std::string demo = *task.demonstration(p, rng);
          for (char ch : demo) QVERIFY2(alphabet.find(ch) != std::string::npos, (p.id + ": " + std::string(1, ch)).c_str());
          tokenizer.encodePrompt(p.prompt);
          tokenizer.encodeCompletion(demo);
          if (p.id.rfind("blocksworld/pb-", 0) == 0) {
            longestPrompt[style] = std::max(longestPrompt[style], p.prompt.size());
            longestDemo = std::max(longestDemo, demo.size());
          }
        }
      ++style;
    }
    qInfo("bundled instances: longest prompt %zu characters (compact), %zu (planbench); longest demonstration %zu",
          longestPrompt[0], longestPrompt[1], longestDemo);
    const BlocksWorldTask task(BlocksWorldOptions{});
    const Problem p = task.problemFromData(readText(dataDir() + "/instances/pb-instance-1.pddl"));
    QCOMPARE(p.prompt, std::string("Initial state: blue on orange; red, orange, yellow on table; hand empty. "
                                   "Goal: orange on blue.\nPlan:\n"));
    const BlocksWorldTask planbench(BlocksWorldOptions{.promptStyle = "planbench"});
    QCOMPARE(planbench.problemFromData(readText(dataDir() + "/instances/pb-instance-1.pddl")).prompt,
             std::string("I am playing with a set of blocks where I need to arrange the blocks into stacks.\n"
                         "[STATEMENT]\nAs initial conditions I have that, the red block is clear, the blue block is "
                         "clear, the yellow block is clear, the hand is empty, the blue block is on top of the orange "
                         "block, the red block is on the table, the orange block is on the table and the yellow block "
                         "is on the table.\nMy goal is to have that the orange block is on top of the blue block.\n\n"
                         "My plan is as follows:\n\n[PLAN]\n"));
  }

  void bundledDataErrorsNameTheFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string d = dir.path().toStdString();
    std::filesystem::copy(dataDir() + "/domain.pddl", d + "/domain.pddl");
    std::filesystem::create_directory(d + "/instances");
    std::filesystem::copy(dataDir() + "/instances/pb-instance-1.pddl", d + "/instances/pb-instance-1.pddl");
    const auto write = [&](const std::string& text) { std::ofstream(d + "/step_2.json") << text; };
    const auto error = [&] { return inputErrorOf([&] { BlocksWorldTask(BlocksWorldOptions{.testSize = 1, .dataDir = d}); }); };

    write("[{\"instance\": \"instances/pb-instance-1.pddl\", \"plan\": \"(pick-up red)\\n\", \"steps\": 1}]");
    QVERIFY2(error().startsWith(QString::fromStdString(d + "/step_2.json: record 1 (instances/pb-instance-1.pddl): the gold "
                                                           "plan is not valid: the goal is not reached")), qPrintable(error()));
    write("[{\"instance\": \"instances/pb-instance-1.pddl\", \"plan\": \"(fly red)\\n\"}]");
    QVERIFY2(error().contains("step 1: cannot read '(fly red)'"), qPrintable(error()));
    write("[{\"instance\": 3}]");
    QVERIFY2(error().startsWith(QString::fromStdString(d + "/step_2.json: record 1: expected {")), qPrintable(error()));
    write("[{\"instance\": ");
    QVERIFY2(error().startsWith(QString::fromStdString(d + "/step_2.json: expected JSON")), qPrintable(error()));
    write("[{\"instance\": \"instances/pb-instance-1.pddl\", \"plan\": \"(unstack blue orange)\\n(put-down blue)\\n"
          "(pick-up orange)\\n(stack orange blue)\\n\", \"steps\": 4}]");
    QVERIFY2(error().contains("must be smaller than the number of instances (1"), qPrintable(error()));  // loads fine
    std::ofstream(d + "/instances/pb-instance-1.pddl") << "(define (problem x)\n(:objects a)\n(:init (ontable a)\n";
    QVERIFY2(error().startsWith(QString::fromStdString(d + "/instances/pb-instance-1.pddl:3: expected ')'")), qPrintable(error()));
    std::ofstream(d + "/domain.pddl") << "(define (domain d) (:action fly :parameters (?x)))";
    QVERIFY2(error().startsWith(QString::fromStdString(d + "/domain.pddl:1: action 'fly' is not one of")), qPrintable(error()));
  }

  void registeredWithItsParameters() {
    const TaskInfo* info = TaskRegistry::instance().find("blocksworld");
    QVERIFY(info != nullptr);
    QVERIFY(info->stepLevel);
    QVERIFY(info->hasSolver);
    QCOMPARE(info->levels.size(), size_t(5));
    QVERIFY(!info->source.empty());
    for (const char* key : {"task.test_size", "task.split_seed", "task.generated", "task.blocks", "task.min_steps",
                            "task.max_steps", "task.reward", "task.prompt_style"})
      QVERIFY2(std::any_of(info->params.begin(), info->params.end(), [&](const ParamSpec& p) { return p.key == key; }), key);
    RunConfig config = RunConfig::defaults("blocksworld", "blocksworld-test-algo");
    config.applyOverride("task.reward=for");
    config.applyOverride("task.generated=10");
    auto task = info->create(config);
    QCOMPARE(task->name(), std::string("blocksworld"));
    QCOMPARE(task->problems(Split::Test).size() + task->problems(Split::Train).size(), size_t(97));
    const Problem& p = task->problems(Split::Train).front();
    std::mt19937_64 rng(0);
    QCOMPARE(task->verify(p, *task->demonstration(p, rng)).reward, 100.0);
    QVERIFY_THROWS_EXCEPTION(InputError, config.applyOverride("task.prompt_style=long"));
  }
};

QTEST_APPLESS_MAIN(TestBlocksWorld)
#include "test_blocksworld.moc"
