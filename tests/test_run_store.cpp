// Unit tests of the SQLite run store: round trips of runs, metric series, samples, checkpoints and
// logs; overwrite and truncation semantics for resumed runs; status bookkeeping and detection of
// runs whose process died; persistence; refusal (without modification) of files that are not
// ours; several stores on one file; and a 1000-iteration sanity run.
#include <QtTest>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "core/Error.h"
#include "core/store/RunStore.h"

namespace fs = std::filesystem;
using tb::InputError;
using tb::RunRecord;
using tb::RunStatus;
using tb::RunStore;
using tb::SampleRecord;
using tb::ReasoningTree;
using tb::TreeNode;

namespace {

using Metrics = std::vector<std::pair<std::string, double>>;

QString errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

std::string fileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs SQL on a file with sqlite3 directly, as another application would.
void rawExec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  const QString message = error ? QString(error) : QString();
  sqlite3_free(error);
  sqlite3_close(db);
  QVERIFY2(rc == SQLITE_OK, qPrintable(message));
}

// The first column of the first row, read through a separate connection.
QString rawScalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* statement = nullptr;
  QString out;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    out = QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

// Root with two children; the second was visited twice and is the chosen one.
ReasoningTree smallTree(const std::string& problemId) {
  ReasoningTree tree;
  tree.kind = "mcts";
  tree.problemId = problemId;
  TreeNode root;
  root.stats.visits = 3;
  tree.addNode(root);
  TreeNode a;
  a.parent = 0;
  a.step = "4+4=8";
  a.stats = {1, -1.0, -1.0};
  tree.addNode(a);
  TreeNode b;
  b.parent = 0;
  b.step = "6-2=4";
  b.stats = {2, 0.5, 0.5};
  tree.addNode(b);
  tree.chosenPath = {0, 2};
  return tree;
}

RunRecord makeRun(const std::string& name) {
  RunRecord run;
  run.name = name;
  run.experiment = "baseline";
  run.task = "game24";
  run.algorithm = "grpo";
  run.config = {{"train.lr", 3e-4}, {"rollout.group_size", 8}, {"task.name", "game24"},
                {"algo.kl", "k3"}, {"train.bf16", true}};
  run.iterationsTotal = 100;
  return run;
}

SampleRecord makeSample(int group, int index) {
  SampleRecord sample;
  sample.group = group;
  sample.split = index % 2 ? "test" : "train";
  sample.problemId = "p" + std::to_string(group * 100 + index);
  sample.prompt = "Use 3 8 8 3 to make 24 \u2192 ?";
  sample.completion = "(8 / (3 - 8 / 3)) = 24 #" + std::to_string(index);
  sample.reward = 0.25 * index;
  sample.correct = index % 3 == 0;
  sample.reason = index % 3 == 0 ? "ok" : "wrong value";
  sample.tokens = 10 + index;
  return sample;
}

std::vector<SampleRecord> makeSamples(int count) {
  std::vector<SampleRecord> out;
  for (int i = 0; i < count; ++i) out.push_back(makeSample(i / 4, i));
  return out;
}

pid_t deadPid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  int status = 0;
  waitpid(child, &status, 0);  // reaped: the pid no longer names a process
  return child;
}

}  // namespace

