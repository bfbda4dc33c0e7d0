// Qt Test suite for the tb_widgets views (CurvePlot, ConfigForm, SamplesView, LogView), run on the
// offscreen platform: data in/out, smoothing maths, export, form values and filtering, sample
// filtering and capping, log levels and auto-scroll.
#include "widgets/ConfigForm.h"
#include "widgets/CurvePlot.h"
#include "widgets/LogView.h"
#include "widgets/SamplesTableModel.h"
#include "widgets/SamplesView.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QAction>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextEdit>

#include <cmath>

using namespace tb;

namespace {

bool relClose(double a, double b, double rel = 1e-12) {
  return a == b || std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
}

QVector<FormField> sampleFields() {
  using K = FormField::Kind;
  return {
      {"rollout.temperature", K::Float, 0.7, 0.0, 2.0, {}, "Sampling temperature"},
      {"rollout.max_new_tokens", K::Int, 48, 1.0, 512.0, {}, "Tokens generated per completion"},
      {"algo.name", K::Choice, QStringLiteral("grpo"), std::nullopt, std::nullopt,
       {"grpo", "ppo", "reinforce"}, "Policy-gradient algorithm"},
      {"algo.lr", K::Float, 1e-3, 0.0, 1.0, {}, "Adam learning rate"},
      {"algo.kl_coef", K::Float, 0.04, 0.0, std::nullopt, {}, "KL penalty towards the reference policy"},
      {"model.tie_embeddings", K::Bool, true, std::nullopt, std::nullopt, {}, "Share input/output embeddings"},
      {"task.name", K::String, QStringLiteral("game24"), std::nullopt, std::nullopt, {}, "Task identifier"},
      {"task.seed", K::Int, 0, std::nullopt, std::nullopt, {}, "Problem shuffling seed"},
  };
}

QVector<SampleRow> sampleRows(int iteration, int n, int correctEvery) {
  QVector<SampleRow> rows;
  for (int i = 0; i < n; ++i) {
    const bool ok = correctEvery > 0 && i % correctEvery == 0;
    rows.append({iteration, QStringLiteral("g24-%1").arg(i), QStringLiteral("Use 1 3 4 6 to make 24."),
                 QStringLiteral("completion %1-%2\n6/(1-3/4)=24").arg(iteration).arg(i), ok ? 1.0 : 0.0, ok,
                 ok ? QStringLiteral("value 24") : QStringLiteral("value 18, expected 24")});
  }
  return rows;
}

QList<QLabel*> visibleLabelsContaining(QWidget* root, const QString& text) {
  QList<QLabel*> out;
  for (QLabel* l : root->findChildren<QLabel*>())
    if (l->isVisible() && l->text().contains(text)) out.append(l);
  return out;
}

}  // namespace

class TestWidgets : public QObject {
  Q_OBJECT

 private slots:
  // CurvePlot
  void curveAppendAddsPoints();
  void curveSetSeriesReplaces();
  void curveEmaConstantUnchanged();
  void curveEmaFirstPointIsRaw();
  void curveLiveSmoothingMatchesBatch();
  void curveUserViewAndReset();
  void curveHoverDoesNotCrash();
  void curveExportPng();
  void curveExportVector();
  // ConfigForm
  void formEditorPerField();
  void formDefaultsTyped();
  void formRoundTripScientific();
  void formTypingScientific();
  void formFormatDouble();
  void formChangedAndReset();
  void formFilterHides();
  void formFieldError();
  void formEditEmitsValuesChanged();
  void formReadOnly();
  void formPathChooser();
  void formFieldApplies();
  // SamplesView
  void samplesSetAndFilterCounts();
  void samplesPrependNewestFirstAndCap();
  void samplesSelectsFirstAndShowsDetail();
  // LogView
  void logAppendsAndColours();
  void logTrimsAndAutoScrollsOnlyAtBottom();
};

// ---- CurvePlot ---------------------------------------------------------------------------------

