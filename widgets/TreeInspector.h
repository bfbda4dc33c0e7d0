#pragma once
// TreeInspector: the details of one node of a ReasoningTree: its step and full state text, its
// statistics (as of the replayed iteration), the extra fields its producer attached, and its
// children ranked by visits, then Q. Clicking a child (or "Parent") asks for that node to be
// selected (nodeActivated); "Copy path" puts the steps from the root into the clipboard.
// Plain data only: this view knows nothing of the engine.
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

#include "core/search/ReasoningTree.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTableWidget;

namespace tb {

class TreeInspector : public QWidget {
  Q_OBJECT

 public:
  explicit TreeInspector(QWidget* parent = nullptr);

  void setTree(std::shared_ptr<const ReasoningTree> tree);
  // Shows node `id` with `stats` (by node id; empty: the final statistics) and `present` (by
  // node id; empty: all present) as of `iteration`. id -1 shows the "select a node" hint.
  void showNode(int id, const std::vector<NodeStats>& stats = {}, const std::vector<bool>& present = {},
                int iteration = -1);
  void clearNode() { showNode(-1); }
  int node() const { return node_; }

  // What is shown, for tests and copy-paste.
  QString stepText() const;
  QString stateText() const;
  QString statisticsText() const;      // the statistics as plain text
  std::vector<int> rankedChildren() const;  // child ids in table order
  QTableWidget* childrenTable() const { return children_; }

  // Children ordered by visits (descending), then Q (descending), then id.
  static std::vector<int> rankChildren(const ReasoningTree& tree, int id, const std::vector<NodeStats>& stats);

 signals:
  void nodeActivated(int id);

 private:
  std::shared_ptr<const ReasoningTree> tree_;
  int node_ = -1;
  std::vector<int> ranked_;
  QStackedWidget* pages_ = nullptr;
  QLabel* title_ = nullptr;
  QLabel* status_ = nullptr;
  QPlainTextEdit* step_ = nullptr;
  QPlainTextEdit* state_ = nullptr;
  QLabel* stats_ = nullptr;
  QLabel* childrenTitle_ = nullptr;
  QTableWidget* children_ = nullptr;
  QPushButton* parentButton_ = nullptr;
  QPushButton* copyButton_ = nullptr;
};

}  // namespace tb
