// The "Compare" tab. See ComparePage.h.
#include "app/gui/ComparePage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPainter>
#include <QPixmap>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/compare/HtmlReport.h"
#include "core/compare/Reports.h"
#include "core/compare/SeriesStats.h"
#include "core/export/TensorBoardWriter.h"
#include "core/store/RunStore.h"
#include "widgets/CompareChart.h"
#include "widgets/PdfReport.h"
#include "widgets/TableStyle.h"

namespace tb {

namespace {

constexpr int kIdRole = Qt::UserRole + 1;
constexpr int kKeyRole = Qt::UserRole + 2;

QString q(const std::string& s) { return QString::fromStdString(s); }

QVector<double> toQ(const std::vector<double>& v) { return QVector<double>(v.begin(), v.end()); }

// Sorts by the numeric value in Qt::UserRole when both cells have one, else by text.
class SortItem : public QTableWidgetItem {
 public:
  using QTableWidgetItem::QTableWidgetItem;
  bool operator<(const QTableWidgetItem& other) const override {
    const QVariant a = data(Qt::UserRole), b = other.data(Qt::UserRole);
    if (a.isValid() && b.isValid()) return a.toDouble() < b.toDouble();
    if (a.isValid() != b.isValid()) return !a.isValid();  // blanks first
    return text() < other.text();
  }
};

QTableWidgetItem* cell(const QString& text, double number = std::nan("")) {
  auto* item = new SortItem(text);
  if (std::isfinite(number)) {
    item->setData(Qt::UserRole, number);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  }
  return item;
}

QTableWidgetItem* valueCell(double value) { return cell(q(formatValue(value)), value); }

QIcon swatch(const QColor& colour) {
  QPixmap pixmap(14, 14);
  pixmap.fill(Qt::transparent);
  QPainter painter(&pixmap);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.setBrush(colour);
  painter.setPen(colour.darker(120));
  painter.drawRoundedRect(QRectF(1, 1, 12, 12), 3, 3);
  return QIcon(pixmap);
}

// A shade of the base colour for the index-th run of the same algorithm: first the colour itself,
// then alternately darker and lighter, so seeds stay recognisably one algorithm.
QColor shade(const QColor& base, int index) {
  if (index == 0) return base;
  const int step = (index + 1) / 2;
  return index % 2 ? base.darker(100 + 28 * step) : base.lighter(100 + 22 * step);
}

}  // namespace

struct ComparePage::RunData {
  RunRecord record;
  std::map<std::string, std::vector<MetricPoint>> metrics;
  std::unique_ptr<ProgressAxis> axis;
};

ComparePage::ComparePage(RunStore* store, QWidget* parent) : QWidget(parent), store_(store) {
  buildUi();
  liveTimer_ = new QTimer(this);
  liveTimer_->setSingleShot(true);
  liveTimer_->setInterval(1000);
  connect(liveTimer_, &QTimer::timeout, this, [this] { rebuildComparison(); });
  reloadRuns();
}

ComparePage::~ComparePage() = default;

void ComparePage::buildUi() {
  // Left: the run picker and the metrics.
  filter_ = new QLineEdit;
  filter_->setPlaceholderText(tr("Filter runs: text or regex (e.g. grpo|dapo)"));
  filter_->setClearButtonEnabled(true);
  taskFilter_ = new QComboBox;
  algorithmFilter_ = new QComboBox;
  statusFilter_ = new QComboBox;
  tagFilter_ = new QComboBox;
  auto* filters = new QFormLayout;
  filters->setContentsMargins(0, 0, 0, 0);
  filters->addRow(filter_);
  auto* combos = new QHBoxLayout;
  for (auto* combo : {taskFilter_, algorithmFilter_, statusFilter_, tagFilter_}) {
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(6);
    combos->addWidget(combo, 1);
  }
  filters->addRow(combos);

  runTable_ = new QTableWidget(0, 6);
  runTable_->setHorizontalHeaderLabels({tr("id"), tr("name"), tr("algorithm"), tr("task"), tr("status"), tr("tag")});
  applyListTableStyle(runTable_);
  runTable_->setSelectionMode(QAbstractItemView::NoSelection);
  runTable_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  runTable_->horizontalHeader()->setStretchLastSection(true);
  runTable_->setSortingEnabled(true);
  auto* selectAll = new QPushButton(tr("Select all matching"));
  auto* clear = new QPushButton(tr("Clear"));
  runCount_ = new QLabel;
  auto* runButtons = new QHBoxLayout;
  runButtons->addWidget(selectAll);
  runButtons->addWidget(clear);
  runButtons->addStretch(1);
  runButtons->addWidget(runCount_);

  metricList_ = new QListWidget;
  metricList_->setToolTip(tr("Metrics to plot, one synchronised plot each"));

  auto* runsBox = new QWidget;
  auto* runsLayout = new QVBoxLayout(runsBox);
  runsLayout->setContentsMargins(0, 0, 0, 0);
  runsLayout->addWidget(new QLabel(tr("<b>Runs</b>")));
  runsLayout->addLayout(filters);
  runsLayout->addWidget(runTable_, 1);
  runsLayout->addLayout(runButtons);
  auto* metricsBox = new QWidget;
  auto* metricsLayout = new QVBoxLayout(metricsBox);
  metricsLayout->setContentsMargins(0, 0, 0, 0);
  metricsLayout->addWidget(new QLabel(tr("<b>Metrics</b>")));
  metricsLayout->addWidget(metricList_, 1);
  auto* left = new QSplitter(Qt::Vertical);
  left->addWidget(runsBox);
  left->addWidget(metricsBox);
  left->setStretchFactor(0, 3);
  left->setStretchFactor(1, 2);

  // Top bar: axis, grouping, smoothing, band, scale, export.
  xAxis_ = new QComboBox;
  for (XAxis a : allXAxes()) xAxis_->addItem(QString::fromUtf8(xAxisName(a)), int(a));
  groupBy_ = new QComboBox;
  groupBy_->setEditable(false);
  smoothing_ = new QComboBox;
  smoothing_->addItems({tr("none"), tr("debiased EMA"), tr("centred window")});
  smoothing_->setCurrentIndex(1);
  alpha_ = new QDoubleSpinBox;
  alpha_->setRange(0.0, 0.99);
  alpha_->setSingleStep(0.05);
  alpha_->setValue(0.6);
  alpha_->setToolTip(tr("EMA weight of the past (0 = off, 0.99 = very smooth)"));
  window_ = new QSpinBox;
  window_->setRange(1, 1001);
  window_->setSingleStep(2);
  window_->setValue(5);
  window_->setToolTip(tr("Points in the centred window (odd)"));
  window_->setVisible(false);
  band_ = new QComboBox;
  band_->addItems({tr("95% CI"), tr("std"), tr("min–max"), tr("no band")});
  logY_ = new QCheckBox(tr("Log scale"));
  outliers_ = new QCheckBox(tr("Ignore outliers"));
  outliers_->setToolTip(tr("Y range from the 2nd to the 98th percentile of the lines"));
  export_ = new QPushButton(tr("Export…"));
  auto* bar = new QHBoxLayout;
  auto label = [](const QString& text) { return new QLabel(text); };
  bar->addWidget(label(tr("x:")));
  bar->addWidget(xAxis_);
  bar->addSpacing(8);
  bar->addWidget(label(tr("Group by:")));
  bar->addWidget(groupBy_);
  bar->addSpacing(8);
  bar->addWidget(label(tr("Smoothing:")));
  bar->addWidget(smoothing_);
  bar->addWidget(alpha_);
  bar->addWidget(window_);
  bar->addSpacing(8);
  bar->addWidget(label(tr("Band:")));
  bar->addWidget(band_);
  bar->addSpacing(8);
  bar->addWidget(logY_);
  bar->addWidget(outliers_);
  bar->addStretch(1);
  bar->addWidget(export_);

  chart_ = new CompareChart;
  legend_ = new QListWidget;
  legend_->setToolTip(tr("Untick to hide a curve; double-click to show it alone"));
  legend_->setMinimumWidth(170);
  legend_->setMaximumWidth(280);
  auto* showAll = new QPushButton(tr("Show all"));
  auto* legendBox = new QWidget;
  auto* legendLayout = new QVBoxLayout(legendBox);
  legendLayout->setContentsMargins(0, 0, 0, 0);
  legendLayout->addWidget(new QLabel(tr("<b>Legend</b>")));
  legendLayout->addWidget(legend_, 1);
  legendLayout->addWidget(showAll);
  auto* plots = new QSplitter(Qt::Horizontal);
  plots->addWidget(chart_);
  plots->addWidget(legendBox);
  plots->setStretchFactor(0, 1);
  plots->setStretchFactor(1, 0);

  summary_ = new QTableWidget(0, 10);
  summary_->setHorizontalHeaderLabels({tr("group"), tr("run"), tr("metric"), tr("runs"), tr("final"), tr("best"),
                                       tr("at iteration"), tr("spread (std of finals)"), tr("tokens"), tr("time (s)")});
  applyListTableStyle(summary_);
  summary_->setSortingEnabled(true);
  diff_ = new QTableWidget;
  applyListTableStyle(diff_);
  auto* tables = new QTabWidget;
  tables->addTab(summary_, tr("Summary"));
  tables->addTab(diff_, tr("Config differences"));

  auto* centre = new QSplitter(Qt::Vertical);
  centre->addWidget(plots);
  centre->addWidget(tables);
  centre->setStretchFactor(0, 3);
  centre->setStretchFactor(1, 1);
  status_ = new QLabel;
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* rightBox = new QWidget;
  auto* right = new QVBoxLayout(rightBox);
  right->setContentsMargins(0, 0, 0, 0);
  right->addLayout(bar);
  right->addWidget(centre, 1);
  right->addWidget(status_);

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(left);
  split->addWidget(rightBox);
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({380, 1100});
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(split);

  // Wiring.
  connect(filter_, &QLineEdit::textChanged, this, [this] { applyFilters(); });
  for (auto* combo : {taskFilter_, algorithmFilter_, statusFilter_, tagFilter_})
    connect(combo, &QComboBox::currentIndexChanged, this, [this] { applyFilters(); });
  connect(runTable_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
    if (!updating_ && item->column() == 0) onRunChecked();
  });
  connect(selectAll, &QPushButton::clicked, this, &ComparePage::selectAllMatching);
  connect(clear, &QPushButton::clicked, this, &ComparePage::clearSelection);
  connect(metricList_, &QListWidget::itemChanged, this, [this] {
    if (!updating_) rebuildComparison();
  });
  connect(xAxis_, &QComboBox::currentIndexChanged, this, [this] { rebuildCurves(); });
  connect(groupBy_, &QComboBox::currentIndexChanged, this, [this] {
    if (!updating_) rebuildComparison();
  });
  connect(smoothing_, &QComboBox::currentIndexChanged, this, [this](int index) {
    alpha_->setVisible(index == 1);
    window_->setVisible(index == 2);
    rebuildCurves();
  });
  connect(alpha_, &QDoubleSpinBox::valueChanged, this, [this] { rebuildCurves(); });
  connect(window_, &QSpinBox::valueChanged, this, [this](int value) {
    if (value % 2 == 0) {
      window_->setValue(value + 1);  // a centred window has an odd number of points
      return;
    }
    rebuildCurves();
  });
  connect(band_, &QComboBox::currentIndexChanged, this, [this] { rebuildCurves(); });
  connect(logY_, &QCheckBox::toggled, chart_, &CompareChart::setLogY);
  connect(outliers_, &QCheckBox::toggled, chart_, &CompareChart::setIgnoreOutliers);
  connect(export_, &QPushButton::clicked, this, &ComparePage::chooseExport);
  connect(legend_, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
    if (updating_) return;
    const QString key = item->data(kKeyRole).toString();
    if (item->checkState() == Qt::Checked)
      hidden_.remove(key);
    else
      hidden_.insert(key);
    applyHidden();
  });
  connect(legend_, &QListWidget::itemDoubleClicked, this,
          [this](QListWidgetItem* item) { isolateCurve(item->data(kKeyRole).toString()); });
  connect(showAll, &QPushButton::clicked, this, &ComparePage::showAllCurves);
}