void TestWidgets::curveAppendAddsPoints() {
  CurvePlot plot;
  QCOMPARE(plot.pointCount("reward"), 0);
  for (int i = 0; i < 3; ++i) plot.appendPoint("reward", i, 0.1 * i);
  plot.appendPoint("entropy", 0, 2.0);
  plot.appendPoint("entropy", 1, 1.8);
  QCOMPARE(plot.pointCount("reward"), 3);
  QCOMPARE(plot.pointCount("entropy"), 2);
  QCOMPARE(plot.seriesNames(), QStringList({"reward", "entropy"}));
  QVERIFY(plot.seriesColor("reward") != plot.seriesColor("entropy"));
  QVERIFY(plot.plot()->legend->visible());  // two series -> legend
  // Thousands of live points stay cheap: no replot per point.
  for (int i = 3; i < 5003; ++i) plot.appendPoint("reward", i, std::sin(i * 0.01));
  QCOMPARE(plot.pointCount("reward"), 5003);
}

void TestWidgets::curveSetSeriesReplaces() {
  CurvePlot plot;
  plot.setSeries("loss", {0, 1, 2, 3, 4}, {5, 4, 3, 2, 1});
  QCOMPARE(plot.pointCount("loss"), 5);
  QVERIFY(!plot.plot()->legend->visible());  // one series -> no legend
  plot.setSeries("loss", {10, 11, 12}, {1, 1, 1});
  QCOMPARE(plot.pointCount("loss"), 3);
  plot.appendPoint("loss", 13, 0.5);
  QCOMPARE(plot.pointCount("loss"), 4);
  const QColor color = plot.seriesColor("loss");
  plot.clear();
  QVERIFY(plot.seriesNames().isEmpty());
  QCOMPARE(plot.pointCount("loss"), 0);
  plot.appendPoint("loss", 0, 1);
  QCOMPARE(plot.seriesColor("loss"), color);  // colour stable per name
}

void TestWidgets::curveEmaConstantUnchanged() {
  const QVector<double> ys(50, 7.25);
  for (double alpha : {0.0, 0.5, 0.9, 0.99}) {
    const QVector<double> s = CurvePlot::debiasedEma(ys, alpha);
    QCOMPARE(s.size(), ys.size());
    for (double v : s) QVERIFY2(relClose(v, 7.25, 1e-12), qPrintable(QString::number(v, 'g', 17)));
  }
  CurvePlot plot;
  plot.setSmoothing(0.9);
  QVector<double> xs(ys.size());
  for (int i = 0; i < xs.size(); ++i) xs[i] = i;
  plot.setSeries("reward", xs, ys);
  const QVector<double> drawn = plot.smoothedValues("reward");
  QCOMPARE(drawn.size(), ys.size());
  for (double v : drawn) QVERIFY(relClose(v, 7.25, 1e-12));
  plot.setSmoothing(0.0);
  QVERIFY(plot.smoothedValues("reward").isEmpty());
}

void TestWidgets::curveEmaFirstPointIsRaw() {
  const double a = 0.6;
  const QVector<double> two = CurvePlot::debiasedEma({0.0, 10.0}, a);
  QCOMPARE(two[0], 0.0);
  QVERIFY(relClose(two[1], (1 - a) * 10.0 / (1 - a * a)));
  QVector<double> ramp;
  for (int i = 0; i <= 10; ++i) ramp.append(i);
  const QVector<double> s = CurvePlot::debiasedEma(ramp, 0.9);
  QCOMPARE(s.first(), 0.0);
  const QVector<double> t = CurvePlot::debiasedEma({10.0, 0.0}, 0.9);
  QCOMPARE(t.first(), 10.0);  // not pulled toward zero
  QVERIFY(t[1] > 0.0 && t[1] < 10.0);
}

void TestWidgets::curveLiveSmoothingMatchesBatch() {
  CurvePlot plot;
  plot.setSmoothing(0.8);
  QVector<double> ys;
  for (int i = 0; i < 100; ++i) {
    ys.append(std::sin(i * 0.3) + 0.01 * i);
    plot.appendPoint("reward", i, ys.last());
  }
  const QVector<double> live = plot.smoothedValues("reward");
  const QVector<double> batch = CurvePlot::debiasedEma(ys, 0.8);
  QCOMPARE(live.size(), batch.size());
  for (int i = 0; i < live.size(); ++i) QVERIFY(relClose(live[i], batch[i], 1e-12));
}

