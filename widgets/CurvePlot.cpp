// CurvePlot: live QCustomPlot line chart with debiased-EMA smoothing, hover read-out, auto-range
// that yields to the user's zoom/pan, and image export. See CurvePlot.h.
#include "widgets/CurvePlot.h"
#include "widgets/PlotStyle.h"

#include "core/compare/SeriesStats.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QMenu>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSvgGenerator>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tb {

namespace {

// A colour-blind-friendly categorical palette (Tableau 10), indexed by first-seen order.
const QColor kPalette[] = {
    QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
    QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
    QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
    QColor(0x17, 0xbe, 0xcf)};
constexpr int kPaletteSize = int(sizeof(kPalette) / sizeof(kPalette[0]));

const QColor& kTextColor = plotstyle::kText;
const QColor& kTickColor = plotstyle::kTick;
const QColor& kHintColor = plotstyle::kHint;

constexpr double kInf = std::numeric_limits<double>::infinity();

QString formatNumber(double v) {
  if (!std::isfinite(v)) return QStringLiteral("—");
  if (v == std::floor(v) && std::fabs(v) < 1e9) return QString::number(qint64(v));
  return QString::number(v, 'g', 5);
}

// Index of the point of `data` whose key is nearest to `key`, or -1 when empty.
int nearestIndex(const QSharedPointer<QCPGraphDataContainer>& data, double key) {
  if (data->isEmpty()) return -1;
  const auto begin = data->constBegin();
  auto it = data->findBegin(key, false);  // first point with key >= `key`
  int idx = int(it - begin);
  if (idx >= data->size()) return data->size() - 1;
  if (idx > 0 && std::fabs((it - 1)->key - key) <= std::fabs(it->key - key)) --idx;
  return idx;
}

}  // namespace

struct CurvePlot::Series {
  QString name;
  QColor color;
  QCPGraph* raw = nullptr;
  QCPGraph* smooth = nullptr;
  QCPItemTracer* tracer = nullptr;
  double emaM = 0.0;       // biased EMA accumulator
  double alphaPow = 1.0;   // alpha^t
  double xMin = kInf, xMax = -kInf, yMin = kInf, yMax = -kInf;

  void resetBounds() { xMin = yMin = kInf; xMax = yMax = -kInf; }
  void include(double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    xMin = std::min(xMin, x);
    xMax = std::max(xMax, x);
    yMin = std::min(yMin, y);
    yMax = std::max(yMax, y);
  }
  bool hasBounds() const { return xMin <= xMax; }
};

