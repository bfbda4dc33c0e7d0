// TreeCompareView: two synchronised TreePanels. See TreeCompareView.h.
#include "widgets/TreeCompareView.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

#include "widgets/TreePanel.h"

namespace tb {

namespace {

QString describe(const TreePanel* panel) {
  if (!panel->hasTree()) return QObject::tr("<span style='color:#9a9ea8'>no tree</span>");
  const ReasoningTree& t = panel->tree();
  QString text = QStringLiteral("<b>%1</b>: ").arg(QString::fromStdString(t.label.empty() ? t.kind : t.label).toHtmlEscaped());
  text += QObject::tr("%1 nodes, depth %2").arg(t.size()).arg(t.maxDepth());
  if (!t.chosenPath.empty()) {
    const TreeNode& answer = t.nodes[t.chosenPath.back()];
    if (answer.terminal)
      text += answer.correct ? QObject::tr(", <span style='color:#15803d'>correct ✓</span>")
                             : QObject::tr(", <span style='color:#b91c1c'>wrong ✗</span>");
  }
  return text;
}

}  // namespace

TreeCompareView::TreeCompareView(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("treeCompare"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  auto* top = new QHBoxLayout;
  top->setContentsMargins(6, 4, 6, 0);
  summary_ = new QLabel(this);
  summary_->setObjectName(QStringLiteral("compareSummary"));
  summary_->setTextFormat(Qt::RichText);
  sync_ = new QCheckBox(tr("Sync colour and search"), this);
  sync_->setChecked(true);
  sync_->setToolTip(tr("Both sides use the same colour metric and search text"));
  top->addWidget(summary_, 1);
  top->addWidget(sync_);
  layout->addLayout(top);

  splitter_ = new QSplitter(Qt::Horizontal, this);
  left_ = new TreePanel(splitter_);
  right_ = new TreePanel(splitter_);
  left_->setObjectName(QStringLiteral("leftTree"));
  right_->setObjectName(QStringLiteral("rightTree"));
  splitter_->addWidget(left_);
  splitter_->addWidget(right_);
  splitter_->setSizes({1, 1});
  // Side by side, each tree gets most of its half; the inspectors stay narrow.
  for (TreePanel* panel : {left_, right_}) panel->splitter()->setSizes({3, 1});
  layout->addWidget(splitter_, 1);

  follow(left_, right_);
  follow(right_, left_);
  connect(sync_, &QCheckBox::toggled, this, [this](bool on) {
    if (!on) return;
    syncing_ = true;
    right_->setColorBy(left_->colorBy());
    right_->setSearchText(left_->searchText());
    syncing_ = false;
  });
  updateSummary();
}

void TreeCompareView::follow(TreePanel* from, TreePanel* to) {
  connect(from, &TreePanel::colorByChanged, this, [this, to](TreeMetric metric) {
    if (syncing_ || !sync_->isChecked()) return;
    syncing_ = true;
    to->setColorBy(metric);
    syncing_ = false;
  });
  connect(from, &TreePanel::searchTextChanged, this, [this, to](const QString& text) {
    if (syncing_ || !sync_->isChecked()) return;
    syncing_ = true;
    to->setSearchText(text);
    syncing_ = false;
  });
}

bool TreeCompareView::setTrees(ReasoningTree left, ReasoningTree right) {
  const bool leftOk = left_->setTree(std::move(left));
  const bool rightOk = right_->setTree(std::move(right));
  if (sync_->isChecked()) {
    syncing_ = true;
    right_->setColorBy(left_->colorBy());
    syncing_ = false;
  }
  updateSummary();
  return leftOk && rightOk;
}

bool TreeCompareView::setLeftTree(ReasoningTree tree) {
  const bool ok = left_->setTree(std::move(tree));
  updateSummary();
  return ok;
}

bool TreeCompareView::setRightTree(ReasoningTree tree) {
  const bool ok = right_->setTree(std::move(tree));
  updateSummary();
  return ok;
}

void TreeCompareView::clear() {
  left_->clear();
  right_->clear();
  updateSummary();
}

void TreeCompareView::setSynchronized(bool on) { sync_->setChecked(on); }
bool TreeCompareView::isSynchronized() const { return sync_->isChecked(); }

void TreeCompareView::updateSummary() {
  summary_->setText(tr("Left — %1 &nbsp;&nbsp;|&nbsp;&nbsp; Right — %2").arg(describe(left_), describe(right_)));
}

}  // namespace tb
