#pragma once
// The x axes runs are compared on (the GUI's compare view, docs/REPORTS.md): iteration, samples
// seen, tokens seen or wall time. A metric point logged at iteration i is placed at
//   iteration  i
//   samples    sum over iterations j <= i of rollout/samples (completions the policy generated)
//   tokens     sum over iterations j <= i of rollout/tokens (completion tokens generated)
//   wall time  the point's own wall time (seconds since the run started)
// Runs stored before rollout/samples and rollout/tokens existed fall back to
// throughput/tokens_per_s * time/iteration_s for tokens and rollout.prompts x rollout.group_size
// per iteration for samples (config), said by ProgressAxis::estimated.
#include <map>
#include <string>
#include <vector>

#include "core/compare/SeriesStats.h"
#include "core/store/RunStore.h"

namespace tb {

enum class XAxis { Iteration, Samples, Tokens, WallTime };

const char* xAxisName(XAxis axis);   // "iteration", "samples", "tokens", "wall time (s)"
const std::vector<XAxis>& allXAxes();

class ProgressAxis {
 public:
  // From all metric series of one run (RunStore::metrics) and its flat config.
  ProgressAxis(const std::map<std::string, std::vector<MetricPoint>>& metrics, const nlohmann::json& config);

  // The points on `axis`, sorted by x (stable), points without a position dropped (an iteration
  // with no samples / tokens count when the axis needs one).
  Series place(const std::vector<MetricPoint>& points, XAxis axis) const;
  // Cumulative count after iteration i; NaN when unknown.
  double samplesAfter(int iteration) const;
  double tokensAfter(int iteration) const;
  // True when the samples / tokens axis had to be estimated (see above).
  bool samplesEstimated() const { return samplesEstimated_; }
  bool tokensEstimated() const { return tokensEstimated_; }

 private:
  std::map<int, double> samples_;  // cumulative, by iteration
  std::map<int, double> tokens_;
  bool samplesEstimated_ = false;
  bool tokensEstimated_ = false;
};

}  // namespace tb