CurvePlot::CurvePlot(QWidget* parent) : QWidget(parent) {
  plot_ = new QCustomPlot(this);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  setMinimumSize(260, 180);

  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setNoAntialiasingOnDrag(true);
  plot_->setBackground(QBrush(Qt::white));
  plot_->layer(QStringLiteral("overlay"))->setMode(QCPLayer::lmBuffered);
  plot_->axisRect()->setRangeZoomFactor(0.85);

  // Header row: title on the left, a one-line legend on the right.
  auto* header = new QCPLayoutGrid;
  plot_->plotLayout()->insertRow(0);
  plot_->plotLayout()->addElement(0, 0, header);
  plot_->plotLayout()->setRowStretchFactor(0, 0.001);
  plot_->plotLayout()->setRowSpacing(0);
  header->setMargins(QMargins(0, 0, 0, 0));
  header->setColumnSpacing(8);

  QFont titleFont = font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.05);
  titleFont.setBold(true);
  titleElement_ = new QCPTextElement(plot_, QString(), titleFont);
  titleElement_->setTextColor(kTextColor);
  titleElement_->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
  titleElement_->setMargins(QMargins(12, 8, 4, 2));
  header->addElement(0, 0, titleElement_);
  header->setColumnStretchFactor(0, 1.0);

  QCPLegend* legend = plot_->legend;
  plot_->axisRect()->insetLayout()->take(legend);
  header->addElement(0, 1, legend);
  header->setColumnStretchFactor(1, 0.001);
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setWrap(0);
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setIconSize(18, 10);
  legend->setIconTextPadding(5);
  legend->setColumnSpacing(14);
  legend->setMargins(QMargins(4, 8, 12, 2));
  legend->setSizeConstraintRect(QCPLayoutElement::scrOuterRect);
  legend->setSelectableParts(QCPLegend::spNone);
  QFont legendFont = font();
  legendFont.setPointSizeF(legendFont.pointSizeF() * 0.9);
  legend->setFont(legendFont);
  legend->setTextColor(kTextColor);
  legend->setVisible(false);

  styleAxes();
  setXLabel(QStringLiteral("iteration"));

  emptyHint_ = new QCPItemText(plot_);
  emptyHint_->setLayer(QStringLiteral("legend"));
  emptyHint_->position->setType(QCPItemPosition::ptAxisRectRatio);
  emptyHint_->position->setCoords(0.5, 0.5);
  emptyHint_->setPositionAlignment(Qt::AlignCenter);
  emptyHint_->setText(tr("No data yet"));
  QFont hintFont = font();
  hintFont.setPointSizeF(hintFont.pointSizeF() * 1.15);
  emptyHint_->setFont(hintFont);
  emptyHint_->setColor(kHintColor);
  emptyHint_->setClipToAxisRect(false);
  emptyHint_->setSelectable(false);

  zoomHint_ = new QCPItemText(plot_);
  zoomHint_->setLayer(QStringLiteral("legend"));  // above the graphs
  zoomHint_->position->setType(QCPItemPosition::ptAxisRectRatio);
  zoomHint_->position->setCoords(0.995, 0.01);
  zoomHint_->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
  zoomHint_->setPadding(QMargins(6, 3, 6, 3));
  zoomHint_->setText(tr("zoomed · double-click to reset"));
  QFont smallFont = font();
  smallFont.setPointSizeF(smallFont.pointSizeF() * 0.85);
  zoomHint_->setFont(smallFont);
  zoomHint_->setColor(kTickColor);
  zoomHint_->setBrush(QColor(255, 255, 255, 225));
  zoomHint_->setSelectable(false);
  zoomHint_->setVisible(false);

  crossLine_ = new QCPItemStraightLine(plot_);
  crossLine_->setLayer(QStringLiteral("overlay"));
  crossLine_->setPen(QPen(QColor(0x70, 0x74, 0x80, 150), 1, Qt::DashLine));
  crossLine_->point1->setCoords(0, 0);
  crossLine_->point2->setCoords(0, 1);
  crossLine_->setSelectable(false);
  crossLine_->setVisible(false);

  readout_ = new QCPItemText(plot_);
  readout_->setLayer(QStringLiteral("overlay"));
  readout_->position->setType(QCPItemPosition::ptAbsolute);
  readout_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
  readout_->setTextAlignment(Qt::AlignLeft);
  readout_->setPadding(QMargins(8, 6, 8, 6));
  readout_->setBrush(QColor(255, 255, 255, 238));
  readout_->setPen(QPen(QColor(0xc8, 0xcb, 0xd2)));
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(font().pointSizeF() * 0.9);
  readout_->setFont(mono);
  readout_->setColor(kTextColor);
  readout_->setClipToAxisRect(false);
  readout_->setSelectable(false);
  readout_->setVisible(false);

  connect(plot_, &QCustomPlot::beforeReplot, this, [this] {
    if (!userView_) applyAutoRange();
    zoomHint_->setVisible(userView_ && !series_.empty());
    if (hovering_) updateHover(lastHoverPos_, false);  // keep the read-out in step with new data
  });
  auto onRangeChanged = [this](const QCPRange&) {
    if (!applyingRange_) userView_ = true;
  };
  connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, onRangeChanged);
  connect(plot_->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, onRangeChanged);
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { resetView(); });
  connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
    if (e->buttons() != Qt::NoButton) {
      hideHover();
      return;
    }
    updateHover(e->position().toPoint());
  });
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);
  plot_->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(plot_, &QWidget::customContextMenuRequested, this, &CurvePlot::showContextMenu);

  applyAutoRange();
  updateEmptyHint();
}

