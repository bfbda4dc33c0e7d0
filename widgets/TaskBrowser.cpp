// TaskBrowser: task list, task facts, level filter, sample table, and the detail and state panes.
// See TaskBrowser.h.
#include "widgets/TaskBrowser.h"

#include "widgets/TableStyle.h"

#include <QApplication>
#include <QComboBox>
#include <QEvent>
#include <QFontDatabase>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QSlider>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTextEdit>
#include <QVBoxLayout>

#include <algorithm>

namespace tb {

namespace {

const QColor kMuted(0x6b, 0x70, 0x7a);
const QColor kHint(0x9a, 0x9e, 0xa8);
const QColor kError(0xc6, 0x28, 0x28);
const QColor kGood(0x2e, 0x7d, 0x32);

enum TaskRole { NameRole = Qt::UserRole + 1, SummaryRole };
enum Column { IdColumn, LevelColumn, DifficultyColumn, DemoColumn, PromptColumn, ColumnCount };

// The first sentence of a description: the list's one-line summary.
QString firstSentence(const QString& text) {
  const QString t = text.simplified();
  const int end = t.indexOf(QStringLiteral(". "));
  return end < 0 ? t : t.left(end + 1);
}

QString oneLine(const QString& text) { return text.simplified(); }

QString formatNumber(double v) { return QString::number(v, 'g', 6); }

// Two-line task entries: the title in bold with the registry name in grey at the right, and the
// description's first sentence under it, elided to the width.
class TaskListDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;

  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const override {
    const QFontMetrics fm(option.font);
    return QSize(200, 3 * fm.height() + 20);
  }

  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget* widget = opt.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    opt.text.clear();
    opt.icon = QIcon();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);

    const bool selected = opt.state & QStyle::State_Selected;
    const QColor text = selected ? opt.palette.color(QPalette::HighlightedText) : opt.palette.color(QPalette::Text);
    const QColor muted = selected ? opt.palette.color(QPalette::HighlightedText) : kMuted;
    const QRect r = opt.rect.adjusted(10, 8, -10, -8);
    painter->save();
    painter->setRenderHint(QPainter::TextAntialiasing);
    QFont bold = opt.font;
    bold.setBold(true);
    QFont small = opt.font;
    small.setPointSizeF(opt.font.pointSizeF() * 0.9);
    const QFontMetrics boldMetrics(bold), smallMetrics(small), fm(opt.font);

    const QString name = index.data(NameRole).toString();
    const int nameWidth = smallMetrics.horizontalAdvance(name);
    painter->setFont(small);
    painter->setPen(muted);
    painter->drawText(QRect(r.right() - nameWidth, r.top(), nameWidth, boldMetrics.height()),
                      Qt::AlignRight | Qt::AlignVCenter, name);
    painter->setFont(bold);
    painter->setPen(text);
    const QRect titleRect(r.left(), r.top(), r.width() - nameWidth - 8, boldMetrics.height());
    painter->drawText(titleRect, Qt::AlignLeft | Qt::AlignVCenter,
                      boldMetrics.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight, titleRect.width()));
    painter->setFont(opt.font);
    painter->setPen(muted);
    // The summary wraps onto two lines; the second is elided if it is still too long.
    const QRect summaryRect(r.left(), r.top() + boldMetrics.height() + 3, r.width(), 2 * fm.height());
    const QString summary = index.data(SummaryRole).toString();
    QString first = summary, second;
    if (fm.horizontalAdvance(summary) > summaryRect.width()) {
      int cut = summary.size();
      while (cut > 0 && fm.horizontalAdvance(summary.left(cut)) > summaryRect.width()) cut = summary.lastIndexOf(' ', cut - 1);
      if (cut <= 0) cut = summary.size();
      first = summary.left(cut);
      second = fm.elidedText(summary.mid(cut).trimmed(), Qt::ElideRight, summaryRect.width());
    }
    painter->drawText(QRect(summaryRect.left(), summaryRect.top(), summaryRect.width(), fm.height()),
                      Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(first, Qt::ElideRight, summaryRect.width()));
    if (!second.isEmpty())
      painter->drawText(QRect(summaryRect.left(), summaryRect.top() + fm.height(), summaryRect.width(), fm.height()),
                        Qt::AlignLeft | Qt::AlignVCenter, second);
    painter->restore();
  }
};

