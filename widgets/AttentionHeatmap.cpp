// AttentionHeatmap: state, geometry and interaction. Painting and export are in
// AttentionHeatmapPaint.cpp. See AttentionHeatmap.h.
#include "widgets/AttentionHeatmap.h"

#include <QFontMetricsF>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace tb {

namespace {

constexpr int kMinWindow = 8;
constexpr double kMaxLabelText = 72;

QFont labelFont(const QFont& base) {
  QFont f = base;
  f.setPixelSize(10);
  return f;
}

}  // namespace

AttentionHeatmap::AttentionHeatmap(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("attentionHeatmap"));
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setAttribute(Qt::WA_OpaquePaintEvent);
}

AttentionHeatmap::~AttentionHeatmap() = default;

void AttentionHeatmap::setMap(std::vector<float> map, const QStringList& labels, const QString& title) {
  const auto T = static_cast<size_t>(labels.size());
  if (T == 0 || map.size() != T * T) {
    clear();
    return;
  }
  map_ = std::move(map);
  labels_ = labels;
  tokenCount_ = static_cast<int>(T);
  title_ = title;
  selected_ = -1;
  hover_ = QPoint(-1, -1);
  preplan_.clear();
  anchors_.clear();
  promptLength_ = 0;
  setRange(0, tokenCount_);
}

void AttentionHeatmap::replaceMap(std::vector<float> map, const QString& title) {
  if (map.size() != static_cast<size_t>(tokenCount_) * tokenCount_) return;
  map_ = std::move(map);
  title_ = title;
  refreshScale();
  invalidateImage();
  emit viewChanged();
  update();
}

void AttentionHeatmap::clear() {
  map_.clear();
  labels_.clear();
  tokenCount_ = 0;
  title_.clear();
  rangeBegin_ = rangeEnd_ = row0_ = col0_ = window_ = 0;
  selected_ = -1;
  hover_ = QPoint(-1, -1);
  preplan_.clear();
  anchors_.clear();
  promptLength_ = 0;
  scale_ = AttentionColorScale{};
  invalidateImage();
  emit viewChanged();
  update();
}

float AttentionHeatmap::value(int t, int s) const {
  if (t < 0 || s < 0 || t >= tokenCount_ || s >= tokenCount_) return 0.0f;
  return map_[static_cast<size_t>(t) * tokenCount_ + s];
}

QString AttentionHeatmap::tokenLabel(int t) const {
  return t >= 0 && t < labels_.size() ? labels_[t] : QString();
}

void AttentionHeatmap::setRange(int begin, int end) {
  begin = std::clamp(begin, 0, tokenCount_);
  end = std::clamp(end, begin, tokenCount_);
  if (end == begin && tokenCount_ > 0) {  // an empty range shows everything rather than nothing
    begin = 0;
    end = tokenCount_;
  }
  rangeBegin_ = begin;
  rangeEnd_ = end;
  row0_ = col0_ = begin;
  window_ = end - begin;
  measureLabels();
  refreshScale();
  invalidateImage();
  emit viewChanged();
  update();
}

void AttentionHeatmap::setWindow(int row0, int col0, int window) {
  const int oldRow = row0_, oldCol = col0_, oldWindow = window_;
  row0_ = row0;
  col0_ = col0;
  window_ = window;
  clampWindow();
  if (row0_ == oldRow && col0_ == oldCol && window_ == oldWindow) return;
  invalidateImage();
  emit viewChanged();
  update();
}

void AttentionHeatmap::clampWindow() {
  const int n = rangeEnd_ - rangeBegin_;
  window_ = std::clamp(window_, std::min(n, kMinWindow), n);
  row0_ = std::clamp(row0_, rangeBegin_, rangeEnd_ - window_);
  col0_ = std::clamp(col0_, rangeBegin_, rangeEnd_ - window_);
}

void AttentionHeatmap::resetZoom() { setWindow(rangeBegin_, rangeBegin_, rangeEnd_ - rangeBegin_); }

void AttentionHeatmap::zoomBy(double factor) { zoomBy(factor, mapRect().center()); }

