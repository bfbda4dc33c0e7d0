#pragma once
// The "Compare" tab: pick runs of the workspace (filter by text or regex, task, algorithm, status,
// experiment tag; select all matching), overlay the chosen metrics in synchronised plots
// (widgets/CompareChart) on an x axis of iterations, samples seen, tokens seen or wall time, with
// debiased-EMA or centred-window smoothing, grouped by algorithm or any config key across seeds
// (mean line with a 95% CI, std or min-max band computed on the union of the runs' x values,
// core/compare/SeriesStats.h), log scale, outlier-free y range, a legend whose colours are stable
// per algorithm with hide / isolate, the summary table (final, best, where, spread, tokens, time;
// sortable) and the config differences; exports the comparison as HTML, PDF, Markdown, CSV, JSON
// or TensorBoard event files. Reads the run store only; every failure becomes a status message.
#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/compare/Comparison.h"
#include "core/compare/ProgressAxis.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTimer;

namespace tb {

class CompareChart;
class RunStore;

class ComparePage : public QWidget {
  Q_OBJECT

 public:
  enum class Smoothing { None, Ema, Window };
  enum class Band { Ci95, Std, MinMax, None };

  explicit ComparePage(RunStore* store, QWidget* parent = nullptr);
  ~ComparePage() override;

  // Re-reads the workspace's runs (keeps the selection of runs that still exist).
  void reloadRuns();
  void setSelectedRuns(const QList<qint64>& ids);
  QList<qint64> selectedRuns() const;
  // Runs the filters let through, in the list's order.
  QList<qint64> matchingRuns() const;
  void selectAllMatching();
  void clearSelection();

  void setFilterText(const QString& text);  // substring of id / name / task / algorithm / tag, or a regex
  void setTaskFilter(const QString& task);  // "" = any
  void setAlgorithmFilter(const QString& algorithm);
  void setStatusFilter(const QString& status);
  void setTagFilter(const QString& tag);

  void setMetrics(const QStringList& metrics);
  QStringList metrics() const;
  QStringList availableMetrics() const;
  void setXAxis(XAxis axis);
  // "" = each run on its own; else "algorithm", "task", "experiment" or a config key.
  void setGroupBy(const QString& key);
  QString groupBy() const;
  void setSmoothing(Smoothing kind, double value);  // EMA alpha in [0, 1) or an odd window
  void setBand(Band band);
  void setLogY(bool on);
  void setIgnoreOutliers(bool on);

  // Legend keys ("run:<id>" or "group:<name>"): hide one, show only one, show all.
  QStringList legendKeys() const;
  void setCurveHidden(const QString& key, bool hidden);
  void isolateCurve(const QString& key);
  void showAllCurves();

  // A run of the workspace logged an iteration: redraws soon when it is selected.
  void runUpdated(qint64 runId);

  // Writes the comparison by the file's extension: .html .md .csv .json (core reports), .pdf
  // (widgets/PdfReport), .png/.svg (the plots as shown). False with the reason in statusText().
  bool exportTo(const QString& path);
  // TensorBoard event files of the selected runs, one folder per run under `directory`.
  bool exportTensorBoard(const QString& directory);

  CompareChart* chart() const { return chart_; }
  QTableWidget* runTable() const { return runTable_; }
  QTableWidget* summaryTable() const { return summary_; }
  QTableWidget* configDiffTable() const { return diff_; }
  QListWidget* legend() const { return legend_; }
  const RunComparison* comparison() const { return comparison_ ? comparison_.get() : nullptr; }
  QString statusText() const;

 signals:
  void selectionChanged();

 private:
  struct RunData;
  void buildUi();
  void applyFilters();
  void onRunChecked();
  void rebuildComparison();  // runs / metrics / grouping changed: tables and curves
  void rebuildCurves();      // display options changed: curves only
  void fillMetricList();
  void fillGroupByChoices();
  void fillSummary();
  void fillConfigDiff();
  void fillLegend();
  void applyHidden();
  void showStatus(const QString& text, bool error = false);
  void chooseExport();
  const RunData* runData(qint64 id);

  RunStore* store_;
  std::vector<RunRecord> runs_;  // the workspace's runs, newest first
  std::map<qint64, std::shared_ptr<RunData>> cache_;
  std::unique_ptr<RunComparison> comparison_;
  QSet<QString> hidden_;
  QStringList legendKeys_;
  bool updating_ = false;

  QLineEdit* filter_ = nullptr;
  QComboBox* taskFilter_ = nullptr;
  QComboBox* algorithmFilter_ = nullptr;
  QComboBox* statusFilter_ = nullptr;
  QComboBox* tagFilter_ = nullptr;
  QTableWidget* runTable_ = nullptr;
  QLabel* runCount_ = nullptr;
  QListWidget* metricList_ = nullptr;
  QComboBox* xAxis_ = nullptr;
  QComboBox* groupBy_ = nullptr;
  QComboBox* smoothing_ = nullptr;
  QDoubleSpinBox* alpha_ = nullptr;
  QSpinBox* window_ = nullptr;
  QComboBox* band_ = nullptr;
  QCheckBox* logY_ = nullptr;
  QCheckBox* outliers_ = nullptr;
  QPushButton* export_ = nullptr;
  CompareChart* chart_ = nullptr;
  QListWidget* legend_ = nullptr;
  QTableWidget* summary_ = nullptr;
  QTableWidget* diff_ = nullptr;
  QLabel* status_ = nullptr;
  QTimer* liveTimer_ = nullptr;
};

}  // namespace tb