QLabel* mutedLabel(const QString& text, QWidget* parent) {
  auto* label = new QLabel(text, parent);
  QPalette muted = label->palette();
  muted.setColor(QPalette::WindowText, kMuted);
  label->setPalette(muted);
  return label;
}

QLabel* sectionLabel(const QString& text, QWidget* parent) {
  auto* label = mutedLabel(text, parent);
  QFont f = label->font();
  f.setBold(true);
  f.setPointSizeF(f.pointSizeF() * 0.9);
  label->setFont(f);
  return label;
}

QTextEdit* monospacePane(const QString& name, QWidget* parent) {
  auto* edit = new QTextEdit(parent);
  edit->setObjectName(name);
  edit->setReadOnly(true);
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(edit->font().pointSizeF() * 0.95);
  edit->setFont(mono);
  edit->document()->setDocumentMargin(10);
  return edit;
}

}  // namespace

TaskBrowser::TaskBrowser(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("taskBrowser"));
  auto* outer = new QHBoxLayout(this);
  outer->setContentsMargins(8, 8, 8, 8);
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->setChildrenCollapsible(false);
  outer->addWidget(splitter);

  // Left: the tasks.
  auto* listPanel = new QWidget(splitter);
  auto* listLayout = new QVBoxLayout(listPanel);
  listLayout->setContentsMargins(0, 0, 4, 0);
  listLayout->setSpacing(6);
  listLayout->addWidget(sectionLabel(tr("TASKS"), listPanel));
  taskList_ = new QListWidget(listPanel);
  taskList_->setObjectName(QStringLiteral("taskList"));
  taskList_->setItemDelegate(new TaskListDelegate(taskList_));
  taskList_->setSelectionMode(QAbstractItemView::SingleSelection);
  taskList_->setUniformItemSizes(true);
  taskList_->setMinimumWidth(260);
  listLayout->addWidget(taskList_, 1);
  connect(taskList_, &QListWidget::currentRowChanged, this, [this] {
    showTaskInfo();
    requestSamples();
  });

  // Right: facts, filter, samples, detail.
  auto* right = new QWidget(splitter);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(4, 0, 0, 0);
  rightLayout->setSpacing(8);

  auto* card = new QFrame(right);
  card->setObjectName(QStringLiteral("taskCard"));
  card->setStyleSheet(QStringLiteral(
      "QFrame#taskCard { background: #f4f6f8; border: 1px solid #dde1e6; border-radius: 4px; }"));
  auto* cardLayout = new QVBoxLayout(card);
  cardLayout->setContentsMargins(12, 10, 12, 10);
  cardLayout->setSpacing(6);
  auto* titleRow = new QHBoxLayout;
  titleRow->setSpacing(10);
  titleLabel_ = new QLabel(card);
  titleLabel_->setObjectName(QStringLiteral("taskTitle"));
  QFont titleFont = titleLabel_->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 1.25);
  titleFont.setBold(true);
  titleLabel_->setFont(titleFont);
  nameLabel_ = mutedLabel({}, card);
  nameLabel_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  titleRow->addWidget(titleLabel_);
  titleRow->addWidget(nameLabel_, 0, Qt::AlignBottom);
  titleRow->addStretch(1);
  cardLayout->addLayout(titleRow);
  descriptionLabel_ = new QLabel(card);
  descriptionLabel_->setObjectName(QStringLiteral("taskDescription"));
  descriptionLabel_->setWordWrap(true);
  descriptionLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  cardLayout->addWidget(descriptionLabel_);
  factsLabel_ = new QLabel(card);
  factsLabel_->setObjectName(QStringLiteral("taskFacts"));
  factsLabel_->setWordWrap(true);
  factsLabel_->setTextFormat(Qt::RichText);
  factsLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  cardLayout->addWidget(factsLabel_);
  rightLayout->addWidget(card);

  auto* bar = new QHBoxLayout;
  bar->setSpacing(8);
  auto* levelLabel = new QLabel(tr("Level"), right);
  levelCombo_ = new QComboBox(right);
  levelCombo_->setObjectName(QStringLiteral("levelFilter"));
  levelCombo_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  levelLabel->setBuddy(levelCombo_);
  connect(levelCombo_, &QComboBox::currentIndexChanged, this, [this] { requestSamples(); });
  summary_ = mutedLabel({}, right);
  bar->addWidget(sectionLabel(tr("SAMPLE PROBLEMS"), right));
  bar->addSpacing(12);
  bar->addWidget(levelLabel);
  bar->addWidget(levelCombo_);
  bar->addStretch(1);
  bar->addWidget(summary_);
  rightLayout->addLayout(bar);

  model_ = new QStandardItemModel(0, ColumnCount, this);
  model_->setHorizontalHeaderLabels({tr("Problem"), tr("Level"), tr("Difficulty"), tr("Demonstration"), tr("Prompt")});
  table_ = new QTableView(right);
  table_->setObjectName(QStringLiteral("sampleTable"));
  table_->setModel(model_);
  applyListTableStyle(table_);
  QHeaderView* header = table_->horizontalHeader();
  const QFontMetrics fm = fontMetrics();
  header->resizeSection(IdColumn, fm.horizontalAdvance(QStringLiteral("blocksworld/00000")) + 16);
  header->resizeSection(LevelColumn, fm.horizontalAdvance(QStringLiteral("rank 1201-1362")) + 16);
  header->resizeSection(DifficultyColumn, fm.horizontalAdvance(QStringLiteral("Difficulty")) + 20);
  header->resizeSection(DemoColumn, fm.horizontalAdvance(QStringLiteral("Demonstration")) + 20);
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { showSampleDetail(); });

  emptyOverlay_ = new QLabel(table_->viewport());
  emptyOverlay_->setObjectName(QStringLiteral("samplesHint"));
  emptyOverlay_->setAlignment(Qt::AlignCenter);
  emptyOverlay_->setWordWrap(true);
  emptyOverlay_->setMargin(16);
  emptyOverlay_->setAttribute(Qt::WA_TransparentForMouseEvents);
  emptyOverlay_->setTextInteractionFlags(Qt::NoTextInteraction);
  table_->viewport()->installEventFilter(this);

  detail_ = monospacePane(QStringLiteral("sampleDetail"), right);
  detail_->setPlaceholderText(tr("Select a problem to see its prompt, the solver's demonstration and the verdict."));

  statePanel_ = new QWidget(right);
  statePanel_->setObjectName(QStringLiteral("statePanel"));
  auto* stateLayout = new QVBoxLayout(statePanel_);
  stateLayout->setContentsMargins(0, 0, 0, 0);
  stateLayout->setSpacing(6);
  auto* stepRow = new QHBoxLayout;
  stepRow->setSpacing(8);
  stepRow->addWidget(sectionLabel(tr("STATE"), statePanel_));
  stepRow->addSpacing(6);
  stepSlider_ = new QSlider(Qt::Horizontal, statePanel_);
  stepSlider_->setObjectName(QStringLiteral("stepSlider"));
  stepSlider_->setPageStep(1);
  stepSlider_->setTickPosition(QSlider::TicksBelow);
  stepSlider_->setTickInterval(1);
  stepSlider_->setToolTip(tr("Step through the demonstration's states"));
  stepLabel_ = mutedLabel({}, statePanel_);
  stepLabel_->setMinimumWidth(fm.horizontalAdvance(QStringLiteral("step 00 / 00")));
  stepLabel_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
  stepRow->addWidget(stepSlider_, 1);
  stepRow->addWidget(stepLabel_);
  stateLayout->addLayout(stepRow);
  stepCaption_ = new QLabel(statePanel_);
  stepCaption_->setObjectName(QStringLiteral("stepCaption"));
  stepCaption_->setWordWrap(true);
  stateLayout->addWidget(stepCaption_);
  stacksView_ = new BlockStacksView(statePanel_);
  stacksView_->setMinimumHeight(160);
  stateLayout->addWidget(stacksView_, 4);
  stateText_ = monospacePane(QStringLiteral("stateText"), statePanel_);
  stateText_->setLineWrapMode(QTextEdit::WidgetWidth);
  stateText_->setMinimumHeight(5 * fm.height());
  stateLayout->addWidget(stateText_, 1);
  connect(stepSlider_, &QSlider::valueChanged, this, [this] { showState(); });

  auto* detailSplitter = new QSplitter(Qt::Horizontal, right);
  detailSplitter->setChildrenCollapsible(false);
  detailSplitter->addWidget(detail_);
  detailSplitter->addWidget(statePanel_);
  detailSplitter->setStretchFactor(0, 3);
  detailSplitter->setStretchFactor(1, 2);

  sampleSplitter_ = new QSplitter(Qt::Vertical, right);
  sampleSplitter_->setChildrenCollapsible(false);
  sampleSplitter_->addWidget(table_);
  sampleSplitter_->addWidget(detailSplitter);
  sampleSplitter_->setStretchFactor(0, 1);
  sampleSplitter_->setStretchFactor(1, 1);
  rightLayout->addWidget(sampleSplitter_, 1);

  splitter->addWidget(listPanel);
  splitter->addWidget(right);
  splitter->setStretchFactor(0, 0);
  splitter->setStretchFactor(1, 1);
  splitter->setSizes({330, 1000});

  showTaskInfo();
  setSamples({});
}

