#include "core/compare/HtmlReport.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>

#include "core/compare/SeriesStats.h"

namespace tb {

namespace {

constexpr const char* kPalette[10] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

std::uint32_t fnv1a(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // no "-0"
  return s;
}

std::string coord(double v) { return fixed(v, 1); }

// A "nice" tick step (1, 2 or 5 x 10^k) giving about `target` intervals over `range`.
double niceStep(double range, int target) {
  const double raw = range / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
}

int decimalsFor(double step) { return std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9))); }

struct Axis {
  double lo = 0, hi = 1, step = 1;
};

Axis makeAxis(double lo, double hi, bool integers) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi <= lo) {
    const double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.1 : 1.0;
    lo -= pad;
    hi += pad;
  }
  Axis a;
  a.step = niceStep(hi - lo, 5);
  if (integers) a.step = std::max(1.0, std::round(a.step));
  a.lo = std::floor(lo / a.step + 1e-9) * a.step;
  a.hi = std::ceil(hi / a.step - 1e-9) * a.step;
  if (a.hi <= a.lo) a.hi = a.lo + a.step;
  return a;
}

void runsTable(std::ostringstream& o, const RunComparison& c) {
  o << "<table id=\"runs\"><thead><tr><th>id</th><th>name</th><th>task</th><th>algorithm</th><th>group</th>"
       "<th>status</th><th>iterations</th></tr></thead><tbody>\n";
  for (const auto& r : c.runs) {
    const auto& rec = r.record;
    o << "<tr data-run=\"" << rec.id << "\"><td>" << rec.id << "</td><td>" << htmlEscape(rec.name) << "</td><td>"
      << htmlEscape(rec.task) << "</td><td>" << htmlEscape(rec.algorithm) << "</td><td>" << htmlEscape(r.group)
      << "</td><td>" << runStatusName(rec.status) << "</td><td>" << rec.iterationsDone << " / " << rec.iterationsTotal
      << "</td></tr>\n";
  }
  o << "</tbody></table>\n";
}

void summaryRow(std::ostringstream& o, bool isGroup, const std::string& group, const std::string& runLabel,
                const std::string& runAttr, const std::string& metric, const MetricSummary* s, double tokens,
                double time) {
  o << "<tr class=\"" << (isGroup ? "group" : "run") << "\" data-group=\"" << htmlEscape(group) << "\"";
  if (!runAttr.empty()) o << " data-run=\"" << runAttr << "\"";
  o << " data-metric=\"" << htmlEscape(metric) << "\"><td>" << htmlEscape(group) << "</td><td>" << htmlEscape(runLabel)
    << "</td><td>" << htmlEscape(metric) << "</td>";
  auto cell = [&](const std::string& text) { o << "<td class=\"num\">" << text << "</td>"; };
  cell(s && s->runs > 0 ? std::to_string(s->runs) : "");
  cell(s ? formatValue(s->final) : "");
  cell(s ? formatValue(s->best) : "");
  cell(s && s->bestIteration >= 0 ? std::to_string(s->bestIteration) : "");
  cell(s ? formatValue(s->spread) : "");
  cell(formatValue(tokens));
  cell(formatValue(time));
  o << "</tr>\n";
}

void summaryTable(std::ostringstream& o, const RunComparison& c) {
  o << "<table id=\"summary\"><thead><tr><th>group</th><th>run</th><th>metric</th><th>runs</th><th>final</th>"
       "<th>best</th><th>at iteration</th><th>spread (std of finals)</th><th>tokens</th><th>time (s)</th></tr></thead>"
       "<tbody>\n";
  for (const auto& g : c.groups) {
    const std::string groupLabel = "mean of " + std::to_string(g.runIds.size()) + " run" + (g.runIds.size() == 1 ? "" : "s");
    for (const auto& m : c.metrics) {
      const auto it = g.summary.find(m);
      summaryRow(o, true, g.name, groupLabel, "", m, it == g.summary.end() ? nullptr : &it->second, g.tokens,
                 g.timeSeconds);
    }
    for (auto id : g.runIds) {
      const ComparedRun* r = c.run(id);
      const std::string label = runLabel(r->record);
      for (const auto& m : c.metrics) {
        const auto it = r->summary.find(m);
        summaryRow(o, false, g.name, label, std::to_string(id), m, it == r->summary.end() ? nullptr : &it->second,
                   r->tokens, r->timeSeconds);
      }
    }
  }
  o << "</tbody></table>\n";
}

