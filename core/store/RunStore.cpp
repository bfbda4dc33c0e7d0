// The SQLite run store: the schema and its migrations, the open-time checks that refuse files that
// are not ours, a small RAII wrapper around sqlite3_stmt with a per-store cache of prepared
// statements, and the reads and writes of runs, metric series, samples, checkpoints and logs.
//
// Concurrency: a RunStore owns one connection and is used by one thread at a time. Several
// RunStore objects on the same file, in different threads or processes, are fine: the file is in
// WAL mode, so readers never block the writer or each other, and writers queue behind each other
// for up to the busy timeout (10 s). Every multi-statement write is one BEGIN IMMEDIATE
// transaction, which takes the write lock up front and so never fails half-way with SQLITE_BUSY.
// Statements are reset as soon as a call is done with them, so no connection pins an old read
// snapshot: a write by one RunStore is visible to the next read of any other.
#include "core/store/RunStore.h"

#include "core/search/TreeJson.h"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string_view>

#include "core/Error.h"

namespace fs = std::filesystem;

namespace tb {

namespace {

// Schema migrations: kMigrations[v] takes a workspace from user_version v to v + 1, each in its own
// transaction. A new schema version appends a script here; released scripts are never edited.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids name run folders, never reuse one
  name TEXT NOT NULL DEFAULT '',
  experiment TEXT NOT NULL DEFAULT '',
  task TEXT NOT NULL DEFAULT '',
  algorithm TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL DEFAULT 'created',
  message TEXT NOT NULL DEFAULT '',
  iterations_total INTEGER NOT NULL DEFAULT 0,
  iterations_done INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL DEFAULT 0,
  started_at REAL NOT NULL DEFAULT 0,
  finished_at REAL NOT NULL DEFAULT 0,
  pid INTEGER NOT NULL DEFAULT 0,
  host TEXT NOT NULL DEFAULT ''
);
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  iteration INTEGER NOT NULL,
  value REAL,  -- NULL stands for NaN (SQLite stores NaN as NULL)
  wall_time REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, name, iteration)
) WITHOUT ROWID;
CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  iteration INTEGER NOT NULL,
  grp INTEGER NOT NULL DEFAULT 0,
  split TEXT NOT NULL DEFAULT '',
  problem_id TEXT NOT NULL DEFAULT '',
  prompt TEXT NOT NULL DEFAULT '',
  completion TEXT NOT NULL DEFAULT '',
  reward REAL,
  correct INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  tokens INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX samples_run_iteration ON samples(run_id, iteration);
CREATE TABLE checkpoints (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  iteration INTEGER NOT NULL,
  path TEXT NOT NULL,
  created_at REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, iteration)
) WITHOUT ROWID;
CREATE TABLE logs (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  time REAL NOT NULL DEFAULT 0,
  level TEXT NOT NULL DEFAULT 'info',
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX logs_run_id ON logs(run_id, id);
)sql",
    // 1 -> 2: reasoning trees stored with a run (a sample per iteration), as treeToJson documents.
    R"sql(
CREATE TABLE trees (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  iteration INTEGER NOT NULL,
  problem_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  label TEXT NOT NULL DEFAULT '',
  nodes INTEGER NOT NULL DEFAULT 0,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX trees_run_iteration ON trees(run_id, iteration);
)sql",
};
static_assert(std::size(kMigrations) == RunStore::kSchemaVersion,
              "every schema version needs its migration script");

