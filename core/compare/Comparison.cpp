#include "core/compare/Comparison.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <sstream>

#include "core/Error.h"

namespace tb {

namespace {

// A flat view of a config: nested objects joined with '.', values as text (strings unquoted).
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  if (prefix.empty()) return;
  out[prefix] = j.is_string() ? j.get<std::string>() : j.dump();
}

std::string joinIds(const std::vector<std::int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s;
}

MetricSummary summarise(const Series& s, bool lower) {
  MetricSummary m;
  for (size_t i = 0; i < s.x.size(); ++i) {
    const double v = s.y[i];
    if (!std::isfinite(v)) continue;
    m.final = v;
    m.finalIteration = static_cast<int>(std::lround(s.x[i]));
    if (m.bestIteration < 0 || (lower ? v < m.best : v > m.best)) {
      m.best = v;
      m.bestIteration = m.finalIteration;
    }
  }
  m.runs = m.bestIteration >= 0 ? 1 : 0;
  return m;
}

double meanOfFinite(const std::vector<double>& vs) {
  double sum = 0;
  int n = 0;
  for (double v : vs)
    if (std::isfinite(v)) {
      sum += v;
      ++n;
    }
  return n ? sum / n : MetricSummary::kMissing;
}

}  // namespace

const ComparedRun* RunComparison::run(std::int64_t id) const {
  for (const auto& r : runs)
    if (r.record.id == id) return &r;
  return nullptr;
}

