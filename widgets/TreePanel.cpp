// TreePanel: header, toolbar, view + inspector, iteration slider. See TreePanel.h.
#include "widgets/TreePanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QSlider>
#include <QSplitter>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "widgets/TreeInspector.h"
#include "widgets/TreeView.h"

namespace tb {

namespace {

QToolButton* toolButton(const QString& text, const QString& tip, QWidget* parent) {
  auto* button = new QToolButton(parent);
  button->setText(text);
  button->setToolTip(tip);
  button->setAutoRaise(true);
  return button;
}

}  // namespace

TreePanel::TreePanel(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("treePanel"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->setSpacing(4);

  header_ = new QLabel(this);
  header_->setObjectName(QStringLiteral("treeHeader"));
  header_->setTextFormat(Qt::RichText);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  // Wrapped: a long label or prompt (GSM8K) must not widen the window.
  header_->setWordWrap(true);
  prompt_ = new QLabel(this);
  prompt_->setWordWrap(true);
  prompt_->setObjectName(QStringLiteral("treePrompt"));
  prompt_->setStyleSheet(QStringLiteral("color: #6b707a;"));
  prompt_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(header_);
  layout->addWidget(prompt_);

  auto* bar = new QWidget(this);
  buildToolbar(bar);
  layout->addWidget(bar);

  splitter_ = new QSplitter(Qt::Horizontal, this);
  view_ = new TreeView(splitter_);
  inspector_ = new TreeInspector(splitter_);
  splitter_->addWidget(view_);
  splitter_->addWidget(inspector_);
  splitter_->setStretchFactor(0, 3);
  splitter_->setStretchFactor(1, 1);
  splitter_->setChildrenCollapsible(true);
  splitter_->setSizes({700, 300});
  layout->addWidget(splitter_, 1);

  iterationBar_ = new QWidget(this);
  auto* iterationLayout = new QHBoxLayout(iterationBar_);
  iterationLayout->setContentsMargins(0, 0, 0, 0);
  play_ = toolButton(QString(), tr("Replay the growth of the search"), iterationBar_);
  play_->setObjectName(QStringLiteral("playButton"));
  play_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  slider_ = new QSlider(Qt::Horizontal, iterationBar_);
  slider_->setObjectName(QStringLiteral("iterationSlider"));
  slider_->setToolTip(tr("Search iteration: nodes created later are hidden, statistics are as after this iteration"));
  iterationLabel_ = new QLabel(iterationBar_);
  iterationLabel_->setObjectName(QStringLiteral("iterationLabel"));
  iterationLabel_->setMinimumWidth(iterationLabel_->fontMetrics().horizontalAdvance(QStringLiteral("iteration 00000 / 00000")));
  iterationLayout->addWidget(play_);
  iterationLayout->addWidget(slider_, 1);
  iterationLayout->addWidget(iterationLabel_);
  layout->addWidget(iterationBar_);
  playTimer_ = new QTimer(this);

  connect(view_, &TreeView::nodeSelected, this, [this](int id) {
    updateInspector();
    emit nodeSelected(id);
  });
  connect(view_, &TreeView::iterationChanged, this, [this](int iteration) {
    {
      const QSignalBlocker block(slider_);
      slider_->setValue(iteration);
    }
    updateIterationBar();
    updateInspector();
    emit iterationChanged(iteration);
  });
  connect(view_, &TreeView::searchMatchesChanged, this, [this] { updateMatchLabel(); });
  connect(view_, &TreeView::currentMatchChanged, this, [this] { updateMatchLabel(); });
  connect(view_, &TreeView::colorByChanged, this, [this](TreeMetric metric) {
    const QSignalBlocker block(colorCombo_);
    colorCombo_->setCurrentIndex(std::max(0, colorCombo_->findData(static_cast<int>(metric))));
    emit colorByChanged(metric);
  });
  connect(inspector_, &TreeInspector::nodeActivated, view_, &TreeView::selectNode);
  connect(slider_, &QSlider::valueChanged, view_, &TreeView::setIteration);
  connect(play_, &QToolButton::clicked, this, &TreePanel::togglePlay);
  connect(playTimer_, &QTimer::timeout, this, &TreePanel::playStep);

  clear();
}

TreePanel::~TreePanel() = default;

void TreePanel::buildToolbar(QWidget* bar) {
  auto* row = new QHBoxLayout(bar);
  row->setContentsMargins(0, 0, 0, 0);
  row->setSpacing(6);
  auto* colorLabel = new QLabel(tr("Colour"), bar);
  colorCombo_ = new QComboBox(bar);
  colorCombo_->setObjectName(QStringLiteral("colorBy"));
  colorCombo_->setToolTip(tr("The node metric that fills the nodes"));
  sizeByVisits_ = new QCheckBox(tr("Size by visits"), bar);
  sizeByVisits_->setChecked(true);
  sizeByVisits_->setToolTip(tr("Node size by visit count (log scale); off: border width by visits"));
  search_ = new QLineEdit(bar);
  search_->setObjectName(QStringLiteral("treeSearch"));
  search_->setPlaceholderText(tr("Search steps and states…"));
  search_->setClearButtonEnabled(true);
  search_->setMinimumWidth(160);
  search_->setToolTip(tr("Highlights nodes whose step or state contains the text (case-insensitive). Enter: next match"));
  matchLabel_ = new QLabel(bar);
  matchLabel_->setObjectName(QStringLiteral("matchLabel"));
  matchLabel_->setStyleSheet(QStringLiteral("color: #6b707a;"));
  matchLabel_->setMinimumWidth(matchLabel_->fontMetrics().horizontalAdvance(QStringLiteral("00000 matches")));
  previous_ = toolButton(QString(), tr("Previous match (Shift+Enter)"), bar);
  previous_->setArrowType(Qt::UpArrow);
  next_ = toolButton(QString(), tr("Next match (Enter)"), bar);
  next_->setArrowType(Qt::DownArrow);
  auto* fit = toolButton(tr("Fit"), tr("Fit the tree to the view (F)"), bar);
  auto* expand = toolButton(tr("Expand all"), tr("Expand every collapsed subtree"), bar);
  auto* exportButton = toolButton(tr("Export"), tr("Save the whole tree as an image"), bar);
  exportButton->setPopupMode(QToolButton::InstantPopup);
  auto* exportMenu = new QMenu(exportButton);
  exportMenu->addAction(tr("PNG image…"), this, [this] { exportWithDialog(QStringLiteral("png")); });
  exportMenu->addAction(tr("SVG vector image…"), this, [this] { exportWithDialog(QStringLiteral("svg")); });
  exportButton->setMenu(exportMenu);

  row->addWidget(colorLabel);
  row->addWidget(colorCombo_);
  row->addWidget(sizeByVisits_);
  row->addSpacing(8);
  row->addWidget(search_, 1);
  row->addWidget(previous_);
  row->addWidget(next_);
  row->addWidget(matchLabel_);
  row->addSpacing(8);
  row->addWidget(fit);
  row->addWidget(expand);
  row->addWidget(exportButton);

  connect(colorCombo_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index >= 0) view_->setColorBy(static_cast<TreeMetric>(colorCombo_->itemData(index).toInt()));
  });
  connect(sizeByVisits_, &QCheckBox::toggled, this, [this](bool on) { view_->setSizeByVisits(on); });
  connect(search_, &QLineEdit::textChanged, this, [this](const QString& text) {
    view_->setSearchText(text);
    emit searchTextChanged(text);
  });
  connect(search_, &QLineEdit::returnPressed, this, [this] {
    if (QGuiApplication::keyboardModifiers() & Qt::ShiftModifier)
      view_->previousMatch();
    else
      view_->nextMatch();
  });
  connect(previous_, &QToolButton::clicked, this, [this] { view_->previousMatch(); });
  connect(next_, &QToolButton::clicked, this, [this] { view_->nextMatch(); });
  connect(fit, &QToolButton::clicked, this, [this] { view_->fitToView(); });
  connect(expand, &QToolButton::clicked, this, [this] { view_->expandAll(); });
}

