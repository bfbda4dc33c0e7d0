// TreeView painting: culled edges, nodes, labels, the legend, and export of the whole tree to
// PNG or SVG with the same painter code. See TreeView.h.
#include <QFontMetricsF>
#include <QImage>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

#include "widgets/TreeView.h"
#include "widgets/ImageExport.h"
#include "widgets/LegendCard.h"

namespace tb {

namespace {

const QColor kCanvas(0xfb, 0xfb, 0xfc);
const QColor kEdge(0xb4, 0xba, 0xc4);
const QColor kPath(0xf5, 0x9e, 0x0b);
const QColor kSelect(0x1d, 0x4e, 0xd8);
const QColor kMatch(0xfa, 0xcc, 0x15);
const QColor kCurrentMatch(0xea, 0x58, 0x0c);
const QColor kCorrect(0x16, 0xa3, 0x4a);
const QColor kWrong(0xdc, 0x26, 0x26);
const QColor kText(0x2b, 0x2f, 0x36);
const QColor kMuted(0x76, 0x7c, 0x86);
const QColor kPill(0x55, 0x5c, 0x69);
const QColor kCardBorder(0xe0, 0xe3, 0xe8);

// Below this on-screen radius nodes are drawn as plain squares without text (far zoomed out).
constexpr double kDotRadius = 2.5;
constexpr int kMaxLabelLines = 4;
constexpr double kMaxLabelWidth = 300;
constexpr double kExportMaxSide = 16384;
constexpr double kExportMaxPixels = 40e6;

QString formatStat(double v) {
  if (!std::isfinite(v)) return QStringLiteral("—");
  if (v == std::floor(v) && std::fabs(v) < 1e9) return QString::number(static_cast<qint64>(v));
  if (std::fabs(v) >= 1000 || std::fabs(v) < 0.01) return QString::number(v, 'g', 3);
  return QString::number(v, 'f', 2);
}

QString formatCount(int n) {
  if (n >= 1000000) return QString::number(n / 1e6, 'f', 1) + QLatin1Char('M');
  if (n >= 10000) return QString::number(n / 1000) + QLatin1Char('k');
  return QString::number(n);
}

// Greedy word wrap into at most maxLines lines of `width`; the last line carries the rest, elided.
QStringList wrapText(const QString& text, const QFontMetricsF& fm, double width, int maxLines) {
  QStringList lines;
  const QStringList words = text.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
  QString current;
  for (int i = 0; i < words.size(); ++i) {
    if (lines.size() == maxLines - 1) {
      const QString rest = (current.isEmpty() ? QString() : current + QLatin1Char(' ')) + words.mid(i).join(QLatin1Char(' '));
      lines << fm.elidedText(rest, Qt::ElideRight, width);
      return lines;
    }
    const QString candidate = current.isEmpty() ? words[i] : current + QLatin1Char(' ') + words[i];
    if (current.isEmpty() || fm.horizontalAdvance(candidate) <= width) {
      current = candidate;
    } else {
      lines << fm.elidedText(current, Qt::ElideRight, width);
      current = words[i];
    }
  }
  if (!current.isEmpty()) lines << fm.elidedText(current, Qt::ElideRight, width);
  return lines;
}

void drawCheck(QPainter& p, const QPointF& c, double b) {
  QPainterPath check;
  check.moveTo(c + QPointF(-0.45 * b, 0.02 * b));
  check.lineTo(c + QPointF(-0.12 * b, 0.36 * b));
  check.lineTo(c + QPointF(0.48 * b, -0.36 * b));
  p.setPen(QPen(Qt::white, std::max(1.2, b * 0.3), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
  p.setBrush(Qt::NoBrush);
  p.drawPath(check);
}

void drawCross(QPainter& p, const QPointF& c, double b) {
  const double k = 0.38 * b;
  p.setPen(QPen(Qt::white, std::max(1.2, b * 0.28), Qt::SolidLine, Qt::RoundCap));
  p.drawLine(c + QPointF(-k, -k), c + QPointF(k, k));
  p.drawLine(c + QPointF(-k, k), c + QPointF(k, -k));
}

void drawBadge(QPainter& p, const QPointF& c, double b, bool correct) {
  p.setPen(QPen(Qt::white, std::max(1.0, b * 0.18)));
  p.setBrush(correct ? kCorrect : kWrong);
  p.drawEllipse(c, b, b);
  if (correct)
    drawCheck(p, c, b);
  else
    drawCross(p, c, b);
}

}  // namespace

// How labels are laid out in one paint: the same for every node, so that edges can start below
// the label block and never cross text.
struct LabelGeometry {
  bool show = false;
  double width = 0;
  int stepLines = 0;
  bool statsLine = false;
  QFont font, statsFont;
  double lineHeight = 0, statsHeight = 0;
  double blockHeight() const { return show ? stepLines * lineHeight + (statsLine ? statsHeight : 0) + 4 : 0; }
};

namespace {

LabelGeometry labelGeometry(const QFont& base, double sx, double sy, double maxRadius, double sibling, double level) {
  LabelGeometry g;
  if (maxRadius * sx < kDotRadius) return g;
  g.width = std::min(sibling * sx - 8, kMaxLabelWidth);
  if (g.width < 34) return g;
  g.font = base;
  g.font.setPixelSize(11);
  g.statsFont = base;
  g.statsFont.setPixelSize(10);
  g.lineHeight = QFontMetricsF(g.font).height();
  g.statsHeight = QFontMetricsF(g.statsFont).height();
  // Room between the bottom of a node and the top of the next layer, less a run for the edges.
  const double room = level * sy - 2 * maxRadius * sx - 6 - 18;
  int lines = static_cast<int>(std::floor(room / g.lineHeight));
  lines = std::min(lines, kMaxLabelLines + 1);
  if (lines < 1) return g;
  g.show = true;
  g.statsLine = lines >= 2;
  g.stepLines = g.statsLine ? lines - 1 : lines;
  return g;
}

}  // namespace

void TreeView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const Frame f = screenFrame();
  paintScene(p, f);
  if (!hasTree()) {
    p.setPen(kMuted);
    p.drawText(rect(), Qt::AlignCenter, tr("No tree to show"));
    return;
  }
  const QSizeF legend = legendSize();
  if (width() > legend.width() + 40 && height() > legend.height() + 40)
    paintLegend(p, QPointF(10, height() - legend.height() - 10));
  paintHint(p, f.screen);
}

void TreeView::paintScene(QPainter& p, const Frame& f) const {
  p.fillRect(f.screen, f.exporting ? QColor(Qt::white) : kCanvas);
  if (!hasTree() || layout_.empty() || layers_.empty()) return;
  // The world rectangle on screen, padded by a node spacing for shapes and labels.
  const double left = (f.screen.left() - f.offset.x()) / f.sx - kSibling;
  const double right = (f.screen.right() - f.offset.x()) / f.sx + kSibling;
  const double top = (f.screen.top() - f.offset.y()) / f.sy;
  const double bottom = (f.screen.bottom() - f.offset.y()) / f.sy;
  const int layerCount = static_cast<int>(layers_.size());
  const int firstLayer = std::max(0, static_cast<int>(std::floor(top / kLevel)) - 1);
  const int lastLayer = std::min(layerCount - 1, static_cast<int>(std::ceil(bottom / kLevel)));
  std::vector<int> ids;
  for (int d = firstLayer; d <= lastLayer; ++d) {
    const auto& layer = layers_[d];
    auto it = std::lower_bound(layer.begin(), layer.end(), left, [this](int id, double x) { return layout_.x[id] < x; });
    for (; it != layer.end() && layout_.x[*it] <= right; ++it) ids.push_back(*it);
  }
  // Labels are wrapped once: edges leave a parent just below its own label.
  const LabelGeometry g = labelGeometry(font(), f.sx, f.sy, sizeByVisits_ ? kMaxRadius : kPlainRadius, kSibling, kLevel);
  std::vector<QStringList> labels;
  std::vector<float> labelHeight;
  if (g.show) {
    const QFontMetricsF fm(g.font);
    labels.reserve(ids.size());
    labelHeight.assign(tree_->size(), -1.0f);
    for (int id : ids) {
      labels.push_back(id == 0 && step_[0].isEmpty()
                           ? QStringList{tr("root")}
                           : wrapText(step_[id].isEmpty() ? tr("(empty step)") : step_[id], fm, g.width, g.stepLines));
      labelHeight[id] = static_cast<float>(labels.back().size() * g.lineHeight + (g.statsLine ? g.statsHeight : 0) + 4);
    }
  }
  paintEdges(p, f, firstLayer, lastLayer, left, right, labelHeight, g.blockHeight());
  paintNodes(p, f, ids);
  if (g.show) paintLabels(p, f, g, ids, labels);
}

void TreeView::paintEdges(QPainter& p, const Frame& f, int firstLayer, int lastLayer, double left, double right,
                          const std::vector<float>& labelHeight, double defaultLabelHeight) const {
  const double maxRadius = sizeByVisits_ ? kMaxRadius : kPlainRadius;
  const bool detailed = maxRadius * f.sx >= kDotRadius;
  // Edge width by the child's visits, in four classes so each class is one stroked path.
  constexpr int kClasses = 4;
  QPainterPath curves[kClasses], chosen;
  QVector<QLineF> lines, chosenLines;
  const double widthScale = std::clamp(f.sx, 0.5, 1.3);
  const int layerCount = static_cast<int>(layers_.size());
  for (int d = std::max(1, firstLayer); d <= std::min(layerCount - 1, lastLayer + 1); ++d) {
    const auto& layer = layers_[d];
    const double lo = left - layerSpan_[d], hi = right + layerSpan_[d];
    auto it = std::lower_bound(layer.begin(), layer.end(), lo, [this](int id, double x) { return layout_.x[id] < x; });
    for (; it != layer.end() && layout_.x[*it] <= hi; ++it) {
      const int c = *it;
      const int parent = tree_->nodes[c].parent;
      if (std::min(layout_.x[c], layout_.x[parent]) > right || std::max(layout_.x[c], layout_.x[parent]) < left) continue;
      const QPointF pc = toScreen(f, parent), cc = toScreen(f, c);
      const bool onPath = onPath_[c] && onPath_[parent];
      if (!detailed) {
        (onPath ? chosenLines : lines).append(QLineF(pc, cc));
        continue;
      }
      const double below = labelHeight.empty() ? 0.0 : (labelHeight[parent] >= 0 ? labelHeight[parent] : defaultLabelHeight) + 6;
      const QPointF start(pc.x(), pc.y() + radiusOf(parent) * f.sx + below);
      const QPointF end(cc.x(), cc.y() - radiusOf(c) * f.sx);
      const double mid = (start.y() + end.y()) / 2;
      QPainterPath& path = onPath ? chosen : curves[maxVisits_ > 0 ? std::min(kClasses - 1, static_cast<int>(std::log1p(std::max(0, stats_[c].visits)) / std::log1p(maxVisits_) * kClasses)) : 0];
      path.moveTo(start);
      path.cubicTo(QPointF(start.x(), mid), QPointF(end.x(), mid), end);
    }
  }
  p.setBrush(Qt::NoBrush);
  if (!detailed) {
    p.setRenderHint(QPainter::Antialiasing, lines.size() < 4000);
    QColor edge = kEdge;  // thousands of edges fade, so that the node colours still show
    edge.setAlpha(std::clamp(static_cast<int>(255 * 1500.0 / std::max<qsizetype>(1, lines.size())), 70, 255));
    p.setPen(QPen(edge, 1.0));
    p.drawLines(lines);
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setPen(QPen(kPath, 2.5, Qt::SolidLine, Qt::RoundCap));
    p.drawLines(chosenLines);
    return;
  }
  p.setRenderHint(QPainter::Antialiasing, true);
  for (int k = 0; k < kClasses; ++k) {
    if (curves[k].isEmpty()) continue;
    p.setPen(QPen(kEdge, (1.0 + 0.8 * k) * widthScale, Qt::SolidLine, Qt::RoundCap));
    p.drawPath(curves[k]);
  }
  if (!chosen.isEmpty()) {
    p.setPen(QPen(kPath, std::clamp(4.5 * f.sx, 2.5, 6.0), Qt::SolidLine, Qt::RoundCap));
    p.drawPath(chosen);
  }
}

void TreeView::paintNodes(QPainter& p, const Frame& f, const std::vector<int>& ids) const {
  const double maxRadius = sizeByVisits_ ? kMaxRadius : kPlainRadius;
  const int currentId = currentMatch_ >= 0 ? matches_[currentMatch_] : -1;
  if (maxRadius * f.sx < kDotRadius) {
    // Far out: squares of the node colour, then rings for what must stay findable.
    p.setRenderHint(QPainter::Antialiasing, false);
    for (int id : ids) {
      const QPointF c = toScreen(f, id);
      const double s = std::max(2.0, 2 * radiusOf(id) * f.sx);
      p.fillRect(QRectF(c.x() - s / 2, c.y() - s / 2, s, s), nodeColor(id));
    }
    p.setRenderHint(QPainter::Antialiasing, true);
    p.setBrush(Qt::NoBrush);
    for (int id : ids) {
      const QPointF c = toScreen(f, id);
      if (isMatch_[id]) {
        p.setPen(QPen(id == currentId ? kCurrentMatch : QColor(0xe0, 0xa8, 0x00), 2));
        p.drawEllipse(c, 5, 5);
      }
      if (id == selected_) {
        p.setPen(QPen(kSelect, 2.5));
        p.drawEllipse(c, 8, 8);
      }
    }
    return;
  }

  p.setRenderHint(QPainter::Antialiasing, true);
  QFont countFont = font();
  countFont.setWeight(QFont::DemiBold);
  QFont pillFont = font();
  pillFont.setPixelSize(10);
  pillFont.setWeight(QFont::Bold);
  for (int id : ids) {
    const TreeNode& node = tree_->nodes[id];
    const QPointF c = toScreen(f, id);
    const double r = radiusOf(id) * f.sx;
    const QColor fill = nodeColor(id);

    // Halos under the shape: search match, selection, hover.
    p.setPen(Qt::NoPen);
    if (isMatch_[id]) {
      QColor halo = kMatch;
      halo.setAlpha(170);
      p.setBrush(halo);
      const double grow = std::max(4.0, r * 0.5);
      p.drawEllipse(c, r + grow, r + grow);
    }
    if (id == selected_) {
      QColor halo = kSelect;
      halo.setAlpha(55);
      p.setBrush(halo);
      const double grow = std::max(7.0, r * 0.7);
      p.drawEllipse(c, r + grow, r + grow);
    } else if (id == hovered_ && !f.exporting) {
      p.setBrush(QColor(0, 0, 0, 22));
      p.drawEllipse(c, r + 5, r + 5);
    }

    const bool collapsed = hiddenBelow(id) > 0;
    const QPen outline = onPath_[id] ? QPen(kPath, std::clamp(2.6 * f.sx, 1.8, 3.5)) : QPen(fill.darker(150), borderOf(id));
    auto drawShape = [&](const QPointF& at) {
      if (node.terminal) {
        const double s = r * 0.92;
        p.drawRoundedRect(QRectF(at.x() - s, at.y() - s, 2 * s, 2 * s), s * 0.35, s * 0.35);
      } else {
        p.drawEllipse(at, r, r);
      }
    };
    if (collapsed) {  // a second shape behind: "there is more here"
      p.setPen(QPen(fill.darker(130), 1.0));
      p.setBrush(fill.lighter(112));
      drawShape(c + QPointF(r * 0.32, r * 0.32));
    }
    p.setPen(outline);
    p.setBrush(fill);
    drawShape(c);

    if (id == selected_) {
      p.setPen(QPen(kSelect, 2.5));
      p.setBrush(Qt::NoBrush);
      p.drawEllipse(c, r + 4, r + 4);
    }
    if (id == currentId) {
      p.setPen(QPen(kCurrentMatch, 2.5));
      p.setBrush(Qt::NoBrush);
      p.drawEllipse(c, r + (id == selected_ ? 7.5 : 4), r + (id == selected_ ? 7.5 : 4));
    }

    if (r >= 10.5 && maxVisits_ > 0) {
      const QString count = formatCount(stats_[id].visits);
      countFont.setPixelSize(static_cast<int>(std::clamp(r * 0.72, 8.0, 14.0)));
      p.setFont(countFont);
      if (QFontMetricsF(countFont).horizontalAdvance(count) <= 2 * r - 3) {
        p.setPen(TreeColorScale::textOn(fill));
        p.drawText(QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r), Qt::AlignCenter, count);
      }
    }
    if (node.terminal && r >= 3.5) drawBadge(p, c + QPointF(r * 0.8, -r * 0.8), std::max(3.5, r * 0.42), node.correct);
    if (collapsed && r >= 3) {
      const QString text = QStringLiteral("+%1").arg(formatCount(hiddenBelow(id)));
      p.setFont(pillFont);
      const double w = QFontMetricsF(pillFont).horizontalAdvance(text) + 10;
      const QRectF pill(c.x() - w / 2, c.y() + r - 3, w, 15);
      p.setPen(QPen(Qt::white, 1.2));
      p.setBrush(kPill);
      p.drawRoundedRect(pill, 7.5, 7.5);
      p.setPen(Qt::white);
      p.drawText(pill, Qt::AlignCenter, text);
    }
  }
}

void TreeView::paintLabels(QPainter& p, const Frame& f, const LabelGeometry& g, const std::vector<int>& ids,
                           const std::vector<QStringList>& labels) const {
  QFont rootFont = g.font;
  rootFont.setItalic(true);
  const QFontMetricsF statsMetrics(g.statsFont);
  const QString metric = treeMetricShortLabel(colorBy_);
  for (size_t k = 0; k < ids.size(); ++k) {
    const int id = ids[k];
    const QPointF c = toScreen(f, id);
    double y = c.y() + radiusOf(id) * f.sx + 4 + (hiddenBelow(id) > 0 ? 9 : 0);
    const double x = c.x() - g.width / 2;
    const bool root = id == 0 && step_[0].isEmpty();
    p.setFont(root ? rootFont : g.font);
    p.setPen(root ? kMuted : kText);
    for (const QString& line : labels[k]) {
      p.drawText(QRectF(x, y, g.width, g.lineHeight), Qt::AlignHCenter | Qt::AlignTop, line);
      y += g.lineHeight;
    }
    if (g.statsLine) {
      QString stats = QStringLiteral("N %1").arg(formatCount(stats_[id].visits));
      if (colorBy_ != TreeMetric::Visits) stats += QStringLiteral(" · %1 %2").arg(metric, formatStat(metricValue(id)));
      p.setFont(g.statsFont);
      p.setPen(kMuted);
      p.drawText(QRectF(x, y, g.width, g.statsHeight), Qt::AlignHCenter | Qt::AlignTop,
                 statsMetrics.elidedText(stats, Qt::ElideRight, g.width));
    }
  }
}

// ---- legend -------------------------------------------------------------------------------------

QSizeF TreeView::legendSize() const {
  const bool glyphs = (tree_ && !tree_->chosenPath.empty()) || hasTerminals_;
  return QSizeF(224, 84 + (glyphs ? 20 : 0));
}

void TreeView::paintLegend(QPainter& p, const QPointF& topLeft) const {
  LegendCard card(p, QRectF(topLeft, legendSize()), font(), {kCardBorder, kText, kMuted});
  card.title(tr("Colour: %1").arg(treeMetricName(colorBy_)));
  card.subtitle(treeMetricDescription(colorBy_));
  const bool diverging = scale_.diverging();
  card.colourBar([diverging](double t) { return diverging ? TreeColorScale::divergingColor(t) : TreeColorScale::sequentialColor(t); },
                 10, formatStat(scale_.lo), diverging ? QStringLiteral("0") : QString(), formatStat(scale_.hi), 15);
  const QString sizeNote = maxVisits_ <= 0 ? tr("No visit counts") : sizeByVisits_ ? tr("Size: visits (log)") : tr("Border: visits (log)");
  p.drawText(QRectF(card.left(), card.y(), card.inner(), 13), Qt::AlignLeft | Qt::AlignVCenter,
             sizeNote + (hasTerminals_ ? tr(" · square: terminal") : QString()));
  card.advance(17);
  const QFont& small = card.smallFont();
  const QFontMetricsF& smallMetrics = card.smallMetrics();

  // Glyph keys: chosen path, correct and wrong terminals.
  double x = card.left();
  const double cy = card.y() + 7;
  if (tree_ && !tree_->chosenPath.empty()) {
    p.setPen(QPen(kPath, 3.5, Qt::SolidLine, Qt::RoundCap));
    p.drawLine(QPointF(x, cy), QPointF(x + 16, cy));
    p.setPen(kMuted);
    const QString text = tr("chosen path");
    p.drawText(QPointF(x + 21, cy + 3.5), text);
    x += 21 + smallMetrics.horizontalAdvance(text) + 12;
  }
  if (hasTerminals_) {
    for (bool correct : {true, false}) {
      drawBadge(p, QPointF(x + 6, cy), 5.5, correct);
      p.setPen(kMuted);
      p.setFont(small);
      const QString text = correct ? tr("correct") : tr("wrong");
      p.drawText(QPointF(x + 15, cy + 3.5), text);
      x += 15 + smallMetrics.horizontalAdvance(text) + 12;
    }
  }
}

void TreeView::paintHint(QPainter& p, const QRectF& screen) const {
  if (screen.width() < 560) return;
  QFont small = font();
  small.setPixelSize(10);
  p.setFont(small);
  p.setPen(QColor(0xa0, 0xa5, 0xae));
  p.drawText(screen.adjusted(0, 0, -10, -8), Qt::AlignRight | Qt::AlignBottom,
             tr("wheel: zoom · drag: pan · F: fit · double-click: collapse/expand"));
}

// ---- export -------------------------------------------------------------------------------------

bool TreeView::exportImage(const QString& path, QString* error) const {
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  if (!hasTree() || layout_.empty()) return fail(tr("There is no tree to export."));
  const ImageKind kind = imageKindOf(path);
  if (kind == ImageKind::Unknown) return fail(unknownImageKindMessage(path));
  const bool raster = kind == ImageKind::Raster;

  const QRectF bounds = worldBounds();
  const QSizeF legend = legendSize();
  constexpr double kMargin = 16;
  // Raster: world scale 1 at twice the pixel density when that fits the budget, else scaled down.
  double scale = 1.0;
  if (raster)
    scale = std::min({1.0, kExportMaxSide / (bounds.width() + 2 * kMargin), (kExportMaxSide - legend.height() - 3 * kMargin) / bounds.height(),
                      std::sqrt(kExportMaxPixels / (bounds.width() * bounds.height()))});
  const double treeWidth = bounds.width() * scale, treeHeight = bounds.height() * scale;
  const int w = static_cast<int>(std::ceil(std::max(treeWidth, legend.width()) + 2 * kMargin));
  const int h = static_cast<int>(std::ceil(treeHeight + legend.height() + 3 * kMargin));
  Frame f;
  f.sx = f.sy = scale;
  f.offset = QPointF(kMargin + (w - 2 * kMargin - treeWidth) / 2 - bounds.left() * scale, kMargin - bounds.top() * scale);
  f.screen = QRectF(0, 0, w, h);
  f.exporting = true;
  const QPointF legendAt(kMargin, h - kMargin - legend.height());

  const int dpr = static_cast<double>(w) * h * 4 <= kExportMaxPixels && 2 * std::max(w, h) <= kExportMaxSide ? 2 : 1;
  return writePainting(path, QSize(w, h), dpr, QString::fromStdString(tree_->label.empty() ? tree_->kind : tree_->label),
                       tr("Reasoning tree exported by Thoughtbench"),
                       [&](QPainter& p) {
                         paintScene(p, f);
                         paintLegend(p, legendAt);
                       },
                       error);
}

}  // namespace tb
