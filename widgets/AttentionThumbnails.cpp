// AttentionThumbnails: one-pass construction of the layers x heads maps, grid layout and picking.
// See AttentionThumbnails.h.
#include "widgets/AttentionThumbnails.h"

#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

#include "widgets/AttentionImage.h"

namespace tb {

namespace palette = attention_palette;

namespace {

constexpr int kPad = 8, kTitle = 22, kHeader = 16, kLabel = 40, kGap = 4, kMeanGap = 12, kFooter = 34;
constexpr int kMaxCell = 60, kMinCell = 30, kGridWidth = 330;

// One row of weights into row `i` of a thumbnail's block maxima; returns the row's maximum.
float blockMaxRow(const float* row, int keys, const std::vector<int>& start, int side, float* cells) {
  float rowMax = 0.0f;
  for (int j = 0; j < side && start[j] < keys; ++j) {
    const int end = std::min(start[j + 1], keys);
    float m = 0.0f;
    for (int s = start[j]; s < end; ++s) m = std::max(m, row[s]);
    cells[j] = std::max(cells[j], m);
    rowMax = std::max(rowMax, m);
  }
  return rowMax;
}

}  // namespace

AttentionThumbnails::AttentionThumbnails(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("attentionThumbnails"));
  setMouseTracking(true);
}

AttentionThumbnails::~AttentionThumbnails() = default;

void AttentionThumbnails::clear() {
  layers_ = heads_ = tokens_ = 0;
  images_.clear();
  maxima_.clear();
  layerNumbers_.clear();
  headDistance_.clear();
  localHeads_.clear();
  globalHeads_.clear();
  hoverRow_ = hoverColumn_ = -1;
  updateGeometry();
  update();
}

void AttentionThumbnails::setSample(const AttentionSample& sample, int begin, int end) {
  clear();
  const int T = sample.size();
  begin = std::clamp(begin, 0, T);
  end = std::clamp(end, begin, T);
  const int n = end - begin;
  const int L = static_cast<int>(sample.layers.size()), H = sample.headCount;
  if (n == 0 || L == 0 || H == 0) return;
  layers_ = L;
  heads_ = H;
  tokens_ = n;
  layerNumbers_ = sample.layers;
  headDistance_ = sample.headDistance;
  localHeads_ = sample.localHeads;
  globalHeads_ = sample.globalHeads;
  cell_ = std::clamp(kGridWidth / columnCount() - kGap, kMinCell, kMaxCell);

  // Cells as attentionBlocks has them, one thumbnail pixel per cell.
  const int side = std::min(n, cell_);
  AttentionBlocks shape;
  shape.row0 = shape.col0 = begin;
  shape.window = n;
  shape.side = side;
  shape.start.resize(side + 1);
  for (int i = 0; i <= side; ++i) shape.start[i] = static_cast<int>((static_cast<long long>(i) * n + side - 1) / side);
  const int rows = rowCount(), columns = columnCount();
  std::vector<AttentionBlocks> blocks(static_cast<size_t>(rows) * columns, shape);
  for (auto& b : blocks) b.cells.assign(static_cast<size_t>(side) * side, 0.0f);
  auto cellsOf = [&](int row, int column, int i) { return &blocks[static_cast<size_t>(row) * columns + column].cells[static_cast<size_t>(i) * side]; };
  // Each thumbnail's scale: its largest weight, leaving out the first token's row (a single 1, as
  // the heatmap does).
  std::vector<float> peak(blocks.size(), 0.0f);
  const int firstRow = begin == 0 && n > 1 ? 1 : begin;
  auto feed = [&](const float* row, int keys, int r, int c, int i, int t) {
    const float m = blockMaxRow(row, keys, shape.start, side, cellsOf(r, c, i));
    if (t >= firstRow) peak[static_cast<size_t>(r) * columns + c] = std::max(peak[static_cast<size_t>(r) * columns + c], m);
  };

  // One pass over the query rows: each head's row feeds its own thumbnail and the sums behind the
  // mean column (per layer), the mean row (per head) and the corner.
  std::vector<std::vector<float>> layerSum(hasMeanColumn() ? L : 0, std::vector<float>(n)), headSum(hasMeanRow() ? H : 0, std::vector<float>(n));
  std::vector<float> mean(n);
  const size_t TT = static_cast<size_t>(T) * T;
  for (int u = 0; u < n; ++u) {
    const int t = begin + u, keys = u + 1, i = shape.cellOf(u);
    for (auto& sum : layerSum) std::fill_n(sum.begin(), keys, 0.0f);
    for (auto& sum : headSum) std::fill_n(sum.begin(), keys, 0.0f);
    for (int li = 0; li < L; ++li)
      for (int h = 0; h < H; ++h) {
        const float* row = sample.weights.data() + (static_cast<size_t>(li) * H + h) * TT + static_cast<size_t>(t) * T + begin;
        feed(row, keys, li, h, i, t);
        if (hasMeanColumn())
          for (int s = 0; s < keys; ++s) layerSum[li][s] += row[s];
        if (hasMeanRow())
          for (int s = 0; s < keys; ++s) headSum[h][s] += row[s];
      }
    if (hasMeanColumn())
      for (int li = 0; li < L; ++li) {
        for (int s = 0; s < keys; ++s) mean[s] = layerSum[li][s] / H;
        feed(mean.data(), keys, li, H, i, t);
      }
    if (hasMeanRow())
      for (int h = 0; h < H; ++h) {
        for (int s = 0; s < keys; ++s) mean[s] = headSum[h][s] / L;
        feed(mean.data(), keys, L, h, i, t);
      }
    if (hasMeanRow() && hasMeanColumn()) {
      std::fill_n(mean.begin(), keys, 0.0f);
      for (int li = 0; li < L; ++li)
        for (int s = 0; s < keys; ++s) mean[s] += layerSum[li][s];
      for (int s = 0; s < keys; ++s) mean[s] /= static_cast<float>(L * H);
      feed(mean.data(), keys, L, H, i, t);
    }
  }
  images_.reserve(blocks.size());
  for (size_t k = 0; k < blocks.size(); ++k) {
    AttentionColorScale scale;
    scale.maxValue = std::max(peak[k], 1e-12f);
    maxima_.push_back(peak[k]);
    images_.push_back(scale.image(blocks[k]));
  }
  updateGeometry();
  update();
}