void TestWidgets::curveUserViewAndReset() {
  CurvePlot plot;
  plot.setSeries("reward", {0, 1, 2}, {0, 1, 0.5});
  QVERIFY(!plot.isUserView());
  plot.plot()->xAxis->setRange(0.5, 1.5);  // as a drag or wheel zoom would
  QVERIFY(plot.isUserView());
  plot.appendPoint("reward", 3, 2.0);
  plot.plot()->replot();
  QCOMPARE(plot.plot()->xAxis->range().lower, 0.5);  // user's view kept
  plot.resetView();
  QVERIFY(!plot.isUserView());
  plot.plot()->replot();
  QVERIFY(plot.plot()->xAxis->range().upper >= 3.0);
  QVERIFY(plot.plot()->yAxis->range().upper > 2.0);  // data plus margin
  QVERIFY(plot.plot()->yAxis->range().lower < 0.0);
}

void TestWidgets::curveHoverDoesNotCrash() {
  CurvePlot plot;
  plot.resize(600, 400);
  plot.setSmoothing(0.6);
  for (int i = 0; i < 50; ++i) {
    plot.appendPoint("reward", i, i * 0.02);
    plot.appendPoint("entropy", i, 2.0 - i * 0.01);
  }
  plot.show();
  QVERIFY(QTest::qWaitForWindowExposed(&plot));
  plot.plot()->replot();
  QTest::mouseMove(plot.plot(), QPoint(300, 200));
  QTest::mouseMove(plot.plot(), QPoint(5, 5));
  plot.clear();
  QTest::mouseMove(plot.plot(), QPoint(300, 200));
}

void TestWidgets::curveExportPng() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  CurvePlot plot;
  plot.resize(640, 400);
  plot.setTitle("Reward");
  plot.setYLabel("mean reward");
  for (int i = 0; i < 200; ++i) plot.appendPoint("reward", i, std::tanh(i / 50.0));
  const QString path = dir.filePath("reward.png");
  QVERIFY(plot.exportImage(path));
  QVERIFY(QFileInfo(path).size() > 0);
  QImage image(path);
  QVERIFY(!image.isNull());
  QCOMPARE(image.size(), plot.size());
  QVERIFY(!plot.exportImage(dir.filePath("reward.unknown")));
}

void TestWidgets::curveExportVector() {
  QTemporaryDir dir;
  CurvePlot plot;
  plot.resize(500, 300);
  plot.setSeries("a", {0, 1, 2}, {1, 2, 3});
  for (const char* name : {"plot.svg", "plot.pdf"}) {
    const QString path = dir.filePath(name);
    QVERIFY2(plot.exportImage(path), name);
    QVERIFY(QFileInfo(path).size() > 0);
  }
}

// ---- ConfigForm --------------------------------------------------------------------------------

void TestWidgets::formEditorPerField() {
  ConfigForm form;
  form.setFields(sampleFields());
  QVERIFY(qobject_cast<QDoubleSpinBox*>(form.editor("rollout.temperature")));
  QVERIFY(qobject_cast<QSpinBox*>(form.editor("rollout.max_new_tokens")));
  QVERIFY(qobject_cast<QComboBox*>(form.editor("algo.name")));
  QVERIFY(qobject_cast<QDoubleSpinBox*>(form.editor("algo.lr")));
  QVERIFY(qobject_cast<QCheckBox*>(form.editor("model.tie_embeddings")));
  QVERIFY(qobject_cast<QLineEdit*>(form.editor("task.name")));
  QVERIFY(qobject_cast<QSpinBox*>(form.editor("task.seed")));
  QVERIFY(!form.editor("nope"));
  auto* tokens = qobject_cast<QSpinBox*>(form.editor("rollout.max_new_tokens"));
  QCOMPARE(tokens->minimum(), 1);
  QCOMPARE(tokens->maximum(), 512);
  QCOMPARE(qobject_cast<QComboBox*>(form.editor("algo.name"))->count(), 3);
  QVERIFY(form.editor("algo.lr")->toolTip().contains("learning rate"));
  QVERIFY(form.editor("algo.lr")->toolTip().contains("default"));
  // Rebuilding replaces the editors.
  form.setFields(sampleFields().mid(0, 2));
  QCOMPARE(form.values().size(), 2);
  QVERIFY(!form.editor("algo.lr"));
  QVERIFY(qobject_cast<QSpinBox*>(form.editor("rollout.max_new_tokens")));
  QCOMPARE(ConfigForm::labelFor("rollout.max_new_tokens"), QString("Max new tokens"));
  QCOMPARE(ConfigForm::labelFor("algo.kl_coef"), QString("KL coef"));
  QCOMPARE(ConfigForm::labelFor("model.hf_path"), QString("HF path"));
  QCOMPARE(ConfigForm::labelFor("model.lora_rank"), QString("LoRA rank"));
  QCOMPARE(ConfigForm::labelFor("model.dModel"), QString("D model"));
}

