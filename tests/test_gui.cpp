// GUI test (offscreen): the main window generated from the parameter descriptions starts a short
// run from the form, its curves and samples receive points live, pause holds the run, stop
// cancels it, and resume continues it from its checkpoint.
#include <torch/cuda.h>

#include <QtTest>
#include <QDockWidget>
#include <QFile>
#include <QLineEdit>
#include <QSettings>

#include <QAction>
#include <QComboBox>

#include "app/gui/MainWindow.h"
#include "app/gui/RunsTableModel.h"
#include "core/hf/Safetensors.h"
#include "tests/HfFolderSupport.h"
#include "widgets/ConfigForm.h"
#include "widgets/CurvePlot.h"
#include "widgets/SamplesView.h"

using tb::MainWindow;

class TestGui : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;

  QString workspace() const { return dir_.filePath("workspace.sqlite"); }

  static void useTinyRun(MainWindow& w, int iterations) {
    w.taskCombo()->setCurrentIndex(w.taskCombo()->findData("game24"));
    QVariantMap v;
    v["model.d_model"] = 32;
    v["model.layers"] = 1;
    v["model.heads"] = 2;
    v["model.context"] = 128;
    v["rollout.prompts"] = 2;
    v["rollout.group_size"] = 4;
    v["rollout.max_new_tokens"] = 80;
    v["warmstart.demonstrations"] = 16;
    v["warmstart.steps"] = 4;
    v["warmstart.batch"] = 4;
    v["eval.every"] = 0;
    v["run.threads"] = 1;
    v["run.checkpoint_every"] = 1;
    v["run.iterations"] = iterations;
    w.configForm()->setValues(v);
    QVERIFY(w.startAction()->isEnabled());
  }

  static tb::RunStatus statusOf(MainWindow& w, qint64 run) {
    const tb::RunRecord* r = w.runsModel()->record(run);
    return r ? r->status : tb::RunStatus::Created;
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
  }

  void formIsGeneratedAndValidated() {
    MainWindow w(workspace());
    QVERIFY(w.configForm()->editor("rollout.group_size") != nullptr);
    QVERIFY(w.configForm()->editor("algo.kl_coef") != nullptr);
    QCOMPARE(w.configForm()->value("algo.kl_coef").toDouble(), 0.04);
    // Switching the preset brings its own defaults.
    w.algorithmCombo()->setCurrentIndex(w.algorithmCombo()->findData("dapo"));
    QCOMPARE(w.configForm()->value("algo.clip_high").toDouble(), 0.28);
    w.algorithmCombo()->setCurrentIndex(w.algorithmCombo()->findData("grpo"));
    // A cross-field error disables Start and is shown at the field it names.
    QVariantMap bad;
    bad["model.heads"] = 3;
    w.configForm()->setValues(bad);
    emit w.configForm()->valuesChanged();
    QVERIFY(!w.startAction()->isEnabled());
    QVERIFY2(w.configForm()->fieldError("model.heads").contains("model.d_model"),
             qPrintable(w.configForm()->fieldError("model.heads")));
    w.configForm()->resetToDefaults();
    emit w.configForm()->valuesChanged();
    QVERIFY(w.startAction()->isEnabled());
  }

  // The window fits a 1,600 x 1,000 screen with every dock of the Training tab: a hidden tab (the
  // compare page's toolbar) must not widen it, nor the HF fields (model.*) of the form.
  void windowFitsTheScreen() {
    MainWindow w(workspace());
    QVERIFY(w.configForm()->editor("model.hf_path") != nullptr);
    QVERIFY(w.configForm()->editor("model.lora_targets") != nullptr);
    const QSize minimum = w.minimumSizeHint();
    QVERIFY2(minimum.width() <= 1600 && minimum.height() <= 1000,
             qPrintable(QString("minimum size %1 x %2").arg(minimum.width()).arg(minimum.height())));
  }

  // The built-in model's shape and the HF settings exclude each other in the form: whichever the
  // run will not use is greyed out, following model.hf_path as the user types it.
  void hfFieldsFollowTheCheckpointPath() {
    MainWindow w(workspace());
    auto* form = w.configForm();
    QVERIFY(form->fieldApplies("model.d_model"));
    QVERIFY(!form->fieldApplies("model.lora_rank"));
    QVERIFY(!form->fieldApplies("model.device"));
    auto* path = qobject_cast<QLineEdit*>(form->editor("model.hf_path"));
    QVERIFY(path);
    path->setText("/models/Qwen2.5-0.5B-Instruct");
    QVERIFY(!form->fieldApplies("model.d_model"));
    QVERIFY(!form->fieldApplies("model.context"));
    QVERIFY(form->fieldApplies("model.lora_rank"));
    QVERIFY(form->fieldApplies("model.device"));
    QVERIFY(!form->editor("model.layers")->isEnabled());
    // The folder is checked as it is typed: what is wrong is named on the field and Start waits.
    QVERIFY2(w.formStatus().contains("config.json"), qPrintable(w.formStatus()));
    QVERIFY(!w.startAction()->isEnabled());
    QVERIFY(form->fieldError("model.hf_path").contains("config.json"));
    const std::string folder = tb::writeTinyQwen2Folder(dir_.filePath("tiny-qwen2").toStdString(), 12);
    path->setText(QString::fromStdString(folder));
    QVERIFY2(w.formStatus().contains("no tokenizer.json"), qPrintable(w.formStatus()));
    QFile::copy(QStringLiteral(THOUGHTBENCH_SOURCE_DIR "/tests/data/hf_tokenizer/qwen2_like/tokenizer.json"),
                QString::fromStdString(folder + "/tokenizer.json"));
    path->setText(QString::fromStdString(folder) + "/");  // another path string: checked again
    QVERIFY2(w.formStatus().startsWith("Checkpoint: Qwen2ForCausalLM, 1 layer, 712 parameters, 14 F32 tensors in 1 shard."),
             qPrintable(w.formStatus()));
    QVERIFY(form->fieldError("model.hf_path").isEmpty());
    QVERIFY(w.startAction()->isEnabled());
    if (torch::cuda::device_count() == 0) {  // a GPU asked for where LibTorch sees none: named before Start
      auto* device = qobject_cast<QComboBox*>(form->editor("model.device"));
      QVERIFY(device);
      device->setCurrentText("cuda");
      QVERIFY2(form->fieldError("model.device").contains("sees no CUDA GPU"), qPrintable(w.formStatus()));
      QVERIFY(!w.startAction()->isEnabled());
      device->setCurrentText("cpu");
      QVERIFY(w.startAction()->isEnabled());
    }
    // A tensor of the wrong shape is named.
    tb::writeSafetensors(folder + "/model.safetensors", {{"model.embed_tokens.weight", {3, 8}, std::vector<float>(24), "F32"}});
    path->setText(QString::fromStdString(folder));
    QVERIFY2(w.formStatus().contains("model.embed_tokens.weight"), qPrintable(w.formStatus()));
    path->clear();
    QVERIFY(form->fieldApplies("model.layers"));
    QVERIFY(!form->fieldApplies("model.lora_targets"));
    QVERIFY(w.startAction()->isEnabled());
  }

  // At first start (no saved layout) the runs list, the plots and the configuration all get room
  // on a 1,600 px screen: the trees page's wide toolbar once squeezed the runs list to 210 px.
  void firstStartLayoutGivesEveryPaneRoom() {
    QSettings().clear();
    MainWindow w(workspace());
    w.resize(1560, 960);
    w.show();
    auto* runs = w.findChild<QDockWidget*>("runsDock");
    auto* config = w.findChild<QDockWidget*>("configDock");
    QVERIFY(runs && config);
    QTRY_VERIFY2(runs->width() >= 340, qPrintable(QString("runs list %1 px").arg(runs->width())));
    QVERIFY2(config->width() >= 340, qPrintable(QString("configuration %1 px").arg(config->width())));
    QVERIFY2(w.rewardPlot()->width() >= 320, qPrintable(QString("reward plot %1 px").arg(w.rewardPlot()->width())));
  }

  void startPauseStopResume() {
    MainWindow w(workspace());
    w.show();
    useTinyRun(w, 400);
    w.startAction()->trigger();
    const qint64 run = w.selectedRun();
    QVERIFY(run > 0);
    QVERIFY(w.controller()->busy());
    QVERIFY(!w.startAction()->isEnabled());
    QVERIFY(w.configForm()->isReadOnly());

    // Curves and samples grow while the run trains.
    QTRY_VERIFY_WITH_TIMEOUT(w.rewardPlot()->pointCount("reward/mean") >= 3, 60000);
    QVERIFY(w.entropyPlot()->pointCount("entropy") >= 3);
    QTRY_VERIFY(w.samplesView()->rowCount() > 0);

    // Pause holds the run; Continue lets it go on.
    w.pauseAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(w, run), tb::RunStatus::Paused, 20000);
    const int heldAt = w.rewardPlot()->pointCount("reward/mean");
    QTest::qWait(600);
    QCOMPARE(w.rewardPlot()->pointCount("reward/mean"), heldAt);
    w.pauseAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(w.rewardPlot()->pointCount("reward/mean") > heldAt, 20000);

    // Stop cancels after the current iteration; the run can then be resumed.
    w.stopAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->busy(), 30000);
    QTRY_COMPARE(statusOf(w, run), tb::RunStatus::Cancelled);
    QTRY_VERIFY(w.resumeRunAction()->isEnabled());
    const int stoppedAt = w.rewardPlot()->pointCount("reward/mean");
    w.resumeRunAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(w.rewardPlot()->pointCount("reward/mean") > stoppedAt, 30000);
    w.stopAction()->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->busy(), 30000);
  }

  void finishedRunIsShownAfterRestart() {
    qint64 run = 0;
    {
      MainWindow w(workspace());
      useTinyRun(w, 2);
      w.startAction()->trigger();
      run = w.selectedRun();
      QTRY_COMPARE_WITH_TIMEOUT(statusOf(w, run), tb::RunStatus::Finished, 60000);
    }
    MainWindow again(workspace());
    again.selectRun(run);
    QCOMPARE(again.rewardPlot()->pointCount("reward/mean"), 2);
    QVERIFY(again.samplesView()->rowCount() > 0);
    QCOMPARE(statusOf(again, run), tb::RunStatus::Finished);
  }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
