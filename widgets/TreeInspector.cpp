// TreeInspector: node text, statistics and ranked children. See TreeInspector.h.
#include "widgets/TreeInspector.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "widgets/TableStyle.h"

namespace tb {

namespace {

QString formatValue(double v) {
  if (!std::isfinite(v)) return QStringLiteral("—");
  if (v == std::floor(v) && std::fabs(v) < 1e9) return QString::number(static_cast<qint64>(v));
  return QString::number(v, 'g', 5);
}

QLabel* sectionLabel(const QString& text, QWidget* parent) {
  auto* label = new QLabel(text, parent);
  QFont f = label->font();
  f.setWeight(QFont::DemiBold);
  label->setFont(f);
  label->setStyleSheet(QStringLiteral("color: #5f636b;"));
  return label;
}

QPlainTextEdit* textBox(QWidget* parent, const QString& objectName) {
  auto* edit = new QPlainTextEdit(parent);
  edit->setObjectName(objectName);
  edit->setReadOnly(true);
  edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  return edit;
}

QTableWidgetItem* numberItem(const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

}  // namespace

TreeInspector::TreeInspector(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("treeInspector"));
  pages_ = new QStackedWidget(this);
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(pages_);

  auto* hint = new QLabel(tr("Select a node to inspect it.\n\nClick a node to select it; double-click to collapse or expand it."), pages_);
  hint->setAlignment(Qt::AlignCenter);
  hint->setWordWrap(true);
  hint->setStyleSheet(QStringLiteral("color: #9a9ea8;"));
  pages_->addWidget(hint);

  auto* page = new QWidget(pages_);
  auto* layout = new QVBoxLayout(page);
  layout->setContentsMargins(8, 6, 8, 6);
  layout->setSpacing(4);
  auto* header = new QHBoxLayout;
  title_ = new QLabel(page);
  title_->setObjectName(QStringLiteral("inspectorTitle"));
  QFont titleFont = title_->font();
  titleFont.setWeight(QFont::Bold);
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
  title_->setFont(titleFont);
  parentButton_ = new QPushButton(tr("Parent"), page);
  parentButton_->setToolTip(tr("Select the parent node"));
  copyButton_ = new QPushButton(tr("Copy path"), page);
  copyButton_->setToolTip(tr("Copy the steps from the root to this node"));
  header->addWidget(title_, 1);
  header->addWidget(parentButton_);
  header->addWidget(copyButton_);
  layout->addLayout(header);
  status_ = new QLabel(page);
  status_->setObjectName(QStringLiteral("inspectorStatus"));
  status_->setTextFormat(Qt::RichText);
  layout->addWidget(status_);

  layout->addWidget(sectionLabel(tr("Step"), page));
  step_ = textBox(page, QStringLiteral("inspectorStep"));
  step_->setMaximumHeight(step_->fontMetrics().lineSpacing() * 4 + 12);
  layout->addWidget(step_);
  layout->addWidget(sectionLabel(tr("State"), page));
  state_ = textBox(page, QStringLiteral("inspectorState"));
  state_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  layout->addWidget(state_, 2);

  layout->addWidget(sectionLabel(tr("Statistics"), page));
  stats_ = new QLabel(page);
  stats_->setObjectName(QStringLiteral("inspectorStats"));
  stats_->setTextFormat(Qt::RichText);
  stats_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  // No word wrap: a wrapped rich-text label loses rows when the layout is short of height.
  stats_->setWordWrap(false);
  layout->addWidget(stats_);

  childrenTitle_ = sectionLabel(tr("Children"), page);
  layout->addWidget(childrenTitle_);
  children_ = new QTableWidget(0, 5, page);
  children_->setObjectName(QStringLiteral("inspectorChildren"));
  children_->setHorizontalHeaderLabels({tr("#"), tr("Step"), tr("N"), tr("Q"), tr("P")});
  applyListTableStyle(children_);
  children_->horizontalHeader()->setStretchLastSection(false);
  children_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
  for (int c : {0, 2, 3, 4}) children_->horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
  layout->addWidget(children_, 2);
  pages_->addWidget(page);

