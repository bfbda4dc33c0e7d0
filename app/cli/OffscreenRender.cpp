#include "app/cli/OffscreenRender.h"

#include "core/Error.h"

#ifdef THOUGHTBENCH_CLI_IMAGES
#include <QApplication>
#include <QElapsedTimer>
#include <QString>

#include <algorithm>
#include <memory>
#include <random>

#include "core/compare/SeriesStats.h"
#include "widgets/AttentionPanel.h"
#include "widgets/CompareChart.h"
#include "widgets/PdfReport.h"

#include <qcustomplot.h>
#endif

namespace tb::cli {

#ifdef THOUGHTBENCH_CLI_IMAGES
namespace {

// A QApplication on the offscreen platform unless one exists; keep it alive while drawing.
std::unique_ptr<QApplication> offscreenApplication() {
  if (QApplication::instance()) return nullptr;
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  static int argc = 1;
  static char name[] = "thoughtbench-cli";
  static char* argv[] = {name, nullptr};
  return std::make_unique<QApplication>(argc, argv);
}

}  // namespace
#else
namespace {
[[noreturn]] void noGui(const std::string& what) {
  failInput(what, ": this thoughtbench-cli was built without the GUI (THOUGHTBENCH_BUILD_GUI=OFF), which draws it");
}
}  // namespace
#endif

void writeAttentionImage(const AttentionSample& sample, const std::string& path) {
#ifdef THOUGHTBENCH_CLI_IMAGES
  const auto app = offscreenApplication();
  AttentionPanel panel;
  panel.resize(1400, 1000);
  if (!panel.setSample(sample)) failInput("attention: ", panel.errorString().toStdString());
  panel.setCompletionOnly(true);
  QString error;
  const QString file = QString::fromStdString(path);
  if (!panel.exportHeatmap(file, &error)) failInput("cannot write '", path, "': ", error.toStdString());
  const int dot = file.lastIndexOf('.');
  const QString strip = file.left(dot) + "-tokens" + file.mid(dot);
  if (!panel.exportTokenStrip(strip, &error)) failInput("cannot write '", strip.toStdString(), "': ", error.toStdString());
#else
  (void)sample;
  noGui("--out " + path + " (use .json)");
#endif
}

void writePdfReportFile(const RunComparison& comparison, const std::string& path, const std::string& title) {
#ifdef THOUGHTBENCH_CLI_IMAGES
  const auto app = offscreenApplication();
  writePdfReport(comparison, path, title);
#else
  (void)comparison;
  (void)title;
  noGui("--out " + path + " (use .html, .md, .csv or .json)");
#endif
}

nlohmann::json benchCompareView(int runs, int points, int plots, int repeats, int width, int height) {
#ifdef THOUGHTBENCH_CLI_IMAGES
  if (runs < 1 || points < 2 || plots < 1 || repeats < 1 || width < 100 || height < 100)
    failInput("bench compare-view: expected --runs >= 1, --points >= 2, --plots >= 1, --repeats >= 1, size >= 100");
  const auto app = offscreenApplication();
  std::mt19937 rng(7);
  std::normal_distribution<double> step(0.0, 0.05);
  QVector<ComparePlot> data;
  for (int p = 0; p < plots; ++p) {
    ComparePlot plot;
    plot.metric = QStringLiteral("metric %1").arg(p);
    for (int r = 0; r < runs; ++r) {
      CompareCurve c;
      c.key = QStringLiteral("run:%1").arg(r);
      c.label = c.key;
      c.colour = QColor::fromHsv((r * 37) % 360, 200, 200);
      std::vector<double> raw(static_cast<size_t>(points));
      double v = 0;
      for (auto& y : raw) y = v += step(rng);
      const auto smooth = debiasedEma(raw, 0.6);
      for (int i = 0; i < points; ++i) c.x << i;
      c.raw = QVector<double>(raw.begin(), raw.end());
      c.y = QVector<double>(smooth.begin(), smooth.end());
      plot.curves << c;
    }
    data << plot;
  }
  CompareChart chart;
  chart.resize(width, height);
  chart.show();
  QApplication::processEvents();
  QElapsedTimer timer;
  timer.start();
  chart.setPlots(data);
  QApplication::processEvents();
  const double setMs = double(timer.nsecsElapsed()) / 1e6;
  std::vector<double> redraws;
  for (int i = 0; i < repeats; ++i) redraws.push_back(chart.redrawNow());
  std::sort(redraws.begin(), redraws.end());
  const double x = points / 3.0;
  timer.restart();
  chart.showCrosshair(x);
  const double crosshairMs = double(timer.nsecsElapsed()) / 1e6;
  int graphs = 0;
  for (int i = 0; i < chart.plotCount(); ++i) graphs += chart.plotAt(i)->graphCount();
  return {{"runs", runs},
          {"points", points},
          {"plots", plots},
          {"lines_drawn", graphs},
          {"width", width},
          {"height", height},
          {"set_ms", setMs},
          {"redraw_ms", redraws[redraws.size() / 2]},
          {"redraw_ms_min", redraws.front()},
          {"redraw_ms_max", redraws.back()},
          {"crosshair_ms", crosshairMs}};
#else
  (void)runs, (void)points, (void)plots, (void)repeats, (void)width, (void)height;
  noGui("bench compare-view");
#endif
}

}  // namespace tb::cli
