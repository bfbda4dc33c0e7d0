// End-to-end runs that train a Hugging Face checkpoint as the policy (model.hf_path): a tiny
// random Qwen2 in the exact HF layout with the qwen2_like tokenizer.json (tests/data/hf_tokenizer),
// prompts in its ChatML template. LoRA runs train only the adapters while the reference is the
// frozen base (KL 0 before the first update, > 0 after); a LoRA run's checkpoints hold only the
// adapters; an interrupted run resumes bit-identically (the warm start is folded into the base
// again); full fine-tuning keeps a frozen copy; algorithms that need the built-in policy's
// internals, and broken folders, are refused by name.
#include <torch/torch.h>

#include <QtTest>

#include <climits>
#include <filesystem>

#include "core/config/RunConfig.h"
#include "core/engine/AttentionSession.h"
#include "core/engine/Engine.h"
#include "core/engine/RunPolicy.h"
#include "core/engine/SearchSession.h"
#include "core/model/HfCausalLM.h"
#include "core/model/LoraLinear.h"
#include "core/rollout/HfPolicyTokenizer.h"
#include "core/store/RunStore.h"
#include "tests/EngineTestSupport.h"
#include "tests/HfTestSupport.h"
#include "tests/TestSupport.h"

using namespace tb;
namespace fs = std::filesystem;

namespace {

RunConfig hfConfig(const std::string& folder, const std::string& algorithm, int iterations) {
  RunConfig c = RunConfig::defaults("game24", algorithm);
  c.set("model.hf_path", folder);
  for (const char* o : {"rollout.prompts=2", "rollout.group_size=4", "rollout.max_new_tokens=64",
                        "warmstart.demonstrations=8", "warmstart.steps=3", "warmstart.batch=4", "eval.every=0",
                        "run.threads=1", "run.checkpoint_every=1", "run.samples_logged=8", "train.lr=0.01"})
    c.applyOverride(o);
  // A KL penalty (the reference matters) and an entropy bonus (a gradient even when every reward is 0).
  for (const char* o : {"algo.entropy_coef=0.01", "algo.kl_coef=0.04"})
    if (c.schema().find(std::string(o).substr(0, std::string(o).find('=')))) c.applyOverride(o);
  c.set("run.iterations", iterations);
  return c;
}

struct Outcome {
  RunStatus status;
  std::string message;
  std::int64_t id = 0;
};

Outcome runToEnd(const std::string& db, const RunConfig& config, RunListener* listener = nullptr,
                 RunControl* control = nullptr) {
  std::int64_t id = 0;
  {
    auto store = RunStore::open(db);
    id = createRun(*store, config);
  }
  RunControl own;
  const RunStatus status = executeRun(db, id, control ? *control : own, listener);
  return {status, RunStore::open(db)->run(id)->message, id};
}

}  // namespace

