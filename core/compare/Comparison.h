#pragma once
// Comparing runs of a workspace: their metric series grouped by algorithm (or any config key)
// across seeds, the aligned mean and spread per group (core/compare/SeriesStats.h), final and best
// values, tokens and time used, the config keys that differ and notes on what does not compare
// (different tasks, missing metrics). The reports (core/compare/Reports.h) render it.
//
// Definitions (docs/REPORTS.md):
//   final     the run's last finite point of the metric (value and iteration)
//   best      its maximum, or minimum for metrics whose name contains "loss", "kl", "time/" or
//             "length" (lowerIsBetter), with the iteration where first reached
//   group     final = mean of its runs' finals; spread = sample std of those finals (blank with
//             fewer than 2 runs); best = best point of the group's mean curve among the x covered
//             by all of its runs that have the metric (all points when they never overlap)
//   tokens    sum of the run's rollout/tokens (completion tokens generated per iteration); for runs
//             stored before that metric, sum over iterations of throughput/tokens_per_s *
//             time/iteration_s (both present); blank when the run has neither; group: mean over
//             its runs that have it
//   time      the run's largest wall time (seconds since it started) over all its metric points;
//             group: mean over its runs
// Missing values are NaN (shown blank), never 0.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/compare/SeriesStats.h"
#include "core/store/RunStore.h"

namespace tb {

struct MetricSummary {
  static constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
  double final = kMissing;
  int finalIteration = -1;
  double best = kMissing;
  int bestIteration = -1;   // -1 = missing
  double spread = kMissing; // groups: std of the runs' finals
  int runs = 0;             // runs that have the metric (1 or 0 for a run)
};

struct ComparedRun {
  RunRecord record;
  std::string group;
  std::map<std::string, Series> series;          // selected metrics the run has; x = iteration
  std::map<std::string, MetricSummary> summary;  // selected metrics the run has
  double tokens = MetricSummary::kMissing;
  double timeSeconds = MetricSummary::kMissing;
  std::vector<SampleRecord> samples;             // up to 3 of the last iteration with samples
};

struct ComparedGroup {
  std::string name;
  std::vector<std::int64_t> runIds;                         // in the order given
  std::map<std::string, std::vector<AlignedPoint>> curves;  // selected metrics some run has
  std::map<std::string, MetricSummary> summary;
  double tokens = MetricSummary::kMissing;                  // mean per run
  double timeSeconds = MetricSummary::kMissing;             // mean per run
};

struct ConfigDifference {
  std::string key;
  std::vector<std::optional<std::string>> values;  // one per run (RunComparison::runs order); nullopt = absent
};

struct RunComparison {
  std::string groupBy;
  std::vector<std::string> metrics;         // selected, in order
  std::vector<ComparedRun> runs;            // in the order given
  std::vector<ComparedGroup> groups;        // in order of first appearance
  std::vector<ConfigDifference> configDiff; // keys sorted
  std::vector<std::string> notes;

  const ComparedRun* run(std::int64_t id) const;
  const ComparedGroup* group(const std::string& name) const;
};

// The metrics shown when none are selected, those present in at least one run are used (all of the
// runs' metrics when none of these is present).
const std::vector<std::string>& defaultComparisonMetrics();

// True for metrics where lower is better (name contains "loss", "kl", "time/" or "length").
bool lowerIsBetter(const std::string& metric);

// The group of a run: its algorithm for groupBy "algorithm" (also "task", "name", "experiment",
// "status" name the record's fields), else config[groupBy] (strings as such, other values as
// JSON text), "(none)" when the key is absent.
std::string groupOf(const RunRecord& run, const std::string& groupBy);

// A run's metric series by name, as RunStore::metrics returns them.
using RunMetrics = std::map<std::string, std::vector<MetricPoint>>;
// Where buildComparison gets a run's series: the store by default; the compare view passes its
// cache so the series are not read from SQLite a second time.
using RunMetricsLoader = std::function<RunMetrics(std::int64_t runId)>;

// Loads and compares the runs. InputError naming an unknown or repeated run id, or when runIds is
// empty. metrics empty = the default set (above).
RunComparison buildComparison(const RunStore& store, const std::vector<std::int64_t>& runIds,
                              const std::vector<std::string>& metrics = {},
                              const std::string& groupBy = "algorithm", const RunMetricsLoader& loadMetrics = {});

}  // namespace tb