void configTable(std::ostringstream& o, const RunComparison& c) {
  if (c.configDiff.empty()) {
    o << "<p id=\"config-diff\">The selected runs have the same configuration.</p>\n";
    return;
  }
  o << "<table id=\"config-diff\"><thead><tr><th>key</th>";
  for (const auto& r : c.runs) o << "<th>run " << r.record.id << "</th>";
  o << "</tr></thead><tbody>\n";
  for (const auto& d : c.configDiff) {
    o << "<tr data-key=\"" << htmlEscape(d.key) << "\"><td>" << htmlEscape(d.key) << "</td>";
    for (const auto& v : d.values) o << "<td>" << (v ? htmlEscape(*v) : "") << "</td>";
    o << "</tr>\n";
  }
  o << "</tbody></table>\n";
}

void samplesSection(std::ostringstream& o, const RunComparison& c) {
  bool any = false;
  for (const auto& r : c.runs) {
    if (r.samples.empty()) continue;
    any = true;
    o << "<h3>Run " << r.record.id << (r.record.name.empty() ? "" : " (" + htmlEscape(r.record.name) + ")")
      << ", iteration " << r.samples.front().iteration << "</h3>\n";
    for (const auto& s : r.samples) {
      o << "<div class=\"sample\" data-run=\"" << r.record.id << "\"><p>problem <code>" << htmlEscape(s.problemId)
        << "</code>, reward " << formatValue(s.reward) << ", " << (s.correct ? "correct" : "incorrect");
      if (!s.reason.empty()) o << ": " << htmlEscape(s.reason);
      o << "</p>\n<pre class=\"prompt\">" << htmlEscape(s.prompt) << "</pre>\n<pre class=\"completion\">"
        << htmlEscape(s.completion) << "</pre></div>\n";
    }
  }
  if (!any) o << "<p>No samples stored for these runs.</p>\n";
}

constexpr const char* kCss =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1100px;color:#222;"
    "padding:0 1em}"
    "h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.group{background:#f3f3f3;font-weight:600}"
    "svg.plot{display:block;margin:.5em 0;background:#fff;border:1px solid #e5e5e5}"
    "svg text{font-family:system-ui,sans-serif;font-size:11px;fill:#333}"
    "pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;word-break:break-word;font-size:.85em}"
    ".sample{border-left:3px solid #ccc;padding-left:.8em;margin:1em 0}"
    ".date{color:#666}";

}  // namespace

std::string htmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string formatValue(double value) {
  if (!std::isfinite(value)) return "";
  char buf[64];
  if (std::abs(value) >= 1000 && std::abs(value) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", value);
  else
    std::snprintf(buf, sizeof buf, "%.4g", value);
  std::string s = buf;
  if (s == "-0") s = "0";
  return s;
}

std::string reportDate() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &utc);
  return buf;
}

std::string runLabel(const RunRecord& run) {
  std::string label(1, '#');
  label += std::to_string(run.id);
  if (!run.name.empty()) label.append(" ").append(run.name);
  return label;
}

std::string groupColour(const std::string& group) { return kPalette[fnv1a(group) % 10]; }

std::map<std::string, std::string> groupColours(const std::vector<std::string>& groups) {
  std::set<std::string> names(groups.begin(), groups.end());
  std::map<std::string, std::string> out;
  bool used[10] = {};
  int usedCount = 0;
  for (const auto& name : names) {
    size_t i = fnv1a(name) % 10;
    if (usedCount < 10)
      while (used[i]) i = (i + 1) % 10;
    if (!used[i]) ++usedCount;
    used[i] = true;
    out[name] = kPalette[i];
  }
  return out;
}

