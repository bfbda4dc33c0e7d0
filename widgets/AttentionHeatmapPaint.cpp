// AttentionHeatmap painting: the map image, highlights, axis labels and marks, the legend card, and
// export of the current window to PNG or SVG with the same painter code. See AttentionHeatmap.h.
#include <QFontMetricsF>
#include <QLinearGradient>
#include <QPainter>

#include <algorithm>
#include <array>
#include <cmath>

#include "widgets/AttentionHeatmap.h"
#include "widgets/ImageExport.h"
#include "widgets/LegendCard.h"

namespace tb {

namespace palette = attention_palette;

namespace {

// A token gets its own label from this many pixels; below, index ticks.
constexpr double kLabelPx = 11;
constexpr double kTickSpacing = 28;
constexpr double kExportMapSide = 640;
constexpr double kExportMaxPixels = 40e6;

int niceStep(double minimumTokens) {
  static constexpr std::array<int, 14> steps{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000};
  for (int s : steps)
    if (s >= minimumTokens) return s;
  return 10000;
}

QString capitalised(const QString& text) { return text.isEmpty() ? text : text.left(1).toUpper() + text.mid(1); }

}  // namespace

void AttentionHeatmap::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const Frame f = screenFrame();
  ensureImage();
  paintScene(p, f, blocks_, image_);
  if (!hasMap()) {
    p.setPen(palette::muted());
    p.drawText(rect(), Qt::AlignCenter, tr("No attention map to show"));
    return;
  }
  const QSizeF legend = legendSize();
  // In the upper right corner the causal future leaves the map empty: the card hides no weight
  // unless zoomed (fully so from a side of width + height).
  if (f.map.width() >= legend.width() + 60)
    paintLegend(p, QPointF(f.map.right() - legend.width() - 8, f.map.top() + 8));
}

void AttentionHeatmap::paintScene(QPainter& p, const Frame& f, const AttentionBlocks& blocks, const QImage& image) const {
  p.fillRect(f.bounds, f.exporting ? QColor(Qt::white) : palette::canvas());
  if (!hasMap() || blocks.empty() || f.map.width() < 1) return;
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  p.drawImage(f.map, image);
  paintHighlights(p, f, blocks);
  p.setRenderHint(QPainter::Antialiasing, false);
  p.setPen(QPen(palette::cardBorder(), 1));
  p.setBrush(Qt::NoBrush);
  p.drawRect(f.map.adjusted(-0.5, -0.5, 0.5, 0.5));
  paintMarks(p, f);
  paintLabels(p, f);
}

void AttentionHeatmap::paintHighlights(QPainter& p, const Frame& f, const AttentionBlocks& blocks) const {
  p.save();
  p.setClipRect(f.map);
  p.setRenderHint(QPainter::Antialiasing, false);
  const double tp = f.tokenPx;
  // Token grid: thin light lines once cells are large enough to read one by one.
  if (tp >= 12) {
    QVector<QLineF> lines;
    for (int u = 1; u < f.window; ++u) {
      lines.append(QLineF(f.map.left(), f.map.top() + u * tp, f.map.right(), f.map.top() + u * tp));
      lines.append(QLineF(f.map.left() + u * tp, f.map.top(), f.map.left() + u * tp, f.map.bottom()));
    }
    p.setPen(QPen(QColor(255, 255, 255, 110), 1));
    p.drawLines(lines);
  }
  // Prompt | completion: dashed lines before the first completion token.
  if (promptLength_ > 0) {
    QPen dashed(QColor(0x55, 0x5c, 0x69, 170), 1, Qt::DashLine);
    p.setPen(dashed);
    const double y = f.map.top() + (promptLength_ - f.row0) * tp;
    const double x = f.map.left() + (promptLength_ - f.col0) * tp;
    if (promptLength_ > f.row0 && promptLength_ < f.row0 + f.window) p.drawLine(QPointF(f.map.left(), y), QPointF(f.map.right(), y));
    if (promptLength_ > f.col0 && promptLength_ < f.col0 + f.window) p.drawLine(QPointF(x, f.map.top()), QPointF(x, f.map.bottom()));
  }
  // The selected token: its row (what it attends to) and its column (what attends to it), framed
  // rather than tinted so that the weights inside keep their colours; a thin band is a solid line.
  if (selected_ >= 0) {
    const double extent = std::max(tp, 3.0);
    const double y = f.map.top() + (selected_ - f.row0 + 0.5) * tp - extent / 2;
    const double x = f.map.left() + (selected_ - f.col0 + 0.5) * tp - extent / 2;
    QColor thin = palette::select();
    thin.setAlpha(200);
    if (tp < 5) {
      p.setPen(Qt::NoPen);
      p.setBrush(thin);
    } else {
      p.setPen(QPen(palette::select(), 2));
      p.setBrush(Qt::NoBrush);
    }
    if (selected_ >= f.row0 && selected_ < f.row0 + f.window) p.drawRect(QRectF(f.map.left(), y, f.map.width(), extent));
    if (selected_ >= f.col0 && selected_ < f.col0 + f.window) p.drawRect(QRectF(x, f.map.top(), extent, f.map.height()));
  }
  // The hovered cell (a block when downsampled).
  if (!f.exporting && hover_.x() >= 0) {
    QRectF cell;
    if (blocks.downsampled()) {
      const double cellPx = f.map.width() / blocks.window;
      const int i = blocks.cellOf(hover_.y() - blocks.row0), j = blocks.cellOf(hover_.x() - blocks.col0);
      cell = QRectF(f.map.left() + blocks.start[j] * cellPx, f.map.top() + blocks.start[i] * cellPx,
                    (blocks.start[j + 1] - blocks.start[j]) * cellPx, (blocks.start[i + 1] - blocks.start[i]) * cellPx);
    } else {
      cell = QRectF(f.map.left() + (hover_.x() - f.col0) * tp, f.map.top() + (hover_.y() - f.row0) * tp, tp, tp);
    }
    const double grow = std::max(0.0, (4.0 - cell.width()) / 2);
    p.setPen(QPen(QColor(0x1f, 0x22, 0x28), 1.2));
    p.setBrush(Qt::NoBrush);
    p.drawRect(cell.adjusted(-grow, -grow, grow, grow));
  }
  p.restore();
}

