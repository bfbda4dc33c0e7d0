#pragma once
// EngineController: the GUI's handle on the engine. Owns a tb::Engine (worker thread), receives
// its RunListener callbacks on that thread and re-emits them as Qt signals, which Qt delivers
// queued to the GUI thread. Slots never let an exception escape.
#include <QObject>
#include <QString>
#include <QVariantMap>
#include <QVector>
#include <memory>

#include "core/engine/Engine.h"

namespace tb {

struct MetricUpdate {
  qint64 runId = 0;
  int iteration = 0;
  int iterationsTotal = 0;
  QVector<QPair<QString, double>> metrics;
  QVector<SampleRecord> samples;
  int treesStored = 0;  // reasoning trees stored with the iteration
};

class EngineController : public QObject, private RunListener {
  Q_OBJECT
 public:
  explicit EngineController(QString workspacePath, QObject* parent = nullptr);
  ~EngineController() override;

  bool busy() const;
  qint64 activeRun() const;
  const QString& workspacePath() const { return workspacePath_; }

  // Creates a run from a JSON config and starts it; returns the run id or -1 with `error` set.
  qint64 startNew(const nlohmann::json& config, QString* error);
  // Continues a stopped (interrupted, cancelled, failed) run from its last checkpoint.
  bool resumeRun(qint64 runId, QString* error);

 public slots:
  void pause();
  void resume();
  void cancel();

 signals:
  void statusChanged(qint64 runId, int status, const QString& message);  // status: tb::RunStatus
  void phaseProgress(qint64 runId, const QString& phase, double fraction);
  void iterationRecorded(const tb::MetricUpdate& update);
  void logLine(qint64 runId, const QString& level, const QString& message, double unixTime);

 private:
  void onStatus(std::int64_t runId, RunStatus status, const std::string& message) override;
  void onPhase(std::int64_t runId, const std::string& phase, double fraction) override;
  void onIteration(const IterationEvent& event) override;
  void onLog(std::int64_t runId, const std::string& level, const std::string& message) override;

  QString workspacePath_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace tb

Q_DECLARE_METATYPE(tb::MetricUpdate)
