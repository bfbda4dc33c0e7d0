#pragma once
// TreeView: a zoomable canvas that draws one ReasoningTree in a tidy layered layout (TreeLayout).
//
// Nodes are filled by a chosen metric (Q, value, reward, visits, prior, log-flow) with a legend
// in the corner, sized by visits on a log scale (or, with sizing off, bordered by them); terminals
// are rounded squares with a green check (correct) or a red cross (wrong); the chosen path is drawn
// thick in amber. Step texts label the nodes as far as the zoom leaves room for them.
//
// Interaction: wheel zooms around the cursor (Shift+wheel pans), drag pans, +/- zoom, arrows pan,
// F or 0 fits the tree; a click selects a node (nodeSelected), a double click or Space collapses
// or expands its subtree (a collapsed node shows "+N" hidden nodes). setIteration replays the
// growth of a search from its history; setSearchText highlights the nodes whose step or state
// contains the text. exportImage writes the whole tree, not just the viewport, as PNG or SVG.
//
// Only what is inside the viewport is painted (nodes are indexed by layer and x), text is skipped
// when zoomed far out, and a very wide tree is stretched vertically when fitted, so 10,000 nodes
// pan smoothly. Plain data only: this view knows nothing of the engine.
#include <QColor>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <vector>

#include "core/search/ReasoningTree.h"
#include "core/search/TreeLayout.h"
#include "widgets/TreeColorScale.h"

class QPainter;

namespace tb {

struct LabelGeometry;

class TreeView : public QWidget {
  Q_OBJECT

 public:
  explicit TreeView(QWidget* parent = nullptr);
  ~TreeView() override;

  // Shows `tree` at its final iteration, everything expanded, nothing selected, fitted to the view.
  // The tree must pass ReasoningTree::validate() (TreePanel::setTree checks it).
  void setTree(std::shared_ptr<const ReasoningTree> tree);
  void setTree(ReasoningTree tree);
  void clear();
  bool hasTree() const { return tree_ && !tree_->nodes.empty(); }
  const ReasoningTree* tree() const { return tree_.get(); }

  // Replays growth: statistics after `iteration` (clamped to [0, iterations()]) and only the nodes
  // created by then. Trees without history have a single, final iteration 0.
  void setIteration(int iteration);
  int iteration() const { return iteration_; }
  int iterations() const { return tree_ ? tree_->iterations() : 0; }
  const std::vector<NodeStats>& currentStats() const { return stats_; }
  const std::vector<bool>& present() const { return present_; }  // by node id
  bool isPresent(int id) const;      // created by the current iteration
  bool isNodeVisible(int id) const;  // drawn: present and no collapsed ancestor
  int visibleNodeCount() const { return layout_.visibleCount; }
  const TreeLayoutResult& layout() const { return layout_; }

  // Colour and size encodings.
  void setColorBy(TreeMetric metric);
  TreeMetric colorBy() const { return colorBy_; }
  TreeColorScale colorScale() const { return scale_; }
  bool hasLogFlow() const { return hasLogFlow_; }  // whether any node has a log-flow
  double metricValue(int id) const;               // the colour metric of a node now (NaN: none)
  QColor nodeColor(int id) const;
  void setSizeByVisits(bool on);
  bool sizeByVisits() const { return sizeByVisits_; }

  // Collapsing: a collapsed node hides its subtree. Expanding or selecting a node inside a
  // collapsed subtree expands its ancestors.
  void setCollapsed(int id, bool collapsed);
  void toggleCollapsed(int id);
  bool isCollapsed(int id) const;
  int hiddenBelow(int id) const;  // nodes hidden under a collapsed node (0 if not collapsed)
  void expandAll();
  void collapseBelowDepth(int depth);  // collapses every node at `depth` that has children

  // Selection (-1 clears). Reveals the node (expands ancestors) and scrolls it into view.
  void selectNode(int id);
  int selectedNode() const { return selected_; }

  // Search over step and state text, case-insensitive; matches are the present nodes in pre-order.
  void setSearchText(const QString& text);
  QString searchText() const { return search_; }
  int matchCount() const { return static_cast<int>(matches_.size()); }
  const std::vector<int>& matches() const { return matches_; }
  int currentMatch() const { return currentMatch_; }  // index into matches(), -1 when none
  bool isMatch(int id) const;
  // Selects the next (previous) match, wrapping around, and centres it.
  void nextMatch();
  void previousMatch();