void AttentionHeatmap::paintMarks(QPainter& p, const Frame& f) const {
  // Bars in the gap between labels and map: preplan (teal) outside, anchor (purple) inside.
  const double tp = f.tokenPx;
  const double extent = std::max(tp, 2.0);
  auto mark = [&](int t, double offset, const QColor& color) {
    const double along = (t - f.row0 + 0.5) * tp - extent / 2;
    const double across = (t - f.col0 + 0.5) * tp - extent / 2;
    if (t >= f.row0 && t < f.row0 + f.window) p.fillRect(QRectF(f.map.left() - offset - 3, f.map.top() + along, 3, extent), color);
    if (t >= f.col0 && t < f.col0 + f.window) p.fillRect(QRectF(f.map.left() + across, f.map.bottom() + offset, extent, 3), color);
  };
  for (int t : preplan_) mark(t, 5, palette::preplan());
  for (int t : anchors_) mark(t, 1.5, palette::anchor());
}

void AttentionHeatmap::paintLabels(QPainter& p, const Frame& f) const {
  QFont font = this->font();
  font.setPixelSize(10);
  QFont bold = font;
  bold.setWeight(QFont::DemiBold);
  const QFontMetricsF fm(font);
  const double tp = f.tokenPx;
  const double labelRight = -kGap;  // relative to the map edge, leaving room for ticks and marks
  const double textWidth = labelWidth_ - indexWidth_ - 6;
  const double lineHeight = std::ceil(fm.height());
  p.setRenderHint(QPainter::Antialiasing, true);

  // One label: index (muted, outside) and token text (next to the map), along +x in the painter's
  // frame ending at x = labelRight; the caller places and rotates the frame.
  auto drawLabel = [&](int t, double centre, bool emphasised) {
    const QRectF box(labelRight - labelWidth_, centre - lineHeight / 2, labelWidth_, lineHeight);
    if (emphasised) {
      p.setPen(Qt::NoPen);
      p.setBrush(t == selected_ ? palette::selectFill() : QColor(0, 0, 0, 20));
      p.drawRoundedRect(box.adjusted(-2, -0.5, 2, 0.5), 3, 3);
    }
    p.setFont(font);
    p.setPen(palette::muted());
    p.drawText(box, Qt::AlignLeft | Qt::AlignVCenter, QString::number(t));
    p.setFont(emphasised ? bold : font);
    p.setPen(palette::text());
    const QString text = QFontMetricsF(emphasised ? bold : font).elidedText(tokenLabel(t), Qt::ElideRight, textWidth);
    p.drawText(box, Qt::AlignRight | Qt::AlignVCenter, text);
  };
  auto drawTick = [&](int t, double centre) {
    p.setPen(QPen(palette::muted(), 1));
    p.drawLine(QPointF(-4, centre), QPointF(0, centre));
    p.setFont(font);
    p.drawText(QRectF(labelRight - labelWidth_, centre - lineHeight / 2, labelWidth_, lineHeight), Qt::AlignRight | Qt::AlignVCenter,
               QString::number(t));
  };
  const bool perToken = tp >= kLabelPx;
  const int step = perToken ? 1 : niceStep(kTickSpacing / tp);
  auto emphasised = [&](int t, bool row) { return t == selected_ || (!f.exporting && (row ? hover_.y() : hover_.x()) == t); };

  // Rows (queries) on the left, in a frame with x = 0 at the map's edge and y along the axis.
  for (int pass = 0; pass < 2; ++pass) {
    const bool rows = pass == 0;
    const int first = rows ? f.row0 : f.col0;
    p.save();
    p.translate(f.map.left(), rows ? f.map.top() : f.map.bottom());
    // Keys: rotated so that +x points up and +y right; labels then end just below the map and
    // read bottom to top.
    if (!rows) p.rotate(-90);
    auto centreOf = [&](int t) { return (t - first + 0.5) * tp; };
    if (perToken) {
      for (int t = first; t < first + f.window; ++t) drawLabel(t, centreOf(t), emphasised(t, rows));
    } else {
      const int start = (first + step - 1) / step * step;
      for (int t = start; t < first + f.window; t += step) {
        if (selected_ >= 0 && std::abs(selected_ - t) * tp < lineHeight) continue;  // the selection's label wins
        drawTick(t, centreOf(t));
      }
      if (selected_ >= first && selected_ < first + f.window) drawLabel(selected_, centreOf(selected_), true);
    }
    p.restore();
  }

  // Axis titles.
  QFont title = font;
  title.setWeight(QFont::DemiBold);
  p.setFont(title);
  p.setPen(palette::muted());
  const double titleLeft = f.map.left() - kGap - labelWidth_ - kAxisTitle;
  p.save();
  p.translate(titleLeft + kAxisTitle / 2, f.map.center().y());
  p.rotate(-90);
  p.drawText(QRectF(-f.map.height() / 2, -kAxisTitle / 2, f.map.height(), kAxisTitle), Qt::AlignCenter,
             tr("query t (rows)"));
  p.restore();
  p.drawText(QRectF(f.map.left(), f.map.bottom() + kGap + labelWidth_, f.map.width(), kAxisTitle), Qt::AlignCenter,
             tr("key s (columns)"));
}

