// MainWindow: layout, actions, and the wiring between the engine's events, the run store and
// the views. Every slot catches exceptions and reports them in the status bar and the log.
#include "app/gui/MainWindow.h"

#include <torch/cuda.h>

#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QFrame>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include "app/gui/FormFields.h"
#include "app/gui/RunsTableModel.h"
#include "app/gui/TaskBrowserController.h"
#include "app/gui/WaitCursor.h"
#include "core/hf/HfCheckpointInspection.h"
#include "app/gui/ComparePage.h"
#include "app/gui/ExperimentRunner.h"
#include "app/gui/TreesPage.h"
#include "core/engine/AttentionSession.h"
#include "widgets/AttentionPanel.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/tasks/Task.h"
#include "widgets/ConfigForm.h"
#include "widgets/CurvePlot.h"
#include "widgets/LogView.h"
#include "widgets/SamplesView.h"
#include "widgets/TaskBrowser.h"

namespace tb {

namespace {

// The Training tab's first layout: the runs list and the configuration beside two columns of plots.
constexpr int kRunsDockWidth = 440;
constexpr int kConfigDockWidth = 360;

SampleRow toRow(const SampleRecord& s) {
  return SampleRow{s.iteration,
                   QString::fromStdString(s.problemId),
                   QString::fromStdString(s.prompt),
                   QString::fromStdString(s.completion),
                   s.reward,
                   s.correct,
                   QString::fromStdString(s.reason),
                   s.id,
                   s.runId};
}

// Runs a slot body; an exception becomes a message instead of escaping into Qt's event loop.
template <typename Fn>
void guarded(MainWindow* window, QLabel* status, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    if (status) status->setText(QString::fromStdString(e.what()));
    QMessageBox::warning(window, QObject::tr("Thoughtbench"), QString::fromStdString(e.what()));
  }
}

}  // namespace

