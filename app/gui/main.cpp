// thoughtbench: the workbench GUI. Usage: thoughtbench [--db WORKSPACE.sqlite]
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QMessageBox>

#include "app/gui/MainWindow.h"
#include "core/store/Workspace.h"

int main(int argc, char** argv) {
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
  parser.process(app);
  const QString workspace = parser.isSet(db) ? parser.value(db) : QString::fromStdString(tb::defaultWorkspacePath());
  try {
    tb::MainWindow window(workspace);
    window.show();
    return app.exec();
  } catch (const std::exception& e) {
    QMessageBox::critical(nullptr, "Thoughtbench", QString::fromStdString(e.what()));
    return 2;
  }
}
