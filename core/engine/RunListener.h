#pragma once
// Progress events of a run, delivered on the thread that trains (the GUI re-posts them to its own
// thread). Free of LibTorch so the GUI can implement it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/store/RunStore.h"

namespace tb {

struct IterationEvent {
  std::int64_t runId = 0;
  int iteration = 0;
  int iterationsTotal = 0;
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<SampleRecord> samples;
  int treesStored = 0;  // reasoning trees stored with the iteration (RunStore::trees)
};

class RunListener {
 public:
  virtual ~RunListener() = default;
  virtual void onStatus(std::int64_t /*runId*/, RunStatus /*status*/, const std::string& /*message*/) {}
  // A phase other than training iterations ("warm start", "evaluation") with its progress 0..1.
  virtual void onPhase(std::int64_t /*runId*/, const std::string& /*phase*/, double /*fraction*/) {}
  // After each iteration is stored; also for evaluation results (samples empty).
  virtual void onIteration(const IterationEvent& /*event*/) {}
  virtual void onLog(std::int64_t /*runId*/, const std::string& /*level*/, const std::string& /*message*/) {}
};

}  // namespace tb
