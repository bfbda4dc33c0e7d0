// SamplesView: filtered sample table plus full-text detail pane. See SamplesView.h.
#include "widgets/SamplesView.h"

#include "widgets/SamplesTableModel.h"
#include "widgets/TableStyle.h"

#include <QComboBox>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTextEdit>
#include <QVBoxLayout>

namespace tb {

// Filters rows by verdict and sorts on raw values (SortRole) rather than display text.
class SampleFilterProxy : public QSortFilterProxyModel {
 public:
  explicit SampleFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(SamplesTableModel::SortRole);
  }

  void setMode(SampleFilter mode) {
    if (mode == mode_) return;
    mode_ = mode;
    invalidateFilter();
  }
  SampleFilter mode() const { return mode_; }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override {
    if (mode_ == SampleFilter::All) return true;
    const bool correct =
        sourceModel()->index(sourceRow, 0, sourceParent).data(SamplesTableModel::CorrectRole).toBool();
    return mode_ == SampleFilter::Correct ? correct : !correct;
  }

 private:
  SampleFilter mode_ = SampleFilter::All;
};

SamplesView::SamplesView(QWidget* parent) : QWidget(parent) {
  model_ = new SamplesTableModel(this);
  proxy_ = new SampleFilterProxy(this);
  proxy_->setSourceModel(model_);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(6);

  auto* bar = new QHBoxLayout;
  bar->setSpacing(8);
  auto* showLabel = new QLabel(tr("Show"), this);
  filterCombo_ = new QComboBox(this);
  filterCombo_->setObjectName(QStringLiteral("verdictFilter"));
  filterCombo_->addItem(tr("All"), int(SampleFilter::All));
  filterCombo_->addItem(tr("Correct"), int(SampleFilter::Correct));
  filterCombo_->addItem(tr("Wrong"), int(SampleFilter::Wrong));
  filterCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  showLabel->setBuddy(filterCombo_);
  connect(filterCombo_, &QComboBox::currentIndexChanged, this, [this](int i) {
    proxy_->setMode(SampleFilter(filterCombo_->itemData(i).toInt()));
    afterDataChange();
  });
  summary_ = new QLabel(this);
  QPalette muted = summary_->palette();
  muted.setColor(QPalette::WindowText, QColor(0x6b, 0x70, 0x7a));
  summary_->setPalette(muted);
  attentionButton_ = new QPushButton(tr("Attention"), this);
  attentionButton_->setObjectName(QStringLiteral("sampleAttention"));
  attentionButton_->setToolTip(tr("Open the attention behind the selected sample (also: double-click a row)"));
  attentionButton_->setEnabled(false);
  connect(attentionButton_, &QPushButton::clicked, this, [this] {
    if (auto s = currentSample()) emit attentionRequested(*s);
  });
  bar->addWidget(showLabel);
  bar->addWidget(filterCombo_);
  bar->addWidget(attentionButton_);
  bar->addStretch(1);
  bar->addWidget(summary_);
  layout->addLayout(bar);

  table_ = new QTableView(this);
  table_->setModel(proxy_);
  applyListTableStyle(table_);
  QHeaderView* header = table_->horizontalHeader();
  header->setSortIndicatorClearable(true);
  header->setSortIndicator(-1, Qt::DescendingOrder);
  const QFontMetrics fm = fontMetrics();
  header->resizeSection(SamplesTableModel::IterationColumn, fm.horizontalAdvance(QStringLiteral("Iter 00000")));
  header->resizeSection(SamplesTableModel::ProblemColumn, fm.horizontalAdvance(QStringLiteral("game24-00000")));
  header->resizeSection(SamplesTableModel::RewardColumn, fm.horizontalAdvance(QStringLiteral("Reward -0.000")));
  header->resizeSection(SamplesTableModel::VerdictColumn, fm.horizontalAdvance(QStringLiteral("✗ correct  ")) + 16);
  table_->setSortingEnabled(true);
  connect(table_, &QTableView::doubleClicked, this, [this] {
    if (auto s = currentSample()) emit attentionRequested(*s);
  });

  emptyOverlay_ = new QLabel(table_->viewport());
  emptyOverlay_->setAlignment(Qt::AlignCenter);
  emptyOverlay_->setPalette(muted);
  emptyOverlay_->setAttribute(Qt::WA_TransparentForMouseEvents);
  table_->viewport()->installEventFilter(this);

  detail_ = new QTextEdit(this);
  detail_->setReadOnly(true);
  detail_->setObjectName(QStringLiteral("sampleDetail"));
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(font().pointSizeF() * 0.95);
  detail_->setFont(mono);
  detail_->document()->setDocumentMargin(10);
  detail_->setPlaceholderText(tr("Select a sample to see its prompt and completion."));

  splitter_ = new QSplitter(Qt::Vertical, this);
  splitter_->addWidget(table_);
  splitter_->addWidget(detail_);
  splitter_->setChildrenCollapsible(false);
  splitter_->setStretchFactor(0, 3);
  splitter_->setStretchFactor(1, 2);
  layout->addWidget(splitter_, 1);

  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { showDetail(); });
  connect(proxy_, &QAbstractItemModel::modelReset, this, [this] { showDetail(); });
  afterDataChange();
}