std::string metricSvg(const RunComparison& c, const std::string& metric, bool standalone) {
  constexpr double W = 680, H = 300, L = 64, R = 170, T = 28, B = 44;
  const double pw = W - L - R, ph = H - T - B;
  std::vector<std::string> names;
  for (const auto& g : c.groups) names.push_back(g.name);
  const auto colours = groupColours(names);

  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& g : c.groups) {
    const auto it = g.curves.find(metric);
    if (it == g.curves.end()) continue;
    for (const auto& p : it->second) {
      xlo = std::min(xlo, p.x);
      xhi = std::max(xhi, p.x);
      const bool band = g.runIds.size() >= 2 && std::isfinite(p.ci95);
      const auto [lo, hi] =
          shownExtent(p.mean, band ? p.mean - p.ci95 : NAN, band ? p.mean + p.ci95 : NAN, p.min, p.max);
      ylo = std::min(ylo, lo);
      yhi = std::max(yhi, hi);
    }
  }
  const bool empty = !std::isfinite(xlo);
  const Axis ax = makeAxis(xlo, xhi, true), ay = makeAxis(ylo, yhi, false);
  auto sx = [&](double x) { return L + (x - ax.lo) / (ax.hi - ax.lo) * pw; };
  auto sy = [&](double y) { return T + ph - (y - ay.lo) / (ay.hi - ay.lo) * ph; };

  std::ostringstream o;
  if (standalone) o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << "<svg class=\"plot\" data-metric=\"" << htmlEscape(metric) << "\"";
  if (standalone) o << " xmlns=\"http://www.w3.org/2000/svg\"";
  o << " width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W << " " << H << "\" role=\"img\">\n";
  if (standalone)
    o << "<style>text{font-family:system-ui,sans-serif;font-size:11px;fill:#333}</style>"
         "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  o << "<title>" << htmlEscape(metric) << "</title>\n";
  o << "<text x=\"" << L << "\" y=\"16\" style=\"font-weight:600;font-size:13px\">" << htmlEscape(metric) << "</text>\n";
  // Grid, ticks and labels.
  o << "<g class=\"axes\">";
  const int xd = decimalsFor(ax.step), yd = decimalsFor(ay.step);
  for (double v = ax.lo; v <= ax.hi + ax.step * 1e-6; v += ax.step) {
    const double x = sx(v);
    o << "<line x1=\"" << coord(x) << "\" y1=\"" << coord(T + ph) << "\" x2=\"" << coord(x) << "\" y2=\""
      << coord(T + ph + 4) << "\" stroke=\"#555\"/>"
      << "<text x=\"" << coord(x) << "\" y=\"" << coord(T + ph + 16) << "\" text-anchor=\"middle\">" << fixed(v, xd)
      << "</text>";
  }
  for (double v = ay.lo; v <= ay.hi + ay.step * 1e-6; v += ay.step) {
    const double y = sy(v);
    o << "<line x1=\"" << coord(L) << "\" y1=\"" << coord(y) << "\" x2=\"" << coord(L + pw) << "\" y2=\"" << coord(y)
      << "\" stroke=\"#eee\"/>"
      << "<line x1=\"" << coord(L - 4) << "\" y1=\"" << coord(y) << "\" x2=\"" << coord(L) << "\" y2=\"" << coord(y)
      << "\" stroke=\"#555\"/>"
      << "<text x=\"" << coord(L - 7) << "\" y=\"" << coord(y + 4) << "\" text-anchor=\"end\">" << fixed(v, yd)
      << "</text>";
  }
  o << "<line x1=\"" << L << "\" y1=\"" << coord(T + ph) << "\" x2=\"" << coord(L + pw) << "\" y2=\"" << coord(T + ph)
    << "\" stroke=\"#555\"/><line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << coord(T + ph)
    << "\" stroke=\"#555\"/>";
  o << "<text x=\"" << coord(L + pw / 2) << "\" y=\"" << coord(H - 8) << "\" text-anchor=\"middle\">iteration</text>";
  o << "<text transform=\"translate(14 " << coord(T + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
    << htmlEscape(metric) << "</text></g>\n";
  if (empty)
    o << "<text x=\"" << coord(L + pw / 2) << "\" y=\"" << coord(T + ph / 2)
      << "\" text-anchor=\"middle\" style=\"fill:#999\">no data in the selected runs</text>\n";

  // Bands, then mean lines on top.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& g : c.groups) {
      const auto it = g.curves.find(metric);
      if (it == g.curves.end()) continue;
      const auto& pts = it->second;
      const std::string& colour = colours.at(g.name);
      if (pass == 0) {
        if (g.runIds.size() < 2) continue;
        // One polygon per stretch of x where the interval exists (>= 2 runs cover x).
        for (size_t i = 0; i < pts.size();) {
          if (!std::isfinite(pts[i].ci95)) {
            ++i;
            continue;
          }
          size_t j = i;
          while (j < pts.size() && std::isfinite(pts[j].ci95)) ++j;
          o << "<polygon class=\"band\" data-group=\"" << htmlEscape(g.name) << "\" fill=\"" << colour
            << "\" fill-opacity=\"0.2\" stroke=\"none\" points=\"";
          // Cut at the axis (shownExtent): the interval of two or three runs reaches far past them.
          std::vector<double> xs, upper, lower;
          for (size_t k = i; k < j; ++k) {
            xs.push_back(pts[k].x);
            upper.push_back(pts[k].mean + pts[k].ci95);
            lower.push_back(pts[k].mean - pts[k].ci95);
          }
          const auto top = clampedBoundary(xs, upper, ay.lo, ay.hi), bottom = clampedBoundary(xs, lower, ay.lo, ay.hi);
          for (const auto& [x, y] : top) o << coord(sx(x)) << "," << coord(sy(y)) << " ";
          for (auto it = bottom.rbegin(); it != bottom.rend(); ++it) o << coord(sx(it->first)) << "," << coord(sy(it->second)) << " ";
          o << "\"/>\n";
          i = j;
        }
      } else {
        o << "<polyline class=\"mean\" data-group=\"" << htmlEscape(g.name) << "\" fill=\"none\" stroke=\"" << colour
          << "\" stroke-width=\"2\" points=\"";
        for (const auto& p : pts) o << coord(sx(p.x)) << "," << coord(sy(p.mean)) << " ";
        o << "\"/>\n";
        if (pts.size() == 1)
          o << "<circle cx=\"" << coord(sx(pts[0].x)) << "\" cy=\"" << coord(sy(pts[0].mean)) << "\" r=\"3\" fill=\""
            << colour << "\"/>\n";
      }
    }

  // Legend.
  o << "<g class=\"legend\">";
  double ly = T + 6;
  for (const auto& g : c.groups) {
    const bool has = g.curves.count(metric) > 0;
    o << "<rect x=\"" << coord(L + pw + 14) << "\" y=\"" << coord(ly - 8) << "\" width=\"14\" height=\"10\" fill=\""
      << colours.at(g.name) << "\"" << (has ? "" : " fill-opacity=\"0.3\"") << "/>"
      << "<text x=\"" << coord(L + pw + 34) << "\" y=\"" << coord(ly + 1) << "\">" << htmlEscape(g.name) << " ("
      << g.runIds.size() << (g.runIds.size() == 1 ? " run" : " runs") << (has ? "" : ", missing") << ")</text>";
    ly += 16;
  }
  o << "<text x=\"" << coord(L + pw + 14) << "\" y=\"" << coord(ly + 8)
    << "\" style=\"fill:#777;font-size:10px\">line: mean; band: 95% CI</text>";
  o << "</g>\n</svg>\n";
  return o.str();
}