void AttentionThumbnails::setCurrent(const AttentionSource& source) {
  current_ = source;
  update();
}

bool AttentionThumbnails::isLocal(int head) const { return std::find(localHeads_.begin(), localHeads_.end(), head) != localHeads_.end(); }
bool AttentionThumbnails::isGlobal(int head) const { return std::find(globalHeads_.begin(), globalHeads_.end(), head) != globalHeads_.end(); }

int AttentionThumbnails::rowOf(int layerIndex) const {
  if (layerIndex < 0 || layerIndex >= layers_) return hasMeanRow() ? layers_ : 0;
  return layerIndex;
}

int AttentionThumbnails::columnOf(int head) const {
  if (head < 0 || head >= heads_) return hasMeanColumn() ? heads_ : 0;
  return head;
}

QImage AttentionThumbnails::thumbnail(int layerIndex, int head) const {
  if (images_.empty()) return {};
  return images_[static_cast<size_t>(rowOf(layerIndex)) * columnCount() + columnOf(head)];
}

QRect AttentionThumbnails::gridRect(int row, int column) const {
  const int x = kPad + kLabel + column * (cell_ + kGap) + (hasMeanColumn() && column == heads_ ? kMeanGap - kGap : 0);
  const int y = kPad + kTitle + kHeader + row * (cell_ + kGap) + (hasMeanRow() && row == layers_ ? kMeanGap - kGap : 0);
  return QRect(x, y, cell_, cell_);
}

QRect AttentionThumbnails::cellRect(int layerIndex, int head) const {
  if (images_.empty()) return {};
  return gridRect(rowOf(layerIndex), columnOf(head));
}

