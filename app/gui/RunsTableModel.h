#pragma once
// The runs of the workspace as a table: id, name, task, algorithm, status, progress, latest reward.
// Refreshed from the run store; live iterations update progress and reward in place.
#include <QAbstractTableModel>
#include <QVector>

#include "core/store/RunStore.h"

namespace tb {

class RunsTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { Id, Name, Task, Algorithm, Status, Progress, Reward, ColumnCount };

  using QAbstractTableModel::QAbstractTableModel;

  // Replaces the rows with the store's runs (newest first) and their latest reward/mean.
  void reload(const RunStore& store);
  void updateProgress(qint64 runId, int iterationsDone, double reward);
  void updateStatus(qint64 runId, RunStatus status, const QString& message);

  int rowOf(qint64 runId) const;  // -1 if absent
  qint64 runIdAt(int row) const;
  const RunRecord* record(qint64 runId) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  struct Row {
    RunRecord record;
    double reward = 0;
    bool hasReward = false;
  };
  QVector<Row> rows_;
};

}  // namespace tb