TaskBrowser::~TaskBrowser() = default;

void TaskBrowser::setTasks(const QVector<TaskEntry>& tasks) {
  const QString previous = currentTask();
  tasks_ = tasks;
  {
    const QSignalBlocker block(taskList_);
    taskList_->clear();
    for (const TaskEntry& t : tasks_) {
      auto* item = new QListWidgetItem(t.title.isEmpty() ? t.name : t.title, taskList_);
      item->setData(NameRole, t.name);
      item->setData(SummaryRole, firstSentence(t.description));
      item->setToolTip(t.description);
    }
  }
  if (!previous.isEmpty() && !selectTask(previous)) {
    showTaskInfo();
    setSamples({});
  }
}

int TaskBrowser::taskCount() const { return static_cast<int>(tasks_.size()); }

QStringList TaskBrowser::taskNames() const {
  QStringList names;
  for (const auto& t : tasks_) names << t.name;
  return names;
}

bool TaskBrowser::selectTask(const QString& name) {
  for (int i = 0; i < tasks_.size(); ++i) {
    if (tasks_[i].name != name) continue;
    taskList_->setCurrentRow(i);
    return true;
  }
  return false;
}

QString TaskBrowser::currentTask() const {
  const TaskEntry* entry = currentEntry();
  return entry ? entry->name : QString();
}

