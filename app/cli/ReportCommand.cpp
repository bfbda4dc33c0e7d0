// `report --runs ID,ID,... --out FILE.html|.pdf|.md|.csv|.json [--metrics a,b] [--group-by KEY] [--title T] [--db PATH]`:
// compares the runs (core/compare/Comparison.h: groups by algorithm or a config key, aligned mean
// and 95% CI across seeds, final / best values, config differences, notes) and writes the report
// chosen by the file's extension (core/compare/Reports.h): a self-contained HTML page, a paginated
// PDF (widgets/PdfReport, when the GUI is built), Markdown
// with one FILE-<metric>.svg per metric next to it, or the series as CSV / JSON. Files are written
// through FILE.tmp and a rename, so a failed write leaves no partial file. docs/REPORTS.md.
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/cli/Commands.h"
#include "app/cli/OffscreenRender.h"
#include "core/Error.h"
#include "core/compare/Comparison.h"
#include "core/compare/Reports.h"

namespace tb::cli {

namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> parseList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (const std::string t = trimmed(item); !t.empty()) out.push_back(t);
  return out;
}

}  // namespace

int reportCommand(const CliArguments& args) {
  args.allowOnly({"runs", "out", "db", "metrics", "group-by", "title"});
  const auto runs = args.value("runs");
  const auto out = args.value("out");
  if (!runs || !out) failInput("report needs --runs ID,ID,... and --out FILE.html|.pdf|.md|.csv|.json");
  const std::vector<std::int64_t> ids = parseIdList(*runs, "--runs");
  std::vector<std::string> metrics;
  if (const auto m = args.value("metrics")) {
    metrics = parseList(*m);
    if (metrics.empty()) failInput("--metrics ", *m, ": expected metric names separated by commas, e.g. reward/mean,kl");
  }
  const std::string groupBy = args.value("group-by").value_or("algorithm");
  if (groupBy.empty()) failInput("--group-by: expected `algorithm` or a config key, e.g. run.seed");

  auto store = RunStore::open(workspacePath(args));
  const RunComparison comparison = buildComparison(*store, ids, metrics, groupBy);

  std::string title = "Thoughtbench report: runs ";
  for (size_t i = 0; i < ids.size(); ++i) title += (i ? ", " : "") + std::to_string(ids[i]);
  if (const auto t = args.value("title")) title = *t;

  std::vector<std::string> files;
  const bool pdf = out->size() > 4 && out->compare(out->size() - 4, 4, ".pdf") == 0;
  if (pdf) {
    writePdfReportFile(comparison, *out, title);
    files.push_back(*out);
  } else {
    files = writeReport(comparison, *out, title);
  }
  std::printf("%zu runs in %zu groups (by %s), %zu metrics\n", comparison.runs.size(), comparison.groups.size(),
              comparison.groupBy.c_str(), comparison.metrics.size());
  for (const auto& note : comparison.notes) std::printf("note: %s\n", note.c_str());
  for (const auto& file : files) std::printf("wrote %s\n", file.c_str());
  return 0;
}

}  // namespace tb::cli
