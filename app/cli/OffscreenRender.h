#pragma once
// What the CLI draws with the GUI's own widgets on Qt's offscreen platform (no display needed),
// available when the GUI is built (THOUGHTBENCH_CLI_IMAGES); without it each function throws an
// InputError saying so.
//   - attention images for `attention --out F.png|.svg` (widgets/AttentionPanel): the heatmap of
//     the mean over heads and the kept layers on the completion's tokens, and FILE-tokens.png|.svg
//     with the completion text, WAAD / FAI per token and the preplan / anchor tokens;
//   - the PDF comparison report for `report --out F.pdf` (widgets/PdfReport);
//   - the compare view's redraw benchmark, `bench compare-view` (widgets/CompareChart).
#include <string>

#include <nlohmann/json.hpp>

#include "core/attention/AttentionSample.h"
#include "core/compare/Comparison.h"

namespace tb::cli {

// Throws InputError when the file cannot be written.
void writeAttentionImage(const AttentionSample& sample, const std::string& path);
void writePdfReportFile(const RunComparison& comparison, const std::string& path, const std::string& title);

// Draws `plots` synchronised plots of `runs` curves x `points` points each (random walks, as the
// compare view draws them: EMA-smoothed line over the faint raw one) at width x height and
// replots `repeats` times; {"runs", "points", "plots", "set_ms", "redraw_ms" (median), ...}.
nlohmann::json benchCompareView(int runs, int points, int plots, int repeats, int width, int height);

}  // namespace tb::cli