const TaskEntry* TaskBrowser::currentEntry() const {
  const int row = taskList_->currentRow();
  return row >= 0 && row < tasks_.size() ? &tasks_[row] : nullptr;
}

void TaskBrowser::showTaskInfo() {
  const TaskEntry* t = currentEntry();
  trainCount_ = testCount_ = -1;
  const QSignalBlocker block(levelCombo_);
  levelCombo_->clear();
  levelCombo_->addItem(tr("All levels"), -1);
  if (!t) {
    titleLabel_->setText(tr("No task selected"));
    nameLabel_->clear();
    descriptionLabel_->setText(tasks_.isEmpty() ? tr("No tasks are registered.")
                                                : tr("Select a task on the left to see its problems."));
    factsLabel_->clear();
    factsLabel_->hide();
    levelCombo_->setEnabled(false);
    return;
  }
  for (int i = 0; i < t->levels.size(); ++i) levelCombo_->addItem(t->levels[i], i);
  levelCombo_->setEnabled(t->levels.size() > 1);
  titleLabel_->setText(t->title.isEmpty() ? t->name : t->title);
  nameLabel_->setText(t->name);
  descriptionLabel_->setText(t->description);
  factsLabel_->show();
  updateSummary();
}

void TaskBrowser::setProblemCounts(int train, int test, const QVector<int>& trainPerLevel) {
  trainCount_ = train;
  testCount_ = test;
  if (const TaskEntry* t = currentEntry()) {
    for (int i = 0; i < t->levels.size(); ++i) {
      const int item = levelCombo_->findData(i);
      if (item < 0) continue;
      levelCombo_->setItemText(item, i < trainPerLevel.size()
                                         ? tr("%1  (%2)").arg(t->levels[i]).arg(trainPerLevel[i])
                                         : t->levels[i]);
    }
    if (train >= 0) levelCombo_->setItemText(0, tr("All levels  (%1)").arg(train));
  }
  updateSummary();
}

