// Conformance of every registered algorithm preset: each trains a few iterations of a tiny policy
// on a task it can run on (Game of 24, else BlocksWorld) through the real engine with fixed seeds,
// finishes, stores its characteristic metrics with finite values, and refuses tasks it cannot run
// on before a run starts. Presets with state across iterations (curricula, quantiles, critics,
// replay buffers, entropy baselines, SPIN's opponent) resume from a checkpoint bit-identically.
#include <torch/torch.h>

#include <QtTest>

#include <algorithm>

#include <cmath>
#include <map>
#include <set>

#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/engine/Engine.h"
#include "core/store/RunStore.h"
#include "tests/EngineTestSupport.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

// Metrics a preset must log so its behaviour can be inspected (docs/METRICS.md).
const std::map<std::string, std::vector<std::string>> kExpected = {
    {"grpo", {"kl", "clip/low_frac", "clip/high_frac"}},
    {"dapo", {"groups/dropped", "clip/high_frac"}},
    {"ppo", {"ppo/value_loss", "ppo/explained_var"}},
    {"pf_ppo", {"ppo/value_loss", "ppo/explained_var"}},
    {"reinforce_pp", {"reinforce_pp/kl_reward"}},
    {"seed_grpo", {"seed/semantic_entropy"}},
    {"stratified_grpo", {"stratified/strata_per_group"}},
    {"gigpo", {"gigpo/anchored_step_frac"}},
    {"riskpo", {"riskpo/q_alpha", "riskpo/q_beta"}},
    {"empg", {"empg/scale_mean"}},
    {"epo", {"epo/penalty", "epo/baseline"}},
    {"rover", {"rover/q_loss"}},
    {"flow_of_reasoning", {"gfn/log_z", "gfn/tb_loss"}},
    {"attention_credit", {"attention/scaled_frac"}},
    {"scaf_grpo", {"scaf/hinted_groups"}},
    {"sec", {"sec/arm_prob/0"}},
    {"clpo", {"clpo/medium_frac"}},
    {"dpo", {"pref/margin"}},
    {"spin", {"pref/margin"}},
    {"p3o", {"pref/pairs"}},
    {"nash_md", {"nash/probability"}},
    {"empo", {"empo/semantic_entropy"}},
    {"rest", {"groups/dropped"}},
    {"auto_cei", {"autocei/threshold", "autocei/refusal_frac", "autocei/relabelled"}},
    {"thinkless", {"thinkless/short_frac", "thinkless/control_loss"}},
    {"mcts_dpo", {"search/nodes", "search/solved", "search/answer_correct", "throughput/search_simulations_per_s"}},
    {"rest_mcts", {"search/nodes", "search/solved", "search/answer_correct"}},
};

// Presets whose parts keep state between iterations.
const std::set<std::string> kStateful = {"riskpo", "sec",  "clpo",  "epo",      "flow_of_reasoning",
                                         "ppo",    "spin", "gigpo", "auto_cei", "rest_mcts"};

RunConfig tinyConfig(const std::string& task, const std::string& algorithm, int iterations) {
  RunConfig c = RunConfig::defaults(task, algorithm);
  for (const char* o : {"model.d_model=32", "model.layers=1", "model.heads=2", "rollout.prompts=2",
                        "rollout.group_size=4", "rollout.max_new_tokens=64", "warmstart.demonstrations=32",
                        "warmstart.steps=40", "warmstart.batch=8", "eval.every=0", "run.threads=1",
                        "run.checkpoint_every=1", "run.samples_logged=4"})
    c.applyOverride(o);
  if (c.has("algo.scaf_warmup")) {
    c.set("algo.scaf_warmup", 0);  // hints from the first iteration
    // Long completions: a hinted prompt must still fit the context (regression).
    c.set("model.context", 160);
    c.set("rollout.max_new_tokens", 140);
  }
  if (c.has("search.simulations")) {
    c.set("search.simulations", 6);
    c.set("search.step_tokens", 24);
  }
  if (algorithm == "dpo") {
    // Offline DPO trains only on prompts where the reference is sometimes right; a tiny reference
    // never is, so the solver supplies the chosen completion.
    c.set("algo.chosen_fallback", "demonstration");
  }
  c.set("run.iterations", iterations);
  return c;
}

