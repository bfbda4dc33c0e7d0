// RunsTableModel: the runs table of the main window.
#include "app/gui/RunsTableModel.h"

#include <QBrush>
#include <QColor>
#include <QFont>

namespace tb {

void RunsTableModel::reload(const RunStore& store) {
  beginResetModel();
  rows_.clear();
  for (auto& record : store.runs()) {
    Row row;
    auto reward = store.metric(record.id, "reward/mean", record.iterationsDone - 2);
    if (!reward.empty()) {
      row.reward = reward.back().value;
      row.hasReward = true;
    }
    row.record = std::move(record);
    rows_.append(std::move(row));
  }
  endResetModel();
}

int RunsTableModel::rowOf(qint64 runId) const {
  for (int i = 0; i < rows_.size(); ++i)
    if (rows_[i].record.id == runId) return i;
  return -1;
}

qint64 RunsTableModel::runIdAt(int row) const {
  return row >= 0 && row < rows_.size() ? rows_[row].record.id : -1;
}

const RunRecord* RunsTableModel::record(qint64 runId) const {
  const int row = rowOf(runId);
  return row < 0 ? nullptr : &rows_[row].record;
}

void RunsTableModel::updateProgress(qint64 runId, int iterationsDone, double reward) {
  const int row = rowOf(runId);
  if (row < 0) return;
  rows_[row].record.iterationsDone = iterationsDone;
  rows_[row].reward = reward;
  rows_[row].hasReward = true;
  emit dataChanged(index(row, Progress), index(row, Reward));
}

void RunsTableModel::updateStatus(qint64 runId, RunStatus status, const QString& message) {
  const int row = rowOf(runId);
  if (row < 0) return;
  rows_[row].record.status = status;
  rows_[row].record.message = message.toStdString();
  emit dataChanged(index(row, Status), index(row, Status));
}

int RunsTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : rows_.size(); }
int RunsTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

static QColor statusColor(RunStatus status) {
  switch (status) {
    case RunStatus::Running: return QColor(0x1f, 0x77, 0xb4);
    case RunStatus::Paused: return QColor(0xb8, 0x86, 0x0b);
    case RunStatus::Finished: return QColor(0x2c, 0x8a, 0x3c);
    case RunStatus::Failed: return QColor(0xc0, 0x39, 0x2b);
    case RunStatus::Interrupted: return QColor(0xd3, 0x54, 0x00);
    default: return QColor(0x6b, 0x6b, 0x6b);
  }
}

QVariant RunsTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_.size()) return {};
  const Row& row = rows_[index.row()];
  const RunRecord& r = row.record;
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case Id: return static_cast<qlonglong>(r.id);
      case Name: return QString::fromStdString(r.name);
      case Task: return QString::fromStdString(r.task);
      case Algorithm: return QString::fromStdString(r.algorithm);
      case Status: return QString::fromUtf8(runStatusName(r.status));
      case Progress: return QStringLiteral("%1/%2").arg(r.iterationsDone).arg(r.iterationsTotal);
      case Reward: return row.hasReward ? QString::number(row.reward, 'f', 3) : QStringLiteral("–");
    }
  } else if (role == Qt::ForegroundRole && index.column() == Status) {
    return QBrush(statusColor(r.status));
  } else if (role == Qt::FontRole && index.column() == Status) {
    QFont font;
    font.setBold(r.status == RunStatus::Running || r.status == RunStatus::Paused);
    return font;
  } else if (role == Qt::ToolTipRole) {
    QString tip = QStringLiteral("%1 — %2 on %3").arg(QString::fromStdString(r.name),
                                                      QString::fromStdString(r.algorithm),
                                                      QString::fromStdString(r.task));
    if (!r.message.empty()) tip += "\n" + QString::fromStdString(r.message);
    return tip;
  } else if (role == Qt::TextAlignmentRole && (index.column() == Id || index.column() == Progress || index.column() == Reward)) {
    return int(Qt::AlignRight | Qt::AlignVCenter);
  }
  return {};
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[] = {"ID", "Name", "Task", "Algorithm", "Status", "Progress", "Reward"};
  return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

}  // namespace tb
