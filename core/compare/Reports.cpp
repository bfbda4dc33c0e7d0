#include "core/compare/Reports.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/Error.h"
#include "core/compare/HtmlReport.h"

namespace tb {

namespace {

std::string mdCell(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n' || ch == '\r') out += ' ';
    else out += ch;
  }
  return out;
}

// A code fence longer than any run of backticks in `text`.
std::string fenceFor(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char ch : text) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string csvNumber(double v) {
  if (!std::isfinite(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json iterationOrNull(int it) { return it >= 0 ? nlohmann::json(it) : nlohmann::json(nullptr); }

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

std::string metricSlug(const std::string& metric) {
  std::string out;
  for (char ch : metric)
    out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.') ? ch : '_';
  return out.empty() ? "metric" : out;
}

std::string markdownReport(const RunComparison& c, const std::string& imagePrefix, const std::string& title) {
  std::ostringstream o;
  o << "# " << mdCell(title) << "\n\nGenerated " << reportDate() << " by Thoughtbench; " << c.runs.size()
    << (c.runs.size() == 1 ? " run" : " runs") << " grouped by `" << c.groupBy << "`.\n\n## Runs\n\n"
    << "| id | name | task | algorithm | group | status | iterations |\n|---:|---|---|---|---|---|---:|\n";
  for (const auto& r : c.runs)
    o << "| " << r.record.id << " | " << mdCell(r.record.name) << " | " << mdCell(r.record.task) << " | "
      << mdCell(r.record.algorithm) << " | " << mdCell(r.group) << " | " << runStatusName(r.record.status) << " | "
      << r.record.iterationsDone << " / " << r.record.iterationsTotal << " |\n";
  o << "\n## Notes\n\n";
  if (c.notes.empty()) o << "None: the runs share task and metrics.\n";
  for (const auto& n : c.notes) o << "- " << n << "\n";
  o << "\n## Curves\n\nPer group the mean over its runs (line) and the 95% confidence interval of the mean (band) "
       "where at least two runs cover the iteration.\n\n";
  for (const auto& m : c.metrics) o << "![" << mdCell(m) << "](" << imagePrefix << metricSlug(m) << ".svg)\n\n";
  o << "## Summary\n\nFinal: last value (groups: mean of the runs' finals); best: maximum, or minimum for losses, KL, "
       "times and lengths (groups: on the mean curve); spread: std of the runs' finals; tokens and time (s): per run "
       "(groups: mean per run). Empty cells are missing values.\n\n"
       "| group | run | metric | runs | final | best | at iteration | spread | tokens | time (s) |\n"
       "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  auto row = [&](const std::string& group, const std::string& run, const std::string& m, const MetricSummary* s,
                 double tokens, double time) {
    o << "| " << mdCell(group) << " | " << mdCell(run) << " | " << mdCell(m) << " | "
      << (s && s->runs > 0 ? std::to_string(s->runs) : "") << " | " << (s ? formatValue(s->final) : "") << " | "
      << (s ? formatValue(s->best) : "") << " | " << (s && s->bestIteration >= 0 ? std::to_string(s->bestIteration) : "")
      << " | " << (s ? formatValue(s->spread) : "") << " | " << formatValue(tokens) << " | " << formatValue(time)
      << " |\n";
  };
  for (const auto& g : c.groups) {
    const std::string label = "mean of " + std::to_string(g.runIds.size()) + (g.runIds.size() == 1 ? " run" : " runs");
    for (const auto& m : c.metrics) {
      const auto it = g.summary.find(m);
      row("**" + g.name + "**", label, m, it == g.summary.end() ? nullptr : &it->second, g.tokens, g.timeSeconds);
    }
    for (auto id : g.runIds) {
      const ComparedRun* r = c.run(id);
      const std::string label = runLabel(r->record);
      for (const auto& m : c.metrics) {
        const auto it = r->summary.find(m);
        row(g.name, label, m, it == r->summary.end() ? nullptr : &it->second, r->tokens, r->timeSeconds);
      }
    }
  }
  o << "\n## Config differences\n\n";
  if (c.configDiff.empty()) {
    o << "The selected runs have the same configuration.\n";
  } else {
    o << "| key |";
    for (const auto& r : c.runs) o << " run " << r.record.id << " |";
    o << "\n|---|";
    for (size_t i = 0; i < c.runs.size(); ++i) o << "---|";
    o << "\n";
    for (const auto& d : c.configDiff) {
      o << "| " << mdCell(d.key) << " |";
      for (const auto& v : d.values) o << " " << (v ? mdCell(*v) : "") << " |";
      o << "\n";
    }
  }
  o << "\n## Sample trajectories\n";
  bool any = false;
  for (const auto& r : c.runs) {
    if (r.samples.empty()) continue;
    any = true;
    o << "\n### Run " << r.record.id << (r.record.name.empty() ? "" : " (" + mdCell(r.record.name) + ")")
      << ", iteration " << r.samples.front().iteration << "\n";
    for (const auto& s : r.samples) {
      o << "\nProblem `" << s.problemId << "`, reward " << formatValue(s.reward) << ", "
        << (s.correct ? "correct" : "incorrect") << (s.reason.empty() ? "" : ": " + mdCell(s.reason)) << "\n\n";
      const std::string text = s.prompt + s.completion;
      const std::string fence = fenceFor(text);
      o << fence << "text\n" << s.prompt << (s.prompt.empty() || s.prompt.back() == '\n' ? "" : "\n") << s.completion
        << (s.completion.empty() || s.completion.back() == '\n' ? "" : "\n") << fence << "\n";
    }
  }
  if (!any) o << "\nNo samples stored for these runs.\n";
  return o.str();
}

std::string seriesCsv(const RunComparison& c) {
  std::ostringstream o;
  o << "run,group,metric,iteration,value\n";
  for (const auto& r : c.runs)
    for (const auto& m : c.metrics) {
      const auto it = r.series.find(m);
      if (it == r.series.end()) continue;
      for (size_t i = 0; i < it->second.x.size(); ++i)
        o << r.record.id << "," << csvField(r.group) << "," << csvField(m) << ","
          << static_cast<long long>(std::llround(it->second.x[i])) << "," << csvNumber(it->second.y[i]) << "\n";
    }
  return o.str();
}

std::string seriesJson(const RunComparison& c) {
  using nlohmann::json;
  json out = json::object();
  out["group_by"] = c.groupBy;
  out["metrics"] = c.metrics;
  out["notes"] = c.notes;
  out["runs"] = json::array();
  for (const auto& r : c.runs) {
    json jr = {{"id", r.record.id},
               {"name", r.record.name},
               {"task", r.record.task},
               {"algorithm", r.record.algorithm},
               {"group", r.group},
               {"status", runStatusName(r.record.status)},
               {"iterations_done", r.record.iterationsDone},
               {"iterations_total", r.record.iterationsTotal},
               {"tokens", num(r.tokens)},
               {"time_s", num(r.timeSeconds)}};
    jr["series"] = json::object();
    jr["summary"] = json::object();
    for (const auto& [m, s] : r.series) {
      json ys = json::array();
      for (double y : s.y) ys.push_back(num(y));
      jr["series"][m] = {{"x", s.x}, {"y", ys}};
    }
    for (const auto& [m, s] : r.summary)
      jr["summary"][m] = {{"final", num(s.final)},
                          {"final_iteration", iterationOrNull(s.finalIteration)},
                          {"best", num(s.best)},
                          {"best_iteration", iterationOrNull(s.bestIteration)}};
    out["runs"].push_back(std::move(jr));
  }
  out["groups"] = json::array();
  for (const auto& g : c.groups) {
    json jg = {{"name", g.name}, {"runs", g.runIds}, {"tokens", num(g.tokens)}, {"time_s", num(g.timeSeconds)}};
    jg["curves"] = json::object();
    jg["summary"] = json::object();
    for (const auto& [m, pts] : g.curves) {
      json arr = json::array();
      for (const auto& p : pts)
        arr.push_back({{"x", p.x}, {"n", p.n}, {"mean", num(p.mean)}, {"std", num(p.std)}, {"min", num(p.min)},
                       {"max", num(p.max)}, {"ci95", num(p.ci95)}});
      jg["curves"][m] = std::move(arr);
    }
    for (const auto& [m, s] : g.summary)
      jg["summary"][m] = {{"final", num(s.final)},
                          {"best", num(s.best)},
                          {"best_iteration", iterationOrNull(s.bestIteration)},
                          {"spread", num(s.spread)},
                          {"runs", s.runs}};
    out["groups"].push_back(std::move(jg));
  }
  out["config_diff"] = json::array();
  for (const auto& d : c.configDiff) {
    json values = json::object();
    for (size_t i = 0; i < d.values.size() && i < c.runs.size(); ++i)
      values[std::to_string(c.runs[i].record.id)] = d.values[i] ? json(*d.values[i]) : json(nullptr);
    out["config_diff"].push_back({{"key", d.key}, {"values", std::move(values)}});
  }
  return out.dump(2) + "\n";
}

void writeFileAtomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  if (path.empty()) failInput("cannot write a report: the output path is empty");
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  auto fail = [&](const std::string& why) {
    fs::remove(tmp, ec);
    failInput("cannot write '", path, "': ", why);
  };
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec)) fail("folder '" + parent.string() + "' does not exist");
  if (fs::is_directory(path, ec)) fail("it is a folder");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(std::strerror(errno));
    out << content;
    out.flush();
    if (!out) fail("write failed");
  }
  fs::rename(tmp, path, ec);
  if (ec) fail(ec.message());
}

std::vector<std::string> writeReport(const RunComparison& c, const std::string& path, const std::string& title) {
  namespace fs = std::filesystem;
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".html" || ext == ".htm") {
    writeFileAtomically(path, htmlReport(c, title));
    return {path};
  }
  if (ext == ".csv") {
    writeFileAtomically(path, seriesCsv(c));
    return {path};
  }
  if (ext == ".json") {
    writeFileAtomically(path, seriesJson(c));
    return {path};
  }
  if (ext != ".md") failInput("report '", path, "': expected a file ending in .html, .md, .csv or .json");
  const std::string stem = path.substr(0, path.size() - ext.size());
  const std::string prefix = fs::path(stem).filename().string() + "-";
  std::vector<std::string> written;
  try {
    writeFileAtomically(path, markdownReport(c, prefix, title));
    written.push_back(path);
    for (const auto& m : c.metrics) {
      const std::string image = stem + "-" + metricSlug(m) + ".svg";
      writeFileAtomically(image, metricSvg(c, m, true));
      written.push_back(image);
    }
  } catch (...) {
    std::error_code ec;
    for (const auto& f : written) fs::remove(f, ec);
    throw;
  }
  return written;
}

}  // namespace tb
