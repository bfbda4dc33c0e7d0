#include "core/compare/ProgressAxis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace tb {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Per-iteration values of a metric (the last one logged when an iteration has several).
std::map<int, double> byIteration(const std::map<std::string, std::vector<MetricPoint>>& metrics,
                                  const std::string& name) {
  std::map<int, double> out;
  const auto it = metrics.find(name);
  if (it == metrics.end()) return out;
  for (const auto& p : it->second)
    if (std::isfinite(p.value)) out[p.iteration] = p.value;
  return out;
}

std::map<int, double> cumulative(const std::map<int, double>& perIteration) {
  std::map<int, double> out;
  double sum = 0;
  for (const auto& [it, v] : perIteration) out[it] = sum += v;
  return out;
}

double lookup(const std::map<int, double>& m, int iteration) {
  const auto it = m.find(iteration);
  if (it != m.end()) return it->second;
  // Evaluation points can sit at an iteration with no training metrics: the count reached before.
  auto below = m.upper_bound(iteration);
  if (below == m.begin()) return kNaN;
  return std::prev(below)->second;
}

}  // namespace

const char* xAxisName(XAxis axis) {
  switch (axis) {
    case XAxis::Iteration: return "iteration";
    case XAxis::Samples: return "samples";
    case XAxis::Tokens: return "tokens";
    case XAxis::WallTime: return "wall time (s)";
  }
  return "iteration";
}

const std::vector<XAxis>& allXAxes() {
  static const std::vector<XAxis> kAll = {XAxis::Iteration, XAxis::Samples, XAxis::Tokens, XAxis::WallTime};
  return kAll;
}

ProgressAxis::ProgressAxis(const std::map<std::string, std::vector<MetricPoint>>& metrics,
                           const nlohmann::json& config) {
  auto samples = byIteration(metrics, "rollout/samples");
  auto tokens = byIteration(metrics, "rollout/tokens");
  // Older runs: every iteration that logged anything gets the configured batch.
  std::set<int> iterations;
  for (const auto& [name, points] : metrics)
    if (name.rfind("eval/", 0) != 0)
      for (const auto& p : points) iterations.insert(p.iteration);
  if (samples.empty() && config.is_object() && config.contains("rollout.prompts") && config.contains("rollout.group_size") &&
      config["rollout.prompts"].is_number() && config["rollout.group_size"].is_number()) {
    const double batch = config["rollout.prompts"].get<double>() * config["rollout.group_size"].get<double>();
    for (int it : iterations) samples[it] = batch;
    samplesEstimated_ = !samples.empty();
  }
  if (tokens.empty()) {
    const auto tps = byIteration(metrics, "throughput/tokens_per_s");
    const auto secs = byIteration(metrics, "time/iteration_s");
    for (const auto& [it, v] : tps)
      if (const auto s = secs.find(it); s != secs.end()) tokens[it] = v * s->second;
    tokensEstimated_ = !tokens.empty();
  }
  samples_ = cumulative(samples);
  tokens_ = cumulative(tokens);
}

double ProgressAxis::samplesAfter(int iteration) const { return lookup(samples_, iteration); }
double ProgressAxis::tokensAfter(int iteration) const { return lookup(tokens_, iteration); }

Series ProgressAxis::place(const std::vector<MetricPoint>& points, XAxis axis) const {
  std::vector<std::pair<double, double>> xy;
  xy.reserve(points.size());
  for (const auto& p : points) {
    double x = kNaN;
    switch (axis) {
      case XAxis::Iteration: x = p.iteration; break;
      case XAxis::Samples: x = samplesAfter(p.iteration); break;
      case XAxis::Tokens: x = tokensAfter(p.iteration); break;
      case XAxis::WallTime: x = p.wallTime; break;
    }
    if (std::isfinite(x)) xy.emplace_back(x, p.value);
  }
  std::stable_sort(xy.begin(), xy.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Series s;
  s.x.reserve(xy.size());
  s.y.reserve(xy.size());
  for (const auto& [x, y] : xy) {
    s.x.push_back(x);
    s.y.push_back(y);
  }
  return s;
}

}  // namespace tb
