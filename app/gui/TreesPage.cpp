#include "app/gui/TreesPage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>

#include "core/engine/SearchSession.h"
#include "core/search/TreeJson.h"
#include "core/store/RunStore.h"
#include "widgets/TreeCompareView.h"
#include "widgets/TreePanel.h"

namespace tb {

namespace {

QTableWidgetItem* item(const QString& text) {
  auto* it = new QTableWidgetItem(text);
  it->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
  return it;
}

// What a finished search hands back to the GUI thread.
struct SearchResult {
  std::optional<SearchOutcome> outcome;
  QString error;
};

}  // namespace

TreesPage::TreesPage(RunStore* store, QString workspacePath, QWidget* parent)
    : QWidget(parent), store_(store), workspacePath_(std::move(workspacePath)) {
  // Left column: whose trees, the list, and what to do with them; right: the tree itself.
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 6, 8, 4);
  auto* left = leftColumn_ = new QWidget;
  auto* column = new QVBoxLayout(left);
  column->setContentsMargins(0, 0, 4, 0);
  title_ = new QLabel(tr("No run selected"));
  title_->setWordWrap(true);
  QFont f = title_->font();
  f.setBold(true);
  title_->setFont(f);
  column->addWidget(title_);
  list_ = new QTableWidget(0, 5);
  list_->setObjectName("treeList");
  list_->setHorizontalHeaderLabels({tr("Iter."), tr("Problem"), tr("Kind"), tr("Nodes"), tr("Label")});
  list_->verticalHeader()->hide();
  list_->setSelectionBehavior(QAbstractItemView::SelectRows);
  list_->setSelectionMode(QAbstractItemView::SingleSelection);
  list_->setShowGrid(false);
  list_->setAlternatingRowColors(true);
  list_->setWordWrap(false);
  list_->horizontalHeader()->setStretchLastSection(true);
  connect(list_, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0) showListed(row);
  });
  column->addWidget(list_, 1);

  auto* open = new QPushButton(tr("Open file…"));
  open->setToolTip(tr("Open a tree JSON file: Thoughtbench's own or llm-reasoners' TreeLog ({\"logs\": [...]})"));
  connect(open, &QPushButton::clicked, this, [this] { askOpen(); });
  auto* save = new QPushButton(tr("Export JSON…"));
  save->setToolTip(tr("Save the shown tree as JSON (Thoughtbench or llm-reasoners format)"));
  connect(save, &QPushButton::clicked, this, [this] { askExport(); });
  searchButton_ = new QPushButton(tr("New search…"));
  searchButton_->setToolTip(tr("Search a problem with the selected run's latest checkpoint (MCTS, beam, BFS, DFS, best-of-N)"));
  connect(searchButton_, &QPushButton::clicked, this, [this] { askSearch(); });
  pinButton_ = new QPushButton(tr("Pin for comparison"));
  pinButton_->setToolTip(tr("Keep the shown tree as the left one of the side-by-side view"));
  connect(pinButton_, &QPushButton::clicked, this, [this] { pinCurrent(); });
  sideBySide_ = new QCheckBox(tr("Side by side"));
  sideBySide_->setToolTip(tr("Show the pinned tree next to the current one"));
  connect(sideBySide_, &QCheckBox::toggled, this, [this](bool on) { setSideBySide(on); });
  auto* attention = new QPushButton(tr("Attention of the selected path"));
  attention->setToolTip(tr("Open the attention behind the text from the root to the selected node, under the "
                           "run's policy that drew the tree"));
  connect(attention, &QPushButton::clicked, this, [this] { requestAttention(); });
  auto* buttons = new QGridLayout;
  buttons->addWidget(open, 0, 0);
  buttons->addWidget(save, 0, 1);
  buttons->addWidget(searchButton_, 1, 0, 1, 2);
  buttons->addWidget(attention, 2, 0, 1, 2);
  buttons->addWidget(pinButton_, 3, 0);
  buttons->addWidget(sideBySide_, 3, 1);
  column->addLayout(buttons);

  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(left);
  auto* right = new QWidget;
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  compareBar_ = new QWidget;
  auto* compareLayout = new QHBoxLayout(compareBar_);
  compareLayout->setContentsMargins(0, 0, 0, 0);
  compareLayout->addWidget(new QLabel(tr("Side by side: the pinned tree (left) and the chosen one (right)")), 1);
  auto* back = new QPushButton(tr("Back to one tree"));
  connect(back, &QPushButton::clicked, this, [this] { setSideBySide(false); });
  compareLayout->addWidget(back);
  compareBar_->hide();
  rightLayout->addWidget(compareBar_);
  stack_ = new QStackedWidget;
  panel_ = new TreePanel;
  compare_ = new TreeCompareView;
  stack_->addWidget(panel_);
  stack_->addWidget(compare_);
  // The hidden page must not impose its size: two panels need twice the width of one.
  compare_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
  rightLayout->addWidget(stack_, 1);
  split->addWidget(right);
  split->setStretchFactor(1, 1);
  split->setSizes({320, 1100});
  layout->addWidget(split, 1);
  status_ = new QLabel;
  status_->setWordWrap(true);
  layout->addWidget(status_);
  setStatus(tr("Trees are stored with each run (run.trees_logged per iteration). Open a run, a file, or start a search."));
}

