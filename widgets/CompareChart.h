#pragma once
// CompareChart: several synchronised line plots (one per metric) of many runs or groups, for the
// compare view. Every plot shares the x range (zoom or pan one, all follow) and one crosshair:
// hovering any plot draws the vertical line in all of them, each with a read-out of every visible
// curve's value at that x (nearest point). A curve is a bold line (the smoothed values or a
// group's mean) over a faint raw line and, for groups, a translucent band between two bounds.
// Options: logarithmic y (non-positive values left out), y range ignoring outliers (2nd to 98th
// percentile of the visible lines), hidden curves. Plain Qt data: the page computes the curves.
#include <QColor>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QGridLayout;
class QScrollArea;

namespace tb {

struct CompareCurve {
  QString key;                 // unique within a plot ("run:12", "group:grpo"): hide/isolate by key
  QString label;               // legend / read-out text
  QColor colour;
  QVector<double> x;           // ascending
  QVector<double> y;           // drawn line, same size as x; NaN = gap
  QVector<double> raw;         // faint raw line (same x) or empty
  QVector<double> low, high;   // band bounds (same x) or empty
  QVector<double> spanLow, spanHigh;  // a group's runs' own min / max (same x) or empty: the axis shows
                                      // the band only that far (shownExtent, core/compare/SeriesStats.h)
};

struct ComparePlot {
  QString metric;
  QVector<CompareCurve> curves;
};

class CompareChart : public QWidget {
  Q_OBJECT
 public:
  explicit CompareChart(QWidget* parent = nullptr);
  ~CompareChart() override;

  // The plots, with the curves whose keys are in `hidden` left out.
  void setPlots(const QVector<ComparePlot>& plots, const QSet<QString>& hidden = {});
  const QVector<ComparePlot>& plots() const { return plots_; }
  void setXLabel(const QString& label);
  void setLogY(bool on);
  bool logY() const { return logY_; }
  void setIgnoreOutliers(bool on);
  bool ignoreOutliers() const { return ignoreOutliers_; }
  void setHidden(const QSet<QString>& keys);
  const QSet<QString>& hidden() const { return hidden_; }

  int plotCount() const { return int(widgets_.size()); }
  QCustomPlot* plotAt(int index) const;
  // The y range a plot shows after auto-ranging (for tests).
  QPair<double, double> yRange(int index) const;
  // Moves the crosshair to x in every plot; returns the read-out texts, one per plot.
  QStringList showCrosshair(double x);
  void hideCrosshair();
  // Back to the full x range of the data, every y range automatic.
  void resetView();

  // Replots every plot synchronously; returns the wall time in milliseconds (the benchmark's
  // "redraw").
  double redrawNow();
  // Saves the whole grid: .png rastered, .svg and .pdf as vectors. False with `error` set.
  bool exportImage(const QString& path, QString* error = nullptr);

 signals:
  void crosshairMoved(double x);

 private:
  void rebuild();
  void applyRanges();
  void syncX(QCustomPlot* source);
  QString readout(int plotIndex, double x) const;

  QVector<ComparePlot> plots_;
  std::vector<QCustomPlot*> widgets_;
  QScrollArea* scroll_ = nullptr;
  QWidget* grid_ = nullptr;
  QGridLayout* gridLayout_ = nullptr;
  QString xLabel_ = QStringLiteral("iteration");
  QSet<QString> hidden_;
  bool logY_ = false;
  bool ignoreOutliers_ = false;
  bool syncing_ = false;
};

}  // namespace tb
