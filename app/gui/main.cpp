// thoughtbench: the workbench GUI.
// Usage: thoughtbench [--db WORKSPACE.sqlite] [--tab training|tasks|trees] [--show-task NAME]
//                    [--open-tree FILE.json] [--attention SAMPLE_ID] [--compare ID,ID,...]
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QMessageBox>

#include "app/gui/MainWindow.h"
#include "app/gui/TreesPage.h"
#include "widgets/SampleRow.h"
#include "widgets/TaskBrowser.h"
#include "core/store/Workspace.h"
#include "core/ProcessMemory.h"

int main(int argc, char** argv) {
  tb::configureProcessMemory();
  QApplication app(argc, argv);
  QApplication::setApplicationName("thoughtbench");
  QApplication::setOrganizationName("thoughtbench");
  QApplication::setApplicationVersion(THOUGHTBENCH_VERSION);
  QApplication::setWindowIcon(QIcon(":/icons/thoughtbench.svg"));
  QCommandLineParser parser;
  parser.setApplicationDescription("Workbench for training and inspecting reasoning policies");
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption db("db", "Workspace database (default: ~/.local/share/thoughtbench/workspace.sqlite).", "path");
  parser.addOption(db);
  QCommandLineOption tab("tab", "Central tab shown at start: training (default), tasks, trees or compare.", "name", "training");
  parser.addOption(tab);
  QCommandLineOption showTask("show-task", "Open the Tasks tab on this task (e.g. blocksworld).", "name");
  parser.addOption(showTask);
  QCommandLineOption openTree("open-tree", "Open a reasoning-tree JSON file (ours or llm-reasoners') in the Trees tab.",
                              "file");
  parser.addOption(openTree);
  QCommandLineOption attention("attention", "Open the Attention tab on a stored sample (ids: thoughtbench-cli samples RUN).",
                               "sample");
  parser.addOption(attention);
  QCommandLineOption compare("compare", "Open the Compare tab with these runs ticked (e.g. 3,4,5).", "ids");
  parser.addOption(compare);
  parser.process(app);
  const QString startTab = parser.value(tab).toLower();
  if (startTab != "training" && startTab != "tasks" && startTab != "trees" && startTab != "compare") {
    std::fprintf(stderr, "thoughtbench: --tab must be training, tasks, trees or compare, not '%s'\n", qPrintable(startTab));
    return 2;
  }
  QList<qint64> compareIds;
  for (const QString& id : parser.value(compare).split(',', Qt::SkipEmptyParts)) {
    bool ok = false;
    compareIds << id.trimmed().toLongLong(&ok);
    if (!ok) {
      std::fprintf(stderr, "thoughtbench: --compare expects run ids separated by commas, not '%s'\n",
                   qPrintable(parser.value(compare)));
      return 2;
    }
  }
  const QString workspace = parser.isSet(db) ? parser.value(db) : QString::fromStdString(tb::defaultWorkspacePath());
  try {
    tb::MainWindow window(workspace);
    if (startTab == "tasks" || parser.isSet(showTask)) window.showTasksTab();
    if (parser.isSet(showTask) && !window.taskBrowser()->selectTask(parser.value(showTask)))
      std::fprintf(stderr, "thoughtbench: no task named '%s'\n", qPrintable(parser.value(showTask)));
    if (startTab == "trees" || parser.isSet(openTree)) window.showTreesTab();
    if (parser.isSet(attention)) {
      tb::SampleRow row;
      row.id = parser.value(attention).toLongLong();
      if (!window.showAttention(row)) std::fprintf(stderr, "thoughtbench: no attention for sample '%s'\n",
                                                   qPrintable(parser.value(attention)));
    }
    if (startTab == "compare" || !compareIds.isEmpty()) window.showCompareTab(compareIds);
    if (parser.isSet(openTree) && !window.treesPage()->openFile(parser.value(openTree)))
      std::fprintf(stderr, "thoughtbench: %s\n", qPrintable(window.treesPage()->statusText()));
    window.show();
    return app.exec();
  } catch (const std::exception& e) {
    QMessageBox::critical(nullptr, "Thoughtbench", QString::fromStdString(e.what()));
    return 2;
  }
}
