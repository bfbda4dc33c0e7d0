#pragma once
// TreePanel: everything needed to study one reasoning tree. A header names it (label, kind,
// problem, size, whether the chosen answer is correct); a toolbar picks the colour metric and
// visit sizing, searches node text (match count, previous/next), fits, expands all and exports
// PNG/SVG; the TreeView and the TreeInspector share a splitter; an iteration slider with a play
// button replays the growth of a search (hidden when the tree has no history).
// Plain data only: this view knows nothing of the engine.
#include <QString>
#include <QWidget>

#include <memory>

#include "core/search/ReasoningTree.h"
#include "widgets/TreeColorScale.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSlider;
class QSplitter;
class QTimer;
class QToolButton;
class QWidget;

namespace tb {

class TreeInspector;
class TreeView;

class TreePanel : public QWidget {
  Q_OBJECT

 public:
  explicit TreePanel(QWidget* parent = nullptr);
  ~TreePanel() override;

  // Shows `tree` (final iteration, fitted). A tree that fails ReasoningTree::validate() is refused:
  // false, the panel is cleared and the reason is shown in the header and in errorString().
  // A tree without nodes just clears the panel.
  bool setTree(ReasoningTree tree);
  bool setTree(std::shared_ptr<const ReasoningTree> tree);
  void clear();
  bool hasTree() const { return tree_ != nullptr; }
  const ReasoningTree& tree() const;  // an empty tree when none is shown
  QString errorString() const { return error_; }

  void selectNode(int id);
  int selectedNode() const;
  void setIteration(int iteration);
  int iteration() const;
  void setColorBy(TreeMetric metric);
  TreeMetric colorBy() const;
  void setSearchText(const QString& text);
  QString searchText() const;
  // Exports the whole tree (.png or .svg by extension); false with the reason in `error`.
  bool exportImage(const QString& path, QString* error = nullptr);

  TreeView* view() const { return view_; }
  TreeInspector* inspector() const { return inspector_; }
  QSlider* iterationSlider() const { return slider_; }
  QLabel* iterationLabel() const { return iterationLabel_; }
  QWidget* iterationBar() const { return iterationBar_; }
  QLineEdit* searchBox() const { return search_; }
  QLabel* matchLabel() const { return matchLabel_; }
  QComboBox* colorCombo() const { return colorCombo_; }
  QLabel* headerLabel() const { return header_; }
  QSplitter* splitter() const { return splitter_; }

 signals:
  void nodeSelected(int id);
  void colorByChanged(TreeMetric metric);
  void searchTextChanged(const QString& text);
  void iterationChanged(int iteration);

 private:
  void buildToolbar(QWidget* bar);
  void fillColorCombo();
  void updateHeader();
  void updateIterationBar();
  void updateMatchLabel();
  void updateInspector();
  void exportWithDialog(const QString& suffix);
  void togglePlay();
  void playStep();

  std::shared_ptr<const ReasoningTree> tree_;
  QString error_;
  QLabel* header_ = nullptr;
  QLabel* prompt_ = nullptr;
  QComboBox* colorCombo_ = nullptr;
  QCheckBox* sizeByVisits_ = nullptr;
  QLineEdit* search_ = nullptr;
  QLabel* matchLabel_ = nullptr;
  QToolButton* previous_ = nullptr;
  QToolButton* next_ = nullptr;
  QSplitter* splitter_ = nullptr;
  TreeView* view_ = nullptr;
  TreeInspector* inspector_ = nullptr;
  QWidget* iterationBar_ = nullptr;
  QToolButton* play_ = nullptr;
  QSlider* slider_ = nullptr;
  QLabel* iterationLabel_ = nullptr;
  QTimer* playTimer_ = nullptr;
};

}  // namespace tb
