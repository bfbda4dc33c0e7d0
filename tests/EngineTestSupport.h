#pragma once
// Helpers shared by the tests that run the engine end to end (test_training, test_presets).
#include <string>

#include "core/engine/RunControl.h"
#include "core/engine/RunListener.h"

namespace tb {

// Cancels the run once it has recorded training iteration `iteration`.
class CancelAfter : public RunListener {
 public:
  CancelAfter(RunControl& control, int iteration) : control_(control), iteration_(iteration) {}
  void onIteration(const IterationEvent& e) override {
    if (!e.samples.empty() && e.iteration == iteration_) control_.requestCancel();
  }

 private:
  RunControl& control_;
  int iteration_;
};

// Wall-clock and process-memory series differ between identical runs; everything else must not.
inline bool isTimingMetric(const std::string& name) {
  return name.rfind("time/", 0) == 0 || name.rfind("throughput/", 0) == 0 || name.rfind("memory/", 0) == 0;
}

}  // namespace tb