QSize AttentionThumbnails::sizeHint() const {
  if (images_.empty()) return QSize(kGridWidth, 140);
  const QRect last = gridRect(rowCount() - 1, columnCount() - 1);
  return QSize(std::max(last.right() + 1 + kPad, 220), last.bottom() + 1 + kFooter + kPad);
}

bool AttentionThumbnails::cellAt(const QPoint& pos, int* layerIndex, int* head) const {
  for (int r = 0; r < rowCount(); ++r)
    for (int c = 0; c < columnCount(); ++c)
      if (gridRect(r, c).adjusted(-kGap / 2, -kGap / 2, kGap / 2, kGap / 2).contains(pos)) {
        *layerIndex = r < layers_ ? r : -1;
        *head = c < heads_ ? c : -1;
        return true;
      }
  return false;
}

void AttentionThumbnails::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette::canvas());
  QFont title = font();
  title.setPixelSize(11);
  title.setWeight(QFont::DemiBold);
  QFont small = font();
  small.setPixelSize(10);
  QFont smallBold = small;
  smallBold.setWeight(QFont::Bold);
  p.setFont(title);
  p.setPen(palette::text());
  const QString heading = tr("Layers × heads");
  p.drawText(QRect(kPad, kPad, width() - 2 * kPad, kTitle - 4), Qt::AlignLeft | Qt::AlignVCenter, heading);
  if (images_.empty()) {
    p.setFont(small);
    p.setPen(palette::muted());
    p.drawText(QRect(kPad, kPad + kTitle, width() - 2 * kPad, 40), Qt::AlignLeft | Qt::AlignTop, tr("No attention maps"));
    return;
  }
  p.setFont(small);
  p.setPen(palette::muted());
  p.drawText(QRect(kPad + QFontMetrics(title).horizontalAdvance(heading) + 8, kPad, width(), kTitle - 4), Qt::AlignLeft | Qt::AlignVCenter,
             tr("click one to show it"));

  // Column headers: heads, local ones teal, global ones purple.
  for (int c = 0; c < columnCount(); ++c) {
    const QRect cell = gridRect(0, c);
    const QRect header(cell.left() - kGap, cell.top() - kHeader, cell.width() + 2 * kGap, kHeader - 2);
    const bool mean = c == heads_;
    const bool local = !mean && isLocal(c), global = !mean && isGlobal(c);
    p.setFont(local || global ? smallBold : small);
    p.setPen(local ? palette::preplan() : global ? palette::anchor() : palette::muted());
    p.drawText(header, Qt::AlignHCenter | Qt::AlignBottom, mean ? tr("mean") : tr("h%1").arg(c));
  }
  p.setFont(small);
  for (int r = 0; r < rowCount(); ++r) {
    const QRect cell = gridRect(r, 0);
    p.setPen(palette::muted());
    p.drawText(QRect(kPad, cell.top(), kLabel - 6, cell.height()), Qt::AlignRight | Qt::AlignVCenter,
               r == layers_ ? tr("mean") : tr("L%1").arg(layerNumbers_[r]));
  }

  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  for (int r = 0; r < rowCount(); ++r)
    for (int c = 0; c < columnCount(); ++c) {
      const QRect cell = gridRect(r, c);
      p.drawImage(cell, images_[static_cast<size_t>(r) * columnCount() + c]);
      p.setPen(QPen(palette::cardBorder(), 1));
      p.setBrush(Qt::NoBrush);
      p.drawRect(cell.adjusted(0, 0, -1, -1));
    }

  // The map on the heatmap: one frame, or dashed frames around a head set's thumbnails.
  p.setRenderHint(QPainter::Antialiasing, true);
  p.setBrush(Qt::NoBrush);
  const int row = rowOf(current_.layerIndex);
  if (current_.heads == AttentionHeads::Single || current_.heads == AttentionHeads::Mean) {
    p.setPen(QPen(palette::select(), 2.5));
    const int column = current_.heads == AttentionHeads::Single ? columnOf(current_.head) : columnOf(-1);
    p.drawRoundedRect(QRectF(gridRect(row, column)).adjusted(-2.5, -2.5, 2.5, 2.5), 3, 3);
  } else {
    const auto& set = current_.heads == AttentionHeads::Local ? localHeads_ : globalHeads_;
    p.setPen(QPen(palette::select(), 2, Qt::DashLine));
    if (set.empty()) p.drawRoundedRect(QRectF(gridRect(row, columnOf(-1))).adjusted(-2.5, -2.5, 2.5, 2.5), 3, 3);
    for (int h : set)
      if (h >= 0 && h < heads_) p.drawRoundedRect(QRectF(gridRect(row, h)).adjusted(-2.5, -2.5, 2.5, 2.5), 3, 3);
  }
  if (hoverRow_ >= 0) {
    p.setPen(QPen(QColor(0x1f, 0x22, 0x28, 150), 1.2));
    p.drawRect(QRectF(gridRect(hoverRow_, hoverColumn_)).adjusted(-1, -1, 1, 1));
  }

  // Footer: what the colours of the head labels mean.
  const QRect last = gridRect(rowCount() - 1, 0);
  double x = kPad;
  const double y = last.bottom() + 16;
  p.setFont(small);
  auto key = [&](const QColor& color, const QString& text) {
    p.setPen(color);
    p.setFont(smallBold);
    p.drawText(QPointF(x, y), text);
    x += QFontMetricsF(smallBold).horizontalAdvance(text) + 10;
  };
  if (!localHeads_.empty()) key(palette::preplan(), tr("local heads"));
  if (!globalHeads_.empty()) key(palette::anchor(), tr("global heads"));
  p.setFont(small);
  p.setPen(palette::muted());
  p.drawText(QPointF(kPad, y + 14), tr("each map scaled to its own maximum"));
}