std::string htmlReport(const RunComparison& c, const std::string& title) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" << htmlEscape(title)
    << "</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n";
  o << "<h1>" << htmlEscape(title) << "</h1>\n<p class=\"date\">Generated " << reportDate() << " by Thoughtbench; "
    << c.runs.size() << (c.runs.size() == 1 ? " run" : " runs") << " grouped by <code>" << htmlEscape(c.groupBy)
    << "</code>.</p>\n";
  o << "<h2>Runs</h2>\n";
  runsTable(o, c);
  o << "<h2>Notes</h2>\n";
  if (c.notes.empty()) {
    o << "<p>None: the runs share task and metrics.</p>\n";
  } else {
    o << "<ul id=\"notes\">\n";
    for (const auto& n : c.notes) o << "<li>" << htmlEscape(n) << "</li>\n";
    o << "</ul>\n";
  }
  o << "<h2>Curves</h2>\n<p>Per group the mean over its runs at every iteration any of them logged (each run linearly "
       "interpolated between its own points, never extrapolated past its first or last), with the 95% confidence "
       "interval of the mean where at least two runs cover the iteration. The y axis spans the means and the "
       "runs' own values; a band reaching beyond them (few runs make wide intervals) is cut at the axis.</p>\n";
  for (const auto& m : c.metrics) o << "<figure>\n" << metricSvg(c, m, false) << "</figure>\n";
  o << "<h2>Summary</h2>\n<p>Final: last logged value (groups: mean of the runs' finals). Best: maximum, or minimum "
       "for losses, KL, times and lengths (groups: on the mean curve), at the iteration shown. Spread: standard "
       "deviation of the runs' finals. Tokens: completion tokens generated; time: wall time of the run (groups: mean "
       "per run). Empty cells are missing values.</p>\n";
  summaryTable(o, c);
  o << "<h2>Config differences</h2>\n";
  configTable(o, c);
  o << "<h2>Sample trajectories</h2>\n";
  samplesSection(o, c);
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace tb
