// Unit tests of the tree searches (core/search/Search.h) on hand-made search spaces whose
// candidates, log-probs, values and verdicts are fixed, so every statistic can be computed by hand:
// MCTS (PUCT and UCT selection, priors, rewards, discount, backup through terminals, dead ends,
// depth-limit leaves, chosen path, replayable history), beam search, tree-of-thought BFS/DFS,
// best-of-N with majority vote, the options' validation, and the training targets (MCTS-DPO pairs,
// ReST-MCTS* inferred values).
#include <QtTest>

#include "tests/TestSupport.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/search/ReasoningTree.h"
#include "core/search/Search.h"
#include "core/search/SearchSpace.h"

namespace {

// A state of a TableSpace: its candidate steps, value and verdict.
struct Entry {
  std::vector<tb::StepCandidate> candidates;
  double value = 0;
  bool correct = false;
  double reward = 0;
  std::string reason = "no entry";
  std::string answer;
};

tb::StepCandidate cand(const std::string& step, double logProb, int tokens = 1, bool final = false) {
  return tb::StepCandidate{step, logProb, tokens, final};
}

// A state with candidate steps and a value.
Entry openState(std::vector<tb::StepCandidate> candidates, double value) {
  Entry e;
  e.candidates = std::move(candidates);
  e.value = value;
  return e;
}

// A finished state's verdict and answer.
Entry judged(bool correct, double reward, const std::string& reason, const std::string& answer = "") {
  Entry e;
  e.correct = correct;
  e.reward = reward;
  e.reason = reason;
  e.answer = answer;
  return e;
}

// States are keyed by their steps joined with '/'. expand() returns `count` candidates starting
// where the previous call on the same state stopped (round robin), so best-of-N chains differ.
class TableSpace : public tb::SearchSpace {
 public:
  std::map<std::string, Entry> table;
  std::map<std::string, int> expandCalls;
  int expandManyCalls = 0;
  std::vector<int> evaluateSizes;

  static std::string key(const std::vector<std::string>& steps) {
    std::string k;
    for (const auto& s : steps) k += (k.empty() ? "" : "/") + s;
    return k;
  }
  Entry entry(const std::vector<std::string>& steps) const {
    const auto it = table.find(key(steps));
    return it == table.end() ? Entry{} : it->second;
  }