void TreePanel::fillColorCombo() {
  const QSignalBlocker block(colorCombo_);
  colorCombo_->clear();
  QList<TreeMetric> metrics = {TreeMetric::Q, TreeMetric::Value, TreeMetric::Reward, TreeMetric::Visits, TreeMetric::Prior};
  if (view_->hasLogFlow()) metrics.append(TreeMetric::LogFlow);
  for (TreeMetric m : metrics) {
    colorCombo_->addItem(treeMetricName(m), static_cast<int>(m));
    colorCombo_->setItemData(colorCombo_->count() - 1, treeMetricDescription(m), Qt::ToolTipRole);
  }
  colorCombo_->setCurrentIndex(std::max(0, colorCombo_->findData(static_cast<int>(view_->colorBy()))));
}

bool TreePanel::setTree(ReasoningTree tree) { return setTree(std::make_shared<const ReasoningTree>(std::move(tree))); }

bool TreePanel::setTree(std::shared_ptr<const ReasoningTree> tree) {
  playTimer_->stop();
  if (!tree || tree->nodes.empty()) {
    clear();
    return true;
  }
  try {
    tree->validate();
  } catch (const std::exception& e) {
    clear();
    error_ = QString::fromUtf8(e.what());
    header_->setText(QStringLiteral("<span style='color:#b91c1c'>%1</span>").arg(error_.toHtmlEscaped()));
    return false;
  }
  error_.clear();
  tree_ = std::move(tree);
  inspector_->setTree(tree_);
  view_->setTree(tree_);
  fillColorCombo();
  updateHeader();
  updateIterationBar();
  updateMatchLabel();
  return true;
}