void TestWidgets::formDefaultsTyped() {
  ConfigForm form;
  form.setFields(sampleFields());
  const QVariantMap v = form.values();
  QCOMPARE(v.size(), sampleFields().size());
  QCOMPARE(v["rollout.temperature"].typeId(), QMetaType::Double);
  QCOMPARE(v["rollout.temperature"].toDouble(), 0.7);
  QCOMPARE(v["rollout.max_new_tokens"].typeId(), QMetaType::Int);
  QCOMPARE(v["rollout.max_new_tokens"].toInt(), 48);
  QCOMPARE(v["algo.name"].typeId(), QMetaType::QString);
  QCOMPARE(v["algo.name"].toString(), QString("grpo"));
  QCOMPARE(v["algo.lr"].toDouble(), 1e-3);
  QCOMPARE(v["model.tie_embeddings"].typeId(), QMetaType::Bool);
  QCOMPARE(v["model.tie_embeddings"].toBool(), true);
  QCOMPARE(v["task.name"].typeId(), QMetaType::QString);
  QCOMPARE(v["task.name"].toString(), QString("game24"));
  QCOMPARE(v["task.seed"].toInt(), 0);
  QVERIFY(form.changedKeys().isEmpty());
}

void TestWidgets::formRoundTripScientific() {
  ConfigForm form;
  form.setFields(sampleFields());
  QVariantMap in = form.values();
  in["algo.lr"] = 3e-4;
  in["algo.kl_coef"] = 1e-6;
  in["rollout.temperature"] = 1.3;
  in["rollout.max_new_tokens"] = 256;
  in["algo.name"] = QStringLiteral("ppo");
  in["model.tie_embeddings"] = false;
  in["task.name"] = QStringLiteral("countdown");
  in["task.seed"] = 12345;
  in["unknown.key"] = 5;  // ignored
  form.setValues(in);
  const QVariantMap out = form.values();
  QVERIFY(!out.contains("unknown.key"));
  QVERIFY(relClose(out["algo.lr"].toDouble(), 3e-4));
  QVERIFY(relClose(out["algo.kl_coef"].toDouble(), 1e-6));
  QCOMPARE(out["rollout.temperature"].toDouble(), 1.3);
  QCOMPARE(out["rollout.max_new_tokens"].toInt(), 256);
  QCOMPARE(out["algo.name"].toString(), QString("ppo"));
  QCOMPARE(out["model.tie_embeddings"].toBool(), false);
  QCOMPARE(out["task.name"].toString(), QString("countdown"));
  QCOMPARE(out["task.seed"].toInt(), 12345);
  // Displayed exactly, in scientific form.
  QCOMPARE(qobject_cast<QDoubleSpinBox*>(form.editor("algo.lr"))->text(), QString("3e-4"));
  QCOMPARE(qobject_cast<QDoubleSpinBox*>(form.editor("algo.kl_coef"))->text(), QString("1e-6"));
  // Values round-trip through a second form too.
  ConfigForm other;
  other.setFields(sampleFields());
  other.setValues(out);
  QCOMPARE(other.values(), out);
}