CurvePlot::~CurvePlot() = default;

void CurvePlot::styleAxes() { stylePlotAxes(plot_, font()); }

void CurvePlot::setIntegerX(bool integer) {
  setIntegerTicks(plot_->xAxis, integer);
  scheduleReplot();
}

void CurvePlot::setTitle(const QString& title) {
  titleElement_->setText(title);
  scheduleReplot();
}

QString CurvePlot::title() const { return titleElement_->text(); }

void CurvePlot::setXLabel(const QString& label) {
  plot_->xAxis->setLabel(label);
  scheduleReplot();
}

void CurvePlot::setYLabel(const QString& label) {
  plot_->yAxis->setLabel(label);
  scheduleReplot();
}

CurvePlot::Series* CurvePlot::find(const QString& name) {
  for (auto& s : series_)
    if (s->name == name) return s.get();
  return nullptr;
}

const CurvePlot::Series* CurvePlot::find(const QString& name) const {
  for (const auto& s : series_)
    if (s->name == name) return s.get();
  return nullptr;
}

QColor CurvePlot::colorFor(const QString& name) {
  int idx = colorOrder_.indexOf(name);
  if (idx < 0) {
    colorOrder_.append(name);
    idx = int(colorOrder_.size()) - 1;
  }
  return kPalette[idx % kPaletteSize];
}

QColor CurvePlot::seriesColor(const QString& name) const {
  const int idx = colorOrder_.indexOf(name);
  return idx < 0 ? QColor() : kPalette[idx % kPaletteSize];
}

CurvePlot::Series& CurvePlot::ensureSeries(const QString& name) {
  if (Series* s = find(name)) return *s;
  auto s = std::make_unique<Series>();
  s->name = name;
  s->color = colorFor(name);
  s->raw = plot_->addGraph();
  s->raw->setName(name);
  s->raw->setAdaptiveSampling(true);
  s->smooth = plot_->addGraph();
  s->smooth->setName(name);
  s->smooth->setAdaptiveSampling(true);
  s->tracer = new QCPItemTracer(plot_);
  s->tracer->setLayer(QStringLiteral("overlay"));
  s->tracer->setStyle(QCPItemTracer::tsCircle);
  s->tracer->setSize(7);
  s->tracer->setPen(QPen(s->color, 2));
  s->tracer->setBrush(Qt::white);
  s->tracer->setInterpolating(false);
  s->tracer->setSelectable(false);
  s->tracer->setVisible(false);
  series_.push_back(std::move(s));
  Series& ref = *series_.back();
  applySeriesStyle(ref);
  updateLegend();
  return ref;
}

void CurvePlot::applySeriesStyle(Series& s) {
  const bool smoothing = alpha_ > 0.0;
  if (smoothing) {
    QColor faint = s.color;
    faint.setAlpha(70);
    s.raw->setPen(QPen(faint, 1.0));
    s.smooth->setPen(QPen(s.color, 2.0));
    s.smooth->setVisible(true);
  } else {
    s.raw->setPen(QPen(s.color, 1.6));
    s.smooth->setVisible(false);
  }
}

void CurvePlot::updateLegend() {
  QCPLegend* legend = plot_->legend;
  legend->clearItems();
  const bool smoothing = alpha_ > 0.0;
  for (auto& s : series_) (smoothing ? s->smooth : s->raw)->addToLegend(legend);
  legend->setVisible(series_.size() > 1);
  // Keep the legend as narrow as its items so the title gets the rest of the header row.
  legend->setMaximumSize(legend->minimumOuterSizeHint());
  scheduleReplot();
}

