// AttentionPanel: header, toolbar, thumbnails + heatmap, status line and token strip.
// See AttentionPanel.h.
#include "widgets/AttentionPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QRegularExpression>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStandardItemModel>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "widgets/AttentionHeatmap.h"
#include "widgets/AttentionThumbnails.h"
#include "widgets/TokenStrip.h"

namespace tb {

namespace {

QToolButton* toolButton(const QString& text, const QString& tip, QWidget* parent) {
  auto* button = new QToolButton(parent);
  button->setText(text);
  button->setToolTip(tip);
  button->setAutoRaise(true);
  return button;
}

void setItemEnabled(QComboBox* combo, int index, bool enabled) {
  if (auto* model = qobject_cast<QStandardItemModel*>(combo->model()))
    if (QStandardItem* item = model->item(index)) item->setEnabled(enabled);
}

std::vector<int> absolute(const std::vector<int>& completionPositions, int promptLength) {
  std::vector<int> out;
  out.reserve(completionPositions.size());
  for (int k : completionPositions) out.push_back(promptLength + k);
  return out;
}

const QString kHoverHint = QStringLiteral("hover a cell to read its weight · click a token to highlight its row and column · wheel: zoom · drag: pan · double-click: reset");

}  // namespace

AttentionPanel::AttentionPanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("attentionPanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->setSpacing(4);

  header_ = new QLabel(this);
  header_->setObjectName(QStringLiteral("attentionHeader"));
  header_->setTextFormat(Qt::RichText);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  header_->setWordWrap(true);
  layout->addWidget(header_);

  auto* bar = new QWidget(this);
  buildToolbar(bar);
  layout->addWidget(bar);

  vertical_ = new QSplitter(Qt::Vertical, this);
  auto* top = new QWidget(vertical_);
  auto* topLayout = new QVBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  topLayout->setSpacing(2);
  horizontal_ = new QSplitter(Qt::Horizontal, top);
  thumbnailScroll_ = new QScrollArea(horizontal_);
  thumbnailScroll_->setObjectName(QStringLiteral("attentionThumbnailScroll"));
  thumbnailScroll_->setFrameShape(QFrame::NoFrame);
  thumbnailScroll_->setWidgetResizable(true);  // scroll bars only when the grid is larger than the pane
  thumbnails_ = new AttentionThumbnails;
  thumbnailScroll_->setWidget(thumbnails_);
  heatmap_ = new AttentionHeatmap(horizontal_);
  horizontal_->addWidget(thumbnailScroll_);
  horizontal_->addWidget(heatmap_);
  horizontal_->setStretchFactor(0, 0);
  horizontal_->setStretchFactor(1, 1);
  horizontal_->setChildrenCollapsible(true);
  topLayout->addWidget(horizontal_, 1);

  // Two lines under the maps: what is shown (wrapping), and the hover read-out (one line).
  status_ = new QLabel(top);
  status_->setObjectName(QStringLiteral("attentionStatus"));
  status_->setTextFormat(Qt::RichText);
  status_->setWordWrap(true);
  status_->setContentsMargins(4, 0, 4, 0);
  hover_ = new QLabel(top);
  hover_->setObjectName(QStringLiteral("attentionHover"));
  hover_->setTextFormat(Qt::PlainText);
  hover_->setContentsMargins(4, 0, 4, 0);
  hover_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  topLayout->addWidget(status_);
  topLayout->addWidget(hover_);

  strip_ = new TokenStrip(vertical_);
  vertical_->addWidget(top);
  vertical_->addWidget(strip_);
  vertical_->setStretchFactor(0, 3);
  vertical_->setStretchFactor(1, 1);
  vertical_->setChildrenCollapsible(false);
  vertical_->setSizes({640, 230});
  layout->addWidget(vertical_, 1);

  connect(thumbnails_, &AttentionThumbnails::picked, this, [this](int layerIndex, int head) {
    setSource(head >= 0 ? AttentionSource{layerIndex, AttentionHeads::Single, head} : AttentionSource{layerIndex, AttentionHeads::Mean, source_.head});
  });
  connect(heatmap_, &AttentionHeatmap::tokenSelected, this, [this](int t) { setSelection(t); });
  connect(strip_, &TokenStrip::tokenSelected, this, [this](int t) { setSelection(t); });
  connect(heatmap_, &AttentionHeatmap::viewChanged, this, [this] { updateStatus(); });
  connect(heatmap_, &AttentionHeatmap::hovered, this, &AttentionPanel::showHoverText);

  clear();
}

AttentionPanel::~AttentionPanel() = default;

void AttentionPanel::buildToolbar(QWidget* bar) {
  auto* row = new QHBoxLayout(bar);
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(6);
  auto* showLabel = new QLabel(tr("Show"), bar);
  showCombo_ = new QComboBox(bar);
  showCombo_->setObjectName(QStringLiteral("attentionShow"));
  showCombo_->setToolTip(tr("The heads the heatmap shows: one head, or the mean of a set of heads"));
  showCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  showCombo_->addItem(tr("selected head"), static_cast<int>(AttentionHeads::Single));
  showCombo_->addItem(tr("mean of all heads"), static_cast<int>(AttentionHeads::Mean));
  showCombo_->addItem(tr("local heads"), static_cast<int>(AttentionHeads::Local));
  showCombo_->addItem(tr("global heads"), static_cast<int>(AttentionHeads::Global));
  headCombo_ = new QComboBox(bar);
  headCombo_->setObjectName(QStringLiteral("attentionHead"));
  headCombo_->setToolTip(tr("The head shown when \"selected head\" is chosen (or click a thumbnail)"));
  headCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  auto* layerLabel = new QLabel(tr("Layer"), bar);
  layerCombo_ = new QComboBox(bar);
  layerCombo_->setObjectName(QStringLiteral("attentionLayer"));
  layerCombo_->setToolTip(tr("A kept layer, or the mean over the kept layers"));
  layerCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  completionToggle_ = new QCheckBox(tr("Completion only"), bar);
  completionToggle_->setObjectName(QStringLiteral("attentionCompletionOnly"));
  completionToggle_->setToolTip(tr("Show only the completion's queries and keys (off: the prompt too)"));
  resetZoom_ = toolButton(tr("Reset zoom"), tr("Show the whole range again (double-click the map, or 0)"), bar);
  export_ = toolButton(tr("Export"), tr("Save the heatmap or the token strip as an image"), bar);
  export_->setPopupMode(QToolButton::InstantPopup);
  auto* exportMenu = new QMenu(export_);
  exportMenu->addAction(tr("Heatmap as PNG…"), this, [this] { exportWithDialog(true, QStringLiteral("png")); });
  exportMenu->addAction(tr("Heatmap as SVG…"), this, [this] { exportWithDialog(true, QStringLiteral("svg")); });
  exportMenu->addSeparator();
  exportMenu->addAction(tr("Token strip as PNG…"), this, [this] { exportWithDialog(false, QStringLiteral("png")); });
  exportMenu->addAction(tr("Token strip as SVG…"), this, [this] { exportWithDialog(false, QStringLiteral("svg")); });
  export_->setMenu(exportMenu);

  row->addWidget(showLabel);
  row->addWidget(showCombo_);
  row->addWidget(headCombo_);
  row->addSpacing(8);
  row->addWidget(layerLabel);
  row->addWidget(layerCombo_);
  row->addSpacing(8);
  row->addWidget(completionToggle_);
  row->addStretch(1);
  row->addWidget(resetZoom_);
  row->addWidget(export_);

  connect(showCombo_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index < 0 || !sample_) return;
    AttentionSource s = source_;
    s.heads = static_cast<AttentionHeads>(showCombo_->itemData(index).toInt());
    setSource(s);
  });
  connect(headCombo_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index < 0 || !sample_) return;
    AttentionSource s = source_;
    s.head = index;
    setSource(s);
  });
  connect(layerCombo_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index < 0 || !sample_) return;
    AttentionSource s = source_;
    s.layerIndex = layerCombo_->itemData(index).toInt();
    setSource(s);
  });
  connect(completionToggle_, &QCheckBox::toggled, this, &AttentionPanel::setCompletionOnly);
  connect(resetZoom_, &QToolButton::clicked, this, [this] { heatmap_->resetZoom(); });
}