  std::vector<tb::StepCandidate> expand(const std::vector<std::string>& steps, int count) override {
    const auto all = entry(steps).candidates;
    const int calls = expandCalls[key(steps)]++;
    if (all.empty()) return {};
    if (count >= static_cast<int>(all.size())) return all;
    std::vector<tb::StepCandidate> out;
    for (int i = 0; i < count; ++i) out.push_back(all[(calls * count + i) % all.size()]);
    return out;
  }
  std::vector<std::vector<tb::StepCandidate>> expandMany(const std::vector<std::vector<std::string>>& states,
                                                         int count) override {
    ++expandManyCalls;
    return SearchSpace::expandMany(states, count);
  }
  bool isTerminal(const std::vector<std::string>&, bool lastStepFinal) override { return lastStepFinal; }
  tb::StateVerdict verdict(const std::vector<std::string>& steps) override {
    const Entry e = entry(steps);
    return {e.correct, e.reward, e.reason};
  }
  std::vector<double> evaluate(const std::vector<std::vector<std::string>>& states) override {
    evaluateSizes.push_back(static_cast<int>(states.size()));
    std::vector<double> out;
    for (const auto& s : states) out.push_back(entry(s).value);
    return out;
  }
  std::string describe(const std::vector<std::string>& steps) override { return "state:" + key(steps); }
  std::string answer(const std::vector<std::string>& steps) override { return entry(steps).answer; }
};

// root (V0 0.1) -> a (0.5), b (0.3, no continuation: wrong when judged)
// a -> x (final, correct), y (0.0);  y -> z (final, wrong)
// Priors: l = logProb / tokens^1.25: a -1/1 = -1, b -64/16^1.25 = -64/32 = -2, so
//   P(a) = 1/(1+e^-1) = 0.7310585786, P(b) = 0.2689414214; x: l = -2, y: l = -1 -> the reverse.
TableSpace mctsSpace() {
  TableSpace s;
  s.table[""] = openState({cand("a", -1), cand("b", -64, 16)}, 0.1);
  s.table["a"] = openState({cand("x", -2, 1, true), cand("y", -1)}, 0.5);
  s.table["b"] = judged(false, 0.0, "no answer");
  s.table["b"].value = 0.3;
  s.table["a/x"] = judged(true, 1.0, "solved");
  s.table["a/y"] = openState({cand("z", -1, 1, true)}, 0.0);
  s.table["a/y/z"] = judged(false, 0.0, "wrong answer");
  return s;
}

tb::SearchOptions mctsOptions(const std::string& selection, int simulations) {
  tb::SearchOptions o;
  o.method = "mcts";
  o.selection = selection;
  o.simulations = simulations;
  o.maxDepth = 4;
  o.branching = 4;
  o.exploration = 1.0;
  o.discount = 0.9;
  return o;
}

// root (0) -> a (0.5, lp -1), b (0.3, lp -3), c (0.3, lp -2), d (final, wrong)
// a -> a1 (0.2, no continuation), a2 (final, correct);  b -> b1 (0.95);  c -> c1 (0.9) -> c1x (0.4)
TableSpace levelSpace() {
  TableSpace s;
  s.table[""] = openState({cand("a", -1), cand("b", -3), cand("c", -2), cand("d", -0.5, 1, true)}, 0.0);
  s.table["d"] = judged(false, 0.0, "wrong");
  s.table["a"] = openState({cand("a1", -1), cand("a2", -1, 1, true)}, 0.5);
  s.table["a/a1"] = judged(false, 0.0, "stuck");
  s.table["a/a1"].value = 0.2;
  s.table["a/a2"] = judged(true, 1.0, "solved");
  s.table["b"] = openState({cand("b1", -1)}, 0.3);
  s.table["b/b1"] = openState({}, 0.95);
  s.table["c"] = openState({cand("c1", -1)}, 0.3);
  s.table["c/c1"] = openState({cand("c1x", -1)}, 0.9);
  s.table["c/c1/c1x"] = openState({}, 0.4);
  return s;
}

// Two first steps drawn in turn (p, q, p, ...); p ends with answer 5 (wrong), q with 7 (correct).
TableSpace voteSpace() {
  TableSpace s;
  s.table[""] = openState({cand("p", -1), cand("q", -1)}, 0.0);
  s.table["p"] = openState({cand("pA", -1, 1, true)}, 0.2);
  s.table["q"] = openState({cand("qA", -1, 1, true)}, 0.1);
  s.table["p/pA"] = judged(false, 0.0, "wrong", "5");
  s.table["q/qA"] = judged(true, 1.0, "solved", "7");
  return s;
}

const double kPa = 1.0 / (1.0 + std::exp(-1.0));  // 0.7310585786
const double kPb = 1.0 - kPa;                     // 0.2689414214

QString validationError(const tb::ReasoningTree& tree) {
  return inputErrorOf([&] { tree.validate(); });
}

// History replays the tree: statsAt(k) of a long run equals the final stats of a k-iteration run,
// and every node is recorded in the iteration that created it, never earlier.
void checkHistoryReplays(TableSpace (*makeSpace)(), const tb::SearchOptions& options) {
  TableSpace space = makeSpace();
  const tb::ReasoningTree full = tb::monteCarloTreeSearch(space, options);
  QCOMPARE(full.iterations(), options.simulations);
  for (int k = 1; k <= options.simulations; ++k) {
    tb::SearchOptions shorter = options;
    shorter.simulations = k;
    TableSpace fresh = makeSpace();
    const tb::ReasoningTree partial = tb::monteCarloTreeSearch(fresh, shorter);
    std::vector<bool> present;
    const auto stats = full.statsAt(k, &present);
    for (int id = 0; id < full.size(); ++id) {
      QCOMPARE(static_cast<bool>(present[id]), id < partial.size());
      if (id >= partial.size()) continue;
      QCOMPARE(stats[id].visits, partial.nodes[id].stats.visits);
      QCOMPARE(stats[id].value, partial.nodes[id].stats.value);
      QCOMPARE(stats[id].q, partial.nodes[id].stats.q);
    }
  }
  for (const auto& node : full.nodes) {
    if (node.createdAt == 0) continue;
    bool recorded = false;
    for (const auto& [id, s] : full.history[node.createdAt - 1].changes) recorded = recorded || id == node.id;
    QVERIFY2(recorded, qPrintable(QStringLiteral("node %1 missing from its creation iteration").arg(node.id)));
  }
  QVERIFY(validationError(full).isEmpty());
}

}  // namespace