QString ComparePage::statusText() const { return status_->text(); }

void ComparePage::showStatus(const QString& text, bool error) {
  status_->setText(text);
  status_->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QString());
}

// ---- runs ----

void ComparePage::reloadRuns() {
  const QList<qint64> selected = selectedRuns();
  try {
    runs_ = store_->runs();
  } catch (const std::exception& e) {
    showStatus(tr("Cannot read the runs: %1").arg(QString::fromUtf8(e.what())), true);
    return;
  }
  updating_ = true;
  auto fillCombo = [](QComboBox* combo, const QString& any, const std::set<std::string>& values) {
    const QString current = combo->currentData().toString();
    combo->clear();
    combo->addItem(any, QString());
    for (const auto& v : values) combo->addItem(q(v), q(v));
    const int index = combo->findData(current);
    combo->setCurrentIndex(index < 0 ? 0 : index);
  };
  std::set<std::string> tasks, algorithms, statuses, tags;
  for (const auto& r : runs_) {
    tasks.insert(r.task);
    algorithms.insert(r.algorithm);
    statuses.insert(runStatusName(r.status));
    if (!r.experiment.empty()) tags.insert(r.experiment);
  }
  fillCombo(taskFilter_, tr("any task"), tasks);
  fillCombo(algorithmFilter_, tr("any algorithm"), algorithms);
  fillCombo(statusFilter_, tr("any status"), statuses);
  fillCombo(tagFilter_, tr("any tag"), tags);

  runTable_->setSortingEnabled(false);
  runTable_->setRowCount(int(runs_.size()));
  for (int row = 0; row < int(runs_.size()); ++row) {
    const RunRecord& r = runs_[size_t(row)];
    auto* id = cell(QString::number(r.id), double(r.id));
    id->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    id->setCheckState(selected.contains(r.id) ? Qt::Checked : Qt::Unchecked);
    id->setData(kIdRole, qint64(r.id));
    runTable_->setItem(row, 0, id);
    const QStringList texts = {q(r.name), q(r.algorithm), q(r.task), QString::fromUtf8(runStatusName(r.status)),
                               q(r.experiment)};
    for (int c = 0; c < texts.size(); ++c) {
      auto* item = cell(texts[c]);
      item->setFlags(Qt::ItemIsEnabled);
      runTable_->setItem(row, c + 1, item);
    }
  }
  runTable_->setSortingEnabled(true);
  updating_ = false;
  applyFilters();
  // Runs that are gone leave the selection; finished runs' data stays cached.
  QList<qint64> still;
  for (qint64 id : selected)
    if (std::any_of(runs_.begin(), runs_.end(), [&](const RunRecord& r) { return r.id == id; })) still << id;
  if (still != selected) setSelectedRuns(still);
}