// ---- sample -------------------------------------------------------------------------------------

bool AttentionPanel::setSample(AttentionSample sample) { return setSample(std::make_shared<const AttentionSample>(std::move(sample))); }

bool AttentionPanel::setSample(std::shared_ptr<const AttentionSample> sample) {
  if (!sample) {
    clear();
    return true;
  }
  try {
    sample->validate();
  } catch (const std::exception& e) {
    clear();
    error_ = QString::fromUtf8(e.what());
    header_->setText(QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(error_.toHtmlEscaped()));
    return false;
  }
  try {
    error_.clear();
    sample_ = std::move(sample);
    const AttentionSample& s = *sample_;
    labels_.clear();
    labels_.reserve(s.size());
    for (const auto& token : s.tokens) labels_ << QString::fromStdString(token);
    source_ = AttentionSource{s.layers.size() > 1 ? -1 : 0, AttentionHeads::Mean, 0};
    completionOnly_ = s.completionLength() >= 2;
    selected_ = -1;
    fillCombos();
    heatmap_->setMap(s.map(source_.layerIndex, attentionHeadsOf(source_, s)), labels_, describeAttentionSource(source_, s));
    heatmap_->setMarks(absolute(s.preplan, s.promptLength), absolute(s.anchors, s.promptLength));
    heatmap_->setPromptLength(s.promptLength);
    strip_->setSample(s);
    thumbnails_->setCurrent(source_);
    applyRange();
    updateHeader();
    updateStatus();
    showHoverText(QString());
  } catch (const std::exception& e) {  // a map the sample cannot build: shown, never thrown out of the view
    const QString message = QString::fromUtf8(e.what());
    clear();
    error_ = message;
    header_->setText(QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(error_.toHtmlEscaped()));
    return false;
  }
  return true;
}