std::string taskFor(const AlgorithmInfo& info) {
  for (const char* t : {"game24", "blocksworld"})
    if (incompatibility(info, TaskRegistry::instance().at(t, "task")).empty()) return t;
  return "";
}

}  // namespace

class TestPresets : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void everyPresetTrainsAndLogsItsMetrics() {
    int checked = 0;
    for (const AlgorithmInfo* info : AlgorithmRegistry::instance().all()) {
      if (!info->parts) continue;
      const std::string task = taskFor(*info);
      QVERIFY2(!task.empty(), info->name.c_str());
      const std::string db = dir_.filePath(QString::fromStdString(info->name + ".sqlite")).toStdString();
      std::int64_t id = 0;
      {
        auto store = RunStore::open(db);
        id = createRun(*store, tinyConfig(task, info->name, 3));
      }
      RunControl control;
      const RunStatus status = executeRun(db, id, control, nullptr);
      auto store = RunStore::open(db);
      QVERIFY2(status == RunStatus::Finished,
               qPrintable(QString("%1 on %2: %3").arg(info->name.c_str(), task.c_str(),
                                                      store->run(id)->message.c_str())));
      const auto metrics = store->metrics(id);
      const auto loss = metrics.find("loss/total");
      // An iteration whose filters left nothing to train on stores no loss (missing, not 0), so a
      // preset may have fewer than 3 loss points, but it must train at least once, unless its own
      // metrics show there was nothing to train on in any iteration: every group dropped (ReST's
      // success filter on a tiny policy that never solves) or no step preference found (MCTS-DPO,
      // whose pairs are tested in test_search).
      auto allIterations = [&](const char* name, auto predicate) {
        return metrics.count(name) && metrics.at(name).size() == 3 &&
               std::all_of(metrics.at(name).begin(), metrics.at(name).end(), predicate);
      };
      const bool nothingToTrain =
          allIterations("search/pairs", [](const MetricPoint& p) { return p.value == 0; }) ||
          allIterations("groups/dropped", [](const MetricPoint& p) { return p.value == 2; });  // rollout.prompts = 2
      if (!nothingToTrain) {
        QVERIFY2(loss != metrics.end() && !loss->second.empty() && loss->second.size() <= 3, info->name.c_str());
        for (const auto& p : loss->second) QVERIFY2(std::isfinite(p.value), info->name.c_str());
      } else {
        QVERIFY2(loss == metrics.end(), qPrintable(QString("%1 trained on nothing but logged a loss").arg(info->name.c_str())));
      }
      auto expected = kExpected.count(info->name) ? kExpected.at(info->name) : std::vector<std::string>{};
      if (!nothingToTrain) expected.push_back("grad_norm");
      for (const auto& name : expected) {
        QVERIFY2(metrics.count(name), qPrintable(QString("%1 does not log %2").arg(info->name.c_str(), name.c_str())));
        for (const auto& p : metrics.at(name))
          QVERIFY2(std::isfinite(p.value), qPrintable(QString("%1: %2 not finite").arg(info->name.c_str(), name.c_str())));
      }
      QVERIFY2(!store->samples(id).empty(), info->name.c_str());
      // Every iteration stores a reasoning tree (run.trees_logged = 1): the search's, or the
      // sampled group merged into a prefix tree; each loads and validates.
      const auto trees = store->trees(id);
      QVERIFY2(trees.size() == 3, qPrintable(QString("%1 stored %2 trees").arg(info->name.c_str()).arg(trees.size())));
      const ReasoningTree tree = store->tree(trees.back().id);
      QVERIFY2(tree.size() >= 1 && !tree.problemId.empty(), info->name.c_str());
      const bool searches = info->parts->rollout.rfind("search_", 0) == 0;
      QCOMPARE(QString::fromStdString(tree.kind), QString(searches ? "mcts" : "samples"));
      if (info->name == "flow_of_reasoning") {
        // Its trajectories carry log F(s) - log Z, a log-probability under P_F (Game of 24's
        // state space is a tree, P_B = 1): finite and at most 0 on every node below the root.
        int flows = 0;
        for (const auto& n : tree.nodes) {
          if (n.id == 0) continue;
          QVERIFY2(std::isfinite(n.logFlow) && n.logFlow <= 1e-6, qPrintable(QString::number(n.logFlow)));
          ++flows;
        }
        QVERIFY(flows > 0);
      }
      ++checked;
    }
    QVERIFY(checked >= 29);
  }

  void statefulPresetsResumeIdentically() {
    for (const std::string& name : kStateful) {
      const AlgorithmInfo& info = AlgorithmRegistry::instance().at(name, "algorithm");
      const RunConfig config = tinyConfig(taskFor(info), name, 4);
      const std::string straightDb = dir_.filePath(QString::fromStdString(name + "-a.sqlite")).toStdString();
      const std::string resumedDb = dir_.filePath(QString::fromStdString(name + "-b.sqlite")).toStdString();
      std::int64_t a = 0, b = 0;
      a = createRun(*RunStore::open(straightDb), config);
      b = createRun(*RunStore::open(resumedDb), config);
      RunControl c1, c2, c3;
      QCOMPARE(executeRun(straightDb, a, c1, nullptr), RunStatus::Finished);
      CancelAfter cancel(c2, 2);
      QCOMPARE(executeRun(resumedDb, b, c2, &cancel), RunStatus::Cancelled);
      QCOMPARE(executeRun(resumedDb, b, c3, nullptr), RunStatus::Finished);
      const auto ma = RunStore::open(straightDb)->metrics(a), mb = RunStore::open(resumedDb)->metrics(b);
      for (const auto& [metric, points] : ma) {
        if (isTimingMetric(metric)) continue;
        QVERIFY2(mb.count(metric), qPrintable(QString("%1: %2 missing after resume").arg(name.c_str(), metric.c_str())));
        const auto& other = mb.at(metric);
        QCOMPARE(other.size(), points.size());
        for (size_t i = 0; i < points.size(); ++i)
          QVERIFY2(other[i].value == points[i].value,
                   qPrintable(QString("%1: %2 @%3 straight %4 resumed %5")
                                  .arg(name.c_str(), metric.c_str())
                                  .arg(points[i].iteration)
                                  .arg(points[i].value, 0, 'g', 17)
                                  .arg(other[i].value, 0, 'g', 17)));
      }
    }
  }

  void warmStartOfAnotherModelIsRefused() {
    // A shared warm start must match the model: Thinkless adds two tokens to game24's alphabet.
    const std::string db = dir_.filePath("shared-warmstart.sqlite").toStdString();
    auto store = RunStore::open(db);
    const auto first = createRun(*store, tinyConfig("game24", "grpo", 1));
    RunControl c1;
    QCOMPARE(executeRun(db, first, c1, nullptr), RunStatus::Finished);
    const std::string reference = store->runDirectory(first) + "/reference.pt";
    RunConfig same = tinyConfig("game24", "rloo", 1);
    same.set("warmstart.checkpoint", reference);
    RunConfig other = tinyConfig("game24", "thinkless", 1);
    other.set("warmstart.checkpoint", reference);
    const auto ok = createRun(*store, same), refused = createRun(*store, other);
    RunControl c2, c3;
    QCOMPARE(executeRun(db, ok, c2, nullptr), RunStatus::Finished);
    QCOMPARE(executeRun(db, refused, c3, nullptr), RunStatus::Failed);
    const std::string message = RunStore::open(db)->run(refused)->message;
    QVERIFY2(message.find("warmstart.checkpoint") != std::string::npos &&
                 message.find("another shape") != std::string::npos,
             message.c_str());
  }

  void incompatibleTasksAreRefusedBeforeTheRun() {
    // Step-level parts (GiGPO's anchor states, FoR's legal steps) need a step-level task; SPIN
    // and Scaf-GRPO need a solver.
    for (const char* algo : {"gigpo", "flow_of_reasoning"}) {
      const QString error = inputErrorOf([&] { RunConfig::defaults("arithmetic", algo).validate(); });
      QVERIFY2(error.contains(algo) && error.contains("arithmetic") && error.contains("step"), qPrintable(error));
    }
    for (const AlgorithmInfo* info : AlgorithmRegistry::instance().all())
      for (const TaskInfo* task : TaskRegistry::instance().all()) {
        const std::string why = incompatibility(*info, *task);
        if (why.empty()) continue;
        const QString error = inputErrorOf([&] { RunConfig::defaults(task->name, info->name).validate(); });
        QVERIFY2(error.contains(QString::fromStdString(why)), qPrintable(error));
      }
  }
};

QTEST_GUILESS_MAIN(TestPresets)
#include "test_presets.moc"
