// Distributed runs from the command line (docs/DISTRIBUTED.md): `run --nproc N` is a local
// launcher that starts N ranks (`run-rank`) and supervises them; `run` under torchrun or srun is
// one rank. Rank 0 alone writes the workspace; the others train in a scratch workspace.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/engine/Distributed.h"
#include "core/engine/Engine.h"
#include "core/engine/RunPolicy.h"
#include "core/store/RunStore.h"

namespace tb::cli {

namespace {

// How long the launcher lets the other ranks notice a dead rank before it kills them.
constexpr auto kGraceAfterFailure = std::chrono::seconds(60);

int freeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(std::string("cannot find a free loopback port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string describeExit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    std::string text = "was killed by signal " + std::to_string(WTERMSIG(status));
    return text + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "ended";
}

// Finished (0), failed with its message stored (1), bad input (2) or cancelled (130): the rank
// ended on its own. Anything else (a signal, a crash) means it died.
bool endedOnItsOwn(int status) {
  if (!WIFEXITED(status)) return false;
  const int code = WEXITSTATUS(status);
  return code == 0 || code == 1 || code == 2 || code == 130;
}

std::string selfExecutable() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) throw std::runtime_error("cannot find this program's path (/proc/self/exe): " + error.message());
  return path.string();
}

}  // namespace

