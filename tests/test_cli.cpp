// End-to-end tests of thoughtbench-cli as a user runs it: a short training run and the commands
// that read it back (show, metrics, samples, list), the benchmarks, and bad input that must give
// a one-line error naming the culprit, exit code 2, and leave existing files untouched.
#include <QtTest>

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDir>
#include <QProcess>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/hf/HfModelConfig.h"
#include "core/hf/Safetensors.h"
#include "tests/HfFolderSupport.h"
#ifdef TB_CLI_IMAGES
#include <QImage>
#endif

#define TB_CLI_NEAR(actual, expected, tol) \
  QVERIFY2(std::abs((actual) - (expected)) <= (tol), qPrintable(QString("%1 vs %2").arg(actual).arg(expected)))

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

  struct Result {
    int code = -1;
    QString out, err;
  };

  Result cli(const QStringList& args, int timeoutMs = 120000) {
    QProcess p;
    p.start(THOUGHTBENCH_CLI, args);
    p.waitForFinished(timeoutMs);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
  }

  QString db() const { return dir_.filePath("ws.sqlite"); }

  static QStringList tinyRun() {
    QStringList args;
    for (const char* s : {"model.d_model=32", "model.layers=1", "model.heads=2", "model.context=128",
                          "rollout.prompts=2", "rollout.group_size=4", "rollout.max_new_tokens=80",
                          "warmstart.demonstrations=16", "warmstart.steps=4", "warmstart.batch=4", "eval.every=2",
                          "eval.problems=2", "eval.samples=2", "eval.k=2", "run.threads=1"})
      args << "--set" << s;
    return args;
  }

  static QByteArray fileHash(const QString& path) {
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
  }

  // A tiny tied Qwen2 checkpoint (tests/HfFolderSupport.h) in a new folder under the test directory.
  QString writeTinyQwen2(const QString& name, int vocab) {
    return QString::fromStdString(tb::writeTinyQwen2Folder(dir_.filePath(name).toStdString(), vocab));
  }

 private slots:
  // The built-in experiment: its plan, and a shrunk run of it (two algorithms x two seeds, tiny
  // model) that ends with the report; the later runs start from the first run's warm start.
  void seedComparisonExperiment() {
    auto r = cli({"experiment", "seed-comparison", "--dry-run"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    for (const char* name : {"grpo-s1", "dr_grpo-s2", "dapo-s3", "empg-s1", "flow_of_reasoning-s3"}) QVERIFY(r.out.contains(name));
    QVERIFY(r.out.contains("15 runs"));
    r = cli({"experiment", "seed-comparison", "--algorithms", "grpo,nonsense", "--dry-run"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("nonsense"), qPrintable(r.err));
    r = cli({"experiment", "other"});
    QCOMPARE(r.code, 2);

    const QString ws = dir_.filePath("experiment.sqlite"), report = dir_.filePath("seeds.html");
    QStringList args{"experiment", "seed-comparison", "--algorithms", "grpo,dr_grpo", "--seeds", "2", "--iterations", "2",
                     "--out", report, "--quiet", "--db", ws};
    for (int i = 0; i < tinyRun().size(); i += 2)
      if (!tinyRun()[i + 1].startsWith("eval.every")) args << "--set" << tinyRun()[i + 1];
    r = cli(args, 600000);
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("thoughtbench --compare 1,2,3,4"), qPrintable(r.out));
    QFile html(report);
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(html.readAll());
    QVERIFY(text.contains("data-metric=\"reward/mean\"") && text.contains("id=\"summary\""));
    r = cli({"show", "4", "--json", "--db", ws});
    const QJsonObject config = QJsonDocument::fromJson(r.out.toUtf8()).object()["config"].toObject();
    QVERIFY2(config["warmstart.checkpoint"].toString().endsWith("/1/reference.pt"), qPrintable(r.out));
    QCOMPARE(config["run.seed"].toInt(), 2);
  }

  // `model info` on a tiny Llama checkpoint in the Hugging Face layout, and its refusals.
  void modelInfo() {
    namespace fs = std::filesystem;
    const std::string folder = dir_.filePath("hf-llama").toStdString();
    fs::create_directories(folder);
    const nlohmann::json config = {{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", 8},
                                   {"intermediate_size", 16}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
                                   {"num_key_value_heads", 1}, {"vocab_size", 10}, {"tie_word_embeddings", true}};
    std::ofstream(folder + "/config.json") << config.dump();
    std::vector<tb::SafetensorToWrite> tensors;
    for (const auto& [name, shape] : tb::expectedHfTensors(tb::parseHfModelConfig(config, "test"))) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      tensors.push_back({name, shape, std::vector<float>(size_t(n), 1.0f), "BF16"});
    }
    tb::writeSafetensors(folder + "/model.safetensors", tensors);
    auto r = cli({"model", "info", "--model", QString::fromStdString(folder), "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject info = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(info["architecture"].toString(), QString("LlamaForCausalLM"));
    QCOMPARE(info["parameters"].toInt(), 80 + 2 * 592 + 8);  // tied: no lm_head
    QCOMPARE(info["dtypes"].toObject()["BF16"].toInt(), 2 * 9 + 2);
    r = cli({"model", "info", "--model", QString::fromStdString(folder)});
    QVERIFY2(r.code == 0 && r.out.contains("every tensor the architecture needs is present"), qPrintable(r.out + r.err));
    tensors.pop_back();  // some tensor gone
    tb::writeSafetensors(folder + "/model.safetensors", tensors);
    r = cli({"model", "info", "--model", QString::fromStdString(folder)});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("lacks tensor"), qPrintable(r.err));
    r = cli({"model", "info", "--model", dir_.filePath("no-such-model")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no-such-model"), qPrintable(r.err));
  }

  // `model tokenize` with a tokenizer.json (goldens from transformers.js in tests/data/hf_tokenizer)
  // and `model logits` of a tiny random Qwen2 checkpoint; the refusals name what is wrong.
  void modelTokenizeAndLogits() {
    const QString model = writeTinyQwen2("hf-qwen", /*vocab=*/12);

    auto r = cli({"model", "logits", "--model", model, "--ids", "1,2,3", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject out = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonArray logits = out["logits"].toArray();
    QCOMPARE(logits.size(), 12);
    double maxLogit = -1e30, sumExp = 0;
    for (const auto& v : logits) maxLogit = std::max(maxLogit, v.toDouble());
    for (const auto& v : logits) sumExp += std::exp(v.toDouble() - maxLogit);
    QVERIFY(maxLogit - logits[0].toDouble() != 0 || logits[1].toDouble() != logits[0].toDouble());  // not constant
    const QJsonArray top = out["top"].toArray();
    QCOMPARE(top.size(), 10);
    for (int i = 0; i < top.size(); ++i) {
      const QJsonObject t = top[i].toObject();
      QCOMPARE(t["logit"].toDouble(), logits[t["id"].toInt()].toDouble());
      // log-softmax of the printed vector
      QVERIFY(std::abs(t["logprob"].toDouble() - (t["logit"].toDouble() - maxLogit - std::log(sumExp))) < 1e-4);
      if (i > 0) QVERIFY(t["logit"].toDouble() <= top[i - 1].toObject()["logit"].toDouble());
    }
    r = cli({"model", "logits", "--model", model, "--ids", "1,2,3", "--top", "3"});
    QVERIFY2(r.code == 0 && r.out.contains("Qwen2ForCausalLM") && r.out.contains("top 3"), qPrintable(r.out + r.err));
    r = cli({"model", "logits", "--model", model, "--ids", "1,12"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("token id 12 is outside the vocabulary of 12"), qPrintable(r.err));
    r = cli({"model", "logits", "--model", model, "--text", "Hello"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("no tokenizer.json"), qPrintable(r.err));
    r = cli({"model", "logits", "--model", model, "--text", "Hello", "--ids", "1"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("exactly one of --text"), qPrintable(r.err));
    r = cli({"model", "logits", "--model", model, "--ids", "1", "--device", "tpu"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--device tpu"), qPrintable(r.err));

    const QString data = QStringLiteral(THOUGHTBENCH_SOURCE_DIR) + "/tests/data/hf_tokenizer/qwen2_like/";
    QVERIFY(QFile::copy(data + "tokenizer.json", model + "/tokenizer.json"));
    r = cli({"model", "tokenize", "--model", model, "--text", "Hello world"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.startsWith("490,308,621\n3 tokens"), qPrintable(r.out));  // transformers.js's ids
    r = cli({"model", "tokenize", "--model", model, "--text", "Hello<|endoftext|>World", "--json"});
    const QJsonObject tok = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(tok["ids"].toArray(), QJsonArray({490, 656, 87, 621}));
    QCOMPARE(tok["decoded"].toString(), QString("Hello<|endoftext|>World"));
    QCOMPARE(tok["tokens"].toArray()[1].toString(), QString("<|endoftext|>"));
    QVERIFY(QFile::copy(data + "tokenizer_config.json", model + "/tokenizer_config.json"));
    r = cli({"model", "tokenize", "--model", model, "--text", "What is 2+2?", "--chat", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(QJsonDocument::fromJson(r.out.toUtf8()).object()["decoded"].toString() ==
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
  }

  // `model generate` of a tiny random Qwen2 with the qwen2_like tokenizer: the JSON fields, the
  // same --seed giving the same text, <|im_end|> ending rows with --chat, and refusals.
  void modelGenerate() {
    const QString model = writeTinyQwen2("hf-qwen-generate", /*vocab=*/700);
    const QString data = QStringLiteral(THOUGHTBENCH_SOURCE_DIR) + "/tests/data/hf_tokenizer/qwen2_like/";
    QVERIFY(QFile::copy(data + "tokenizer.json", model + "/tokenizer.json"));
    const QStringList base = {"model", "generate", "--model", model, "--text", "Hello world", "--max-new-tokens", "12",
                              "--samples", "3", "--seed", "7", "--json"};
    auto r = cli(base);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject out = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(out["architecture"].toString(), QString("Qwen2ForCausalLM"));
    QCOMPARE(out["device"].toString(), QString("cpu"));
    QCOMPARE(out["max_new_tokens"].toInt(), 12);
    QCOMPARE(out["stop_tokens"].toArray().size(), 0);  // no eos_token_id anywhere: to the limit
    QCOMPARE(out["prompts"].toArray()[0].toObject()["tokens"].toInt(), 3);  // 490,308,621
    const QJsonArray samples = out["samples"].toArray();
    QCOMPARE(samples.size(), 3);
    int generated = 0;
    for (const auto& v : samples) {
      const QJsonObject s = v.toObject();
      QCOMPARE(s["tokens"].toInt(), 12);
      QCOMPARE(s["ids"].toArray().size(), 12);
      QCOMPARE(s["finished"].toBool(), false);
      QCOMPARE(s["prompt"].toInt(), 0);
      QVERIFY(s["mean_logprob"].toDouble() < 0 && s["mean_logprob"].toDouble() > -std::log(700.0) - 5);
      QVERIFY(s.contains("text"));
      generated += s["tokens"].toInt();
    }
    QCOMPARE(out["generated_tokens"].toInt(), generated);
    QVERIFY(out["tokens_per_second"].toDouble() > 0 && out["seconds"].toDouble() > 0);
    QVERIFY(samples[0].toObject()["ids"] != samples[1].toObject()["ids"]);  // three draws, not one
    // The same seed, the same completions (and a row's draws do not depend on the batch).
    r = cli(base);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonArray again = QJsonDocument::fromJson(r.out.toUtf8()).object()["samples"].toArray();
    for (int i = 0; i < 3; ++i) {
      QCOMPARE(again[i].toObject()["text"].toString(), samples[i].toObject()["text"].toString());
      QCOMPARE(again[i].toObject()["ids"], samples[i].toObject()["ids"]);
    }
    QStringList single = base;
    single[single.indexOf("--samples") + 1] = "1";
    r = cli(single);
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()["samples"].toArray()[0].toObject()["ids"],
             samples[0].toObject()["ids"]);

    // --chat: the end-of-turn token <|im_end|> stops, then config.json's eos_token_id.
    QVERIFY(QFile::copy(data + "tokenizer_config.json", model + "/tokenizer_config.json"));
    {
      std::ifstream in((model + "/config.json").toStdString());
      auto config = nlohmann::json::parse(in);
      config["eos_token_id"] = 656;  // <|endoftext|>
      std::ofstream((model + "/config.json").toStdString()) << config.dump();
    }
    r = cli({"model", "generate", "--model", model, "--text", "What is 2+2?", "--chat", "--samples", "2",
             "--temperature", "0.5", "--top-p", "0.9", "--max-new-tokens", "4", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject chat = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonArray stops = chat["stop_tokens"].toArray();
    QCOMPARE(stops.size(), 2);
    QCOMPARE(stops[0].toObject()["token"].toString(), QString("<|im_end|>"));
    QCOMPARE(stops[1].toObject()["id"].toInt(), 656);
    QVERIFY(chat["prompts"].toArray()[0].toObject()["tokens"].toInt() > 20);  // system + user + assistant header
    QCOMPARE(chat["top_p"].toDouble(), 0.9);
    // The plain-text output names every sample and the speed.
    r = cli({"model", "generate", "--model", model, "--text", "Hi", "--max-new-tokens", "3", "--samples", "2"});
    QVERIFY2(r.code == 0 && r.out.contains("[sample 2, text 1]") && r.out.contains("tokens/s"),
             qPrintable(r.out + r.err));

    // Refusals: one line naming the option, exit code 2.
    for (const QStringList& bad : {QStringList{"--samples", "0"}, QStringList{"--temperature", "0"},
                                   QStringList{"--top-p", "1.5"}, QStringList{"--max-new-tokens", "0"},
                                   QStringList{"--seed", "-3"}, QStringList{"--max-new-tokens", "100000"}}) {
      r = cli(QStringList{"model", "generate", "--model", model, "--text", "Hi"} + bad);
      QVERIFY2(r.code == 2, qPrintable(bad.join(' ') + ": " + r.err));
      QVERIFY2(r.err.trimmed().count('\n') == 0, qPrintable(r.err));
      const QString option = bad[0] == "--max-new-tokens" && bad[1] == "100000" ? "max_new_tokens" : bad[0];
      QVERIFY2(r.err.contains(option), qPrintable(bad.join(' ') + ": " + r.err));
    }
    r = cli({"model", "generate", "--model", model});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--text"), qPrintable(r.err));
  }

  void runAndReadBack() {
    auto r = cli(QStringList{"run", "--task", "game24", "--algorithm", "grpo", "--iterations", "3", "--db", db()} + tinyRun());
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("[3/3] reward"), qPrintable(r.out));
    QVERIFY(r.out.contains("run 1 finished"));

    r = cli({"show", "1", "--json", "--db", db()});
    QCOMPARE(r.code, 0);
    const QJsonObject show = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(show["status"].toString(), QString("finished"));
    QCOMPARE(show["iterations_done"].toInt(), 3);
    QCOMPARE(show["config"].toObject()["rollout.group_size"].toInt(), 4);
    for (const char* m : {"reward/mean", "reward/std", "accuracy", "entropy", "kl", "clip/low_frac", "clip/high_frac",
                          "length/mean", "groups/zero_std_frac", "loss/total", "grad_norm",
                          "throughput/tokens_per_s", "time/iteration_s", "eval/accuracy", "eval/pass@k",
                          "memory/peak_rss_mb"})
      QVERIFY2(show["latest_metrics"].toObject().contains(m), m);
    // A process that loaded LibTorch and trained a model holds tens of MB at least, and not 64 GB.
    const double rss = show["latest_metrics"].toObject()["memory/peak_rss_mb"].toObject()["value"].toDouble();
    QVERIFY2(rss > 20 && rss < 65536, qPrintable(QString::number(rss)));

    r = cli({"metrics", "1", "--csv", "--name", "reward/mean", "--db", db()});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out.split('\n', Qt::SkipEmptyParts).size(), 4);  // header + 3 iterations
    QVERIFY(r.out.startsWith("metric,iteration,value,wall_time"));

    r = cli({"samples", "1", "--iteration", "2", "--json", "--db", db()});
    QCOMPARE(r.code, 0);
    const QJsonArray samples = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(samples.size(), 8);  // 2 prompts x 4 completions
    for (const auto& s : samples) {
      const QJsonObject o = s.toObject();
      QCOMPARE(o["iteration"].toInt(), 2);
      QVERIFY(o["problem_id"].toString().startsWith("game24/"));
      QVERIFY(!o["reason"].toString().isEmpty());
      QCOMPARE(o["correct"].toBool(), o["reward"].toDouble() == 1.0);
    }

    r = cli({"list", "runs", "--json", "--db", db()});
    QCOMPARE(r.code, 0);
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 1);

    // Every metric of the run as a TensorBoard event file.
    const QString board = dir_.filePath("board");
    r = cli({"export", "tensorboard", "--runs", "1", "--out", board, "--db", db()});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QStringList names = QDir(board).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCOMPARE(names.size(), 1);
    const QStringList files = QDir(board + "/" + names[0]).entryList({"events.out.tfevents.*"}, QDir::Files);
    QCOMPARE(files.size(), 1);
    QVERIFY(QFileInfo(board + "/" + names[0] + "/" + files[0]).size() > 1000);
    r = cli({"export", "tensorboard", "--runs", "1,99", "--out", board, "--db", db()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("99"), qPrintable(r.err));
  }

  void listsDescribeEverything() {
    auto r = cli({"list", "algorithms", "--json"});
    QCOMPARE(r.code, 0);
    QStringList names;
    for (const auto& a : QJsonDocument::fromJson(r.out.toUtf8()).array()) {
      const QJsonObject o = a.toObject();
      names << o["name"].toString();
      QVERIFY(!o["paper"].toString().isEmpty());
      QVERIFY(o["year"].toInt() >= 2016);
      QVERIFY(!o["changes"].toString().isEmpty());
      QVERIFY(!o["params"].toArray().isEmpty());
      QVERIFY(!o["parts"].toArray().isEmpty());
      QVERIFY(o["tasks"].toArray().contains(QJsonValue("game24")));
      // Every task is either runnable or refused with a reason.
      const QJsonObject refused = o["cannot_run_on"].toObject();
      for (auto it = refused.begin(); it != refused.end(); ++it) QVERIFY(!it.value().toString().isEmpty());
    }
    for (const char* preset : {"grpo", "dr_grpo", "dapo", "ppo", "pf_ppo", "rloo", "reinforce_pp", "seed_grpo",
                               "stratified_grpo", "gigpo", "riskpo", "empg", "epo", "rover", "flow_of_reasoning",
                               "attention_credit", "thinkless", "scaf_grpo", "sec", "clpo", "dpo", "spin", "p3o",
                               "nash_md", "empo", "rest", "auto_cei"})
      QVERIFY2(names.contains(preset), preset);
    // GiGPO needs steps: the arithmetic task (no steps) is refused with the reason.
    for (const auto& a : QJsonDocument::fromJson(r.out.toUtf8()).array())
      if (a.toObject()["name"].toString() == "gigpo")
        QVERIFY(a.toObject()["cannot_run_on"].toObject()["arithmetic"].toString().contains("step-level"));
    r = cli({"list", "params", "--json", "--algorithm", "dapo"});
    QCOMPARE(r.code, 0);
    bool found = false;
    for (const auto& p : QJsonDocument::fromJson(r.out.toUtf8()).array())
      if (p.toObject()["key"].toString() == "algo.clip_high") found = p.toObject()["default"].toDouble() == 0.28;
    QVERIFY(found);
  }

  void everyTaskTrainsFromTheCli() {
    auto r = cli({"list", "tasks", "--json"});
    QCOMPARE(r.code, 0);
    const QJsonArray tasks = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QVERIFY(!tasks.isEmpty());
    for (const auto& t : tasks) {
      const QString name = t.toObject()["name"].toString();
      // A tiny policy, one GRPO iteration and one evaluation on each task's own default context.
      QStringList args{"run", "--task", name, "--algorithm", "grpo", "--iterations", "1", "--db", db(), "--quiet"};
      for (const char* s : {"model.d_model=32", "model.layers=1", "model.heads=2", "rollout.prompts=2",
                            "rollout.group_size=2", "rollout.max_new_tokens=24", "warmstart.demonstrations=0",
                            "eval.every=1", "eval.problems=2", "eval.samples=2", "eval.k=2", "run.threads=1"})
        args << "--set" << s;
      r = cli(args);
      QVERIFY2(r.code == 0, qPrintable(name + ": " + r.out + r.err));
    }
  }

  void parameterDocsCoverEveryKey() {
    QFile doc(QStringLiteral(THOUGHTBENCH_SOURCE_DIR) + "/docs/PARAMETERS.md");
    QVERIFY(doc.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(doc.readAll());
    auto tasks = cli({"list", "tasks", "--json"});
    QStringList combinations;
    auto algorithms = cli({"list", "algorithms", "--json"});
    for (const auto& a : QJsonDocument::fromJson(algorithms.out.toUtf8()).array())
      combinations << "game24/" + a.toObject()["name"].toString();
    for (const auto& t : QJsonDocument::fromJson(tasks.out.toUtf8()).array())
      combinations << t.toObject()["name"].toString() + "/grpo";
    for (const QString& combination : combinations) {
      const QStringList parts = combination.split('/');
      auto r = cli({"list", "params", "--json", "--task", parts[0], "--algorithm", parts[1]});
      QCOMPARE(r.code, 0);
      for (const auto& p : QJsonDocument::fromJson(r.out.toUtf8()).array()) {
        const QString key = p.toObject()["key"].toString();
        QVERIFY2(text.contains("`" + key + "`"), qPrintable(key + " is missing from docs/PARAMETERS.md"));
      }
    }
  }

  void badInputIsOneLineAndExitTwo() {
    struct Case {
      QStringList args;
      QString mustName;
    };
    const QString missingConfig = dir_.filePath("missing.json");
    QFile bad(dir_.filePath("bad.json"));
    bad.open(QIODevice::WriteOnly);
    bad.write("{\"rollout\": {\"group_size\": \"eight\"}}");
    bad.close();
    const QList<Case> cases = {
        {{"run", "--task", "game24", "--algorithm", "grpo", "--set", "rollout.group_size=abc"}, "rollout.group_size"},
        {{"run", "--task", "game24", "--algorithm", "grpo", "--set", "rollout.grop_size=3"}, "rollout.group_size"},
        {{"run", "--task", "nosuch", "--algorithm", "grpo"}, "nosuch"},
        {{"run", "--task", "game24", "--algorithm", "nosuch"}, "nosuch"},
        {{"run", "--config", missingConfig}, "missing.json"},
        {{"run", "--config", bad.fileName()}, "bad.json"},
        {{"run", "--task", "game24", "--algorithm", "grpo", "--set", "model.heads=3"}, "model.heads"},
        {{"show", "999"}, "999"},
        {{"list", "nothing"}, "nothing"},
        {{"bench", "warp"}, "warp"},
    };
    for (const Case& c : cases) {
      const bool usesWorkspace = c.args.first() != "bench";
      auto r = cli(usesWorkspace ? c.args + QStringList{"--db", db()} : c.args);
      QVERIFY2(r.code == 2, qPrintable(c.args.join(' ') + " -> " + QString::number(r.code) + " " + r.err));
      QVERIFY2(r.err.trimmed().count('\n') == 0, qPrintable(r.err));
      QVERIFY2(r.err.contains(c.mustName), qPrintable(c.args.join(' ') + ": " + r.err));
    }
  }

  void foreignFilesAreRefusedAndKept() {
    const QString text = dir_.filePath("notes.txt");
    QFile f(text);
    f.open(QIODevice::WriteOnly);
    f.write("these are my notes, not a database\n");
    f.close();
    const QByteArray before = fileHash(text);
    auto r = cli({"list", "runs", "--db", text});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("notes.txt"), qPrintable(r.err));
    r = cli(QStringList{"run", "--task", "game24", "--algorithm", "grpo", "--iterations", "1", "--db", text} + tinyRun());
    QCOMPARE(r.code, 2);
    QCOMPARE(fileHash(text), before);
  }

  void treesFromRunsSearchesAndFiles() {
    const QString ws = dir_.filePath("trees.sqlite");
    // A sampling algorithm stores its groups as prefix trees; MCTS-DPO its search trees.
    auto r = cli(QStringList{"run", "--task", "game24", "--algorithm", "grpo", "--iterations", "1", "--db", ws} + tinyRun());
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    r = cli(QStringList{"run", "--task", "game24", "--algorithm", "mcts_dpo", "--iterations", "2", "--db", ws,
                        "--set", "search.simulations=6", "--set", "search.branching=3", "--set", "run.trees_logged=2"} +
            tinyRun());
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));

    r = cli({"trees", "1", "--json", "--db", ws});
    QCOMPARE(r.code, 0);
    const QJsonArray sampled = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(sampled.size(), 1);
    QCOMPARE(sampled[0].toObject()["kind"].toString(), QString("samples"));
    QVERIFY(sampled[0].toObject()["nodes"].toInt() > 1);

    r = cli({"trees", "2", "--json", "--db", ws});
    QCOMPARE(r.code, 0);
    const QJsonArray searched = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(searched.size(), 4);  // 2 iterations x run.trees_logged = 2
    const QJsonObject last = searched.last().toObject();
    QCOMPARE(last["kind"].toString(), QString("mcts"));
    QCOMPARE(last["iteration"].toInt(), 1);
    const QString problem = last["problem_id"].toString();
    QVERIFY(problem.startsWith("game24/"));

    // Export in llm-reasoners' format, then import it back.
    const QString exported = dir_.filePath("exported.json");
    r = cli({"export", "tree", "--run", "2", "--iteration", "1", "--index", "1", "--out", exported, "--format",
             "llm-reasoners", "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QFile f(exported);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject log = QJsonDocument::fromJson(f.readAll()).object();
    QCOMPARE(log["logs"].toArray().size(), 6);  // one snapshot per simulation
    r = cli({"import", "tree", exported, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()["nodes"].toInt(), last["nodes"].toInt());

    // A comparison report of the two runs (different algorithms), self-contained HTML.
    const QString report = dir_.filePath("report.html");
    r = cli({"report", "--runs", "1,2", "--out", report, "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QFile reportFile(report);
    QVERIFY(reportFile.open(QIODevice::ReadOnly));
    const QString html = QString::fromUtf8(reportFile.readAll());
    QVERIFY(html.contains("data-metric=\"reward/mean\""));
    QVERIFY(html.contains("id=\"summary\""));
    QVERIFY(html.contains("mcts_dpo") && html.contains("grpo"));
    QVERIFY(!html.contains("https://") && !html.contains("http://"));
    r = cli({"report", "--runs", "1,99", "--out", report, "--db", ws});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("99"), qPrintable(r.err));
    r = cli({"report", "--runs", "1,2", "--out", dir_.filePath("missing-folder/report.html"), "--db", ws});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("missing-folder"), qPrintable(r.err));
#ifdef TB_CLI_IMAGES
    // The paginated PDF of the same comparison (drawn by the GUI's widgets offscreen).
    const QString pdf = dir_.filePath("report.pdf");
    r = cli({"report", "--runs", "1,2", "--out", pdf, "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QFile pdfFile(pdf);
    QVERIFY(pdfFile.open(QIODevice::ReadOnly) && pdfFile.read(5) == "%PDF-");
#endif

    // A new search with the run's checkpoint.
    const QString searchedFile = dir_.filePath("searched.json");
    r = cli({"search", "--checkpoint", "2", "--problem", problem, "--method", "beam", "--set", "search.beam_width=2",
             "--out", searchedFile, "--json", "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    const QJsonObject summary = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(summary["kind"].toString(), QString("beam"));
    QVERIFY(summary["nodes"].toInt() > 1);
    QVERIFY(summary["policy"].toString().contains("checkpoint of iteration 1"));
    r = cli({"import", "tree", searchedFile});
    QCOMPARE(r.code, 0);

    // The policy's own group on the same problem, as a prefix tree (no search).
    const QString groupFile = dir_.filePath("group.json");
    r = cli({"search", "--checkpoint", "2", "--problem", problem, "--method", "samples", "--samples", "6", "--out",
             groupFile, "--json", "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    const QJsonObject group = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(group["kind"].toString(), QString("samples"));
    QVERIFY(group["nodes"].toInt() > 1);

    // Bad input: refused before the search, naming the parameter; foreign trees name their fault.
    r = cli({"search", "--task", "game24", "--problem", problem, "--simulations", "0", "--out", searchedFile});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("search.simulations"), qPrintable(r.err));
    r = cli({"search", "--task", "game24", "--problem", problem, "--depth", "0", "--out", searchedFile});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("search.max_depth"), qPrintable(r.err));
    r = cli({"search", "--task", "game24", "--problem", "game24/nosuch", "--out", searchedFile});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("game24/nosuch"), qPrintable(r.err));
    QFile cyclic(dir_.filePath("cyclic.json"));
    cyclic.open(QIODevice::WriteOnly);
    cyclic.write(R"({"logs": [{"nodes": {"0": {"id": 0, "data": {}}, "1": {"id": 1, "data": {}}},
                              "edges": {"0": {"id": 0, "source": 0, "target": 1, "data": {}},
                                        "1": {"id": 1, "source": 1, "target": 0, "data": {}}}}]})");
    cyclic.close();
    r = cli({"import", "tree", cyclic.fileName()});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("cyclic.json"), qPrintable(r.err));
  }

  void attentionOfAStoredSample() {
    const QString ws = dir_.filePath("attention.sqlite");
    auto r = cli(QStringList{"run", "--task", "game24", "--algorithm", "grpo", "--iterations", "1", "--db", ws} + tinyRun());
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    r = cli({"samples", "1", "--json", "--limit", "1", "--db", ws});
    const QJsonObject sample = QJsonDocument::fromJson(r.out.toUtf8()).array().at(0).toObject();
    const QString id = QString::number(sample["id"].toInteger());
    const QString json = dir_.filePath("attention.json");
    r = cli({"attention", "--run", "1", "--sample", id, "--layers", "0", "--out", json, "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("warm start"), qPrintable(r.out));  // iteration 0 was drawn by the warm start
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject a = QJsonDocument::fromJson(f.readAll()).object();
    const int T = a["tokens"].toArray().size();
    QCOMPARE(T, a["prompt_length"].toInt() + sample["completion"].toString().size() + 1);
    QCOMPARE(a["attention"].toArray().size(), 1);                       // one kept layer
    QCOMPARE(a["attention"][0].toArray().size(), 2);                    // x 2 heads
    QCOMPARE(a["attention"][0][0].toArray().size(), T);                 // x T queries
    QCOMPARE(a["waad"].toArray().size(), T - a["prompt_length"].toInt());
#ifdef TB_CLI_IMAGES
    const QString png = dir_.filePath("attention.png");
    r = cli({"attention", "--sample", id, "--out", png, "--db", ws});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(QImage(png).width() > 200);
    QVERIFY(QImage(dir_.filePath("attention-tokens.png")).width() > 200);
#endif
    for (const auto& [args, mustName] : std::vector<std::pair<QStringList, QString>>{
             {{"attention", "--sample", "99999", "--out", json}, "99999"},
             {{"attention", "--sample", id, "--out", dir_.filePath("a.txt")}, "a.txt"},
             {{"attention", "--sample", id, "--layers", "9", "--out", json}, "layer 9"},
             {{"attention", "--sample", id, "--run", "7", "--out", json}, "run 7"}}) {
      r = cli(args + QStringList{"--db", ws});
      QCOMPARE(r.code, 2);
      QVERIFY2(r.err.contains(mustName), qPrintable(r.err));
    }
  }

  void benchPrintsOneJsonLine() {
    for (const char* which : {"rollout", "train-step"}) {
      auto r = cli({"bench", which, "--vocab", "16", "--d-model", "32", "--layers", "1", "--heads", "2", "--batch", "4",
                    "--prompt-len", "4", "--new-tokens", "4", "--threads", "1", "--repeats", "1"});
      QCOMPARE(r.code, 0);
      QCOMPARE(r.out.trimmed().count('\n'), 0);
      const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
      QCOMPARE(o["bench"].toString(), QString(which));
      QVERIFY(o["tokens_per_s"].toDouble() > 0);
      QCOMPARE(o["d_model"].toInt(), 32);
    }
    auto r = cli({"bench", "mcts", "--simulations", "4", "--problems", "1", "--threads", "1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o["bench"].toString(), QString("mcts"));
    QVERIFY(o["simulations_per_s"].toDouble() > 0);
    r = cli({"bench", "tree-layout", "--nodes", "2000", "--repeats", "1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o["nodes"].toInt(), 2000);
    QCOMPARE(o["visible"].toInt(), 2000);

    // Rows that end early: dropping them from the batch generates the same tokens.
    QJsonObject kept, dropped;
    for (bool keep : {true, false}) {
      QStringList args{"bench", "rollout", "--vocab", "8", "--d-model", "16", "--layers", "1", "--heads", "2",
                       "--batch", "16", "--prompt-len", "3", "--new-tokens", "24", "--threads", "1", "--repeats", "1",
                       "--eos-id", "2"};
      if (keep) args << "--keep-finished";
      r = cli(args);
      QVERIFY2(r.code == 0, qPrintable(r.err));
      (keep ? kept : dropped) = QJsonDocument::fromJson(r.out.toUtf8()).object();
    }
    QCOMPARE(kept["drop_finished_rows"].toBool(), false);
    QCOMPARE(dropped["drop_finished_rows"].toBool(), true);
    QCOMPARE(dropped["tokens"].toInt(), kept["tokens"].toInt());
    QVERIFY(dropped["tokens"].toInt() < 16 * 24);  // some rows ended

    // Whole GRPO iterations: the phases add up to the iteration.
    r = cli({"bench", "grpo-iteration", "--d-model", "32", "--layers", "1", "--heads", "2", "--prompts", "2",
             "--group-size", "2", "--new-tokens", "16", "--iterations", "2", "--threads", "1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(o["timed_iterations"].toInt(), 1);
    QVERIFY(o["tokens_per_iteration"].toDouble() > 0);
    double phases = 0;
    for (const char* phase : {"sample", "verify", "score", "advantages", "optimiser", "other"}) {
      const QJsonObject p = o["phases"].toObject()[phase].toObject();
      QVERIFY2(p["seconds"].toDouble() >= 0, phase);
      phases += p["seconds"].toDouble();
    }
    QVERIFY(o["phases"].toObject()["sample"].toObject()["seconds"].toDouble() > 0);
    TB_CLI_NEAR(phases, o["iteration_s"].toDouble(), 1e-3 + 0.01 * o["iteration_s"].toDouble());
    // A Hugging Face decoder of a given shape (random weights): prefill and decode rates.
    r = cli({"bench", "hf-model", "--hidden", "32", "--intermediate", "48", "--layers", "1", "--heads", "4",
             "--kv-heads", "2", "--vocab", "100", "--prompt-len", "8", "--new-tokens", "4", "--repeats", "1",
             "--threads", "1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    o = QJsonDocument::fromJson(r.out.toUtf8()).object();
    // embedding 100x32 (tied) + per layer q 32x32+32, k,v 16x32+16 each, o 32x32, MLP 3x32x48, 2 norms + final norm
    QCOMPARE(o["parameters"].toInt(), 3200 + (1056 + 2 * 528 + 1024 + 3 * 1536 + 64) + 32);
    QVERIFY(o["prefill_tokens_per_s"].toDouble() > 0 && o["decode_tokens_per_s"].toDouble() > 0);
    // One update step of that model, whole and in micro-batches: the peak tensor bytes fall with
    // the micro-batch (activations of 2 rows instead of 8), LoRA trains a small part.
    QJsonObject whole, micro;
    for (const char* rows : {"0", "2"}) {
      r = cli({"bench", "hf-update", "--hidden", "32", "--intermediate", "48", "--layers", "1", "--heads", "4",
               "--kv-heads", "2", "--vocab", "100", "--batch", "8", "--prompt-len", "16", "--new-tokens", "16",
               "--repeats", "1", "--threads", "1", "--micro-batch", rows});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      (QString(rows) == "0" ? whole : micro) = QJsonDocument::fromJson(r.out.toUtf8()).object();
    }
    QCOMPARE(whole["micro_batch"].toInt(), 8);
    QCOMPARE(micro["micro_batch"].toInt(), 2);
    QVERIFY(whole["trainable_parameters"].toInt() > 0 &&
            whole["trainable_parameters"].toInt() < whole["parameters"].toInt());
    QVERIFY2(micro["peak_tensor_bytes"].toDouble() < 0.6 * whole["peak_tensor_bytes"].toDouble(),
             qPrintable(QString("%1 vs %2").arg(micro["peak_tensor_bytes"].toDouble()).arg(whole["peak_tensor_bytes"].toDouble())));
    r = cli({"bench", "hf-model", "--dtype", "bfloat16"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("bench hf-model: bfloat16 on the CPU is refused"), qPrintable(r.err));
    r = cli({"bench", "grpo-iteration", "--iterations", "1"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("--iterations >= 2"), qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