void ComparePage::applyFilters() {
  const QString text = filter_->text().trimmed();
  QRegularExpression regex(text, QRegularExpression::CaseInsensitiveOption);
  const bool useRegex = !text.isEmpty() && regex.isValid();
  const QString task = taskFilter_->currentData().toString(), algorithm = algorithmFilter_->currentData().toString(),
                status = statusFilter_->currentData().toString(), tag = tagFilter_->currentData().toString();
  int shown = 0;
  for (int row = 0; row < runTable_->rowCount(); ++row) {
    auto value = [&](int column) { return runTable_->item(row, column)->text(); };
    const QString haystack = QStringList{QStringLiteral("#") + value(0), value(1), value(2), value(3), value(5)}.join(' ');
    bool ok = text.isEmpty() || haystack.contains(text, Qt::CaseInsensitive) || (useRegex && regex.match(haystack).hasMatch());
    ok = ok && (task.isEmpty() || value(3) == task) && (algorithm.isEmpty() || value(2) == algorithm) &&
         (status.isEmpty() || value(4) == status) && (tag.isEmpty() || value(5) == tag);
    runTable_->setRowHidden(row, !ok);
    shown += ok;
  }
  if (!text.isEmpty() && !regex.isValid())
    showStatus(tr("Filter: not a valid regular expression (%1); matching as plain text").arg(regex.errorString()));
  runCount_->setText(tr("%1 shown · %2 selected").arg(shown).arg(selectedRuns().size()));
}