void TestWidgets::formTypingScientific() {
  ConfigForm form;
  form.setFields(sampleFields());
  auto* lr = qobject_cast<QDoubleSpinBox*>(form.editor("algo.lr"));
  QVERIFY(lr);
  QSignalSpy spy(&form, &ConfigForm::valuesChanged);
  lr->selectAll();
  QTest::keyClicks(lr, "2.5e-5");
  lr->interpretText();
  QVERIFY(relClose(form.values()["algo.lr"].toDouble(), 2.5e-5));
  QVERIFY(spy.count() > 0);
  lr->selectAll();
  QTest::keyClicks(lr, "1e-6");
  lr->interpretText();
  QVERIFY(relClose(form.values()["algo.lr"].toDouble(), 1e-6));
  QCOMPARE(lr->text(), QString("1e-6"));
}

void TestWidgets::formFormatDouble() {
  QCOMPARE(ConfigForm::formatDouble(3e-4), QString("3e-4"));
  QCOMPARE(ConfigForm::formatDouble(1e-6), QString("1e-6"));
  QCOMPARE(ConfigForm::formatDouble(0.7), QString("0.7"));
  QCOMPARE(ConfigForm::formatDouble(0.04), QString("0.04"));
  QCOMPARE(ConfigForm::formatDouble(128), QString("128"));
  QCOMPARE(ConfigForm::formatDouble(0), QString("0"));
  QCOMPARE(ConfigForm::formatDouble(-2.5e-5), QString("-2.5e-5"));
  QCOMPARE(ConfigForm::formatDouble(1.5e10), QString("1.5e10"));
  for (double v : {3e-4, 1e-6, 0.1 + 0.2, 1.0 / 3.0, 6.02214076e23, 2.2250738585072014e-308})
    QCOMPARE(ConfigForm::formatDouble(v).toDouble(), v);
}

void TestWidgets::formChangedAndReset() {
  ConfigForm form;
  form.setFields(sampleFields());
  form.setValues({{"algo.lr", 3e-4}, {"task.seed", 7}});
  QCOMPARE(form.changedKeys(), QStringList({"algo.lr", "task.seed"}));
  // The label of a changed field is bold.
  QLabel* lrLabel = nullptr;
  for (QLabel* l : form.findChildren<QLabel*>())
    if (l->buddy() == form.editor("algo.lr")) lrLabel = l;
  QVERIFY(lrLabel);
  QVERIFY(lrLabel->font().bold());
  form.resetToDefaults();
  QVERIFY(form.changedKeys().isEmpty());
  QVERIFY(!lrLabel->font().bold());
  QCOMPARE(form.values()["algo.lr"].toDouble(), 1e-3);
}

void TestWidgets::formFilterHides() {
  ConfigForm form;
  form.setFields(sampleFields());
  form.resize(500, 600);
  form.show();
  QVERIFY(QTest::qWaitForWindowExposed(&form));
  auto* filter = form.findChild<QLineEdit*>("filter");
  QVERIFY(filter);
  QTest::keyClicks(filter, "temp");
  QVERIFY(form.isFieldShown("rollout.temperature"));
  QVERIFY(!form.isFieldShown("algo.lr"));
  QVERIFY(!form.editor("algo.lr")->isVisible());
  QVERIFY(form.editor("rollout.temperature")->isVisible());
  form.setFilterText("rate");  // starts a word of "Adam learning rate", not of "generated"
  QVERIFY(form.isFieldShown("algo.lr"));
  QVERIFY(!form.isFieldShown("rollout.max_new_tokens"));
  form.setFilterText("new_tok");  // part of a key
  QVERIFY(form.isFieldShown("rollout.max_new_tokens"));
  form.setFilterText("penalty");  // matches help text
  QVERIFY(form.isFieldShown("algo.kl_coef"));
  QVERIFY(!form.isFieldShown("rollout.temperature"));
  form.setFilterText("zzzz");
  for (const FormField& f : sampleFields()) QVERIFY(!form.isFieldShown(f.key));
  QCOMPARE(visibleLabelsContaining(&form, "zzzz").size(), 1);  // "No settings match" hint
  form.setFilterText("");
  for (const FormField& f : sampleFields()) QVERIFY(form.isFieldShown(f.key));
}

