// Unit tests of the typed run configuration: defaults, JSON loading (flat and nested), overrides,
// and error messages that name the key, the value and what was expected.
#include <QtTest>

#include <map>

#include <fstream>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Task.h"

using tb::InputError;
using tb::RunConfig;

// A test-only algorithm entry: the real ones live in tb_core (LibTorch), which this test avoids.
TB_REGISTER_ALGORITHM(testAlgorithm, tb::AlgorithmInfo{
    "test-algo", "Test algorithm", "none", "nothing",
    {tb::ParamSpec::real("algo.beta", 0.04, 0.0, 10.0, "KL coefficient"),
     tb::ParamSpec::choice("algo.kl", "k3", {"k1", "k2", "k3"}, "KL estimator")},
    {{"rollout.group_size", 4}},
    nullptr});

class TestConfig : public QObject {
  Q_OBJECT

  static QString errorOf(const std::function<void()>& f) {
    try {
      f();
    } catch (const InputError& e) {
      return QString::fromStdString(e.what());
    }
    return {};
  }

 private slots:
  void defaultsComeFromSchemaAndOverrides() {
    auto config = RunConfig::defaults("game24", "test-algo");
    QCOMPARE(config.getInt("rollout.group_size"), 4);  // preset override of the common default
    QCOMPARE(config.getFloat("algo.beta"), 0.04);
    QCOMPARE(QString::fromStdString(config.getString("algo.kl")), QString("k3"));
    QVERIFY(config.changedKeys().empty());
    QVERIFY(config.schema().find("task.test_size") != nullptr);  // task parameters included
  }

  void overridesParseAndValidate() {
    auto config = RunConfig::defaults("game24", "test-algo");
    config.applyOverride("rollout.group_size=16");
    config.applyOverride("train.lr=3e-4");
    config.applyOverride("algo.kl=k1");
    QCOMPARE(config.getInt("rollout.group_size"), 16);
    QCOMPARE(config.getFloat("train.lr"), 3e-4);
    QCOMPARE(config.changedKeys().size(), size_t(3));

    QString e = errorOf([&] { config.applyOverride("rollout.group_size=zero"); });
    QVERIFY2(e.contains("rollout.group_size") && e.contains("zero") && e.contains("integer"), qPrintable(e));
    e = errorOf([&] { config.applyOverride("rollout.group_size=0"); });
    QVERIFY2(e.contains("[1, 4096]"), qPrintable(e));
    e = errorOf([&] { config.applyOverride("algo.kl=k4"); });
    QVERIFY2(e.contains("k1, k2, k3"), qPrintable(e));
    e = errorOf([&] { config.applyOverride("rollout.grop_size=3"); });
    QVERIFY2(e.contains("did you mean 'rollout.group_size'"), qPrintable(e));
    e = errorOf([&] { config.applyOverride("noequals"); });
    QVERIFY2(e.contains("key=value"), qPrintable(e));
    QCOMPARE(config.getInt("rollout.group_size"), 16);  // failed overrides change nothing
  }

  void jsonFlatAndNestedAgree() {
    nlohmann::json flat = {{"task", "game24"}, {"algorithm", "test-algo"},
                           {"rollout.group_size", 6}, {"algo.beta", 0.1}};
    nlohmann::json nested = {{"task", "game24"}, {"algorithm", "test-algo"},
                             {"rollout", {{"group_size", 6}}}, {"algo", {{"beta", 0.1}}}};
    auto a = RunConfig::fromJson(flat, "flat");
    auto b = RunConfig::fromJson(nested, "nested");
    QCOMPARE(a.toJson(), b.toJson());
    // Round trip through the stored form.
    auto c = RunConfig::fromJson(a.toJson(), "stored");
    QCOMPARE(c.toJson(), a.toJson());
  }

  void fileErrorsNameTheFile() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("bad.json").toStdString();
    std::ofstream(path) << "{\"algorithm\": \"test-algo\", \"rollout\": {\"group_size\": -3}}";
    QString e = errorOf([&] { RunConfig::fromFile(path); });
    QVERIFY2(e.contains("bad.json") && e.contains("rollout.group_size") && e.contains("-3"), qPrintable(e));
    std::ofstream(path) << "{not json";
    e = errorOf([&] { RunConfig::fromFile(path); });
    QVERIFY2(e.contains("bad.json") && e.contains("not valid JSON"), qPrintable(e));
    e = errorOf([&] { RunConfig::fromFile(dir.filePath("missing.json").toStdString()); });
    QVERIFY2(e.contains("missing.json"), qPrintable(e));
    e = errorOf([&] { RunConfig::fromJson({{"task", "nosuchtask"}}, "x"); });
    QVERIFY2(e.contains("unknown task 'nosuchtask'") && e.contains("game24"), qPrintable(e));
    e = errorOf([&] { RunConfig::fromJson({{"algorithm", "nosuch"}}, "x"); });
    QVERIFY2(e.contains("unknown algorithm 'nosuch'"), qPrintable(e));
  }

  void crossFieldConstraints() {
    auto config = RunConfig::defaults("game24", "test-algo");
    config.set("model.heads", 3);
    QString e = errorOf([&] { config.validate(); });
    QVERIFY2(e.contains("model.heads") && e.contains("model.d_model"), qPrintable(e));
    config.set("model.heads", 4);
    config.set("eval.k", 16);
    config.set("eval.samples", 8);
    e = errorOf([&] { config.validate(); });
    QVERIFY2(e.contains("eval.k"), qPrintable(e));
  }

  void schemaDescribesEveryParameter() {
    auto schema = RunConfig::schemaFor("game24", "test-algo");
    for (const auto& p : schema.params()) {
      QVERIFY2(!p.help.empty(), p.key.c_str());
      QVERIFY2(p.key.find('.') != std::string::npos, p.key.c_str());
      p.coerce(p.defaultValue);  // every default is valid for its own spec
    }
  }

  // File and folder parameters say so (the GUI gives them a chooser; `list params --json` lists it).
  void pathParametersAreMarked() {
    auto schema = RunConfig::schemaFor("game24", "test-algo");
    std::map<std::string, tb::PathKind> paths;
    for (const auto& p : schema.params()) {
      if (p.path != tb::PathKind::None) {
        QVERIFY2(p.type == tb::ParamType::String, p.key.c_str());
        paths[p.key] = p.path;
      }
    }
    QVERIFY(paths.count("model.hf_path") && paths.at("model.hf_path") == tb::PathKind::Folder);
    QVERIFY(paths.count("warmstart.checkpoint") && paths.at("warmstart.checkpoint") == tb::PathKind::File);
    QVERIFY(paths.count("task.data_file") && paths.at("task.data_file") == tb::PathKind::File);
    QVERIFY(!paths.count("run.name"));
    for (const auto& p : schema.params()) {
      const auto json = p.toJson();
      if (p.key == "model.hf_path") QCOMPARE(json.value("path", std::string()), std::string("folder"));
      if (p.key == "task.data_file") {
        QCOMPARE(json.value("path", std::string()), std::string("file"));
        QCOMPARE(json.value("path_filter", std::string()), std::string("CSV files (*.csv)"));
      }
      if (p.key == "run.name") QVERIFY(!json.contains("path"));
    }
  }
};

QTEST_APPLESS_MAIN(TestConfig)
#include "test_config.moc"
