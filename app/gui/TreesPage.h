#pragma once
// The "Trees" tab: the reasoning trees stored with the selected run (search trees of MCTS-DPO /
// ReST-MCTS*, or the sampled groups of any other algorithm merged into prefix trees), a tree file
// opened from disk (ours or llm-reasoners' TreeLog JSON), and new searches on a problem with the
// run's latest checkpoint, run on a worker thread. One tree is shown in a TreePanel; "Side by side"
// shows the pinned tree next to the current one (two algorithms on the same problem).
// Every failure becomes a message in the page's status line; nothing escapes into Qt.
#include <QString>
#include <QWidget>

#include <memory>
#include <optional>

#include "core/search/ReasoningTree.h"

class QCheckBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QThread;

namespace tb {

class RunStore;
class TreeCompareView;
class TreePanel;

class TreesPage : public QWidget {
  Q_OBJECT

 public:
  // `store` is the GUI thread's connection; searches open their own on `workspacePath`.
  TreesPage(RunStore* store, QString workspacePath, QWidget* parent = nullptr);
  ~TreesPage() override;

  // Lists the run's stored trees and shows the newest one (-1: none).
  void showRun(qint64 runId);
  // Re-reads the list (new trees of a live run); keeps the tree on display.
  void refresh();
  // Opens a tree file; false with the reason in statusText() when it is refused.
  bool openFile(const QString& path);
  // Shows the index-th listed tree.
  void showListed(int index);
  // Writes the shown tree as JSON ("thoughtbench" or "llm-reasoners").
  bool exportTree(const QString& path, const QString& format);
  // Searches a problem with the run's policy on a worker thread; the tree is shown when done.
  // method "samples": no search, `simulations` completions sampled as the run samples a group.
  void startSearch(const QString& problemId, const QString& method, int simulations);
  bool searching() const { return worker_ != nullptr; }

  void pinCurrent();
  // Side by side takes the whole width: the list column steps aside (a bar offers the way back)
  // and sideBySideChanged lets the window hide its runs dock.
  void setSideBySide(bool on);
  bool sideBySide() const;

  QTableWidget* list() const { return list_; }
  TreePanel* panel() const { return panel_; }
  TreeCompareView* compareView() const { return compare_; }
  QString statusText() const;
  const std::optional<ReasoningTree>& current() const { return current_; }

 signals:
  void searchFinished(bool ok);
  // "Attention of the path": the text from the root to the selected node, drawn at `iteration`
  // of run `runId` (a very large iteration: the run's latest policy).
  void attentionRequested(qint64 runId, int iteration, const QString& problemId, const QString& prompt,
                          const QString& completion);
  void sideBySideChanged(bool on);

 private:
  void show(ReasoningTree tree);
  void setStatus(const QString& text, bool error = false);
  void askSearch();
  void askExport();
  void askOpen();
  void requestAttention();

  RunStore* store_;
  QString workspacePath_;
  qint64 runId_ = -1;
  QList<qint64> treeIds_;
  QList<int> treeIterations_;
  int currentIteration_ = -1;  // iteration of the stored tree shown; -1: a file or a new search
  std::optional<ReasoningTree> current_;
  std::optional<ReasoningTree> pinned_;
  QThread* worker_ = nullptr;

  QWidget* leftColumn_ = nullptr;
  QWidget* compareBar_ = nullptr;
  QLabel* title_ = nullptr;
  QTableWidget* list_ = nullptr;
  QPushButton* pinButton_ = nullptr;
  QCheckBox* sideBySide_ = nullptr;
  QPushButton* searchButton_ = nullptr;
  QLabel* status_ = nullptr;
  QStackedWidget* stack_ = nullptr;
  TreePanel* panel_ = nullptr;
  TreeCompareView* compare_ = nullptr;
};

}  // namespace tb