QList<qint64> ComparePage::selectedRuns() const {
  QList<qint64> ids;
  for (int row = 0; row < runTable_->rowCount(); ++row)
    if (auto* item = runTable_->item(row, 0); item && item->checkState() == Qt::Checked)
      ids << item->data(kIdRole).toLongLong();
  std::sort(ids.begin(), ids.end());
  return ids;
}

QList<qint64> ComparePage::matchingRuns() const {
  QList<qint64> ids;
  for (int row = 0; row < runTable_->rowCount(); ++row)
    if (!runTable_->isRowHidden(row)) ids << runTable_->item(row, 0)->data(kIdRole).toLongLong();
  return ids;
}

void ComparePage::setSelectedRuns(const QList<qint64>& ids) {
  updating_ = true;
  for (int row = 0; row < runTable_->rowCount(); ++row) {
    auto* item = runTable_->item(row, 0);
    item->setCheckState(ids.contains(item->data(kIdRole).toLongLong()) ? Qt::Checked : Qt::Unchecked);
  }
  updating_ = false;
  onRunChecked();
}

void ComparePage::selectAllMatching() {
  QList<qint64> ids = selectedRuns();
  for (qint64 id : matchingRuns())
    if (!ids.contains(id)) ids << id;
  setSelectedRuns(ids);
}

void ComparePage::clearSelection() { setSelectedRuns({}); }

void ComparePage::setFilterText(const QString& text) { filter_->setText(text); }

static void selectData(QComboBox* combo, const QString& value) {
  const int index = combo->findData(value);
  combo->setCurrentIndex(index < 0 ? 0 : index);
}

void ComparePage::setTaskFilter(const QString& task) { selectData(taskFilter_, task); }
void ComparePage::setAlgorithmFilter(const QString& algorithm) { selectData(algorithmFilter_, algorithm); }
void ComparePage::setStatusFilter(const QString& status) { selectData(statusFilter_, status); }
void ComparePage::setTagFilter(const QString& tag) { selectData(tagFilter_, tag); }

void ComparePage::onRunChecked() {
  applyFilters();
  fillMetricList();
  fillGroupByChoices();
  rebuildComparison();
  emit selectionChanged();
}

