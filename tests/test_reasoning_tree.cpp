// Unit tests of reasoning trees: ReasoningTree's validation and history replay, the JSON formats
// (Thoughtbench's own, lossless; llm-reasoners' TreeLog, both ways, including a document shaped
// like the library's output), refusals of malformed input with their reasons (and no exception
// other than InputError for any mutation of a valid document), file I/O, and trajectory trees.
#include <QtTest>

#include "tests/TestSupport.h"

#include <QTemporaryDir>

#include <array>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/Error.h"
#include "core/search/ReasoningTree.h"
#include "core/search/TrajectoryTree.h"
#include "core/search/TreeJson.h"

using nlohmann::json;
using tb::NodeStats;
using tb::ReasoningTree;
using tb::TreeNode;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TreeNode makeNode(int parent, const std::string& step, int createdAt, NodeStats stats) {
  TreeNode n;
  n.parent = parent;
  n.step = step;
  n.state = "after " + step;
  n.createdAt = createdAt;
  n.stats = stats;
  return n;
}

// Root 0 -> {1 "a", 2 "b"}, 1 -> 3 "c" (terminal, correct), 2 -> 4 "d" (terminal); three
// iterations of history; every field set somewhere.
ReasoningTree fullTree() {
  ReasoningTree t;
  t.kind = "mcts";
  t.task = "game24";
  t.problemId = "p-17";
  t.prompt = "Use 4 6 8 9 to make 24";
  t.label = "mcts 3 sims";
  t.params = {{"c_puct", 1.25}, {"simulations", 3}};
  TreeNode root = makeNode(-1, "", 0, {3, 0.5, 0});
  root.step = "";
  root.state = "4 6 8 9";
  root.extra = {{"note", "root"}};
  t.addNode(root);
  TreeNode a = makeNode(0, "a", 1, {2, 0.75, 0.8});
  a.reward = 0.1;
  a.prior = 0.6;
  a.logProb = -1.5;
  a.logFlow = -0.25;
  a.extra = {{"sources", {{"policy", 2}}}, {"list", {1, 2, 3}}};
  t.addNode(a);
  TreeNode b = makeNode(0, "b", 1, {1, 0, -0.1});
  b.prior = 0.4;
  b.reward = -0.1;
  b.logProb = -2.25;  // log flow stays NaN
  t.addNode(b);
  TreeNode c = makeNode(1, "c", 2, {1, 1, 1});
  c.terminal = true;
  c.correct = true;
  c.reward = 1;
  c.logFlow = 0.5;
  c.extra = "a plain string";
  t.addNode(c);
  TreeNode d = makeNode(2, "d", 3, {1, 0, 0});
  d.terminal = true;
  t.addNode(d);
  t.chosenPath = {0, 1, 3};
  t.history = {
      {{{0, {1, 0.5, 0}}, {1, {1, 0.5, 0.5}}, {2, {0, 0.2, 0.2}}}},
      {{{0, {2, 0.75, 0}}, {1, {2, 0.75, 0.8}}, {3, {1, 1, 1}}}},
      {{{0, {3, 0.5, 0}}, {2, {1, 0, -0.1}}, {4, {1, 0, 0}}}},
  };
  return t;
}

bool sameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Field-by-field equality, reporting the first difference.
void compareTrees(const ReasoningTree& got, const ReasoningTree& want) {
  QCOMPARE(got.kind, want.kind);
  QCOMPARE(got.task, want.task);
  QCOMPARE(got.problemId, want.problemId);
  QCOMPARE(got.prompt, want.prompt);
  QCOMPARE(got.label, want.label);
  QCOMPARE(got.params, want.params);
  QCOMPARE(got.size(), want.size());
  for (int i = 0; i < want.size(); ++i) {
    const TreeNode& g = got.nodes[i];
    const TreeNode& w = want.nodes[i];
    QCOMPARE(g.id, w.id);
    QCOMPARE(g.parent, w.parent);
    QCOMPARE(g.children, w.children);
    QCOMPARE(g.step, w.step);
    QCOMPARE(g.state, w.state);
    QCOMPARE(g.depth, w.depth);
    QCOMPARE(g.stats.visits, w.stats.visits);
    QCOMPARE(g.stats.value, w.stats.value);
    QCOMPARE(g.stats.q, w.stats.q);
    QCOMPARE(g.reward, w.reward);
    QCOMPARE(g.prior, w.prior);
    QCOMPARE(g.logProb, w.logProb);
    QVERIFY2(sameDouble(g.logFlow, w.logFlow), qPrintable(QStringLiteral("node %1 log flow").arg(i)));
    QCOMPARE(g.terminal, w.terminal);
    QCOMPARE(g.correct, w.correct);
    QCOMPARE(g.createdAt, w.createdAt);
    QCOMPARE(g.extra, w.extra);
  }
  QCOMPARE(got.chosenPath, want.chosenPath);
  QCOMPARE(got.iterations(), want.iterations());
  for (int it = 0; it < want.iterations(); ++it) {
    const auto& g = got.history[it].changes;
    const auto& w = want.history[it].changes;
    QCOMPARE(g.size(), w.size());
    for (size_t k = 0; k < w.size(); ++k) {
      QCOMPARE(g[k].first, w[k].first);
      QCOMPARE(g[k].second.visits, w[k].second.visits);
      QCOMPARE(g[k].second.value, w[k].second.value);
      QCOMPARE(g[k].second.q, w[k].second.q);
    }
  }
}