// ---- legend -------------------------------------------------------------------------------------

QSizeF AttentionHeatmap::legendSize() const {
  // Wide enough for the title ("Mean over 4 layers · local heads 0, 3"), within reason.
  const double titleWidth = QFontMetricsF(LegendCard::titleFont(font())).horizontalAdvance(title_) + 22;
  return QSizeF(std::clamp(titleWidth, 212.0, 320.0), 96);
}

void AttentionHeatmap::paintLegend(QPainter& p, const QPointF& topLeft) const {
  LegendCard card(p, QRectF(topLeft, legendSize()), font(), {palette::cardBorder(), palette::text(), palette::muted()});
  card.title(capitalised(title_));
  card.subtitle(tr("attention weight, square-root scale"));
  card.colourBar(AttentionColorScale::colorAt, 16, QStringLiteral("0"),
                 formatAttentionWeight(scale_.maxValue * 0.25),  // sqrt(1/4) = the middle
                 formatAttentionWeight(scale_.maxValue), 17);

  // Keys: the masked future, and the marks on the axes.
  double x = card.left();
  const double cy = card.y() + 6;
  auto key = [&](const QColor& color, const QString& text, bool square) {
    p.setPen(square ? QPen(palette::cardBorder(), 1) : Qt::NoPen);
    p.setBrush(color);
    if (square)
      p.drawRect(QRectF(x, cy - 4.5, 9, 9));
    else
      p.drawRect(QRectF(x + 3, cy - 5, 3, 10));
    p.setPen(palette::muted());
    p.drawText(QPointF(x + 13, cy + 3.5), text);
    x += 13 + card.smallMetrics().horizontalAdvance(text) + 10;
  };
  key(AttentionColorScale::maskedColor(), tr("future"), true);
  if (!preplan_.empty()) key(palette::preplan(), tr("preplan"), false);
  if (!anchors_.empty()) key(palette::anchor(), tr("anchor"), false);
}

// ---- export -------------------------------------------------------------------------------------

bool AttentionHeatmap::exportImage(const QString& path, QString* error) const {
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  if (!hasMap() || window_ == 0) return fail(tr("There is no attention map to export."));
  if (imageKindOf(path) == ImageKind::Unknown) return fail(unknownImageKindMessage(path));

  // The current window at up to kMaxCells cells a side, each cell a whole number of pixels.
  const AttentionBlocks blocks = attentionBlocks(map_.data(), tokenCount_, row0_, col0_, window_, kMaxCells);
  const int cellPx = std::max(1, static_cast<int>(std::ceil(kExportMapSide / blocks.side)));
  const double side = static_cast<double>(blocks.side) * cellPx;
  // Cells scaled once without smoothing: an SVG viewer would otherwise blur them.
  const QImage image = scale_.image(blocks).scaled(static_cast<int>(side), static_cast<int>(side), Qt::IgnoreAspectRatio,
                                                   Qt::FastTransformation);
  const int w = static_cast<int>(std::ceil(leftMargin() + side + kRight));
  const int h = static_cast<int>(std::ceil(kTop + side + bottomMargin()));
  const Frame f = frameFor(QRectF(0, 0, w, h), side, 0, true);
  const QSizeF legend = legendSize();
  const QPointF legendAt(f.map.right() - legend.width() - 8, f.map.top() + 8);

  const int dpr = static_cast<double>(w) * h * 4 <= kExportMaxPixels ? 2 : 1;
  return writePainting(path, QSize(w, h), dpr, capitalised(title_), tr("Attention map exported by Thoughtbench"),
                       [&](QPainter& p) {
                         paintScene(p, f, blocks, image);
                         paintLegend(p, legendAt);
                       },
                       error);
}

}  // namespace tb