void TestWidgets::formFieldError() {
  ConfigForm form;
  form.setFields(sampleFields());
  form.resize(500, 600);
  form.show();
  QVERIFY(QTest::qWaitForWindowExposed(&form));
  form.setFieldError("algo.lr", "must be below 0.1");
  QCOMPARE(form.fieldError("algo.lr"), QString("must be below 0.1"));
  const QList<QLabel*> labels = visibleLabelsContaining(&form, "must be below 0.1");
  QCOMPARE(labels.size(), 1);
  QVERIFY(labels.first()->palette().color(QPalette::WindowText).red() > 150);
  form.setFieldError("unknown", "ignored");
  form.clearErrors();
  QVERIFY(visibleLabelsContaining(&form, "must be below 0.1").isEmpty());
  QVERIFY(form.fieldError("algo.lr").isEmpty());
}

void TestWidgets::formEditEmitsValuesChanged() {
  ConfigForm form;
  form.setFields(sampleFields());
  QSignalSpy spy(&form, &ConfigForm::valuesChanged);
  form.setValues({{"task.seed", 3}});
  form.resetToDefaults();
  QCOMPARE(spy.count(), 0);  // programmatic changes are silent
  qobject_cast<QCheckBox*>(form.editor("model.tie_embeddings"))->click();
  QCOMPARE(spy.count(), 1);
  QTest::keyClicks(form.editor("task.name"), "x");
  QCOMPARE(spy.count(), 2);
  qobject_cast<QComboBox*>(form.editor("algo.name"))->setCurrentIndex(2);
  QCOMPARE(spy.count(), 3);
  QCOMPARE(form.values()["algo.name"].toString(), QString("reinforce"));
  QCOMPARE(form.values()["task.name"].toString(), QString("game24x"));
  QCOMPARE(form.values()["model.tie_embeddings"].toBool(), false);
  // Editing a field clears its error.
  form.setFieldError("task.name", "bad");
  QTest::keyClicks(form.editor("task.name"), "y");
  QVERIFY(form.fieldError("task.name").isEmpty());
}

void TestWidgets::formReadOnly() {
  ConfigForm form;
  form.setFields(sampleFields());
  form.setReadOnly(true);
  QVERIFY(form.isReadOnly());
  QVERIFY(qobject_cast<QDoubleSpinBox*>(form.editor("algo.lr"))->isReadOnly());
  QVERIFY(qobject_cast<QLineEdit*>(form.editor("task.name"))->isReadOnly());
  QVERIFY(!form.editor("model.tie_embeddings")->isEnabled());
  QVERIFY(!form.editor("algo.name")->isEnabled());
  form.setReadOnly(false);
  QVERIFY(!qobject_cast<QDoubleSpinBox*>(form.editor("algo.lr"))->isReadOnly());
  QVERIFY(form.editor("algo.name")->isEnabled());
}

// File and folder fields get a chooser button in the line edit; what it picks becomes the value
// (a user edit), cancelling keeps the value, and a read-only form's chooser does nothing.
void TestWidgets::formPathChooser() {
  FormField folder{"model.hf_path", FormField::Kind::String, QString(), {}, {}, {}, "checkpoint folder"};
  folder.browse = FormField::Browse::Folder;
  FormField file{"task.data_file", FormField::Kind::String, QString(), {}, {}, {}, "data file"};
  file.browse = FormField::Browse::File;
  file.browseFilter = "CSV files (*.csv)";
  FormField plain{"run.name", FormField::Kind::String, QString(), {}, {}, {}, "name"};
  ConfigForm form;
  form.setFields({folder, file, plain});
  QStringList asked;
  QString answer = "/models/qwen";
  form.setPathChooser([&](QWidget*, const FormField& f, const QString& current) {
    asked << f.key + "|" + f.browseFilter + "|" + current;
    return answer;
  });
  auto chooserOf = [&](const QString& key) -> QAction* {
    return form.editor(key)->findChild<QAction*>("choosePath");
  };
  QVERIFY(chooserOf("model.hf_path"));
  QVERIFY(chooserOf("task.data_file"));
  QVERIFY(!chooserOf("run.name"));
  QCOMPARE(chooserOf("model.hf_path")->toolTip(), QString("Choose a folder…"));
  QSignalSpy spy(&form, &ConfigForm::valuesChanged);
  chooserOf("model.hf_path")->trigger();
  QCOMPARE(form.value("model.hf_path").toString(), QString("/models/qwen"));
  QVERIFY(form.changedKeys().contains("model.hf_path"));
  QVERIFY(spy.count() >= 1);
  answer = "/data/24.csv";
  chooserOf("task.data_file")->trigger();
  QCOMPARE(form.value("task.data_file").toString(), QString("/data/24.csv"));
  QCOMPARE(asked, QStringList({"model.hf_path||", "task.data_file|CSV files (*.csv)|"}));
  answer.clear();  // cancelled
  chooserOf("model.hf_path")->trigger();
  QCOMPARE(form.value("model.hf_path").toString(), QString("/models/qwen"));
  QCOMPARE(asked.last(), QString("model.hf_path||/models/qwen"));
  form.setReadOnly(true);
  QVERIFY(!chooserOf("model.hf_path")->isEnabled());
  answer = "/elsewhere";
  chooserOf("model.hf_path")->trigger();
  QCOMPARE(form.value("model.hf_path").toString(), QString("/models/qwen"));
}