constexpr RunStatus kAllStatuses[] = {
    RunStatus::Created, RunStatus::Running,   RunStatus::Paused,     RunStatus::Finished,
    RunStatus::Failed,  RunStatus::Cancelled, RunStatus::Interrupted};

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The statement's first line or so, whitespace collapsed, for error messages.
std::string sqlExcerpt(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
    if (out.size() >= 80) {
      out += "...";
      break;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

[[noreturn]] void failSql(sqlite3* db, const std::string& path, std::string_view sql) {
  // SQLite only notices a non-database file on its first read, whichever statement that is.
  if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_NOTADB)
    failInput("'", path, "' is not a Thoughtbench workspace (not an SQLite database)");
  failInput("SQLite error in '", path, "': ", sqlite3_errmsg(db), " (in '", sqlExcerpt(sql), "')");
}

void exec(sqlite3* db, const std::string& path, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    sqlite3_free(error);  // the same text stays available through sqlite3_errmsg
    failSql(db, path, sql);
  }
}

}  // namespace

namespace detail {

// A prepared statement. Every failure raises InputError with SQLite's message and the database
// path. Text is bound as a copy (SQLITE_TRANSIENT), so temporaries are safe to bind.
class SqlStatement {
 public:
  SqlStatement(sqlite3* db, std::string_view sql, const std::string& dbPath,
               bool persistent = false)
      : db_(db), dbPath_(dbPath), sql_(sql) {
    const unsigned flags = persistent ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(db, sql.data(), int(sql.size()), flags, &stmt_, nullptr) != SQLITE_OK)
      fail();
  }
  ~SqlStatement() { sqlite3_finalize(stmt_); }
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;

