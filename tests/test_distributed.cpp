// Training across processes (core/engine/Distributed, app/cli/DistributedRun): the launcher's
// environment, row-seeded sampling that does not depend on how rows are split, and real
// multi-process runs on loopback (Gloo): 2 processes end with the same parameters as 1 process, and
// so do micro-batches (gradient accumulation) in one process or in several,
// a killed rank fails the run instead of hanging, and refusals name what is wrong.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <cstdlib>
#include <map>

#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/engine/Checkpoint.h"
#include "core/engine/Distributed.h"
#include "core/engine/TrainingSession.h"
#include "core/rollout/Sampler.h"
#include "core/store/RunStore.h"
#include "core/tasks/Task.h"
#include "core/text/CharTokenizer.h"
#include "tests/HfTestSupport.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

// The launcher's variables parsed from `values` (the process environment is left alone: Qt Test's
// watchdog thread reads it while a test function runs, and setenv under it once crashed).
std::optional<LaunchEnvironment> launchOf(const std::map<std::string, std::string>& values) {
  return LaunchEnvironment::fromVariables([&](const char* name) -> std::optional<std::string> {
    const auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

QString launchErrorOf(const std::map<std::string, std::string>& values) {
  return inputErrorOf([&] { launchOf(values); });
}

// The policy stored in a run's last checkpoint.
GptPolicy checkpointPolicy(const QString& db, std::int64_t runId) {
  auto store = RunStore::open(db.toStdString());
  const auto record = store->run(runId);
  const RunConfig config = RunConfig::fromJson(record->config, "test");
  auto task = TaskRegistry::instance().at(config.task(), "task").create(config);
  CharTokenizer tokenizer(task->alphabet() +
                          algorithmAlphabet(AlgorithmRegistry::instance().at(config.algorithm(), "algorithm")));
  GptPolicy policy(modelConfig(config, tokenizer.vocabSize()));
  const auto checkpoint = store->latestCheckpoint(runId);
  if (!checkpoint) return GptPolicy(nullptr);
  loadCheckpointModels(checkpoint->path, policy, {});
  return policy;
}

}  // namespace

class TestDistributed : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

  struct Result {
    int code = -1;
    QString out, err;
  };

  Result cli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
             int timeoutMs = 600000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(THOUGHTBENCH_CLI, args);
    p.waitForFinished(timeoutMs);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
  }

  // A tiny Game of 24 run whose every update has a gradient: the entropy bonus and the KL term
  // reach the policy even when all rewards in a group agree.
  static QStringList tinyRun(const QString& algorithm, int iterations) {
    QStringList args{"run", "--task", "game24", "--algorithm", algorithm, "--iterations", QString::number(iterations),
                     "--seed", "7", "--quiet"};
    for (const char* s : {"model.d_model=32", "model.layers=1", "model.heads=2", "model.context=128",
                          "rollout.prompts=4", "rollout.group_size=4", "rollout.max_new_tokens=80",
                          "warmstart.demonstrations=16", "warmstart.steps=6", "warmstart.batch=4", "eval.every=2",
                          "eval.problems=3", "eval.samples=2", "eval.k=2", "run.threads=1", "algo.entropy_coef=0.01",
                          "algo.kl_coef=0.04", "run.checkpoint_every=1", "train.lr=0.003"})
      args << "--set" << s;
    return args;
  }

  static std::int64_t runIdOf(const QString& out) {
    const auto match = QRegularExpression("run (\\d+):").match(out);
    return match.hasMatch() ? match.captured(1).toLongLong() : -1;
  }

  // Runs `args` in one process and across 2, and checks that both end with the same parameters
  // and logged the same rewards at every iteration.
  void compareOneAndTwoProcesses(const QString& name, const QStringList& args) {
    compareSplits(name, args, {"--nproc", "2"});
  }

  // Runs `args` as they are (one process, whole minibatches) and with `split` added (more
  // processes, micro-batches), and checks that both end with the same parameters and logged the
  // same rewards at every iteration.
  void compareSplits(const QString& name, QStringList args, const QStringList& split) {
    const QString db = dir_.filePath(name + ".sqlite");
    args << "--db" << db;
    const Result one = cli(args);
    QVERIFY2(one.code == 0, qPrintable(one.out + one.err));
    const Result two = cli(args + split);
    QVERIFY2(two.code == 0, qPrintable(two.out + two.err));
    const bool processes = split.contains("--nproc");
    if (processes) QVERIFY2(two.out.contains("2 processes"), qPrintable(two.out));
    const std::int64_t a = runIdOf(one.out), b = runIdOf(two.out);
    QVERIFY(a > 0 && b > 0 && a != b);

    auto store = RunStore::open(db.toStdString());
    QCOMPARE(store->run(b)->status, RunStatus::Finished);
    const auto ma = store->metrics(a), mb = store->metrics(b);
    if (processes) {
      QVERIFY(mb.count("dist/world_size"));
      QCOMPARE(mb.at("dist/world_size").back().value, 2.0);
      // The backend the ranks agreed on, with the reason, in the run's log: Gloo, the policy is on the CPU.
      bool logged = false;
      for (const auto& line : store->logs(b))
        logged = logged || QString::fromStdString(line.message).contains("process group gloo (rank 0's policy is on the CPU)") ||
                 QString::fromStdString(line.message).contains("process group gloo (rank 0's build has no NCCL");
      QVERIFY2(logged, "the run's log names its process group");
    }
    for (const char* metric : {"reward/mean", "accuracy", "length/mean", "eval/accuracy", "rollout/tokens"}) {
      QVERIFY2(ma.count(metric) && mb.count(metric), metric);
      QCOMPARE(ma.at(metric).size(), mb.at(metric).size());
      for (size_t i = 0; i < ma.at(metric).size(); ++i)
        QVERIFY2(ma.at(metric)[i].value == mb.at(metric)[i].value,
                 qPrintable(QString("%1 at point %2: %3 vs %4").arg(metric).arg(i).arg(ma.at(metric)[i].value)
                                .arg(mb.at(metric)[i].value)));
    }
    for (const char* metric : {"loss/total", "entropy", "grad_norm", "kl"})
      for (size_t i = 0; i < ma.at(metric).size(); ++i) TB_NEAR(mb.at(metric)[i].value, ma.at(metric)[i].value, 1e-4);

    if (args.join(' ').contains("model.hf_path")) {
      // An HF policy's checkpoints hold its LoRA adapters; B starts at 0, so |B| is how far they moved.
      const auto ta = checkpointTrainableTensors(store->latestCheckpoint(a)->path);
      const auto tb = checkpointTrainableTensors(store->latestCheckpoint(b)->path);
      QVERIFY(!ta.empty());
      QCOMPARE(tb.size(), ta.size());
      double maxDiff = 0, maxB = 0;
      for (size_t i = 0; i < ta.size(); ++i) {
        QCOMPARE(tb[i].first, ta[i].first);
        maxDiff = std::max(maxDiff, (ta[i].second - tb[i].second).abs().max().item<double>());
        if (ta[i].first.find("lora_B") != std::string::npos)
          maxB = std::max(maxB, ta[i].second.abs().max().item<double>());
      }
      qInfo("%s: adapters B up to %.3g; %s changes them by at most %.3g", qPrintable(name), maxB,
            qPrintable(split.join(' ')), maxDiff);
      QVERIFY2(maxB > 1e-4, qPrintable(QString("adapters moved by %1 only").arg(maxB)));
      QVERIFY2(maxDiff < 1e-5, qPrintable(QString("%1: adapters differ by %2").arg(split.join(' ')).arg(maxDiff)));
      return;
    }

    GptPolicy pa = checkpointPolicy(db, a), pb = checkpointPolicy(db, b);
    QVERIFY(pa && pb);
    auto qa = pa->named_parameters(), qb = pb->named_parameters();
    double maxDiff = 0, maxChange = 0;
    for (const auto& p : qa) {
      maxDiff = std::max(maxDiff, (p.value() - qb[p.key()]).abs().max().item<double>());
    }
    // The runs trained: their parameters moved away from the warm start stored as reference.pt.
    GptPolicy reference = checkpointPolicy(db, a);
    loadModel(store->runDirectory(a) + "/reference.pt", reference);
    for (const auto& p : reference->named_parameters())
      maxChange = std::max(maxChange, (p.value() - qa[p.key()]).abs().max().item<double>());
    qInfo("%s: parameters moved up to %.3g from the warm start; %s changes them by at most %.3g",
          qPrintable(name), maxChange, qPrintable(split.join(' ')), maxDiff);
    QVERIFY2(maxChange > 1e-4, qPrintable(QString("parameters moved by %1 only").arg(maxChange)));
    QVERIFY2(maxDiff < 1e-5, qPrintable(QString("%1: parameters differ by %2 (moved %3)")
                                             .arg(split.join(' ')).arg(maxDiff).arg(maxChange)));
  }

 private slots:
  void launchEnvironment() {
    {
      QVERIFY(!launchOf({}));
    }
    {
      QVERIFY(!launchOf({{"WORLD_SIZE", "1"}, {"RANK", "0"}}));  // one process is not distributed
    }
    {
      const auto e = launchOf({{"WORLD_SIZE", "4"}, {"RANK", "3"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.0.0.2"},
                               {"MASTER_PORT", "29600"}, {"TB_DIST_TIMEOUT_S", "20"}});
      QVERIFY(e);
      QCOMPARE(e->worldSize, 4);
      QCOMPARE(e->rank, 3);
      QCOMPARE(e->localRank, 1);
      QCOMPARE(e->masterAddr, std::string("10.0.0.2"));
      QCOMPARE(e->masterPort, 29600);
      QCOMPARE(e->timeout.count(), 20L);
    }
    {
      // Slurm's variables when torchrun's are absent.
      const auto e = launchOf({{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "5"}, {"SLURM_LOCALID", "1"},
                               {"MASTER_ADDR", "node01"}});
      QVERIFY(e);
      QCOMPARE(e->worldSize, 8);
      QCOMPARE(e->rank, 5);
      QCOMPARE(e->localRank, 1);
      QCOMPARE(e->masterPort, 29500);
    }
    QVERIFY(launchErrorOf({{"WORLD_SIZE", "2"}}).contains("RANK is not"));
    QVERIFY(launchErrorOf({{"WORLD_SIZE", "2"}, {"RANK", "2"}}).contains("RANK='2'"));
    QVERIFY(launchErrorOf({{"WORLD_SIZE", "two"}, {"RANK", "0"}}).contains("WORLD_SIZE='two'"));
    QVERIFY(launchErrorOf({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "70000"}}).contains("MASTER_PORT"));
    QVERIFY(launchErrorOf({{"SLURM_NTASKS", "2"}, {"SLURM_PROCID", "0"}}).contains("MASTER_ADDR"));
    QCOMPARE(launchOf({{"WORLD_SIZE", "2"}, {"RANK", "0"}})->backend, std::string("auto"));
    QCOMPARE(launchOf({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"TB_DIST_BACKEND", "nccl"}})->backend, std::string("nccl"));
    QVERIFY(launchErrorOf({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"TB_DIST_BACKEND", "mpi"}})
                .contains("TB_DIST_BACKEND='mpi': expected auto, gloo or nccl"));
  }

  // Rank 0's choice of process group from what every rank brings.
  void backendChoice() {
    const auto choose = [](const std::string& requested, const std::vector<RankDevice>& ranks) {
      std::string why;
      const CollectiveBackend b = chooseBackend(requested, ranks, why);
      return std::string(backendName(b)) + ": " + why;
    };
    const RankDevice gpu0{"node1", 0, true}, gpu1{"node1", 1, true}, otherGpu0{"node2", 0, true};
    // Every rank on a GPU of its own, on one machine or several: NCCL.
    QCOMPARE(choose("auto", {gpu0, gpu1}), std::string("nccl: every rank has a GPU of its own"));
    QCOMPARE(choose("auto", {gpu0, gpu1, otherGpu0}), std::string("nccl: every rank has a GPU of its own"));
    QCOMPARE(choose("nccl", {gpu0, otherGpu0}), std::string("nccl: every rank has a GPU of its own"));
    // Two ranks of one machine on one GPU (NCCL refuses them), a CPU policy, a build without NCCL: Gloo.
    QCOMPARE(choose("auto", {gpu0, gpu1, gpu0}),
             std::string("gloo: ranks 0 and 2 share cuda:0 on node1 (NCCL needs a GPU per rank)"));
    QCOMPARE(choose("auto", {gpu0, RankDevice{"node1", -1, true}}), std::string("gloo: rank 1's policy is on the CPU"));
    QCOMPARE(choose("auto", {RankDevice{"node1", 0, false}, gpu1}),
             std::string("gloo: rank 0's build has no NCCL (a CUDA LibTorch and nccl.h are needed)"));
    QCOMPARE(choose("gloo", {gpu0, gpu1}), std::string("gloo: TB_DIST_BACKEND=gloo"));
    // Asked for NCCL where it cannot be had: refused, naming the rank.
    try {
      choose("nccl", {gpu0, RankDevice{"node1", -1, true}});
      QFAIL("nccl over a CPU rank was accepted");
    } catch (const DistributedError& e) {
      QCOMPARE(std::string(e.what()), std::string("TB_DIST_BACKEND=nccl, but rank 1's policy is on the CPU"));
    }
    // What a rank brings travels through the store as text.
    const RankDevice back = RankDevice::decode(RankDevice{"gpu-node-7.cluster", 3, true}.encode());
    QCOMPARE(back.host, std::string("gpu-node-7.cluster"));
    QCOMPARE(back.cudaIndex, 3);
    QVERIFY(back.ncclBuilt);
    QCOMPARE(RankDevice::decode(RankDevice{"h", -1, false}.encode()).cudaIndex, -1);
    for (const char* bad : {"", "1", "x 1 host", "0 2 host"}) {
      try {
        RankDevice::decode(bad);
        QFAIL(bad);
      } catch (const DistributedError& e) {
        QVERIFY2(QString(e.what()).contains("malformed rank description"), e.what());
      }
    }
  }

  void shardsCoverEveryRowOnce() {
    for (int world = 1; world <= 5; ++world)
      for (std::int64_t count : {0, 1, 3, 4, 17}) {
        std::int64_t next = 0, smallest = count, largest = 0;
        for (int rank = 0; rank < world; ++rank) {
          const auto [begin, end] = shardRange(count, rank, world);
          QCOMPARE(begin, next);
          next = end;
          smallest = std::min(smallest, end - begin);
          largest = std::max(largest, end - begin);
        }
        QCOMPARE(next, count);
        QVERIFY(largest - smallest <= 1);
      }
  }

  // Row-seeded sampling: a row's completion is the same whichever rows share its batch, and the
  // draws follow the distribution.
  void rowSeededSamplingIgnoresTheSplit() {
    torch::manual_seed(3);
    GptPolicy policy(GptConfig{12, 32, 1, 2, 64});
    policy->eval();
    std::vector<std::vector<int>> prompts = {{1, 3, 4}, {1, 5}, {1, 6, 7, 8, 9}, {1, 3}, {1, 4, 4, 4}, {1, 9}};
    SamplingOptions options;
    options.maxNewTokens = 12;
    options.padId = 0;
    options.eosId = 2;
    for (size_t i = 0; i < prompts.size(); ++i) options.rowSeeds.push_back(rowSeed(99, i));
    auto g = at::make_generator<at::CPUGeneratorImpl>(1);
    const RolloutBatch whole = sampleCompletions(policy, prompts, options, g);
    for (size_t split : {1, 2, 5}) {
      SamplingOptions left = options, right = options;
      left.rowSeeds.assign(options.rowSeeds.begin(), options.rowSeeds.begin() + split);
      right.rowSeeds.assign(options.rowSeeds.begin() + split, options.rowSeeds.end());
      auto g2 = at::make_generator<at::CPUGeneratorImpl>(2);  // another generator: not used with seeds
      const RolloutBatch a = sampleCompletions(policy, {prompts.begin(), prompts.begin() + split}, left, g2);
      const RolloutBatch b = sampleCompletions(policy, {prompts.begin() + split, prompts.end()}, right, g2);
      for (size_t i = 0; i < prompts.size(); ++i) {
        const RolloutBatch& part = i < split ? a : b;
        const size_t j = i < split ? i : i - split;
        QCOMPARE(part.lengths[j], whole.lengths[i]);
        const auto expected = whole.tokens[i].narrow(0, whole.promptLength, whole.lengths[i]);
        const auto got = part.tokens[j].narrow(0, part.promptLength, part.lengths[j]);
        QVERIFY(torch::equal(expected, got));
        TB_NEAR(part.logprobs[j].sum().item<double>(), whole.logprobs[i].sum().item<double>(), 1e-4);
      }
    }
    // Frequencies of 20,000 one-step draws from fixed logits match softmax within 4 sigma.
    const auto logits = torch::tensor({2.0f, 0.0f, -1.0f, 1.0f, -30.0f});
    const auto probs = torch::softmax(logits, 0);
    const int n = 20000;
    std::vector<std::vector<int>> many(n, std::vector<int>{1});
    SamplingOptions one;
    one.maxNewTokens = 1;
    one.eosId = 4;
    for (int i = 0; i < n; ++i) one.rowSeeds.push_back(rowSeed(5, static_cast<std::uint64_t>(i)));
    auto fixed = [&](const torch::Tensor& tokens, const torch::Tensor&) {
      return logits.expand({tokens.size(0), tokens.size(1), 5}).clone();
    };
    const RolloutBatch drawn = decodeCompletions(many, one, g, 16, fixed, fixed);
    std::vector<int> counts(5, 0);
    for (int i = 0; i < n; ++i) ++counts[static_cast<size_t>(drawn.tokens[i][drawn.promptLength].item<int64_t>())];
    for (int v = 0; v < 5; ++v) {
      const double p = probs[v].item<double>();
      TB_NEAR(counts[v] / double(n), p, 4 * std::sqrt(p * (1 - p) / n) + 1e-12);
    }
    QCOMPARE(counts[4], 0);  // probability 1e-14: never drawn
  }

  void twoProcessesMatchOneProcess() { compareOneAndTwoProcesses("grpo", tinyRun("grpo", 3)); }

  // Several optimiser steps per rollout (old log-probs scored across ranks) and a critic, an
  // algorithm part whose gradients every rank computes in full.
  // A Hugging Face policy with LoRA (tests/HfTestSupport.h): the adapters are what the ranks
  // broadcast and all-reduce.
  void twoProcessesMatchOneProcessHfLora() { compareOneAndTwoProcesses("hf-lora", tinyHfRun()); }

  QStringList tinyHfRun() {
    const std::string model = writeTinyHfPolicy(std::filesystem::path(dir_.path().toStdString()) / "tiny-qwen2");
    QStringList args{"run", "--task", "game24", "--algorithm", "grpo", "--iterations", "3", "--seed", "7", "--quiet"};
    for (const std::string s : {"model.hf_path=" + model, std::string("rollout.prompts=4"), std::string("rollout.group_size=4"),
                                std::string("rollout.max_new_tokens=64"), std::string("warmstart.demonstrations=8"),
                                std::string("warmstart.steps=3"), std::string("warmstart.batch=4"), std::string("eval.every=2"),
                                std::string("eval.problems=3"), std::string("eval.samples=2"), std::string("eval.k=2"),
                                std::string("run.threads=1"), std::string("algo.entropy_coef=0.01"),
                                std::string("algo.kl_coef=0.04"), std::string("run.checkpoint_every=1"),
                                std::string("train.lr=0.01")})
      args << "--set" << QString::fromStdString(s);
    return args;
  }

  void twoProcessesMatchOneProcessPpo() {
    QStringList args = tinyRun("ppo", 3);
    args << "--set" << "train.minibatches=2" << "--set" << "train.epochs=2";
    compareOneAndTwoProcesses("ppo", args);
  }

  // Gradient accumulation (train.micro_batch, core/engine/MicroBatching.h): 16 rows per update
  // in micro-batches of 3 (the last has 1 row) give the same step as all 16 at once.
  void microBatchesMatchWholeBatches() {
    compareSplits("grpo-micro", tinyRun("grpo", 3), {"--set", "train.micro_batch=3"});
  }

  // Two minibatches of 8 rows, 2 epochs: the first minibatch reuses the old scores as leaves.
  void microBatchesMatchWholeBatchesPpo() {
    QStringList args = tinyRun("ppo", 3);
    args << "--set" << "train.minibatches=2" << "--set" << "train.epochs=2";
    compareSplits("ppo-micro", args, {"--set", "train.micro_batch=3"});
  }

  void microBatchesMatchWholeBatchesHfLora() {
    compareSplits("hf-lora-micro", tinyHfRun(), {"--set", "train.micro_batch=5"});
  }

  // Both splits at once: each of 2 processes accumulates its 8 rows in micro-batches of 3.
  void microBatchesAcrossProcesses() {
    compareSplits("grpo-micro-nproc", tinyRun("grpo", 3), {"--nproc", "2", "--set", "train.micro_batch=3"});
  }

  // torchrun-style launch (the test is the launcher): killing rank 1 ends rank 0 at once and the
  // run is stored as failed, naming the lost rank.
  void killedRankFailsTheRun() {
    const QString db = dir_.filePath("killed.sqlite");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("WORLD_SIZE", "2");
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(29000 + (QCoreApplication::applicationPid() % 2000)));
    env.insert("TB_DIST_TIMEOUT_S", "120");
    env.insert("TMPDIR", dir_.path());
    QProcess ranks[2];
    for (int r = 0; r < 2; ++r) {
      QProcessEnvironment e = env;
      e.insert("RANK", QString::number(r));
      e.insert("LOCAL_RANK", QString::number(r));
      ranks[r].setProcessEnvironment(e);
      ranks[r].start(THOUGHTBENCH_CLI, tinyRun("grpo", 200) << "--db" << db);
    }
    for (auto& rank : ranks) QVERIFY(rank.waitForStarted());
    // Wait for the first iterations in rank 0's workspace, then kill rank 1.
    QElapsedTimer clock;
    clock.start();
    bool trained = false;
    while (!trained && clock.elapsed() < 300000 && ranks[0].state() == QProcess::Running) {
      QTest::qWait(500);
      if (!QFile::exists(db)) continue;
      try {
        auto store = RunStore::open(db.toStdString());
        const auto runs = store->runs();
        trained = !runs.empty() && store->metrics(runs.front().id).count("reward/mean") &&
                  store->metrics(runs.front().id).at("reward/mean").size() >= 2;
      } catch (const std::exception&) {
      }
    }
    QVERIFY2(trained, qPrintable(QString::fromUtf8(ranks[0].readAllStandardError())));
    ranks[1].kill();
    ranks[1].waitForFinished(10000);
    clock.restart();
    QVERIFY2(ranks[0].waitForFinished(60000), "rank 0 still runs a minute after rank 1 was killed");
    QCOMPARE(ranks[0].exitCode(), 1);
    auto store = RunStore::open(db.toStdString());
    const auto run = store->runs().front();
    QCOMPARE(run.status, RunStatus::Failed);
    QVERIFY2(QString::fromStdString(run.message).contains("another rank stopped responding"),
             run.message.c_str());
    QVERIFY(store->latestCheckpoint(run.id));  // what was stored before stays
  }

  // The local launcher names the rank that died when rank 1 is killed.
  void launcherReportsTheDeadRank() {
    const QString db = dir_.filePath("launcher.sqlite");
    QProcess launcher;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TMPDIR", dir_.path());  // the killed rank's scratch workspace goes with the test's folder
    launcher.setProcessEnvironment(env);
    launcher.start(THOUGHTBENCH_CLI, tinyRun("grpo", 200) << "--db" << db << "--nproc" << "2");
    QVERIFY(launcher.waitForStarted());
    // The ranks are the launcher's children, in rank order.
    QStringList children;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 60000) {
      QTest::qWait(200);
      QFile file(QString("/proc/%1/task/%1/children").arg(launcher.processId()));
      if (file.open(QIODevice::ReadOnly))
        children = QString::fromUtf8(file.readAll()).split(' ', Qt::SkipEmptyParts);
      if (children.size() == 2) break;
    }
    QCOMPARE(children.size(), 2);
    QTest::qWait(3000);  // inside training or the warm start
    ::kill(children[1].toInt(), SIGKILL);
    QVERIFY2(launcher.waitForFinished(120000), "the launcher did not end after rank 1 was killed");
    QCOMPARE(launcher.exitCode(), 1);
    const QString err = QString::fromUtf8(launcher.readAllStandardError());
    QVERIFY2(err.contains("rank 1 of 2 was killed by signal 9"), qPrintable(err));
    auto store = RunStore::open(db.toStdString());
    const auto run = store->runs().front();
    QCOMPARE(run.status, RunStatus::Failed);
    QVERIFY2(QString::fromStdString(run.message).startsWith("rank 1 of 2 was killed by signal 9"), run.message.c_str());
    QVERIFY2(!QString::fromStdString(run.message).contains("rank 0: rank 0"), run.message.c_str());
  }

  void refusals() {
    const QString db = dir_.filePath("refused.sqlite");
    // Flow of Reasoning's loss runs the policy itself: refused by name, the run stored as failed.
    QStringList forArgs = tinyRun("flow_of_reasoning", 2);
    for (const char* regularizer : {"algo.entropy_coef=0.01", "algo.kl_coef=0.04"}) {
      const auto at = forArgs.indexOf(regularizer);
      forArgs.remove(at - 1, 2);
    }
    const Result fr = cli(forArgs << "--db" << db << "--nproc" << "2");
    QVERIFY2(fr.code == 1, qPrintable(fr.out + fr.err));
    auto store = RunStore::open(db.toStdString());
    const auto run = store->run(runIdOf(fr.out));
    QVERIFY(run);
    QCOMPARE(run->status, RunStatus::Failed);
    QVERIFY2(QString::fromStdString(run->message).contains("cannot train across processes"), run->message.c_str());

    // NCCL asked for where no rank can have it (the built-in policy is on the CPU; this build may
    // lack NCCL too): every rank stops at once, the run is stored as failed with rank 0's reason.
    QProcessEnvironment ncclEnv = QProcessEnvironment::systemEnvironment();
    ncclEnv.insert("TB_DIST_BACKEND", "nccl");
    const Result nccl = cli(tinyRun("grpo", 2) << "--db" << db << "--nproc" << "2", ncclEnv);
    QVERIFY2(nccl.code == 1, qPrintable(nccl.out + nccl.err));
    const auto refused = store->run(runIdOf(nccl.out));
    QVERIFY(refused);
    QCOMPARE(refused->status, RunStatus::Failed);
    QVERIFY2(QString::fromStdString(refused->message).contains("TB_DIST_BACKEND=nccl, but rank 0"), refused->message.c_str());

    const Result bad = cli(tinyRun("grpo", 2) << "--db" << db << "--nproc" << "0");
    QCOMPARE(bad.code, 2);
    QVERIFY2(bad.err.contains("--nproc 0"), qPrintable(bad.err));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("WORLD_SIZE", "2");
    const Result noRank = cli(tinyRun("grpo", 2) << "--db" << db, env);
    QCOMPARE(noRank.code, 2);
    QVERIFY2(noRank.err.contains("RANK is not"), qPrintable(noRank.err));
    env.insert("RANK", "0");
    const Result both = cli(tinyRun("grpo", 2) << "--db" << db << "--nproc" << "2", env);
    QCOMPARE(both.code, 2);
    QVERIFY2(both.err.contains("already rank 0"), qPrintable(both.err));
  }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"
