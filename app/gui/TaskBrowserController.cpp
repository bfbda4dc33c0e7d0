// TaskBrowserController: registry -> TaskBrowser entries, problems -> samples with demonstrations,
// verdicts and states, and the Blocks World state parser. See TaskBrowserController.h.
#include "app/gui/TaskBrowserController.h"
#include "app/gui/WaitCursor.h"

#include <QGuiApplication>
#include <QHash>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <climits>
#include <map>
#include <random>

#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/tasks/Task.h"
#include "widgets/TaskBrowser.h"

namespace tb {

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

// "the red block" -> "red"; "The Blue Block" -> "blue"; "c" -> "c".
QString blockName(QString text) {
  static const QRegularExpression article(QStringLiteral("^(the|a|an)\\s+"));
  static const QRegularExpression suffix(QStringLiteral("\\s+block$"));
  text = text.simplified().toLower();
  text.remove(article);
  text.remove(suffix);
  return text.trimmed();
}

// Up to n items of v, evenly spaced from the first, in order.
std::vector<const Problem*> spread(const std::vector<const Problem*>& v, size_t n) {
  if (v.size() <= n) return v;
  std::vector<const Problem*> out;
  for (size_t i = 0; i < n; ++i) out.push_back(v[i * v.size() / n]);
  return out;
}

// Up to n problems of the train split at `level`, or spread over every level for level < 0.
std::vector<const Problem*> pickProblems(const std::vector<Problem>& problems, int level, size_t n) {
  std::map<int, std::vector<const Problem*>> byLevel;
  for (const Problem& p : problems)
    if (level < 0 || p.level == level) byLevel[p.level].push_back(&p);
  if (byLevel.empty()) return {};
  // Share n among the levels; a level with fewer problems leaves its share to the others.
  std::map<int, size_t> quota;
  size_t left = n;
  for (bool gave = true; left > 0 && gave;) {
    gave = false;
    for (auto& [lvl, items] : byLevel) {
      if (left == 0) break;
      if (quota[lvl] < items.size()) {
        ++quota[lvl];
        --left;
        gave = true;
      }
    }
  }
  std::vector<const Problem*> out;
  for (auto& [lvl, items] : byLevel)
    for (const Problem* p : spread(items, quota[lvl])) out.push_back(p);
  return out;
}

// Orders the stacks of a state by where their bottom block stands in the initial state, so the
// stacks keep their places while the slider steps through a plan.
void orderLike(BlockStacks& state, const QHash<QString, int>& rank) {
  std::stable_sort(state.stacks.begin(), state.stacks.end(), [&](const QStringList& a, const QStringList& b) {
    const int ra = a.isEmpty() ? INT_MAX : rank.value(a.first(), INT_MAX);
    const int rb = b.isEmpty() ? INT_MAX : rank.value(b.first(), INT_MAX);
    return ra < rb;
  });
}

}  // namespace

BlockStacks parseBlocksState(const QString& text) {
  QString body = text;
  // Only the state: a goal that follows it ("My goal is to have that ...") is not part of it.
  static const QRegularExpression goal(QStringLiteral("\\b(my goal|goal is|goal:)"),
                                       QRegularExpression::CaseInsensitiveOption);
  if (const auto m = goal.match(body); m.hasMatch()) body.truncate(m.capturedStart());

  static const QRegularExpression separators(QStringLiteral("[,;.\\n]|\\band\\b"),
                                             QRegularExpression::CaseInsensitiveOption);
  static const QRegularExpression onTop(QStringLiteral("^(.+?)\\s+is\\s+(?:on\\s+top\\s+of|on)\\s+(.+)$"));
  static const QRegularExpression onTable(QStringLiteral("^(.+?)\\s+is\\s+on\\s+the\\s+table$"));
  static const QRegularExpression holding(QStringLiteral("holding\\s+(.+)$"));
  static const QRegularExpression clear(QStringLiteral("^(.+?)\\s+is\\s+clear$"));

  QStringList order;  // every block, in the order first named
  auto note = [&](const QString& name) {
    if (!name.isEmpty() && !order.contains(name)) order << name;
  };
  QHash<QString, QString> below;  // block -> the block under it, "" for the table
  QString held;
  for (const QString& raw : body.split(separators, Qt::SkipEmptyParts)) {
    const QString clause = raw.simplified().toLower();
    if (clause.isEmpty()) continue;
    if (const auto m = onTable.match(clause); m.hasMatch()) {
      const QString x = blockName(m.captured(1));
      note(x);
      below[x] = QString();
    } else if (const auto m2 = onTop.match(clause); m2.hasMatch()) {
      const QString x = blockName(m2.captured(1)), y = blockName(m2.captured(2));
      if (x.isEmpty() || y.isEmpty() || x == y) continue;
      note(x);
      note(y);
      below[x] = y;
    } else if (const auto m3 = holding.match(clause); m3.hasMatch()) {
      held = blockName(m3.captured(1));
      note(held);
    } else if (const auto m4 = clear.match(clause); m4.hasMatch()) {
      note(blockName(m4.captured(1)));
    }
  }

  BlockStacks state;
  state.held = held;
  QHash<QString, QString> above;  // block -> the block on it (the first one named, if several)
  for (const QString& x : order)
    if (below.contains(x) && !below[x].isEmpty() && !above.contains(below[x])) above[below[x]] = x;
  QSet<QString> placed;
  if (!held.isEmpty()) placed.insert(held);
  auto buildFrom = [&](const QString& bottom) {
    QStringList stack;
    for (QString b = bottom; !b.isEmpty() && !placed.contains(b); b = above.value(b)) {
      placed.insert(b);
      stack << b;
    }
    if (!stack.isEmpty()) state.stacks << stack;
  };
  // Stacks on the table, by where their bottom block is first named.
  for (const QString& x : order)
    if (below.contains(x) && below[x].isEmpty()) buildFrom(x);
  // Whatever is left stands on nothing known: start from its lowest block not yet drawn.
  for (const QString& x : order) {
    if (placed.contains(x)) continue;
    QString bottom = x;
    QSet<QString> seen{x};
    for (QString y = below.value(x); !y.isEmpty() && !placed.contains(y) && !seen.contains(y); y = below.value(y)) {
      seen.insert(y);
      bottom = y;
    }
    buildFrom(bottom);
    if (!placed.contains(x)) state.stacks << QStringList{x};  // above a second block on the same one
    placed.insert(x);
  }
  return state;
}

