// TreeView: tree state (replayed iteration, collapsed nodes, selection, search), the view
// transform and mouse/keyboard interaction. Painting and export are in TreeViewPaint.cpp.
#include "widgets/TreeView.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tb {

namespace {

constexpr double kMaxZoom = 8.0;
constexpr double kMaxFitZoom = 1.5;

QString formatValue(double v) {
  if (!std::isfinite(v)) return QStringLiteral("—");
  if (v == std::floor(v) && std::fabs(v) < 1e9) return QString::number(static_cast<qint64>(v));
  return QString::number(v, 'g', 4);
}

}  // namespace

TreeView::TreeView(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("treeView"));
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setAttribute(Qt::WA_OpaquePaintEvent);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

TreeView::~TreeView() = default;

void TreeView::setTree(ReasoningTree tree) { setTree(std::make_shared<const ReasoningTree>(std::move(tree))); }

void TreeView::clear() { setTree(std::shared_ptr<const ReasoningTree>()); }

void TreeView::setTree(std::shared_ptr<const ReasoningTree> tree) {
  tree_ = std::move(tree);
  const int n = tree_ ? tree_->size() : 0;
  collapsed_.assign(n, false);
  onPath_.assign(n, false);
  step_.assign(n, QString());
  state_.assign(n, QString());
  preorder_.assign(n, 0);
  maxVisits_ = 0;
  hasLogFlow_ = hasTerminals_ = false;
  if (tree_) {
    for (int id : tree_->chosenPath)
      if (id >= 0 && id < n) onPath_[id] = true;
    for (int i = 0; i < n; ++i) {
      const TreeNode& node = tree_->nodes[i];
      step_[i] = QString::fromStdString(node.step);
      state_[i] = QString::fromStdString(node.state);
      maxVisits_ = std::max(maxVisits_, node.stats.visits);
      hasLogFlow_ = hasLogFlow_ || std::isfinite(node.logFlow);
      hasTerminals_ = hasTerminals_ || node.terminal;
    }
    // Pre-order ranks (iterative: trees may be deep), so matches read top-down, left to right.
    std::vector<int> stack;
    if (n > 0) stack.push_back(0);
    int rank = 0;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      preorder_[v] = rank++;
      const auto& kids = tree_->nodes[v].children;
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
    }
  }
  if (colorBy_ == TreeMetric::LogFlow && !hasLogFlow_) colorBy_ = TreeMetric::Q;
  selected_ = hovered_ = -1;
  currentMatch_ = -1;
  iteration_ = iterations();
  stats_ = tree_ ? tree_->statsAt(iteration_, &present_) : std::vector<NodeStats>{};
  if (!tree_) present_.clear();
  relayout();
  refreshScale();
  recomputeMatches();
  fitToView();
  emit iterationChanged(iteration_);
  emit nodeSelected(-1);
}

void TreeView::setIteration(int iteration) {
  if (!tree_) return;
  iteration = std::clamp(iteration, 0, iterations());
  if (iteration == iteration_) return;
  iteration_ = iteration;
  stats_ = tree_->statsAt(iteration_, &present_);
  // Keep what the user looks at in place while the tree grows around it.
  const int anchor = isNodeVisible(selected_) ? selected_ : 0;
  relayout(userView_ ? anchor : -1);
  refreshScale();
  recomputeMatches();
  if (!userView_) fitToView();
  emit iterationChanged(iteration_);
}

bool TreeView::isPresent(int id) const { return id >= 0 && id < static_cast<int>(present_.size()) && present_[id]; }

bool TreeView::isNodeVisible(int id) const {
  return id >= 0 && id < static_cast<int>(layout_.visible.size()) && layout_.visible[id];
}

void TreeView::relayout(int anchorNode) {
  const bool anchored = isNodeVisible(anchorNode);
  const QPointF before = anchored ? nodeScreenPosition(anchorNode) : QPointF();
  if (tree_) {
    TreeLayoutOptions options;
    options.siblingSeparation = kSibling;
    options.subtreeSeparation = kCousin;
    options.levelSeparation = kLevel;
    options.collapsed = collapsed_;
    if (iteration_ < iterations()) options.mask = present_;
    layout_ = layoutTree(*tree_, options);
  } else {
    layout_ = TreeLayoutResult{};
  }
  rebuildIndex();
  if (anchored && isNodeVisible(anchorNode)) offset_ += before - nodeScreenPosition(anchorNode);
  if (hovered_ >= 0 && !isNodeVisible(hovered_)) hovered_ = -1;
  emit layoutChanged();
  update();
}