TreesPage::~TreesPage() {
  if (worker_) worker_->wait();
}

QString TreesPage::statusText() const { return status_->text(); }

void TreesPage::setStatus(const QString& text, bool error) {
  status_->setText(text);
  status_->setStyleSheet(error ? "QLabel { color: #b42318; }" : "QLabel { color: #475467; }");
}

void TreesPage::showRun(qint64 runId) {
  runId_ = runId;
  current_.reset();
  refresh();
}

void TreesPage::refresh() {
  try {
    const int row = list_->currentRow();
    const bool atEnd = row < 0 || row == list_->rowCount() - 1;
    const int before = static_cast<int>(treeIds_.size());
    list_->blockSignals(true);
    list_->setRowCount(0);
    treeIds_.clear();
    treeIterations_.clear();
    const auto record = runId_ >= 0 ? store_->run(runId_) : std::nullopt;
    if (!record) {
      title_->setText(tr("No run selected"));
      list_->blockSignals(false);
      return;
    }
    const auto trees = store_->trees(runId_);
    title_->setText(tr("Run %1 · %2 on %3 · %4 stored trees")
                        .arg(runId_)
                        .arg(QString::fromStdString(record->algorithm), QString::fromStdString(record->task))
                        .arg(trees.size()));
    for (const auto& t : trees) {
      const int r = list_->rowCount();
      list_->insertRow(r);
      list_->setItem(r, 0, item(QString::number(t.iteration)));
      list_->setItem(r, 1, item(QString::fromStdString(t.problemId)));
      list_->setItem(r, 2, item(QString::fromStdString(t.kind)));
      list_->setItem(r, 3, item(QString::number(t.nodes)));
      list_->setItem(r, 4, item(QString::fromStdString(t.label)));
      treeIds_.append(t.id);
      treeIterations_.append(t.iteration);
    }
    list_->resizeColumnsToContents();
    // A live run keeps adding trees: stay on the one shown unless it was the newest.
    const int keep = atEnd ? list_->rowCount() - 1 : row;
    if (keep >= 0 && keep < list_->rowCount()) list_->selectRow(keep);
    list_->blockSignals(false);
    if (trees.empty())
      setStatus(tr("Run %1 stores no trees yet (they arrive with each iteration; run.trees_logged = 0 turns them off).")
                    .arg(runId_));
    else if (keep >= 0 && (!current_ || (atEnd && list_->rowCount() != before)))
      showListed(keep);
  } catch (const std::exception& e) {
    list_->blockSignals(false);
    setStatus(QString::fromStdString(e.what()), true);
  }
}

