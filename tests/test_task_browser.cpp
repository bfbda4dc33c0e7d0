// GUI test (offscreen) of the task browser: it lists every registered task, Game of 24 samples
// carry demonstrations the verifier accepts, the level filter restricts the samples, the Blocks
// World state parser builds the right stacks (held block included), BlockStacksView paints a
// non-blank picture, and the main window holds the browser in its "Tasks" tab.
#include <QtTest>

#include <QComboBox>
#include <QDockWidget>
#include <QImage>
#include <QListWidget>
#include <QSlider>
#include <QTabWidget>
#include <QTextEdit>

#include "app/gui/MainWindow.h"
#include "app/gui/TaskBrowserController.h"
#include "core/tasks/Task.h"
#include "widgets/BlockStacksView.h"
#include "widgets/TaskBrowser.h"

using namespace tb;

namespace {

QString describe(const BlockStacks& s) {
  QStringList stacks;
  for (const auto& stack : s.stacks) stacks << "[" + stack.join(' ') + "]";
  return stacks.join(' ') + (s.held.isEmpty() ? QString() : " held:" + s.held);
}

// Pixels of the image that differ from its top-left (background) pixel.
int nonBackgroundPixels(const QImage& image) {
  const QRgb background = image.pixel(image.width() / 2, 2);
  int n = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x) n += image.pixel(x, y) != background;
  return n;
}

}  // namespace

