#pragma once
// The run store: one SQLite file (WAL) per workspace, the single source of truth for runs. A live
// run and a finished one look the same to every reader. Schema versioned with PRAGMA user_version
// and identified by PRAGMA application_id, so a foreign database is refused rather than altered.
// One RunStore = one connection: use one per thread (the engine writes, views read).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/search/ReasoningTree.h"

struct sqlite3;

namespace tb {

namespace detail {
class SqlStatement;  // RAII sqlite3_stmt, defined in RunStore.cpp
}

enum class RunStatus { Created, Running, Paused, Finished, Failed, Cancelled, Interrupted };
const char* runStatusName(RunStatus status);          // "running", ...
std::optional<RunStatus> runStatusFromName(const std::string& name);
bool isTerminal(RunStatus status);                     // finished, failed, cancelled

struct RunRecord {
  std::int64_t id = 0;
  std::string name;
  std::string experiment;      // free-text grouping, "" = none
  std::string task;
  std::string algorithm;
  nlohmann::json config;       // flat RunConfig JSON
  RunStatus status = RunStatus::Created;
  std::string message;         // failure message or note
  int iterationsTotal = 0;
  int iterationsDone = 0;
  double createdAt = 0;        // unix seconds
  double startedAt = 0;
  double finishedAt = 0;
  std::int64_t pid = 0;        // process that runs it while status is running
  std::string host;
};

struct MetricPoint {
  int iteration = 0;
  double value = 0;
  double wallTime = 0;         // seconds since the run started
};

struct SampleRecord {
  std::int64_t id = 0;         // assigned by the store
  std::int64_t runId = 0;
  int iteration = 0;
  int group = 0;               // index of the prompt group within the iteration
  std::string split;           // "train" or "test"
  std::string problemId;
  std::string prompt;
  std::string completion;
  double reward = 0;
  bool correct = false;
  std::string reason;          // the verifier's verdict, one line
  int tokens = 0;              // completion length in tokens
};

// A stored reasoning tree without its nodes (RunStore::tree loads them).
struct TreeRecord {
  std::int64_t id = 0;
  std::int64_t runId = 0;
  int iteration = 0;
  std::string problemId;
  std::string kind;            // mcts | beam | ... | samples
  std::string label;
  int nodes = 0;
};

struct CheckpointRecord {
  int iteration = 0;
  std::string path;            // absolute path of the checkpoint file
  double createdAt = 0;
};

struct LogRecord {
  std::int64_t id = 0;
  double time = 0;             // unix seconds
  std::string level;           // "info", "warn", "error", ...
  std::string message;
};

class RunStore {
 public:
  // Opens (creating if absent, with parent folders) a workspace database. Throws InputError naming
  // the path when the file is not SQLite, belongs to another application, or has a newer schema.
  static std::unique_ptr<RunStore> open(const std::string& path);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  const std::string& path() const { return path_; }
  // Folder for a run's files (checkpoints, log): "<db path>.runs/<id>", created on demand.
  std::string runDirectory(std::int64_t runId) const;

  std::int64_t createRun(const RunRecord& run);            // ignores run.id; status as given
  void setStatus(std::int64_t runId, RunStatus status, const std::string& message = "");
  void markStarted(std::int64_t runId, std::int64_t pid, const std::string& host);
  void setName(std::int64_t runId, const std::string& name);
  void deleteRun(std::int64_t runId);                        // with its series, samples, logs

  // One transaction: the iteration's metrics, samples and trees, and iterationsDone = iteration + 1.
  void recordIteration(std::int64_t runId, int iteration,
                       const std::vector<std::pair<std::string, double>>& metrics,
                       const std::vector<SampleRecord>& samples, double wallTime,
                       const std::vector<ReasoningTree>& trees = {});
  // Adds metrics without touching iterationsDone (evaluation results, late measurements).
  void recordMetrics(std::int64_t runId, int iteration,
                     const std::vector<std::pair<std::string, double>>& metrics, double wallTime);
  void addCheckpoint(std::int64_t runId, int iteration, const std::string& path);
  void appendLog(std::int64_t runId, const std::string& level, const std::string& message);
  // Drops metrics, samples and checkpoints of iterations > `iteration` (resume from a checkpoint)
  // and sets iterationsDone = iteration + 1.
  void truncateAfter(std::int64_t runId, int iteration);
  // Marks runs of this host whose process is gone as interrupted; returns how many.
  int markInterruptedRuns();

  std::vector<RunRecord> runs() const;                       // newest first
  std::optional<RunRecord> run(std::int64_t runId) const;
  std::vector<std::string> metricNames(std::int64_t runId) const;
  std::vector<MetricPoint> metric(std::int64_t runId, const std::string& name,
                                  int afterIteration = -1) const;
  std::map<std::string, std::vector<MetricPoint>> metrics(std::int64_t runId) const;
  // Samples, newest iteration first; iteration < 0 means all iterations.
  std::vector<SampleRecord> samples(std::int64_t runId, int iteration = -1, int limit = 1000) const;
  // One sample by its id (as `thoughtbench-cli samples` lists them), of any run.
  std::optional<SampleRecord> sample(std::int64_t sampleId) const;
  // Stored trees in iteration order (iteration < 0: all iterations), without their nodes.
  std::vector<TreeRecord> trees(std::int64_t runId, int iteration = -1) const;
  // One stored tree; InputError when the id is unknown or its data is damaged.
  ReasoningTree tree(std::int64_t treeId) const;
  std::optional<CheckpointRecord> latestCheckpoint(std::int64_t runId) const;
  std::vector<CheckpointRecord> checkpoints(std::int64_t runId) const;
  std::vector<LogRecord> logs(std::int64_t runId, std::int64_t afterId = 0, int limit = 10000) const;

  // PRAGMA user_version of the open file (kSchemaVersion once open() has migrated it).
  int schemaVersion() const;
  // This machine's host name (gethostname), as markStarted and markInterruptedRuns expect it.
  static std::string currentHost();

  static constexpr int kSchemaVersion = 2;
  static constexpr int kApplicationId = 0x54427763;  // "TBwc"

 private:
  explicit RunStore(std::string path);
  // The cached prepared statement for `sql`, prepared on first use and reused (the hot path
  // records dozens of rows per iteration).
  detail::SqlStatement& statement(const char* sql) const;
  std::string runDirectoryPath(std::int64_t runId) const;
  void migrate();

  std::string path_;
  sqlite3* db_ = nullptr;
  mutable std::map<std::string, std::unique_ptr<detail::SqlStatement>, std::less<>> statements_;
};

}  // namespace tb
