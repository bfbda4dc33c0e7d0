#pragma once
// SamplesTableModel: a table model over SampleRow (columns iteration, problem, reward, verdict,
// reason), newest first. Live updates prepend rows and drop the oldest beyond a cap.
#include "widgets/SampleRow.h"

#include <QAbstractTableModel>
#include <QVector>

namespace tb {

class SamplesTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { IterationColumn, ProblemColumn, RewardColumn, VerdictColumn, ReasonColumn, ColumnCount };
  enum Role {
    SortRole = Qt::UserRole + 1,  // raw value for sorting (int, double, bool, string)
    CorrectRole,                  // bool
  };

  explicit SamplesTableModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  void setRows(const QVector<SampleRow>& rows);     // replaces; keeps the first `cap` rows
  void prependRows(const QVector<SampleRow>& rows); // rows[0] ends up on top; trims the tail
  void clear();
  const SampleRow& row(int i) const { return rows_[i]; }
  int correctCount() const { return correct_; }

  void setCap(int cap);  // at least 1; default 2000
  int cap() const { return cap_; }

 private:
  void trimTail();

  QVector<SampleRow> rows_;
  int cap_ = 2000;
  int correct_ = 0;
};

}  // namespace tb
