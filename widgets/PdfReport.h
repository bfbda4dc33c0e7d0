#pragma once
// The PDF report of a run comparison (core/compare/Comparison.h): the HTML report's content on
// paginated A4 pages: title and date, the runs, the notes, one plot per selected metric (the
// report's own SVG plot, core/compare/HtmlReport.h::metricSvg, drawn as vectors), the summary
// table, the config differences and a few sample trajectories; tables continue on the next page
// with their header repeated; page numbers at the foot. Needs a QGuiApplication (fonts); the CLI
// makes an offscreen one. Missing values are blank, never 0.
#include <string>

#include "core/compare/Comparison.h"

namespace tb {

// Writes the report to `path` through a temporary file renamed at the end, so a failure leaves
// no partial file. InputError naming the path when it cannot be written.
void writePdfReport(const RunComparison& comparison, const std::string& path, const std::string& title);

}  // namespace tb