SamplesView::~SamplesView() = default;

void SamplesView::setSamples(const QVector<SampleRow>& rows) {
  model_->setRows(rows);
  afterDataChange();
}

void SamplesView::prependSamples(const QVector<SampleRow>& rows) {
  if (rows.isEmpty()) return;
  model_->prependRows(rows);
  afterDataChange();
}

void SamplesView::clear() {
  model_->clear();
  afterDataChange();
}

int SamplesView::rowCount() const { return proxy_->rowCount(); }

int SamplesView::totalCount() const { return model_->rowCount(); }

void SamplesView::setFilter(SampleFilter filter) {
  const int i = filterCombo_->findData(int(filter));
  if (i >= 0) filterCombo_->setCurrentIndex(i);  // applies via currentIndexChanged
}

SampleFilter SamplesView::filter() const { return proxy_->mode(); }

void SamplesView::setCap(int cap) {
  model_->setCap(cap);
  afterDataChange();
}

int SamplesView::cap() const { return model_->cap(); }

std::optional<SampleRow> SamplesView::currentSample() const {
  const QModelIndexList rows = table_->selectionModel()->selectedRows();
  if (rows.isEmpty()) return std::nullopt;
  const QModelIndex source = proxy_->mapToSource(rows.first());
  if (!source.isValid()) return std::nullopt;
  return model_->row(source.row());
}

void SamplesView::afterDataChange() {
  updateCounts();
  selectFirstIfNone();
  showDetail();
  placeOverlay();
}

void SamplesView::selectFirstIfNone() {
  if (proxy_->rowCount() == 0 || table_->selectionModel()->hasSelection()) return;
  table_->selectRow(0);
}

void SamplesView::updateCounts() {
  const int total = model_->rowCount();
  const int correct = model_->correctCount();
  filterCombo_->setItemText(0, tr("All (%1)").arg(total));
  filterCombo_->setItemText(1, tr("Correct (%1)").arg(correct));
  filterCombo_->setItemText(2, tr("Wrong (%1)").arg(total - correct));
  if (total == 0) {
    summary_->clear();
  } else {
    summary_->setText(tr("%n sample(s) · %1% correct", nullptr, total)
                          .arg(QString::number(100.0 * correct / total, 'f', 1)));
  }
  if (proxy_->rowCount() == 0)
    emptyOverlay_->setText(total == 0 ? tr("No samples yet") : tr("No samples match this filter"));
  emptyOverlay_->setVisible(proxy_->rowCount() == 0);
}

void SamplesView::placeOverlay() { emptyOverlay_->setGeometry(table_->viewport()->rect()); }

bool SamplesView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == table_->viewport() && event->type() == QEvent::Resize) placeOverlay();
  return QWidget::eventFilter(watched, event);
}

void SamplesView::showDetail() {
  const std::optional<SampleRow> row = currentSample();
  attentionButton_->setEnabled(row.has_value());
  if (!row) {
    detail_->clear();
    detailHtml_.clear();
    return;
  }
  const QString verdictColor = row->correct ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828");
  const QString verdict = row->correct ? tr("✓ correct") : tr("✗ wrong");
  auto block = [](const QString& title, const QString& body) {
    const QString text = body.isEmpty() ? QStringLiteral("<span style='color:#9a9ea8'>(empty)</span>")
                                        : body.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    return QStringLiteral(
               "<p style='margin-top:10px; margin-bottom:3px; color:#6b707a; font-weight:bold;'>%1</p>"
               "<table width='100%' cellspacing='0' cellpadding='8' bgcolor='#f5f6f8' "
               "style='border: 1px solid #e3e5ea;'><tr><td style='white-space:pre-wrap;'>%2</td></tr></table>")
        .arg(title, text);
  };
  QString html = QStringLiteral(
                     "<p style='margin:0;'><span style='color:%1; font-weight:bold;'>%2</span>"
                     "&nbsp;&nbsp;reward <b>%3</b>&nbsp;&nbsp;<span style='color:#6b707a;'>iteration</span> <b>%4</b>"
                     "&nbsp;&nbsp;<span style='color:#6b707a;'>problem</span> <b>%5</b></p>")
                     .arg(verdictColor, verdict, QString::number(row->reward, 'f', 3), QString::number(row->iteration),
                          row->problemId.toHtmlEscaped());
  if (!row->reason.isEmpty())
    html += QStringLiteral("<p style='margin-top:4px; margin-bottom:0; color:#50545c;'>%1</p>")
                .arg(row->reason.toHtmlEscaped());
  html += block(tr("PROMPT"), row->prompt);
  html += block(tr("COMPLETION"), row->completion);
  if (html == detailHtml_) return;
  detailHtml_ = html;
  detail_->setHtml(html);
}

}  // namespace tb