MainWindow::MainWindow(const QString& workspacePath, QWidget* parent) : QMainWindow(parent) {
  store_ = RunStore::open(workspacePath.toStdString());
  store_->markInterruptedRuns();
  controller_ = new EngineController(workspacePath, this);
  runsModel_ = new RunsTableModel(this);
  setWindowTitle(tr("Thoughtbench — %1").arg(workspacePath));
  buildActions();
  buildLayout();

  connect(controller_, &EngineController::statusChanged, this, &MainWindow::onStatusChanged);
  connect(controller_, &EngineController::phaseProgress, this, &MainWindow::onPhase);
  connect(controller_, &EngineController::iterationRecorded, this, &MainWindow::onIteration);
  connect(controller_, &EngineController::logLine, this, &MainWindow::onLogLine);

  // Runs trained by another process (thoughtbench-cli, another window) are followed by polling
  // the store; this window's own run arrives through engine events instead.
  auto* poll = new QTimer(this);
  poll->setInterval(2000);
  connect(poll, &QTimer::timeout, this, [this] {
    guarded(this, statusText_, [&] { followExternalRun(); });
  });
  poll->start();

  restoreSettings();
  reloadRuns();
  if (runsModel_->rowCount() > 0) selectRun(runsModel_->runIdAt(0));
  updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions() {
  auto* bar = addToolBar(tr("Run"));
  bar->setObjectName("runToolbar");
  bar->setMovable(false);
  bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

  bar->addWidget(new QLabel(tr(" Task ")));
  taskCombo_ = new QComboBox;
  taskCombo_->setObjectName("taskCombo");
  for (const TaskInfo* t : TaskRegistry::instance().all())
    taskCombo_->addItem(QString::fromStdString(t->title), QString::fromStdString(t->name));
  bar->addWidget(taskCombo_);
  bar->addWidget(new QLabel(tr("  Algorithm ")));
  algorithmCombo_ = new QComboBox;
  algorithmCombo_->setObjectName("algorithmCombo");
  for (const AlgorithmInfo* a : AlgorithmRegistry::instance().all())
    algorithmCombo_->addItem(QString::fromStdString(a->title), QString::fromStdString(a->name));
  bar->addWidget(algorithmCombo_);
  bar->addSeparator();

  auto* s = style();
  startAction_ = bar->addAction(s->standardIcon(QStyle::SP_MediaPlay), tr("Start"), this, &MainWindow::startRun);
  startAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  startAction_->setToolTip(tr("Start a new run with this configuration (Ctrl+R)"));
  pauseAction_ = bar->addAction(s->standardIcon(QStyle::SP_MediaPause), tr("Pause"), this, &MainWindow::togglePause);
  pauseAction_->setToolTip(tr("Pause the training run after the current iteration, or resume it"));
  stopAction_ = bar->addAction(s->standardIcon(QStyle::SP_MediaStop), tr("Stop"), this, &MainWindow::stopRun);
  stopAction_->setToolTip(tr("Cancel the training run after the current iteration (it can be resumed later)"));
  bar->addSeparator();
  resumeRunAction_ = bar->addAction(s->standardIcon(QStyle::SP_MediaSeekForward), tr("Resume run"), this,
                                    &MainWindow::resumeSelectedRun);
  resumeRunAction_->setToolTip(tr("Continue the selected interrupted or cancelled run from its last checkpoint"));
  refreshAction_ = bar->addAction(s->standardIcon(QStyle::SP_BrowserReload), tr("Refresh"), this, [this] {
    guarded(this, statusText_, [&] {
      store_->markInterruptedRuns();
      reloadRuns();
      loadSelectedRun();
    });
  });

  // Built-in experiments and the comparison of runs.
  auto* experiments = menuBar()->addMenu(tr("&Experiments"));
  seedComparisonAction_ = experiments->addAction(
      tr("Seed comparison: GRPO, Dr. GRPO, DAPO, EMPG, FoR x 3 seeds (about 15 min)…"), this, [this] {
        guarded(this, statusText_, [&] {
          SeedComparisonOptions options;
          options.task = taskCombo_->currentData().toString().toStdString();
          ExperimentPlan plan = seedComparisonPlan(options);
          QStringList names;
          for (const auto& run : plan.runs) names << QString::fromStdString(run.getString("run.name"));
          const auto answer = QMessageBox::question(
              this, tr("Seed comparison"),
              tr("Run %1 (%2 runs: %3)?\n\nThe runs are tagged \"%4\"; at the end the Compare tab shows them grouped "
                 "by algorithm and the report (HTML and PDF) is written next to the runs' folders.")
                  .arg(QString::fromStdString(plan.description)).arg(plan.runs.size()).arg(names.join(", "))
                  .arg(QString::fromStdString(plan.tag)));
          QString error;
          if (answer == QMessageBox::Yes && !startExperiment(std::move(plan), &error))
            QMessageBox::warning(this, tr("Cannot start the experiment"), error);
        });
      });
  seedComparisonAction_->setToolTip(tr("The built-in experiment of docs/REPORTS.md on the selected task"));
  experiments->addAction(tr("Compare runs"), this, [this] { showCompareTab(); });

  connect(taskCombo_, &QComboBox::currentIndexChanged, this, [this] { rebuildForm(); });
  connect(algorithmCombo_, &QComboBox::currentIndexChanged, this, [this] { rebuildForm(); });
}

void MainWindow::buildLayout() {
  // Centre: title and four live plots.
  auto* centre = new QWidget;
  auto* centreLayout = new QVBoxLayout(centre);
  centreLayout->setContentsMargins(8, 6, 8, 4);
  runTitle_ = new QLabel(tr("No run selected"));
  runTitle_->setObjectName("runTitle");
  QFont titleFont = runTitle_->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
  titleFont.setBold(true);
  runTitle_->setFont(titleFont);
  runTitle_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  centreLayout->addWidget(runTitle_);
  auto* grid = new QGridLayout;
  grid->setSpacing(8);
  auto makePlot = [&](const QString& title, const QString& yLabel, int row, int column) {
    auto* plot = new CurvePlot;
    plot->setTitle(title);
    plot->setYLabel(yLabel);
    plot->setMinimumSize(320, 200);
    plot->setIntegerX(true);
    grid->addWidget(plot, row, column);
    return plot;
  };
  rewardPlot_ = makePlot(tr("Reward"), tr("mean per iteration"), 0, 0);
  rewardPlot_->setSmoothing(0.6);
  entropyPlot_ = makePlot(tr("Entropy"), tr("nats per token"), 0, 1);
  entropyPlot_->setSmoothing(0.6);
  klPlot_ = makePlot(tr("KL"), tr("nats per token to reference"), 1, 0);
  evalPlot_ = makePlot(tr("Eval"), tr("test split, fraction solved"), 1, 1);
  centreLayout->addLayout(grid, 1);

  // The centre holds two tabs: the training plots and the task browser.
  centralTabs_ = new QTabWidget;
  centralTabs_->setObjectName("centralTabs");
  centralTabs_->setDocumentMode(true);
  centralTabs_->addTab(centre, tr("Training"));
  taskBrowser_ = new TaskBrowser;
  centralTabs_->addTab(taskBrowser_, tr("Tasks"));
  centralTabs_->setTabToolTip(1, tr("The registered tasks: descriptions, levels, sources and solved sample problems"));
  taskBrowserController_ = new TaskBrowserController(taskBrowser_, this);
  treesPage_ = new TreesPage(store_.get(), QString::fromStdString(store_->path()));
  treesPage_->setObjectName("treesPage");
  centralTabs_->addTab(treesPage_, tr("Trees"));
  connect(treesPage_, &TreesPage::sideBySideChanged, this, [this](bool on) {
    if (centralTabs_->currentWidget() == treesPage_) runsDock_->setVisible(!on);
  });
  attentionPanel_ = new AttentionPanel;
  attentionPanel_->setObjectName("attentionPanel");
  centralTabs_->addTab(attentionPanel_, tr("Attention"));
  centralTabs_->setTabToolTip(3, tr("The attention behind a sample or a tree path, with WAAD / FAI per token "
                                    "(choose a sample below and press Attention)"));
  comparePage_ = new ComparePage(store_.get());
  experimentRunner_ = new ExperimentRunner(controller_, store_.get(), this);
  connect(experimentRunner_, &ExperimentRunner::runStarted, this, [this](int index, int total, qint64 runId) {
    reloadRuns();
    selectRun(runId);
    statusText_->setText(tr("Experiment: run %1 of %2 (run %3) started").arg(index).arg(total).arg(runId));
  });
  connect(experimentRunner_, &ExperimentRunner::finished, this,
          [this](bool, const QList<qint64>& runs, const QStringList&, const QString& message) {
            reloadRuns();
            if (!runs.isEmpty()) showCompareTab(runs);
            statusText_->setText(message);
          });
  comparePage_->setObjectName("comparePage");
  // A tab widget is as wide as its widest page's minimum; the compare page's toolbar alone asks
  // for ~1,000 px, which pushed the Training tab's docks off a 1,600 px screen (and the trees
  // page's squeezed the runs list to 210 px). They get the window when shown (the docks step
  // aside), so their own minimums need not count.
  comparePage_->setMinimumWidth(480);
  treesPage_->setMinimumWidth(480);  // the same for the trees' toolbar (~1,000 px): runs dock only
  centralTabs_->addTab(comparePage_, tr("Compare"));
  centralTabs_->setTabToolTip(4, tr("Compare runs across algorithms and seeds; export the comparison as a report"));
  connect(treesPage_, &TreesPage::attentionRequested, this,
          [this](qint64 run, int iteration, const QString& problem, const QString& prompt, const QString& text) {
            guarded(this, statusText_, [&] {
              WaitCursor wait;  // an HF checkpoint loads and runs on the CPU: seconds
              AttentionSample a = attentionOfRunText(*store_, run, iteration, prompt.toStdString(), text.toStdString());
              a.problemId = problem.toStdString();
              attentionPanel_->setSample(std::move(a));
              showAttentionTab();
            });
          });
  centralTabs_->setTabToolTip(2, tr("Reasoning trees: the searches of MCTS-DPO / ReST-MCTS*, the sampled groups of "
                                    "every other algorithm as prefix trees, tree files, new searches"));
  setCentralWidget(centralTabs_);

  // Left: runs.
  runsView_ = new QTableView;
  runsView_->setObjectName("runsView");
  runsView_->setModel(runsModel_);
  runsView_->setSelectionBehavior(QAbstractItemView::SelectRows);
  runsView_->setSelectionMode(QAbstractItemView::SingleSelection);
  runsView_->verticalHeader()->hide();
  runsView_->setAlternatingRowColors(true);
  // The short columns take their contents' width and the name the rest, so the list fits its
  // dock without a horizontal scroll bar.
  for (int column : {RunsTableModel::Id, RunsTableModel::Task, RunsTableModel::Algorithm, RunsTableModel::Status,
                     RunsTableModel::Progress, RunsTableModel::Reward})
    runsView_->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
  runsView_->horizontalHeader()->setSectionResizeMode(RunsTableModel::Name, QHeaderView::Stretch);
  runsView_->horizontalHeader()->setStretchLastSection(false);
  runsView_->setShowGrid(false);
  connect(runsView_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& current) {
            const qint64 id = runsModel_->runIdAt(current.row());
            if (id >= 0 && id != selectedRun_) {
              selectedRun_ = id;
              guarded(this, statusText_, [&] { loadSelectedRun(); });
              updateActions();
            }
          });
  auto* runsDock = runsDock_ = new QDockWidget(tr("Runs"), this);
  runsDock->setObjectName("runsDock");
  runsDock->setWidget(runsView_);
  runsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::LeftDockWidgetArea, runsDock);

  // Right: configuration.
  auto* configPanel = new QWidget;
  auto* configLayout = new QVBoxLayout(configPanel);
  configLayout->setContentsMargins(6, 4, 6, 6);
  algorithmInfo_ = new QLabel;
  algorithmInfo_->setObjectName("algorithmInfo");
  algorithmInfo_->setWordWrap(true);
  algorithmInfo_->setTextFormat(Qt::RichText);
  algorithmInfo_->setStyleSheet("QLabel { background: #f4f6f8; border: 1px solid #dde1e6; border-radius: 4px; padding: 6px; }");
  // The method's description scrolls in its own pane above the settings, and a splitter lets the
  // user trade one for the other: the description alone once took most of the dock's height.
  auto* infoScroll = new QScrollArea;
  infoScroll->setObjectName("algorithmInfoScroll");
  infoScroll->setWidget(algorithmInfo_);
  infoScroll->setWidgetResizable(true);
  infoScroll->setFrameShape(QFrame::NoFrame);
  infoScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  infoScroll->setMinimumHeight(60);
  form_ = new ConfigForm;
  form_->setObjectName("configForm");
  auto* configSplit = new QSplitter(Qt::Vertical);
  configSplit->setObjectName("configSplit");
  configSplit->setChildrenCollapsible(false);
  configSplit->addWidget(infoScroll);
  configSplit->addWidget(form_);
  configSplit->setStretchFactor(0, 0);
  configSplit->setStretchFactor(1, 1);
  configSplit->setSizes({140, 600});
  configLayout->addWidget(configSplit, 1);
  formStatus_ = new QLabel;
  formStatus_->setWordWrap(true);
  configLayout->addWidget(formStatus_);
  connect(form_, &ConfigForm::valuesChanged, this, [this] { validateForm(); });
  auto* configDock = new QDockWidget(tr("Run configuration"), this);
  configDock->setObjectName("configDock");
  configDock->setWidget(configPanel);
  configDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::RightDockWidgetArea, configDock);

  // Bottom: samples and log.
  bottomTabs_ = new QTabWidget;
  samplesView_ = new SamplesView;
  logView_ = new LogView;
  bottomTabs_->addTab(samplesView_, tr("Samples"));
  connect(samplesView_, &SamplesView::attentionRequested, this, [this](const SampleRow& row) { showAttention(row); });
  bottomTabs_->addTab(logView_, tr("Log"));
  auto* bottomDock = new QDockWidget(tr("What the policy writes"), this);
  bottomDock->setObjectName("bottomDock");
  bottomDock->setWidget(bottomTabs_);
  bottomDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
  addDockWidget(Qt::BottomDockWidgetArea, bottomDock);

  statusText_ = new QLabel(tr("Ready"));
  progress_ = new QProgressBar;
  progress_->setMaximumWidth(260);
  progress_->setTextVisible(true);
  progress_->hide();
  statusBar()->addWidget(statusText_, 1);
  statusBar()->addPermanentWidget(progress_);

  resize(1560, 960);
  resizeDocks({bottomDock}, {300}, Qt::Vertical);
  trainingDocks_ = {runsDock, configDock, bottomDock};
  connect(centralTabs_, &QTabWidget::currentChanged, this, &MainWindow::onCentralTabChanged);
  rebuildForm();
}