void TaskBrowser::requestSamples() {
  samples_.clear();
  model_->removeRows(0, model_->rowCount());
  message_.clear();
  const QString task = currentTask();
  if (task.isEmpty()) {
    setSamples({});
    return;
  }
  emit samplesRequested(task, levelFilter());
}

void TaskBrowser::setSamples(const QVector<TaskSample>& samples) {
  samples_ = samples;
  message_.clear();
  {
    const QSignalBlocker block(table_->selectionModel());
    model_->removeRows(0, model_->rowCount());
    const TaskEntry* t = currentEntry();
    for (const TaskSample& s : samples_) {
      QList<QStandardItem*> row;
      row << new QStandardItem(s.id);
      const QString levelName = t && s.level >= 0 && s.level < t->levels.size() ? t->levels[s.level]
                                                                                : QString::number(s.level);
      auto* levelItem = new QStandardItem(levelName);
      levelItem->setToolTip(tr("level %1: %2").arg(s.level).arg(levelName));
      row << levelItem;
      auto* difficulty = new QStandardItem(formatNumber(s.difficulty));
      row << difficulty;
      auto* demo = new QStandardItem;
      if (!s.hasDemonstration) {
        demo->setText(tr("— none"));
        demo->setForeground(kHint);
      } else {
        demo->setText(s.verdictCorrect ? tr("✓ correct") : tr("✗ wrong"));
        demo->setForeground(s.verdictCorrect ? kGood : kError);
      }
      demo->setToolTip(s.verdictReason);
      row << demo;
      auto* prompt = new QStandardItem(oneLine(s.prompt));
      prompt->setToolTip(s.prompt);
      row << prompt;
      model_->appendRow(row);
    }
  }
  // Ids differ in length between tasks ("game24/417", "arithmetic/dc5423ee0b2ccd80"): fit them.
  table_->resizeColumnToContents(IdColumn);
  table_->horizontalHeader()->resizeSection(
      IdColumn, std::clamp(table_->horizontalHeader()->sectionSize(IdColumn),
                           fontMetrics().horizontalAdvance(QStringLiteral("problem 00000")), 320));
  table_->resizeColumnToContents(LevelColumn);
  table_->horizontalHeader()->resizeSection(
      LevelColumn, std::clamp(table_->horizontalHeader()->sectionSize(LevelColumn),
                              fontMetrics().horizontalAdvance(QStringLiteral("Level 0")) + 16, 240));
  if (!samples_.isEmpty()) table_->selectRow(0);
  showSampleDetail();
  updateSummary();
}

void TaskBrowser::showMessage(const QString& text, bool error) {
  setSamples({});
  message_ = text;
  messageIsError_ = error;
  updateSummary();
}

QString TaskBrowser::message() const { return message_; }

int TaskBrowser::levelFilter() const { return levelCombo_->currentData().isValid() ? levelCombo_->currentData().toInt() : -1; }

void TaskBrowser::setLevelFilter(int level) {
  const int i = levelCombo_->findData(level);
  if (i >= 0) levelCombo_->setCurrentIndex(i);  // asks for samples via currentIndexChanged
}

int TaskBrowser::sampleCount() const { return static_cast<int>(samples_.size()); }

const TaskSample& TaskBrowser::sample(int row) const { return samples_.at(row); }

bool TaskBrowser::selectSample(int row) {
  if (row < 0 || row >= samples_.size()) return false;
  table_->selectRow(row);
  return true;
}