TaskBrowserController::TaskBrowserController(TaskBrowser* browser, QObject* parent)
    : QObject(parent), browser_(browser) {
  connect(browser_, &TaskBrowser::samplesRequested, this,
          [this](const QString& task, int level) { loadSamples(task, level); });
  refreshTasks();
}

TaskBrowserController::~TaskBrowserController() = default;

void TaskBrowserController::refreshTasks() {
  QVector<TaskEntry> entries;
  for (const TaskInfo* t : TaskRegistry::instance().all()) {
    TaskEntry e;
    e.name = qs(t->name);
    e.title = qs(t->title);
    e.description = qs(t->description);
    for (const auto& level : t->levels) e.levels << qs(level);
    e.source = qs(t->source);
    e.stepLevel = t->stepLevel;
    e.hasSolver = t->hasSolver;
    entries << e;
  }
  browser_->setTasks(entries);
}

Task& TaskBrowserController::taskNamed(const std::string& name) {
  auto it = tasks_.find(name);
  if (it != tasks_.end()) return *it->second;
  const TaskInfo& info = TaskRegistry::instance().at(name, "task");
  auto task = info.create(RunConfig::defaults(name, "grpo"));
  TB_CHECK(task != nullptr, "task '", name, "' created nothing");
  return *tasks_.emplace(name, std::move(task)).first->second;
}

void TaskBrowserController::loadSamples(const QString& taskName, int level) {
  try {
    WaitCursor wait;
    const std::string name = taskName.toStdString();
    const TaskInfo& info = TaskRegistry::instance().at(name, "task");
    Task& task = taskNamed(name);
    const auto& train = task.problems(Split::Train);
    QVector<int> perLevel(static_cast<int>(info.levels.size()), 0);
    for (const Problem& p : train)
      if (p.level >= 0 && p.level < perLevel.size()) ++perLevel[p.level];
    browser_->setProblemCounts(static_cast<int>(train.size()), static_cast<int>(task.problems(Split::Test).size()),
                               perLevel);
    const bool drawBlocks = taskName.startsWith(QStringLiteral("blocksworld"));

    QVector<TaskSample> samples;
    for (const Problem* p : pickProblems(train, level, kMaxSamples)) {
      TaskSample s;
      s.id = qs(p->id);
      s.level = p->level;
      s.difficulty = p->difficulty;
      s.prompt = qs(p->prompt);
      std::mt19937_64 rng(kDemonstrationSeed);
      std::optional<std::string> demo;
      try {
        demo = task.demonstration(*p, rng);
        if (demo) {
          const Verdict v = task.verify(*p, *demo);
          s.hasDemonstration = true;
          s.demonstration = qs(*demo);
          s.verdictCorrect = v.correct;
          s.reward = v.reward;
          s.verdictReason = qs(v.reason);
        } else {
          s.verdictReason = info.hasSolver ? tr("the solver found no demonstration") : QString();
        }
      } catch (const std::exception& e) {
        s.hasDemonstration = demo.has_value();
        s.demonstration = demo ? qs(*demo) : QString();
        s.verdictReason = tr("error: %1").arg(qs(e.what()));
      }
      if (info.stepLevel) {
        const std::vector<std::string> steps = demo ? splitSteps(*demo) : std::vector<std::string>{};
        for (const auto& step : steps) s.steps << qs(step);
        try {
          for (size_t k = 0; k <= steps.size(); ++k)
            s.stepStates << qs(task.describeState(*p, std::vector<std::string>(steps.begin(), steps.begin() + k)));
        } catch (const std::exception& e) {
          s.stepStates << tr("cannot describe this state: %1").arg(qs(e.what()));
        }
        s.state = s.stepStates.value(0);
        if (drawBlocks) {
          QHash<QString, int> rank;
          for (const QString& st : s.stepStates) {
            BlockStacks stacks = parseBlocksState(st);
            if (rank.isEmpty())
              for (const auto& stack : stacks.stacks)
                for (const auto& block : stack) rank.insert(block, static_cast<int>(rank.size()));
            orderLike(stacks, rank);
            s.stackStates << stacks;
          }
        }
      }
      samples << s;
    }
    browser_->setSamples(samples);
  } catch (const std::exception& e) {
    browser_->showMessage(tr("Cannot show the problems of '%1': %2").arg(taskName, qs(e.what())));
  }
}

}  // namespace tb