void TreeView::rebuildIndex() {
  layers_.clear();
  layerSpan_.clear();
  if (!tree_) return;
  for (int v = 0; v < tree_->size(); ++v) {
    if (!layout_.visible[v]) continue;
    const int d = tree_->nodes[v].depth;
    if (d >= static_cast<int>(layers_.size())) {
      layers_.resize(d + 1);
      layerSpan_.resize(d + 1, 0.0);
    }
    layers_[d].push_back(v);
    const int p = tree_->nodes[v].parent;
    if (p >= 0) layerSpan_[d] = std::max(layerSpan_[d], std::fabs(layout_.x[v] - layout_.x[p]));
  }
  for (auto& layer : layers_)
    std::sort(layer.begin(), layer.end(), [this](int a, int b) { return layout_.x[a] < layout_.x[b]; });
}

// ---- encodings ----------------------------------------------------------------------------------

double TreeView::metricValue(int id) const {
  if (!tree_ || id < 0 || id >= tree_->size()) return std::numeric_limits<double>::quiet_NaN();
  const TreeNode& node = tree_->nodes[id];
  const NodeStats& s = stats_[id];
  switch (colorBy_) {
    case TreeMetric::Q: return s.q;
    case TreeMetric::Value: return s.value;
    case TreeMetric::Reward: return node.reward;
    case TreeMetric::Visits: return s.visits;
    case TreeMetric::Prior: return node.prior;
    case TreeMetric::LogFlow: return node.logFlow;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

QColor TreeView::nodeColor(int id) const { return scale_.color(metricValue(id)); }

void TreeView::refreshScale() {
  // The range covers the final statistics as well as the current ones, so colours keep their
  // meaning while an iteration is replayed.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  auto include = [&](double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  };
  if (tree_) {
    for (int i = 0; i < tree_->size(); ++i) {
      const TreeNode& node = tree_->nodes[i];
      switch (colorBy_) {
        case TreeMetric::Q: include(node.stats.q); if (isPresent(i)) include(stats_[i].q); break;
        case TreeMetric::Value: include(node.stats.value); if (isPresent(i)) include(stats_[i].value); break;
        case TreeMetric::Reward: include(node.reward); break;
        case TreeMetric::Visits: include(node.stats.visits); break;
        case TreeMetric::Prior: include(node.prior); break;
        case TreeMetric::LogFlow: include(node.logFlow); break;
      }
    }
  }
  scale_ = TreeColorScale::fit(colorBy_, lo, hi);
}

void TreeView::setColorBy(TreeMetric metric) {
  if (metric == colorBy_) return;
  colorBy_ = metric;
  refreshScale();
  update();
  emit colorByChanged(metric);
}

void TreeView::setSizeByVisits(bool on) {
  if (on == sizeByVisits_) return;
  sizeByVisits_ = on;
  update();
}

double TreeView::radiusOf(int id) const {
  if (!sizeByVisits_ || maxVisits_ <= 0) return kPlainRadius;
  const double t = std::log1p(std::max(0, stats_[id].visits)) / std::log1p(maxVisits_);
  return kMinRadius + (kMaxRadius - kMinRadius) * std::clamp(t, 0.0, 1.0);
}

double TreeView::borderOf(int id) const {
  if (sizeByVisits_ || maxVisits_ <= 0) return 1.2;
  return 1.0 + 3.0 * std::log1p(std::max(0, stats_[id].visits)) / std::log1p(maxVisits_);
}

// ---- collapsing ---------------------------------------------------------------------------------

void TreeView::setCollapsed(int id, bool collapsed) {
  if (!tree_ || id < 0 || id >= tree_->size() || collapsed_[id] == collapsed) return;
  if (collapsed && tree_->nodes[id].children.empty()) return;
  collapsed_[id] = collapsed;
  relayout(isNodeVisible(id) ? id : -1);
  // A selection that just disappeared moves up to the collapsed node.
  if (collapsed && selected_ >= 0 && !isNodeVisible(selected_) && isNodeVisible(id)) {
    selected_ = id;
    emit nodeSelected(id);
  }
  emit collapsedChanged(id, collapsed);
}

void TreeView::toggleCollapsed(int id) { setCollapsed(id, !isCollapsed(id)); }

bool TreeView::isCollapsed(int id) const {
  return id >= 0 && id < static_cast<int>(collapsed_.size()) && collapsed_[id];
}

int TreeView::hiddenBelow(int id) const {
  return id >= 0 && id < static_cast<int>(layout_.hiddenBelow.size()) ? layout_.hiddenBelow[id] : 0;
}

void TreeView::expandAll() {
  if (std::none_of(collapsed_.begin(), collapsed_.end(), [](bool c) { return c; })) return;
  std::fill(collapsed_.begin(), collapsed_.end(), false);
  relayout(isNodeVisible(selected_) ? selected_ : 0);
  if (!userView_) fitToView();
  emit collapsedChanged(-1, false);
}

void TreeView::collapseBelowDepth(int depth) {
  if (!tree_) return;
  bool changed = false;
  for (const TreeNode& node : tree_->nodes) {
    const bool want = node.depth == depth && !node.children.empty();
    if (node.depth >= depth && collapsed_[node.id] != want) {
      collapsed_[node.id] = want;
      changed = true;
    }
  }
  if (!changed) return;
  if (selected_ >= 0 && tree_->nodes[selected_].depth > depth) selected_ = tree_->pathTo(selected_)[depth];
  relayout();
  if (!userView_) fitToView();
  emit collapsedChanged(-1, true);
  emit nodeSelected(selected_);
}

void TreeView::revealNode(int id) {
  if (!tree_ || id < 0 || id >= tree_->size()) return;
  bool changed = false;
  for (int a = tree_->nodes[id].parent; a >= 0; a = tree_->nodes[a].parent)
    if (collapsed_[a]) {
      collapsed_[a] = false;
      changed = true;
    }
  if (changed) {
    relayout(isNodeVisible(selected_) ? selected_ : 0);
    emit collapsedChanged(-1, false);
  }
}

// ---- selection and search -----------------------------------------------------------------------

void TreeView::selectNode(int id) {
  if (!tree_ || id < 0 || id >= tree_->size()) id = -1;
  if (id >= 0) revealNode(id);
  const bool changed = id != selected_;
  selected_ = id;
  if (id >= 0) ensureVisible(id);
  update();
  if (changed) emit nodeSelected(id);
}

void TreeView::setSearchText(const QString& text) {
  if (text == search_) return;
  search_ = text;
  currentMatch_ = -1;
  recomputeMatches();
  update();
}

void TreeView::recomputeMatches() {
  const int n = tree_ ? tree_->size() : 0;
  matches_.clear();
  isMatch_.assign(n, false);
  const QString needle = search_.trimmed();
  if (!needle.isEmpty()) {
    for (int i = 0; i < n; ++i)
      if (isPresent(i) && (step_[i].contains(needle, Qt::CaseInsensitive) || state_[i].contains(needle, Qt::CaseInsensitive))) {
        matches_.push_back(i);
        isMatch_[i] = true;
      }
    std::sort(matches_.begin(), matches_.end(), [this](int a, int b) { return preorder_[a] < preorder_[b]; });
  }
  if (currentMatch_ >= matchCount()) currentMatch_ = -1;
  emit searchMatchesChanged(matchCount());
  emit currentMatchChanged(currentMatch_);
}

bool TreeView::isMatch(int id) const { return id >= 0 && id < static_cast<int>(isMatch_.size()) && isMatch_[id]; }

void TreeView::nextMatch() {
  if (matches_.empty()) return;
  goToMatch(currentMatch_ < 0 ? 0 : (currentMatch_ + 1) % matchCount());
}

void TreeView::previousMatch() {
  if (matches_.empty()) return;
  goToMatch(currentMatch_ <= 0 ? matchCount() - 1 : currentMatch_ - 1);
}

void TreeView::goToMatch(int index) {
  currentMatch_ = index;
  const int id = matches_[index];
  selectNode(id);
  centerOn(id);
  emit currentMatchChanged(index);
}

// ---- view transform -----------------------------------------------------------------------------

double TreeView::effectiveSy() const { return std::max(sx_, syFloor_); }

TreeView::Frame TreeView::screenFrame() const {
  Frame f;
  f.sx = sx_;
  f.sy = effectiveSy();
  f.offset = offset_;
  f.screen = QRectF(rect());
  return f;
}

QPointF TreeView::toScreen(const Frame& f, int id) const {
  return QPointF(layout_.x[id] * f.sx + f.offset.x(), layout_.y[id] * f.sy + f.offset.y());
}

QPointF TreeView::nodeScreenPosition(int id) const {
  if (!isNodeVisible(id)) return QPointF(std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN());
  return toScreen(screenFrame(), id);
}

QRectF TreeView::worldBounds() const {
  if (layout_.empty()) return QRectF();
  const double top = layout_.minY - kMaxRadius - 10;
  const double bottom = layout_.maxY + kMaxRadius + kLevel * 0.5;
  return QRectF(QPointF(layout_.minX - kSibling * 0.55, top), QPointF(layout_.maxX + kSibling * 0.55, bottom));
}

void TreeView::fitToView() {
  userView_ = false;
  if (!hasTree() || layout_.empty() || width() <= 0 || height() <= 0) {
    update();
    return;
  }
  const QRectF bounds = worldBounds();
  // Leave the legend its band at the bottom when the view is tall enough to spare it.
  const double legendBand = height() > 360 ? legendSize().height() + 8 : 0.0;
  const QRectF avail = QRectF(rect()).adjusted(12, 12, -12, -12 - legendBand);
  if (avail.width() <= 1 || avail.height() <= 1) return;
  sx_ = std::min({avail.width() / bounds.width(), avail.height() / bounds.height(), kMaxFitZoom});
  // A wide, shallow tree is stretched vertically to fill the height instead of lying in a strip.
  syFloor_ = std::max(sx_, std::min(avail.height() / bounds.height(), kMaxFitZoom));
  minZoom_ = std::min(sx_ * 0.5, 0.05);
  const double sy = effectiveSy();
  offset_ = QPointF(avail.center().x() - bounds.center().x() * sx_, avail.center().y() - bounds.center().y() * sy);
  update();
}

void TreeView::markUserView() { userView_ = true; }

void TreeView::zoomBy(double factor) { zoomBy(factor, QRectF(rect()).center()); }

void TreeView::zoomBy(double factor, const QPointF& anchor) {
  if (!hasTree() || !std::isfinite(factor) || factor <= 0) return;
  const double next = std::clamp(sx_ * factor, minZoom_, kMaxZoom);
  if (next == sx_) return;
  const double oldSy = effectiveSy();
  const QPointF world((anchor.x() - offset_.x()) / sx_, (anchor.y() - offset_.y()) / oldSy);
  sx_ = next;
  offset_ = QPointF(anchor.x() - world.x() * sx_, anchor.y() - world.y() * effectiveSy());
  markUserView();
  update();
}

void TreeView::panBy(const QPointF& delta) {
  if (!hasTree()) return;
  offset_ += delta;
  markUserView();
  update();
}

void TreeView::centerOn(int id) {
  if (!isNodeVisible(id)) return;
  offset_ += QRectF(rect()).center() - nodeScreenPosition(id);
  markUserView();
  update();
}

void TreeView::ensureVisible(int id) {
  if (!isNodeVisible(id)) return;
  const QRectF inner = QRectF(rect()).adjusted(40, 40, -40, -40);
  if (!inner.contains(nodeScreenPosition(id))) centerOn(id);
}

int TreeView::nodeAt(const QPointF& pos) const {
  if (!hasTree() || layers_.empty()) return -1;
  const double sy = effectiveSy();
  const long layer = std::lround((pos.y() - offset_.y()) / sy / kLevel);
  if (layer < 0 || layer >= static_cast<long>(layers_.size())) return -1;
  const auto& ids = layers_[layer];
  const double wx = (pos.x() - offset_.x()) / sx_;
  auto it = std::lower_bound(ids.begin(), ids.end(), wx, [this](int id, double x) { return layout_.x[id] < x; });
  int best = -1;
  double bestDistance = std::numeric_limits<double>::infinity();
  for (auto c : {it - 1, it}) {
    if (c < ids.begin() || c >= ids.end()) continue;
    const QPointF d = nodeScreenPosition(*c) - pos;
    const double distance = std::hypot(d.x(), d.y());
    const double reach = std::max(radiusOf(*c) * sx_, 4.0) + 3.0;
    if (distance <= reach && distance < bestDistance) best = *c, bestDistance = distance;
  }
  return best;
}

// ---- events -------------------------------------------------------------------------------------

void TreeView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (!userView_) fitToView();
}

void TreeView::wheelEvent(QWheelEvent* event) {
  const QPoint delta = event->angleDelta();
  if (event->modifiers() & Qt::ShiftModifier) {
    panBy(QPointF(delta.y() != 0 ? delta.y() : delta.x(), 0) * 0.6);
  } else if (delta.y() != 0) {
    zoomBy(std::pow(1.0015, delta.y()), event->position());
  } else if (delta.x() != 0) {
    panBy(QPointF(delta.x() * 0.6, 0));
  }
  event->accept();
}

void TreeView::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton || event->button() == Qt::MiddleButton) {
    pressed_ = true;
    dragging_ = event->button() == Qt::MiddleButton;
    pressPos_ = lastPos_ = event->position();
    if (dragging_) setCursor(Qt::ClosedHandCursor);
  }
  QWidget::mousePressEvent(event);
}

