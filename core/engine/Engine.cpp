// Engine: run execution with a per-run log (file + store + listener), status bookkeeping and a
// worker thread. Every exception ends as a failed run with its message.
#include "core/engine/Engine.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/engine/Distributed.h"
#include "core/engine/TrainingSession.h"

namespace tb {

namespace {

// Forwards log lines to the run store and to the listener (the GUI's log pane).
class RunLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RunLogSink(RunStore& store, std::int64_t runId, RunListener* listener)
      : store_(store), runId_(runId), listener_(listener) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string level(spdlog::level::to_string_view(msg.level).data(),
                            spdlog::level::to_string_view(msg.level).size());
    const std::string text(msg.payload.data(), msg.payload.size());
    try {
      store_.appendLog(runId_, level, text);
    } catch (const std::exception&) {
      // The log must never take the run down; the file sink still has the line.
    }
    if (listener_) listener_->onLog(runId_, level, text);
  }
  void flush_() override {}

 private:
  RunStore& store_;
  std::int64_t runId_;
  RunListener* listener_;
};

// run.threads, or all cores shared among the ranks on this machine (LOCAL_WORLD_SIZE, set by
// torchrun and by `run --nproc`).
void configureThreads(const RunConfig& config, bool distributed) {
  int threads = static_cast<int>(config.getInt("run.threads"));
  int localRanks = 1;
  if (const char* local = std::getenv("LOCAL_WORLD_SIZE"); distributed && local) localRanks = std::max(1, std::atoi(local));
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / localRanks));
  torch::set_num_threads(threads);
}

}  // namespace

std::string runFailureMessage(const std::exception& error) {
  std::string message = error.what();
  if (auto* c10 = dynamic_cast<const c10::Error*>(&error)) {
    message = c10->what_without_backtrace();
    message = message.substr(0, message.find('\n'));
  }
  const bool outOfMemory = dynamic_cast<const std::bad_alloc*>(&error) ||
                           message.find("out of memory") != std::string::npos ||
                           message.find("can't allocate memory") != std::string::npos;
  if (outOfMemory)
    message += " -- out of memory: the update holds the activations of a whole minibatch at once, which "
               "train.micro_batch (for example 8) splits into smaller passes with the same step; sampling "
               "and every phase shrink with rollout.prompts, rollout.group_size or rollout.max_new_tokens";
  return message;
}

std::int64_t createRun(RunStore& store, const RunConfig& config) {
  config.validate();
  RunRecord record;
  record.name = config.getString("run.name");
  if (record.name.empty())
    record.name = config.algorithm() + "-" + config.task() + "-s" + std::to_string(config.getInt("run.seed"));
  record.experiment = config.getString("run.experiment");
  record.task = config.task();
  record.algorithm = config.algorithm();
  record.config = config.toJson();
  record.iterationsTotal = static_cast<int>(config.getInt("run.iterations"));
  return store.createRun(record);
}

RunStatus executeRun(const std::string& dbPath, std::int64_t runId, RunControl& control,
                     RunListener* listener, Distributed* dist) {
  std::unique_ptr<RunStore> store;
  auto notify = [&](RunStatus status, const std::string& message) {
    if (listener) listener->onStatus(runId, status, message);
  };
  try {
    store = RunStore::open(dbPath);
  } catch (const std::exception& e) {
    notify(RunStatus::Failed, e.what());
    return RunStatus::Failed;
  }
  std::shared_ptr<spdlog::logger> log;
  try {
    auto record = store->run(runId);
    if (!record) failInput("run ", runId, " does not exist in '", dbPath, "'");
    if (record->status == RunStatus::Finished) failInput("run ", runId, " has already finished");
    const std::string dir = store->runDirectory(runId);
    auto fileSink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(dir + "/run.log");
    auto runSink = std::make_shared<RunLogSink>(*store, runId, listener);
    log = std::make_shared<spdlog::logger>("run-" + std::to_string(runId),
                                           spdlog::sinks_init_list{fileSink, runSink});
    log->flush_on(spdlog::level::info);

    RunConfig config = RunConfig::fromJson(record->config, "stored config of run " + std::to_string(runId));
    configureThreads(config, dist != nullptr);
    store->markStarted(runId, getpid(), RunStore::currentHost());
    notify(RunStatus::Running, "");
    log->info("run {} '{}': {} on {}, {} iterations, {} threads", runId, record->name, record->algorithm,
              record->task, record->iterationsTotal, torch::get_num_threads());
    if (dist) log->info("rank {} of {} processes (c10d, Gloo)", dist->rank(), dist->worldSize());
    TrainingSession session(*store, runId, config, control, listener, log, dist);
    const RunStatus status = session.run();
    const std::string message = status == RunStatus::Cancelled ? "cancelled by the user" : "";
    store->setStatus(runId, status, message);
    log->info("run {} {}", runId, runStatusName(status));
    notify(status, message);
    return status;
  } catch (const std::exception& e) {
    const std::string message = runFailureMessage(e);
    if (log) log->error("run failed: {}", message);
    try {
      store->setStatus(runId, RunStatus::Failed, message);
    } catch (const std::exception&) {
    }
    notify(RunStatus::Failed, message);
    return RunStatus::Failed;
  }
}

Engine::~Engine() {
  cancel();
  wait();
}

bool Engine::start(std::int64_t runId, RunListener* listener) {
  if (active()) return false;
  wait();  // join a finished worker
  control_ = std::make_unique<RunControl>();
  runId_ = runId;
  done_ = false;
  worker_ = std::thread([this, runId, listener, control = control_.get()] {
    try {
      executeRun(dbPath_, runId, *control, listener);
    } catch (...) {
      // executeRun stores every failure itself; nothing may escape the thread.
    }
    done_ = true;
  });
  return true;
}

void Engine::pause() {
  if (control_) control_->requestPause();
}
void Engine::resume() {
  if (control_) control_->requestResume();
}
void Engine::cancel() {
  if (control_) control_->requestCancel();
}
void Engine::wait() {
  if (worker_.joinable()) worker_.join();
}

}  // namespace tb
