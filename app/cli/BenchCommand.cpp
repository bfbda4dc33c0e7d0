// `bench rollout|train-step`: one JSON line with tokens per second and the configuration measured.
#include <cstdio>

#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/engine/Benchmark.h"

namespace tb::cli {

int benchCommand(const CliArguments& args) {
  args.allowOnly({"vocab", "d-model", "layers", "heads", "batch", "prompt-len", "new-tokens", "threads", "repeats"});
  const std::string what = args.positional(0, "benchmark: rollout or train-step");
  BenchOptions o;
  o.vocab = args.intValue("vocab", o.vocab);
  o.dModel = args.intValue("d-model", o.dModel);
  o.layers = args.intValue("layers", o.layers);
  o.heads = args.intValue("heads", o.heads);
  o.batch = args.intValue("batch", o.batch);
  o.promptLength = args.intValue("prompt-len", o.promptLength);
  o.newTokens = args.intValue("new-tokens", o.newTokens);
  o.threads = args.intValue("threads", o.threads);
  o.repeats = args.intValue("repeats", o.repeats);
  if (o.vocab < 4 || o.dModel < 1 || o.layers < 1 || o.heads < 1 || o.batch < 1 || o.promptLength < 1 ||
      o.newTokens < 1 || o.dModel % o.heads != 0)
    failInput("bench: expected positive sizes, vocab >= 4 and --heads dividing --d-model");
  nlohmann::json result;
  if (what == "rollout") result = benchRollout(o);
  else if (what == "train-step") result = benchTrainStep(o);
  else failInput("unknown benchmark '", what, "' (expected rollout or train-step)");
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace tb::cli