// A TreeLog shaped like reasoners.visualization's output for an MCTS run: node ids in creation
// order (not BFS: root 0 -> {1, 4}, 1 -> {2, 3}, 4 -> 5), edges numbered depth-first and
// renumbered in every snapshot, Q and reward details in edge data, node data the state (a
// string, an object, or the state's own fields as llm-reasoners' default factory writes them).
const char* kLibraryLog = R"({"logs": [
 {"nodes": {
   "0": {"id": 0, "data": {}, "selected_edge": 0, "convert_images": false},
   "1": {"id": 1, "data": {"state": "8 9 10"}, "selected_edge": null, "convert_images": false},
   "4": {"id": 4, "data": {"state": "4 6 17"}, "selected_edge": null, "convert_images": false}},
  "edges": {
   "0": {"id": 0, "source": 0, "target": 1, "data": {"Q": 0.4, "reward": 0.4, "action": "4+6=10", "self_eval": 0.8, "intuition": -0.5}, "convert_images": false},
   "1": {"id": 1, "source": 0, "target": 4, "data": {"Q": 0.1, "reward": 0.1, "action": "8+9=17", "self_eval": 0.2, "intuition": -1.5}, "convert_images": false}}},
 {"nodes": {
   "0": {"id": 0, "data": {}, "selected_edge": 0, "convert_images": false},
   "1": {"id": 1, "data": {"state": "8 9 10"}, "selected_edge": 1, "convert_images": false},
   "2": {"id": 2, "data": {"state": {"left": [9, 80], "step_idx": 2}}, "selected_edge": null, "convert_images": false},
   "4": {"id": 4, "data": {"state": "4 6 17"}, "selected_edge": null, "convert_images": false}},
  "edges": {
   "0": {"id": 0, "source": 0, "target": 1, "data": {"Q": 0.5, "reward": 0.4, "action": "4+6=10", "self_eval": 0.8, "intuition": -0.5}, "convert_images": false},
   "1": {"id": 1, "source": 1, "target": 2, "data": {"Q": 0.6, "reward": 0.6, "action": "8*10=80", "self_eval": 0.9, "intuition": -0.7}, "convert_images": false},
   "2": {"id": 2, "source": 0, "target": 4, "data": {"Q": 0.1, "reward": 0.1, "action": "8+9=17", "self_eval": 0.2, "intuition": -1.5}, "convert_images": false}}},
 {"nodes": {
   "0": {"id": 0, "data": {}, "selected_edge": 0, "convert_images": false},
   "1": {"id": 1, "data": {"state": "8 9 10"}, "selected_edge": 2, "convert_images": false},
   "2": {"id": 2, "data": {"state": {"left": [9, 80], "step_idx": 2}}, "selected_edge": null, "convert_images": false},
   "3": {"id": 3, "data": {"state": "9 18", "step_idx": 2}, "selected_edge": null, "convert_images": false},
   "4": {"id": 4, "data": {"step_idx": 1, "blocks_state": "4 6 17"}, "selected_edge": 4, "convert_images": false},
   "5": {"id": 5, "data": {"state": "17 24"}, "selected_edge": null, "convert_images": false}},
  "edges": {
   "0": {"id": 0, "source": 0, "target": 1, "data": {"Q": 0.7, "reward": 0.4, "action": "4+6=10", "self_eval": 0.8, "intuition": -0.5}, "convert_images": false},
   "1": {"id": 1, "source": 1, "target": 2, "data": {"Q": 0.6, "reward": 0.6, "action": "8*10=80", "self_eval": 0.9, "intuition": -0.7}, "convert_images": false},
   "2": {"id": 2, "source": 1, "target": 3, "data": {"Q": 0.9, "reward": 0.9, "action": "8+10=18", "self_eval": 0.95, "intuition": -0.1}, "convert_images": false},
   "3": {"id": 3, "source": 0, "target": 4, "data": {"Q": 0.1, "reward": 0.1, "action": "8+9=17", "self_eval": 0.2, "intuition": -1.5}, "convert_images": false},
   "4": {"id": 4, "source": 4, "target": 5, "data": {"Q": 0.3, "action": "6+17=23"}, "convert_images": false}}}
]})";

// A minimal one-snapshot TreeLog from node ids and (edge id, source, target) triples.
json logOf(const std::vector<long long>& nodes, const std::vector<std::array<long long, 3>>& edges) {
  json snapshot = {{"nodes", json::object()}, {"edges", json::object()}};
  for (long long id : nodes) snapshot["nodes"][std::to_string(id)] = {{"id", id}, {"data", json::object()}};
  for (const auto& [id, source, target] : edges)
    snapshot["edges"][std::to_string(id)] = {{"id", id}, {"source", source}, {"target", target}, {"data", {{"Q", 0.5}}}};
  return {{"logs", {snapshot}}};
}

// JSON pointers to every value of a document.
std::vector<json::json_pointer> pointersOf(const json& doc) {
  std::vector<json::json_pointer> out;
  std::vector<std::pair<json::json_pointer, const json*>> stack{{json::json_pointer(), &doc}};
  while (!stack.empty()) {
    auto [ptr, j] = stack.back();
    stack.pop_back();
    out.push_back(ptr);
    if (j->is_object())
      for (auto it = j->begin(); it != j->end(); ++it) stack.push_back({ptr / it.key(), &it.value()});
    else if (j->is_array())
      for (size_t i = 0; i < j->size(); ++i) stack.push_back({ptr / i, &(*j)[i]});
  }
  return out;
}

// Replaces every value of `doc` with values of every type (and removes every member): reading
// must succeed or throw InputError, never anything else. Returns the number of refusals.
int mutateAndRead(const json& doc) {
  const std::vector<json> replacements = {
      "text", -1, 1.5, 1e300, json::array(), json::object(), nullptr, true,
      std::numeric_limits<unsigned long long>::max(), json::array({json::array({0, 1, 2, 3})})};
  int refusals = 0;
  const auto attempt = [&](const json& mutated, const std::string& what) {
    try {
      const ReasoningTree t = tb::readTreeJson(mutated, "mutated.json");
      t.validate();  // whatever is accepted is a valid tree
      (void)tb::treeToLlmReasoners(t);
      (void)tb::treeToJson(t);
    } catch (const tb::InputError& e) {
      ++refusals;
      if (!QString::fromUtf8(e.what()).contains("mutated.json"))
        QTest::qFail(qPrintable(QStringLiteral("message without the source: %1").arg(e.what())), __FILE__, __LINE__);
    } catch (const std::exception& e) {
      QTest::qFail(qPrintable(QStringLiteral("%1: %2").arg(QString::fromStdString(what), e.what())), __FILE__,
                   __LINE__);
    }
  };
  for (const auto& ptr : pointersOf(doc)) {
    for (const json& r : replacements) {
      json mutated = doc;
      mutated[ptr] = r;
      attempt(mutated, ptr.to_string() + " = " + r.dump());
    }
    if (!ptr.empty() && doc[ptr.parent_pointer()].is_object()) {
      json mutated = doc;
      mutated[ptr.parent_pointer()].erase(ptr.back());
      attempt(mutated, "without " + ptr.to_string());
    }
  }
  return refusals;
}

