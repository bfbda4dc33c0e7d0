// The Trees tab as a user drives it (offscreen): selecting a run lists the trees stored with it and
// shows the newest; a tree file opens (both formats), a foreign one is refused with the file's
// name; the shown tree exports as JSON; a pinned tree and the current one show side by side; a
// new search runs on a worker thread and shows its tree.
#include <QtTest>

#include <QDockWidget>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTemporaryDir>

#include "app/gui/MainWindow.h"
#include "app/gui/TreesPage.h"
#include "core/config/RunConfig.h"
#include "core/engine/Engine.h"
#include "widgets/AttentionHeatmap.h"
#include "widgets/AttentionPanel.h"
#include "widgets/SamplesView.h"
#include "core/search/TrajectoryTree.h"
#include "core/search/TreeJson.h"
#include "core/store/RunStore.h"
#include "widgets/TreeCompareView.h"
#include "widgets/TreeInspector.h"
#include "widgets/TreePanel.h"
#include "widgets/TreeView.h"

using namespace tb;

namespace {

ReasoningTree sampledTree(const std::string& problemId, int iteration) {
  ReasoningTree tree = trajectoryTree("Use 4 6 3 5 to make 24.",
                                      {{"4*6=24 (left: 24 3 5)\nAnswer: 4*6", 1.0, true, "policy", {}},
                                       {"4*6=24 (left: 24 3 5)\n3+5=8", 0.0, false, "policy", {}},
                                       {"3+5=8 (left: 4 6 8)", 0.0, false, "policy", {}}});
  tree.task = "game24";
  tree.problemId = problemId;
  tree.label = "grpo, iteration " + std::to_string(iteration);
  return tree;
}

}  // namespace

class TestTreesPage : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void showsStoredTreesFilesAndComparisons() {
    const QString ws = dir_.filePath("trees.sqlite");
    std::int64_t run = 0;
    {
      auto store = RunStore::open(ws.toStdString());
      RunRecord r;
      r.name = "with trees";
      r.task = "game24";
      r.algorithm = "grpo";
      r.config = {{"task", "game24"}, {"algorithm", "grpo"}};
      run = store->createRun(r);
      store->recordIteration(run, 0, {{"reward/mean", 0.1}}, {}, 0, {sampledTree("game24/1", 0)});
      store->recordIteration(run, 1, {{"reward/mean", 0.2}}, {}, 0, {sampledTree("game24/2", 1)});
    }
    MainWindow w(ws);
    w.show();
    w.showTreesTab();
    w.selectRun(run);
    TreesPage* page = w.treesPage();
    // The page never asks for more than a laptop screen beside the runs list (a long prompt wraps;
    // the hidden side-by-side view does not count).
    QVERIFY2(page->minimumSizeHint().width() < 1200, qPrintable(QString::number(page->minimumSizeHint().width())));
    QCOMPARE(page->list()->rowCount(), 2);
    QVERIFY(page->current().has_value());
    QCOMPARE(page->current()->problemId, std::string("game24/2"));  // the newest
    QVERIFY(page->panel()->hasTree());
    QCOMPARE(page->panel()->tree().size(), page->current()->size());

    // Choosing another row shows that tree.
    page->list()->selectRow(0);
    QCOMPARE(page->current()->problemId, std::string("game24/1"));