void TreeView::mouseMoveEvent(QMouseEvent* event) {
  const QPointF pos = event->position();
  if (pressed_) {
    if (!dragging_ && (pos - pressPos_).manhattanLength() > 4) {
      dragging_ = true;
      setCursor(Qt::ClosedHandCursor);
    }
    if (dragging_) panBy(pos - lastPos_);
    lastPos_ = pos;
    return;
  }
  const int id = nodeAt(pos);
  if (id != hovered_) {
    hovered_ = id;
    setCursor(id >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
    update();
  }
}

void TreeView::mouseReleaseEvent(QMouseEvent* event) {
  if (pressed_ && !dragging_ && event->button() == Qt::LeftButton) {
    const int id = nodeAt(event->position());
    if (id >= 0) selectNode(id);
  }
  pressed_ = dragging_ = false;
  setCursor(hovered_ >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
  QWidget::mouseReleaseEvent(event);
}

void TreeView::mouseDoubleClickEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  const int id = nodeAt(event->position());
  if (id < 0) {
    fitToView();
    return;
  }
  selectNode(id);
  if (id < static_cast<int>(layout_.hasChildren.size()) && layout_.hasChildren[id]) toggleCollapsed(id);
}

void TreeView::keyPressEvent(QKeyEvent* event) {
  constexpr double kStep = 60;
  switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25); break;
    case Qt::Key_Minus:
    case Qt::Key_Underscore: zoomBy(0.8); break;
    case Qt::Key_Left: panBy(QPointF(kStep, 0)); break;
    case Qt::Key_Right: panBy(QPointF(-kStep, 0)); break;
    case Qt::Key_Up: panBy(QPointF(0, kStep)); break;
    case Qt::Key_Down: panBy(QPointF(0, -kStep)); break;
    case Qt::Key_F:
    case Qt::Key_0:
    case Qt::Key_Home: fitToView(); break;
    case Qt::Key_Space:
    case Qt::Key_Return:
    case Qt::Key_Enter:
      if (selected_ >= 0) toggleCollapsed(selected_);
      break;
    case Qt::Key_Escape: selectNode(-1); break;
    default: QWidget::keyPressEvent(event); return;
  }
  event->accept();
}

