#pragma once
// The other renderings of a run comparison (core/compare/Comparison.h) and writing report files.
// HTML: core/compare/HtmlReport.h. Missing values are empty (CSV, Markdown) or null (JSON), never 0.
#include <string>
#include <vector>

#include "core/compare/Comparison.h"

namespace tb {

// The file-name part of a metric for its image: letters, digits, '-', '_' and '.' kept, others
// '_' ("eval/pass@k" -> "eval_pass_k").
std::string metricSlug(const std::string& metric);

// Markdown: the same sections as the HTML report, tables as Markdown tables; each metric's plot is
// an image link to imagePrefix + metricSlug(metric) + ".svg", a file the caller writes
// (metricSvg(comparison, metric, true)).
std::string markdownReport(const RunComparison& comparison, const std::string& imagePrefix,
                           const std::string& title = "Run comparison");

// CSV in long format, header "run,group,metric,iteration,value": every point of the selected
// metrics of every run, runs in order, metrics in selected order.
std::string seriesCsv(const RunComparison& comparison);

// JSON: {"group_by", "metrics", "notes", "runs": [{id, name, task, algorithm, group, status,
// iterations_done, iterations_total, tokens, time_s, series: {metric: {x: [], y: []}},
// summary: {metric: {final, final_iteration, best, best_iteration}}}], "groups": [{name, runs,
// tokens, time_s, curves: {metric: [{x, n, mean, std, min, max, ci95}]}, summary: {metric: {final,
// best, best_iteration, spread, runs}}}], "config_diff": [{key, values: {"<run id>": value|null}}]}.
// Missing numbers are null.
std::string seriesJson(const RunComparison& comparison);

// Writes `content` to `path` through path + ".tmp" and a rename, so `path` is either the complete
// new file or untouched. InputError naming the path (and why) when it cannot be written; the
// temporary file is removed.
void writeFileAtomically(const std::string& path, const std::string& content);

// Writes the report chosen by the extension of `path` (.html/.htm, .md, .csv, .json; InputError
// otherwise). A .md report also writes one <path without .md>-<metricSlug>.svg per metric next to
// it. Returns the files written (the report first). On failure no file of this call is left.
std::vector<std::string> writeReport(const RunComparison& comparison, const std::string& path,
                                     const std::string& title = "Run comparison");

}  // namespace tb
