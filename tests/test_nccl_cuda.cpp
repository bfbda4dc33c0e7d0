// The NCCL process group (core/engine/nccl/, built only with a CUDA LibTorch and nccl.h) on a GPU:
// one rank, since NCCL refuses two ranks on one GPU and the GPU machines here have one. It checks
// what the multi-rank CPU tests cannot: that the group is chosen, created and carries host and GPU
// tensors through the rank's GPU and back. Label gpu (tests/gpu/run.sh).
#include <QCoreApplication>
#include <QtTest>

#include "core/engine/Distributed.h"

using namespace tb;

class TestNcclCuda : public QObject {
  Q_OBJECT

  static LaunchEnvironment oneRank() {
    LaunchEnvironment env;
    env.rank = 0;
    env.worldSize = 1;
    env.localRank = 0;
    env.masterPort = 31000 + static_cast<int>(QCoreApplication::applicationPid() % 2000);
    env.timeout = std::chrono::seconds(60);
    return env;
  }

 private slots:
  void initTestCase() {
    if (!torch::cuda::is_available()) QSKIP("no GPU visible");
    QVERIFY(ncclBuilt());
  }

  void collectivesOnTheRanksGpu() {
    Distributed dist(oneRank(), 0);
    QCOMPARE(dist.backend(), CollectiveBackend::Nccl);
    QCOMPARE(dist.backendReason(), std::string("every rank has a GPU of its own"));

    // A host tensor travels through the GPU and comes back in place (the sum over one rank is itself).
    auto host = torch::arange(6, torch::kFloat).reshape({2, 3});
    const auto hostBefore = host.clone();
    dist.allReduceSum(host, "a host tensor");
    QVERIFY(host.is_cpu());
    QVERIFY(torch::equal(host, hostBefore));
    auto onGpu = torch::full({4}, 2.5, torch::TensorOptions().dtype(torch::kDouble).device(torch::kCUDA, 0));
    dist.allReduceSum(onGpu, "a GPU tensor");
    QVERIFY(onGpu.is_cuda());
    QCOMPARE(onGpu.sum().item<double>(), 10.0);

    std::vector<torch::Tensor> weights{torch::ones({3}, torch::kCUDA), torch::ones({2})};
    dist.broadcast(weights, "weights");
    QCOMPARE(weights[0].sum().item<float>(), 3.0f);
    QCOMPARE(weights[1].sum().item<float>(), 2.0f);

    // Gradients in two buckets; an undefined gradient counts as zero and is defined afterwards.
    auto a = torch::ones({300}, torch::TensorOptions().device(torch::kCUDA, 0).requires_grad(true));
    auto b = torch::ones({5}, torch::TensorOptions().device(torch::kCUDA, 0).requires_grad(true));
    (a * 3).sum().backward();
    dist.allReduceGradients({a, b}, 1024);
    QCOMPARE(a.grad().sum().item<float>(), 900.0f);
    QVERIFY(b.grad().defined());
    QCOMPARE(b.grad().abs().sum().item<float>(), 0.0f);

    QVERIFY(dist.anyRank(true));
    QVERIFY(!dist.anyRank(false));
  }
};

QTEST_GUILESS_MAIN(TestNcclCuda)
#include "test_nccl_cuda.moc"