void MainWindow::showTasksTab() { centralTabs_->setCurrentWidget(taskBrowser_); }
void MainWindow::showTreesTab() { centralTabs_->setCurrentWidget(treesPage_); }
void MainWindow::showAttentionTab() { centralTabs_->setCurrentWidget(attentionPanel_); }

bool MainWindow::startExperiment(ExperimentPlan plan, QString* error) {
  QString why;
  const QString description = QString::fromStdString(plan.description);
  if (!experimentRunner_->start(std::move(plan), &why)) {
    statusText_->setText(why);
    if (error) *error = why;
    return false;
  }
  statusText_->setText(tr("Experiment started: %1").arg(description));
  return true;
}

void MainWindow::showCompareTab(const QList<qint64>& runs) {
  comparePage_->reloadRuns();
  if (!runs.isEmpty()) {
    comparePage_->setSelectedRuns(runs);
  } else if (comparePage_->selectedRuns().isEmpty()) {
    // A first look: the runs of the selected run's experiment, else of its task (at most 20).
    QList<qint64> ids;
    if (auto run = selectedRun_ > 0 ? store_->run(selectedRun_) : std::nullopt)
      for (const auto& r : store_->runs())
        if (ids.size() < 20 && r.task == run->task && r.experiment == run->experiment) ids << r.id;
    comparePage_->setSelectedRuns(ids);
  }
  centralTabs_->setCurrentWidget(comparePage_);
}