int launchLocalRanks(const std::string& db, const RunConfig& config, int nproc, bool quiet) {
  std::int64_t runId = 0;
  {
    auto store = RunStore::open(db);
    runId = createRun(*store, config);
  }
  const int port = freeLoopbackPort();
  const std::string exe = selfExecutable();
  // The other ranks get the config from the environment: reading it from the workspace while
  // rank 0 writes there can find the database locked.
  const std::string configJson = config.toJson().dump();
  std::printf("run %lld: %s on %s, %lld iterations, %d processes on 127.0.0.1:%d (workspace %s)\n",
              static_cast<long long>(runId), config.algorithm().c_str(), config.task().c_str(),
              config.getInt("run.iterations"), nproc, port, db.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  // Ctrl-C reaches every rank (one process group) and they stop together; the launcher waits.
  auto previousInt = std::signal(SIGINT, SIG_IGN);
  auto previousTerm = std::signal(SIGTERM, SIG_IGN);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < nproc; ++rank) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
      const std::string r = std::to_string(rank), n = std::to_string(nproc), p = std::to_string(port);
      ::setenv("RANK", r.c_str(), 1);
      ::setenv("LOCAL_RANK", r.c_str(), 1);
      ::setenv("WORLD_SIZE", n.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", n.c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", p.c_str(), 1);
      ::setenv("TB_RUN_CONFIG", configJson.c_str(), 1);
      const std::string id = std::to_string(runId);
      std::vector<std::string> words = {exe, "run-rank", "--db", db, "--run-id", id};
      if (rank > 0 || quiet) words.emplace_back("--quiet");
      std::vector<char*> argv;
      for (auto& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      ::execv(exe.c_str(), argv.data());
      std::fprintf(stderr, "rank %d: cannot start %s: %s\n", rank, exe.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    if (pid < 0) {
      for (pid_t started : pids) ::kill(started, SIGKILL);
      for (pid_t started : pids) ::waitpid(started, nullptr, 0);
      std::signal(SIGINT, previousInt);
      std::signal(SIGTERM, previousTerm);
      throw std::runtime_error(std::string("cannot start rank processes: ") + std::strerror(errno));
    }
    pids.push_back(pid);
  }

  // Supervise: when a rank dies, the others get kGraceAfterFailure to notice it (Gloo reports a
  // closed connection at once) and are then killed, so nothing hangs.
  std::vector<std::optional<int>> statuses(nproc);
  int remaining = nproc;
  int firstDead = -1;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (remaining > 0) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (int rank = 0; rank < nproc; ++rank) {
        if (pids[rank] != pid) continue;
        statuses[rank] = status;
        --remaining;
        if (!endedOnItsOwn(status) || (status != 0 && !deadline)) {
          if (!endedOnItsOwn(status) && firstDead < 0) firstDead = rank;
          if (!deadline) deadline = std::chrono::steady_clock::now() + kGraceAfterFailure;
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;
    if (deadline && std::chrono::steady_clock::now() > *deadline) {
      for (int rank = 0; rank < nproc; ++rank)
        if (!statuses[rank]) ::kill(pids[rank], SIGKILL);
      deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::signal(SIGINT, previousInt);
  std::signal(SIGTERM, previousTerm);

  const int rank0 = statuses[0].value_or(-1);
  auto store = RunStore::open(db);
  auto record = store->run(runId);
  const bool recordOpen = record && record->status != RunStatus::Finished && record->status != RunStatus::Failed &&
                          record->status != RunStatus::Cancelled;
  if (firstDead >= 0 || recordOpen) {
    // Name the rank that died; keep rank 0's own account of what it saw.
    const int culprit = firstDead >= 0 ? firstDead : 0;
    std::string message = "rank " + std::to_string(culprit) + " of " + std::to_string(nproc) + " " +
                          describeExit(statuses[culprit].value_or(0));
    if (record && !record->message.empty() && culprit != 0) {
      // Rank 0's own errors already start with "rank 0: " (core/engine/Distributed.cpp).
      const bool named = record->message.rfind("rank 0", 0) == 0;
      message += "; ";
      if (!named) message += "rank 0: ";
      message += record->message;
    }
    if (record && record->status != RunStatus::Finished) store->setStatus(runId, RunStatus::Failed, message);
    std::fprintf(stderr, "run %lld failed: %s\n", static_cast<long long>(runId), message.c_str());
    return 1;
  }
  return WIFEXITED(rank0) ? WEXITSTATUS(rank0) : 1;
}

int runAsRank(const LaunchEnvironment& environment, const std::string& db, const RunConfig* config,
              std::int64_t runId, bool quiet) {
  // The run's config first: it says where this rank's policy works, which decides the backend.
  std::optional<RunConfig> stored;
  if (const char* passed = std::getenv("TB_RUN_CONFIG"); !config && passed) {
    try {
      stored = RunConfig::fromJson(nlohmann::json::parse(passed), "TB_RUN_CONFIG");
    } catch (const nlohmann::json::exception& e) {
      failInput("environment variable TB_RUN_CONFIG is not valid JSON: ", e.what());
    }
    config = &*stored;
  }
  if (!config) {
    auto store = RunStore::open(db);
    auto record = store->run(runId);
    if (!record) failInput("no run ", runId, " in workspace '", db, "'");
    stored = RunConfig::fromJson(record->config, "stored config of run " + std::to_string(runId));
    config = &*stored;
  }
  std::unique_ptr<Distributed> dist;
  try {
    dist = std::make_unique<Distributed>(environment, policyCudaIndex(*config, environment.localRank));
  } catch (const std::exception& e) {
    if (environment.rank == 0 && runId > 0) RunStore::open(db)->setStatus(runId, RunStatus::Failed, e.what());
    std::fprintf(stderr, "thoughtbench-cli run: %s\n", e.what());
    return 1;
  }
  if (environment.rank == 0) {
    if (runId == 0) {
      auto store = RunStore::open(db);
      runId = createRun(*store, *config);
      std::printf("run %lld: %s on %s, %lld iterations, rank 0 of %d processes (workspace %s)\n",
                  static_cast<long long>(runId), config->algorithm().c_str(), config->task().c_str(),
                  config->getInt("run.iterations"), environment.worldSize, db.c_str());
    }
    if (!quiet)
      std::printf("process group: %s (%s)\n", backendName(dist->backend()), dist->backendReason().c_str());
    return executeOnTerminal(db, runId, quiet, dist.get());
  }
  // Another rank: the same config, trained in a scratch workspace that only this process sees.
  std::string pattern = (std::filesystem::temp_directory_path() / "thoughtbench-rank-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a scratch folder in " + std::filesystem::temp_directory_path().string());
  const std::string scratch = pattern;
  int code = 1;
  try {
    std::int64_t scratchRun = 0;
    {
      auto store = RunStore::open(scratch + "/workspace.sqlite");
      scratchRun = createRun(*store, *config);
    }
    code = executeOnTerminal(scratch + "/workspace.sqlite", scratchRun, quiet, dist.get());
  } catch (...) {
    std::filesystem::remove_all(scratch);
    throw;
  }
  std::filesystem::remove_all(scratch);
  return code;
}

int runRankCommand(const CliArguments& args) {
  args.allowOnly({"db", "run-id", "quiet"});
  const auto environment = LaunchEnvironment::fromEnvironment();
  if (!environment) failInput("run-rank is started by `run --nproc N` (it needs RANK and WORLD_SIZE > 1)");
  const std::string idText = args.value("run-id").value_or("");
  std::int64_t runId = 0;
  try {
    runId = std::stoll(idText);
  } catch (const std::logic_error&) {
    failInput("--run-id must be a run number, got '", idText, "'");
  }
  return runAsRank(*environment, workspacePath(args), nullptr, runId, args.flag("quiet"));
}

}  // namespace tb::cli