class TestRunStore : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  int counter_ = 0;

  // A fresh workspace path per test.
  std::string freshPath() {
    return (dir_.path() + QString("/ws%1/workspace.tbw").arg(++counter_)).toStdString();
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void createsFileAndRoundTripsRun() {
    const std::string path = freshPath();  // parent folder does not exist yet
    auto store = RunStore::open(path);
    QVERIFY(fs::exists(path));
    QCOMPARE(store->path(), path);
    QCOMPARE(store->schemaVersion(), RunStore::kSchemaVersion);
    QVERIFY(store->runs().empty());

    const double before = std::chrono::duration<double>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
    RunRecord input = makeRun("first");
    input.id = 777;  // ignored
    input.message = "a note";
    const std::int64_t first = store->createRun(input);
    const std::int64_t second = store->createRun(makeRun("second"));
    QVERIFY(first != 777);
    QVERIFY(second > first);

    const auto run = store->run(first);
    QVERIFY(run.has_value());
    QCOMPARE(run->id, first);
    QCOMPARE(run->name, std::string("first"));
    QCOMPARE(run->experiment, std::string("baseline"));
    QCOMPARE(run->task, std::string("game24"));
    QCOMPARE(run->algorithm, std::string("grpo"));
    QCOMPARE(run->config, input.config);
    QCOMPARE(run->config["train.lr"].get<double>(), 3e-4);
    QCOMPARE(run->status, RunStatus::Created);
    QCOMPARE(run->message, std::string("a note"));
    QCOMPARE(run->iterationsTotal, 100);
    QCOMPARE(run->iterationsDone, 0);
    QVERIFY(run->createdAt >= before - 1 && run->createdAt < before + 60);
    QCOMPARE(run->startedAt, 0.0);
    QCOMPARE(run->finishedAt, 0.0);

    const auto all = store->runs();
    QCOMPARE(all.size(), std::size_t(2));
    QCOMPARE(all[0].id, second);  // newest first
    QCOMPARE(all[1].id, first);
    QVERIFY(!store->run(9999).has_value());

    store->setName(first, "renamed");
    QCOMPARE(store->run(first)->name, std::string("renamed"));
    QVERIFY(!errorOf([&] { store->setName(9999, "x"); }).isEmpty());

    const std::string runDir = store->runDirectory(first);
    QCOMPARE(runDir, path + ".runs/" + std::to_string(first));
    QVERIFY(fs::is_directory(runDir));

    // Identified as ours, and in WAL mode, as another connection sees it.
    QCOMPARE(rawScalar(path, "PRAGMA application_id").toInt(), RunStore::kApplicationId);
    QCOMPARE(rawScalar(path, "PRAGMA journal_mode"), QString("wal"));
  }

  void recordIterationRoundTrip() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("r"));
    const auto other = store->createRun(makeRun("other"));
    for (int it = 0; it < 3; ++it) {
      store->recordIteration(id, it,
                             {{"reward/mean", 0.1 * it}, {"loss", 2.0 - it}, {"kl", 0.01 * it}},
                             makeSamples(8), 1.5 * (it + 1));
    }
    store->recordIteration(other, 0, {{"zzz", 1.0}}, makeSamples(2), 0.1);

    QCOMPARE(store->run(id)->iterationsDone, 3);
    QCOMPARE(store->metricNames(id), (std::vector<std::string>{"kl", "loss", "reward/mean"}));
    QCOMPARE(store->metricNames(other), (std::vector<std::string>{"zzz"}));
    QVERIFY(store->metricNames(12345).empty());

    const auto loss = store->metric(id, "loss");
    QCOMPARE(loss.size(), std::size_t(3));
    for (int it = 0; it < 3; ++it) {
      QCOMPARE(loss[it].iteration, it);
      QCOMPARE(loss[it].value, 2.0 - it);
      QCOMPARE(loss[it].wallTime, 1.5 * (it + 1));
    }
    const auto tail = store->metric(id, "loss", 0);
    QCOMPARE(tail.size(), std::size_t(2));
    QCOMPARE(tail.front().iteration, 1);
    QVERIFY(store->metric(id, "nope").empty());

    const auto all = store->metrics(id);
    QCOMPARE(all.size(), std::size_t(3));
    QCOMPARE(all.at("reward/mean").size(), std::size_t(3));
    QCOMPARE(all.at("reward/mean")[2].value, 0.2);
    QCOMPARE(all.at("kl")[1].value, 0.01);

    // Newest iteration first, recording order within an iteration.
    const auto samples = store->samples(id);
    QCOMPARE(samples.size(), std::size_t(24));
    const std::vector<SampleRecord> expected = makeSamples(8);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const SampleRecord& s = samples[i];
      const SampleRecord& e = expected[i % 8];
      QCOMPARE(s.iteration, 2 - int(i / 8));
      QCOMPARE(s.runId, id);
      QVERIFY(s.id > 0);
      if (i % 8) QVERIFY(s.id > samples[i - 1].id);
      QCOMPARE(s.group, e.group);
      QCOMPARE(s.split, e.split);
      QCOMPARE(s.problemId, e.problemId);
      QCOMPARE(s.prompt, e.prompt);
      QCOMPARE(s.completion, e.completion);
      QCOMPARE(s.reward, e.reward);
      QCOMPARE(s.correct, e.correct);
      QCOMPARE(s.reason, e.reason);
      QCOMPARE(s.tokens, e.tokens);
    }
    const auto one = store->samples(id, 1);
    QCOMPARE(one.size(), std::size_t(8));
    for (const auto& s : one) QCOMPARE(s.iteration, 1);
    const auto limited = store->samples(id, -1, 5);
    QCOMPARE(limited.size(), std::size_t(5));
    QCOMPARE(limited[0].iteration, 2);
    QCOMPARE(store->samples(other).size(), std::size_t(2));
    QVERIFY(store->samples(id, 7).empty());
  }

  void oddValuesSurvive() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("odd"));
    SampleRecord sample = makeSample(0, 1);
    static const char kOdd[] = "nul\0byte and \xff\xfe bad utf-8";
    sample.completion = std::string(kOdd, sizeof(kOdd) - 1);
    sample.reward = std::nan("");
    store->recordIteration(id, 0,
                           {{"nan", std::nan("")}, {"inf", INFINITY}, {"neg", -1e300}},
                           {sample}, 0);
    QVERIFY(std::isnan(store->metric(id, "nan").at(0).value));
    QCOMPARE(store->metric(id, "inf").at(0).value, double(INFINITY));
    QCOMPARE(store->metric(id, "neg").at(0).value, -1e300);
    const auto back = store->samples(id).at(0);
    QCOMPARE(back.completion, sample.completion);
    QVERIFY(std::isnan(back.reward));

    RunRecord run = makeRun("null config");
    run.config = nullptr;
    const auto nullId = store->createRun(run);
    QVERIFY(store->run(nullId)->config.is_null());
  }

  void recordMetricsKeepsProgress() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("r"));
    store->recordIteration(id, 0, {{"loss", 1.0}}, {}, 1.0);
    store->recordMetrics(id, 0, {{"eval/accuracy", 0.5}, {"eval/reward", 0.7}}, 2.0);
    store->recordMetrics(id, 5, {{"eval/accuracy", 0.6}}, 3.0);
    QCOMPARE(store->run(id)->iterationsDone, 1);
    const auto accuracy = store->metric(id, "eval/accuracy");
    QCOMPARE(accuracy.size(), std::size_t(2));
    QCOMPARE(accuracy[1].iteration, 5);
    QCOMPARE(accuracy[1].value, 0.6);
    QCOMPARE(accuracy[1].wallTime, 3.0);
    QCOMPARE(store->metricNames(id).size(), std::size_t(3));
    // Unknown run: the foreign key refuses, and nothing is left behind.
    QVERIFY(!errorOf([&] { store->recordMetrics(4242, 0, {{"x", 1.0}}, 0); }).isEmpty());
    QVERIFY(!errorOf([&] { store->recordIteration(4242, 0, {}, {}, 0); }).isEmpty());
    QVERIFY(store->metricNames(4242).empty());
    // The failed transactions were rolled back: the store still writes.
    store->recordMetrics(id, 6, {{"eval/accuracy", 0.7}}, 4.0);
    QCOMPARE(store->metric(id, "eval/accuracy").size(), std::size_t(3));
  }

  void rerecordedIterationOverwrites() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("r"));
    store->recordIteration(id, 0, {{"loss", 1.0}, {"kl", 0.1}}, makeSamples(4), 1.0);
    store->recordIteration(id, 1, {{"loss", 0.9}}, makeSamples(4), 2.0);
    // A resumed run records iteration 1 again.
    store->recordIteration(id, 1, {{"loss", 0.5}}, makeSamples(2), 2.5);
    const auto loss = store->metric(id, "loss");
    QCOMPARE(loss.size(), std::size_t(2));
    QCOMPARE(loss[1].value, 0.5);
    QCOMPARE(loss[1].wallTime, 2.5);
    QCOMPARE(store->samples(id, 1).size(), std::size_t(2));
    QCOMPARE(store->samples(id, 0).size(), std::size_t(4));
    QCOMPARE(store->run(id)->iterationsDone, 2);
    store->recordMetrics(id, 0, {{"kl", 0.2}}, 3.0);
    QCOMPARE(store->metric(id, "kl").size(), std::size_t(1));
    QCOMPARE(store->metric(id, "kl")[0].value, 0.2);
  }

  void truncateAfterDropsLaterIterations() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("r"));
    for (int it = 0; it < 10; ++it)
      store->recordIteration(id, it, {{"loss", 10.0 - it}, {"kl", 0.1}}, makeSamples(3), it);
    std::vector<std::string> files;
    for (int it : {2, 5, 8}) {
      files.push_back(store->runDirectory(id) + "/ckpt-" + std::to_string(it) + ".pt");
      std::ofstream(files.back()) << "weights";
      store->addCheckpoint(id, it, files.back());
    }
    store->appendLog(id, "info", "before truncation");
    store->truncateAfter(id, 4);

    const auto loss = store->metric(id, "loss");
    QCOMPARE(loss.size(), std::size_t(5));
    QCOMPARE(loss.back().iteration, 4);
    QCOMPARE(store->metric(id, "kl").size(), std::size_t(5));
    const auto samples = store->samples(id);
    QCOMPARE(samples.size(), std::size_t(15));
    QCOMPARE(samples.front().iteration, 4);
    QCOMPARE(store->checkpoints(id).size(), std::size_t(1));
    QCOMPARE(store->latestCheckpoint(id)->iteration, 2);
    QCOMPARE(store->run(id)->iterationsDone, 5);
    QCOMPARE(store->logs(id).size(), std::size_t(1));  // logs are history, not truncated
    for (const auto& file : files) QVERIFY2(fs::exists(file), file.c_str());  // files untouched
  }

  void checkpointsLatest() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("r"));
    QVERIFY(!store->latestCheckpoint(id).has_value());
    QVERIFY(store->checkpoints(id).empty());
    store->addCheckpoint(id, 10, "/ckpt/10.pt");
    store->addCheckpoint(id, 30, "/ckpt/30.pt");
    store->addCheckpoint(id, 20, "/ckpt/20.pt");
    const auto latest = store->latestCheckpoint(id);
    QVERIFY(latest.has_value());
    QCOMPARE(latest->iteration, 30);
    QCOMPARE(latest->path, std::string("/ckpt/30.pt"));
    QVERIFY(latest->createdAt > 0);
    const auto all = store->checkpoints(id);
    QCOMPARE(all.size(), std::size_t(3));
    QCOMPARE(all[0].iteration, 10);
    QCOMPARE(all[1].iteration, 20);
    QCOMPARE(all[2].iteration, 30);
    store->addCheckpoint(id, 20, "/ckpt/20-again.pt");  // the same iteration saved again
    QCOMPARE(store->checkpoints(id).size(), std::size_t(3));
    QCOMPARE(store->checkpoints(id)[1].path, std::string("/ckpt/20-again.pt"));
  }

  void logsPaging() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("r"));
    const auto other = store->createRun(makeRun("other"));
    for (int i = 0; i < 25; ++i) {
      store->appendLog(id, i % 5 == 0 ? "warn" : "info", "line " + std::to_string(i));
      if (i % 7 == 0) store->appendLog(other, "error", "other run");
    }
    std::vector<tb::LogRecord> all;
    std::int64_t after = 0;
    for (int page = 0; page < 10; ++page) {
      const auto chunk = store->logs(id, after, 10);
      if (chunk.empty()) break;
      QVERIFY(chunk.size() <= 10);
      all.insert(all.end(), chunk.begin(), chunk.end());
      after = chunk.back().id;
    }
    QCOMPARE(all.size(), std::size_t(25));
    for (int i = 0; i < 25; ++i) {
      QCOMPARE(all[i].message, "line " + std::to_string(i));
      QCOMPARE(all[i].level, std::string(i % 5 == 0 ? "warn" : "info"));
      QVERIFY(all[i].time > 0);
      if (i) QVERIFY(all[i].id > all[i - 1].id);
    }
    QCOMPARE(store->logs(other).size(), std::size_t(4));
    QVERIFY(store->logs(id, all.back().id).empty());
  }

  void statusTransitions() {
    for (RunStatus status : {RunStatus::Created, RunStatus::Running, RunStatus::Paused,
                             RunStatus::Finished, RunStatus::Failed, RunStatus::Cancelled,
                             RunStatus::Interrupted})
      QCOMPARE(tb::runStatusFromName(tb::runStatusName(status)), std::optional(status));
    QCOMPARE(QString(tb::runStatusName(RunStatus::Interrupted)), QString("interrupted"));
    QVERIFY(!tb::runStatusFromName("Running").has_value());
    QVERIFY(tb::isTerminal(RunStatus::Finished) && tb::isTerminal(RunStatus::Failed) &&
            tb::isTerminal(RunStatus::Cancelled));
    QVERIFY(!tb::isTerminal(RunStatus::Paused) && !tb::isTerminal(RunStatus::Interrupted) &&
            !tb::isTerminal(RunStatus::Running) && !tb::isTerminal(RunStatus::Created));

    const std::string path = freshPath();
    auto store = RunStore::open(path);
    const auto id = store->createRun(makeRun("r"));
    store->markStarted(id, 4321, "node-7");
    auto run = *store->run(id);
    QCOMPARE(run.status, RunStatus::Running);
    QCOMPARE(run.pid, std::int64_t(4321));
    QCOMPARE(run.host, std::string("node-7"));
    QVERIFY(run.startedAt > 0);
    QCOMPARE(run.finishedAt, 0.0);
    QCOMPARE(rawScalar(path, "SELECT status FROM runs"), QString("running"));

    store->setStatus(id, RunStatus::Paused);
    QCOMPARE(store->run(id)->status, RunStatus::Paused);
    QCOMPARE(store->run(id)->finishedAt, 0.0);

    store->setStatus(id, RunStatus::Failed, "CUDA out of memory");
    run = *store->run(id);
    QCOMPARE(run.status, RunStatus::Failed);
    QCOMPARE(run.message, std::string("CUDA out of memory"));
    QVERIFY(run.finishedAt >= run.startedAt);
    QCOMPARE(rawScalar(path, "SELECT status FROM runs"), QString("failed"));

    // Resumed: the first start time stays, the finish time goes.
    const double started = run.startedAt;
    store->markStarted(id, 5555, "node-8");
    run = *store->run(id);
    QCOMPARE(run.status, RunStatus::Running);
    QCOMPARE(run.startedAt, started);
    QCOMPARE(run.finishedAt, 0.0);
    QCOMPARE(run.pid, std::int64_t(5555));

    store->setStatus(id, RunStatus::Finished);
    QVERIFY(store->run(id)->finishedAt > 0);
    QCOMPARE(store->run(id)->message, std::string());
    QVERIFY(errorOf([&] { store->setStatus(9999, RunStatus::Failed); }).contains("9999"));
    QVERIFY(!errorOf([&] { store->markStarted(9999, 1, "h"); }).isEmpty());
  }

  void markInterruptedRuns() {
    auto store = RunStore::open(freshPath());
    const std::string host = RunStore::currentHost();
    QVERIFY(!host.empty());
    const pid_t dead = deadPid();
    const std::int64_t self = getpid();

    const auto running = store->createRun(makeRun("running, dead"));
    store->markStarted(running, dead, host);
    const auto paused = store->createRun(makeRun("paused, dead"));
    store->markStarted(paused, dead, host);
    store->setStatus(paused, RunStatus::Paused);
    const auto alive = store->createRun(makeRun("running, alive"));
    store->markStarted(alive, self, host);
    const auto elsewhere = store->createRun(makeRun("running, other host"));
    store->markStarted(elsewhere, dead, host + "-elsewhere");
    const auto finished = store->createRun(makeRun("finished, dead"));
    store->markStarted(finished, dead, host);
    store->setStatus(finished, RunStatus::Finished);
    const auto bigPid = store->createRun(makeRun("running, pid beyond pid_max"));
    store->markStarted(bigPid, (1 << 22) + 12345, host);

    QCOMPARE(store->markInterruptedRuns(), 3);
    QCOMPARE(store->run(running)->status, RunStatus::Interrupted);
    QCOMPARE(store->run(running)->message,
             "process " + std::to_string(dead) + " ended while the run was running");
    QCOMPARE(store->run(paused)->status, RunStatus::Interrupted);
    QCOMPARE(store->run(paused)->message,
             "process " + std::to_string(dead) + " ended while the run was paused");
    QCOMPARE(store->run(bigPid)->status, RunStatus::Interrupted);
    QCOMPARE(store->run(alive)->status, RunStatus::Running);
    QCOMPARE(store->run(elsewhere)->status, RunStatus::Running);
    QCOMPARE(store->run(finished)->status, RunStatus::Finished);
    QCOMPARE(store->markInterruptedRuns(), 0);
  }

  void reopenShowsSameData() {
    const std::string path = freshPath();
    std::int64_t id = 0;
    {
      auto store = RunStore::open(path);
      id = store->createRun(makeRun("persistent"));
      store->markStarted(id, 1, "h");
      store->recordIteration(id, 0, {{"loss", 1.25}}, makeSamples(3), 0.5);
      store->addCheckpoint(id, 0, "/c/0.pt");
      store->appendLog(id, "info", "hello");
      store->setStatus(id, RunStatus::Finished, "done");
    }
    auto store = RunStore::open(path);
    QCOMPARE(store->schemaVersion(), RunStore::kSchemaVersion);
    const auto run = store->run(id);
    QVERIFY(run.has_value());
    QCOMPARE(run->name, std::string("persistent"));
    QCOMPARE(run->status, RunStatus::Finished);
    QCOMPARE(run->message, std::string("done"));
    QCOMPARE(run->config, makeRun("").config);
    QCOMPARE(run->iterationsDone, 1);
    QCOMPARE(store->metric(id, "loss").at(0).value, 1.25);
    QCOMPARE(store->samples(id).size(), std::size_t(3));
    QCOMPARE(store->latestCheckpoint(id)->path, std::string("/c/0.pt"));
    QCOMPARE(store->logs(id).at(0).message, std::string("hello"));
    QCOMPARE(rawScalar(path, "PRAGMA user_version").toInt(), RunStore::kSchemaVersion);
  }

  void treesRoundTripWithIterations() {
    const std::string path = freshPath();
    auto store = RunStore::open(path);
    const auto id = store->createRun(makeRun("trees"));
    store->recordIteration(id, 0, {{"loss", 1.0}}, {}, 0, {smallTree("a"), smallTree("b")});
    store->recordIteration(id, 1, {{"loss", 0.5}}, {}, 0, {smallTree("c")});
    const auto all = store->trees(id);
    QCOMPARE(all.size(), std::size_t(3));
    QCOMPARE(all[0].iteration, 0);
    QCOMPARE(all[0].problemId, std::string("a"));
    QCOMPARE(all[2].iteration, 1);
    QCOMPARE(all[2].kind, std::string("mcts"));
    QCOMPARE(all[2].nodes, 3);
    QCOMPARE(store->trees(id, 1).size(), std::size_t(1));
    const ReasoningTree loaded = store->tree(all[1].id);
    QCOMPARE(loaded.problemId, std::string("b"));
    QCOMPARE(loaded.size(), 3);
    QCOMPARE(loaded.nodes[2].step, std::string("6-2=4"));
    QCOMPARE(loaded.nodes[2].stats.visits, 2);
    QCOMPARE(loaded.chosenPath, (std::vector<int>{0, 2}));
    // A re-recorded iteration replaces its trees; a resume drops later ones.
    store->recordIteration(id, 0, {{"loss", 1.0}}, {}, 0, {smallTree("z")});
    QCOMPARE(store->trees(id, 0).size(), std::size_t(1));
    store->truncateAfter(id, 0);
    QCOMPARE(store->trees(id).size(), std::size_t(1));
    QVERIFY(errorOf([&] { store->tree(987654); }).contains("987654"));
  }

  void migratesVersionOneWorkspace() {
    // A workspace written by schema 1 (no trees table) keeps its runs and gains the table.
    const std::string path = freshPath();
    std::int64_t id = 0;
    {
      auto store = RunStore::open(path);
      id = store->createRun(makeRun("old"));
      store->recordIteration(id, 0, {{"loss", 2.0}}, makeSamples(2), 0);
    }
    rawExec(path, "DROP TABLE trees; PRAGMA user_version = 1;");
    QCOMPARE(rawScalar(path, "PRAGMA user_version").toInt(), 1);
    auto store = RunStore::open(path);
    QCOMPARE(store->schemaVersion(), RunStore::kSchemaVersion);
    QCOMPARE(store->run(id)->name, std::string("old"));
    QCOMPARE(store->samples(id).size(), std::size_t(2));
    QVERIFY(store->trees(id).empty());
    store->recordIteration(id, 1, {}, {}, 0, {smallTree("new")});
    QCOMPARE(store->trees(id).size(), std::size_t(1));
  }

  void acceptsEmptyFile() {
    const std::string path = freshPath();
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path).close();  // zero bytes: an empty SQLite database
    auto store = RunStore::open(path);
    QCOMPARE(store->schemaVersion(), RunStore::kSchemaVersion);
    QVERIFY(store->createRun(makeRun("r")) > 0);
  }

  void refusesTextFile() {
    const std::string path = freshPath();
    const fs::path folder = fs::path(path).parent_path();
    fs::create_directories(folder);
    std::ofstream(path, std::ios::binary) << "milk\neggs\nflour, 2 kg\n"
                                          << std::string(3000, 'x') << '\0' << "\xff\x01";
    const std::string before = fileBytes(path);
    const QString error = errorOf([&] { RunStore::open(path); });
    QVERIFY2(error.contains(QString::fromStdString(path)), qPrintable(error));
    QVERIFY2(error.contains("is not a Thoughtbench workspace (not an SQLite database)"),
             qPrintable(error));
    QVERIFY(fileBytes(path) == before);
    QCOMPARE(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 1L);
  }

  void refusesForeignDatabase() {
    const std::string path = freshPath();
    fs::create_directories(fs::path(path).parent_path());
    rawExec(path, "CREATE TABLE foo (x INTEGER); CREATE TABLE bar (y TEXT); "
                  "INSERT INTO foo VALUES (1), (2);");
    const std::string before = fileBytes(path);
    const QString error = errorOf([&] { RunStore::open(path); });
    QVERIFY2(error.contains(QString::fromStdString(path)), qPrintable(error));
    QVERIFY2(error.contains("another application"), qPrintable(error));
    QVERIFY2(error.contains("tables: bar, foo"), qPrintable(error));
    QVERIFY2(error.contains("refusing to modify it"), qPrintable(error));
    QVERIFY(fileBytes(path) == before);
    QCOMPARE(rawScalar(path, "PRAGMA journal_mode"), QString("delete"));  // not switched to WAL

    // Another application's id, even without tables, is not ours either.
    const std::string other = freshPath();
    fs::create_directories(fs::path(other).parent_path());
    rawExec(other, "PRAGMA application_id = 1234; PRAGMA user_version = 3;");
    const std::string otherBefore = fileBytes(other);
    const QString otherError = errorOf([&] { RunStore::open(other); });
    QVERIFY2(otherError.contains("application_id 1234"), qPrintable(otherError));
    QVERIFY2(otherError.contains("tables: none"), qPrintable(otherError));
    QVERIFY(fileBytes(other) == otherBefore);
  }

  void refusesNewerSchema() {
    const std::string path = freshPath();
    fs::create_directories(fs::path(path).parent_path());
    const std::string sql = "PRAGMA application_id = " +
                            std::to_string(RunStore::kApplicationId) +
                            "; PRAGMA user_version = 99; CREATE TABLE runs (id INTEGER);";
    rawExec(path, sql.c_str());
    const std::string before = fileBytes(path);
    const QString error = errorOf([&] { RunStore::open(path); });
    QVERIFY2(error.contains(QString::fromStdString(path)), qPrintable(error));
    QVERIFY2(error.contains("version 99") && error.contains("version 2"), qPrintable(error));
    QVERIFY(fileBytes(path) == before);
  }

  void refusesFolder() {
    const std::string path = freshPath();
    fs::create_directories(path);
    const QString error = errorOf([&] { RunStore::open(path); });
    QVERIFY2(error.contains(QString::fromStdString(path)), qPrintable(error));
  }

  void twoStoresShareFile() {
    const std::string path = freshPath();
    auto writer = RunStore::open(path);
    auto reader = RunStore::open(path);
    QVERIFY(reader->runs().empty());  // a read before the write must not pin an old snapshot
    const auto id = writer->createRun(makeRun("shared"));
    QCOMPARE(reader->runs().size(), std::size_t(1));
    QVERIFY(reader->metric(id, "loss").empty());
    writer->recordIteration(id, 0, {{"loss", 3.0}}, makeSamples(2), 1.0);
    QCOMPARE(reader->metric(id, "loss").size(), std::size_t(1));
    QCOMPARE(reader->run(id)->iterationsDone, 1);
    // run() stops after its one row; its statement must not keep the reader's snapshot open.
    writer->recordIteration(id, 1, {{"loss", 2.0}}, {}, 2.0);
    QCOMPARE(reader->metric(id, "loss").size(), std::size_t(2));
    QVERIFY(reader->run(id).has_value());
    writer->addCheckpoint(id, 1, "/c/1.pt");
    QVERIFY(reader->latestCheckpoint(id).has_value());
    writer->addCheckpoint(id, 2, "/c/2.pt");
    QCOMPARE(reader->checkpoints(id).size(), std::size_t(2));
    reader->setStatus(id, RunStatus::Cancelled, "stopped from the other window");
    QCOMPARE(writer->run(id)->status, RunStatus::Cancelled);
  }

  void concurrentStoresInThreads() {
    // Two writers and a reader, each with its own store, as the engine thread and views would.
    const std::string path = freshPath();
    std::int64_t runs[2] = {};
    {
      auto setup = RunStore::open(path);
      runs[0] = setup->createRun(makeRun("a"));
      runs[1] = setup->createRun(makeRun("b"));
    }
    constexpr int kIterations = 200;
    std::atomic<int> failures{0};
    std::atomic<bool> done{false};
    std::string firstError;
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        try {
          auto store = RunStore::open(path);
          for (int it = 0; it < kIterations; ++it)
            store->recordIteration(runs[w], it, {{"loss", double(it)}, {"kl", 0.1}},
                                   makeSamples(4), it);
        } catch (const std::exception& e) {
          if (failures++ == 0) firstError = e.what();
        }
      });
    }
    int reads = 0;
    std::thread readerThread([&] {
      try {
        auto store = RunStore::open(path);
        while (!done) {
          for (auto id : runs) {
            const auto loss = store->metric(id, "loss");
            // Consistency: never more points than the iterations the run says it has done.
            const auto run = store->run(id);
            if (int(loss.size()) > run->iterationsDone) ++failures;
          }
          ++reads;
        }
      } catch (const std::exception& e) {
        if (failures++ == 0) firstError = e.what();
      }
    });
    for (auto& t : writers) t.join();
    done = true;
    readerThread.join();
    QVERIFY2(failures == 0, firstError.c_str());
    auto store = RunStore::open(path);
    for (auto id : runs) {
      QCOMPARE(store->metric(id, "loss").size(), std::size_t(kIterations));
      QCOMPARE(store->run(id)->iterationsDone, kIterations);
    }
    QVERIFY(reads > 0);
  }

  void deleteRunRemovesEverything() {
    const std::string path = freshPath();
    auto store = RunStore::open(path);
    const auto id = store->createRun(makeRun("doomed"));
    const auto keep = store->createRun(makeRun("kept"));
    for (auto run : {id, keep}) {
      store->recordIteration(run, 0, {{"loss", 1.0}}, makeSamples(3), 0, {smallTree("p")});
      store->addCheckpoint(run, 0, store->runDirectory(run) + "/0.pt");
      store->appendLog(run, "info", "x");
    }
    const std::string runDir = store->runDirectory(id);
    std::ofstream(runDir + "/0.pt") << "weights";
    fs::create_directories(runDir + "/nested");

    store->deleteRun(id);
    QVERIFY(!store->run(id).has_value());
    QVERIFY(store->metricNames(id).empty());
    QVERIFY(store->samples(id).empty());
    QVERIFY(store->checkpoints(id).empty());
    QVERIFY(store->logs(id).empty());
    QVERIFY(!fs::exists(runDir));
    QVERIFY(store->trees(id).empty());
    QCOMPARE(store->trees(keep).size(), std::size_t(1));
    for (const char* table : {"metrics", "samples", "checkpoints", "logs", "trees"}) {
      const std::string sql =
          std::string("SELECT COUNT(*) FROM ") + table + " WHERE run_id = " + std::to_string(id);
      QCOMPARE(rawScalar(path, sql.c_str()).toInt(), 0);
    }
    QCOMPARE(store->metric(keep, "loss").size(), std::size_t(1));
    QCOMPARE(store->samples(keep).size(), std::size_t(3));
    QCOMPARE(store->runs().size(), std::size_t(1));
    store->deleteRun(id);  // deleting again is harmless

    // Ids are never reused, so a new run never inherits a deleted run's folder name.
    store->deleteRun(keep);
    QVERIFY(store->createRun(makeRun("new")) > keep);
  }

  void thousandIterations() {
    auto store = RunStore::open(freshPath());
    const auto id = store->createRun(makeRun("long"));
    Metrics metrics;
    for (int m = 0; m < 20; ++m) metrics.emplace_back("metric/" + std::to_string(m), 0.0);
    std::vector<SampleRecord> samples = makeSamples(16);
    for (auto& s : samples) s.completion = std::string(400, 'c');  // a realistic completion
    QElapsedTimer timer;
    timer.start();
    for (int it = 0; it < 1000; ++it) {
      for (int m = 0; m < 20; ++m) metrics[m].second = it * 0.001 + m;
      store->recordIteration(id, it, metrics, samples, it * 0.1);
    }
    const qint64 recordNs = timer.nsecsElapsed();
    timer.restart();
    const auto names = store->metricNames(id);
    const qint64 namesNs = timer.nsecsElapsed();
    timer.restart();
    const auto all = store->metrics(id);
    const qint64 allNs = timer.nsecsElapsed();
    qInfo("recordIteration (20 metrics + 16 samples): %.1f us each; metricNames %.1f us; "
          "metrics() of 20k points %.2f ms",
          recordNs / 1000.0 / 1000.0, namesNs / 1000.0, allNs / 1e6);

    QCOMPARE(names.size(), std::size_t(20));
    QCOMPARE(all.size(), std::size_t(20));
    for (const auto& [name, series] : all) QCOMPARE(series.size(), std::size_t(1000));
    const auto m7 = store->metric(id, "metric/7");
    QCOMPARE(m7.size(), std::size_t(1000));
    QCOMPARE(m7[999].value, 999 * 0.001 + 7);
    QCOMPARE(store->run(id)->iterationsDone, 1000);
    const auto recent = store->samples(id);
    QCOMPARE(recent.size(), std::size_t(1000));
    QCOMPARE(recent.front().iteration, 999);
    QCOMPARE(recent.back().iteration, 999 - 1000 / 16);
  }
};

QTEST_APPLESS_MAIN(TestRunStore)
#include "test_run_store.moc"
