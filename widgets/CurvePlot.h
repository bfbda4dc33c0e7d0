#pragma once
// CurvePlot: a live line chart of named series (reward, entropy, loss, ...) over iterations, built
// on one QCustomPlot. Series are appended point by point while a run trains; replots are queued
// and coalesced so thousands of points stay cheap. Optional debiased-EMA smoothing draws a bold
// smoothed line over a faint raw one. Wheel zoom and drag pan; double-click (or the context menu)
// resets to auto-range. Hovering shows a crosshair with the values of every series. Plain Qt data
// only: this view knows nothing of the engine.
#include <QColor>
#include <QPoint>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include <memory>
#include <vector>

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QCPItemStraightLine;
class QCPItemTracer;
class QCPTextElement;
class QMouseEvent;

namespace tb {

class CurvePlot : public QWidget {
  Q_OBJECT

 public:
  explicit CurvePlot(QWidget* parent = nullptr);
  ~CurvePlot() override;

  void setTitle(const QString& title);
  QString title() const;
  void setXLabel(const QString& label);  // "iteration" by default
  void setYLabel(const QString& label);
  // Ticks of the x axis only at whole numbers (iterations), never 0.5 steps.
  void setIntegerX(bool integer);

  // Replaces (or creates) a series. xs and ys must have the same length (extra values are dropped).
  void setSeries(const QString& name, const QVector<double>& xs, const QVector<double>& ys);
  // Appends one point (creating the series on first use) and queues a coalesced replot.
  void appendPoint(const QString& name, double x, double y);
  // Removes every series; colours stay reserved for their names.
  void clear();

  int pointCount(const QString& name) const;  // 0 for an unknown series
  QStringList seriesNames() const;            // in insertion order

  // Debiased exponential moving average, alpha in [0, 1): 0 turns smoothing off.
  void setSmoothing(double alpha);
  double smoothing() const { return alpha_; }
  // The smoothed values of a series as drawn (empty when smoothing is off or the series unknown).
  QVector<double> smoothedValues(const QString& name) const;
  // m_t = alpha*m_{t-1} + (1-alpha)*y_t, s_t = m_t / (1 - alpha^t): a constant stays constant and
  // the first value equals the first raw value. Non-finite inputs are passed through unsmoothed.
  static QVector<double> debiasedEma(const QVector<double>& ys, double alpha);

  // The palette colour of a series (stable per name for the lifetime of the widget).
  QColor seriesColor(const QString& name) const;

  // True while the user has zoomed or panned; auto-range resumes after resetView().
  bool isUserView() const { return userView_; }
  void resetView();

  // Saves the plot at the widget's size: .png/.jpg/.bmp rastered, .pdf and .svg as vectors.
  bool exportImage(const QString& path);

  QCustomPlot* plot() const { return plot_; }

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Series;

  Series* find(const QString& name);
  const Series* find(const QString& name) const;
  Series& ensureSeries(const QString& name);
  QColor colorFor(const QString& name);
  void recomputeSmooth(Series& s);
  void applySeriesStyle(Series& s);
  void updateLegend();
  void updateEmptyHint();
  void applyAutoRange();
  void scheduleReplot();
  void updateHover(const QPoint& pos, bool repaint = true);
  void hideHover(bool repaint = true);
  void showContextMenu(const QPoint& pos);
  void styleAxes();

  QCustomPlot* plot_ = nullptr;
  QCPTextElement* titleElement_ = nullptr;
  QCPItemText* emptyHint_ = nullptr;
  QCPItemText* zoomHint_ = nullptr;
  QCPItemStraightLine* crossLine_ = nullptr;
  QCPItemText* readout_ = nullptr;
  std::vector<std::unique_ptr<Series>> series_;
  QStringList colorOrder_;  // names in first-seen order: index into the palette
  double alpha_ = 0.0;
  bool userView_ = false;
  bool applyingRange_ = false;
  bool hovering_ = false;
  QPoint lastHoverPos_;
};

}  // namespace tb