// A field that does not apply is greyed out with the reason, keeps its value, and stays greyed
// out across read-only phases (a run training) until it applies again.
void TestWidgets::formFieldApplies() {
  ConfigForm form;
  form.setFields(sampleFields());
  QVERIFY(form.fieldApplies("algo.lr"));
  form.setFieldApplies("algo.lr", false, "the method has no learning rate");
  QVERIFY(!form.fieldApplies("algo.lr"));
  QVERIFY(!form.editor("algo.lr")->isEnabled());
  QVERIFY(form.editor("algo.lr")->parentWidget()->toolTip().contains("Does not apply: the method has no learning rate"));
  QCOMPARE(form.values()["algo.lr"].toDouble(), 1e-3);
  QVERIFY(form.editor("rollout.temperature")->isEnabled());
  form.setReadOnly(true);
  form.setReadOnly(false);
  QVERIFY(!form.editor("algo.lr")->isEnabled());
  QVERIFY(form.editor("algo.name")->isEnabled());
  form.setFieldApplies("algo.lr", true);
  QVERIFY(form.editor("algo.lr")->isEnabled());
  QVERIFY(form.editor("algo.lr")->parentWidget()->toolTip().isEmpty());
  form.setFieldApplies("nope", false);  // ignored
  QVERIFY(form.fieldApplies("nope"));
}

// ---- SamplesView -------------------------------------------------------------------------------

void TestWidgets::samplesSetAndFilterCounts() {
  SamplesView view;
  QCOMPARE(view.rowCount(), 0);
  view.setSamples(sampleRows(1, 10, 3));  // rows 0,3,6,9 correct
  QCOMPARE(view.rowCount(), 10);
  QCOMPARE(view.totalCount(), 10);
  view.setFilter(SampleFilter::Correct);
  QCOMPARE(view.rowCount(), 4);
  view.setFilter(SampleFilter::Wrong);
  QCOMPARE(view.rowCount(), 6);
  auto* combo = view.findChild<QComboBox*>("verdictFilter");
  QVERIFY(combo);
  QCOMPARE(combo->currentText(), QString("Wrong (6)"));
  combo->setCurrentIndex(0);
  QCOMPARE(view.filter(), SampleFilter::All);
  QCOMPARE(view.rowCount(), 10);
  view.setSamples({});
  QCOMPARE(view.rowCount(), 0);
}

void TestWidgets::samplesPrependNewestFirstAndCap() {
  SamplesView view;
  view.setSamples(sampleRows(1, 4, 2));
  view.prependSamples(sampleRows(2, 3, 1));  // all correct
  QCOMPARE(view.totalCount(), 7);
  QCOMPARE(view.model()->row(0).iteration, 2);
  QCOMPARE(view.model()->row(3).iteration, 1);
  view.setFilter(SampleFilter::Correct);
  QCOMPARE(view.rowCount(), 5);
  view.setFilter(SampleFilter::All);
  view.setCap(10);
  for (int it = 3; it < 10; ++it) view.prependSamples(sampleRows(it, 4, 4));
  QCOMPARE(view.totalCount(), 10);
  QCOMPARE(view.model()->row(0).iteration, 9);
  QCOMPARE(view.table()->model()->index(0, 0).data().toInt(), 9);  // the table shows newest first
  QCOMPARE(view.model()->correctCount(), 3);  // rows from iterations 9, 8, 7 (one each)
  QCOMPARE(SamplesView().cap(), 2000);
}