void AttentionHeatmap::zoomBy(double factor, const QPointF& anchor) {
  if (!hasMap() || !(factor > 0)) return;
  const Frame f = screenFrame();
  if (f.map.width() < 1) return;
  const int n = rangeEnd_ - rangeBegin_;
  const int window = std::clamp(static_cast<int>(std::lround(window_ / factor)), std::min(n, kMinWindow), n);
  if (window == window_) return;
  // The token under the anchor stays under it.
  const double ax = std::clamp(anchor.x() - f.map.left(), 0.0, f.map.width());
  const double ay = std::clamp(anchor.y() - f.map.top(), 0.0, f.map.height());
  const double tokenPx = f.map.width() / window;
  const double key = col0_ + ax / f.tokenPx, query = row0_ + ay / f.tokenPx;
  setWindow(static_cast<int>(std::lround(query - ay / tokenPx)), static_cast<int>(std::lround(key - ax / tokenPx)), window);
}

void AttentionHeatmap::setMarks(std::vector<int> preplan, std::vector<int> anchors) {
  preplan_ = std::move(preplan);
  anchors_ = std::move(anchors);
  update();
}

void AttentionHeatmap::setPromptLength(int promptLength) {
  promptLength_ = std::clamp(promptLength, 0, tokenCount_);
  update();
}

void AttentionHeatmap::setSelectedToken(int t) {
  if (t < 0 || t >= tokenCount_) t = -1;
  if (t == selected_) return;
  selected_ = t;
  // A zoomed view follows the selection when it leaves the window.
  if (t >= rangeBegin_ && t < rangeEnd_ && isZoomed()) {
    int row0 = row0_, col0 = col0_;
    if (t < row0_ || t >= row0_ + window_) row0 = t - window_ / 2;
    if (t < col0_ || t >= col0_ + window_) col0 = t - window_ / 2;
    setWindow(row0, col0, window_);
  }
  update();
}

void AttentionHeatmap::selectAndNotify(int t) {
  if (t < 0 || t >= tokenCount_ || t == selected_) return;
  setSelectedToken(t);
  emit tokenSelected(t);
}

// ---- cells ----------------------------------------------------------------------------------------

void AttentionHeatmap::refreshScale() {
  // The first token's row is always a single 1 (softmax over one key): it would pale everything
  // else, so the scale starts at the second row (the first cell is then simply the darkest).
  float maxValue = 0.0f;
  const int firstRow = rangeBegin_ == 0 && rangeEnd_ > 1 ? 1 : rangeBegin_;
  for (int t = firstRow; t < rangeEnd_; ++t) {
    const float* row = &map_[static_cast<size_t>(t) * tokenCount_];
    for (int s = rangeBegin_; s <= t; ++s) maxValue = std::max(maxValue, row[s]);
  }
  scale_.maxValue = maxValue > 0.0f ? maxValue : 1.0f;
}

void AttentionHeatmap::measureLabels() {
  const QFontMetricsF fm(labelFont(font()));
  indexWidth_ = fm.horizontalAdvance(QString::number(std::max(0, rangeEnd_ - 1)));
  double text = 0;
  for (int t = rangeBegin_; t < rangeEnd_ && text < kMaxLabelText; ++t) text = std::max(text, fm.horizontalAdvance(labels_[t]));
  labelWidth_ = indexWidth_ + 6 + std::clamp(text, 12.0, kMaxLabelText);
}

int AttentionHeatmap::targetSide(double mapSidePixels) const {
  // At most one cell per device pixel: a larger image would be thinned when drawn, losing maxima.
  const double pixels = mapSidePixels * devicePixelRatioF();
  return std::clamp(static_cast<int>(std::floor(pixels)), 64, kMaxCells);
}

void AttentionHeatmap::invalidateImage() { imageValid_ = false; }

void AttentionHeatmap::ensureImage() const {
  const int side = targetSide(screenFrame().map.width());
  if (imageValid_ && side == imageSide_) return;
  imageSide_ = side;
  imageValid_ = true;
  if (!hasMap()) {
    blocks_ = AttentionBlocks{};
    image_ = QImage();
    return;
  }
  blocks_ = attentionBlocks(map_.data(), tokenCount_, row0_, col0_, window_, side);
  image_ = scale_.image(blocks_);
}

const AttentionBlocks& AttentionHeatmap::blocks() const {
  ensureImage();
  return blocks_;
}

const QImage& AttentionHeatmap::image() const {
  ensureImage();
  return image_;
}

QString AttentionHeatmap::resolutionNote() const {
  const AttentionBlocks& b = blocks();
  if (!b.downsampled()) return {};
  return tr("downsampled: %1 tokens shown as %2 x %2 cells, each the maximum of its block").arg(b.window).arg(b.side);
}

