#pragma once
// The workbench's main window: runs of the workspace (left), run configuration generated from
// the parameter descriptions (right), live curves of the selected run (centre), its samples and
// log (bottom), start / pause / stop / resume in the toolbar and progress in the status bar.
// A second central tab, "Tasks", browses the registered tasks (TaskBrowser); the training docks
// step aside while it is shown. A third, "Trees", shows the selected run's reasoning trees
// (TreesPage); only the runs dock stays beside it. A fourth, "Attention", shows the attention behind
// a sample (the samples' Attention button or a double-click) or a tree path (AttentionPanel),
// recomputed with the policy that drew it; the runs and samples docks stay beside it.
// A fifth, "Compare", compares runs across algorithms and seeds and exports reports (ComparePage);
// it brings its own run picker, so every dock steps aside.
// It never computes: it reads the run store and talks to the engine through EngineController.
#include <QDateTime>
#include <QMainWindow>
#include <QPointer>
#include <memory>

#include "app/gui/EngineController.h"
#include "core/engine/Experiment.h"

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QProgressBar;
class QTableView;
class QTabWidget;

namespace tb {

class ConfigForm;
class CurvePlot;
class LogView;
class RunsTableModel;
class SamplesView;
class TaskBrowser;
class TaskBrowserController;
class TreesPage;
class ComparePage;
class ExperimentRunner;
class AttentionPanel;
struct SampleRow;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // Throws InputError when the workspace cannot be opened (main shows it and exits).
  explicit MainWindow(const QString& workspacePath, QWidget* parent = nullptr);
  ~MainWindow() override;

  // For tests and scripting.
  ConfigForm* configForm() const { return form_; }
  QString formStatus() const;  // the line under the settings: changes, the checkpoint, or the error
  QComboBox* taskCombo() const { return taskCombo_; }
  QComboBox* algorithmCombo() const { return algorithmCombo_; }
  QAction* startAction() const { return startAction_; }
  QAction* pauseAction() const { return pauseAction_; }
  QAction* stopAction() const { return stopAction_; }
  QAction* resumeRunAction() const { return resumeRunAction_; }
  CurvePlot* rewardPlot() const { return rewardPlot_; }
  CurvePlot* entropyPlot() const { return entropyPlot_; }
  SamplesView* samplesView() const { return samplesView_; }
  LogView* logView() const { return logView_; }
  RunsTableModel* runsModel() const { return runsModel_; }
  EngineController* controller() const { return controller_; }
  qint64 selectedRun() const { return selectedRun_; }
  QTabWidget* centralTabs() const { return centralTabs_; }  // "Training" (0), "Tasks" (1), "Trees" (2)
  TaskBrowser* taskBrowser() const { return taskBrowser_; }
  TreesPage* treesPage() const { return treesPage_; }
  AttentionPanel* attentionPanel() const { return attentionPanel_; }
  // Recomputes and shows the attention behind a sample of the selected run; false (with the
  // reason in the status bar) when it cannot.
  bool showAttention(const SampleRow& sample);
  void showTasksTab();
  void showTreesTab();
  void showAttentionTab();
  // The Compare tab with these runs ticked (none: keeps its selection, or on first use the runs of
  // the selected run's experiment and task).
  void showCompareTab(const QList<qint64>& runs = {});
  ComparePage* comparePage() const { return comparePage_; }
  // Starts a built-in experiment (the Experiments menu does, after asking); false with the reason
  // in `error` and the status bar when it cannot start.
  bool startExperiment(ExperimentPlan plan, QString* error = nullptr);
  ExperimentRunner* experimentRunner() const { return experimentRunner_; }
  QAction* seedComparisonAction() const { return seedComparisonAction_; }

 public slots:
  void startRun();
  void togglePause();
  void stopRun();
  void resumeSelectedRun();
  void selectRun(qint64 runId);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void buildActions();
  void buildLayout();
  void rebuildForm();
  void validateForm();
  void updateAlgorithmInfo();
  void reloadRuns();
  void loadSelectedRun();
  void followExternalRun();
  void updateActions();
  void onStatusChanged(qint64 runId, int status, const QString& message);
  void onPhase(qint64 runId, const QString& phase, double fraction);
  void onIteration(const MetricUpdate& update);
  void onLogLine(qint64 runId, const QString& level, const QString& message, double time);
  void appendMetric(const QString& name, double x, double y);
  void saveSettings() const;
  void onCentralTabChanged(int index);
  void restoreSettings();

  std::unique_ptr<RunStore> store_;  // the GUI thread's read connection
  EngineController* controller_ = nullptr;
  RunsTableModel* runsModel_ = nullptr;
  qint64 selectedRun_ = -1;

  QComboBox* taskCombo_ = nullptr;
  QComboBox* algorithmCombo_ = nullptr;
  QAction* startAction_ = nullptr;
  QAction* pauseAction_ = nullptr;
  QAction* stopAction_ = nullptr;
  QAction* resumeRunAction_ = nullptr;
  QAction* refreshAction_ = nullptr;
  QTableView* runsView_ = nullptr;
  ConfigForm* form_ = nullptr;
  QLabel* algorithmInfo_ = nullptr;
  QLabel* formStatus_ = nullptr;
  QLabel* runTitle_ = nullptr;
  CurvePlot* rewardPlot_ = nullptr;
  CurvePlot* entropyPlot_ = nullptr;
  CurvePlot* klPlot_ = nullptr;
  CurvePlot* evalPlot_ = nullptr;
  SamplesView* samplesView_ = nullptr;
  LogView* logView_ = nullptr;
  QTabWidget* bottomTabs_ = nullptr;
  QTabWidget* centralTabs_ = nullptr;
  TaskBrowser* taskBrowser_ = nullptr;
  TaskBrowserController* taskBrowserController_ = nullptr;
  TreesPage* treesPage_ = nullptr;
  ComparePage* comparePage_ = nullptr;
  ExperimentRunner* experimentRunner_ = nullptr;
  QAction* seedComparisonAction_ = nullptr;
  AttentionPanel* attentionPanel_ = nullptr;
  QDockWidget* runsDock_ = nullptr;
  QList<QDockWidget*> trainingDocks_;  // hidden while the Tasks tab is shown
  QByteArray trainingState_;           // the dock layout of the Training tab, saved on leaving it
  QLabel* statusText_ = nullptr;
  QProgressBar* progress_ = nullptr;
  bool formValid_ = true;
  // model.hf_path as last checked (inspectHfCheckpoint): again only when the path or its
  // config.json changes, not on every keystroke elsewhere in the form.
  struct CheckedCheckpoint {
    QString path;
    QDateTime stamp;
    QString summary, error;
  } checkedCheckpoint_;
  // The summary of the checkpoint folder, or its error in `error`.
  QString checkCheckpointFolder(const QString& path, QString* error);
};

}  // namespace tb