void TreeView::leaveEvent(QEvent* event) {
  if (hovered_ >= 0) {
    hovered_ = -1;
    update();
  }
  QWidget::leaveEvent(event);
}

bool TreeView::event(QEvent* event) {
  if (event->type() != QEvent::ToolTip) return QWidget::event(event);
  auto* help = static_cast<QHelpEvent*>(event);
  const int id = nodeAt(help->pos());
  if (id < 0) {
    QToolTip::hideText();
    event->ignore();
    return true;
  }
  const TreeNode& node = tree_->nodes[id];
  const NodeStats& s = stats_[id];
  QString step = id == 0 ? tr("root") : step_[id];
  if (step.size() > 240) step = step.left(240) + QStringLiteral("…");
  QString text = QStringLiteral("<b>%1</b><br>").arg(step.toHtmlEscaped());
  text += tr("N %1 · V %2 · Q %3 · r %4 · P %5")
              .arg(s.visits)
              .arg(formatValue(s.value), formatValue(s.q), formatValue(node.reward), formatValue(node.prior));
  if (std::isfinite(node.logFlow)) text += tr(" · log F %1").arg(formatValue(node.logFlow));
  text += QStringLiteral("<br><span style='color:#6b707a'>") + tr("node %1 · depth %2").arg(id).arg(node.depth);
  if (iterations() > 0) text += tr(" · created at iteration %1").arg(node.createdAt);
  if (node.terminal) text += node.correct ? tr(" · correct") : tr(" · wrong");
  if (hiddenBelow(id) > 0) text += tr(" · %1 hidden").arg(hiddenBelow(id));
  text += QStringLiteral("</span>");
  QToolTip::showText(help->globalPos(), text, this);
  return true;
}

}  // namespace tb