class TestHfTraining : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string model_;

 private slots:
  void initTestCase() { model_ = writeTinyHfPolicy(fs::path(dir_.path().toStdString()) / "tiny-qwen2"); }

  void loraRunTrainsAdaptersOverTheFrozenBase() {
    const std::string db = dir_.filePath("lora.sqlite").toStdString();
    const Outcome out = runToEnd(db, hfConfig(model_, "grpo", 3));
    QVERIFY2(out.status == RunStatus::Finished, out.message.c_str());
    auto store = RunStore::open(db);
    // The reference is the base with the warm start folded in: equal to the policy before the
    // first update, apart after it.
    const auto kl = store->metric(out.id, "kl");
    QCOMPARE(kl.size(), size_t(3));
    QVERIFY2(std::abs(kl[0].value) < 1e-6, qPrintable(QString::number(kl[0].value, 'g', 10)));
    QVERIFY2(kl[2].value > 1e-7, qPrintable(QString::number(kl[2].value, 'g', 10)));
    QVERIFY(store->metric(out.id, "warmstart/loss", -1000).size() >= 1);
    // Completions are decoded text of the model's tokenizer, stored with their prompts.
    const auto samples = store->samples(out.id);
    QVERIFY(samples.size() >= 8);
    QVERIFY(samples[0].tokens > 0);
    // Checkpoints hold the adapters only; reference.pt the warm start's adapters.
    const auto ckpt = store->latestCheckpoint(out.id);
    QVERIFY(ckpt.has_value());
    const auto tensors = checkpointTrainableTensors(ckpt->path);
    QCOMPARE(tensors.size(), size_t(2 /*layers*/ * 4 /*q k v o*/ * 2 /*A, B*/));
    QCOMPARE(tensors[0].first, std::string("model.layers.0.self_attn.q_proj.lora_A.weight"));
    QCOMPARE(tensors[0].second.sizes(), torch::IntArrayRef({8, 32}));
    for (const auto& [name, tensor] : tensors) QVERIFY2(name.find(".lora_") != std::string::npos, name.c_str());
    // The adapters trained: B started at 0.
    QVERIFY(tensors[1].first.find("lora_B") != std::string::npos);
    QVERIFY(tensors[1].second.abs().max().item<double>() > 0);
    QVERIFY(fs::exists(store->runDirectory(out.id) + "/reference.pt"));
    bool describedLora = false;
    for (const auto& line : store->logs(out.id))
      describedLora |= line.message.find("LoRA r 8") != std::string::npos;
    QVERIFY(describedLora);
  }

  void interruptedLoraRunResumesIdentically() {
    const RunConfig config = hfConfig(model_, "grpo", 3);
    const std::string straightDb = dir_.filePath("straight.sqlite").toStdString();
    const Outcome straight = runToEnd(straightDb, config);
    QVERIFY2(straight.status == RunStatus::Finished, straight.message.c_str());

    const std::string resumedDb = dir_.filePath("resumed.sqlite").toStdString();
    RunControl control;
    CancelAfter cancel(control, 1);  // checkpoint of iteration 0 written; iteration 1 is lost
    const Outcome first = runToEnd(resumedDb, config, &cancel, &control);
    QCOMPARE(first.status, RunStatus::Cancelled);
    RunControl again;
    QCOMPARE(executeRun(resumedDb, first.id, again, nullptr), RunStatus::Finished);

    auto a = RunStore::open(straightDb);
    auto b = RunStore::open(resumedDb);
    const auto ma = a->metrics(straight.id), mb = b->metrics(first.id);
    int compared = 0;
    for (const auto& [name, points] : ma) {
      if (isTimingMetric(name)) continue;
      QVERIFY2(mb.count(name) && mb.at(name).size() == points.size(), name.c_str());
      for (size_t i = 0; i < points.size(); ++i) {
        QVERIFY2(mb.at(name)[i].value == points[i].value,
                 qPrintable(QString("%1 @%2: straight %3, resumed %4").arg(name.c_str()).arg(points[i].iteration)
                                .arg(points[i].value, 0, 'g', 17).arg(mb.at(name)[i].value, 0, 'g', 17)));
        ++compared;
      }
    }
    QVERIFY(compared > 30);
    QVERIFY(ma.count("kl") && ma.at("kl").back().value > 0);
  }

  void fullFineTuningKeepsAFrozenCopy() {
    RunConfig config = hfConfig(model_, "grpo", 2);
    config.set("model.lora_rank", 0);
    config.set("train.lr", 0.001);
    const std::string db = dir_.filePath("full.sqlite").toStdString();
    const Outcome out = runToEnd(db, config);
    QVERIFY2(out.status == RunStatus::Finished, out.message.c_str());
    auto store = RunStore::open(db);
    const auto kl = store->metric(out.id, "kl");
    QCOMPARE(kl.size(), size_t(2));
    QVERIFY(std::abs(kl[0].value) < 1e-6);
    QVERIFY(kl[1].value > 1e-8);
    const auto tensors = checkpointTrainableTensors(store->latestCheckpoint(out.id)->path);
    QVERIFY(!tensors.empty());
    QCOMPARE(tensors[0].first, std::string("model.embed_tokens.weight"));
    for (const auto& [name, tensor] : tensors) QVERIFY2(name.find("lora_") == std::string::npos, name.c_str());
  }

  // A trained LoRA run exported as a merged HF folder and as a PEFT adapter: the original base with
  // the adapter loaded gives the merged model's logits, and both differ from the base (it trained).
  // A warm-started run's adapter alone is refused (its warm start lives in the base weights).
  void exportedPolicyLoadsBack() {
    RunConfig config = hfConfig(model_, "grpo", 2);
    config.set("warmstart.steps", 0);
    const std::string db = dir_.filePath("export.sqlite").toStdString();
    const Outcome out = runToEnd(db, config);
    QVERIFY2(out.status == RunStatus::Finished, out.message.c_str());
    auto store = RunStore::open(db);
    const std::string merged = dir_.filePath("export-merged").toStdString();
    const std::string adapter = dir_.filePath("export-adapter").toStdString();
    QCOMPARE(exportHfPolicy(*store, out.id, merged, false), 1);
    QCOMPARE(exportHfPolicy(*store, out.id, adapter, true), 1);
    QVERIFY(fs::exists(fs::path(merged) / "tokenizer.json"));
    QVERIFY(fs::exists(fs::path(adapter) / "adapter_config.json"));

    HfCausalLM base = loadHfCausalLM(model_);
    HfCausalLM withAdapter = loadHfCausalLM(model_);
    loadLoraAdapter(*withAdapter, adapter);
    HfCausalLM trained = loadHfCausalLM(merged);
    double mergeDiff = 0, trainedDiff = 0;
    {
      torch::NoGradGuard noGrad;
      const auto tokens = torch::tensor({{5, 77, 300, 12, 640, 9}}, torch::kLong);
      const auto valid = torch::ones_like(tokens, torch::kBool);
      const auto a = withAdapter->forward(tokens, valid), m = trained->forward(tokens, valid);
      const auto b = base->forward(tokens, valid);
      mergeDiff = (a - m).abs().max().item<double>();
      trainedDiff = (m - b).abs().max().item<double>();
    }
    QVERIFY2(mergeDiff < 1e-4, qPrintable(QString("adapter vs merged: %1").arg(mergeDiff)));
    QVERIFY2(trainedDiff > 1e-3, qPrintable(QString("merged vs base: %1").arg(trainedDiff)));

    // The warm-started run of the first test function: merged works, the adapter alone is refused.
    const Outcome warm = runToEnd(dir_.filePath("export-warm.sqlite").toStdString(), hfConfig(model_, "grpo", 1));
    QVERIFY2(warm.status == RunStatus::Finished, warm.message.c_str());
    auto warmStore = RunStore::open(dir_.filePath("export-warm.sqlite").toStdString());
    QCOMPARE(exportHfPolicy(*warmStore, warm.id, dir_.filePath("export-warm").toStdString(), false), 0);
    try {
      exportHfPolicy(*warmStore, warm.id, dir_.filePath("export-warm-adapter").toStdString(), true);
      QFAIL("an adapter-only export of a warm-started run was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("folded into the base") != std::string::npos, e.what());
    }
  }

  // The attention behind a sample of an HF run (the Attention tab, `thoughtbench-cli attention`):
  // recomputed with the run's own checkpoint (warm start folded into the base, then the adapters),
  // equal to the attention of the merged export of that checkpoint, with BPE tokens as labels.
  void attentionOfAnHfRun() {
    const std::string db = dir_.filePath("attention.sqlite").toStdString();
    const Outcome out = runToEnd(db, hfConfig(model_, "grpo", 2));
    QVERIFY2(out.status == RunStatus::Finished, out.message.c_str());
    auto store = RunStore::open(db);

    // A sample of iteration 1 was drawn by the checkpoint after iteration 0; iteration 0's by the warm start.
    const auto second = store->samples(out.id, 1, 1);
    QCOMPARE(second.size(), size_t(1));
    const AttentionSample a = attentionOfSample(*store, second.front().id);
    QVERIFY2(a.policy.rfind("checkpoint of iteration 0", 0) == 0, a.policy.c_str());
    QVERIFY2(a.policy.find("tiny-qwen2") != std::string::npos, a.policy.c_str());
    QCOMPARE(a.layerCount, 2);
    QCOMPARE(a.headCount, 4);
    const int T = a.size();
    for (int h = 0; h < a.headCount * int(a.layers.size()); ++h)
      for (int t = 0; t < T; ++t) {
        double row = 0;
        for (int k = 0; k < T; ++k) row += a.weights[size_t(h) * T * T + size_t(t) * T + k];
        QVERIFY2(std::abs(row - 1.0) < 1e-4, qPrintable(QString("row %1 of map %2 sums to %3").arg(t).arg(h).arg(row)));
        QCOMPARE(a.weights[size_t(h) * T * T + size_t(t) * T + (T - 1)] == 0.0f, t < T - 1);  // causal
      }
    const auto first = store->samples(out.id, 0, 1);
    QVERIFY(attentionOfSample(*store, first.front().id).policy.rfind("warm start", 0) == 0);

    // A chosen text under the policy after iteration 1 (the latest checkpoint), against the merged export.
    const std::string prompt = "Use 4 4 6 8 to make 24.", completion = "4*6=24\n(left: 4 8 24)";
    const AttentionSample b = attentionOfRunText(*store, out.id, 2, prompt, completion);
    QVERIFY2(b.policy.rfind("checkpoint of iteration 1", 0) == 0, b.policy.c_str());
    const std::string merged = dir_.filePath("attention-merged").toStdString();
    QCOMPARE(exportHfPolicy(*store, out.id, merged, false), 1);
    const RunConfig config = RunConfig::fromJson(store->run(out.id)->config, "run");
    HfPolicyTokenizer tokenizer(model_, config.getString("model.hf_chat"), 700);
    std::vector<int> ids = tokenizer.encodePrompt(prompt);
    QCOMPARE(b.promptLength, int(ids.size()));
    const auto tail = tokenizer.encodeCompletion(completion);
    ids.insert(ids.end(), tail.begin(), tail.end());
    QCOMPARE(b.size(), int(ids.size()));
    HfCausalLM trained = loadHfCausalLM(merged), base = loadHfCausalLM(model_);
    torch::NoGradGuard noGrad;
    const auto tokens = torch::tensor(ids, torch::kLong).view({1, b.size()});
    const auto valid = torch::ones_like(tokens, torch::kBool);
    const auto expected = torch::stack(trained->attentionMaps(tokens, valid)).reshape({-1});
    const auto untrained = torch::stack(base->attentionMaps(tokens, valid)).reshape({-1});
    const auto got = torch::tensor(b.weights);
    QCOMPARE(got.numel(), expected.numel());
    const double diff = (got - expected).abs().max().item<double>(), moved = (expected - untrained).abs().max().item<double>();
    qInfo("attention of the run's checkpoint vs its merged export: %.3g (the base differs by %.3g)", diff, moved);
    QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
    QVERIFY2(moved > 1e-5, qPrintable(QString::number(moved)));

    // The labels are the BPE pieces: the completion's join back to its text (newline and spaces
    // shown as symbols), then the end-of-turn token by name.
    std::string joined;
    for (int t = b.promptLength; t < b.size() - 1; ++t) joined += b.tokens[size_t(t)];
    QCOMPARE(QString::fromStdString(joined), QString::fromStdString(completion).replace('\n', QChar(0x23ce)).replace(' ', QChar(0x2423)));
    QCOMPARE(b.tokens.back(), tokenizer.tokenizer().idToToken(tokenizer.eosId()));

    // A run trained on a GPU opens where there is none: on the CPU in float32.
    if (torch::cuda::device_count() == 0) {
      RunConfig onGpu = config;
      onGpu.set("model.device", std::string("cuda"));
      onGpu.set("model.dtype", std::string("bfloat16"));
      const auto task = TaskRegistry::instance().at(onGpu.task(), "task").create(onGpu);
      const RestoredRunPolicy restored = restoreRunPolicy(*store, out.id, onGpu, *task, INT_MAX);
      QVERIFY(restored.onCpuInstead);
      QCOMPARE(restored.checkpoint->iteration, 1);
      const auto maps = restored.policy->attentionMaps(ids);
      const double cpuDiff = (torch::stack(maps).reshape({-1}) - expected).abs().max().item<double>();
      QVERIFY2(cpuDiff < 1e-5, qPrintable(QString::number(cpuDiff)));
    }
  }

  // Tree search with an HF run's policy (`search --checkpoint RUN`, the Trees tab's New search):
  // steps are lines, cut at the first token holding a newline; value_model is refused by name.
  void searchWithAnHfRun() {
    const std::string db = dir_.filePath("search.sqlite").toStdString();
    RunConfig config = hfConfig(model_, "grpo", 1);
    config.set("warmstart.steps", 0);
    const Outcome out = runToEnd(db, config);
    QVERIFY2(out.status == RunStatus::Finished, out.message.c_str());
    auto store = RunStore::open(db);
    SearchRequest request;
    request.problemId = "game24/918";
    request.store = store.get();
    request.run = out.id;
    request.overrides = {"search.method=mcts", "search.simulations=24", "search.branching=3", "search.step_tokens=24"};
    request.seed = 5;
    const SearchOutcome mcts = searchProblem(request);
    QVERIFY2(mcts.policy.find("checkpoint of iteration 0") != std::string::npos &&
                 mcts.policy.find("tiny-qwen2") != std::string::npos,
             mcts.policy.c_str());
    QVERIFY(mcts.tree.size() > 3);
    QVERIFY(mcts.tokens > 0);
    // The same run's group sampled whole.
    request.sampleGroup = 6;
    QCOMPARE(searchProblem(request).tree.kind, std::string("samples"));

    // The checkpoint folder searched as it is (no run) on GSM8K, where an unreadable line does not
    // end the episode (Game of 24 ends it at the first illegal step, and random weights write no
    // legal one): lines that ended at a newline token are inner nodes, one line each.
    SearchRequest untrained;
    untrained.task = "gsm8k";
    untrained.problemId = "gsm8k/137";
    untrained.overrides = {"model.hf_path=" + model_, "search.method=mcts", "search.simulations=16",
                           "search.branching=3", "search.step_tokens=64", "search.max_depth=3"};
    untrained.seed = 3;
    const SearchOutcome fresh = searchProblem(untrained);
    QVERIFY2(fresh.policy.rfind("Hugging Face checkpoint", 0) == 0, fresh.policy.c_str());
    int lines = 0;
    for (const auto& node : fresh.tree.nodes) {
      if (node.depth == 0) continue;
      QVERIFY2(node.step.find('\n') == std::string::npos, node.step.c_str());
      lines += !node.terminal;
    }
    qInfo("gsm8k search with the untrained checkpoint: %zu nodes, %d inner, depth %d", fresh.tree.size(), lines,
          fresh.tree.maxDepth());
    QVERIFY2(lines > 0, "no step ended at a newline: every candidate was a final line");
    request.sampleGroup = 0;
    request.overrides.push_back("search.value=value_model");
    // Refused by name (only rest_mcts trains a value model, and it reads the built-in policy's trunk).
    QVERIFY(inputErrorOf([&] { searchProblem(request); }).contains("search.value = value_model"));
  }

  // Refusals name what is wrong and store the run as failed.
  void refusals() {
    struct Case {
      std::string algorithm;
      std::vector<std::string> overrides;
      std::string expected;
    };
    const std::vector<Case> cases = {
        {"ppo", {}, "the PPO critic"},
        {"spin", {}, "previous iteration (SPIN)"},
        {"grpo", {"model.lora_targets=qq_proj"}, "model.lora_targets"},
        {"grpo", {"model.hf_path=" + dir_.filePath("missing").toStdString()}, "missing/config.json"},
        {"grpo", {"warmstart.checkpoint=/tmp/x.pt"}, "warmstart.checkpoint"},
        {"grpo", {"model.device=cuda"}, "model.device"},
    };
    int i = 0;
    for (const auto& c : cases) {
      RunConfig config = hfConfig(model_, c.algorithm, 1);
      for (const auto& o : c.overrides) config.applyOverride(o);
      const Outcome out = runToEnd(dir_.filePath("refused-" + QString::number(i++) + ".sqlite").toStdString(), config);
      QCOMPARE(out.status, RunStatus::Failed);
      QVERIFY2(out.message.find(c.expected) != std::string::npos, (c.algorithm + ": " + out.message).c_str());
    }
    // A folder without tokenizer.json.
    const fs::path bare = fs::path(dir_.path().toStdString()) / "bare";
    fs::create_directories(bare);
    fs::copy_file(fs::path(model_) / "config.json", bare / "config.json");
    fs::copy_file(fs::path(model_) / "model.safetensors", bare / "model.safetensors");
    const Outcome out = runToEnd(dir_.filePath("bare.sqlite").toStdString(), hfConfig(bare.string(), "grpo", 1));
    QCOMPARE(out.status, RunStatus::Failed);
    QVERIFY2(out.message.find("no tokenizer.json") != std::string::npos, out.message.c_str());
  }
};

QTEST_APPLESS_MAIN(TestHfTraining)
#include "test_hf_training.moc"
