#pragma once
// The subcommands of thoughtbench-cli. Each returns the process exit code and throws InputError
// for bad input (main prints it as one line and exits with 2).
#include <nlohmann/json.hpp>

#include "app/cli/CliArguments.h"
#include "core/store/RunStore.h"

namespace tb {
class Distributed;
struct LaunchEnvironment;
class RunConfig;
}  // namespace tb

namespace tb::cli {

int runCommand(const CliArguments& args);      // run --task T --algorithm A ...
int resumeCommand(const CliArguments& args);   // resume RUN
int listCommand(const CliArguments& args);     // list tasks|algorithms|runs|params
int showCommand(const CliArguments& args);     // show RUN
int metricsCommand(const CliArguments& args);  // metrics RUN
int samplesCommand(const CliArguments& args);  // samples RUN
int benchCommand(const CliArguments& args);    // bench rollout|train-step
int taskCommand(const CliArguments& args);     // task show|check NAME
int searchCommand(const CliArguments& args);   // search --task T --problem ID --out F
int treesCommand(const CliArguments& args);    // trees RUN
int exportCommand(const CliArguments& args);   // export tree|tensorboard ...
int exportTreeCommand(const CliArguments& args);         // export tree --run RUN --out F
int exportTensorBoardCommand(const CliArguments& args);  // export tensorboard --runs ID,ID --out DIR
int exportModelCommand(const CliArguments& args);        // export model --run RUN --out DIR [--adapter]
int importCommand(const CliArguments& args);   // import tree FILE
int attentionCommand(const CliArguments& args);  // attention --sample ID --out F
int reportCommand(const CliArguments& args);     // report --runs ID,ID --out F
int experimentCommand(const CliArguments& args); // experiment seed-comparison ...
int modelCommand(const CliArguments& args);      // model info --model DIR

// A run's record as the JSON that `show` and `list runs` print (with its config).
nlohmann::json runRecordJson(const RunRecord& run);

// "3,4,7" -> {3, 4, 7}; InputError naming `option` for anything else or an empty list.
std::vector<std::int64_t> parseIdList(const std::string& text, const char* option);

// The workspace named by --db, or the default one.
std::string workspacePath(const CliArguments& args);

// Executes a created run in this process with one line per iteration on the terminal (none when
// quiet); Ctrl-C cancels it cleanly. Returns the exit code: 0 finished, 130 cancelled, 1 failed.
// With `dist`, this process is one rank of a distributed run (app/cli/DistributedRun.cpp).
int executeOnTerminal(const std::string& db, std::int64_t runId, bool quiet, Distributed* dist = nullptr);

// Distributed runs (docs/DISTRIBUTED.md). `run --nproc N`: creates the run, starts N local ranks
// (`run-rank`) on a free loopback port and supervises them: a rank that dies ends the others and
// the run is stored as failed.
int launchLocalRanks(const std::string& db, const RunConfig& config, int nproc, bool quiet);
// `run` under a launcher (torchrun, srun, `--nproc`): joins the process group; rank 0 creates the
// run (or takes `runId`) in `db`, the others train in a scratch workspace that is deleted after.
int runAsRank(const LaunchEnvironment& environment, const std::string& db, const RunConfig* config,
              std::int64_t runId, bool quiet);
int runRankCommand(const CliArguments& args);  // run-rank --db DB --run-id ID (started by --nproc)

}  // namespace tb::cli
