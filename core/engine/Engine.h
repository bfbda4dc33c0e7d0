#pragma once
// The engine runs a run of the store to its end on a worker thread (GUI) or on the calling thread
// (CLI). Nothing it throws escapes: a failing run is stored as failed with its message. Free of
// LibTorch in this header so the GUI can include it.
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <atomic>
#include <thread>

#include "core/engine/RunControl.h"
#include "core/engine/RunListener.h"

namespace tb {

class RunConfig;
class Distributed;

// Creates a run record for `config` (status created) and returns its id.
std::int64_t createRun(RunStore& store, const RunConfig& config);

// Executes run `runId` of the workspace at `dbPath` from its stored config: fresh, or continuing
// from its latest checkpoint when it has one. Returns the final status; never throws. With `dist`
// this process is one rank of a distributed run (core/engine/Distributed.h); its store is rank 0's
// workspace or, on the other ranks, a scratch one.
// The message a failed run is stored with: LibTorch's error without its backtrace (first line),
// and for running out of memory (CUDA or host) what to lower, train.micro_batch first.
std::string runFailureMessage(const std::exception& error);

RunStatus executeRun(const std::string& dbPath, std::int64_t runId, RunControl& control,
                     RunListener* listener, Distributed* dist = nullptr);

class Engine {
 public:
  explicit Engine(std::string dbPath) : dbPath_(std::move(dbPath)) {}
  ~Engine();  // cancels and joins a running run

  // Starts executing `runId` on a worker thread. Returns false if a run is already active.
  bool start(std::int64_t runId, RunListener* listener);
  void pause();
  void resume();
  void cancel();
  void wait();
  bool active() const { return worker_.joinable() && !done_; }
  std::int64_t activeRun() const { return runId_; }

 private:
  std::string dbPath_;
  std::thread worker_;
  std::unique_ptr<RunControl> control_;
  std::atomic<bool> done_{true};
  std::int64_t runId_ = 0;
};

}  // namespace tb