  connect(children_, &QTableWidget::cellClicked, this, [this](int row, int) {
    if (row >= 0 && row < static_cast<int>(ranked_.size())) emit nodeActivated(ranked_[row]);
  });
  connect(children_, &QTableWidget::cellActivated, this, [this](int row, int) {
    if (row >= 0 && row < static_cast<int>(ranked_.size())) emit nodeActivated(ranked_[row]);
  });
  connect(parentButton_, &QPushButton::clicked, this, [this] {
    if (tree_ && node_ > 0) emit nodeActivated(tree_->nodes[node_].parent);
  });
  connect(copyButton_, &QPushButton::clicked, this, [this] {
    if (!tree_ || node_ < 0) return;
    try {
      QApplication::clipboard()->setText(QString::fromStdString(tree_->textTo(node_)));
    } catch (const std::exception&) {  // a node outside the tree: nothing to copy
    }
  });
}

void TreeInspector::setTree(std::shared_ptr<const ReasoningTree> tree) {
  tree_ = std::move(tree);
  showNode(-1);
}

std::vector<int> TreeInspector::rankChildren(const ReasoningTree& tree, int id, const std::vector<NodeStats>& stats) {
  std::vector<int> kids = tree.nodes[id].children;
  auto statsOf = [&](int c) -> const NodeStats& { return c < static_cast<int>(stats.size()) ? stats[c] : tree.nodes[c].stats; };
  std::stable_sort(kids.begin(), kids.end(), [&](int a, int b) {
    const NodeStats& sa = statsOf(a);
    const NodeStats& sb = statsOf(b);
    if (sa.visits != sb.visits) return sa.visits > sb.visits;
    if (sa.q != sb.q) return sa.q > sb.q;
    return a < b;
  });
  return kids;
}

void TreeInspector::showNode(int id, const std::vector<NodeStats>& stats, const std::vector<bool>& present, int iteration) {
  if (!tree_ || id < 0 || id >= tree_->size()) {
    node_ = -1;
    ranked_.clear();
    children_->setRowCount(0);
    step_->clear();
    state_->clear();
    stats_->clear();
    pages_->setCurrentIndex(0);
    return;
  }
  node_ = id;
  const TreeNode& node = tree_->nodes[id];
  const bool hasStats = static_cast<int>(stats.size()) == tree_->size();
  const NodeStats& s = hasStats ? stats[id] : node.stats;
  auto isPresent = [&](int c) { return c >= static_cast<int>(present.size()) || present[c]; };

  title_->setText(id == 0 ? tr("Root · node 0") : tr("Node %1 · depth %2").arg(id).arg(node.depth));
  QStringList chips;
  if (!isPresent(id)) chips << tr("<span style='color:#b45309'>not created yet at iteration %1 (created at %2)</span>").arg(iteration).arg(node.createdAt);
  if (node.terminal)
    chips << (node.correct ? tr("<span style='color:#15803d'><b>✓ terminal, correct</b></span>")
                           : tr("<span style='color:#b91c1c'><b>✗ terminal, wrong</b></span>"));
  if (std::find(tree_->chosenPath.begin(), tree_->chosenPath.end(), id) != tree_->chosenPath.end())
    chips << tr("<span style='color:#b45309'>on the chosen path</span>");
  status_->setText(chips.join(QStringLiteral(" &nbsp;·&nbsp; ")));
  status_->setVisible(!chips.isEmpty());

  step_->setPlainText(id == 0 && node.step.empty() ? tr("(root: no step taken)") : QString::fromStdString(node.step));
  QString state = QString::fromStdString(node.state);
  if (state.isEmpty() && id == 0) state = QString::fromStdString(tree_->prompt);
  state_->setPlainText(state);

  // Statistics: two name/value pairs per row.
  QVector<QPair<QString, QString>> rows = {
      {tr("visits N"), QString::number(s.visits)},
      {tr("value V"), formatValue(s.value)},
      {tr("Q"), formatValue(s.q)},
      {tr("reward"), formatValue(node.reward)},
      {tr("prior"), formatValue(node.prior)},
      {tr("log-prob"), formatValue(node.logProb)},
      {tr("log-flow"), std::isfinite(node.logFlow) ? formatValue(node.logFlow) : tr("—")},
      {tr("depth"), QString::number(node.depth)},
      {tr("terminal"), node.terminal ? (node.correct ? tr("yes, correct") : tr("yes, wrong")) : tr("no")},
      {tr("created at"), tr("iteration %1").arg(node.createdAt)},
      {tr("children"), QString::number(node.children.size())},
  };
  if (node.extra.is_object())
    for (auto it = node.extra.begin(); it != node.extra.end(); ++it)
      rows.append({QString::fromStdString(it.key()),
                   QString::fromStdString(it.value().is_string() ? it.value().get<std::string>() : it.value().dump())});
  else if (!node.extra.is_null())
    rows.append({tr("extra"), QString::fromStdString(node.extra.dump())});
  auto shown = [](const QString& value) { return value.size() > 48 ? value.left(47) + QStringLiteral("…") : value; };
  QString html = QStringLiteral("<table cellspacing='0' cellpadding='2'>");
  for (int i = 0; i < rows.size(); i += 2) {
    html += QStringLiteral("<tr>");
    for (int k = i; k < std::min<int>(i + 2, rows.size()); ++k)
      html += QStringLiteral("<td style='color:#6b707a; padding-right:6px'>%1</td><td style='padding-right:18px'><b>%2</b></td>")
                  .arg(rows[k].first.toHtmlEscaped(), shown(rows[k].second).toHtmlEscaped());
    html += QStringLiteral("</tr>");
  }
  html += QStringLiteral("</table>");
  stats_->setText(html);
  QStringList plain;
  for (const auto& [name, value] : rows) plain << name + QStringLiteral(": ") + value;
  stats_->setProperty("plainText", plain.join(QLatin1Char('\n')));

  ranked_.clear();
  for (int c : rankChildren(*tree_, id, hasStats ? stats : std::vector<NodeStats>{}))
    if (isPresent(c)) ranked_.push_back(c);
  childrenTitle_->setText(ranked_.empty() ? tr("No children") : tr("Children (%1), ranked by visits, then Q").arg(ranked_.size()));
  children_->setRowCount(static_cast<int>(ranked_.size()));
  for (int row = 0; row < static_cast<int>(ranked_.size()); ++row) {
    const int c = ranked_[row];
    const TreeNode& child = tree_->nodes[c];
    const NodeStats& cs = hasStats ? stats[c] : child.stats;
    QString stepText = QString::fromStdString(child.step).simplified();
    if (child.terminal) stepText = (child.correct ? QStringLiteral("✓ ") : QStringLiteral("✗ ")) + stepText;
    auto* stepItem = new QTableWidgetItem(stepText);
    stepItem->setToolTip(QString::fromStdString(child.step));
    children_->setItem(row, 0, numberItem(QString::number(row + 1)));
    children_->setItem(row, 1, stepItem);
    children_->setItem(row, 2, numberItem(QString::number(cs.visits)));
    children_->setItem(row, 3, numberItem(formatValue(cs.q)));
    children_->setItem(row, 4, numberItem(formatValue(child.prior)));
  }
  children_->setVisible(!ranked_.empty());
  parentButton_->setEnabled(id > 0);
  pages_->setCurrentIndex(1);
}

QString TreeInspector::stepText() const { return node_ >= 0 ? step_->toPlainText() : QString(); }
QString TreeInspector::stateText() const { return node_ >= 0 ? state_->toPlainText() : QString(); }
QString TreeInspector::statisticsText() const { return node_ >= 0 ? stats_->property("plainText").toString() : QString(); }
std::vector<int> TreeInspector::rankedChildren() const { return ranked_; }

}  // namespace tb