const ComparePage::RunData* ComparePage::runData(qint64 id) {
  auto it = cache_.find(id);
  if (it != cache_.end()) return it->second.get();
  auto record = store_->run(id);
  if (!record) return nullptr;
  auto data = std::make_shared<RunData>();
  data->record = *record;
  data->metrics = store_->metrics(id);
  data->axis = std::make_unique<ProgressAxis>(data->metrics, data->record.config);
  return (cache_[id] = data).get();
}

void ComparePage::runUpdated(qint64 runId) {
  cache_.erase(runId);
  if (selectedRuns().contains(runId) && !liveTimer_->isActive()) liveTimer_->start();
}

// ---- options ----

void ComparePage::fillMetricList() {
  QStringList checked = metrics();
  std::set<std::string> present;
  try {
    for (qint64 id : selectedRuns())
      if (const RunData* d = runData(id))
        for (const auto& [name, points] : d->metrics)
          if (!points.empty()) present.insert(name);
  } catch (const std::exception& e) {
    showStatus(tr("Cannot read metrics: %1").arg(QString::fromUtf8(e.what())), true);
  }
  if (checked.isEmpty())
    for (const auto& m : defaultComparisonMetrics())
      if (present.count(m)) checked << q(m);
  updating_ = true;
  metricList_->clear();
  // The default metrics first (in their order), then the rest alphabetically.
  QStringList order;
  for (const auto& m : defaultComparisonMetrics())
    if (present.count(m)) order << q(m);
  for (const auto& m : present)
    if (!order.contains(q(m))) order << q(m);
  for (const QString& m : order) {
    auto* item = new QListWidgetItem(m, metricList_);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    item->setCheckState(checked.contains(m) ? Qt::Checked : Qt::Unchecked);
  }
  updating_ = false;
}

QStringList ComparePage::metrics() const {
  QStringList out;
  for (int i = 0; i < metricList_->count(); ++i)
    if (metricList_->item(i)->checkState() == Qt::Checked) out << metricList_->item(i)->text();
  return out;
}

QStringList ComparePage::availableMetrics() const {
  QStringList out;
  for (int i = 0; i < metricList_->count(); ++i) out << metricList_->item(i)->text();
  return out;
}

void ComparePage::setMetrics(const QStringList& metrics) {
  updating_ = true;
  for (int i = 0; i < metricList_->count(); ++i)
    metricList_->item(i)->setCheckState(metrics.contains(metricList_->item(i)->text()) ? Qt::Checked : Qt::Unchecked);
  updating_ = false;
  rebuildComparison();
}

void ComparePage::fillGroupByChoices() {
  const QString current = groupBy_->currentIndex() < 0 ? QStringLiteral("algorithm") : groupBy_->currentData().toString();
  updating_ = true;
  groupBy_->clear();
  groupBy_->addItem(tr("nothing (each run)"), QString());
  for (const char* key : {"algorithm", "task", "experiment"}) groupBy_->addItem(QString::fromUtf8(key), QString::fromUtf8(key));
  // Config keys that differ between the selected runs (seeds, learning rates, ...).
  std::set<std::string> differing;
  std::map<std::string, std::set<std::string>> values;
  size_t count = 0;
  for (qint64 id : selectedRuns())
    if (const RunData* d = runData(id)) {
      ++count;
      if (d->record.config.is_object())
        for (const auto& [k, v] : d->record.config.items()) values[k].insert(v.dump());
    }
  for (const auto& [k, v] : values)
    if (v.size() > 1 && k != "run.name") groupBy_->addItem(q(k), q(k));
  const int index = groupBy_->findData(current);
  groupBy_->setCurrentIndex(index < 0 ? 1 : index);
  updating_ = false;
}

QString ComparePage::groupBy() const { return groupBy_->currentData().toString(); }

void ComparePage::setGroupBy(const QString& key) {
  int index = groupBy_->findData(key);
  if (index < 0) {
    groupBy_->addItem(key, key);
    index = groupBy_->count() - 1;
  }
  groupBy_->setCurrentIndex(index);
}

void ComparePage::setXAxis(XAxis axis) { xAxis_->setCurrentIndex(xAxis_->findData(int(axis))); }

void ComparePage::setSmoothing(Smoothing kind, double value) {
  if (kind == Smoothing::Ema) alpha_->setValue(value);
  if (kind == Smoothing::Window) window_->setValue(int(value) | 1);
  smoothing_->setCurrentIndex(int(kind));
  rebuildCurves();
}

void ComparePage::setBand(Band band) { band_->setCurrentIndex(int(band)); }
void ComparePage::setLogY(bool on) { logY_->setChecked(on); }
void ComparePage::setIgnoreOutliers(bool on) { outliers_->setChecked(on); }

// ---- the comparison ----