void TreePanel::clear() {
  playTimer_->stop();
  tree_.reset();
  error_.clear();
  inspector_->setTree(nullptr);
  view_->clear();
  fillColorCombo();
  updateHeader();
  updateIterationBar();
  updateMatchLabel();
}

const ReasoningTree& TreePanel::tree() const {
  static const ReasoningTree empty;
  return tree_ ? *tree_ : empty;
}

void TreePanel::updateHeader() {
  if (!tree_) {
    header_->setText(tr("<span style='color:#9a9ea8'>No tree</span>"));
    prompt_->clear();
    prompt_->hide();
    return;
  }
  const ReasoningTree& t = *tree_;
  QStringList parts;
  const QString label = QString::fromStdString(t.label.empty() ? t.kind : t.label);
  parts << QStringLiteral("<b>%1</b>").arg(label.toHtmlEscaped());
  if (!t.label.empty() && !t.kind.empty()) parts << QString::fromStdString(t.kind).toHtmlEscaped();
  QString problem = QString::fromStdString(t.task);
  if (!t.problemId.empty()) problem += (problem.isEmpty() ? QString() : QStringLiteral(" ")) + QString::fromStdString(t.problemId);
  if (!problem.isEmpty()) parts << problem.toHtmlEscaped();
  QString size = tr("%1 nodes, depth %2").arg(t.size()).arg(t.maxDepth());
  if (t.iterations() > 0) size += tr(", %1 iterations").arg(t.iterations());
  parts << size;
  if (!t.chosenPath.empty()) {
    const TreeNode& answer = t.nodes[t.chosenPath.back()];
    if (answer.terminal)
      parts << (answer.correct ? tr("<span style='color:#15803d'>chosen&nbsp;answer&nbsp;correct&nbsp;✓</span>")
                               : tr("<span style='color:#b91c1c'>chosen&nbsp;answer&nbsp;wrong&nbsp;✗</span>"));
    else
      parts << tr("<span style='color:#b45309'>chosen&nbsp;path&nbsp;ends&nbsp;unfinished</span>");
  }
  header_->setText(parts.join(QStringLiteral(" &nbsp;·&nbsp; ")));
  const QString prompt = QString::fromStdString(t.prompt).simplified();
  prompt_->setText(prompt.size() > 220 ? prompt.left(220) + QStringLiteral("…") : prompt);
  prompt_->setToolTip(QString::fromStdString(t.prompt));
  prompt_->setVisible(!prompt.isEmpty());
}