  void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index, value)); }
  void bind(int index, int value) { check(sqlite3_bind_int(stmt_, index, value)); }
  void bind(int index, bool value) { bind(index, int(value)); }
  // NaN is stored as NULL by SQLite; columnDouble reads NULL back as NaN.
  void bind(int index, double value) { check(sqlite3_bind_double(stmt_, index, value)); }
  void bind(int index, std::string_view value) {
    // A null data() would bind SQL NULL rather than ''.
    check(sqlite3_bind_text64(stmt_, index, value.data() ? value.data() : "", value.size(),
                              SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }

  // Binds the values to ?1, ?2, ... in order.
  template <typename... Values>
  SqlStatement& bindAll(const Values&... values) {
    int index = 0;
    (bind(++index, values), ...);
    return *this;
  }

  // True when a row is available, false when the statement is done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail();
  }
  // Runs a statement that returns no rows and makes it ready to be bound and run again.
  void execute() {
    while (step()) {
    }
    sqlite3_reset(stmt_);
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  int columnInt(int column) const { return sqlite3_column_int(stmt_, column); }
  std::int64_t columnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }
  double columnDouble(int column) const {
    return isNull(column) ? std::numeric_limits<double>::quiet_NaN()
                          : sqlite3_column_double(stmt_, column);
  }
  // Byte-exact (embedded NULs and invalid UTF-8 survive).
  std::string columnText(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!text) return {};
    return std::string(text, std::size_t(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  [[noreturn]] void fail() const { failSql(db_, dbPath_, sql_); }
  void check(int rc) const {
    if (rc != SQLITE_OK) fail();
  }

  sqlite3* db_;
  const std::string& dbPath_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace detail

using detail::SqlStatement;

namespace {

// Borrows a cached statement and resets it (clearing its bindings) on scope exit, also on an
// exception: an unfinished SELECT would otherwise keep a read snapshot open, hiding later writes
// from this connection and holding back WAL checkpoints.
class Query {
 public:
  explicit Query(SqlStatement& statement) : statement_(statement) {}
  ~Query() { statement_.reset(); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  SqlStatement* operator->() const { return &statement_; }
  SqlStatement& operator*() const { return statement_; }

 private:
  SqlStatement& statement_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when left without commit().
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path) : db_(db), path_(path) {
    exec(db_, path_, "BEGIN IMMEDIATE");
  }
  ~Transaction() {
    // SQLite may already have rolled back on its own (SQLITE_FULL, ...).
    if (!committed_ && !sqlite3_get_autocommit(db_))
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    exec(db_, path_, "COMMIT");
    committed_ = true;
  }

 private:
  sqlite3* db_;
  const std::string& path_;
  bool committed_ = false;
};

// What open() needs to know about an existing file before it decides to touch it.
struct FileIdentity {
  int applicationId = 0;
  int userVersion = 0;
  std::vector<std::string> tables;
};

// Reads the identity through a read-only connection, so a refused file is never opened for
// writing (and its main file is never modified).
FileIdentity inspectFile(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  if (rc != SQLITE_OK)
    failInput("cannot open '", path, "': ", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_extended_result_codes(raw, 1);
  FileIdentity identity;
  {
    SqlStatement query(raw, "PRAGMA application_id", path);
    if (query.step()) identity.applicationId = query.columnInt(0);
  }
  {
    SqlStatement query(raw, "PRAGMA user_version", path);
    if (query.step()) identity.userVersion = query.columnInt(0);
  }
  {
    SqlStatement query(raw, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                       path);
    while (query.step()) identity.tables.push_back(query.columnText(0));
  }
  return identity;
}

std::string describeTables(const std::vector<std::string>& tables) {
  if (tables.empty()) return "none";
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < tables.size() && i < kShown; ++i) out += (i ? ", " : "") + tables[i];
  if (tables.size() > kShown) out += ", ... (" + std::to_string(tables.size()) + " in all)";
  return out;
}

bool processAlive(std::int64_t pid) {
  // pid <= 0 would address process groups (or every process): no process was recorded.
  if (pid <= 0 || pid > INT_MAX) return false;
  return kill(pid_t(pid), 0) == 0 || errno != ESRCH;  // EPERM: alive, owned by someone else
}

constexpr char kRunColumns[] =
    "id, name, experiment, task, algorithm, config, status, message, iterations_total, "
    "iterations_done, created_at, started_at, finished_at, pid, host";

RunRecord readRun(const SqlStatement& row) {
  RunRecord run;
  run.id = row.columnInt64(0);
  run.name = row.columnText(1);
  run.experiment = row.columnText(2);
  run.task = row.columnText(3);
  run.algorithm = row.columnText(4);
  // A config that does not parse (edited by hand) reads as null rather than hiding the run.
  run.config = nlohmann::json::parse(row.columnText(5), nullptr, false);
  if (run.config.is_discarded()) run.config = nullptr;
  const std::string status = row.columnText(6);
  run.message = row.columnText(7);
  if (auto parsed = runStatusFromName(status)) {
    run.status = *parsed;
  } else {
    run.status = RunStatus::Failed;
    if (run.message.empty()) run.message = "unknown status '" + status + "'";
  }
  run.iterationsTotal = row.columnInt(8);
  run.iterationsDone = row.columnInt(9);
  run.createdAt = row.columnDouble(10);
  run.startedAt = row.columnDouble(11);
  run.finishedAt = row.columnDouble(12);
  run.pid = row.columnInt64(13);
  run.host = row.columnText(14);
  return run;
}

constexpr char kSampleColumns[] =
    "id, run_id, iteration, grp, split, problem_id, prompt, completion, reward, correct, reason, "
    "tokens";

SampleRecord readSample(const SqlStatement& row) {
  SampleRecord sample;
  sample.id = row.columnInt64(0);
  sample.runId = row.columnInt64(1);
  sample.iteration = row.columnInt(2);
  sample.group = row.columnInt(3);
  sample.split = row.columnText(4);
  sample.problemId = row.columnText(5);
  sample.prompt = row.columnText(6);
  sample.completion = row.columnText(7);
  sample.reward = row.columnDouble(8);
  sample.correct = row.columnInt(9) != 0;
  sample.reason = row.columnText(10);
  sample.tokens = row.columnInt(11);
  return sample;
}

void insertMetrics(SqlStatement& insert, std::int64_t runId, int iteration,
                   const std::vector<std::pair<std::string, double>>& metrics, double wallTime) {
  for (const auto& [name, value] : metrics) {
    insert.bindAll(runId, name, iteration, value, wallTime);
    insert.execute();
  }
}

// Raises when the preceding UPDATE matched no run.
void requireRunChanged(sqlite3* db, const std::string& path, std::int64_t runId) {
  if (sqlite3_changes(db) == 0) failInput("no run ", runId, " in '", path, "'");
}

}  // namespace

const char* runStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::Created: return "created";
    case RunStatus::Running: return "running";
    case RunStatus::Paused: return "paused";
    case RunStatus::Finished: return "finished";
    case RunStatus::Failed: return "failed";
    case RunStatus::Cancelled: return "cancelled";
    case RunStatus::Interrupted: return "interrupted";
  }
  return "unknown";
}

std::optional<RunStatus> runStatusFromName(const std::string& name) {
  for (RunStatus status : kAllStatuses)
    if (name == runStatusName(status)) return status;
  return std::nullopt;
}

bool isTerminal(RunStatus status) {
  return status == RunStatus::Finished || status == RunStatus::Failed ||
         status == RunStatus::Cancelled;
}

RunStore::RunStore(std::string path) : path_(std::move(path)) {}

RunStore::~RunStore() {
  statements_.clear();  // sqlite3_close refuses while statements are unfinalized
  sqlite3_close(db_);
}

std::unique_ptr<RunStore> RunStore::open(const std::string& path) {
  if (path.empty()) failInput("no workspace path given");
  std::error_code error;
  // Absolute, so run folders and messages do not depend on the working directory later on.
  fs::path file = fs::absolute(fs::path(path), error);
  if (error) failInput("cannot resolve the workspace path '", path, "': ", error.message());
  file = file.lexically_normal();
  const std::string filePath = file.string();

  if (fs::exists(file, error)) {
    if (fs::is_directory(file, error))
      failInput("'", filePath, "' is a folder, not a Thoughtbench workspace");
    // All checks happen before the first write (pragmas included): a refused file stays as is.
    const FileIdentity identity = inspectFile(filePath);
    const bool blank =
        identity.applicationId == 0 && identity.userVersion == 0 && identity.tables.empty();
    if (identity.applicationId != kApplicationId && !blank) {
      const std::string version =
          identity.userVersion ? ", user_version " + std::to_string(identity.userVersion) : "";
      failInput("'", filePath, "' is an SQLite database of another application (application_id ",
                identity.applicationId, version, ", tables: ", describeTables(identity.tables),
                "); refusing to modify it");
    }
    if (identity.userVersion > kSchemaVersion) {
      failInput("'", filePath, "' has workspace schema version ", identity.userVersion,
                ", newer than version ", kSchemaVersion,
                " that this Thoughtbench supports; open it with a newer Thoughtbench");
    }
  } else if (file.has_parent_path()) {
    fs::create_directories(file.parent_path(), error);
    if (error)
      failInput("cannot create the folder '", file.parent_path().string(), "' for workspace '",
                filePath, "': ", error.message());
  }

  std::unique_ptr<RunStore> store(new RunStore(filePath));
  const int rc = sqlite3_open_v2(filePath.c_str(), &store->db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK)
    failInput("cannot open '", filePath, "': ",
              store->db_ ? sqlite3_errmsg(store->db_) : sqlite3_errstr(rc));
  sqlite3_extended_result_codes(store->db_, 1);
  // Before journal_mode: switching to WAL needs a lock that another opener may hold briefly.
  sqlite3_busy_timeout(store->db_, 10000);
  exec(store->db_, filePath, "PRAGMA journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only a power loss may lose the last
  // commits, and it skips an fsync per iteration.
  exec(store->db_, filePath, "PRAGMA synchronous = NORMAL");
  exec(store->db_, filePath, "PRAGMA foreign_keys = ON");
  store->migrate();
  return store;
}

void RunStore::migrate() {
  // Read first without the write lock: the usual case is an up-to-date file.
  while (schemaVersion() < kSchemaVersion) {
    Transaction transaction(db_, path_);
    // Re-read under the lock: another process may have migrated meanwhile.
    const int version = schemaVersion();
    if (version < kSchemaVersion) {
      if (version == 0)
        exec(db_, path_, ("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str());
      exec(db_, path_, kMigrations[version]);
      exec(db_, path_, ("PRAGMA user_version = " + std::to_string(version + 1)).c_str());
    }
    transaction.commit();
  }
}

int RunStore::schemaVersion() const {
  SqlStatement query(db_, "PRAGMA user_version", path_);
  return query.step() ? query.columnInt(0) : 0;
}

std::string RunStore::currentHost() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

SqlStatement& RunStore::statement(const char* sql) const {
  auto it = statements_.find(sql);
  if (it == statements_.end())
    it = statements_.emplace(sql, std::make_unique<SqlStatement>(db_, sql, path_, true)).first;
  return *it->second;
}

std::string RunStore::runDirectoryPath(std::int64_t runId) const {
  return path_ + ".runs/" + std::to_string(runId);
}

std::string RunStore::runDirectory(std::int64_t runId) const {
  const std::string dir = runDirectoryPath(runId);
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) failInput("cannot create the run folder '", dir, "': ", error.message());
  return dir;
}

std::int64_t RunStore::createRun(const RunRecord& run) {
  Query insert(statement(
      "INSERT INTO runs (name, experiment, task, algorithm, config, status, message, "
      "iterations_total, iterations_done, created_at, started_at, finished_at, pid, host) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
  // replace: invalid UTF-8 in a config string must not make the run unsaveable.
  const std::string config =
      run.config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  insert->bindAll(run.name, run.experiment, run.task, run.algorithm, config,
                  runStatusName(run.status), run.message, run.iterationsTotal, run.iterationsDone,
                  run.createdAt > 0 ? run.createdAt : nowSeconds(), run.startedAt, run.finishedAt,
                  run.pid, run.host);
  insert->execute();
  return sqlite3_last_insert_rowid(db_);
}

void RunStore::setStatus(std::int64_t runId, RunStatus status, const std::string& message) {
  // A run that leaves a terminal status (resumed) has no finish time any more.
  Query update(statement(
      "UPDATE runs SET status = ?2, message = ?3, finished_at = ?4 WHERE id = ?1"));
  update->bindAll(runId, runStatusName(status), message, isTerminal(status) ? nowSeconds() : 0.0);
  update->execute();
  requireRunChanged(db_, path_, runId);
}

void RunStore::markStarted(std::int64_t runId, std::int64_t pid, const std::string& host) {
  // started_at keeps the first start across resumes.
  Query update(statement(
      "UPDATE runs SET status = 'running', pid = ?2, host = ?3, finished_at = 0, "
      "started_at = CASE WHEN started_at > 0 THEN started_at ELSE ?4 END WHERE id = ?1"));
  update->bindAll(runId, pid, host, nowSeconds());
  update->execute();
  requireRunChanged(db_, path_, runId);
}

void RunStore::setName(std::int64_t runId, const std::string& name) {
  Query update(statement("UPDATE runs SET name = ?2 WHERE id = ?1"));
  update->bindAll(runId, name);
  update->execute();
  requireRunChanged(db_, path_, runId);
}

void RunStore::deleteRun(std::int64_t runId) {
  {
    // Metrics, samples, checkpoints and logs go by ON DELETE CASCADE, in the same statement.
    Query remove(statement("DELETE FROM runs WHERE id = ?1"));
    remove->bindAll(runId);
    remove->execute();
  }
  const std::string dir = runDirectoryPath(runId);
  std::error_code error;
  fs::remove_all(dir, error);
  if (error)
    failInput("run ", runId, " was deleted from '", path_, "' but its folder '", dir,
              "' could not be removed: ", error.message());
}

void RunStore::recordIteration(std::int64_t runId, int iteration,
                               const std::vector<std::pair<std::string, double>>& metrics,
                               const std::vector<SampleRecord>& samples, double wallTime,
                               const std::vector<ReasoningTree>& trees) {
  Transaction transaction(db_, path_);
  {
    Query insert(statement(
        "INSERT OR REPLACE INTO metrics (run_id, name, iteration, value, wall_time) "
        "VALUES (?1, ?2, ?3, ?4, ?5)"));
    insertMetrics(*insert, runId, iteration, metrics, wallTime);
  }
  {
    // A re-recorded iteration replaces its samples, as INSERT OR REPLACE does for its metrics.
    Query clear(statement("DELETE FROM samples WHERE run_id = ?1 AND iteration = ?2"));
    clear->bindAll(runId, iteration);
    clear->execute();
  }
  {
    // The run and iteration come from the arguments; sample.runId/iteration are not consulted.
    Query insert(statement(
        "INSERT INTO samples (run_id, iteration, grp, split, problem_id, prompt, completion, "
        "reward, correct, reason, tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    for (const SampleRecord& sample : samples) {
      insert->bindAll(runId, iteration, sample.group, sample.split, sample.problemId, sample.prompt,
                      sample.completion, sample.reward, sample.correct, sample.reason,
                      sample.tokens);
      insert->execute();
    }
  }
  {
    Query clear(statement("DELETE FROM trees WHERE run_id = ?1 AND iteration = ?2"));
    clear->bindAll(runId, iteration);
    clear->execute();
  }
  {
    Query insert(statement(
        "INSERT INTO trees (run_id, iteration, problem_id, kind, label, nodes, data) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    for (const ReasoningTree& tree : trees) {
      insert->bindAll(runId, iteration, tree.problemId, tree.kind, tree.label, tree.size(),
                      treeToJson(tree).dump());
      insert->execute();
    }
  }
  {
    Query update(statement("UPDATE runs SET iterations_done = ?2 WHERE id = ?1"));
    update->bindAll(runId, iteration + 1);
    update->execute();
    requireRunChanged(db_, path_, runId);
  }
  transaction.commit();
}

std::vector<TreeRecord> RunStore::trees(std::int64_t runId, int iteration) const {
  Query select(statement(
      "SELECT id, iteration, problem_id, kind, label, nodes FROM trees WHERE run_id = ?1 "
      "AND (?2 < 0 OR iteration = ?2) ORDER BY iteration, id"));
  select->bindAll(runId, iteration);
  std::vector<TreeRecord> out;
  while (select->step())
    out.push_back({select->columnInt64(0), runId, select->columnInt(1), select->columnText(2),
                   select->columnText(3), select->columnText(4), select->columnInt(5)});
  return out;
}

ReasoningTree RunStore::tree(std::int64_t treeId) const {
  Query select(statement("SELECT data FROM trees WHERE id = ?1"));
  select->bindAll(treeId);
  if (!select->step()) failInput("tree ", treeId, " is not in '", path_, "'");
  const std::string source = "tree " + std::to_string(treeId) + " of '" + path_ + "'";
  nlohmann::json json = nlohmann::json::parse(select->columnText(0), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) failInput(source, ": stored data is not JSON");
  return treeFromJson(json, source);
}

void RunStore::recordMetrics(std::int64_t runId, int iteration,
                             const std::vector<std::pair<std::string, double>>& metrics,
                             double wallTime) {
  Transaction transaction(db_, path_);
  {
    Query insert(statement(
        "INSERT OR REPLACE INTO metrics (run_id, name, iteration, value, wall_time) "
        "VALUES (?1, ?2, ?3, ?4, ?5)"));
    insertMetrics(*insert, runId, iteration, metrics, wallTime);
  }
  transaction.commit();
}

void RunStore::addCheckpoint(std::int64_t runId, int iteration, const std::string& path) {
  Query insert(statement(
      "INSERT OR REPLACE INTO checkpoints (run_id, iteration, path, created_at) "
      "VALUES (?1, ?2, ?3, ?4)"));
  insert->bindAll(runId, iteration, path, nowSeconds());
  insert->execute();
}

void RunStore::appendLog(std::int64_t runId, const std::string& level, const std::string& message) {
  Query insert(
      statement("INSERT INTO logs (run_id, time, level, message) VALUES (?1, ?2, ?3, ?4)"));
  insert->bindAll(runId, nowSeconds(), level, message);
  insert->execute();
}

void RunStore::truncateAfter(std::int64_t runId, int iteration) {
  // Checkpoint files stay on disk: the caller owns them (and may be resuming from one).
  Transaction transaction(db_, path_);
  for (const char* sql : {"DELETE FROM metrics WHERE run_id = ?1 AND iteration > ?2",
                          "DELETE FROM samples WHERE run_id = ?1 AND iteration > ?2",
                          "DELETE FROM trees WHERE run_id = ?1 AND iteration > ?2",
                          "DELETE FROM checkpoints WHERE run_id = ?1 AND iteration > ?2"}) {
    Query remove(statement(sql));
    remove->bindAll(runId, iteration);
    remove->execute();
  }
  {
    Query update(statement("UPDATE runs SET iterations_done = ?2 WHERE id = ?1"));
    update->bindAll(runId, iteration + 1);
    update->execute();
    requireRunChanged(db_, path_, runId);
  }
  transaction.commit();
}

int RunStore::markInterruptedRuns() {
  struct Orphan {
    std::int64_t id;
    std::string message;
  };
  const std::string host = currentHost();
  // Read and update under the write lock, so a run resumed meanwhile (new pid) is not caught.
  Transaction transaction(db_, path_);
  std::vector<Orphan> orphans;
  {
    Query select(statement(
        "SELECT id, pid, status FROM runs WHERE status IN ('running', 'paused') AND host = ?1"));
    select->bindAll(host);
    while (select->step()) {
      const std::int64_t pid = select->columnInt64(1);
      if (processAlive(pid)) continue;
      const std::string status = select->columnText(2);
      const std::string message =
          pid > 0 ? "process " + std::to_string(pid) + " ended while the run was " + status
                  : "no process was recorded while the run was " + status;
      orphans.push_back({select->columnInt64(0), message});
    }
  }
  for (const Orphan& orphan : orphans) {
    Query update(statement("UPDATE runs SET status = 'interrupted', message = ?2 WHERE id = ?1"));
    update->bindAll(orphan.id, orphan.message);
    update->execute();
  }
  transaction.commit();
  return int(orphans.size());
}

std::vector<RunRecord> RunStore::runs() const {
  static const std::string sql =
      std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY id DESC";
  Query select(statement(sql.c_str()));
  std::vector<RunRecord> out;
  while (select->step()) out.push_back(readRun(*select));
  return out;
}

std::optional<RunRecord> RunStore::run(std::int64_t runId) const {
  static const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1";
  Query select(statement(sql.c_str()));
  select->bindAll(runId);
  if (!select->step()) return std::nullopt;
  return readRun(*select);
}

std::vector<std::string> RunStore::metricNames(std::int64_t runId) const {
  // A skip scan over the (run_id, name, iteration) key: one index seek per distinct name instead
  // of reading every point of a long run, which a plain SELECT DISTINCT would do.
  Query select(statement(
      "WITH RECURSIVE names(name) AS ("
      "  SELECT MIN(name) FROM metrics WHERE run_id = ?1"
      "  UNION ALL"
      "  SELECT (SELECT MIN(name) FROM metrics WHERE run_id = ?1 AND name > names.name)"
      "  FROM names WHERE names.name IS NOT NULL)"
      " SELECT name FROM names WHERE name IS NOT NULL"));
  select->bindAll(runId);
  std::vector<std::string> out;
  while (select->step()) out.push_back(select->columnText(0));
  return out;
}

std::vector<MetricPoint> RunStore::metric(std::int64_t runId, const std::string& name,
                                          int afterIteration) const {
  Query select(statement(
      "SELECT iteration, value, wall_time FROM metrics "
      "WHERE run_id = ?1 AND name = ?2 AND iteration > ?3 ORDER BY iteration"));
  select->bindAll(runId, name, afterIteration);
  std::vector<MetricPoint> out;
  while (select->step())
    out.push_back({select->columnInt(0), select->columnDouble(1), select->columnDouble(2)});
  return out;
}

std::map<std::string, std::vector<MetricPoint>> RunStore::metrics(std::int64_t runId) const {
  Query select(statement(
      "SELECT name, iteration, value, wall_time FROM metrics WHERE run_id = ?1 "
      "ORDER BY name, iteration"));
  select->bindAll(runId);
  std::map<std::string, std::vector<MetricPoint>> out;
  std::vector<MetricPoint>* series = nullptr;
  std::string current;
  while (select->step()) {
    std::string name = select->columnText(0);
    if (!series || name != current) {
      current = name;
      series = &out.emplace_hint(out.end(), std::move(name), std::vector<MetricPoint>())->second;
    }
    series->push_back({select->columnInt(1), select->columnDouble(2), select->columnDouble(3)});
  }
  return out;
}

std::vector<SampleRecord> RunStore::samples(std::int64_t runId, int iteration, int limit) const {
  static const std::string oneIteration = std::string("SELECT ") + kSampleColumns +
                                          " FROM samples WHERE run_id = ?1 AND iteration = ?2"
                                          " ORDER BY id LIMIT ?3";
  static const std::string allIterations = std::string("SELECT ") + kSampleColumns +
                                           " FROM samples WHERE run_id = ?1"
                                           " ORDER BY iteration DESC, id LIMIT ?2";
  const int sqlLimit = limit > 0 ? limit : -1;  // LIMIT -1: no limit
  Query select(statement(iteration >= 0 ? oneIteration.c_str() : allIterations.c_str()));
  if (iteration >= 0)
    select->bindAll(runId, iteration, sqlLimit);
  else
    select->bindAll(runId, sqlLimit);
  std::vector<SampleRecord> out;
  while (select->step()) out.push_back(readSample(*select));
  return out;
}

std::optional<SampleRecord> RunStore::sample(std::int64_t sampleId) const {
  static const std::string byId = std::string("SELECT ") + kSampleColumns + " FROM samples WHERE id = ?1";
  Query select(statement(byId.c_str()));
  select->bindAll(sampleId);
  if (!select->step()) return std::nullopt;
  return readSample(*select);
}

std::optional<CheckpointRecord> RunStore::latestCheckpoint(std::int64_t runId) const {
  Query select(statement(
      "SELECT iteration, path, created_at FROM checkpoints WHERE run_id = ?1 "
      "ORDER BY iteration DESC LIMIT 1"));
  select->bindAll(runId);
  if (!select->step()) return std::nullopt;
  return CheckpointRecord{select->columnInt(0), select->columnText(1), select->columnDouble(2)};
}

std::vector<CheckpointRecord> RunStore::checkpoints(std::int64_t runId) const {
  Query select(statement(
      "SELECT iteration, path, created_at FROM checkpoints WHERE run_id = ?1 ORDER BY iteration"));
  select->bindAll(runId);
  std::vector<CheckpointRecord> out;
  while (select->step())
    out.push_back({select->columnInt(0), select->columnText(1), select->columnDouble(2)});
  return out;
}

std::vector<LogRecord> RunStore::logs(std::int64_t runId, std::int64_t afterId, int limit) const {
  Query select(statement(
      "SELECT id, time, level, message FROM logs WHERE run_id = ?1 AND id > ?2 "
      "ORDER BY id LIMIT ?3"));
  select->bindAll(runId, afterId, limit > 0 ? limit : -1);
  std::vector<LogRecord> out;
  while (select->step())
    out.push_back({select->columnInt64(0), select->columnDouble(1), select->columnText(2),
                   select->columnText(3)});
  return out;
}

}  // namespace tb