void ComparePage::rebuildComparison() {
  const QList<qint64> ids = selectedRuns();
  comparison_.reset();
  if (ids.isEmpty()) {
    chart_->setPlots({});
    summary_->setRowCount(0);
    diff_->setRowCount(0);
    diff_->setColumnCount(0);
    legend_->clear();
    showStatus(tr("Tick runs on the left (or filter and \"Select all matching\") to compare them."));
    return;
  }
  QStringList chosen = metrics();
  if (chosen.isEmpty()) {
    chart_->setPlots({});
    showStatus(tr("Tick at least one metric to plot."));
    return;
  }
  try {
    std::vector<std::int64_t> runIds(ids.begin(), ids.end());
    std::vector<std::string> names;
    for (const QString& m : chosen) names.push_back(m.toStdString());
    const QString key = groupBy();
    // The series come from this page's cache (read once per run), not from SQLite again.
    auto cached = [this](std::int64_t id) {
      const RunData* d = runData(id);
      return d ? d->metrics : RunMetrics{};
    };
    comparison_ = std::make_unique<RunComparison>(
        buildComparison(*store_, runIds, names, key.isEmpty() ? "algorithm" : key.toStdString(), cached));
  } catch (const std::exception& e) {
    showStatus(tr("Cannot compare: %1").arg(QString::fromUtf8(e.what())), true);
    return;
  }
  fillSummary();
  fillConfigDiff();
  rebuildCurves();
}

void ComparePage::rebuildCurves() {
  if (!comparison_) return;
  const auto axis = XAxis(xAxis_->currentData().toInt());
  const QString key = groupBy();
  const bool grouped = !key.isEmpty();
  const int smoothing = smoothing_->currentIndex();
  const Band band = Band(band_->currentIndex());
  auto smooth = [&](const std::vector<double>& ys) {
    if (smoothing == 1) return debiasedEma(ys, alpha_->value());
    if (smoothing == 2) return centredMovingAverage(ys, window_->value() | 1);
    return ys;
  };

  // Colours: one per algorithm (runs) or per group, the same as the reports'.
  std::vector<std::string> colourNames;
  for (const auto& r : comparison_->runs) colourNames.push_back(grouped ? r.group : r.record.algorithm);
  const auto colours = groupColours(colourNames);

  QVector<ComparePlot> plots;
  std::map<QString, QPair<QString, QColor>> legendInfo;
  int estimated = 0;
  try {
    for (const auto& metric : comparison_->metrics) {
      ComparePlot plot;
      plot.metric = q(metric);
      // Every run's series on the chosen axis, smoothed.
      std::map<std::string, std::vector<Series>> rawByGroup, smoothByGroup;
      std::map<std::string, int> shadeIndex;
      for (const auto& r : comparison_->runs) {
        const RunData* d = runData(r.record.id);
        if (!d) continue;
        const auto it = d->metrics.find(metric);
        if (it == d->metrics.end() || it->second.empty()) continue;
        Series s = d->axis->place(it->second, axis);
        if (s.x.empty()) continue;
        if ((axis == XAxis::Samples && d->axis->samplesEstimated()) || (axis == XAxis::Tokens && d->axis->tokensEstimated()))
          ++estimated;
        Series sm{s.x, smooth(s.y)};
        if (grouped) {
          rawByGroup[r.group].push_back(s);
          smoothByGroup[r.group].push_back(std::move(sm));
          continue;
        }
        CompareCurve c;
        c.key = QStringLiteral("run:%1").arg(r.record.id);
        c.label = q(runLabel(r.record));
        const QString hex = q(colours.at(r.record.algorithm));
        c.colour = shade(QColor(hex), shadeIndex[r.record.algorithm]++);
        c.x = toQ(s.x);
        c.y = toQ(sm.y);
        if (smoothing != 0) c.raw = toQ(s.y);
        legendInfo[c.key] = {c.label, c.colour};
        plot.curves.push_back(std::move(c));
      }
      for (const auto& g : comparison_->groups) {
        if (!grouped || !smoothByGroup.count(g.name)) continue;
        const auto smoothed = alignedGroup(smoothByGroup[g.name]);
        const auto raw = alignedGroup(rawByGroup[g.name]);
        CompareCurve c;
        c.key = QStringLiteral("group:%1").arg(q(g.name));
        c.label = QStringLiteral("%1 (%2)").arg(q(g.name)).arg(g.runIds.size());
        c.colour = QColor(q(colours.at(g.name)));
        for (const auto& p : smoothed) {
          c.x << p.x;
          c.y << p.mean;
          double lo = std::nan(""), hi = std::nan("");
          if (band == Band::Ci95 && p.n >= 2) lo = p.mean - p.ci95, hi = p.mean + p.ci95;
          if (band == Band::Std && p.n >= 2) lo = p.mean - p.std, hi = p.mean + p.std;
          if (band == Band::MinMax && p.n >= 2) lo = p.min, hi = p.max;
          c.low << lo;
          c.high << hi;
          c.spanLow << p.min;
          c.spanHigh << p.max;
        }
        if (band == Band::None) c.low.clear(), c.high.clear();
        if (smoothing != 0 && raw.size() == smoothed.size())
          for (const auto& p : raw) c.raw << p.mean;
        legendInfo[c.key] = {c.label, c.colour};
        plot.curves.push_back(std::move(c));
      }
      plots.push_back(std::move(plot));
    }
  } catch (const std::exception& e) {
    showStatus(tr("Cannot draw the comparison: %1").arg(QString::fromUtf8(e.what())), true);
    return;
  }
  legendKeys_.clear();
  // Legend in the comparison's order: groups as they first appear, runs as listed.
  if (grouped) {
    for (const auto& g : comparison_->groups)
      if (legendInfo.count(QStringLiteral("group:%1").arg(q(g.name)))) legendKeys_ << QStringLiteral("group:%1").arg(q(g.name));
  } else {
    for (const auto& r : comparison_->runs)
      if (legendInfo.count(QStringLiteral("run:%1").arg(r.record.id))) legendKeys_ << QStringLiteral("run:%1").arg(r.record.id);
  }
  updating_ = true;
  legend_->clear();
  for (const QString& k : legendKeys_) {
    auto* item = new QListWidgetItem(swatch(legendInfo[k].second), legendInfo[k].first, legend_);
    item->setData(kKeyRole, k);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    item->setCheckState(hidden_.contains(k) ? Qt::Unchecked : Qt::Checked);
  }
  updating_ = false;

  chart_->setXLabel(QString::fromUtf8(xAxisName(axis)));
  chart_->setPlots(plots, hidden_);

  QStringList notes;
  for (const auto& n : comparison_->notes) notes << q(n);
  if (estimated > 0)
    notes << tr("%1 series placed on an estimated %2 axis (runs stored before rollout/samples and rollout/tokens "
                "were logged)").arg(estimated).arg(QString::fromUtf8(xAxisName(axis)));
  showStatus(tr("%1 runs in %2 groups, %3 metrics. ").arg(comparison_->runs.size()).arg(comparison_->groups.size())
                 .arg(comparison_->metrics.size()) + notes.join(QStringLiteral(" ")));
}

