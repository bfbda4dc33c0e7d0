#pragma once
// TreeCompareView: two TreePanels side by side in a splitter, to compare what two algorithms (or
// two checkpoints) built on the same problem. A line above them summarises both (size, depth,
// whether the chosen answer is correct); with "Sync" on, the colour metric and the search text
// follow each other, so the same nodes light up on both sides.
// Plain data only: this view knows nothing of the engine.
#include <QWidget>

#include "core/search/ReasoningTree.h"

class QCheckBox;
class QLabel;
class QSplitter;

namespace tb {

class TreePanel;

class TreeCompareView : public QWidget {
  Q_OBJECT

 public:
  explicit TreeCompareView(QWidget* parent = nullptr);

  // False when either tree is refused (see TreePanel::setTree); the other one is still shown.
  bool setTrees(ReasoningTree left, ReasoningTree right);
  bool setLeftTree(ReasoningTree tree);
  bool setRightTree(ReasoningTree tree);
  void clear();

  TreePanel* leftPanel() const { return left_; }
  TreePanel* rightPanel() const { return right_; }
  QSplitter* splitter() const { return splitter_; }
  QLabel* summaryLabel() const { return summary_; }

  // Colour metric and search text shared by both panels (on by default).
  void setSynchronized(bool on);
  bool isSynchronized() const;

 private:
  void updateSummary();
  void follow(TreePanel* from, TreePanel* to);

  QCheckBox* sync_ = nullptr;
  QLabel* summary_ = nullptr;
  QSplitter* splitter_ = nullptr;
  TreePanel* left_ = nullptr;
  TreePanel* right_ = nullptr;
  bool syncing_ = false;
};

}  // namespace tb