void TreesPage::showListed(int index) {
  if (index < 0 || index >= treeIds_.size()) return;
  try {
    show(store_->tree(treeIds_[index]));
    currentIteration_ = treeIterations_[index];
  } catch (const std::exception& e) {
    setStatus(QString::fromStdString(e.what()), true);
  }
}

void TreesPage::show(ReasoningTree tree) {
  current_ = std::move(tree);
  int correct = 0;
  for (const auto& n : current_->nodes) correct += n.correct;
  setStatus(tr("%1 · %2 nodes, depth %3, %4 correct leaves%5")
                .arg(QString::fromStdString(current_->label.empty() ? current_->kind : current_->label))
                .arg(current_->size())
                .arg(current_->maxDepth())
                .arg(correct)
                .arg(current_->iterations() ? tr(", %1 iterations to replay").arg(current_->iterations()) : QString()));
  panel_->setTree(*current_);
  if (sideBySide_->isChecked() && pinned_) compare_->setTrees(*pinned_, *current_);
}

bool TreesPage::openFile(const QString& path) {
  try {
    show(readTreeFile(path.toStdString()));
    currentIteration_ = -1;
    list_->clearSelection();
    return true;
  } catch (const std::exception& e) {
    setStatus(QString::fromStdString(e.what()), true);
    return false;
  }
}

bool TreesPage::exportTree(const QString& path, const QString& format) {
  if (!current_) {
    setStatus(tr("No tree to export: open a run's tree or a file first."), true);
    return false;
  }
  try {
    writeTreeFile(*current_, path.toStdString(), format.toStdString());
    setStatus(tr("Tree written to %1 (%2 format)").arg(path, format));
    return true;
  } catch (const std::exception& e) {
    setStatus(QString::fromStdString(e.what()), true);
    return false;
  }
}

void TreesPage::pinCurrent() {
  if (!current_) {
    setStatus(tr("No tree to pin."), true);
    return;
  }
  pinned_ = current_;
  setStatus(tr("Pinned %1 for comparison: choose another tree (of any run) and tick Side by side.")
                .arg(QString::fromStdString(pinned_->label.empty() ? pinned_->kind : pinned_->label)));
  if (sideBySide_->isChecked()) setSideBySide(true);
}

void TreesPage::setSideBySide(bool on) {
  if (on && (!pinned_ || !current_)) {
    setStatus(tr("Pin a tree first, then choose the one to compare it with."), true);
    sideBySide_->blockSignals(true);
    sideBySide_->setChecked(false);
    sideBySide_->blockSignals(false);
    return;
  }
  if (sideBySide_->isChecked() != on) {
    sideBySide_->blockSignals(true);
    sideBySide_->setChecked(on);
    sideBySide_->blockSignals(false);
  }
  if (on) compare_->setTrees(*pinned_, *current_);
  const bool changed = sideBySide() != on;
  compare_->setSizePolicy(on ? QSizePolicy::Preferred : QSizePolicy::Ignored,
                          on ? QSizePolicy::Preferred : QSizePolicy::Ignored);
  panel_->setSizePolicy(on ? QSizePolicy::Ignored : QSizePolicy::Preferred,
                        on ? QSizePolicy::Ignored : QSizePolicy::Preferred);
  stack_->setCurrentWidget(on ? static_cast<QWidget*>(compare_) : panel_);
  leftColumn_->setVisible(!on);
  compareBar_->setVisible(on);
  if (changed) emit sideBySideChanged(on);
}

bool TreesPage::sideBySide() const { return stack_->currentWidget() == compare_; }