void CurvePlot::updateEmptyHint() {
  bool any = false;
  for (const auto& s : series_) any = any || !s->raw->data()->isEmpty();
  emptyHint_->setVisible(!any);
}

void CurvePlot::recomputeSmooth(Series& s) {
  s.smooth->data()->clear();
  s.emaM = 0.0;
  s.alphaPow = 1.0;
  if (alpha_ <= 0.0) return;
  const auto data = s.raw->data();
  QVector<double> keys, values;
  keys.reserve(data->size());
  values.reserve(data->size());
  for (auto it = data->constBegin(); it != data->constEnd(); ++it) {
    if (!std::isfinite(it->value)) continue;
    s.emaM = alpha_ * s.emaM + (1.0 - alpha_) * it->value;
    s.alphaPow *= alpha_;
    keys.append(it->key);
    values.append(s.emaM / (1.0 - s.alphaPow));
  }
  s.smooth->setData(keys, values, true);
}

QVector<double> CurvePlot::debiasedEma(const QVector<double>& ys, double alpha) {
  // The reports' definition (core/compare/SeriesStats.h); the plot clamps alpha instead of refusing.
  if (alpha <= 0.0) return ys;
  const auto smoothed = tb::debiasedEma(std::vector<double>(ys.begin(), ys.end()), std::min(alpha, 0.9999));
  return QVector<double>(smoothed.begin(), smoothed.end());
}

void CurvePlot::setSeries(const QString& name, const QVector<double>& xs, const QVector<double>& ys) {
  Series& s = ensureSeries(name);
  const int n = int(std::min(xs.size(), ys.size()));
  s.raw->setData(xs.mid(0, n), ys.mid(0, n));
  s.resetBounds();
  for (int i = 0; i < n; ++i) s.include(xs[i], ys[i]);
  recomputeSmooth(s);
  updateEmptyHint();
  scheduleReplot();
}

void CurvePlot::appendPoint(const QString& name, double x, double y) {
  Series& s = ensureSeries(name);
  const bool wasEmpty = s.raw->data()->isEmpty();
  const bool inOrder = wasEmpty || x >= (s.raw->data()->constEnd() - 1)->key;
  s.raw->addData(x, y);
  s.include(x, y);
  if (alpha_ > 0.0) {
    if (!inOrder) {
      recomputeSmooth(s);  // out-of-order point: smoothing follows key order
    } else if (std::isfinite(y)) {
      s.emaM = alpha_ * s.emaM + (1.0 - alpha_) * y;
      s.alphaPow *= alpha_;
      s.smooth->addData(x, s.emaM / (1.0 - s.alphaPow));
    }
  }
  if (wasEmpty) updateEmptyHint();
  scheduleReplot();
}

void CurvePlot::clear() {
  hideHover();
  for (auto& s : series_) {
    plot_->removeItem(s->tracer);
    plot_->removeGraph(s->raw);
    plot_->removeGraph(s->smooth);
  }
  series_.clear();
  userView_ = false;
  updateLegend();
  updateEmptyHint();
  scheduleReplot();
}

int CurvePlot::pointCount(const QString& name) const {
  const Series* s = find(name);
  return s ? s->raw->data()->size() : 0;
}

QStringList CurvePlot::seriesNames() const {
  QStringList names;
  for (const auto& s : series_) names.append(s->name);
  return names;
}

void CurvePlot::setSmoothing(double alpha) {
  if (!std::isfinite(alpha)) alpha = 0.0;
  alpha = std::clamp(alpha, 0.0, 0.999);
  if (alpha == alpha_) return;
  alpha_ = alpha;
  for (auto& s : series_) {
    recomputeSmooth(*s);
    applySeriesStyle(*s);
  }
  updateLegend();
  scheduleReplot();
}

QVector<double> CurvePlot::smoothedValues(const QString& name) const {
  QVector<double> out;
  const Series* s = find(name);
  if (!s || alpha_ <= 0.0) return out;
  const auto data = s->smooth->data();
  out.reserve(data->size());
  for (auto it = data->constBegin(); it != data->constEnd(); ++it) out.append(it->value);
  return out;
}

