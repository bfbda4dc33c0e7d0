// SamplesTableModel: SampleRow table model, newest first, capped. See SamplesTableModel.h.
#include "widgets/SamplesTableModel.h"

#include <QColor>
#include <QFont>

#include <algorithm>

namespace tb {

namespace {
const QColor kCorrectColor(0x2e, 0x7d, 0x32);
const QColor kWrongColor(0xc6, 0x28, 0x28);
}  // namespace

SamplesTableModel::SamplesTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int SamplesTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(rows_.size());
}

int SamplesTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant SamplesTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() < 0 || index.row() >= rows_.size()) return {};
  const SampleRow& r = rows_[index.row()];
  const int col = index.column();
  switch (role) {
    case Qt::DisplayRole:
      switch (col) {
        case IterationColumn: return r.iteration;
        case ProblemColumn: return r.problemId;
        case RewardColumn: return QString::number(r.reward, 'f', 3);
        case VerdictColumn: return r.correct ? tr("✓ correct") : tr("✗ wrong");
        case ReasonColumn: return r.reason.section(QLatin1Char('\n'), 0, 0);
      }
      break;
    case SortRole:
      switch (col) {
        case IterationColumn: return r.iteration;
        case ProblemColumn: return r.problemId;
        case RewardColumn: return r.reward;
        case VerdictColumn: return r.correct;
        case ReasonColumn: return r.reason;
      }
      break;
    case CorrectRole:
      return r.correct;
    case Qt::ForegroundRole:
      if (col == VerdictColumn) return r.correct ? kCorrectColor : kWrongColor;
      break;
    case Qt::FontRole:
      if (col == VerdictColumn) {
        QFont f;
        f.setBold(true);
        return f;
      }
      break;
    case Qt::TextAlignmentRole:
      if (col == IterationColumn || col == RewardColumn) return int(Qt::AlignCenter);
      return int(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ToolTipRole:
      if (col == ReasonColumn && !r.reason.isEmpty()) return r.reason;
      if (col == ProblemColumn) return r.problemId;
      break;
    default:
      break;
  }
  return {};
}

QVariant SamplesTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::DisplayRole) {
    switch (section) {
      case IterationColumn: return tr("Iter");
      case ProblemColumn: return tr("Problem");
      case RewardColumn: return tr("Reward");
      case VerdictColumn: return tr("Verdict");
      case ReasonColumn: return tr("Reason");
    }
  }
  if (role == Qt::TextAlignmentRole) {
    if (section == IterationColumn || section == RewardColumn) return int(Qt::AlignCenter);
    return int(Qt::AlignLeft | Qt::AlignVCenter);
  }
  return {};
}

void SamplesTableModel::setRows(const QVector<SampleRow>& rows) {
  beginResetModel();
  rows_ = rows.mid(0, cap_);
  correct_ = int(std::count_if(rows_.cbegin(), rows_.cend(), [](const SampleRow& r) { return r.correct; }));
  endResetModel();
}

void SamplesTableModel::prependRows(const QVector<SampleRow>& rows) {
  if (rows.isEmpty()) return;
  const QVector<SampleRow> fresh = rows.mid(0, cap_);
  beginInsertRows(QModelIndex(), 0, int(fresh.size()) - 1);
  rows_ = fresh + rows_;
  for (const SampleRow& r : fresh) correct_ += r.correct ? 1 : 0;
  endInsertRows();
  trimTail();
}

void SamplesTableModel::clear() {
  beginResetModel();
  rows_.clear();
  correct_ = 0;
  endResetModel();
}

void SamplesTableModel::setCap(int cap) {
  cap_ = std::max(1, cap);
  trimTail();
}

void SamplesTableModel::trimTail() {
  if (rows_.size() <= cap_) return;
  beginRemoveRows(QModelIndex(), cap_, int(rows_.size()) - 1);
  for (int i = cap_; i < rows_.size(); ++i) correct_ -= rows_[i].correct ? 1 : 0;
  rows_.resize(cap_);
  endRemoveRows();
}

}  // namespace tb