bool MainWindow::showAttention(const SampleRow& row) {
  bool ok = false;
  guarded(this, statusText_, [&] {
    qint64 id = row.id;
    if (id <= 0) {
      // A live row arrived before it was read back from the store: find it there.
      for (const auto& s : store_->samples(selectedRun_, row.iteration, 10000))
        if (QString::fromStdString(s.completion) == row.completion &&
            QString::fromStdString(s.problemId) == row.problemId)
          id = s.id;
    }
    if (id <= 0) throw InputError("this sample is not in the workspace (yet); try again after the iteration");
    WaitCursor wait;
    if (!attentionPanel_->setSample(attentionOfSample(*store_, id)))
      throw InputError(attentionPanel_->errorString().toStdString());
    showAttentionTab();
    statusText_->setText(tr("Attention of sample %1").arg(id));
    ok = true;
  });
  return ok;
}

void MainWindow::onCentralTabChanged(int index) {
  // The runs, configuration and samples docks belong to training: the task browser gets the
  // whole window, the trees keep only the runs (to choose whose trees), and the Training tab
  // gets its dock layout back.
  QWidget* page = centralTabs_->widget(index);
  const bool training = page != taskBrowser_ && page != treesPage_ && page != attentionPanel_ && page != comparePage_;
  if (!training) {
    if (trainingDocks_.front()->isVisible() && trainingDocks_[1]->isVisible()) trainingState_ = saveState();
    // Attention keeps the runs and the samples to choose from; the trees keep the runs.
    for (auto* dock : trainingDocks_)
      dock->setVisible((page == treesPage_ && dock == runsDock_ && !treesPage_->sideBySide()) ||
                       (page == attentionPanel_ && dock != trainingDocks_[1]));
    if (page == treesPage_) resizeDocks({runsDock_}, {300}, Qt::Horizontal);
    // The heatmap wants the height; the samples to choose from keep a few rows.
    if (page == attentionPanel_) {
      resizeDocks({runsDock_}, {300}, Qt::Horizontal);
      resizeDocks({trainingDocks_.back()}, {200}, Qt::Vertical);
    }
  } else {
    for (auto* dock : trainingDocks_) dock->show();
    if (!trainingState_.isEmpty()) restoreState(trainingState_);
  }
}