void TreePanel::updateIterationBar() {
  const int n = view_->iterations();
  iterationBar_->setVisible(tree_ && n > 0);
  {
    const QSignalBlocker block(slider_);
    slider_->setRange(0, n);
    slider_->setValue(view_->iteration());
    slider_->setPageStep(std::max(1, n / 20));
  }
  iterationLabel_->setText(tr("iteration %1 / %2").arg(view_->iteration()).arg(n));
  play_->setIcon(style()->standardIcon(playTimer_->isActive() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void TreePanel::updateMatchLabel() {
  const int count = view_->matchCount();
  const bool searching = !view_->searchText().trimmed().isEmpty();
  if (!searching)
    matchLabel_->clear();
  else if (count == 0)
    matchLabel_->setText(tr("no matches"));
  else if (view_->currentMatch() >= 0)
    matchLabel_->setText(tr("%1 / %2").arg(view_->currentMatch() + 1).arg(count));
  else
    matchLabel_->setText(count == 1 ? tr("1 match") : tr("%1 matches").arg(count));
  previous_->setEnabled(count > 0);
  next_->setEnabled(count > 0);
}

void TreePanel::updateInspector() {
  inspector_->showNode(view_->selectedNode(), view_->currentStats(), view_->present(), view_->iteration());
}

void TreePanel::selectNode(int id) { view_->selectNode(id); }
int TreePanel::selectedNode() const { return view_->selectedNode(); }
void TreePanel::setIteration(int iteration) { view_->setIteration(iteration); }
int TreePanel::iteration() const { return view_->iteration(); }
void TreePanel::setColorBy(TreeMetric metric) { view_->setColorBy(metric); }
TreeMetric TreePanel::colorBy() const { return view_->colorBy(); }
void TreePanel::setSearchText(const QString& text) {
  if (search_->text() != text) search_->setText(text);
}
QString TreePanel::searchText() const { return search_->text(); }

bool TreePanel::exportImage(const QString& path, QString* error) { return view_->exportImage(path, error); }

void TreePanel::exportWithDialog(const QString& suffix) {
  try {
    if (!tree_) return;
    QString base = QString::fromStdString(tree_->problemId.empty() ? tree_->kind : tree_->problemId);
    base.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    if (base.isEmpty()) base = QStringLiteral("tree");
    const QString filter = suffix == QLatin1String("svg") ? tr("SVG image (*.svg)") : tr("PNG image (*.png)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export tree"), base + QLatin1Char('.') + suffix, filter);
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1Char('.') + suffix, Qt::CaseInsensitive)) path += QLatin1Char('.') + suffix;
    QString error;
    if (!exportImage(path, &error)) QMessageBox::warning(this, tr("Export tree"), error);
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Export tree"), QString::fromUtf8(e.what()));
  }
}

void TreePanel::togglePlay() {
  if (playTimer_->isActive()) {
    playTimer_->stop();
  } else if (view_->iterations() > 0) {
    if (view_->iteration() >= view_->iterations()) view_->setIteration(0);
    // About ten seconds for a whole replay, however many iterations there are.
    playTimer_->start(std::clamp(10000 / std::max(1, view_->iterations()), 16, 400));
  }
  updateIterationBar();
}

void TreePanel::playStep() {
  const int n = view_->iterations();
  const int step = std::max(1, n / 600);
  view_->setIteration(std::min(n, view_->iteration() + step));
  if (view_->iteration() >= n) {
    playTimer_->stop();
    updateIterationBar();
  }
}

}  // namespace tb
