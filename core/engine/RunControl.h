#pragma once
// Requests from outside the training thread: pause, resume and cancel. The training loop polls
// it at iteration boundaries (and between warm-start steps) and blocks while paused.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tb {

class RunControl {
 public:
  void requestPause() { setPaused(true); }
  void requestResume() { setPaused(false); }
  void requestCancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = true;
    changed_.notify_all();
  }
  bool cancelRequested() const { return cancel_; }
  bool pauseRequested() const { return paused_; }
  // Blocks while paused; returns false when cancelled.
  bool waitWhilePaused() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !paused_ || cancel_; });
    return !cancel_;
  }

 private:
  void setPaused(bool paused) {
    std::lock_guard<std::mutex> lock(mutex_);
    paused_ = paused;
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> cancel_{false};
};

}  // namespace tb