QString AttentionHeatmap::cellText(int t, int s) const {
  if (t < 0 || s < 0 || t >= tokenCount_ || s >= tokenCount_) return {};
  auto token = [this](int i) { return QStringLiteral("'%1' (%2)").arg(tokenLabel(i)).arg(i); };
  if (s > t) return tr("query %1 → key %2: masked, a query attends only to itself and earlier tokens").arg(token(t), token(s));
  const AttentionBlocks& b = blocks();
  const bool inWindow = t >= b.row0 && t < b.row0 + b.window && s >= b.col0 && s < b.col0 + b.window;
  if (!b.downsampled() || !inWindow) return tr("query %1 → key %2: %3").arg(token(t), token(s), formatAttentionWeight(value(t, s)));
  // A block: read out its strongest weight, the one its colour shows.
  const int i = b.cellOf(t - b.row0), j = b.cellOf(s - b.col0);
  const int rowFirst = b.row0 + b.start[i], rowLast = b.row0 + b.start[i + 1] - 1;
  const int colFirst = b.col0 + b.start[j], colLast = b.col0 + b.start[j + 1] - 1;
  int bestT = t, bestS = s;
  float best = -1.0f;
  for (int q = rowFirst; q <= rowLast; ++q)
    for (int k = colFirst; k <= std::min(colLast, q); ++k)
      if (value(q, k) > best) {
        best = value(q, k);
        bestT = q;
        bestS = k;
      }
  return tr("query %1 → key %2: %3, the strongest of this cell (queries %4–%5, keys %6–%7)")
      .arg(token(bestT), token(bestS), formatAttentionWeight(best))
      .arg(rowFirst)
      .arg(rowLast)
      .arg(colFirst)
      .arg(colLast);
}

// ---- geometry -------------------------------------------------------------------------------------

double AttentionHeatmap::leftMargin() const { return kOuter + kAxisTitle + labelWidth_ + kGap; }
double AttentionHeatmap::bottomMargin() const { return kGap + labelWidth_ + kAxisTitle + kOuter; }

AttentionHeatmap::Frame AttentionHeatmap::frameFor(const QRectF& bounds, double mapSide, double offsetX, bool exporting) const {
  Frame f;
  f.bounds = bounds;
  f.exporting = exporting;
  f.row0 = row0_;
  f.col0 = col0_;
  f.window = window_;
  f.map = QRectF(bounds.left() + leftMargin() + offsetX, bounds.top() + kTop, mapSide, mapSide);
  f.tokenPx = window_ > 0 ? mapSide / window_ : 1.0;
  return f;
}

AttentionHeatmap::Frame AttentionHeatmap::screenFrame() const {
  const double availableWidth = width() - leftMargin() - kRight;
  const double availableHeight = height() - kTop - bottomMargin();
  const double side = std::max(0.0, std::floor(std::min(availableWidth, availableHeight)));
  return frameFor(QRectF(rect()), side, std::max(0.0, std::floor((availableWidth - side) / 2)), false);
}

QRectF AttentionHeatmap::mapRect() const { return screenFrame().map; }

QPoint AttentionHeatmap::tokensAt(const QPointF& pos) const {
  const Frame f = screenFrame();
  if (!hasMap() || f.window == 0 || !f.map.contains(pos)) return QPoint(-1, -1);
  const int u = std::clamp(static_cast<int>(std::floor((pos.y() - f.map.top()) / f.tokenPx)), 0, f.window - 1);
  const int v = std::clamp(static_cast<int>(std::floor((pos.x() - f.map.left()) / f.tokenPx)), 0, f.window - 1);
  return QPoint(f.col0 + v, f.row0 + u);
}

int AttentionHeatmap::labelTokenAt(const QPointF& pos) const {
  const Frame f = screenFrame();
  if (!hasMap() || f.window == 0) return -1;
  const double reach = labelWidth_ + kGap;
  if (pos.x() >= f.map.left() - reach && pos.x() < f.map.left() && pos.y() >= f.map.top() && pos.y() < f.map.bottom())
    return f.row0 + std::clamp(static_cast<int>((pos.y() - f.map.top()) / f.tokenPx), 0, f.window - 1);
  if (pos.y() > f.map.bottom() && pos.y() <= f.map.bottom() + reach && pos.x() >= f.map.left() && pos.x() < f.map.right())
    return f.col0 + std::clamp(static_cast<int>((pos.x() - f.map.left()) / f.tokenPx), 0, f.window - 1);
  return -1;
}

