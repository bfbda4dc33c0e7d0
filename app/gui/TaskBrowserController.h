#pragma once
// TaskBrowserController: fills a TaskBrowser from the TaskRegistry. It lists every registered
// task; when the browser asks for samples it creates the task with its preset defaults
// (RunConfig::defaults(name, "grpo"), kept for later requests), takes up to kMaxSamples problems
// of the chosen level from the train split, writes each a demonstration with a fixed seed,
// verifies it, and for step-level tasks describes the state after every step of it. Blocks World
// states are also parsed into stacks for the drawing. Any exception becomes a message in the
// browser; none escapes into Qt.
#include <QObject>
#include <QString>

#include <map>
#include <memory>
#include <string>

#include "widgets/BlockStacksView.h"

namespace tb {

class Task;
class TaskBrowser;

// Reads a PlanBench-style Blocks World state description ("the red block is clear, the hand is
// empty, the red block is on top of the blue block, the blue block is on the table") into stacks,
// bottom to top, ordered by where each stack's bottom block is first named. It understands "X is
// on top of Y", "X is on the table", "the hand is (currently) holding X" / "I am holding X"; block
// names are the word(s) before "block" ("the red block" -> "red"), or the bare name. Clauses it
// does not know ("is clear", "the hand is empty") are skipped; blocks on a cycle or on a block that
// is never placed become stacks of their own, so every named block is drawn once.
BlockStacks parseBlocksState(const QString& text);

class TaskBrowserController : public QObject {
  Q_OBJECT

 public:
  static constexpr int kMaxSamples = 20;
  static constexpr unsigned kDemonstrationSeed = 0;

  TaskBrowserController(TaskBrowser* browser, QObject* parent = nullptr);
  ~TaskBrowserController() override;

  // Lists the registered tasks in the browser again.
  void refreshTasks();
  // Fills the browser with samples of `task` at `level` (-1 = all levels, spread over them).
  void loadSamples(const QString& task, int level);

 private:
  Task& taskNamed(const std::string& name);

  TaskBrowser* browser_;
  std::map<std::string, std::unique_ptr<Task>> tasks_;  // created on first use
};

}  // namespace tb