std::optional<TaskSample> TaskBrowser::currentSample() const {
  const QModelIndexList rows = table_->selectionModel()->selectedRows();
  if (rows.isEmpty()) return std::nullopt;
  const int row = rows.first().row();
  if (row < 0 || row >= samples_.size()) return std::nullopt;
  return samples_[row];
}

int TaskBrowser::stateStep() const { return stepSlider_->value(); }

void TaskBrowser::setStateStep(int step) { stepSlider_->setValue(step); }

void TaskBrowser::updateSummary() {
  const TaskEntry* t = currentEntry();
  if (t) {
    QStringList facts;
    if (!t->levels.isEmpty()) {
      QStringList chips;
      for (int i = 0; i < t->levels.size(); ++i)
        chips << QStringLiteral("<span style='background:#e6e9ee; color:#30343a;'>&nbsp;%1&nbsp;</span>")
                     .arg(t->levels[i].toHtmlEscaped().replace(QLatin1Char(' '), QStringLiteral("&nbsp;")));
      facts << tr("<span style='color:#6b707a;'>Levels</span>&nbsp; %1").arg(chips.join(QStringLiteral("&nbsp; ")));
    }
    facts << tr("<span style='color:#6b707a;'>Source</span>&nbsp; %1")
                 .arg(t->source.isEmpty() ? tr("generated by the task") : t->source.toHtmlEscaped());
    QStringList traits;
    if (trainCount_ >= 0 && testCount_ >= 0) traits << tr("%1 train · %2 test problems").arg(trainCount_).arg(testCount_);
    traits << (t->stepLevel ? tr("step-level (each line is checked)") : tr("answer-level"));
    traits << (t->hasSolver ? tr("solver writes demonstrations") : tr("no solver"));
    facts << tr("<span style='color:#6b707a;'>Problems</span>&nbsp; %1").arg(traits.join(QStringLiteral(" · ")));
    factsLabel_->setText(facts.join(QStringLiteral("<br>")));
  }

  if (samples_.isEmpty()) {
    summary_->clear();
  } else {
    int demos = 0, correct = 0;
    for (const auto& s : samples_) {
      demos += s.hasDemonstration;
      correct += s.hasDemonstration && s.verdictCorrect;
    }
    summary_->setText(demos == 0 ? tr("%n problem(s) · no demonstrations", nullptr, samples_.size())
                                 : tr("%n problem(s) · %1 of %2 demonstrations verified correct", nullptr,
                                      samples_.size())
                                       .arg(correct)
                                       .arg(demos));
  }

  QPalette pal = emptyOverlay_->palette();
  if (!message_.isEmpty()) {
    emptyOverlay_->setText(message_);
    pal.setColor(QPalette::WindowText, messageIsError_ ? kError : kHint);
  } else {
    emptyOverlay_->setText(!t ? tr("Select a task to see sample problems")
                              : levelFilter() >= 0 ? tr("The train split has no problems at this level")
                                                   : tr("No sample problems"));
    pal.setColor(QPalette::WindowText, kHint);
  }
  emptyOverlay_->setPalette(pal);
  emptyOverlay_->setVisible(samples_.isEmpty());
  placeOverlay();
}

