#include "app/cli/AttentionRender.h"

#include "core/Error.h"

#ifdef THOUGHTBENCH_CLI_IMAGES
#include <QApplication>
#include <QString>

#include <memory>

#include "widgets/AttentionPanel.h"
#endif

namespace tb::cli {

void writeAttentionImage(const AttentionSample& sample, const std::string& path) {
#ifdef THOUGHTBENCH_CLI_IMAGES
  // A headless process: the offscreen platform needs no display.
  if (!qEnvironmentVariableIsSet("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  static int argc = 1;
  static char name[] = "thoughtbench-cli";
  static char* argv[] = {name, nullptr};
  std::unique_ptr<QApplication> app;
  if (!QApplication::instance()) app = std::make_unique<QApplication>(argc, argv);
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
  failInput("--out ", path, ": this thoughtbench-cli was built without the GUI (THOUGHTBENCH_BUILD_GUI=OFF), so it "
            "writes attention as .json only");
#endif
}

}  // namespace tb::cli
