// Slow end-to-end check that training does something measurable: on the easier Game of 24
// puzzles, a policy warm-started on solver demonstrations solves held-out puzzles that a randomly
// initialised policy (same run otherwise) never solves. Both runs are real, short GRPO runs.
#include <torch/torch.h>

#include <QtTest>

#include "core/config/RunConfig.h"
#include "core/engine/Engine.h"
#include "core/store/RunStore.h"

using namespace tb;

class TestLearning : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

  double finalEvalAccuracy(bool warmStart, double* trainAccuracy) {
    RunConfig c = RunConfig::defaults("game24", "grpo");
    for (const char* o : {"task.max_rank=300", "task.test_size=50", "warmstart.steps=300",
                          "eval.problems=50", "eval.samples=8", "eval.temperature=0.5", "eval.every=2",
                          "run.iterations=2", "run.threads=0"})
      c.applyOverride(o);
    c.set("warmstart.demonstrations", warmStart ? 250 : 0);
    const std::string db = dir_.filePath("learning.sqlite").toStdString();
    std::int64_t id = 0;
    {
      auto store = RunStore::open(db);
      id = createRun(*store, c);
    }
    RunControl control;
    if (executeRun(db, id, control, nullptr) != RunStatus::Finished) return -1;
    auto store = RunStore::open(db);
    double sum = 0;
    const auto train = store->metric(id, "accuracy");
    for (const auto& p : train) sum += p.value;
    *trainAccuracy = sum / train.size();
    const auto eval = store->metric(id, "eval/accuracy");
    qInfo("%s: eval/accuracy at iterations 0 and 2: %.4f %.4f, mean training accuracy %.4f",
          warmStart ? "warm-started" : "untrained", eval.front().value, eval.back().value, *trainAccuracy);
    return (eval.front().value + eval.back().value) / 2;
  }

 private slots:
  void warmStartBeatsUntrained() {
    double warmTrain = 0, coldTrain = 0;
    const double warm = finalEvalAccuracy(true, &warmTrain);
    const double cold = finalEvalAccuracy(false, &coldTrain);
    QVERIFY(warm >= 0 && cold >= 0);
    QCOMPARE(cold, 0.0);  // a random character model never writes a verified solution
    QVERIFY2(warm > 0.005, qPrintable(QString("warm-started eval accuracy %1").arg(warm)));
  }
};

QTEST_APPLESS_MAIN(TestLearning)
#include "test_learning.moc"