void TestWidgets::samplesSelectsFirstAndShowsDetail() {
  SamplesView view;
  QVERIFY(!view.currentSample());
  view.setSamples(sampleRows(5, 3, 2));
  QVERIFY(view.currentSample().has_value());
  QCOMPARE(view.currentSample()->problemId, QString("g24-0"));
  auto* detail = view.findChild<QTextEdit*>("sampleDetail");
  QVERIFY(detail);
  QVERIFY(detail->toPlainText().contains("completion 5-0"));
  QVERIFY(detail->toPlainText().contains("6/(1-3/4)=24"));
  QVERIFY(detail->toPlainText().contains("Use 1 3 4 6 to make 24."));
  // A live batch keeps the user's selection on the same sample.
  view.table()->selectRow(1);
  QCOMPARE(view.currentSample()->problemId, QString("g24-1"));
  view.prependSamples(sampleRows(6, 2, 1));
  QCOMPARE(view.currentSample()->iteration, 5);
  QCOMPARE(view.currentSample()->problemId, QString("g24-1"));
  // Filtering the selection away selects the first visible row.
  view.setFilter(SampleFilter::Correct);
  QVERIFY(view.currentSample().has_value());
  QVERIFY(view.currentSample()->correct);
}

// ---- LogView -----------------------------------------------------------------------------------

void TestWidgets::logAppendsAndColours() {
  LogView log;
  QVERIFY(log.isReadOnly());
  QCOMPARE(log.maximumBlockCount(), 5000);
  QCOMPARE(log.lineCount(), 0);
  const double t = 1700000000.25;
  log.appendLine("info", "run started", t);
  log.appendLine("warn", "reward is flat", t + 1);
  log.appendLine("error", "NaN in loss", t + 2);
  QCOMPARE(log.lineCount(), 3);
  const QString text = log.toPlainText();
  QVERIFY(text.contains("run started"));
  QVERIFY(text.contains("WARN"));
  QVERIFY(text.contains("ERROR"));
  QVERIFY(text.contains(QDateTime::fromMSecsSinceEpoch(qint64(t * 1000)).toString("HH:mm:ss.zzz")));
  // The error message is drawn in red, the warning in orange.
  auto colourOf = [&](int blockNo, const QString& word) {
    const QTextBlock block = log.document()->findBlockByNumber(blockNo);
    for (auto it = block.begin(); !it.atEnd(); ++it)
      if (it.fragment().text().contains(word)) return it.fragment().charFormat().foreground().color();
    return QColor();
  };
  const QColor err = colourOf(2, "NaN");
  QVERIFY(err.red() > 150 && err.green() < 80);
  const QColor warn = colourOf(1, "flat");
  QVERIFY(warn.red() > 150 && warn.green() > 60 && warn.blue() < 60);
  log.clearLog();
  QCOMPARE(log.lineCount(), 0);
}

void TestWidgets::logTrimsAndAutoScrollsOnlyAtBottom() {
  LogView log;
  log.resize(500, 200);
  log.show();
  QVERIFY(QTest::qWaitForWindowExposed(&log));
  for (int i = 0; i < 200; ++i) log.appendLine("info", QString("line %1").arg(i), 0);
  QScrollBar* bar = log.verticalScrollBar();
  QVERIFY(bar->maximum() > 0);
  QCOMPARE(bar->value(), bar->maximum());  // followed the tail
  bar->setValue(0);                        // the user scrolls up to read
  log.appendLine("info", "another", 0);
  QCOMPARE(bar->value(), 0);
  bar->setValue(bar->maximum());
  log.appendLine("debug", "and one more", 0);
  QCOMPARE(bar->value(), bar->maximum());
  for (int i = 0; i < 5000; ++i) log.appendLine("info", "x", 0);
  QCOMPARE(log.lineCount(), 5000);
}

QTEST_MAIN(TestWidgets)
#include "test_widgets.moc"
