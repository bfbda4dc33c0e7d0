#include "app/gui/ExperimentRunner.h"

#include <QTimer>

#include "app/gui/EngineController.h"
#include "core/compare/Comparison.h"
#include "core/compare/Reports.h"
#include "core/store/RunStore.h"
#include "widgets/PdfReport.h"

namespace tb {

ExperimentRunner::ExperimentRunner(EngineController* controller, RunStore* store, QObject* parent)
    : QObject(parent), controller_(controller), store_(store) {
  connect(controller_, &EngineController::statusChanged, this,
          [this](qint64 runId, int status, const QString&) { onStatus(runId, status); });
}

bool ExperimentRunner::start(ExperimentPlan plan, QString* error) {
  if (active_ || controller_->busy()) {
    if (error) *error = tr("A run is in progress; start the experiment when it has ended.");
    return false;
  }
  if (plan.runs.empty()) {
    if (error) *error = tr("The experiment has no runs.");
    return false;
  }
  plan_ = std::move(plan);
  ids_.clear();
  sharedModel_.clear();
  next_ = 0;
  failed_ = 0;
  active_ = true;
  startNext();
  if (ids_.isEmpty()) {
    active_ = false;
    if (error) *error = tr("The first run of the experiment could not start.");
    return false;
  }
  return true;
}

void ExperimentRunner::startNext() {
  if (!active_) return;
  if (next_ >= plan_.runs.size()) {
    finish(false);
    return;
  }
  // The worker of the previous run may still be joining: try again shortly.
  if (controller_->busy()) {
    if (++retries_ > 600) return finish(true);
    QTimer::singleShot(250, this, [this] { startNext(); });
    return;
  }
  retries_ = 0;
  RunConfig config = plan_.runs[next_];
  if (next_ > 0) useSharedWarmStart(config, sharedModel_.toStdString());
  QString error;
  const qint64 id = controller_->startNew(config.toJson(), &error);
  if (id < 0) {
    active_ = false;
    emit finished(false, ids_, {}, tr("Experiment stopped: run %1 could not start: %2").arg(next_ + 1).arg(error));
    return;
  }
  if (next_ == 0) sharedModel_ = QString::fromStdString(store_->runDirectory(id) + "/reference.pt");
  ids_ << id;
  ++next_;
  emit runStarted(int(next_), total(), id);
}

void ExperimentRunner::onStatus(qint64 runId, int status) {
  if (!active_ || ids_.isEmpty() || runId != ids_.back()) return;
  const auto s = RunStatus(status);
  if (!isTerminal(s) && s != RunStatus::Interrupted) return;
  if (s == RunStatus::Cancelled || s == RunStatus::Interrupted) return finish(true);
  if (s == RunStatus::Failed) {
    if (ids_.size() == 1) {
      active_ = false;
      emit finished(false, ids_, {}, tr("Experiment stopped: the first run failed, so there is no warm start to share."));
      return;
    }
    ++failed_;
  }
  QTimer::singleShot(0, this, [this] { startNext(); });
}

void ExperimentRunner::finish(bool stopped) {
  active_ = false;
  QStringList files;
  QString message;
  try {
    std::vector<std::int64_t> ids(ids_.begin(), ids_.end());
    const RunComparison comparison = buildComparison(*store_, ids, plan_.metrics, plan_.groupBy);
    const std::string base = experimentReportBase(store_->runDirectory(ids.front()), plan_, ids.front());
    const std::string title = experimentReportTitle(plan_);
    for (const auto& f : writeReport(comparison, base + ".html", title)) files << QString::fromStdString(f);
    writePdfReport(comparison, base + ".pdf", title);
    files << QString::fromStdString(base + ".pdf");
    message = stopped ? tr("Experiment stopped after %1 of %2 runs; report of those written to %3")
                            .arg(ids_.size()).arg(total()).arg(files.join(QStringLiteral(", ")))
                      : tr("Experiment done: %1 runs%2; report written to %3")
                            .arg(ids_.size())
                            .arg(failed_ ? tr(" (%1 failed)").arg(failed_) : QString())
                            .arg(files.join(QStringLiteral(", ")));
  } catch (const std::exception& e) {
    message = tr("Experiment ended, but its report could not be written: %1").arg(QString::fromUtf8(e.what()));
  }
  emit finished(!stopped && failed_ == 0 && !files.isEmpty(), ids_, files, message);
}

}  // namespace tb