#define EXPECT_STATS(node, n, v, qq)        \
  do {                                      \
    QCOMPARE((node).stats.visits, (n));     \
    TB_NEAR((node).stats.value, (v), 1e-12); \
    TB_NEAR((node).stats.q, (qq), 1e-12);   \
  } while (0)

class TestSearch : public QObject {
  Q_OBJECT

 private slots:
  void mctsPuctAfterOneTwoThreeSimulations() {
    // Simulation 1: the root is expanded (a, b evaluated in one batch), N(root) = 1, V(root) = V0.
    //   r(a) = 0.5 - 0.1 = 0.4, Q(a) = 0.4 + 0.9 * 0.5 = 0.85; r(b) = 0.2, Q(b) = 0.2 + 0.27 = 0.47.
    {
      TableSpace space = mctsSpace();
      const auto t = tb::monteCarloTreeSearch(space, mctsOptions("puct", 1));
      QCOMPARE(t.size(), 3);
      EXPECT_STATS(t.nodes[0], 1, 0.1, 0.1);
      EXPECT_STATS(t.nodes[1], 0, 0.5, 0.85);
      EXPECT_STATS(t.nodes[2], 0, 0.3, 0.47);
      TB_NEAR(t.nodes[1].reward, 0.4, 1e-12);
      TB_NEAR(t.nodes[2].reward, 0.2, 1e-12);
      TB_NEAR(t.nodes[1].prior, kPa, 1e-12);  // tokens^1.25 normalisation: b's l = -64 / 32
      TB_NEAR(t.nodes[2].prior, kPb, 1e-12);
      TB_NEAR(t.nodes[2].logProb, -64, 0);
      QCOMPARE(t.nodes[1].state, std::string("state:a"));
      QCOMPARE(t.nodes[1].step, std::string("a"));
      QCOMPARE(t.nodes[1].createdAt, 1);
      QCOMPARE(space.evaluateSizes, (std::vector<int>{1, 2}));
    }
    // Simulation 2: PUCT at the root (N = 1): a 0.85 + 0.731 * 1/1 = 1.581 > b 0.47 + 0.269 = 0.739.
    //   a is expanded: x (correct terminal, V0 = +1, r = 0.5, Q = 0.5 + 0.9 = 1.4), y (V0 0, r = -0.5,
    //   Q = -0.5); only y is evaluated. Backup: N(a) = 1, V(a) = V0 (children unvisited);
    //   N(root) = 2, V(root) = Q(a) = 0.85.
    {
      TableSpace space = mctsSpace();
      const auto t = tb::monteCarloTreeSearch(space, mctsOptions("puct", 2));
      QCOMPARE(t.size(), 5);
      EXPECT_STATS(t.nodes[0], 2, 0.85, 0.85);
      EXPECT_STATS(t.nodes[1], 1, 0.5, 0.85);
      EXPECT_STATS(t.nodes[3], 0, 1.0, 1.4);
      EXPECT_STATS(t.nodes[4], 0, 0.0, -0.5);
      TB_NEAR(t.nodes[3].prior, kPb, 1e-12);
      TB_NEAR(t.nodes[4].prior, kPa, 1e-12);
      QVERIFY(t.nodes[3].terminal && t.nodes[3].correct);
      TB_NEAR(t.nodes[3].extra["task_reward"].get<double>(), 1.0, 0);
      QCOMPARE(t.nodes[3].extra["reason"].get<std::string>(), std::string("solved"));
      QCOMPARE(space.evaluateSizes, (std::vector<int>{1, 2, 1}));
      // No visits below a yet: the chosen path follows the higher Q among a's unvisited children.
      QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 3}));
    }
    // Simulation 3: root (N = 2): a 0.85 + 0.731 * sqrt2 / 2 = 1.367 > b 0.47 + 0.269 * sqrt2 = 0.850;
    //   at a (N = 1): x 1.4 + 0.269 = 1.669 > y -0.5 + 0.731 = 0.231. x is terminal: no expansion.
    //   Backup: x N 1; a N 2, V = Q(x) = 1.4, Q = 0.4 + 0.9 * 1.4 = 1.66; root N 3, V = 1.66.
    {
      TableSpace space = mctsSpace();
      const auto t = tb::monteCarloTreeSearch(space, mctsOptions("puct", 3));
      QCOMPARE(t.size(), 5);
      EXPECT_STATS(t.nodes[0], 3, 1.66, 1.66);
      EXPECT_STATS(t.nodes[1], 2, 1.4, 1.66);
      EXPECT_STATS(t.nodes[2], 0, 0.3, 0.47);
      EXPECT_STATS(t.nodes[3], 1, 1.0, 1.4);
      EXPECT_STATS(t.nodes[4], 0, 0.0, -0.5);
      QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 3}));
      QCOMPARE(t.kind, std::string("mcts"));
      QVERIFY(validationError(t).isEmpty());
    }
  }

  void mctsBacksUpThroughTerminalAgain() {
    // Simulation 4: root (N 3): a 1.66 + 0.731 * sqrt3 / 3 = 2.082 > b 0.47 + 0.269 * sqrt3 = 0.936;
    //   at a (N 2): x 1.4 + 0.269 * sqrt2 / 2 = 1.590 > y -0.5 + 0.731 * sqrt2 = 0.534: x again, N += 1.
    TableSpace space = mctsSpace();
    const auto t = tb::monteCarloTreeSearch(space, mctsOptions("puct", 4));
    QCOMPARE(t.size(), 5);  // nothing new: a terminal is never expanded
    EXPECT_STATS(t.nodes[3], 2, 1.0, 1.4);
    EXPECT_STATS(t.nodes[1], 3, 1.4, 1.66);
    EXPECT_STATS(t.nodes[0], 4, 1.66, 1.66);
    // The last iteration changed exactly the path root, a, x.
    QCOMPARE(t.history.back().changes.size(), size_t{3});
    QCOMPARE(t.history.back().changes[0].first, 0);
    QCOMPARE(t.history.back().changes[1].first, 1);
    QCOMPARE(t.history.back().changes[2].first, 3);
    QCOMPARE(space.expandCalls["a/x"], 0);
  }

  void mctsUctVisitsUnvisitedChildrenFirst() {
    // Simulations 1-2 as with PUCT (a has the higher prior). Simulation 3: b is unvisited, so UCT
    //   takes it (PUCT took a). b has no continuation: judged wrong, V0 = -1, r = -1 - 0.1 = -1.1,
    //   Q = -1.1 + 0.9 * -1 = -2.0. Root N 3, V = (0.85 - 2.0) / 2 = -0.575.
    {
      TableSpace space = mctsSpace();
      const auto t = tb::monteCarloTreeSearch(space, mctsOptions("uct", 3));
      EXPECT_STATS(t.nodes[2], 1, -1.0, -2.0);
      TB_NEAR(t.nodes[2].reward, -1.1, 1e-12);
      QVERIFY(t.nodes[2].terminal && !t.nodes[2].correct);
      QCOMPARE(t.nodes[2].extra["reason"].get<std::string>(), std::string("no answer"));
      EXPECT_STATS(t.nodes[0], 3, -0.575, -0.575);
      EXPECT_STATS(t.nodes[1], 1, 0.5, 0.85);
    }
    // Simulation 4: root (N 3): a 0.85 + sqrt(ln 3) = 1.898 > b -2 + 1.048. At a, x and y are
    //   unvisited: the higher prior first, y (0.731). y -> z (final, wrong: V0 -1, r -1, Q -1.9).
    //   Backup: y N 1, V 0 (z unvisited), Q -0.5; a N 2, V -0.5, Q 0.4 - 0.45 = -0.05;
    //   root N 4, V = (2 * -0.05 + 1 * -2) / 3 = -0.7.
    // Simulation 5: root (N 4): a -0.05 + sqrt(ln 4 / 2) = 0.783 > b -2 + sqrt(ln 4); at a, x is
    //   unvisited: x. Backup: x N 1; a N 3, V = (1.4 - 0.5) / 2 = 0.45, Q = 0.4 + 0.405 = 0.805;
    //   root N 5, V = (3 * 0.805 - 2) / 4 = 0.10375.
    TableSpace space = mctsSpace();
    const auto t = tb::monteCarloTreeSearch(space, mctsOptions("uct", 5));
    QCOMPARE(t.size(), 6);
    EXPECT_STATS(t.nodes[5], 0, -1.0, -1.9);
    EXPECT_STATS(t.nodes[4], 1, 0.0, -0.5);
    EXPECT_STATS(t.nodes[3], 1, 1.0, 1.4);
    EXPECT_STATS(t.nodes[1], 3, 0.45, 0.805);
    EXPECT_STATS(t.nodes[0], 5, 0.10375, 0.10375);
    QCOMPARE(t.nodes[5].createdAt, 4);
    // x and y both have N 1: the tie goes to the higher Q, x.
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 3}));
    QVERIFY(validationError(t).isEmpty());
  }

  void mctsDiscountOne() {
    // gamma = 1: Q(a) = 0.4 + 0.5 = 0.9, Q(x) = 0.5 + 1 = 1.5; after 2 simulations V(root) = 0.9.
    TableSpace space = mctsSpace();
    auto options = mctsOptions("puct", 2);
    options.discount = 1.0;
    const auto t = tb::monteCarloTreeSearch(space, options);
    EXPECT_STATS(t.nodes[1], 1, 0.5, 0.9);
    EXPECT_STATS(t.nodes[0], 2, 0.9, 0.9);
    EXPECT_STATS(t.nodes[3], 0, 1.0, 1.5);
  }

  void mctsDepthLimitLeavesAreNotExpanded() {
    // max depth 1: a and b are leaves at the limit: terminal, not correct, V0 from the evaluator.
    TableSpace space = mctsSpace();
    auto options = mctsOptions("puct", 3);
    options.maxDepth = 1;
    const auto t = tb::monteCarloTreeSearch(space, options);
    QCOMPARE(t.size(), 3);
    QVERIFY(t.nodes[1].terminal && !t.nodes[1].correct);
    QCOMPARE(t.nodes[1].extra["reason"].get<std::string>(), std::string("depth limit"));
    QCOMPARE(space.expandCalls["a"], 0);
    // Simulation 2 picks a (as above), simulation 3: a 0.85 + 0.731 * sqrt2 / 2 = 1.367 > 0.850.
    EXPECT_STATS(t.nodes[1], 2, 0.5, 0.85);
    EXPECT_STATS(t.nodes[0], 3, 0.85, 0.85);
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1}));
    QVERIFY(t.maxDepth() <= 1);
  }

  void mctsHistoryReplaysEveryIteration() {
    checkHistoryReplays(&mctsSpace, mctsOptions("puct", 5));
    checkHistoryReplays(&mctsSpace, mctsOptions("uct", 6));
    TableSpace space = mctsSpace();
    const auto t = tb::monteCarloTreeSearch(space, mctsOptions("uct", 5));
    const auto atEnd = t.statsAt(t.iterations());
    for (int id = 0; id < t.size(); ++id) {
      QCOMPARE(atEnd[id].visits, t.nodes[id].stats.visits);
      QCOMPARE(atEnd[id].q, t.nodes[id].stats.q);
    }
    // Before the first iteration nothing has statistics.
    for (const auto& s : t.statsAt(0)) QCOMPARE(s.visits, 0);
  }

  void beamKeepsTheBestByValue() {
    // Depth 1: a 0.5, b 0.3 (lp -3), c 0.3 (lp -2), d terminal. Width 2 keeps a and c (c beats b
    //   on log-prob). Depth 2: a1 0.2, a2 correct, c1 0.9 -> beam c1, a1. Depth 3: c1x at the depth
    //   limit (V0 0.4), a1 has no continuation (judged wrong). Chosen: the correct terminal a2.
    TableSpace space = levelSpace();
    tb::SearchOptions o;
    o.method = "beam";
    o.beamWidth = 2;
    o.branching = 4;
    o.maxDepth = 3;
    const auto t = tb::beamSearch(space, o);
    QCOMPARE(t.kind, std::string("beam"));
    QCOMPARE(t.iterations(), 3);
    QCOMPARE(space.expandManyCalls, 3);
    QCOMPARE(space.evaluateSizes, (std::vector<int>{1, 3, 2, 1}));
    // ids: a 1, b 2, c 3, d 4, a1 5, a2 6, c1 7, c1x 8
    QCOMPARE(t.size(), 9);
    QVERIFY(t.nodes[2].children.empty());
    QCOMPARE(t.nodes[2].stats.visits, 0);
    QCOMPARE(t.nodes[3].stats.visits, 1);
    QCOMPARE(t.nodes[5].stats.visits, 1);
    QVERIFY(t.nodes[5].terminal && !t.nodes[5].correct);
    TB_NEAR(t.nodes[5].reward, -1.5, 1e-12);  // -1 - 0.5
    QVERIFY(t.nodes[8].terminal && !t.nodes[8].correct);
    TB_NEAR(t.nodes[8].stats.value, 0.4, 1e-12);
    QCOMPARE(t.nodes[8].createdAt, 3);
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 6}));
    QVERIFY(validationError(t).isEmpty());
    // History replays: after depth 1 only the root and its children exist.
    std::vector<bool> present;
    const auto after1 = t.statsAt(1, &present);
    QCOMPARE(after1[0].visits, 1);
    QVERIFY(present[4] && !present[5]);
    TB_NEAR(after1[1].value, 0.5, 1e-12);
  }

  void bfsPrunesBelowTheThreshold() {
    // Threshold 0.35: only a survives depth 1; at depth 2 a1 (0.2) is pruned and a2 is terminal.
    TableSpace space = levelSpace();
    tb::SearchOptions o;
    o.method = "bfs";
    o.beamWidth = 3;
    o.valueThreshold = 0.35;
    o.maxDepth = 3;
    const auto t = tb::treeOfThought(space, o, false);
    QCOMPARE(t.kind, std::string("bfs"));
    QCOMPARE(t.iterations(), 2);
    QCOMPARE(space.expandManyCalls, 2);
    QVERIFY(t.nodes[2].children.empty() && t.nodes[3].children.empty());
    QVERIFY(t.nodes[5].children.empty());
    QCOMPARE(t.size(), 7);
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 6}));
  }

  void dfsStopsAtTheFirstCorrectTerminal() {
    // c valued 0.6: expansion 1 root (a 1, b 2, c 3, d 4), 2 c (c1 5), 3 c1 (c1x 6 at the depth
    //   limit), 4 a (a1 7 pruned below 0.25, a2 8 correct): stop; b is never expanded.
    TableSpace space = levelSpace();
    space.table["c"].value = 0.6;
    tb::SearchOptions o;
    o.method = "dfs";
    o.simulations = 10;
    o.valueThreshold = 0.25;
    o.maxDepth = 3;
    const auto t = tb::treeOfThought(space, o, true);
    QCOMPARE(t.kind, std::string("dfs"));
    QCOMPARE(t.iterations(), 4);
    QCOMPARE(t.size(), 9);
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 8}));
    QVERIFY(t.nodes[8].correct);
    QCOMPARE(space.expandCalls["b"], 0);
    QCOMPARE(t.nodes[2].stats.visits, 0);
    QCOMPARE(t.nodes[5].createdAt, 2);
    QCOMPARE(t.nodes[6].createdAt, 3);
    QVERIFY(validationError(t).isEmpty());

    // A budget of 3 expansions finds nothing correct: the best terminal is c1x (0.4 > d's -1).
    TableSpace again = levelSpace();
    again.table["c"].value = 0.6;
    o.simulations = 3;
    const auto t3 = tb::treeOfThought(again, o, true);
    QCOMPARE(t3.iterations(), 3);
    QCOMPARE(t3.chosenPath, (std::vector<int>{0, 3, 5, 6}));
  }

  void bestOfNMergesPrefixesAndVotes() {
    // 3 chains draw p, q, p: p (id 1) is shared, both p chains end in pA (answer 5, wrong);
    //   q -> qA (answer 7, correct). The majority answer 5 wins although it is wrong.
    TableSpace space = voteSpace();
    tb::SearchOptions o;
    o.method = "best_of_n";
    o.samples = 3;
    const auto t = tb::bestOfN(space, o);
    QCOMPARE(t.kind, std::string("best_of_n"));
    QCOMPARE(t.size(), 5);  // root, p, q, pA, qA
    QCOMPARE(t.iterations(), 2);
    QCOMPARE(space.expandManyCalls, 2);
    QCOMPARE(t.nodes[0].stats.visits, 3);
    QCOMPARE(t.nodes[1].stats.visits, 2);
    QCOMPARE(t.nodes[3].stats.visits, 2);
    QCOMPARE(t.nodes[4].stats.visits, 1);
    TB_NEAR(t.nodes[1].prior, 0.5, 1e-12);
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 3}));
    QCOMPARE(t.nodes[0].extra["answer"].get<std::string>(), std::string("5"));
    QCOMPARE(t.nodes[0].extra["votes"]["5"].get<int>(), 2);
    QVERIFY(validationError(t).isEmpty());

    // 2 chains: one vote each; the tie goes to the higher reward, 7.
    TableSpace two = voteSpace();
    o.samples = 2;
    const auto t2 = tb::bestOfN(two, o);
    QCOMPARE(t2.chosenPath, (std::vector<int>{0, 2, 4}));
    QCOMPARE(t2.nodes[0].extra["answer"].get<std::string>(), std::string("7"));
  }

  void optionsValidation() {
    QVERIFY(inputErrorOf([] { tb::SearchOptions().validate(); }).isEmpty());
    auto refused = [](auto change) {
      tb::SearchOptions o;
      change(o);
      return inputErrorOf([&] { o.validate(); });
    };
    QVERIFY(refused([](auto& o) { o.simulations = 0; }).contains("simulations"));
    QVERIFY(refused([](auto& o) { o.maxDepth = 0; }).contains("max_depth"));
    QVERIFY(refused([](auto& o) { o.branching = 0; }).contains("branching"));
    QVERIFY(refused([](auto& o) { o.beamWidth = 0; }).contains("beam_width"));
    QVERIFY(refused([](auto& o) { o.samples = 0; }).contains("samples"));
    QVERIFY(refused([](auto& o) { o.discount = 0; }).contains("discount"));
    QVERIFY(refused([](auto& o) { o.discount = 1.5; }).contains("discount"));
    QVERIFY(refused([](auto& o) { o.exploration = -1; }).contains("exploration"));
    QVERIFY(refused([](auto& o) { o.method = "greedy"; }).contains("method"));
    QVERIFY(refused([](auto& o) { o.selection = "ucb"; }).contains("selection"));
    QVERIFY(refused([](auto& o) { o.discount = 1.0; }).isEmpty());
  }

  void runSearchDispatchesAndFillsTheTree() {
    TableSpace space = levelSpace();
    tb::SearchOptions o;
    o.method = "beam";
    o.beamWidth = 2;
    o.maxDepth = 3;
    const auto t = tb::runSearch(space, o, "Make 24");
    QCOMPARE(t.kind, std::string("beam"));
    QCOMPARE(t.prompt, std::string("Make 24"));
    QCOMPARE(t.params["beam_width"].get<int>(), 2);
    QCOMPARE(t.params["method"].get<std::string>(), std::string("beam"));
    QVERIFY(!t.label.empty());
    TableSpace other = levelSpace();
    o.method = "dfs";
    QCOMPARE(tb::runSearch(other, o).kind, std::string("dfs"));
    o.simulations = 0;
    QVERIFY(inputErrorOf([&] { tb::runSearch(other, o); }).contains("simulations"));
  }

  void restMctsInferredValueTargets() {
    // root -> s1 -> s2 -> s3 (correct): m = [3, 2, 1] -> v = [1/3, 2/3, 1].
    // s1 -> f (no correct leaf): m = 1 + remaining(s1) = 3, v = 1/3 + (2/3)(-1/3) = 1/9;
    // f -> g: v = max(0, 1/9 + (8/9)(-1/3)) = 0;  root -> h (wrong): v = max(0, -1/4) = 0.
    tb::ReasoningTree t;
    auto add = [&](int parent, bool correct) {
      tb::TreeNode n;
      n.parent = parent;
      n.correct = correct;
      n.terminal = correct;
      return t.addNode(n);
    };
    add(-1, false);       // 0 root
    add(0, false);        // 1 s1
    add(1, false);        // 2 s2
    add(2, true);         // 3 s3
    add(1, false);        // 4 f
    add(4, false);        // 5 g
    add(0, false);        // 6 h
    const auto v = tb::inferredValueTargets(t);
    QCOMPARE(v.size(), size_t{7});
    const std::vector<double> expected{0, 1.0 / 3, 2.0 / 3, 1, 1.0 / 9, 0, 0};
    for (size_t i = 0; i < v.size(); ++i) TB_NEAR(v[i], expected[i], 1e-9);

    // The nearest correct leaf sets m: root -> k1 -> k2 -> k3 (correct), k1 -> j (correct), and
    //   root -> s1 (correct). k1: nearest is j, m = 2, v = 1/2; k2: m = 2, v = 1/2 + (1/2)/2 = 3/4;
    //   k3: 1; s1: m = 1, v = 1; j: v = 1/2 + 1/2 = 1.
    tb::ReasoningTree u;
    auto addU = [&](int parent, bool correct) {
      tb::TreeNode n;
      n.parent = parent;
      n.correct = correct;
      return u.addNode(n);
    };
    addU(-1, false);
    addU(0, false);
    addU(1, false);
    addU(2, true);
    addU(0, true);
    addU(1, true);
    const auto w = tb::inferredValueTargets(u);
    QCOMPARE(w.size(), size_t{6});
    const std::vector<double> expectedW{0, 0.5, 0.75, 1, 1, 1};
    for (size_t i = 0; i < w.size(); ++i) TB_NEAR(w[i], expectedW[i], 1e-9);

    // No correct leaf: no targets.
    tb::ReasoningTree none;
    auto addN = [&](int parent) {
      tb::TreeNode n;
      n.parent = parent;
      return none.addNode(n);
    };
    addN(-1);
    addN(0);
    addN(1);
    QVERIFY(tb::inferredValueTargets(none).empty());
  }

  void mctsDpoSiblingPairs() {
    // root children Q: c1 0.2, c2 0.9, c3 -0.4 -> (0, c2, c3); c2's children tie at 0.5 -> none;
    // d1 has a single child -> none.
    tb::ReasoningTree t;
    auto add = [&](int parent, double q) {
      tb::TreeNode n;
      n.parent = parent;
      n.stats.q = q;
      return t.addNode(n);
    };
    add(-1, 0);    // 0
    add(0, 0.2);   // 1 c1
    add(0, 0.9);   // 2 c2
    add(0, -0.4);  // 3 c3
    add(2, 0.5);   // 4 d1
    add(2, 0.5);   // 5 d2
    add(4, 0.1);   // 6 e1
    t.chosenPath = {0, 2, 4, 6};
    const auto pairs = tb::siblingPreferencePairs(t);
    QCOMPARE(pairs.size(), size_t{1});
    QCOMPARE(pairs[0].parent, 0);
    QCOMPARE(pairs[0].chosen, 2);
    QCOMPARE(pairs[0].rejected, 3);
    QVERIFY(tb::siblingPreferencePairs(t, 2.0).empty());  // gap 1.3 below minGap

    // From MCTS (3 PUCT simulations, chosen path root, a, x): (root, a 1.66, b 0.47) and
    // (a, x 1.4, y -0.5).
    TableSpace space = mctsSpace();
    const auto m = tb::monteCarloTreeSearch(space, mctsOptions("puct", 3));
    const auto mp = tb::siblingPreferencePairs(m);
    QCOMPARE(mp.size(), size_t{2});
    QCOMPARE(mp[0].parent, 0);
    QCOMPARE(mp[0].chosen, 1);
    QCOMPARE(mp[0].rejected, 2);
    QCOMPARE(mp[1].parent, 1);
    QCOMPARE(mp[1].chosen, 3);
    QCOMPARE(mp[1].rejected, 4);
  }
};

QTEST_APPLESS_MAIN(TestSearch)
#include "test_search.moc"
