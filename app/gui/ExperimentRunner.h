#pragma once
// ExperimentRunner: executes a built-in experiment's plan (core/engine/Experiment.h) in the GUI,
// one run after another through the EngineController, the later runs starting from the first
// run's warm start; at the end it writes the comparison report (HTML and PDF) next to the runs'
// folders and reports the runs and files. Stopping a run (the toolbar's Stop) ends the experiment
// after it. Every failure becomes the finished() message; nothing escapes into Qt.
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include "core/engine/Experiment.h"

namespace tb {

class EngineController;
class RunStore;

class ExperimentRunner : public QObject {
  Q_OBJECT
 public:
  ExperimentRunner(EngineController* controller, RunStore* store, QObject* parent = nullptr);

  // False with `error` set when a run is already going or the first run cannot start.
  bool start(ExperimentPlan plan, QString* error);
  bool active() const { return active_; }
  const QList<qint64>& runIds() const { return ids_; }
  int total() const { return int(plan_.runs.size()); }

 signals:
  void runStarted(int index, int total, qint64 runId);
  // ok: every run finished and the report was written; `files` are the report's files.
  void finished(bool ok, const QList<qint64>& runs, const QStringList& files, const QString& message);

 private:
  void onStatus(qint64 runId, int status);
  void startNext();
  void finish(bool stopped);

  EngineController* controller_;
  RunStore* store_;
  ExperimentPlan plan_;
  QList<qint64> ids_;
  QString sharedModel_;
  size_t next_ = 0;
  int failed_ = 0;
  int retries_ = 0;
  bool active_ = false;
};

}  // namespace tb