void ComparePage::fillSummary() {
  summary_->setSortingEnabled(false);
  summary_->setRowCount(0);
  auto addRow = [&](const QString& group, const QString& run, const std::string& metric, const MetricSummary& s,
                    double tokens, double seconds) {
    const int row = summary_->rowCount();
    summary_->insertRow(row);
    summary_->setItem(row, 0, cell(group));
    summary_->setItem(row, 1, cell(run));
    summary_->setItem(row, 2, cell(q(metric)));
    summary_->setItem(row, 3, cell(QString::number(s.runs), s.runs));
    summary_->setItem(row, 4, valueCell(s.final));
    summary_->setItem(row, 5, valueCell(s.best));
    summary_->setItem(row, 6, s.bestIteration >= 0 ? cell(QString::number(s.bestIteration), s.bestIteration) : cell(""));
    summary_->setItem(row, 7, valueCell(s.spread));
    summary_->setItem(row, 8, valueCell(tokens));
    summary_->setItem(row, 9, valueCell(seconds));
  };
  for (const auto& g : comparison_->groups)
    for (const auto& m : comparison_->metrics) {
      const auto it = g.summary.find(m);
      addRow(q(g.name), tr("(group of %1)").arg(g.runIds.size()), m, it == g.summary.end() ? MetricSummary{} : it->second,
             g.tokens, g.timeSeconds);
    }
  for (const auto& r : comparison_->runs)
    for (const auto& m : comparison_->metrics) {
      const auto it = r.summary.find(m);
      addRow(q(r.group), q(runLabel(r.record)), m, it == r.summary.end() ? MetricSummary{} : it->second, r.tokens,
             r.timeSeconds);
    }
  summary_->setSortingEnabled(true);
  summary_->resizeColumnsToContents();
}

void ComparePage::fillConfigDiff() {
  diff_->clear();
  diff_->setRowCount(int(comparison_->configDiff.size()));
  diff_->setColumnCount(int(comparison_->runs.size()) + 1);
  QStringList headers{tr("key")};
  for (const auto& r : comparison_->runs) headers << q(runLabel(r.record));
  diff_->setHorizontalHeaderLabels(headers);
  for (int row = 0; row < int(comparison_->configDiff.size()); ++row) {
    const auto& d = comparison_->configDiff[size_t(row)];
    diff_->setItem(row, 0, cell(q(d.key)));
    for (size_t c = 0; c < d.values.size(); ++c) {
      auto* item = cell(d.values[c] ? q(*d.values[c]) : tr("(absent)"));
      if (!d.values[c]) item->setForeground(QColor(0x9a, 0x9e, 0xa8));
      diff_->setItem(row, int(c) + 1, item);
    }
  }
  diff_->resizeColumnsToContents();
}