void MainWindow::rebuildForm() {
  guarded(this, formStatus_, [&] {
    const QVariantMap previous = form_->values();
    const QStringList previousChanged = form_->changedKeys();
    const auto schema = RunConfig::schemaFor(taskCombo_->currentData().toString().toStdString(),
                                             algorithmCombo_->currentData().toString().toStdString());
    form_->setFields(formFieldsFor(schema));
    // Keep what the user changed for keys both schemas share; every other key takes the new
    // preset's default (e.g. switching to DAPO brings its clip-higher 0.28).
    QVariantMap keep;
    for (const auto& key : previousChanged)
      if (previous.contains(key)) keep.insert(key, previous.value(key));
    form_->setValues(keep);
    updateAlgorithmInfo();
    validateForm();
  });
}

void MainWindow::updateAlgorithmInfo() {
  const AlgorithmInfo* a = AlgorithmRegistry::instance().find(algorithmCombo_->currentData().toString().toStdString());
  const TaskInfo* t = TaskRegistry::instance().find(taskCombo_->currentData().toString().toStdString());
  if (!a || !t) return;
  auto esc = [](const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); };
  QString parts;
  if (a->parts)
    for (const auto& [kind, name] : a->parts->all()) {
      const PartInfo* part = PartRegistry::instance().find(partKey(kind, name));
      parts += QStringLiteral("%1%2 <i>%3</i>")
                   .arg(parts.isEmpty() ? QString() : QStringLiteral(" · "), QString(partKindName(kind)),
                        part ? esc(part->title) : esc(name));
    }
  const std::string why = incompatibility(*a, *t);
  QStringList runsOn;
  for (const TaskInfo* task : TaskRegistry::instance().all())
    if (incompatibility(*a, *task).empty()) runsOn << QString::fromStdString(task->name);
  parts += QStringLiteral("<br>Runs on: %1").arg(runsOn.join(QStringLiteral(", ")));
  algorithmInfo_->setText(
      QStringLiteral("<b>%1</b> <span style='color:#555'>— %2</span><br>%3<br><span style='color:#555'>Parts: "
                     "%4</span>%5<br><br><b>%6</b>: %7")
          .arg(esc(a->title), esc(a->paper), esc(a->changes), parts,
               why.empty() ? QString()
                           : QStringLiteral("<br><span style='color:#b00020'>Cannot run on this task: %1</span>")
                                 .arg(esc(why)),
               esc(t->title), esc(t->description)));
}