void TreesPage::startSearch(const QString& problemId, const QString& method, int simulations) {
  if (worker_) {
    setStatus(tr("A search is already running."), true);
    return;
  }
  SearchRequest request;
  request.problemId = problemId.toStdString();
  if (method == "samples")
    request.sampleGroup = simulations;  // the policy's group, no search
  else
    request.overrides = {"search.method=" + method.toStdString(), "search.simulations=" + std::to_string(simulations)};
  const qint64 run = runId_;
  if (run < 0 && current_) request.task = current_->task;
  if (run < 0 && request.task.empty()) {
    setStatus(tr("Select a run (its checkpoint is the policy) before searching."), true);
    return;
  }
  auto result = std::make_shared<SearchResult>();
  const std::string workspace = workspacePath_.toStdString();
  worker_ = QThread::create([request, run, workspace, result]() mutable {
    // The worker owns everything it touches; no exception leaves the thread.
    try {
      std::unique_ptr<RunStore> store;
      if (run >= 0) {
        store = RunStore::open(workspace);
        request.store = store.get();
        request.run = run;
      }
      result->outcome = searchProblem(request);
    } catch (const std::exception& e) {
      result->error = QString::fromStdString(e.what());
    }
  });
  connect(worker_, &QThread::finished, this, [this, result] {
    worker_->deleteLater();
    worker_ = nullptr;
    searchButton_->setEnabled(true);
    if (result->outcome) {
      show(std::move(result->outcome->tree));
      currentIteration_ = -1;
      list_->clearSelection();
      setStatus(statusText() + tr(" · search took %1 s; chosen answer %2")
                                   .arg(result->outcome->seconds, 0, 'f', 2)
                                   .arg(result->outcome->answerCorrect ? tr("correct") : tr("wrong")));
    } else {
      setStatus(result->error, true);
    }
    emit searchFinished(result->outcome.has_value());
  });
  searchButton_->setEnabled(false);
  setStatus(method == "samples" ? tr("Sampling %1 completions of %2…").arg(simulations).arg(problemId)
                                : tr("Searching %1 with %2 (%3 simulations)…").arg(problemId, method).arg(simulations));
  worker_->start();
}

void TreesPage::requestAttention() {
  if (!current_ || runId_ < 0) {
    setStatus(tr("Select a run and one of its trees first: its policy recomputes the attention."), true);
    return;
  }
  const int node = panel_->selectedNode();
  if (node <= 0 || node >= current_->size()) {
    setStatus(tr("Select a node below the root: its path is the text whose attention is shown."), true);
    return;
  }
  // A stored tree was drawn by the policy of its iteration; a file or new search: the latest one.
  const int iteration = currentIteration_ >= 0 ? currentIteration_ : (1 << 30);
  emit attentionRequested(runId_, iteration, QString::fromStdString(current_->problemId),
                          QString::fromStdString(current_->prompt), QString::fromStdString(current_->textTo(node)));
}

void TreesPage::askSearch() {
  QDialog dialog(this);
  dialog.setWindowTitle(tr("New search"));
  auto* form = new QFormLayout(&dialog);
  auto* problem = new QLineEdit(current_ ? QString::fromStdString(current_->problemId) : QString());
  problem->setPlaceholderText(tr("e.g. game24/900 (the Tasks tab shows ids)"));
  auto* method = new QComboBox;
  method->addItems({"mcts", "beam", "bfs", "dfs", "best_of_n", "samples"});
  method->setToolTip(tr("samples: no search, the policy's group of completions as a prefix tree (compare two "
                        "runs' diversity on one problem)"));
  auto* sims = new QSpinBox;
  sims->setRange(1, 4096);
  sims->setValue(32);
  form->addRow(tr("Problem"), problem);
  form->addRow(tr("Method"), method);
  form->addRow(tr("Simulations / samples"), sims);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  form->addRow(buttons);
  if (dialog.exec() == QDialog::Accepted) startSearch(problem->text().trimmed(), method->currentText(), sims->value());
}

void TreesPage::askExport() {
  QString filter;
  const QString path = QFileDialog::getSaveFileName(this, tr("Export tree"), "tree.json",
                                                    tr("Thoughtbench tree (*.json);;llm-reasoners TreeLog (*.json)"), &filter);
  if (path.isEmpty()) return;
  exportTree(path, filter.startsWith("llm") ? "llm-reasoners" : "thoughtbench");
}

void TreesPage::askOpen() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open tree"), QString(), tr("Tree JSON (*.json);;All files (*)"));
  if (!path.isEmpty()) openFile(path);
}

}  // namespace tb