tb::SampledTrajectory sample(const std::string& completion, double reward, bool correct) {
  tb::SampledTrajectory t;
  t.completion = completion;
  t.reward = reward;
  t.correct = correct;
  return t;
}

void writeText(const QString& path, const std::string& text) {
  std::ofstream out(path.toStdString(), std::ios::binary);
  out << text;
}

}  // namespace

class TestReasoningTree : public QObject {
  Q_OBJECT

 private slots:
  // ------------------------------------------------------------------ ReasoningTree
  void validateAcceptsTheFullTree() {
    const ReasoningTree t = fullTree();
    t.validate();
    QCOMPARE(t.nodes[0].children, (std::vector<int>{1, 2}));
    QCOMPARE(t.nodes[3].depth, 2);
    QCOMPARE(t.textTo(3), std::string("a\nc"));
    QCOMPARE(t.pathTo(4), (std::vector<int>{0, 2, 4}));
    QCOMPARE(t.maxDepth(), 2);
  }

  void validateRefusesBrokenTrees() {
    ReasoningTree t = fullTree();
    // A child before its parent (node 1 names node 3 as parent; lists rebuilt to agree).
    t.nodes[3].children.clear();
    t.nodes[1].parent = 3;
    t.nodes[0].children = {2};
    t.nodes[3].children = {1};
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("node 1 has parent 3, which does not precede it"));