void TaskBrowser::showSampleDetail() {
  const std::optional<TaskSample> s = currentSample();
  if (!s) {
    detail_->clear();
    const QSignalBlocker block(stepSlider_);
    stepSlider_->setRange(0, 0);
    showState();
    return;
  }
  const TaskEntry* t = currentEntry();
  auto block = [](const QString& title, const QString& body, const QString& emptyText) {
    const QString text = body.isEmpty()
                             ? QStringLiteral("<span style='color:#9a9ea8'>%1</span>").arg(emptyText.toHtmlEscaped())
                             : body.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    return QStringLiteral(
               "<p style='margin-top:10px; margin-bottom:3px; color:#6b707a; font-weight:bold;'>%1</p>"
               "<table width='100%' cellspacing='0' cellpadding='8' bgcolor='#f5f6f8' "
               "style='border: 1px solid #e3e5ea;'><tr><td style='white-space:pre-wrap;'>%2</td></tr></table>")
        .arg(title, text);
  };
  QString verdict;
  if (!s->hasDemonstration) {
    verdict = QStringLiteral("<span style='color:#9a9ea8; font-weight:bold;'>%1</span>").arg(tr("no demonstration"));
  } else {
    verdict = QStringLiteral("<span style='color:%1; font-weight:bold;'>%2</span>&nbsp;&nbsp;reward <b>%3</b>")
                  .arg(s->verdictCorrect ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828"),
                       s->verdictCorrect ? tr("✓ correct") : tr("✗ wrong"), formatNumber(s->reward));
  }
  const QString levelName =
      t && s->level >= 0 && s->level < t->levels.size() ? t->levels[s->level] : QString::number(s->level);
  QString html = QStringLiteral(
                     "<p style='margin:0;'>%1&nbsp;&nbsp;<span style='color:#6b707a;'>problem</span> <b>%2</b>"
                     "&nbsp;&nbsp;<span style='color:#6b707a;'>level</span> <b>%3</b>"
                     "&nbsp;&nbsp;<span style='color:#6b707a;'>difficulty</span> <b>%4</b></p>")
                     .arg(verdict, s->id.toHtmlEscaped(), levelName.toHtmlEscaped(), formatNumber(s->difficulty));
  if (!s->verdictReason.isEmpty() && s->verdictReason.compare(QStringLiteral("correct"), Qt::CaseInsensitive) != 0)
    html += QStringLiteral("<p style='margin-top:4px; margin-bottom:0; color:#50545c;'>%1</p>")
                .arg(s->verdictReason.toHtmlEscaped());
  html += block(tr("PROMPT"), s->prompt, tr("(empty)"));
  html += block(tr("DEMONSTRATION"), s->demonstration,
                t && !t->hasSolver ? tr("(this task has no solver)") : tr("(the solver found none)"));
  detail_->setHtml(html);

  const int steps = std::max<int>(0, static_cast<int>(std::max(s->stepStates.size(), s->stackStates.size())) - 1);
  {
    const QSignalBlocker blockSlider(stepSlider_);
    stepSlider_->setRange(0, steps);
    stepSlider_->setValue(0);
  }
  showState();
}

void TaskBrowser::showState() {
  const std::optional<TaskSample> s = currentSample();
  const bool hasStates = s && (!s->state.isEmpty() || !s->stepStates.isEmpty() || !s->stackStates.isEmpty());
  statePanel_->setVisible(hasStates);
  if (!hasStates) {
    stacksView_->clear();
    stateText_->clear();
    return;
  }
  const int k = stepSlider_->value();
  const int last = stepSlider_->maximum();
  const bool stepping = last > 0;
  stepSlider_->setVisible(stepping);
  stepLabel_->setText(stepping ? tr("step %1 / %2").arg(k).arg(last) : QString());
  if (k == 0) {
    stepCaption_->setText(tr("<span style='color:#6b707a;'>Initial state</span>"));
  } else {
    const QString step = k - 1 < s->steps.size() ? s->steps[k - 1] : QString();
    stepCaption_->setText(tr("<span style='color:#6b707a;'>After step %1:</span> <b>%2</b>").arg(k).arg(step.toHtmlEscaped()));
  }
  const bool drawStacks = !s->stackStates.isEmpty();
  stacksView_->setVisible(drawStacks);
  if (drawStacks) stacksView_->setState(s->stackStates.value(std::min<int>(k, s->stackStates.size() - 1)));
  const QString text = !s->stepStates.isEmpty() ? s->stepStates.value(std::min<int>(k, s->stepStates.size() - 1))
                                                 : s->state;
  if (stateText_->toPlainText() != text) stateText_->setPlainText(text);
}

void TaskBrowser::placeOverlay() { emptyOverlay_->setGeometry(table_->viewport()->rect()); }

void TaskBrowser::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (currentTask().isEmpty() && !tasks_.isEmpty()) taskList_->setCurrentRow(0);
}

bool TaskBrowser::eventFilter(QObject* watched, QEvent* event) {
  if (watched == table_->viewport() && event->type() == QEvent::Resize) placeOverlay();
  return QWidget::eventFilter(watched, event);
}

}  // namespace tb