void MainWindow::validateForm() {
  form_->clearErrors();
  // The built-in model's shape and the Hugging Face settings exclude each other: grey out the set
  // that the run will not use, so no edit looks as if it did something.
  const bool hf = !form_->value(QStringLiteral("model.hf_path")).toString().trimmed().isEmpty();
  for (const char* key : {"model.d_model", "model.layers", "model.heads", "model.context"})
    form_->setFieldApplies(key, !hf, tr("the Hugging Face checkpoint in model.hf_path brings its own shape"));
  for (const char* key : {"model.hf_chat", "model.device", "model.dtype", "model.lora_rank", "model.lora_alpha",
                          "model.lora_targets"})
    form_->setFieldApplies(key, hf, tr("only for a Hugging Face checkpoint (set model.hf_path)"));
  QStringList keys;
  for (const auto& f : form_->fields()) keys << f.key;
  try {
    RunConfig::fromJson(configJsonFromForm(taskCombo_->currentData().toString(),
                                           algorithmCombo_->currentData().toString(), form_->values()),
                        "form");
    QString checkpoint, checkpointError;
    if (hf) checkpoint = checkCheckpointFolder(form_->value(QStringLiteral("model.hf_path")).toString().trimmed(),
                                               &checkpointError);
    if (!checkpointError.isEmpty()) throw InputError(checkpointError.toStdString());
    if (hf && form_->value(QStringLiteral("model.device")).toString() == QLatin1String("cuda") &&
        torch::cuda::device_count() == 0)
      throw InputError("model.device = cuda, but this build's LibTorch sees no CUDA GPU here (a CPU-only "
                       "LibTorch, or no driver): choose cpu, or run on a GPU machine");
    formValid_ = true;
    const int changed = form_->changedKeys().size();
    QString status = changed ? tr("%1 setting(s) differ from the preset's defaults.").arg(changed)
                             : tr("Preset defaults.");
    if (!checkpoint.isEmpty()) status = tr("Checkpoint: %1.").arg(checkpoint) + QLatin1Char('\n') + status;
    formStatus_->setText(status);
    formStatus_->setStyleSheet("color: #555;");
  } catch (const std::exception& e) {
    formValid_ = false;
    QString message = QString::fromStdString(e.what());
    message.remove(QRegularExpression("^form: "));
    const QString key = keyNamedInError(message, keys);
    if (!key.isEmpty()) form_->setFieldError(key, message);
    formStatus_->setText(message);
    formStatus_->setStyleSheet("color: #c0392b;");
  }
  updateActions();
}

QString MainWindow::formStatus() const { return formStatus_->text(); }

QString MainWindow::checkCheckpointFolder(const QString& path, QString* error) {
  const QDateTime stamp = QFileInfo(QDir(path).filePath(QStringLiteral("config.json"))).lastModified();
  if (path != checkedCheckpoint_.path || stamp != checkedCheckpoint_.stamp) {
    checkedCheckpoint_ = {path, stamp, QString(), QString()};
    try {
      WaitCursor wait;  // safetensors headers only: quick, but a sharded 8B model has several files
      const HfCheckpointSummary summary = inspectHfCheckpoint(path.toStdString());
      checkedCheckpoint_.summary = QString::fromStdString(summary.oneLine());
      if (!summary.tokenizerJson)
        checkedCheckpoint_.error =
            tr("model.hf_path: no tokenizer.json in '%1' (the policy reads its tokenizer from the checkpoint folder)")
                .arg(path);
    } catch (const std::exception& e) {
      checkedCheckpoint_.error = QStringLiteral("model.hf_path: ") + QString::fromStdString(e.what());
    }
  }
  *error = checkedCheckpoint_.error;
  return checkedCheckpoint_.summary;
}

void MainWindow::startRun() {
  guarded(this, statusText_, [&] {
    QString error;
    const auto json = configJsonFromForm(taskCombo_->currentData().toString(),
                                         algorithmCombo_->currentData().toString(), form_->values());
    const qint64 id = controller_->startNew(json, &error);
    if (id < 0) {
      statusText_->setText(error);
      QMessageBox::warning(this, tr("Cannot start the run"), error);
      return;
    }
    reloadRuns();
    selectRun(id);
    statusText_->setText(tr("Run %1 started").arg(id));
    updateActions();
  });
}