    t = fullTree();
    t.chosenPath = {0, 2, 3};
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("chosen path is not a path from the root (node 3 follows 2)"));
    t.chosenPath = {1, 3};
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("chosen path"));
    t.chosenPath = {0, 9};
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("names node 9, which does not exist"));

    t = fullTree();
    t.nodes[0].children = {1};
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("children list does not match"));
    t = fullTree();
    t.nodes[1].children.push_back(4);
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("node 1 lists child 4, whose parent is not 1"));
    t = fullTree();
    t.nodes[2].id = 7;
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("has id 7"));
    t = fullTree();
    for (auto& n : t.nodes) n.depth += 1;  // consistent, but the root is not at depth 0
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("the root has depth 1, expected 0"));
    t = fullTree();
    t.nodes[4].depth = 5;
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("node 4 has depth 5, expected 2"));
    t = fullTree();
    t.nodes[2].parent = 11;
    t.nodes[0].children = {1};
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("node 2 has parent 11, which does not exist"));
    t = fullTree();
    t.history[0].changes.push_back({12, {}});
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("iteration 1 changes node 12, which does not exist"));
    t = fullTree();
    t.history[0].changes.push_back({4, {}});  // node 4 is created in iteration 3
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("before it was created"));
    t = fullTree();
    t.nodes[2].stats.value = kNaN;
    QVERIFY(inputErrorOf([&] { t.validate(); }).contains("non-finite"));
    QVERIFY(inputErrorOf([] { ReasoningTree{}.validate(); }).contains("no nodes"));
  }

  void statsAtReplaysHistory() {
    const ReasoningTree t = fullTree();
    std::vector<bool> present;
    auto s = t.statsAt(0, &present);
    QCOMPARE(present, (std::vector<bool>{true, false, false, false, false}));
    for (const auto& st : s) QCOMPARE(st.visits, 0);
    s = t.statsAt(1, &present);
    QCOMPARE(present, (std::vector<bool>{true, true, true, false, false}));
    QCOMPARE(s[0].visits, 1);
    QCOMPARE(s[1].q, 0.5);
    QCOMPARE(s[2].value, 0.2);
    s = t.statsAt(2, &present);
    QCOMPARE(present, (std::vector<bool>{true, true, true, true, false}));
    QCOMPARE(s[0].visits, 2);
    QCOMPARE(s[1].q, 0.8);
    QCOMPARE(s[2].value, 0.2);  // unchanged in iteration 2
    QCOMPARE(s[3].visits, 1);
    s = t.statsAt(3, &present);
    QCOMPARE(present, std::vector<bool>(5, true));
    for (int i = 0; i < t.size(); ++i) {
      QCOMPARE(s[i].visits, t.nodes[i].stats.visits);
      QCOMPARE(s[i].value, t.nodes[i].stats.value);
      QCOMPARE(s[i].q, t.nodes[i].stats.q);
    }
    QCOMPARE(t.statsAt(99)[0].visits, 3);  // past the end: final
    QCOMPARE(t.statsAt(-4)[0].visits, 0);  // before the start: nothing yet
  }

  // ------------------------------------------------------------------ Own format
  void ownFormatRoundTripIsLossless() {
    const ReasoningTree t = fullTree();
    const json j = tb::treeToJson(t);
    QCOMPARE(j["format"], json("thoughtbench-tree"));
    QCOMPARE(j["version"], json(1));
    QVERIFY(j["nodes"][2]["log_flow"].is_null());  // NaN is written as null
    QCOMPARE(j["nodes"][1]["log_flow"], json(-0.25));
    // Through text, as a file would be.
    const ReasoningTree back = tb::treeFromJson(json::parse(j.dump()), "t.json");
    compareTrees(back, t);
    if (QTest::currentTestFailed()) return;
    compareTrees(tb::readTreeJson(j, "t.json"), t);
    if (QTest::currentTestFailed()) return;

    // Children come from the parents, whatever the file says.
    json tampered = j;
    tampered["nodes"][0]["children"] = {4, 99};
    tampered["nodes"][3]["children"] = "nonsense";
    compareTrees(tb::treeFromJson(tampered, "t.json"), t);
    if (QTest::currentTestFailed()) return;

    // Depth may be left out; it is derived from the parent.
    json noDepth = j;
    for (auto& n : noDepth["nodes"]) n.erase("depth");
    QCOMPARE(tb::treeFromJson(noDepth, "t.json").nodes[4].depth, 2);

    // Awkward values survive: floating-point detail, unicode, empty history.
    ReasoningTree odd = fullTree();
    odd.nodes[1].stats.value = 0.1 + 0.2;
    odd.nodes[2].prior = 1e-300;
    odd.nodes[3].step = "24 \xE2\x9C\x93 \"quoted\"\n\ttab";
    odd.history.clear();
    for (auto& n : odd.nodes) n.createdAt = 0;
    compareTrees(tb::treeFromJson(json::parse(tb::treeToJson(odd).dump()), "odd.json"), odd);
  }

  void ownFormatRefusesMalformedDocuments() {
    const json good = tb::treeToJson(fullTree());
    const auto refusal = [](const json& doc) { return inputErrorOf([&] { tb::readTreeJson(doc, "bad.json"); }); };
    json d = good;
    d["nodes"][1]["visits"] = "3";
    QString m = refusal(d);
    QVERIFY2(m.contains("bad.json") && m.contains("node 1") && m.contains("\"visits\"") && m.contains("integer"),
             qPrintable(m));
    d = good;
    d["nodes"] = 5;
    m = refusal(d);
    QVERIFY2(m.contains("bad.json") && m.contains("\"nodes\" must be an array"), qPrintable(m));
    d = good;
    d["nodes"][2]["value"] = "high";
    QVERIFY(refusal(d).contains("node 2: \"value\" must be a finite number"));
    d = good;
    d["nodes"][2]["terminal"] = 1;
    QVERIFY(refusal(d).contains("\"terminal\" must be true or false"));
    d = good;
    d["nodes"][2]["log_flow"] = "none";
    QVERIFY(refusal(d).contains("\"log_flow\" must be a number or null"));
    d = good;
    d["nodes"][3]["parent"] = 9;
    QVERIFY(refusal(d).contains("node 3 has parent 9, which does not exist"));
    d = good;
    d["nodes"][1]["parent"] = 3;  // a child listed before its parent (and a cycle 1 -> 3 -> 1)
    m = refusal(d);
    QVERIFY2(m.contains("bad.json: tree: node 1 has parent 3, which does not precede it"), qPrintable(m));
    d = good;
    d["nodes"][4].erase("parent");
    QVERIFY(refusal(d).contains("node 4: missing \"parent\""));
    d = good;
    d["nodes"][1]["visits"] = -2;
    QVERIFY(refusal(d).contains("\"visits\" must be an integer in [0,"));
    d = good;
    d["chosen_path"] = {0, 2, 3};
    QVERIFY(refusal(d).contains("chosen path is not a path from the root"));
    d = good;
    d["chosen_path"] = "0,1,3";
    QVERIFY(refusal(d).contains("\"chosen_path\" must be an array of node ids"));
    d = good;
    d["history"][1][0] = {0, "two", 0.5, 0};
    QVERIFY(refusal(d).contains("history iteration 2: expected [id, visits, value, q]"));
    d = good;
    d["history"][0].push_back({42, 1, 0, 0});
    QVERIFY(refusal(d).contains("iteration 1 changes node 42, which does not exist"));
    d = good;
    d["version"] = 2;
    QVERIFY(refusal(d).contains("version 2 is not supported (expected 1)"));
    d = good;
    d["format"] = "graphml";
    m = refusal(d);
    QVERIFY2(m.contains("unknown format \"graphml\"") && m.contains("thoughtbench-tree"), qPrintable(m));
    d = good;
    d["nodes"] = json::array();
    QVERIFY(refusal(d).contains("has no nodes"));
    d = good;
    d["nodes"][0] = "root";
    QVERIFY(refusal(d).contains("node at position 0: expected a node"));

    // Neither format.
    m = refusal(json{{"tree", 1}});
    QVERIFY2(m.contains("bad.json: not a reasoning tree") && m.contains("\"logs\"") && m.contains("\"format\""),
             qPrintable(m));
    QVERIFY(refusal(json::array({1, 2})).contains("not a reasoning tree"));
    QVERIFY(refusal(json("text")).contains("not a reasoning tree"));
    QVERIFY(refusal(json()).contains("not a reasoning tree"));

    // Deep nesting is refused instead of overflowing the stack.
    json deep = json::array();
    for (int i = 0; i < 5000; ++i) deep = json::array({std::move(deep)});
    d = good;
    d["nodes"][1]["extra"] = std::move(deep);
    QVERIFY(refusal(d).contains("nested deeper than"));
  }

  void ownFormatSurvivesEveryMutation() {
    const int refusals = mutateAndRead(tb::treeToJson(fullTree()));
    QVERIFY(refusals > 100);
  }

  // ------------------------------------------------------------------ llm-reasoners TreeLog
  void llmReasonersExportHasTheLibraryShape() {
    const ReasoningTree t = fullTree();
    const json log = tb::treeToLlmReasoners(t);
    QCOMPARE(log["logs"].size(), size_t(3));  // one snapshot per iteration
    const json& first = log["logs"][0];
    QCOMPARE(first["nodes"].size(), size_t(3));  // nodes 0, 1, 2 exist after iteration 1
    QCOMPARE(first["edges"].size(), size_t(2));
    QCOMPARE(first["nodes"]["1"]["data"]["visits"], json(1));  // stats as of iteration 1
    QCOMPARE(first["edges"]["1"]["data"]["Q"], json(0.5));
    const json& last = log["logs"][2];
    QCOMPARE(last["nodes"].size(), size_t(5));
    const json& root = last["nodes"]["0"];
    QCOMPARE(root["id"], json(0));
    QCOMPARE(root["data"]["state"], json("4 6 8 9"));
    QCOMPARE(root["data"]["note"], json("root"));  // extra rides along in node data
    // The chosen path's edges are selected; node 2 (off the path) selects its best-Q child.
    const long long rootEdge = root["selected_edge"].get<long long>();
    QCOMPARE(last["edges"][std::to_string(rootEdge)]["target"], json(1));
    const long long aEdge = last["nodes"]["1"]["selected_edge"].get<long long>();
    QCOMPARE(last["edges"][std::to_string(aEdge)]["target"], json(3));
    QCOMPARE(last["edges"][last["nodes"]["2"]["selected_edge"].dump()]["target"], json(4));
    QVERIFY(last["nodes"]["3"]["selected_edge"].is_null());
    QVERIFY(last["nodes"]["4"]["selected_edge"].is_null());
    const json& edgeToC = last["edges"][std::to_string(aEdge)];
    QCOMPARE(edgeToC["source"], json(1));
    QCOMPARE(edgeToC["data"]["Q"], json(1.0));
    QCOMPARE(edgeToC["data"]["reward"], json(1.0));
    QCOMPARE(edgeToC["data"]["step"], json("c"));
    QCOMPARE(edgeToC["convert_images"], json(false));
    QCOMPARE(last["nodes"]["3"]["data"]["correct"], json(true));
    // Without history: the final tree as the only snapshot.
    ReasoningTree flat = fullTree();
    flat.history.clear();
    QCOMPARE(tb::treeToLlmReasoners(flat)["logs"].size(), size_t(1));
    // Off the chosen path, the highest-Q child: node 1 (Q 0.8) over node 2 (Q -0.1) at the root;
    // the chosen path's end selects nothing.
    flat.chosenPath = {0, 2, 4};
    const json other = tb::treeToLlmReasoners(flat)["logs"][0];
    QCOMPARE(other["nodes"]["0"]["selected_edge"], json(2));
    QCOMPARE(other["nodes"]["1"]["selected_edge"], json(3));
    flat.chosenPath = {0, 1};
    flat.nodes[2].stats.q = 0.9;
    const json stop = tb::treeToLlmReasoners(flat)["logs"][0];
    QCOMPARE(stop["nodes"]["0"]["selected_edge"], json(1));
    QVERIFY(stop["nodes"]["1"]["selected_edge"].is_null());
    flat.chosenPath.clear();
    QCOMPARE(tb::treeToLlmReasoners(flat)["logs"][0]["nodes"]["0"]["selected_edge"], json(2));
  }

  void llmReasonersRoundTripKeepsTheTree() {
    const ReasoningTree t = fullTree();
    const ReasoningTree back = tb::treeFromLlmReasoners(json::parse(tb::treeToLlmReasoners(t).dump()), "log.json");
    QCOMPARE(back.kind, t.kind);  // our metadata rides at the top level
    QCOMPARE(back.problemId, t.problemId);
    QCOMPARE(back.params, t.params);
    QCOMPARE(back.size(), t.size());
    for (int i = 0; i < t.size(); ++i) {  // already parent-first, so ids are kept
      QCOMPARE(back.nodes[i].parent, t.nodes[i].parent);
      QCOMPARE(back.nodes[i].step, t.nodes[i].step);
      QCOMPARE(back.nodes[i].state, t.nodes[i].state);
      QCOMPARE(back.nodes[i].stats.visits, t.nodes[i].stats.visits);
      QCOMPARE(back.nodes[i].stats.value, t.nodes[i].stats.value);
      QCOMPARE(back.nodes[i].stats.q, t.nodes[i].stats.q);
      QCOMPARE(back.nodes[i].reward, t.nodes[i].reward);
      QCOMPARE(back.nodes[i].prior, t.nodes[i].prior);
      QCOMPARE(back.nodes[i].logProb, t.nodes[i].logProb);
      QVERIFY(sameDouble(back.nodes[i].logFlow, t.nodes[i].logFlow));
      QCOMPARE(back.nodes[i].terminal, t.nodes[i].terminal);
      QCOMPARE(back.nodes[i].correct, t.nodes[i].correct);
      QCOMPARE(back.nodes[i].createdAt, t.nodes[i].createdAt);
    }
    QCOMPARE(back.nodes[1].extra, t.nodes[1].extra);  // object extras come back whole
    QCOMPARE(back.nodes[0].extra, t.nodes[0].extra);
    QCOMPARE(back.nodes[3].extra, json({{"extra", "a plain string"}}));  // others under "extra"
    QCOMPARE(back.chosenPath, t.chosenPath);
    QCOMPARE(back.iterations(), t.iterations());
    // The replay agrees at every iteration (the history may record a change differently, not
    // its effect).
    for (int it = 0; it <= t.iterations(); ++it) {
      std::vector<bool> pa, pb;
      const auto a = t.statsAt(it, &pa);
      const auto b = back.statsAt(it, &pb);
      QCOMPARE(pb, pa);
      for (int i = 0; i < t.size(); ++i) {
        if (!pa[i]) continue;
        QCOMPARE(b[i].visits, a[i].visits);
        QCOMPARE(b[i].value, a[i].value);
        QCOMPARE(b[i].q, a[i].q);
      }
    }
    // Without history, without history.
    ReasoningTree flat = fullTree();
    flat.history.clear();
    for (auto& n : flat.nodes) n.createdAt = 0;
    const ReasoningTree flatBack = tb::readTreeJson(tb::treeToLlmReasoners(flat), "flat.json");
    QCOMPARE(flatBack.iterations(), 0);
    QCOMPARE(flatBack.nodes[4].createdAt, 0);
    QCOMPARE(flatBack.chosenPath, flat.chosenPath);
  }

  void llmReasonersImportsTheLibrarysOutput() {
    const ReasoningTree t = tb::readTreeJson(json::parse(kLibraryLog), "mcts_log.json");
    QCOMPARE(t.kind, std::string("imported"));
    QCOMPARE(t.size(), 6);
    // Renumbered breadth-first: original 0, 1, 4, 2, 3, 5 -> 0..5.
    QCOMPARE(t.nodes[1].parent, 0);
    QCOMPARE(t.nodes[2].parent, 0);
    QCOMPARE(t.nodes[3].parent, 1);
    QCOMPARE(t.nodes[4].parent, 1);
    QCOMPARE(t.nodes[5].parent, 2);
    QCOMPARE(t.nodes[1].step, std::string("4+6=10"));  // from edge data "action"
    QCOMPARE(t.nodes[2].step, std::string("8+9=17"));
    QCOMPARE(t.nodes[4].step, std::string("8+10=18"));
    QCOMPARE(t.nodes[5].step, std::string("6+17=23"));
    QCOMPARE(t.nodes[5].depth, 2);
    QCOMPARE(t.textTo(4), std::string("4+6=10\n8+10=18"));
    // State: a string as is, an object as JSON, absent as empty (its fields kept in extra).
    QCOMPARE(t.nodes[1].state, std::string("8 9 10"));
    QCOMPARE(json::parse(t.nodes[3].state), json({{"left", {9, 80}}, {"step_idx", 2}}));
    QCOMPARE(t.nodes[2].state, std::string());
    QCOMPARE(t.nodes[2].extra["blocks_state"], json("4 6 17"));
    QCOMPARE(t.nodes[4].extra["step_idx"], json(2));
    // Q and reward from the edge; reward details kept.
    TB_NEAR(t.nodes[1].stats.q, 0.7, 0);
    TB_NEAR(t.nodes[1].reward, 0.4, 0);
    TB_NEAR(t.nodes[4].stats.q, 0.9, 0);
    TB_NEAR(t.nodes[5].reward, 0, 0);  // absent: 0
    QCOMPARE(t.nodes[1].extra["self_eval"], json(0.8));
    QCOMPARE(t.nodes[1].extra["intuition"], json(-0.5));
    QVERIFY(!t.nodes[1].extra.contains("Q") && !t.nodes[1].extra.contains("action"));
    QVERIFY(t.nodes[0].extra.is_null());
    QCOMPARE(t.nodes[0].stats.visits, 0);  // the library writes no visits
    // selected_edge: root -> original 1 -> original 3.
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1, 4}));
    // Growth: node creation and Q changes per snapshot.
    QCOMPARE(t.iterations(), 3);
    QCOMPARE(t.nodes[0].createdAt, 0);
    QCOMPARE(t.nodes[1].createdAt, 1);
    QCOMPARE(t.nodes[2].createdAt, 1);
    QCOMPARE(t.nodes[3].createdAt, 2);
    QCOMPARE(t.nodes[4].createdAt, 3);
    QCOMPARE(t.nodes[5].createdAt, 3);
    std::vector<bool> present;
    auto s = t.statsAt(1, &present);
    QCOMPARE(present, (std::vector<bool>{true, true, true, false, false, false}));
    TB_NEAR(s[1].q, 0.4, 0);
    s = t.statsAt(2);
    TB_NEAR(s[1].q, 0.5, 0);  // edge ids differ per snapshot; matched by target
    TB_NEAR(s[2].q, 0.1, 0);
    TB_NEAR(s[3].q, 0.6, 0);
    QCOMPARE(t.history[1].changes.size(), size_t(2));  // node 1's Q and the new node 3
    TB_NEAR(t.statsAt(3)[1].q, 0.7, 0);

    // The same log with nodes and edges as arrays reads the same.
    json arrays = json::parse(kLibraryLog);
    for (auto& snap : arrays["logs"])
      for (const char* key : {"nodes", "edges"}) {
        json list = json::array();
        for (auto& [k, v] : snap[key].items()) list.push_back(v);
        snap[key] = list;
      }
    compareTrees(tb::readTreeJson(arrays, "arrays.json"), t);
    if (QTest::currentTestFailed()) return;

    // Keys without "id" fields are the ids.
    json keyed = json::parse(kLibraryLog);
    for (auto& snap : keyed["logs"])
      for (auto& [k, v] : snap["nodes"].items()) v.erase("id");
    compareTrees(tb::readTreeJson(keyed, "keyed.json"), t);
    if (QTest::currentTestFailed()) return;

    // A single snapshot with an unvisited node: NaN Q (Python's json writes it) reads as unknown.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("nan.json");
    writeText(path,
              R"({"logs": [{"nodes": {"7": {"id": 7, "data": {"state": "s"}, "selected_edge": 3},
                                      "2": {"id": 2, "data": {}, "selected_edge": null}},
                            "edges": {"3": {"id": 3, "source": 7, "target": 2,
                                            "data": {"Q": NaN, "reward": -Infinity, "action": "go", "note": "NaN"}}}}]})");
    const ReasoningTree nan = tb::readTreeFile(path.toStdString());
    QCOMPARE(nan.size(), 2);
    QCOMPARE(nan.nodes[0].state, std::string("s"));
    QCOMPARE(nan.nodes[1].step, std::string("go"));
    QCOMPARE(nan.nodes[1].stats.q, 0.0);
    QCOMPARE(nan.nodes[1].reward, 0.0);
    QCOMPARE(nan.nodes[1].extra["note"], json("NaN"));  // strings untouched
    QCOMPARE(nan.chosenPath, (std::vector<int>{0, 1}));
    QCOMPARE(nan.iterations(), 0);
  }

  void llmReasonersRefusesBrokenLogs() {
    const auto refusal = [](const json& doc) { return inputErrorOf([&] { tb::readTreeJson(doc, "log.json"); }); };
    QString m = refusal(logOf({0, 1, 2}, {{0, 0, 1}, {1, 1, 2}, {2, 2, 1}}));
    QVERIFY2(m.contains("log.json") && m.contains("node 1 has two parents (edges 0 and 2"), qPrintable(m));
    m = refusal(logOf({0, 1, 2}, {{0, 1, 2}, {1, 2, 1}}));  // root 0 alone, 1 <-> 2 a cycle
    QVERIFY2(m.contains("not reachable from root 0 (a cycle)"), qPrintable(m));
    m = refusal(logOf({0, 1}, {{0, 0, 1}, {1, 1, 0}}));
    QVERIFY2(m.contains("no root (cycle)"), qPrintable(m));
    m = refusal(logOf({0, 1}, {{0, 0, 1}, {1, 1, 1}}));
    QVERIFY2(m.contains("edge 1 joins node 1 to itself (a cycle)"), qPrintable(m));
    m = refusal(logOf({0, 1}, {{0, 0, 1}, {1, 1, 9}}));
    QVERIFY2(m.contains("edge 1 names node 9, which is not in the snapshot"), qPrintable(m));
    m = refusal(logOf({0, 1, 2}, {{0, 0, 1}}));
    QVERIFY2(m.contains("two roots (nodes 0 and 2"), qPrintable(m));
    m = refusal(logOf({0, 1, 2, 3}, {{0, 0, 1}}));
    QVERIFY2(m.contains("3 roots (nodes 0, 2 and 3"), qPrintable(m));

    const json good = json::parse(kLibraryLog);
    json d = good;
    d["logs"][2]["nodes"]["1"]["data"]["visits"] = "3";
    m = refusal(d);
    QVERIFY2(m.contains("log.json: snapshot 3: node 1 data: \"visits\" must be an integer >= 0"), qPrintable(m));
    d = good;
    d["logs"][0]["edges"]["0"]["data"]["Q"] = "high";
    m = refusal(d);
    QVERIFY2(m.contains("snapshot 1: edge 0 data: \"Q\" must be a number"), qPrintable(m));
    d = good;
    d["logs"][1]["nodes"] = 5;
    m = refusal(d);
    QVERIFY2(m.contains("snapshot 2: \"nodes\" must be an object keyed by id or an array"), qPrintable(m));
    d = good;
    d["logs"][2]["edges"]["3"]["source"] = "0";
    QVERIFY(refusal(d).contains("edge 3: \"source\" must be an integer"));
    d = good;
    d["logs"][2]["nodes"]["4"]["id"] = 6;
    QVERIFY(refusal(d).contains("node \"4\": is keyed \"4\" but has id 6"));
    d = good;
    d["logs"][2]["nodes"]["1"]["selected_edge"] = 4;
    QVERIFY(refusal(d).contains("node 1 has selected_edge 4, which is not an edge out of it"));
    d = good;
    d["logs"][2]["nodes"]["1"]["selected_edge"] = "2";
    QVERIFY(refusal(d).contains("\"selected_edge\" must be an edge id or null"));
    d = good;
    d["logs"][2]["nodes"]["1"]["data"] = json::array({1});
    QVERIFY(refusal(d).contains("node 1: \"data\" must be an object"));
    d = good;
    d["logs"][2]["nodes"]["1"]["data"]["terminal"] = "yes";
    QVERIFY(refusal(d).contains("\"terminal\" must be true or false"));
    d = good;
    d["logs"][2]["nodes"].erase("3");
    QVERIFY(refusal(d).contains("snapshot 3: edge 2 names node 3, which is not in the snapshot"));
    d = good;
    d["logs"][2]["nodes"] = json::object();
    d["logs"][2]["edges"] = json::object();
    QVERIFY(refusal(d).contains("has no nodes"));
    d = good;
    d["logs"][0] = "snapshot";
    QVERIFY(refusal(d).contains("snapshot 1: expected a snapshot"));
    d = good;
    d["logs"][2]["nodes"]["5"] = d["logs"][2]["nodes"]["4"];
    QVERIFY(refusal(d).contains("is keyed \"5\" but has id 4"));
    QVERIFY(refusal(json{{"logs", json::array()}}).contains("\"logs\" is empty"));
    QVERIFY(refusal(json{{"logs", 3}}).contains("\"logs\" must be an array of snapshots"));
    json dup = json::parse(kLibraryLog);
    json list = json::array();
    for (auto& [k, v] : dup["logs"][2]["nodes"].items()) list.push_back(v);
    list.push_back(list[0]);
    dup["logs"][2]["nodes"] = list;
    QVERIFY(refusal(dup).contains("node id 0 appears twice"));
  }

  void llmReasonersSurvivesEveryMutation() {
    // The first and last snapshots: history and structure, in half the time of all three.
    json log = json::parse(kLibraryLog);
    log["logs"].erase(1);
    QVERIFY(mutateAndRead(log) > 100);
    // Our own export as well (different fields: visits, terminal, ...); one snapshot suffices.
    ReasoningTree flat = fullTree();
    flat.history.clear();
    QVERIFY(mutateAndRead(tb::treeToLlmReasoners(flat)) > 50);
  }

  // ------------------------------------------------------------------ Files
  void filesRoundTripAndRefuseClearly() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const ReasoningTree t = fullTree();
    const std::string own = dir.filePath("tree.json").toStdString();
    tb::writeTreeFile(t, own);
    QVERIFY(!QFile::exists(QString::fromStdString(own + ".tmp")));
    compareTrees(tb::readTreeFile(own), t);
    if (QTest::currentTestFailed()) return;
    tb::writeTreeFile(fullTree(), own);  // overwrites
    compareTrees(tb::readTreeFile(own), t);
    if (QTest::currentTestFailed()) return;

    const std::string log = dir.filePath("log.json").toStdString();
    tb::writeTreeFile(t, log, "llm-reasoners");
    const ReasoningTree fromLog = tb::readTreeFile(log);
    QCOMPARE(fromLog.size(), t.size());
    QCOMPARE(fromLog.chosenPath, t.chosenPath);
    QCOMPARE(fromLog.iterations(), t.iterations());

    // Invalid UTF-8 (a completion cut mid-character) is written, not thrown.
    ReasoningTree broken = fullTree();
    broken.nodes[2].step = "bad \xC3";
    tb::writeTreeFile(broken, own);
    QCOMPARE(tb::readTreeFile(own).size(), broken.size());

    QString m = inputErrorOf([&] { tb::writeTreeFile(t, own, "xml"); });
    QVERIFY2(m.contains("'xml'") && m.contains("llm-reasoners"), qPrintable(m));
    const std::string missing = dir.filePath("nope/tree.json").toStdString();
    m = inputErrorOf([&] { tb::readTreeFile(missing); });
    QVERIFY2(m.contains("cannot open tree file") && m.contains(QString::fromStdString(missing)), qPrintable(m));
    m = inputErrorOf([&] { tb::writeTreeFile(t, missing); });
    QVERIFY2(m.contains("cannot write tree file") && m.contains("nope/tree.json"), qPrintable(m));
    m = inputErrorOf([&] { tb::readTreeFile(dir.path().toStdString()); });
    QVERIFY2(m.contains("is a directory"), qPrintable(m));

    const QString text = dir.filePath("notes.txt");
    writeText(text, "step 1: think\nstep 2: answer\n");
    m = inputErrorOf([&] { tb::readTreeFile(text.toStdString()); });
    QVERIFY2(m.contains("notes.txt") && m.contains("is not valid JSON"), qPrintable(m));
    const QString truncated = dir.filePath("truncated.json");
    writeText(truncated, tb::treeToJson(t).dump().substr(0, 200));
    m = inputErrorOf([&] { tb::readTreeFile(truncated.toStdString()); });
    QVERIFY2(m.contains("truncated.json") && m.contains("is not valid JSON"), qPrintable(m));
    const QString empty = dir.filePath("empty.json");
    writeText(empty, "");
    QVERIFY(inputErrorOf([&] { tb::readTreeFile(empty.toStdString()); }).contains("is not valid JSON"));
    const QString other = dir.filePath("config.json");
    writeText(other, R"({"algorithm": "grpo"})");
    m = inputErrorOf([&] { tb::readTreeFile(other.toStdString()); });
    QVERIFY2(m.contains("config.json: not a reasoning tree"), qPrintable(m));
  }

  // ------------------------------------------------------------------ Trajectory trees
  void trajectoryTreeMergesSharedPrefixes() {
    std::vector<tb::SampledTrajectory> samples = {
        {"a\nb\nc", 1.0, true, "policy", {-1, -2, -3}},
        {"a\nb\nd", 0.0, false, "policy", {-3, -4, -5}},
        {"a\ne", 1.0, true, "reference", {7}},      // wrong length: log-flows ignored
        {"a\n\nb  \nc\n", 0.5, false, "replay", {}},  // same steps as the first
    };
    const ReasoningTree t = tb::trajectoryTree("Make 24", samples);
    t.validate();
    QCOMPARE(t.kind, std::string("samples"));
    QCOMPARE(t.prompt, std::string("Make 24"));
    QCOMPARE(t.size(), 6);  // root, a, b, c, d, e
    QVERIFY(t.history.empty());
    const auto find = [&](const std::string& text) {
      for (int i = 0; i < t.size(); ++i)
        if (t.textTo(i) == text) return i;
      return -1;
    };
    const int a = find("a"), b = find("a\nb"), c = find("a\nb\nc"), d = find("a\nb\nd"), e = find("a\ne");
    QVERIFY(a > 0 && b > 0 && c > 0 && d > 0 && e > 0);
    QCOMPARE(t.nodes[c].state, std::string("a\nb\nc"));
    QCOMPARE(t.nodes[c].step, std::string("c"));
    QCOMPARE(t.nodes[c].depth, 3);
    QCOMPARE(t.nodes[0].stats.visits, 4);
    TB_NEAR(t.nodes[0].stats.value, 2.5 / 4, 1e-12);
    QCOMPARE(t.nodes[a].stats.visits, 4);
    QCOMPARE(t.nodes[b].stats.visits, 3);
    TB_NEAR(t.nodes[b].stats.value, 1.5 / 3, 1e-12);
    TB_NEAR(t.nodes[b].stats.q, 1.5 / 3, 1e-12);
    QCOMPARE(t.nodes[c].stats.visits, 2);
    TB_NEAR(t.nodes[c].stats.value, 0.75, 1e-12);
    TB_NEAR(t.nodes[b].prior, 3.0 / 4, 1e-12);
    // Terminal flags: correct if any trajectory ending there is; reward their mean.
    QVERIFY(!t.nodes[0].terminal && !t.nodes[a].terminal && !t.nodes[b].terminal);
    QVERIFY(t.nodes[c].terminal && t.nodes[c].correct);
    TB_NEAR(t.nodes[c].reward, 0.75, 1e-12);
    QVERIFY(t.nodes[d].terminal && !t.nodes[d].correct);
    QVERIFY(t.nodes[e].terminal && t.nodes[e].correct);
    TB_NEAR(t.nodes[e].reward, 1, 0);
    TB_NEAR(t.nodes[b].reward, 0, 0);
    // Log-flows averaged over the trajectories that gave them.
    QVERIFY(std::isnan(t.nodes[0].logFlow));
    TB_NEAR(t.nodes[a].logFlow, -2, 1e-12);
    TB_NEAR(t.nodes[b].logFlow, -3, 1e-12);
    TB_NEAR(t.nodes[c].logFlow, -3, 1e-12);  // the replay gave none
    TB_NEAR(t.nodes[d].logFlow, -5, 1e-12);
    QVERIFY(std::isnan(t.nodes[e].logFlow));
    // Sources.
    QCOMPARE(t.nodes[0].extra["sources"], json({{"policy", 2}, {"reference", 1}, {"replay", 1}}));
    QCOMPARE(t.nodes[c].extra["sources"], json({{"policy", 1}, {"replay", 1}}));
    // Most visited child at each step.
    QCOMPARE(t.chosenPath, (std::vector<int>{0, a, b, c}));
    for (const auto& n : t.nodes) QCOMPARE(n.createdAt, 0);
    // It survives the own format unchanged.
    compareTrees(tb::treeFromJson(tb::treeToJson(t), "samples.json"), t);
  }

  void trajectoryTreeEdgeCases() {
    // No trajectories: just the root.
    ReasoningTree t = tb::trajectoryTree("p", {});
    t.validate();
    QCOMPARE(t.size(), 1);
    QCOMPARE(t.nodes[0].stats.visits, 0);
    QVERIFY(!t.nodes[0].terminal);
    QCOMPARE(t.chosenPath, std::vector<int>{0});

    // An empty completion ends at the root.
    t = tb::trajectoryTree("p", {sample("", 0.0, false), sample(" \n\n", 1.0, true), sample("x", 0.5, false)});
    t.validate();
    QCOMPARE(t.size(), 2);
    QVERIFY(t.nodes[0].terminal && t.nodes[0].correct);
    TB_NEAR(t.nodes[0].reward, 0.5, 1e-12);
    QCOMPARE(t.nodes[0].stats.visits, 3);
    QCOMPARE(t.chosenPath, std::vector<int>{0});  // two trajectories stop at the root, one goes on

    // Ties in visits: the higher mean reward.
    t = tb::trajectoryTree("p", {sample("x", 0.0, false), sample("y", 1.0, true)});
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 2}));
    QCOMPARE(t.nodes[2].step, std::string("y"));

    // A popular answer is not passed over for a rarer extension of it.
    t = tb::trajectoryTree("p", {sample("a", 1.0, true), sample("a", 1.0, true), sample("a\nb", 0.0, false)});
    QCOMPARE(t.chosenPath, (std::vector<int>{0, 1}));
    QCOMPARE(t.nodes[1].stats.visits, 3);
    QVERIFY(t.nodes[1].terminal && t.nodes[1].correct);
    TB_NEAR(t.nodes[1].reward, 1, 0);
    TB_NEAR(t.nodes[1].stats.value, 2.0 / 3, 1e-12);
  }
};

QTEST_APPLESS_MAIN(TestReasoningTree)
#include "test_reasoning_tree.moc"