// ---- legend ----

QStringList ComparePage::legendKeys() const { return legendKeys_; }

void ComparePage::applyHidden() {
  updating_ = true;
  for (int i = 0; i < legend_->count(); ++i) {
    auto* item = legend_->item(i);
    item->setCheckState(hidden_.contains(item->data(kKeyRole).toString()) ? Qt::Unchecked : Qt::Checked);
  }
  updating_ = false;
  chart_->setHidden(hidden_);
}

void ComparePage::setCurveHidden(const QString& key, bool hidden) {
  if (hidden)
    hidden_.insert(key);
  else
    hidden_.remove(key);
  applyHidden();
}

void ComparePage::isolateCurve(const QString& key) {
  hidden_.clear();
  for (const QString& k : legendKeys_)
    if (k != key) hidden_.insert(k);
  applyHidden();
}

void ComparePage::showAllCurves() {
  hidden_.clear();
  applyHidden();
}

// ---- export ----

bool ComparePage::exportTo(const QString& path) {
  if (!comparison_) {
    showStatus(tr("Nothing to export: select runs and metrics first."), true);
    return false;
  }
  const QString suffix = QFileInfo(path).suffix().toLower();
  try {
    std::string title = "Thoughtbench comparison: runs ";
    for (size_t i = 0; i < comparison_->runs.size(); ++i)
      title += (i ? ", " : "") + std::to_string(comparison_->runs[i].record.id);
    QStringList written;
    if (suffix == QLatin1String("pdf")) {
      writePdfReport(*comparison_, path.toStdString(), title);
      written << path;
    } else if (suffix == QLatin1String("png") || suffix == QLatin1String("svg")) {
      QString error;
      if (!chart_->exportImage(path, &error)) {
        showStatus(tr("Cannot write '%1': %2").arg(path, error), true);
        return false;
      }
      written << path;
    } else {
      for (const auto& f : writeReport(*comparison_, path.toStdString(), title)) written << q(f);
    }
    showStatus(tr("Wrote %1").arg(written.join(QStringLiteral(", "))));
    return true;
  } catch (const std::exception& e) {
    showStatus(QString::fromUtf8(e.what()), true);
    return false;
  }
}

bool ComparePage::exportTensorBoard(const QString& directory) {
  const QList<qint64> ids = selectedRuns();
  if (ids.isEmpty()) {
    showStatus(tr("Nothing to export: select runs first."), true);
    return false;
  }
  try {
    for (qint64 id : ids) {
      const auto record = store_->run(id);
      if (record) writeRunTensorBoard(*store_, *record, directory.toStdString());
    }
    showStatus(tr("Wrote TensorBoard event files of %1 runs under %2 (tensorboard --logdir %2)").arg(ids.size()).arg(directory));
    return true;
  } catch (const std::exception& e) {
    showStatus(QString::fromUtf8(e.what()), true);
    return false;
  }
}

void ComparePage::chooseExport() {
  QMenu menu(this);
  struct Choice {
    QString label, filter, suffix;
  };
  const QList<Choice> choices = {
      {tr("HTML report…"), tr("HTML (*.html)"), QStringLiteral(".html")},
      {tr("PDF report…"), tr("PDF (*.pdf)"), QStringLiteral(".pdf")},
      {tr("Markdown with images…"), tr("Markdown (*.md)"), QStringLiteral(".md")},
      {tr("CSV of the series…"), tr("CSV (*.csv)"), QStringLiteral(".csv")},
      {tr("JSON of the series…"), tr("JSON (*.json)"), QStringLiteral(".json")},
      {tr("Plots as PNG…"), tr("PNG (*.png)"), QStringLiteral(".png")},
      {tr("Plots as SVG…"), tr("SVG (*.svg)"), QStringLiteral(".svg")}};
  for (const Choice& c : choices)
    menu.addAction(c.label, this, [this, c] {
      const QString path = QFileDialog::getSaveFileName(this, c.label, QStringLiteral("comparison") + c.suffix, c.filter);
      if (!path.isEmpty()) exportTo(path);
    });
  menu.addSeparator();
  menu.addAction(tr("TensorBoard event files…"), this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("TensorBoard folder"));
    if (!dir.isEmpty()) exportTensorBoard(dir);
  });
  menu.exec(export_->mapToGlobal(QPoint(0, export_->height())));
}

}  // namespace tb