void MainWindow::togglePause() {
  if (!controller_->busy()) return;
  const RunRecord* r = runsModel_->record(controller_->activeRun());
  if (r && r->status == RunStatus::Paused) controller_->resume();
  else controller_->pause();
  statusText_->setText(r && r->status == RunStatus::Paused ? tr("Resuming…") : tr("Pausing after this iteration…"));
}

void MainWindow::stopRun() {
  if (!controller_->busy()) return;
  controller_->cancel();
  statusText_->setText(tr("Stopping after this iteration…"));
}

void MainWindow::resumeSelectedRun() {
  guarded(this, statusText_, [&] {
    QString error;
    if (!controller_->resumeRun(selectedRun_, &error)) {
      statusText_->setText(error);
      QMessageBox::warning(this, tr("Cannot resume the run"), error);
      return;
    }
    statusText_->setText(tr("Run %1 resumed").arg(selectedRun_));
    updateActions();
  });
}

void MainWindow::selectRun(qint64 runId) {
  const int row = runsModel_->rowOf(runId);
  if (row < 0) return;
  selectedRun_ = runId;
  runsView_->selectRow(row);
  guarded(this, statusText_, [&] { loadSelectedRun(); });
  updateActions();
}

void MainWindow::reloadRuns() {
  runsModel_->reload(*store_);
  const int row = runsModel_->rowOf(selectedRun_);
  if (row >= 0) runsView_->selectRow(row);
  runsView_->resizeColumnsToContents();
  // The short columns take their contents' width and the name the rest, so the list fits its
  // dock without a horizontal scroll bar.
  for (int column : {RunsTableModel::Id, RunsTableModel::Task, RunsTableModel::Algorithm, RunsTableModel::Status,
                     RunsTableModel::Progress, RunsTableModel::Reward})
    runsView_->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
  runsView_->horizontalHeader()->setSectionResizeMode(RunsTableModel::Name, QHeaderView::Stretch);
  runsView_->horizontalHeader()->setStretchLastSection(false);
}

void MainWindow::loadSelectedRun() {
  for (auto* plot : {rewardPlot_, entropyPlot_, klPlot_, evalPlot_}) plot->clear();
  samplesView_->clear();
  logView_->clearLog();
  const auto record = store_->run(selectedRun_);
  if (!record) {
    runTitle_->setText(tr("No run selected"));
    treesPage_->showRun(-1);
    return;
  }
  runTitle_->setText(QStringLiteral("%1  ·  %2 on %3").arg(QString::fromStdString(record->name),
                                                           QString::fromStdString(record->algorithm),
                                                           QString::fromStdString(record->task)));
  for (const auto& [name, points] : store_->metrics(selectedRun_))
    for (const auto& p : points) appendMetric(QString::fromStdString(name), p.iteration, p.value);
  QVector<SampleRow> rows;
  for (const auto& s : store_->samples(selectedRun_, -1, 2000)) rows.append(toRow(s));
  samplesView_->setSamples(rows);
  for (const auto& line : store_->logs(selectedRun_, 0, 5000))
    logView_->appendLine(QString::fromStdString(line.level), QString::fromStdString(line.message), line.time);
  treesPage_->showRun(selectedRun_);
}

void MainWindow::followExternalRun() {
  if (selectedRun_ < 0 || selectedRun_ == controller_->activeRun()) return;
  const RunRecord* shown = runsModel_->record(selectedRun_);
  if (!shown || (shown->status != RunStatus::Running && shown->status != RunStatus::Paused)) return;
  const auto stored = store_->run(selectedRun_);
  if (!stored) return;
  if (stored->iterationsDone != shown->iterationsDone || stored->status != shown->status) {
    reloadRuns();
    loadSelectedRun();
  }
}

void MainWindow::appendMetric(const QString& name, double x, double y) {
  if (name == "reward/mean" || name == "accuracy") rewardPlot_->appendPoint(name, x, y);
  else if (name == "entropy") entropyPlot_->appendPoint(name, x, y);
  else if (name == "kl") klPlot_->appendPoint(name, x, y);
  else if (name == "eval/accuracy" || name == "eval/pass@k") evalPlot_->appendPoint(name, x, y);
}

void MainWindow::updateActions() {
  const bool busy = controller_->busy();
  const RunRecord* active = busy ? runsModel_->record(controller_->activeRun()) : nullptr;
  const RunRecord* selected = runsModel_->record(selectedRun_);
  startAction_->setEnabled(!busy && formValid_);
  pauseAction_->setEnabled(busy);
  pauseAction_->setText(active && active->status == RunStatus::Paused ? tr("Continue") : tr("Pause"));
  stopAction_->setEnabled(busy);
  const bool resumable = selected && !busy &&
                         (selected->status == RunStatus::Interrupted || selected->status == RunStatus::Cancelled ||
                          selected->status == RunStatus::Failed || selected->status == RunStatus::Created);
  resumeRunAction_->setEnabled(resumable);
  form_->setReadOnly(busy);
  taskCombo_->setEnabled(!busy);
  algorithmCombo_->setEnabled(!busy);
}