const ComparedGroup* RunComparison::group(const std::string& name) const {
  for (const auto& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

const std::vector<std::string>& defaultComparisonMetrics() {
  static const std::vector<std::string> kDefault = {
      "reward/mean", "accuracy", "entropy", "kl", "length/mean", "eval/accuracy", "eval/pass@k", "eval/distinct_correct"};
  return kDefault;
}

bool lowerIsBetter(const std::string& metric) {
  for (const char* part : {"loss", "kl", "time/", "length"})
    if (metric.find(part) != std::string::npos) return true;
  return false;
}

std::string groupOf(const RunRecord& run, const std::string& groupBy) {
  if (groupBy == "algorithm") return run.algorithm;
  if (groupBy == "task") return run.task;
  if (groupBy == "name") return run.name;
  if (groupBy == "experiment") return run.experiment.empty() ? "(none)" : run.experiment;
  if (groupBy == "status") return runStatusName(run.status);
  std::map<std::string, std::string> flat;
  flatten(run.config, "", flat);
  const auto it = flat.find(groupBy);
  return it == flat.end() ? "(none)" : it->second;
}

RunComparison buildComparison(const RunStore& store, const std::vector<std::int64_t>& runIds,
                              const std::vector<std::string>& metrics, const std::string& groupBy,
                              const RunMetricsLoader& loadMetrics) {
  if (runIds.empty()) failInput("compare: expected at least one run id");
  RunComparison cmp;
  cmp.groupBy = groupBy.empty() ? "algorithm" : groupBy;

  // Runs and all their series.
  std::vector<RunMetrics> allSeries;
  std::set<std::int64_t> seen;
  for (std::int64_t id : runIds) {
    if (!seen.insert(id).second) failInput("run ", id, " is listed twice");
    auto record = store.run(id);
    if (!record) failInput("no run ", id, " in workspace '", store.path(), "'");
    ComparedRun r;
    r.record = *record;
    r.group = groupOf(r.record, cmp.groupBy);
    cmp.runs.push_back(std::move(r));
    allSeries.push_back(loadMetrics ? loadMetrics(id) : store.metrics(id));
  }

  // The selected metrics.
  std::set<std::string> present;
  for (const auto& s : allSeries)
    for (const auto& [name, points] : s)
      if (!points.empty()) present.insert(name);
  if (!metrics.empty()) {
    for (const auto& m : metrics)
      if (std::find(cmp.metrics.begin(), cmp.metrics.end(), m) == cmp.metrics.end()) cmp.metrics.push_back(m);
  } else {
    for (const auto& m : defaultComparisonMetrics())
      if (present.count(m)) cmp.metrics.push_back(m);
    if (cmp.metrics.empty()) cmp.metrics.assign(present.begin(), present.end());
  }

  // Per run: series, finals and bests, tokens, time, samples.
  for (size_t i = 0; i < cmp.runs.size(); ++i) {
    ComparedRun& r = cmp.runs[i];
    const auto& series = allSeries[i];
    for (const auto& m : cmp.metrics) {
      const auto it = series.find(m);
      if (it == series.end() || it->second.empty()) continue;
      Series s;
      for (const auto& p : it->second) {
        s.x.push_back(p.iteration);
        s.y.push_back(p.value);
      }
      const MetricSummary summary = summarise(s, lowerIsBetter(m));
      if (summary.runs == 0) continue;  // only non-finite values: missing
      r.summary[m] = summary;
      r.series[m] = std::move(s);
    }
    // Tokens: the counted rollout/tokens when the run logged them, else throughput x time.
    if (const auto counted = series.find("rollout/tokens"); counted != series.end() && !counted->second.empty()) {
      double tokens = 0;
      for (const auto& p : counted->second)
        if (std::isfinite(p.value)) tokens += p.value;
      r.tokens = tokens;
    } else if (const auto tps = series.find("throughput/tokens_per_s"), its = series.find("time/iteration_s");
               tps != series.end() && its != series.end()) {
      std::map<int, double> seconds;
      for (const auto& p : its->second) seconds[p.iteration] = p.value;
      double tokens = 0;
      bool any = false;
      for (const auto& p : tps->second) {
        const auto s = seconds.find(p.iteration);
        if (s == seconds.end() || !std::isfinite(p.value) || !std::isfinite(s->second)) continue;
        tokens += p.value * s->second;
        any = true;
      }
      if (any) r.tokens = tokens;
    }
    for (const auto& [name, points] : series)
      for (const auto& p : points)
        if (std::isfinite(p.wallTime) && (!std::isfinite(r.timeSeconds) || p.wallTime > r.timeSeconds))
          r.timeSeconds = p.wallTime;
    const auto newest = store.samples(r.record.id, -1, 1);
    if (!newest.empty()) r.samples = store.samples(r.record.id, newest.front().iteration, 3);
  }

  // Groups in order of first appearance.
  for (const auto& r : cmp.runs) {
    auto it = std::find_if(cmp.groups.begin(), cmp.groups.end(), [&](const ComparedGroup& g) { return g.name == r.group; });
    if (it == cmp.groups.end()) {
      cmp.groups.push_back(ComparedGroup{});
      it = cmp.groups.end() - 1;
      it->name = r.group;
    }
    it->runIds.push_back(r.record.id);
  }
  for (auto& g : cmp.groups) {
    std::vector<const ComparedRun*> members;
    for (auto id : g.runIds) members.push_back(cmp.run(id));
    std::vector<double> tokens, times;
    for (const auto* r : members) {
      tokens.push_back(r->tokens);
      times.push_back(r->timeSeconds);
    }
    g.tokens = meanOfFinite(tokens);
    g.timeSeconds = meanOfFinite(times);
    for (const auto& m : cmp.metrics) {
      std::vector<Series> runsSeries;
      std::vector<double> finals;
      for (const auto* r : members) {
        const auto s = r->series.find(m);
        if (s == r->series.end()) continue;
        runsSeries.push_back(s->second);
        finals.push_back(r->summary.at(m).final);
      }
      if (runsSeries.empty()) continue;
      auto curve = alignedGroup(runsSeries);
      MetricSummary summary;
      summary.runs = static_cast<int>(runsSeries.size());
      summary.final = meanOfFinite(finals);
      if (finals.size() >= 2) {
        double ss = 0;
        for (double f : finals) ss += (f - summary.final) * (f - summary.final);
        summary.spread = std::sqrt(ss / (finals.size() - 1));
      }
      int finalIteration = -1;
      for (const auto* r : members)
        if (const auto s = r->summary.find(m); s != r->summary.end()) finalIteration = std::max(finalIteration, s->second.finalIteration);
      summary.finalIteration = finalIteration;
      const bool lower = lowerIsBetter(m);
      const bool anyFull = std::any_of(curve.begin(), curve.end(), [&](const AlignedPoint& p) { return p.n == summary.runs; });
      for (const auto& p : curve) {
        if (anyFull && p.n != summary.runs) continue;
        if (summary.bestIteration < 0 || (lower ? p.mean < summary.best : p.mean > summary.best)) {
          summary.best = p.mean;
          summary.bestIteration = static_cast<int>(std::lround(p.x));
        }
      }
      g.summary[m] = summary;
      g.curves[m] = std::move(curve);
    }
  }

  // Config keys whose values differ.
  std::vector<std::map<std::string, std::string>> flat(cmp.runs.size());
  std::set<std::string> keys;
  for (size_t i = 0; i < cmp.runs.size(); ++i) {
    flatten(cmp.runs[i].record.config, "", flat[i]);
    for (const auto& [k, v] : flat[i]) keys.insert(k);
  }
  for (const auto& key : keys) {
    ConfigDifference d;
    d.key = key;
    for (const auto& f : flat) {
      const auto it = f.find(key);
      d.values.push_back(it == f.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    if (std::adjacent_find(d.values.begin(), d.values.end(), std::not_equal_to<>()) != d.values.end())
      cmp.configDiff.push_back(std::move(d));
  }

  // Notes.
  std::vector<std::string> tasks;
  for (const auto& r : cmp.runs)
    if (std::find(tasks.begin(), tasks.end(), r.record.task) == tasks.end()) tasks.push_back(r.record.task);
  if (tasks.size() > 1) {
    std::string note = "runs of different tasks: ";
    for (size_t i = 0; i < tasks.size(); ++i) note += (i ? ", " : "") + tasks[i];
    cmp.notes.push_back(note);
  }
  for (const auto& m : cmp.metrics) {
    std::vector<std::int64_t> missing;
    for (const auto& r : cmp.runs)
      if (!r.series.count(m)) missing.push_back(r.record.id);
    if (missing.empty()) continue;
    if (missing.size() == cmp.runs.size())
      cmp.notes.push_back("metric " + m + " is missing from all runs");
    else
      cmp.notes.push_back("metric " + m + " is missing from run" + (missing.size() > 1 ? "s " : " ") + joinIds(missing));
  }
  for (const auto& r : cmp.runs) {
    if (r.record.status == RunStatus::Finished) continue;
    std::ostringstream note;
    note << "run " << r.record.id << " is " << runStatusName(r.record.status) << " (" << r.record.iterationsDone
         << " of " << r.record.iterationsTotal << " iterations)";
    if (!r.record.message.empty()) note << ": " << r.record.message;
    cmp.notes.push_back(note.str());
  }
  std::string single;
  for (const auto& g : cmp.groups)
    if (g.runIds.size() == 1) single += (single.empty() ? "" : ", ") + g.name;
  if (!single.empty()) cmp.notes.push_back("groups of a single run (curve shown without a band): " + single);
  return cmp;
}

}  // namespace tb