void CurvePlot::applyAutoRange() {
  double xMin = kInf, xMax = -kInf, yMin = kInf, yMax = -kInf;
  for (const auto& s : series_) {
    if (!s->hasBounds()) continue;
    xMin = std::min(xMin, s->xMin);
    xMax = std::max(xMax, s->xMax);
    yMin = std::min(yMin, s->yMin);
    yMax = std::max(yMax, s->yMax);
  }
  QCPRange xr(0, 10), yr(0, 1);
  if (xMin <= xMax) {
    const double xSpan = xMax - xMin;
    if (xSpan <= 1e-12 * std::max(1.0, std::fabs(xMax)))
      xr = QCPRange(xMin - 1.0, xMax + 1.0);
    else
      xr = QCPRange(xMin - 0.02 * xSpan, xMax + 0.02 * xSpan);
    const double ySpan = yMax - yMin;
    if (ySpan <= 1e-12 * std::max(1.0, std::fabs(yMax))) {
      const double pad = yMax != 0.0 ? 0.1 * std::fabs(yMax) : 0.5;
      yr = QCPRange(yMin - pad, yMax + pad);
    } else {
      yr = QCPRange(yMin - 0.08 * ySpan, yMax + 0.08 * ySpan);
    }
  }
  applyingRange_ = true;
  plot_->xAxis->setRange(xr);
  plot_->yAxis->setRange(yr);
  applyingRange_ = false;
}

void CurvePlot::resetView() {
  userView_ = false;
  zoomHint_->setVisible(false);
  applyAutoRange();
  scheduleReplot();
}

void CurvePlot::scheduleReplot() { plot_->replot(QCustomPlot::rpQueuedReplot); }

void CurvePlot::updateHover(const QPoint& pos, bool repaint) {
  const QRect area = plot_->axisRect()->rect();
  if (!area.contains(pos) || emptyHint_->visible()) {
    hideHover(repaint);
    return;
  }
  const double x = plot_->xAxis->pixelToCoord(pos.x());
  const bool smoothing = alpha_ > 0.0;

  // The data key nearest to the cursor over all series.
  double bestKey = 0.0, bestDist = kInf;
  for (const auto& s : series_) {
    const auto data = s->raw->data();
    const int i = nearestIndex(data, x);
    if (i < 0) continue;
    const double key = (data->constBegin() + i)->key;
    if (std::fabs(key - x) < bestDist) {
      bestDist = std::fabs(key - x);
      bestKey = key;
    }
  }
  if (!std::isfinite(bestDist)) {
    hideHover(repaint);
    return;
  }

  int nameWidth = 0;
  for (const auto& s : series_) nameWidth = std::max(nameWidth, int(s->name.size()));
  const QString xName = plot_->xAxis->label().isEmpty() ? QStringLiteral("x") : plot_->xAxis->label();
  QStringList lines{QStringLiteral("%1 %2").arg(xName, formatNumber(bestKey))};
  for (auto& s : series_) {
    const auto data = s->raw->data();
    const int i = nearestIndex(data, bestKey);
    if (i < 0) {
      s->tracer->setVisible(false);
      continue;
    }
    const double key = (data->constBegin() + i)->key;
    QString line = QStringLiteral("%1  %2").arg(s->name.leftJustified(nameWidth), formatNumber((data->constBegin() + i)->value));
    if (smoothing) {
      const auto sm = s->smooth->data();
      const int j = nearestIndex(sm, key);
      if (j >= 0) line += QStringLiteral("  (ema %1)").arg(formatNumber((sm->constBegin() + j)->value));
    }
    lines.append(line);
    // QCPItemTracer complains when its graph is empty: only point it at graphs with data.
    QCPGraph* target = smoothing && !s->smooth->data()->isEmpty() ? s->smooth : s->raw;
    s->tracer->setGraph(target);
    s->tracer->setGraphKey(key);
    s->tracer->setVisible(true);
  }
  readout_->setText(lines.join(QLatin1Char('\n')));
  crossLine_->point1->setCoords(bestKey, 0);
  crossLine_->point2->setCoords(bestKey, 1);

  // Place the read-out beside the cursor, flipped so it stays inside the plot area.
  const QFontMetrics fm(readout_->font());
  const QRect textRect = fm.boundingRect(QRect(0, 0, 10000, 10000), Qt::AlignLeft, readout_->text());
  const QMargins pad = readout_->padding();
  const int w = textRect.width() + pad.left() + pad.right();
  const int h = textRect.height() + pad.top() + pad.bottom();
  int px = pos.x() + 16, py = pos.y() + 16;
  if (px + w > area.right()) px = pos.x() - 16 - w;
  if (py + h > area.bottom()) py = pos.y() - 16 - h;
  px = std::max(px, area.left() + 2);
  py = std::max(py, area.top() + 2);
  readout_->position->setCoords(px, py);

  crossLine_->setVisible(true);
  readout_->setVisible(true);
  hovering_ = true;
  lastHoverPos_ = pos;
  if (repaint) plot_->layer(QStringLiteral("overlay"))->replot();
}