void MainWindow::onStatusChanged(qint64 runId, int status, const QString& message) {
  guarded(this, statusText_, [&] {
    const auto s = static_cast<RunStatus>(status);
    runsModel_->updateStatus(runId, s, message);
    if (isTerminal(s) || s == RunStatus::Interrupted) {
      progress_->hide();
      // The worker may still be joining; refresh the store's view once it has.
      QTimer::singleShot(200, this, [this] {
        reloadRuns();
        updateActions();
      });
    }
    statusText_->setText(tr("Run %1 %2%3").arg(runId).arg(runStatusName(s)).arg(message.isEmpty() ? "" : ": " + message));
    updateActions();
  });
}

void MainWindow::onPhase(qint64 runId, const QString& phase, double fraction) {
  progress_->show();
  progress_->setRange(0, 1000);
  progress_->setValue(static_cast<int>(fraction * 1000));
  progress_->setFormat(tr("run %1: %2 %p%").arg(runId).arg(phase));
}

void MainWindow::onIteration(const MetricUpdate& update) {
  guarded(this, statusText_, [&] {
    double reward = std::nan("");
    for (const auto& [name, value] : update.metrics)
      if (name == "reward/mean") reward = value;
    const bool isTraining = !std::isnan(reward);
    if (isTraining) {
      runsModel_->updateProgress(update.runId, update.iteration + 1, reward);
      progress_->show();
      progress_->setRange(0, update.iterationsTotal);
      progress_->setValue(update.iteration + 1);
      progress_->setFormat(tr("run %1: iteration %v/%m").arg(update.runId));
    }
    comparePage_->runUpdated(update.runId);
    if (update.runId != selectedRun_) return;
    for (const auto& [name, value] : update.metrics) appendMetric(name, update.iteration, value);
    if (!update.samples.isEmpty()) {
      QVector<SampleRow> rows;
      for (const auto& s : update.samples) rows.append(toRow(s));
      samplesView_->prependSamples(rows);
    }
    if (update.treesStored > 0) treesPage_->refresh();
  });
}

void MainWindow::onLogLine(qint64 runId, const QString& level, const QString& message, double time) {
  if (runId == selectedRun_) logView_->appendLine(level, message, time);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (controller_->busy()) {
    const auto answer = QMessageBox::question(
        this, tr("A run is training"),
        tr("Stop the training run and quit? It is saved as cancelled and can be resumed from its last checkpoint."));
    if (answer != QMessageBox::Yes) {
      event->ignore();
      return;
    }
    statusText_->setText(tr("Stopping the run…"));
    controller_->cancel();
  }
  saveSettings();
  event->accept();
}

void MainWindow::saveSettings() const {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  const bool onTasks = centralTabs_->currentWidget() == taskBrowser_ && !trainingState_.isEmpty();
  settings.setValue("window/state", onTasks ? trainingState_ : saveState());
  settings.setValue("run/task", taskCombo_->currentData());
  settings.setValue("run/algorithm", algorithmCombo_->currentData());
  settings.setValue("run/values", form_->values());
}

void MainWindow::restoreSettings() {
  QSettings settings;
  restoreGeometry(settings.value("window/geometry").toByteArray());
  if (!restoreState(settings.value("window/state").toByteArray())) {
    // First start: dock widths asked for before the window is shown are not kept (Qt lays the
    // docks out again when it shows the window), so they are asked for once it is shown.
    QTimer::singleShot(0, this, [this] {
      auto* config = findChild<QDockWidget*>(QStringLiteral("configDock"));
      if (runsDock_ && config) resizeDocks({runsDock_, config}, {kRunsDockWidth, kConfigDockWidth}, Qt::Horizontal);
    });
  }
  const int task = taskCombo_->findData(settings.value("run/task", "game24"));
  if (task >= 0) taskCombo_->setCurrentIndex(task);
  const int algorithm = algorithmCombo_->findData(settings.value("run/algorithm", "grpo"));
  if (algorithm >= 0) algorithmCombo_->setCurrentIndex(algorithm);
  rebuildForm();
  form_->setValues(settings.value("run/values").toMap());
  validateForm();
}

}  // namespace tb