void AttentionPanel::clear() {
  sample_.reset();
  labels_.clear();
  error_.clear();
  source_ = AttentionSource{};
  selected_ = -1;
  heatmap_->clear();
  thumbnails_->clear();
  strip_->clear();
  fillCombos();
  updateHeader();
  updateStatus();
  showHoverText(QString());
}

const AttentionSample& AttentionPanel::sample() const {
  static const AttentionSample empty;
  return sample_ ? *sample_ : empty;
}

void AttentionPanel::fillCombos() {
  const QSignalBlocker blockShow(showCombo_), blockHead(headCombo_), blockLayer(layerCombo_), blockToggle(completionToggle_);
  headCombo_->clear();
  layerCombo_->clear();
  const bool has = sample_ != nullptr;
  for (QWidget* w : {static_cast<QWidget*>(showCombo_), static_cast<QWidget*>(headCombo_), static_cast<QWidget*>(layerCombo_),
                     static_cast<QWidget*>(completionToggle_), static_cast<QWidget*>(resetZoom_), static_cast<QWidget*>(export_)})
    w->setEnabled(has);
  showCombo_->setItemText(2, tr("local heads"));
  showCombo_->setItemText(3, tr("global heads"));
  if (!has) return;
  const AttentionSample& s = *sample_;
  showCombo_->setItemText(2, s.localHeads.empty() ? tr("local heads (none)") : tr("local heads (%1)").arg(attentionHeadList(s.localHeads)));
  showCombo_->setItemText(3, s.globalHeads.empty() ? tr("global heads (none)") : tr("global heads (%1)").arg(attentionHeadList(s.globalHeads)));
  setItemEnabled(showCombo_, 2, !s.localHeads.empty());
  setItemEnabled(showCombo_, 3, !s.globalHeads.empty());
  for (int h = 0; h < s.headCount; ++h) {
    QString tip;
    if (h < static_cast<int>(s.headDistance.size())) tip = tr("mean backward distance %1 tokens").arg(s.headDistance[h], 0, 'f', 1);
    headCombo_->addItem(tr("head %1").arg(h));
    headCombo_->setItemData(h, tip, Qt::ToolTipRole);
  }
  if (s.layers.size() > 1) layerCombo_->addItem(tr("mean over layers"), -1);
  for (size_t li = 0; li < s.layers.size(); ++li) layerCombo_->addItem(tr("layer %1").arg(s.layers[li]), static_cast<int>(li));
  completionToggle_->setEnabled(s.completionLength() >= 2);
  completionToggle_->setChecked(completionOnly_);
  syncCombos();
}