void CurvePlot::hideHover(bool repaint) {
  if (!hovering_) return;
  hovering_ = false;
  crossLine_->setVisible(false);
  readout_->setVisible(false);
  for (auto& s : series_) s->tracer->setVisible(false);
  if (repaint) plot_->layer(QStringLiteral("overlay"))->replot();
}

bool CurvePlot::eventFilter(QObject* watched, QEvent* event) {
  if (watched == plot_ && event->type() == QEvent::Leave) hideHover();
  return QWidget::eventFilter(watched, event);
}

void CurvePlot::showContextMenu(const QPoint& pos) {
  hideHover();
  QMenu menu(this);
  QAction* reset = menu.addAction(tr("Reset view"));
  reset->setEnabled(userView_);
  connect(reset, &QAction::triggered, this, &CurvePlot::resetView);
  menu.addSeparator();
  connect(menu.addAction(tr("Copy image")), &QAction::triggered, this, [this] {
    if (!userView_) applyAutoRange();
    QApplication::clipboard()->setPixmap(plot_->toPixmap());
  });
  connect(menu.addAction(tr("Save image…")), &QAction::triggered, this, [this] {
    QString base = title().isEmpty() ? QStringLiteral("plot") : title().toLower();
    base.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save plot"), base + QStringLiteral(".png"),
        tr("PNG image (*.png);;SVG image (*.svg);;PDF document (*.pdf)"));
    if (!path.isEmpty() && !exportImage(path))
      QMessageBox::warning(this, tr("Save plot"), tr("Could not write %1").arg(path));
  });
  menu.exec(plot_->mapToGlobal(pos));
}

bool CurvePlot::exportImage(const QString& path) {
  hideHover();
  if (!userView_) applyAutoRange();
  const int w = width() > 0 ? width() : 800;
  const int h = height() > 0 ? height() : 500;
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix == QLatin1String("png")) return plot_->savePng(path, w, h);
  if (suffix == QLatin1String("jpg") || suffix == QLatin1String("jpeg"))
    return plot_->saveJpg(path, w, h, 1.0, 95);
  if (suffix == QLatin1String("bmp")) return plot_->saveBmp(path, w, h);
  if (suffix == QLatin1String("pdf")) return plot_->savePdf(path, w, h);
  if (suffix == QLatin1String("svg")) {
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(QSize(w, h));
    generator.setViewBox(QRect(0, 0, w, h));
    generator.setTitle(title());
    QCPPainter painter;
    if (!painter.begin(&generator)) return false;
    plot_->toPainter(&painter, w, h);
    painter.end();
    return QFileInfo(path).size() > 0;
  }
  return false;
}

}  // namespace tb
