// End-to-end tests of the training loop in-process: a run interrupted after a checkpoint and
// resumed continues bit-identically to an uninterrupted run (metrics, evaluation and samples);
// failures become failed runs with a message, never exceptions.
#include <torch/torch.h>

#include <QtTest>

#include "core/config/RunConfig.h"
#include "core/engine/Engine.h"
#include "core/store/RunStore.h"
#include "tests/EngineTestSupport.h"

using namespace tb;

namespace {

RunConfig tinyConfig(int iterations) {
  RunConfig c = RunConfig::defaults("game24", "grpo");
  for (const char* o : {"model.d_model=32", "model.layers=1", "model.heads=2", "model.context=128",
                        "rollout.prompts=2", "rollout.group_size=4", "rollout.max_new_tokens=80",
                        "warmstart.demonstrations=32", "warmstart.steps=6", "warmstart.batch=8", "eval.every=2",
                        "eval.problems=3", "eval.samples=2", "eval.k=2", "run.threads=1", "run.checkpoint_every=2",
                        "run.samples_logged=8", "train.minibatches=2", "train.epochs=2"})
    c.applyOverride(o);
  c.set("run.iterations", iterations);
  return c;
}

}  // namespace

class TestTraining : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private slots:
  void resumeContinuesIdentically() {
    const std::string straightDb = dir_.filePath("straight.sqlite").toStdString();
    const std::string resumedDb = dir_.filePath("resumed.sqlite").toStdString();
    const RunConfig config = tinyConfig(5);

    std::int64_t straightId = 0, resumedId = 0;
    {
      auto store = RunStore::open(straightDb);
      straightId = createRun(*store, config);
    }
    RunControl straightControl;
    QCOMPARE(executeRun(straightDb, straightId, straightControl, nullptr), RunStatus::Finished);

    {
      auto store = RunStore::open(resumedDb);
      resumedId = createRun(*store, config);
    }
    RunControl control;
    CancelAfter cancel(control, 2);  // checkpoint written after iteration 1; iteration 2 is lost
    QCOMPARE(executeRun(resumedDb, resumedId, control, &cancel), RunStatus::Cancelled);
    {
      auto store = RunStore::open(resumedDb);
      QCOMPARE(store->run(resumedId)->status, RunStatus::Cancelled);
      QCOMPARE(store->latestCheckpoint(resumedId)->iteration, 1);
    }
    RunControl again;
    QCOMPARE(executeRun(resumedDb, resumedId, again, nullptr), RunStatus::Finished);

    auto a = RunStore::open(straightDb);
    auto b = RunStore::open(resumedDb);
    const auto ma = a->metrics(straightId), mb = b->metrics(resumedId);
    QCOMPARE(mb.size(), ma.size());
    int compared = 0;
    for (const auto& [name, points] : ma) {
      if (isTimingMetric(name)) continue;
      const auto& other = mb.at(name);
      QVERIFY2(other.size() == points.size(), name.c_str());
      for (size_t i = 0; i < points.size(); ++i) {
        QCOMPARE(other[i].iteration, points[i].iteration);
        QVERIFY2(other[i].value == points[i].value,
                 qPrintable(QString("%1 @%2: straight %3, resumed %4").arg(name.c_str()).arg(points[i].iteration)
                                .arg(points[i].value, 0, 'g', 17).arg(other[i].value, 0, 'g', 17)));
        ++compared;
      }
    }
    QVERIFY(compared > 50);
    // Evaluation before iterations 0, 2 and 4 and after the last one (x = 5).
    QVERIFY(ma.count("eval/accuracy") && ma.at("eval/accuracy").size() == 4);
    const auto sa = a->samples(straightId), sb = b->samples(resumedId);
    QCOMPARE(sb.size(), sa.size());
    for (size_t i = 0; i < sa.size(); ++i) {
      QCOMPARE(sb[i].iteration, sa[i].iteration);
      QCOMPARE(sb[i].completion, sa[i].completion);
      QCOMPARE(sb[i].reward, sa[i].reward);
    }
    QCOMPARE(b->run(resumedId)->iterationsDone, 5);
  }

  void learningRateFollowsWarmupAndCosine() {
    const std::string db = dir_.filePath("schedule.sqlite").toStdString();
    RunConfig config = tinyConfig(4);
    config.set("eval.every", 0);
    config.set("train.warmup_iterations", 2);
    config.set("train.lr_schedule", "cosine");
    config.set("train.lr", 1e-3);
    std::int64_t id = 0;
    {
      auto store = RunStore::open(db);
      id = createRun(*store, config);
    }
    RunControl control;
    QCOMPARE(executeRun(db, id, control, nullptr), RunStatus::Finished);
    const auto lr = RunStore::open(db)->metric(id, "lr");
    QCOMPARE(lr.size(), size_t(4));
    // Warm-up 1/2, then cosine from the full rate down to a tenth at the last iteration.
    QVERIFY(std::abs(lr[0].value - 0.5e-3) < 1e-12);
    QVERIFY(std::abs(lr[1].value - 1e-3) < 1e-12);
    QVERIFY(std::abs(lr[2].value - 1e-3) < 1e-12);
    QVERIFY(std::abs(lr[3].value - 1e-4) < 1e-12);
  }

  void failuresBecomeFailedRuns() {
    const std::string db = dir_.filePath("failing.sqlite").toStdString();
    RunConfig config = tinyConfig(2);
    config.set("task.data_file", dir_.filePath("no-such-24.csv").toStdString());
    std::int64_t id = 0;
    {
      auto store = RunStore::open(db);
      id = createRun(*store, config);
    }
    RunControl control;
    QCOMPARE(executeRun(db, id, control, nullptr), RunStatus::Failed);
    auto store = RunStore::open(db);
    const auto record = store->run(id);
    QCOMPARE(record->status, RunStatus::Failed);
    QVERIFY2(record->message.find("no-such-24.csv") != std::string::npos, record->message.c_str());
    bool logged = false;
    for (const auto& line : store->logs(id)) logged |= line.level == "error";
    QVERIFY(logged);

    // A context too small for the completion limit fails with the keys named.
    RunConfig small = tinyConfig(2);
    small.set("model.context", 84);
    small.set("rollout.max_new_tokens", 80);
    small.set("warmstart.demonstrations", 0);
    const std::int64_t id2 = createRun(*store, small);
    QCOMPARE(executeRun(db, id2, control, nullptr), RunStatus::Failed);
    const std::string message = store->run(id2)->message;
    QVERIFY2(message.find("model.context") != std::string::npos, message.c_str());

    // Running out of memory (here a real 4 TB host allocation) says what to lower.
    std::string oom;
    try {
      torch::empty({std::int64_t(1) << 42}, torch::kByte);
    } catch (const std::exception& e) {
      oom = runFailureMessage(e);
    }
    QVERIFY2(oom.find("can't allocate memory") != std::string::npos, oom.c_str());
    QVERIFY2(oom.find("which train.micro_batch (for example 8) splits") != std::string::npos, oom.c_str());
    QVERIFY2(oom.find('\n') == std::string::npos, oom.c_str());  // no backtrace
    const std::string cuda = runFailureMessage(std::runtime_error("CUDA out of memory. Tried to allocate 2.00 GiB"));
    QVERIFY2(cuda.rfind("CUDA out of memory. Tried to allocate 2.00 GiB -- ", 0) == 0, cuda.c_str());
    QVERIFY(runFailureMessage(std::bad_alloc()).find("train.micro_batch") != std::string::npos);
    QCOMPARE(runFailureMessage(std::runtime_error("task.data_file: no such file")), std::string("task.data_file: no such file"));
  }

  void engineRunsOnAWorkerThread() {
    const std::string db = dir_.filePath("engine.sqlite").toStdString();
    std::int64_t id = 0;
    {
      auto store = RunStore::open(db);
      id = createRun(*store, tinyConfig(2));
    }
    struct Counter : RunListener {
      std::atomic<int> iterations{0};
      std::atomic<int> finished{0};
      void onIteration(const IterationEvent& e) override { iterations += !e.samples.empty(); }
      void onStatus(std::int64_t, RunStatus s, const std::string&) override { finished += s == RunStatus::Finished; }
    } counter;
    Engine engine(db);
    QVERIFY(engine.start(id, &counter));
    QVERIFY(!engine.start(id, &counter));  // one run at a time
    engine.wait();
    QCOMPARE(counter.iterations.load(), 2);
    QCOMPARE(counter.finished.load(), 1);
  }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "test_training.moc"