    // Export as llm-reasoners JSON, open it again.
    const QString exported = dir_.filePath("tree.json");
    QVERIFY(page->exportTree(exported, "llm-reasoners"));
    QFile f(exported);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("\"logs\""));
    QVERIFY(page->openFile(exported));
    QCOMPARE(page->current()->size(), sampledTree("game24/1", 0).size());

    // A foreign file is refused, naming it, and the shown tree stays.
    const QString foreign = dir_.filePath("foreign.json");
    QFile g(foreign);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write("{\"nodes\": 3}");
    g.close();
    QVERIFY(!page->openFile(foreign));
    QVERIFY2(page->statusText().contains("foreign.json"), qPrintable(page->statusText()));
    QVERIFY(page->current().has_value());

    // Pin one, choose another, see both side by side.
    page->list()->selectRow(1);
    page->pinCurrent();
    page->list()->selectRow(0);
    page->setSideBySide(true);
    auto* stack = page->findChild<QStackedWidget*>();
    QVERIFY(stack && stack->currentWidget() == page->compareView());
    QVERIFY(page->sideBySide());
    QVERIFY(!page->list()->isVisible());  // the two trees take the whole width
    QVERIFY(!w.findChild<QDockWidget*>("runsDock")->isVisible());
    QCOMPARE(page->compareView()->leftPanel()->tree().problemId, std::string("game24/2"));
    QCOMPARE(page->compareView()->rightPanel()->tree().problemId, std::string("game24/1"));
    page->setSideBySide(false);
    QVERIFY(stack->currentWidget() == page->panel());
    QVERIFY(page->list()->isVisible());
    QVERIFY(w.findChild<QDockWidget*>("runsDock")->isVisible());

    // A search needs a checkpoint: this run has none, so it says so.
    QSignalSpy finished(page, &TreesPage::searchFinished);
    page->startSearch("game24/2", "mcts", 3);
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.takeFirst().at(0).toBool(), false);
    QVERIFY2(page->statusText().contains("no checkpoint"), qPrintable(page->statusText()));
  }

  void searchesWithoutARunOnTheFileTask() {
    // With no run selected, a search uses the shown tree's task and an untrained policy.
    MainWindow w(dir_.filePath("empty.sqlite"));
    TreesPage* page = w.treesPage();
    const QString file = dir_.filePath("game24.json");
    writeTreeFile(sampledTree("game24/3", 0), file.toStdString());
    QVERIFY(page->openFile(file));
    const std::string problem = "game24/3";
    QSignalSpy finished(page, &TreesPage::searchFinished);
    page->startSearch(QString::fromStdString(problem), "mcts", 4);
    QVERIFY(page->searching());
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.takeFirst().at(0).toBool(), qPrintable(page->statusText()));
    QCOMPARE(page->current()->kind, std::string("mcts"));
    QCOMPARE(page->current()->iterations(), 4);
    QVERIFY(page->panel()->iterationSlider()->isVisibleTo(page->panel()));
    QVERIFY(!page->searching());

    // The policy's group on the same problem, as a prefix tree.
    page->startSearch(QString::fromStdString(problem), "samples", 5);
    QVERIFY(finished.wait(120000));
    QVERIFY2(finished.takeFirst().at(0).toBool(), qPrintable(page->statusText()));
    QCOMPARE(page->current()->kind, std::string("samples"));
    QCOMPARE(page->current()->root().stats.visits, 5);
  }

  void attentionOfSamplesAndTreePaths() {
    // A short real run: its samples and trees open in the Attention tab, recomputed with the
    // policy that drew them.
    const std::string db = dir_.filePath("attention.sqlite").toStdString();
    RunConfig c = RunConfig::defaults("game24", "grpo");
    for (const char* o : {"model.d_model=32", "model.layers=2", "model.heads=2", "rollout.prompts=2",
                          "rollout.group_size=2", "rollout.max_new_tokens=64", "warmstart.demonstrations=16",
                          "warmstart.steps=10", "warmstart.batch=4", "eval.every=0", "run.threads=1",
                          "run.checkpoint_every=1", "run.iterations=2"})
      c.applyOverride(o);
    std::int64_t run = 0;
    {
      auto store = RunStore::open(db);
      run = createRun(*store, c);
    }
    RunControl control;
    QCOMPARE(executeRun(db, run, control, nullptr), RunStatus::Finished);

    MainWindow w(QString::fromStdString(db));
    w.show();
    w.selectRun(run);
    SamplesView* samples = w.samplesView();
    QVERIFY(samples->rowCount() > 0);
    samples->table()->selectRow(0);
    const auto row = samples->currentSample();
    QVERIFY(row && row->id > 0);
    QVERIFY(samples->attentionButton()->isEnabled());
    samples->attentionButton()->click();
    QCOMPARE(w.centralTabs()->currentWidget(), static_cast<QWidget*>(w.attentionPanel()));
    QVERIFY(w.attentionPanel()->hasSample());
    QCOMPARE(w.attentionPanel()->sample().sampleId, row->id);
    QCOMPARE(w.attentionPanel()->sample().headCount, 2);
    QVERIFY(w.findChild<QDockWidget*>("bottomDock")->isVisible());  // the samples stay at hand

    // A tree path: select a node of the newest stored tree and ask for its attention.
    w.showTreesTab();
    TreesPage* page = w.treesPage();
    QVERIFY(page->current().has_value());
    const int node = page->current()->chosenPath.back();
    QVERIFY(node > 0);
    page->panel()->selectNode(node);
    auto* button = page->findChild<QPushButton*>();
    for (auto* b : page->findChildren<QPushButton*>())
      if (b->text().startsWith("Attention")) button = b;
    button->click();
    QCOMPARE(w.centralTabs()->currentWidget(), static_cast<QWidget*>(w.attentionPanel()));
    const AttentionSample& a = w.attentionPanel()->sample();
    QCOMPARE(a.problemId, page->current()->problemId);
    QCOMPARE(a.policy, std::string("checkpoint of iteration 0"));  // the tree of iteration 1
    QCOMPARE(a.completionLength(), static_cast<int>(page->current()->textTo(node).size()) + 1);
  }
};

QTEST_MAIN(TestTreesPage)
#include "test_trees_page.moc"
