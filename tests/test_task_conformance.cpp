// Conformance suite over every registered task (as OpenSpiel's LoadGameTest/RandomSimTest): one
// data-driven row per task creates it with its defaults and fixed seeds, then checks its splits,
// prompts, problem data round trip, solver demonstrations, rejection of corrupted answers,
// robustness of the verifier on garbage, and, for step-level tasks, that a demonstration is a walk
// through legal steps ending in a terminal state and that states round-trip through text.
#include <QtTest>

#include <algorithm>
#include <random>
#include <set>

#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Task.h"
#include "core/text/CharTokenizer.h"

using namespace tb;

// The run schema needs an algorithm; the real ones live in the LibTorch half of the core.
TB_REGISTER_ALGORITHM(conformanceAlgorithm, AlgorithmInfo{"conformance-algo", "Conformance", "none", "nothing", {}, {}, nullptr});

namespace {

std::unique_ptr<Task> makeTask(const std::string& name) {
  return TaskRegistry::instance().at(name, "task").create(RunConfig::defaults(name, "conformance-algo"));
}

std::vector<const Problem*> sampleProblems(const Task& task) {
  std::vector<const Problem*> out;
  for (Split split : {Split::Train, Split::Test}) {
    const auto& problems = task.problems(split);
    const size_t step = std::max<size_t>(1, problems.size() / 12);
    for (size_t i = 0; i < problems.size() && out.size() < (split == Split::Train ? 12u : 18u); i += step)
      out.push_back(&problems[i]);
  }
  return out;
}

}  // namespace

class TestTaskConformance : public QObject {
  Q_OBJECT

 private slots:
  void registryIsNotEmpty() {
    const auto names = TaskRegistry::instance().names();
    QVERIFY(std::find(names.begin(), names.end(), "game24") != names.end());
    for (const TaskInfo* info : TaskRegistry::instance().all()) {
      QVERIFY2(!info->title.empty() && !info->description.empty(), info->name.c_str());
      QVERIFY2(info->create != nullptr, info->name.c_str());
      for (const auto& p : info->params) QVERIFY2(p.key.rfind("task.", 0) == 0, p.key.c_str());
    }
  }

  void conformance_data() {
    QTest::addColumn<QString>("task");
    for (const auto& name : TaskRegistry::instance().names()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
  }

  void conformance() {
    QFETCH(QString, task);
    const std::string name = task.toStdString();
    const TaskInfo& info = TaskRegistry::instance().at(name, "task");
    auto t = makeTask(name);
    auto again = makeTask(name);

    // Splits: non-empty, disjoint, deterministic, levels within the declared range.
    const auto& train = t->problems(Split::Train);
    const auto& test = t->problems(Split::Test);
    QVERIFY(!train.empty());
    QVERIFY(!test.empty());
    std::set<std::string> ids;
    for (const auto* split : {&train, &test})
      for (const Problem& p : *split) {
        QVERIFY2(ids.insert(p.id).second, ("duplicate problem id " + p.id).c_str());
        QVERIFY2(p.level >= 0 && (info.levels.empty() || p.level < static_cast<int>(info.levels.size())), p.id.c_str());
      }
    QCOMPARE(again->problems(Split::Train).size(), train.size());
    for (size_t i = 0; i < train.size(); i += std::max<size_t>(1, train.size() / 20))
      QCOMPARE(again->problems(Split::Train)[i].id, train[i].id);

    const CharTokenizer tokenizer(t->alphabet());
    std::mt19937_64 rng(0);
    int demonstrated = 0;
    for (const Problem* p : sampleProblems(*t)) {
      const std::string where = name + " " + p->id;
      // Prompts use only the alphabet, and problems round-trip through their data form.
      tokenizer.encodePrompt(p->prompt);
      QCOMPARE(t->problemFromData(p->data).prompt, p->prompt);

      // Garbage and empty answers are judged incorrect with a reason, never a crash.
      for (const std::string& bad : {std::string(), std::string("xyz"), std::string("(((\n)))"), std::string(5000, '9')}) {
        const Verdict v = t->verify(*p, bad);
        QVERIFY2(!v.correct, (where + ": accepted '" + bad.substr(0, 20) + "'").c_str());
        QVERIFY2(!v.reason.empty(), where.c_str());
      }
      if (!info.hasSolver) continue;
      const auto demo = t->demonstration(*p, rng);
      if (!demo) continue;
      ++demonstrated;
      tokenizer.encodeCompletion(*demo);
      const Verdict ok = t->verify(*p, *demo);
      QVERIFY2(ok.correct, (where + ": own demonstration rejected: " + ok.reason + "\n" + *demo).c_str());

      if (!info.stepLevel) continue;
      // A demonstration walks through legal steps to a terminal state; dropping its last step
      // leaves an unfinished, incorrect answer.
      const auto steps = splitSteps(*demo);
      QVERIFY2(!steps.empty(), where.c_str());
      std::vector<std::string> prefix;
      for (const auto& step : steps) {
        QVERIFY2(!t->isTerminal(*p, prefix), (where + ": terminal before '" + step + "'").c_str());
        const auto legal = t->legalSteps(*p, prefix);
        QVERIFY2(std::find(legal.begin(), legal.end(), step) != legal.end(),
                 (where + ": demonstration step '" + step + "' is not among the " + std::to_string(legal.size()) +
                  " legal steps").c_str());
        // A state round-trips through its text form: the steps written as a completion and
        // split again give the same state.
        const std::string description = t->describeState(*p, prefix);
        QVERIFY(!description.empty());
        std::string written;
        for (const auto& s : prefix) written += s + "\n";
        const auto reread = splitSteps(written);
        QVERIFY2(reread == prefix, where.c_str());
        QCOMPARE(t->describeState(*p, reread), description);
        QCOMPARE(t->legalSteps(*p, reread), legal);
        prefix.push_back(step);
      }
      QVERIFY2(t->isTerminal(*p, prefix), where.c_str());
      std::string truncated;
      for (size_t i = 0; i + 1 < steps.size(); ++i) truncated += steps[i] + "\n";
      QVERIFY2(!t->verify(*p, truncated).correct, (where + ": accepted without its last step").c_str());
    }
    if (info.hasSolver) QVERIFY2(demonstrated > 0, (name + " has a solver but demonstrated nothing").c_str());

    // The verifier survives random text over its own alphabet.
    std::mt19937_64 fuzz(1);
    const std::string alphabet = t->alphabet();
    const Problem& first = train.front();
    for (int i = 0; i < 200; ++i) {
      std::string text;
      const size_t length = fuzz() % 120;
      for (size_t j = 0; j < length; ++j) text.push_back(alphabet[fuzz() % alphabet.size()]);
      t->verify(first, text);
    }
  }
};

QTEST_APPLESS_MAIN(TestTaskConformance)
#include "test_task_conformance.moc"
