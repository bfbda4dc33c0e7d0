#pragma once
// The HTML report of a run comparison (core/compare/Comparison.h): one self-contained HTML5 file
// (inline CSS, inline SVG, no scripts, no external URLs) that opens without network access. It is
// also well-formed XML (every element closed, only the XML entities), so tests and scripts can
// parse it with an XML reader.
//
// Contents, in order: title and date; the runs (id, name, task, algorithm, group, status,
// iterations); the notes; per selected metric an <svg class="plot" data-metric="NAME"> line plot
// (per group the mean line, with a translucent 95% CI band where >= 2 runs cover x; a single-run
// group is the run's own curve); the summary table (id="summary"); the config differences
// (id="config-diff"); up to 3 sample trajectories per run (HTML-escaped, pre-formatted).
// Missing values are empty cells, never 0.
#include <map>
#include <string>
#include <vector>

#include "core/compare/Comparison.h"

namespace tb {

// The colour (#rrggbb) of a group: a fixed palette (Tableau 10) indexed by the FNV-1a hash of the
// name, so the same algorithm gets the same colour in every report.
std::string groupColour(const std::string& group);
// Colours for the groups of one report: groupColour, except that a group whose colour is already
// taken by a group earlier in name order gets the next free palette entry (distinct colours for up
// to 10 groups).
std::map<std::string, std::string> groupColours(const std::vector<std::string>& groups);

// One metric's line plot as an <svg class="plot" data-metric="..."> element. `standalone` adds the
// SVG namespace and an XML declaration for a separate .svg file (the inline form needs neither and
// so holds no URL).
std::string metricSvg(const RunComparison& comparison, const std::string& metric, bool standalone = false);

// The whole report as an HTML5 document.
std::string htmlReport(const RunComparison& comparison, const std::string& title);

// Helpers shared by the reports.
std::string htmlEscape(const std::string& text);       // & < > " '
std::string formatValue(double value);                  // "" for NaN/inf; %.4g, integers >= 1000 in full
std::string reportDate();                               // now, "YYYY-MM-DD HH:MM UTC"
std::string runLabel(const RunRecord& run);             // "#<id> <name>"

}  // namespace tb
