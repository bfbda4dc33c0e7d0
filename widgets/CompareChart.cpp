// CompareChart: synchronised QCustomPlot line plots with a shared crosshair. See CompareChart.h.
#include "widgets/CompareChart.h"

#include "core/compare/SeriesStats.h"
#include "widgets/PlotStyle.h"

#include <qcustomplot.h>

#include <QElapsedTimer>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGridLayout>
#include <QImage>
#include <QPdfWriter>
#include <QSaveFile>
#include <QScrollArea>
#include <QSvgGenerator>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tb {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Antialiased lines are the bulk of a redraw (bench compare-view): above this many curves a plot
// draws thin aliased lines without the faint raw ones; above this many points, aliased lines.
constexpr int kAntialiasedCurves = 24;
constexpr qsizetype kAntialiasedPoints = 20000;

QString formatNumber(double v) {
  if (!std::isfinite(v)) return QStringLiteral("—");
  if (v == std::floor(v) && std::fabs(v) < 1e12) return QString::number(qint64(v));
  return QString::number(v, 'g', 5);
}

// Values for a log axis: non-positive ones become gaps.
QVector<double> forAxis(const QVector<double>& values, bool log) {
  if (!log) return values;
  QVector<double> out(values);
  for (double& v : out)
    if (!(v > 0)) v = kNaN;
  return out;
}

QCPGraph* addLine(QCustomPlot* plot, const QVector<double>& x, const QVector<double>& y, const QPen& pen) {
  QCPGraph* g = plot->addGraph();
  g->setAdaptiveSampling(true);
  g->setPen(pen);
  g->setData(x, y, true);
  return g;
}

// Index of the point of `xs` nearest to x (-1 when empty).
int nearest(const QVector<double>& xs, double x) {
  if (xs.isEmpty()) return -1;
  const auto it = std::lower_bound(xs.begin(), xs.end(), x);
  int i = int(it - xs.begin());
  if (i >= xs.size()) return int(xs.size()) - 1;
  if (i > 0 && std::fabs(xs[i - 1] - x) <= std::fabs(xs[i] - x)) --i;
  return i;
}

}  // namespace