QPointF AttentionHeatmap::cellCenter(int t, int s) const {
  const Frame f = screenFrame();
  return QPointF(f.map.left() + (s - f.col0 + 0.5) * f.tokenPx, f.map.top() + (t - f.row0 + 0.5) * f.tokenPx);
}

// ---- interaction ----------------------------------------------------------------------------------

void AttentionHeatmap::setHover(const QPoint& cell) {
  if (cell == hover_) return;
  hover_ = cell;
  emit hovered(cell.x() >= 0 ? cellText(cell.y(), cell.x()) : QString());
  update();
}

void AttentionHeatmap::resizeEvent(QResizeEvent*) {
  const int before = blocks_.side;
  ensureImage();
  if (blocks_.side != before) emit viewChanged();
}

void AttentionHeatmap::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps != 0 && hasMap()) {
    zoomBy(std::pow(1.25, steps), event->position());
    setHover(tokensAt(event->position()));
  }
  event->accept();
}

void AttentionHeatmap::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  setFocus(Qt::MouseFocusReason);
  pressed_ = true;
  dragging_ = false;
  pressPos_ = event->position();
  pressRow0_ = row0_;
  pressCol0_ = col0_;
}

void AttentionHeatmap::mouseMoveEvent(QMouseEvent* event) {
  if (pressed_ && isZoomed()) {
    const QPointF delta = event->position() - pressPos_;
    if (!dragging_ && delta.manhattanLength() > 4) {
      dragging_ = true;
      setCursor(Qt::ClosedHandCursor);
    }
    if (dragging_) {
      const double tokenPx = screenFrame().tokenPx;
      setWindow(pressRow0_ - static_cast<int>(std::lround(delta.y() / tokenPx)),
                pressCol0_ - static_cast<int>(std::lround(delta.x() / tokenPx)), window_);
      return;
    }
  }
  setHover(tokensAt(event->position()));
}

void AttentionHeatmap::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton || !pressed_) return;
  pressed_ = false;
  if (dragging_) {
    dragging_ = false;
    unsetCursor();
    return;
  }
  const int label = labelTokenAt(event->position());
  if (label >= 0) {
    selectAndNotify(label);
    return;
  }
  const QPoint cell = tokensAt(event->position());
  if (cell.y() >= 0) selectAndNotify(cell.y());
}

void AttentionHeatmap::mouseDoubleClickEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton && mapRect().contains(event->position())) resetZoom();
}

void AttentionHeatmap::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_0:
    case Qt::Key_F:
    case Qt::Key_Home: resetZoom(); break;
    case Qt::Key_Plus:
    case Qt::Key_Equal: zoomBy(1.25); break;
    case Qt::Key_Minus: zoomBy(0.8); break;
    case Qt::Key_Left:
    case Qt::Key_Up:
      if (hasMap()) selectAndNotify(selected_ < 0 ? rangeEnd_ - 1 : std::max(rangeBegin_, selected_ - 1));
      break;
    case Qt::Key_Right:
    case Qt::Key_Down:
      if (hasMap()) selectAndNotify(selected_ < 0 ? rangeBegin_ : std::min(rangeEnd_ - 1, selected_ + 1));
      break;
    default: QWidget::keyPressEvent(event); return;
  }
  event->accept();
}

void AttentionHeatmap::leaveEvent(QEvent*) { setHover(QPoint(-1, -1)); }

bool AttentionHeatmap::event(QEvent* event) {
  if (event->type() != QEvent::ToolTip) return QWidget::event(event);
  auto* help = static_cast<QHelpEvent*>(event);
  QString text;
  const QPoint cell = tokensAt(help->pos());
  if (cell.x() >= 0) {
    text = cellText(cell.y(), cell.x());
  } else if (const int t = labelTokenAt(help->pos()); t >= 0) {
    text = tr("token '%1' (%2): click to highlight its row and column").arg(tokenLabel(t)).arg(t);
  }
  if (text.isEmpty()) {
    QToolTip::hideText();
    event->ignore();
  } else {
    QToolTip::showText(help->globalPos(), text, this);
  }
  return true;
}

}  // namespace tb