  // View transform: screen = world * scale + offset, with the vertical scale never below the one
  // that made the fitted tree fill the height.
  void fitToView();
  void zoomBy(double factor);                         // around the widget centre
  void zoomBy(double factor, const QPointF& anchor);  // keeps `anchor` (widget pixels) fixed
  void panBy(const QPointF& delta);
  void centerOn(int id);
  double zoom() const { return sx_; }
  bool isUserView() const { return userView_; }
  QPointF nodeScreenPosition(int id) const;  // widget pixels of a node's centre
  int nodeAt(const QPointF& pos) const;      // the visible node under widget pixel `pos`, or -1

  // The whole tree (not just the viewport) with its legend: .png/.jpg/.bmp rastered (scaled down
  // to at most 16384 pixels a side), .svg as vectors. False with a reason in `error` on failure.
  bool exportImage(const QString& path, QString* error = nullptr) const;

  QSize sizeHint() const override { return QSize(720, 480); }
  QSize minimumSizeHint() const override { return QSize(200, 160); }

 signals:
  void nodeSelected(int id);
  void collapsedChanged(int id, bool collapsed);
  void searchMatchesChanged(int count);
  void currentMatchChanged(int index);  // index into matches(), -1 when none
  void iterationChanged(int iteration);
  void colorByChanged(TreeMetric metric);
  void layoutChanged();

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;
  bool event(QEvent* event) override;

 private:
  // World geometry (pixels at zoom 1): sibling and cousin spacing, layer spacing, node radii.
  static constexpr double kSibling = 76, kCousin = 92, kLevel = 108;
  static constexpr double kMaxRadius = 15, kMinRadius = 6.5, kPlainRadius = 12;

  // Where and how big one paint goes: the screen rectangle and the transform.
  struct Frame {
    double sx = 1, sy = 1;
    QPointF offset;
    QRectF screen;
    bool exporting = false;
  };

  void relayout(int anchorNode = -1);
  void rebuildIndex();
  void refreshScale();
  void recomputeMatches();
  void revealNode(int id);
  double effectiveSy() const;
  Frame screenFrame() const;
  QRectF worldBounds() const;  // the visible nodes' box with room for shapes and labels
  void markUserView();
  void goToMatch(int index);
  void ensureVisible(int id);

  double radiusOf(int id) const;  // world units
  double borderOf(int id) const;  // screen pixels
  QPointF toScreen(const Frame& f, int id) const;

  // TreeViewPaint.cpp
  void paintScene(QPainter& p, const Frame& f) const;
  void paintEdges(QPainter& p, const Frame& f, int firstLayer, int lastLayer, double left, double right,
                  const std::vector<float>& labelHeight, double defaultLabelHeight) const;
  void paintNodes(QPainter& p, const Frame& f, const std::vector<int>& ids) const;
  void paintLabels(QPainter& p, const Frame& f, const LabelGeometry& g, const std::vector<int>& ids,
                   const std::vector<QStringList>& labels) const;
  QSizeF legendSize() const;
  void paintLegend(QPainter& p, const QPointF& topLeft) const;
  void paintHint(QPainter& p, const QRectF& screen) const;

  std::shared_ptr<const ReasoningTree> tree_;
  int iteration_ = 0;
  std::vector<NodeStats> stats_;
  std::vector<bool> present_;
  std::vector<bool> collapsed_;
  std::vector<bool> onPath_;
  std::vector<QString> step_, state_;  // cached for labels and search
  std::vector<int> preorder_;          // pre-order rank, for ordering matches
  TreeLayoutResult layout_;
  std::vector<std::vector<int>> layers_;  // visible ids per depth, sorted by x
  std::vector<double> layerSpan_;         // per depth: the widest |dx| of an edge into it
  int maxVisits_ = 0;
  bool hasLogFlow_ = false;
  bool hasTerminals_ = false;

  TreeMetric colorBy_ = TreeMetric::Q;
  TreeColorScale scale_;
  bool sizeByVisits_ = true;

  double sx_ = 1, syFloor_ = 0, minZoom_ = 0.02;
  QPointF offset_;
  bool userView_ = false;

  int selected_ = -1;
  int hovered_ = -1;
  QString search_;
  std::vector<int> matches_;
  std::vector<bool> isMatch_;
  int currentMatch_ = -1;

  QPointF pressPos_, lastPos_;
  bool pressed_ = false;
  bool dragging_ = false;
};

}  // namespace tb