CompareChart::CompareChart(QWidget* parent) : QWidget(parent) {
  scroll_ = new QScrollArea(this);
  scroll_->setWidgetResizable(true);
  scroll_->setFrameShape(QFrame::NoFrame);
  grid_ = new QWidget;
  gridLayout_ = new QGridLayout(grid_);
  gridLayout_->setContentsMargins(0, 0, 0, 0);
  gridLayout_->setSpacing(6);
  scroll_->setWidget(grid_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(scroll_);
  setMinimumSize(320, 240);
}

CompareChart::~CompareChart() = default;

QCustomPlot* CompareChart::plotAt(int index) const {
  return index >= 0 && index < plotCount() ? widgets_[size_t(index)] : nullptr;
}

void CompareChart::setPlots(const QVector<ComparePlot>& plots, const QSet<QString>& hidden) {
  plots_ = plots;
  hidden_ = hidden;
  rebuild();
}

void CompareChart::setXLabel(const QString& label) {
  xLabel_ = label;
  for (auto* plot : widgets_) {
    plot->xAxis->setLabel(label);
    setIntegerTicks(plot->xAxis, label == QLatin1String("iteration"));
    plot->replot(QCustomPlot::rpQueuedReplot);
  }
}

void CompareChart::setLogY(bool on) {
  if (on == logY_) return;
  logY_ = on;
  rebuild();
}

void CompareChart::setIgnoreOutliers(bool on) {
  if (on == ignoreOutliers_) return;
  ignoreOutliers_ = on;
  applyRanges();
}

void CompareChart::setHidden(const QSet<QString>& keys) {
  hidden_ = keys;
  rebuild();
}

void CompareChart::rebuild() {
  for (auto* plot : widgets_) {
    gridLayout_->removeWidget(plot);
    delete plot;
  }
  widgets_.clear();
  const int columns = plots_.size() > 1 ? 2 : 1;
  QFont titleFont = font();
  titleFont.setBold(true);
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(font().pointSizeF() * 0.85);

  for (int i = 0; i < plots_.size(); ++i) {
    const ComparePlot& data = plots_[i];
    auto* plot = new QCustomPlot(grid_);
    plot->setMinimumHeight(230);
    plot->setBackground(QBrush(Qt::white));
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->setNoAntialiasingOnDrag(true);
    plot->setAutoAddPlottableToLegend(false);  // the page has its own legend; hundreds of items cost time
    int visibleCurves = 0;
    qsizetype visiblePoints = 0;
    for (const CompareCurve& c : data.curves)
      if (!hidden_.contains(c.key)) {
        ++visibleCurves;
        visiblePoints += c.x.size();
      }
    const bool crowded = visibleCurves > kAntialiasedCurves;
    if (crowded || visiblePoints > kAntialiasedPoints) plot->setNotAntialiasedElements(QCP::aePlottables);
    plot->axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    plot->axisRect()->setRangeZoom(Qt::Horizontal);
    plot->layer(QStringLiteral("overlay"))->setMode(QCPLayer::lmBuffered);
    stylePlotAxes(plot, font());
    plot->xAxis->setLabel(xLabel_);
    setIntegerTicks(plot->xAxis, xLabel_ == QLatin1String("iteration"));
    if (logY_) {
      plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
      plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    plot->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(plot, data.metric, titleFont);
    title->setTextColor(plotstyle::kText);
    title->setTextFlags(Qt::AlignLeft | Qt::AlignVCenter);
    title->setMargins(QMargins(12, 6, 4, 0));
    plot->plotLayout()->addElement(0, 0, title);

    for (const CompareCurve& c : data.curves) {
      if (hidden_.contains(c.key)) continue;
      if (c.low.size() == c.x.size() && c.high.size() == c.x.size() && !c.x.isEmpty()) {
        QCPGraph* low = addLine(plot, c.x, forAxis(c.low, logY_), Qt::NoPen);
        QCPGraph* high = addLine(plot, c.x, forAxis(c.high, logY_), Qt::NoPen);
        QColor fill = c.colour;
        fill.setAlpha(48);
        high->setBrush(fill);
        high->setChannelFillGraph(low);
      }
      // A crowded plot leaves out the faint raw lines (noise under noise) and draws thin lines.
      if (!crowded && c.raw.size() == c.x.size() && !c.raw.isEmpty()) {
        QColor faint = c.colour;
        faint.setAlpha(60);
        addLine(plot, c.x, forAxis(c.raw, logY_), QPen(faint, 1));
      }
      addLine(plot, c.x, forAxis(c.y, logY_), QPen(c.colour, crowded ? 1.0 : 1.8));
    }

    auto* line = new QCPItemStraightLine(plot);
    line->setLayer(QStringLiteral("overlay"));
    line->setPen(QPen(QColor(0x70, 0x74, 0x80, 150), 1, Qt::DashLine));
    line->setSelectable(false);
    line->setVisible(false);
    auto* text = new QCPItemText(plot);
    text->setLayer(QStringLiteral("overlay"));
    text->position->setType(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(0.01, 0.02);
    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    text->setTextAlignment(Qt::AlignLeft);
    text->setPadding(QMargins(6, 4, 6, 4));
    text->setBrush(QColor(255, 255, 255, 230));
    text->setPen(QPen(QColor(0xc8, 0xcb, 0xd2)));
    text->setFont(mono);
    text->setColor(plotstyle::kText);
    text->setSelectable(false);
    text->setVisible(false);

    connect(plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this, plot] { syncX(plot); });
    connect(plot, &QCustomPlot::mouseMove, this, [this, plot](QMouseEvent* e) {
      if (e->buttons() != Qt::NoButton) return;
      const double x = plot->xAxis->pixelToCoord(e->position().x());
      showCrosshair(x);
      emit crosshairMoved(x);
    });
    connect(plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { resetView(); });
    plot->setMouseTracking(true);
    gridLayout_->addWidget(plot, i / columns, i % columns);
    widgets_.push_back(plot);
  }
  applyRanges();
}

void CompareChart::applyRanges() {
  double xMin = std::numeric_limits<double>::infinity(), xMax = -xMin;
  for (int i = 0; i < int(widgets_.size()); ++i) {
    std::vector<double> lines, extremes;
    for (const CompareCurve& c : plots_[i].curves) {
      if (hidden_.contains(c.key)) continue;
      for (int k = 0; k < c.x.size(); ++k) {
        if (!std::isfinite(c.y[k])) continue;
        xMin = std::min(xMin, c.x[k]);
        xMax = std::max(xMax, c.x[k]);
        if (!logY_ || c.y[k] > 0) lines.push_back(c.y[k]);
      }
      if (ignoreOutliers_) continue;
      const auto keep = [&](double v) {
        if (std::isfinite(v) && (!logY_ || v > 0)) extremes.push_back(v);
      };
      for (double v : c.raw) keep(v);
      if (c.low.size() == c.x.size() && c.high.size() == c.x.size()) {
        const bool spans = c.spanLow.size() == c.x.size() && c.spanHigh.size() == c.x.size();
        for (int k = 0; k < c.x.size(); ++k) {
          const auto [lo, hi] = shownExtent(c.y[k], c.low[k], c.high[k], spans ? c.spanLow[k] : std::nan(""),
                                            spans ? c.spanHigh[k] : std::nan(""));
          keep(lo);
          keep(hi);
        }
      }
    }
    QCustomPlot* plot = widgets_[size_t(i)];
    if (lines.empty()) {
      plot->yAxis->setRange(logY_ ? QCPRange(0.1, 10) : QCPRange(0, 1));
      continue;
    }
    double lo, hi;
    if (ignoreOutliers_ && lines.size() >= 10) {
      // 2nd and 98th percentile of the drawn lines: a few spikes no longer flatten the rest.
      const size_t a = size_t(0.02 * double(lines.size() - 1)), b = size_t(0.98 * double(lines.size() - 1));
      std::nth_element(lines.begin(), lines.begin() + long(a), lines.end());
      lo = lines[a];
      std::nth_element(lines.begin(), lines.begin() + long(b), lines.end());
      hi = lines[b];
    } else {
      const auto [mn, mx] = std::minmax_element(lines.begin(), lines.end());
      lo = *mn;
      hi = *mx;
      for (double v : extremes) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    if (logY_) {
      plot->yAxis->setRange(lo / 1.25, hi * 1.25);
    } else {
      // A constant series gets a unit-wide window around it, not a collapsed axis.
      const double pad = hi > lo ? 0.06 * (hi - lo) : std::max(0.5, 0.05 * std::fabs(hi));
      plot->yAxis->setRange(lo - pad, hi + pad);
    }
  }
  syncing_ = true;
  for (auto* plot : widgets_) {
    if (xMin <= xMax)
      plot->xAxis->setRange(xMin, xMax > xMin ? xMax : xMin + 1);
    plot->replot(QCustomPlot::rpQueuedReplot);
  }
  syncing_ = false;
}

void CompareChart::resetView() { applyRanges(); }

QPair<double, double> CompareChart::yRange(int index) const {
  const QCustomPlot* plot = plotAt(index);
  if (!plot) return {kNaN, kNaN};
  return {plot->yAxis->range().lower, plot->yAxis->range().upper};
}

void CompareChart::syncX(QCustomPlot* source) {
  if (syncing_) return;
  syncing_ = true;
  for (auto* plot : widgets_)
    if (plot != source) {
      plot->xAxis->setRange(source->xAxis->range());
      plot->replot(QCustomPlot::rpQueuedReplot);
    }
  syncing_ = false;
}

QString CompareChart::readout(int plotIndex, double x) const {
  struct Line {
    QString label;
    double value;
  };
  std::vector<Line> lines;
  for (const CompareCurve& c : plots_[plotIndex].curves) {
    if (hidden_.contains(c.key)) continue;
    const int k = nearest(c.x, x);
    if (k < 0) continue;
    lines.push_back({c.label, c.y[k]});
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    if (std::isfinite(a.value) != std::isfinite(b.value)) return std::isfinite(a.value);
    return a.value > b.value;
  });
  int width = 0;
  for (const auto& l : lines) width = std::max(width, int(l.label.size()));
  width = std::min(width, 28);
  QStringList out{QStringLiteral("%1 = %2").arg(xLabel_, formatNumber(x))};
  constexpr size_t kMaxLines = 10;
  for (size_t i = 0; i < lines.size() && i < kMaxLines; ++i)
    out << QStringLiteral("%1  %2").arg(lines[i].label.left(28), -width).arg(formatNumber(lines[i].value));
  if (lines.size() > kMaxLines) out << tr("… %1 more").arg(lines.size() - kMaxLines);
  return out.join(QLatin1Char('\n'));
}

QStringList CompareChart::showCrosshair(double x) {
  QStringList texts;
  for (int i = 0; i < int(widgets_.size()); ++i) {
    QCustomPlot* plot = widgets_[size_t(i)];
    auto* line = qobject_cast<QCPItemStraightLine*>(plot->item(0));
    auto* text = qobject_cast<QCPItemText*>(plot->item(1));
    if (!line || !text) continue;
    line->point1->setCoords(x, 0);
    line->point2->setCoords(x, 1);
    line->setVisible(true);
    texts << readout(i, x);
    text->setText(texts.back());
    // The read-out moves to the right half when the crosshair is in the left half.
    const bool right = x < plot->xAxis->range().center();
    text->position->setCoords(right ? 0.99 : 0.01, 0.02);
    text->setPositionAlignment((right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignTop);
    text->setVisible(true);
    plot->layer(QStringLiteral("overlay"))->replot();
  }
  return texts;
}

void CompareChart::hideCrosshair() {
  for (auto* plot : widgets_) {
    for (int k = 0; k < plot->itemCount(); ++k) plot->item(k)->setVisible(false);
    plot->layer(QStringLiteral("overlay"))->replot();
  }
}

double CompareChart::redrawNow() {
  QElapsedTimer timer;
  timer.start();
  for (auto* plot : widgets_) plot->replot(QCustomPlot::rpImmediateRefresh);
  return double(timer.nsecsElapsed()) / 1e6;
}

bool CompareChart::exportImage(const QString& path, QString* error) {
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  if (widgets_.empty()) return fail(tr("nothing to export: no plots"));
  hideCrosshair();
  const QSize size = grid_->size().isValid() && grid_->width() > 10 ? grid_->size() : QSize(1200, 800);
  const QString suffix = QFileInfo(path).suffix().toLower();
  QSaveFile file(path);  // written to a temporary and renamed on commit: never a partial file
  if (!file.open(QIODevice::WriteOnly)) return fail(file.errorString());
  auto paintAll = [&](QCPPainter& painter) {
    painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
    for (auto* plot : widgets_) {
      painter.save();
      painter.translate(plot->geometry().topLeft());
      plot->toPainter(&painter, plot->width(), plot->height());
      painter.restore();
    }
  };
  if (suffix == QLatin1String("png")) {
    QImage image(size, QImage::Format_RGB32);
    image.fill(Qt::white);
    QCPPainter painter(&image);
    paintAll(painter);
    painter.end();
    if (!image.save(&file, "PNG")) return fail(tr("could not encode the PNG"));
  } else if (suffix == QLatin1String("svg")) {
    QSvgGenerator generator;
    generator.setOutputDevice(&file);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    QCPPainter painter;
    if (!painter.begin(&generator)) return fail(tr("could not start the SVG"));
    paintAll(painter);
    painter.end();
  } else if (suffix == QLatin1String("pdf")) {
    QPdfWriter writer(&file);
    writer.setResolution(72);
    writer.setPageSize(QPageSize(QSizeF(size), QPageSize::Point));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    QCPPainter painter;
    if (!painter.begin(&writer)) return fail(tr("could not start the PDF"));
    paintAll(painter);
    painter.end();
  } else {
    file.cancelWriting();
    return fail(tr("unknown image type '%1': expected .png, .svg or .pdf").arg(suffix));
  }
  if (!file.commit()) return fail(file.errorString());
  return true;
}

}  // namespace tb