void AttentionPanel::syncCombos() {
  const QSignalBlocker blockShow(showCombo_), blockHead(headCombo_), blockLayer(layerCombo_);
  showCombo_->setCurrentIndex(std::max(0, showCombo_->findData(static_cast<int>(source_.heads))));
  headCombo_->setCurrentIndex(source_.head);
  headCombo_->setEnabled(sample_ && source_.heads == AttentionHeads::Single);
  layerCombo_->setCurrentIndex(std::max(0, layerCombo_->findData(source_.layerIndex)));
}

// ---- what is shown ------------------------------------------------------------------------------

void AttentionPanel::setSource(const AttentionSource& requested) {
  if (!sample_) return;
  const AttentionSample& s = *sample_;
  AttentionSource source = requested;
  const int layers = static_cast<int>(s.layers.size());
  if (source.layerIndex < 0 || source.layerIndex >= layers) source.layerIndex = layers > 1 ? -1 : 0;
  source.head = std::clamp(source.head, 0, s.headCount - 1);
  if ((source.heads == AttentionHeads::Local && s.localHeads.empty()) || (source.heads == AttentionHeads::Global && s.globalHeads.empty()))
    source.heads = AttentionHeads::Mean;
  const bool changed = !(source == source_);
  source_ = source;
  syncCombos();
  thumbnails_->setCurrent(source_);
  if (!changed) return;
  applySource();
  emit sourceChanged(source_);
}

void AttentionPanel::applySource() {
  try {
    const AttentionSample& s = *sample_;
    heatmap_->replaceMap(s.map(source_.layerIndex, attentionHeadsOf(source_, s)), describeAttentionSource(source_, s));
  } catch (const std::exception& e) {
    status_->setText(QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(QString::fromUtf8(e.what()).toHtmlEscaped()));
    return;
  }
  updateStatus();
}

void AttentionPanel::setCompletionOnly(bool on) {
  if (sample_ && sample_->completionLength() < 2) on = false;
  if (on != completionToggle_->isChecked()) {
    const QSignalBlocker block(completionToggle_);
    completionToggle_->setChecked(on);
  }
  if (on == completionOnly_) return;
  completionOnly_ = on;
  if (sample_) applyRange();
}

void AttentionPanel::applyRange() {
  try {
    const AttentionSample& s = *sample_;
    const int begin = completionOnly_ ? s.promptLength : 0;
    heatmap_->setRange(begin, s.size());
    thumbnails_->setSample(s, begin, s.size());
    // The pane fits the grid's width (a scroll bar only for very many heads).
    const int width = std::min(thumbnails_->sizeHint().width() + thumbnailScroll_->verticalScrollBar()->sizeHint().width(), 420);
    thumbnailScroll_->setMinimumWidth(std::min(width, 260));
    horizontal_->setSizes({width, std::max(300, horizontal_->width() - width)});
  } catch (const std::exception& e) {
    status_->setText(QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(QString::fromUtf8(e.what()).toHtmlEscaped()));
    return;
  }
  updateStatus();
}

// ---- selection ----------------------------------------------------------------------------------

void AttentionPanel::selectToken(int t) { setSelection(t); }

void AttentionPanel::setSelection(int t) {
  if (!sample_ || t < 0 || t >= sample_->size()) t = -1;
  if (t == selected_) return;
  selected_ = t;
  heatmap_->setSelectedToken(t);
  strip_->setSelectedToken(t);
  updateStatus();
  emit tokenSelected(t);
}

// ---- text ---------------------------------------------------------------------------------------