QString AttentionThumbnails::cellToolTip(int layerIndex, int head) const {
  QString where = layerIndex >= 0 ? tr("layer %1").arg(layerNumbers_[layerIndex])
                                  : (hasMeanRow() ? tr("mean over the kept layers") : tr("layer %1").arg(layerNumbers_.front()));
  QString text = where + QStringLiteral(" · ") + (head >= 0 ? tr("head %1").arg(head) : tr("mean of all heads"));
  if (head >= 0 && head < static_cast<int>(headDistance_.size()))
    text += tr("<br>mean backward distance %1 tokens").arg(headDistance_[head], 0, 'f', 1);
  if (head >= 0 && isLocal(head)) text += tr(" · a local head");
  if (head >= 0 && isGlobal(head)) text += tr(" · a global head");
  const size_t index = static_cast<size_t>(rowOf(layerIndex)) * columnCount() + columnOf(head);
  if (index < maxima_.size()) text += tr("<br>strongest weight %1 · click to show it").arg(formatAttentionWeight(maxima_[index]));
  return text;
}

void AttentionThumbnails::mousePressEvent(QMouseEvent* event) {
  int layerIndex = -1, head = -1;
  if (event->button() == Qt::LeftButton && cellAt(event->position().toPoint(), &layerIndex, &head)) emit picked(layerIndex, head);
}

void AttentionThumbnails::mouseMoveEvent(QMouseEvent* event) {
  int layerIndex = -1, head = -1;
  int row = -1, column = -1;
  if (cellAt(event->position().toPoint(), &layerIndex, &head)) {
    row = rowOf(layerIndex);
    column = columnOf(head);
  }
  if (row != hoverRow_ || column != hoverColumn_) {
    hoverRow_ = row;
    hoverColumn_ = column;
    setCursor(row >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
    update();
  }
}

void AttentionThumbnails::leaveEvent(QEvent*) {
  hoverRow_ = hoverColumn_ = -1;
  update();
}

bool AttentionThumbnails::event(QEvent* event) {
  if (event->type() != QEvent::ToolTip) return QWidget::event(event);
  auto* help = static_cast<QHelpEvent*>(event);
  int layerIndex = -1, head = -1;
  if (!images_.empty() && cellAt(help->pos(), &layerIndex, &head)) {
    QToolTip::showText(help->globalPos(), cellToolTip(layerIndex, head), this);
  } else {
    QToolTip::hideText();
    event->ignore();
  }
  return true;
}

}  // namespace tb
