#pragma once
// TaskBrowser: looks at the registered tasks. A list of tasks (title and one-line summary) on the
// left; on the right the selected task's description, difficulty levels, data source and problem
// counts, a level filter, a table of sample problems, and a detail pane with the selected
// problem's prompt, the solver's demonstration and the verifier's verdict on it (green ✓ / red ✗
// with the reason). Step-level samples also carry the states along the demonstration: a slider
// steps through them, showing each state's description and, where the sample has them, a drawing
// of its block stacks. Plain Qt data only: whoever owns the browser fills it (TaskBrowserController
// in the app) and answers samplesRequested.
#include "widgets/BlockStacksView.h"

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QListWidget;
class QSlider;
class QSplitter;
class QStandardItemModel;
class QTableView;
class QTextEdit;

namespace tb {

struct TaskEntry {
  QString name;         // registry name, "game24"
  QString title;        // "Game of 24"
  QString description;  // one paragraph; its first sentence is the list's summary
  QStringList levels;   // difficulty level names, easiest first
  QString source;       // where the data comes from ("" = generated)
  bool stepLevel = false;
  bool hasSolver = false;
};

struct TaskSample {
  QString id;
  int level = 0;
  double difficulty = 0;
  QString prompt;
  bool hasDemonstration = false;
  QString demonstration;
  bool verdictCorrect = false;
  double reward = 0;
  QString verdictReason;
  QString state;             // description of the problem's initial state ("" = none)
  QStringList steps;         // the demonstration's steps (step-level tasks)
  QStringList stepStates;    // stepStates[k]: the state after the first k steps, k = 0..steps.size()
  QVector<BlockStacks> stackStates;  // same indexing, for tasks whose states are block stacks
};

class TaskBrowser : public QWidget {
  Q_OBJECT

 public:
  explicit TaskBrowser(QWidget* parent = nullptr);
  ~TaskBrowser() override;

  // Replaces the task list. Nothing is selected until the browser is first shown (then the first
  // task is) or selectTask is called, so a hidden browser costs nothing.
  void setTasks(const QVector<TaskEntry>& tasks);
  int taskCount() const;
  QStringList taskNames() const;
  bool selectTask(const QString& name);  // false for an unknown name
  QString currentTask() const;           // "" when none is selected

  // The problem counts of the selected task (negative = unknown, not shown) and, when given, how
  // many train problems each level has (shown in the level filter).
  void setProblemCounts(int train, int test, const QVector<int>& trainPerLevel = {});
  // Replaces the sample table (and selects its first row).
  void setSamples(const QVector<TaskSample>& samples);
  // Clears the samples and shows `text` in their place (an error, or "loading").
  void showMessage(const QString& text, bool error = true);
  QString message() const;  // "" when the samples are shown

  // -1 = all levels, else a level index of the selected task.
  int levelFilter() const;
  void setLevelFilter(int level);

  int sampleCount() const;
  const TaskSample& sample(int row) const;
  bool selectSample(int row);
  std::optional<TaskSample> currentSample() const;
  // The state step shown for the current sample (0 = initial state), and how to change it.
  int stateStep() const;
  void setStateStep(int step);

  // For tests and screenshots.
  QListWidget* taskList() const { return taskList_; }
  QComboBox* levelCombo() const { return levelCombo_; }
  QTableView* sampleTable() const { return table_; }
  QTextEdit* detailView() const { return detail_; }
  QTextEdit* stateView() const { return stateText_; }
  BlockStacksView* blockStacksView() const { return stacksView_; }
  QSlider* stepSlider() const { return stepSlider_; }

 signals:
  // The selected task or the level filter changed: the owner answers with setSamples (or
  // showMessage) and, once it knows them, setProblemCounts.
  void samplesRequested(const QString& task, int level);

 protected:
  void showEvent(QShowEvent* event) override;
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void showTaskInfo();
  void requestSamples();
  void showSampleDetail();
  void showState();
  void updateSummary();
  void placeOverlay();
  const TaskEntry* currentEntry() const;

  QVector<TaskEntry> tasks_;
  QVector<TaskSample> samples_;
  QString message_;
  bool messageIsError_ = false;
  int trainCount_ = -1;
  int testCount_ = -1;

  QListWidget* taskList_ = nullptr;
  QLabel* titleLabel_ = nullptr;
  QLabel* nameLabel_ = nullptr;
  QLabel* descriptionLabel_ = nullptr;
  QLabel* factsLabel_ = nullptr;
  QComboBox* levelCombo_ = nullptr;
  QLabel* summary_ = nullptr;
  QSplitter* sampleSplitter_ = nullptr;
  QTableView* table_ = nullptr;
  QStandardItemModel* model_ = nullptr;
  QLabel* emptyOverlay_ = nullptr;
  QTextEdit* detail_ = nullptr;
  QWidget* statePanel_ = nullptr;
  QLabel* stepLabel_ = nullptr;
  QSlider* stepSlider_ = nullptr;
  QLabel* stepCaption_ = nullptr;
  BlockStacksView* stacksView_ = nullptr;
  QTextEdit* stateText_ = nullptr;
};

}  // namespace tb