void AttentionPanel::updateHeader() {
  if (!sample_) {
    header_->setText(tr("<span style='color:#9a9ea8'>No attention sample</span>"));
    return;
  }
  const AttentionSample& s = *sample_;
  QStringList parts;
  parts << QStringLiteral("<b>%1</b>").arg(s.problemId.empty() ? tr("attention sample") : QString::fromStdString(s.problemId).toHtmlEscaped());
  if (s.runId > 0) parts << tr("run %1").arg(s.runId);
  if (s.sampleId > 0) parts << tr("sample %1").arg(s.sampleId);
  parts << tr("iteration %1").arg(s.iteration);
  if (!s.policy.empty()) parts << QString::fromStdString(s.policy).toHtmlEscaped();
  parts << tr("%1 tokens: %2 prompt + %3 completion").arg(s.size()).arg(s.promptLength).arg(s.completionLength());
  parts << tr("%1 of %2 layers kept, %3 heads").arg(s.layers.size()).arg(s.layerCount).arg(s.headCount);
  header_->setText(parts.join(QStringLiteral(" &nbsp;·&nbsp; ")));
}

void AttentionPanel::updateStatus() {
  if (!sample_) {
    status_->clear();
    return;
  }
  const AttentionSample& s = *sample_;
  QStringList parts;
  parts << QStringLiteral("<b>%1</b>").arg(describeAttentionSource(source_, s).toHtmlEscaped());
  parts << (completionOnly_ ? tr("completion tokens %1–%2").arg(s.promptLength).arg(s.size() - 1) : tr("all %1 tokens").arg(s.size()));
  if (heatmap_->isZoomed()) {
    const int w = heatmap_->windowSize();
    parts << tr("zoomed: queries %1–%2, keys %3–%4")
                 .arg(heatmap_->windowRow())
                 .arg(heatmap_->windowRow() + w - 1)
                 .arg(heatmap_->windowCol())
                 .arg(heatmap_->windowCol() + w - 1);
  }
  if (selected_ >= 0) parts << tr("selected '%1' (%2)").arg(labels_.value(selected_).toHtmlEscaped()).arg(selected_);
  const QString note = heatmap_->resolutionNote();
  if (!note.isEmpty()) parts << QStringLiteral("<span style='color:#b45309'>%1</span>").arg(note.toHtmlEscaped());
  status_->setText(parts.join(QStringLiteral(" &nbsp;·&nbsp; ")));
}

void AttentionPanel::showHoverText(const QString& text) {
  hover_->setText(text.isEmpty() ? (sample_ ? kHoverHint : QString()) : text);
  hover_->setToolTip(hover_->text());
  hover_->setStyleSheet(text.isEmpty() ? QStringLiteral("color: #9a9ea8;") : QStringLiteral("color: #2b2f36;"));
}

// ---- export -------------------------------------------------------------------------------------

bool AttentionPanel::exportHeatmap(const QString& path, QString* error) { return heatmap_->exportImage(path, error); }
bool AttentionPanel::exportTokenStrip(const QString& path, QString* error) { return strip_->exportImage(path, error); }

void AttentionPanel::exportWithDialog(bool heatmap, const QString& suffix) {
  const QString title = heatmap ? tr("Export heatmap") : tr("Export token strip");
  try {
    if (!sample_) return;
    QString base = QString::fromStdString(sample_->problemId.empty() ? std::string("attention") : sample_->problemId);
    base.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    base += heatmap ? QStringLiteral("_attention") : QStringLiteral("_tokens");
    const QString filter = suffix == QLatin1String("svg") ? tr("SVG image (*.svg)") : tr("PNG image (*.png)");
    QString path = QFileDialog::getSaveFileName(this, title, base + QLatin1Char('.') + suffix, filter);
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1Char('.') + suffix, Qt::CaseInsensitive)) path += QLatin1Char('.') + suffix;
    QString error;
    if (!(heatmap ? exportHeatmap(path, &error) : exportTokenStrip(path, &error))) QMessageBox::warning(this, title, error);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, title, QString::fromUtf8(e.what()));
  }
}

}  // namespace tb
