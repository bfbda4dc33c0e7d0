// EngineController: engine callbacks (worker thread) -> queued Qt signals (GUI thread).
#include "app/gui/EngineController.h"

#include <QDateTime>

#include "core/config/RunConfig.h"

namespace tb {

EngineController::EngineController(QString workspacePath, QObject* parent)
    : QObject(parent), workspacePath_(std::move(workspacePath)),
      engine_(std::make_unique<Engine>(workspacePath_.toStdString())) {
  qRegisterMetaType<tb::MetricUpdate>();
}

EngineController::~EngineController() {
  // Cancel and join before the signals' receivers go away.
  engine_.reset();
}

bool EngineController::busy() const { return engine_->active(); }
qint64 EngineController::activeRun() const { return engine_->active() ? engine_->activeRun() : -1; }

qint64 EngineController::startNew(const nlohmann::json& json, QString* error) {
  try {
    if (busy()) {
      if (error) *error = tr("A run is already training; stop it first.");
      return -1;
    }
    RunConfig config = RunConfig::fromJson(json, "run form");
    auto store = RunStore::open(workspacePath_.toStdString());
    const qint64 id = createRun(*store, config);
    store.reset();
    engine_->start(id, this);
    return id;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return -1;
  }
}

bool EngineController::resumeRun(qint64 runId, QString* error) {
  try {
    if (busy()) {
      if (error) *error = tr("A run is already training; stop it first.");
      return false;
    }
    auto store = RunStore::open(workspacePath_.toStdString());
    store->markInterruptedRuns();
    auto record = store->run(runId);
    if (!record) throw std::runtime_error("no such run");
    if (record->status == RunStatus::Finished || record->status == RunStatus::Running ||
        record->status == RunStatus::Paused) {
      if (error) *error = tr("Run %1 is %2 and cannot be resumed.").arg(runId).arg(runStatusName(record->status));
      return false;
    }
    store.reset();
    return engine_->start(runId, this);
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
}

void EngineController::pause() { engine_->pause(); }
void EngineController::resume() { engine_->resume(); }
void EngineController::cancel() { engine_->cancel(); }

void EngineController::onStatus(std::int64_t runId, RunStatus status, const std::string& message) {
  emit statusChanged(runId, static_cast<int>(status), QString::fromStdString(message));
}

void EngineController::onPhase(std::int64_t runId, const std::string& phase, double fraction) {
  emit phaseProgress(runId, QString::fromStdString(phase), fraction);
}

void EngineController::onIteration(const IterationEvent& event) {
  MetricUpdate update;
  update.runId = event.runId;
  update.iteration = event.iteration;
  update.iterationsTotal = event.iterationsTotal;
  for (const auto& [k, v] : event.metrics) update.metrics.append({QString::fromStdString(k), v});
  for (const auto& s : event.samples) update.samples.append(s);
  update.treesStored = event.treesStored;
  emit iterationRecorded(update);
}

void EngineController::onLog(std::int64_t runId, const std::string& level, const std::string& message) {
  emit logLine(runId, QString::fromStdString(level), QString::fromStdString(message),
               QDateTime::currentMSecsSinceEpoch() / 1000.0);
}

}  // namespace tb