class TestTaskBrowser : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
  }

  void listsEveryRegisteredTask() {
    TaskBrowser browser;
    TaskBrowserController controller(&browser);
    const auto names = TaskRegistry::instance().names();
    QCOMPARE(browser.taskCount(), static_cast<int>(names.size()));
    for (const auto& name : names) QVERIFY2(browser.taskNames().contains(QString::fromStdString(name)), name.c_str());
    QCOMPARE(browser.taskList()->count(), browser.taskCount());
    // Nothing is loaded until the browser is shown or a task is picked.
    QVERIFY(browser.currentTask().isEmpty());
    QCOMPARE(browser.sampleCount(), 0);
    QVERIFY(!browser.selectTask("no-such-task"));
  }

  void game24SamplesHaveCorrectDemonstrations() {
    TaskBrowser browser;
    TaskBrowserController controller(&browser);
    QVERIFY(browser.selectTask("game24"));
    QCOMPARE(browser.currentTask(), QStringLiteral("game24"));
    QVERIFY2(browser.message().isEmpty(), qPrintable(browser.message()));
    QCOMPARE(browser.sampleCount(), TaskBrowserController::kMaxSamples);
    QSet<int> levels;
    for (int i = 0; i < browser.sampleCount(); ++i) {
      const TaskSample& s = browser.sample(i);
      QVERIFY(s.id.startsWith("game24/"));
      QVERIFY(!s.prompt.isEmpty());
      QVERIFY2(s.hasDemonstration && s.verdictCorrect, qPrintable(s.id + ": " + s.verdictReason));
      QVERIFY(!s.demonstration.isEmpty());
      // Step-level: one state per step of the demonstration, plus the initial one.
      QCOMPARE(s.stepStates.size(), s.steps.size() + 1);
      QVERIFY(s.steps.size() >= 3);
      QVERIFY(s.stackStates.isEmpty());
      levels.insert(s.level);
    }
    QCOMPARE(levels.size(), 5);  // "All levels" spreads the samples over the five levels
    // The first sample is selected and its detail shows the verdict and the demonstration.
    const auto current = browser.currentSample();
    QVERIFY(current.has_value());
    const QString detail = browser.detailView()->toPlainText();
    QVERIFY2(detail.contains("✓ correct"), qPrintable(detail));
    QVERIFY(detail.contains(current->demonstration.split('\n').first()));
    QVERIFY(detail.contains("DEMONSTRATION"));
    // The slider steps through the demonstration's states.
    QCOMPARE(browser.stepSlider()->maximum(), current->steps.size());
    browser.setStateStep(1);
    QCOMPARE(browser.stateView()->toPlainText(), current->stepStates[1]);
    // Reloading gives the same demonstrations (fixed seed).
    const QString first = browser.sample(0).demonstration;
    browser.setLevelFilter(1);
    browser.setLevelFilter(-1);
    QCOMPARE(browser.sample(0).demonstration, first);
  }

  void errorsBecomeMessages() {
    TaskBrowser browser;
    TaskBrowserController controller(&browser);
    controller.loadSamples("no-such-task", -1);
    QVERIFY2(browser.message().contains("unknown task 'no-such-task'"), qPrintable(browser.message()));
    QCOMPARE(browser.sampleCount(), 0);
    // A later good load clears the message.
    QVERIFY(browser.selectTask("game24"));
    QVERIFY(browser.message().isEmpty());
    QVERIFY(browser.sampleCount() > 0);
  }

  void levelFilterRestrictsSamples() {
    TaskBrowser browser;
    TaskBrowserController controller(&browser);
    QVERIFY(browser.selectTask("game24"));
    QCOMPARE(browser.levelCombo()->count(), 6);  // all + five levels
    for (int level : {0, 3, 4}) {
      browser.setLevelFilter(level);
      QCOMPARE(browser.levelFilter(), level);
      QVERIFY(browser.sampleCount() > 0);
      QVERIFY(browser.sampleCount() <= TaskBrowserController::kMaxSamples);
      for (int i = 0; i < browser.sampleCount(); ++i) QCOMPARE(browser.sample(i).level, level);
    }
    browser.setLevelFilter(-1);
    QCOMPARE(browser.sampleCount(), TaskBrowserController::kMaxSamples);
  }

  void blocksworldSamplesDrawStacks() {
    if (!TaskRegistry::instance().find("blocksworld")) QSKIP("the blocksworld task is not registered in this build");
    TaskBrowser browser;
    TaskBrowserController controller(&browser);
    QVERIFY(browser.selectTask("blocksworld"));
    QVERIFY2(browser.message().isEmpty(), qPrintable(browser.message()));
    QVERIFY(browser.sampleCount() > 0);
    for (int i = 0; i < browser.sampleCount(); ++i) {
      const TaskSample& s = browser.sample(i);
      QVERIFY2(s.hasDemonstration && s.verdictCorrect, qPrintable(s.id + ": " + s.verdictReason));
      QCOMPARE(s.stackStates.size(), s.steps.size() + 1);
      // Every state shows the same blocks; the hand holds one after every pick-up or unstack.
      const int blocks = s.stackStates.first().blockCount();
      QVERIFY2(blocks >= 2, qPrintable(s.id + ": " + s.stepStates.first()));
      QVERIFY(s.stackStates.first().held.isEmpty());
      for (int k = 0; k < s.stackStates.size(); ++k)
        QVERIFY2(s.stackStates[k].blockCount() == blocks, qPrintable(s.stepStates[k]));
      if (!s.steps.isEmpty()) QVERIFY2(!s.stackStates[1].held.isEmpty(), qPrintable(s.stepStates[1]));
    }
    QVERIFY(browser.blockStacksView()->isVisibleTo(&browser));
  }

  void parsesBlocksStates() {
    const BlockStacks a = parseBlocksState(
        "the red block is clear, the hand is empty, the red block is on top of the blue block, the blue block is on "
        "the table");
    QCOMPARE(describe(a), QStringLiteral("[blue red]"));

    const BlockStacks b = parseBlocksState(
        "As initial conditions I have that, the red block is clear, the yellow block is clear, the hand is empty, "
        "the red block is on top of the blue block, the yellow block is on top of the orange block, the blue block "
        "is on the table and the orange block is on the table.");
    QCOMPARE(describe(b), QStringLiteral("[blue red] [orange yellow]"));

    const BlockStacks held = parseBlocksState(
        "the orange block is clear, the hand is holding the red block, the orange block is on top of the blue block, "
        "the blue block is on the table.");
    QCOMPARE(describe(held), QStringLiteral("[blue orange] held:red"));
    const BlockStacks heldToo = parseBlocksState("I am holding the gold block. The silver block is on the table.");
    QCOMPARE(describe(heldToo), QStringLiteral("[silver] held:gold"));

    // Three high, lines instead of commas, capitals, and a goal that is not part of the state.
    const BlockStacks tall = parseBlocksState(
        "The cyan block is on top of the magenta block.\nThe magenta block is on top of the white block.\n"
        "The white block is on the table.\nThe black block is on the table.\n"
        "My goal is to have that the black block is on top of the cyan block.");
    QCOMPARE(describe(tall), QStringLiteral("[white magenta cyan] [black]"));

    // A block on one that is never placed still gets drawn, once.
    const BlockStacks floating = parseBlocksState("the a block is on top of the b block, the c block is on the table");
    QCOMPARE(describe(floating), QStringLiteral("[c] [b a]"));
    QVERIFY(parseBlocksState("the hand is empty").isEmpty());
    QVERIFY(parseBlocksState("").isEmpty());
  }

  void blockStacksViewPaints() {
    BlockStacksView view;
    view.resize(420, 300);
    QImage empty(view.size(), QImage::Format_ARGB32);
    empty.fill(Qt::white);
    view.render(&empty);
    const int emptyInk = nonBackgroundPixels(empty);  // the card border and the placeholder text

    view.setStacks({{"blue", "red"}, {"orange", "yellow", "white"}, {"black"}}, "green");
    QCOMPARE(view.state().blockCount(), 7);
    QImage image(view.size(), QImage::Format_ARGB32);
    image.fill(Qt::white);
    view.render(&image);
    QVERIFY2(nonBackgroundPixels(image) > emptyInk + 10000, qPrintable(QString::number(nonBackgroundPixels(image))));
    // The colours are the blocks' own: somewhere there is strong red and strong blue.
    bool red = false, blue = false;
    for (int y = 0; y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x) {
        const QColor c = image.pixelColor(x, y);
        red |= c.red() > 200 && c.green() < 90 && c.blue() < 90;
        blue |= c.blue() > 180 && c.red() < 60 && c.green() < 140;
      }
    QVERIFY(red && blue);
    QCOMPARE(BlockStacksView::blockColor("Red"), BlockStacksView::blockColor("red"));
    QCOMPARE(BlockStacksView::blockColor("a"), BlockStacksView::blockColor("a"));
    QCOMPARE(BlockStacksView::labelColor(BlockStacksView::blockColor("black")), QColor(Qt::white));
    QVERIFY(BlockStacksView::labelColor(BlockStacksView::blockColor("yellow")) != QColor(Qt::white));

    // Tiny sizes and many stacks do not crash.
    view.resize(40, 30);
    QImage tiny(view.size(), QImage::Format_ARGB32);
    view.render(&tiny);
    QVector<QStringList> many;
    for (int i = 0; i < 30; ++i) many << QStringList{QString("b%1").arg(i), QString("c%1").arg(i)};
    view.setStacks(many);
    view.resize(300, 200);
    QImage crowded(view.size(), QImage::Format_ARGB32);
    view.render(&crowded);
  }

  // With TB_SCREENSHOT_DIR set, saves pictures of the browser (Game of 24 stepped to its second
  // state, Blocks World with a block in the hand) for a human to look at.
  void screenshots() {
    const QString dir = qEnvironmentVariable("TB_SCREENSHOT_DIR");
    if (dir.isEmpty()) QSKIP("set TB_SCREENSHOT_DIR to save screenshots");
    TaskBrowser browser;
    TaskBrowserController controller(&browser);
    browser.resize(1400, 860);
    browser.show();
    QVERIFY(browser.selectTask("game24"));
    browser.selectSample(3);
    browser.setStateStep(2);
    QTest::qWait(50);
    QVERIFY(browser.grab().save(dir + "/task-browser-game24.png"));
    if (!browser.selectTask("blocksworld")) return;
    // The hardest level that has problems, and a sample with a plan of four steps or more.
    for (int level = browser.levelCombo()->count() - 2; level >= 0; --level) {
      browser.setLevelFilter(level);
      if (browser.sampleCount() > 0) break;
    }
    for (int i = 0; i < browser.sampleCount(); ++i)
      if (browser.sample(i).steps.size() >= 4) {
        browser.selectSample(i);
        break;
      }
    browser.setStateStep(3);
    QTest::qWait(50);
    QVERIFY(browser.grab().save(dir + "/task-browser-blocksworld.png"));
    BlockStacksView view;
    view.setStacks({{"blue", "red"}, {"orange", "yellow", "white"}, {"black"}, {"silver", "magenta"}}, "green");
    view.resize(520, 360);
    QVERIFY(view.grab().save(dir + "/block-stacks.png"));
  }

  void mainWindowHasTasksTab() {
    QTemporaryDir dir;
    MainWindow w(dir.filePath("workspace.sqlite"));
    QVERIFY(w.taskBrowser() != nullptr);
    QCOMPARE(w.centralTabs()->count(), 5);
    QCOMPARE(w.centralTabs()->tabText(0), QStringLiteral("Training"));
    QCOMPARE(w.centralTabs()->tabText(1), QStringLiteral("Tasks"));
    QCOMPARE(w.centralTabs()->tabText(2), QStringLiteral("Trees"));
    QCOMPARE(w.centralTabs()->tabText(3), QStringLiteral("Attention"));
    QCOMPARE(w.centralTabs()->tabText(4), QStringLiteral("Compare"));
    QCOMPARE(w.centralTabs()->currentIndex(), 0);
    w.show();
    QVERIFY(w.taskBrowser()->currentTask().isEmpty());  // hidden tab: nothing loaded yet
    auto* runsDock = w.findChild<QDockWidget*>("runsDock");
    QVERIFY(runsDock && runsDock->isVisible());
    w.showTasksTab();
    QCOMPARE(w.centralTabs()->currentWidget(), w.taskBrowser());
    QVERIFY(!runsDock->isVisible());  // the training docks step aside for the browser
    QVERIFY(!w.taskBrowser()->currentTask().isEmpty());  // shown: the first task is selected
    QVERIFY(w.taskBrowser()->sampleCount() > 0 || !w.taskBrowser()->message().isEmpty());
    // The trees keep the runs beside them (to choose whose trees), not the configuration.
    w.showTreesTab();
    QVERIFY(runsDock->isVisible());
    auto* configDock = w.findChild<QDockWidget*>("configDock");
    QVERIFY(configDock && !configDock->isVisible());
    w.centralTabs()->setCurrentIndex(0);
    QVERIFY(runsDock->isVisible());
    QVERIFY(configDock->isVisible());
  }
};

QTEST_MAIN(TestTaskBrowser)
#include "test_task_browser.moc"
