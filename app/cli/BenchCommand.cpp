// `bench rollout|train-step|mcts|tree-layout|compare-view`: one JSON line with the figures and the
// configuration measured (docs/PERFORMANCE.md).
#include <cstdio>

#include "app/cli/Commands.h"
#include "app/cli/OffscreenRender.h"
#include "core/Error.h"
#include "core/engine/Benchmark.h"

namespace tb::cli {

int benchCommand(const CliArguments& args) {
  const std::string what = args.positional(0, "benchmark: rollout, train-step, mcts, tree-layout or compare-view");
  if (what == "mcts") {
    args.allowOnly({"simulations", "branching", "problems", "threads", "checkpoint"});
    MctsBenchOptions o;
    o.simulations = args.intValue("simulations", o.simulations);
    o.branching = args.intValue("branching", o.branching);
    o.problems = args.intValue("problems", o.problems);
    o.threads = args.intValue("threads", o.threads);
    o.modelFile = args.value("checkpoint").value_or("");
    if (o.simulations < 1 || o.branching < 1 || o.problems < 1)
      failInput("bench mcts: --simulations, --branching and --problems must be >= 1");
    std::printf("%s\n", benchMcts(o).dump().c_str());
    return 0;
  }
  if (what == "tree-layout") {
    args.allowOnly({"nodes", "repeats"});
    const int nodes = args.intValue("nodes", 10000);
    if (nodes < 1) failInput("bench tree-layout: --nodes must be >= 1");
    std::printf("%s\n", benchTreeLayout(nodes, args.intValue("repeats", 5)).dump().c_str());
    return 0;
  }
  if (what == "compare-view") {
    args.allowOnly({"runs", "points", "plots", "repeats", "width", "height"});
    std::printf("%s\n", benchCompareView(args.intValue("runs", 100), args.intValue("points", 10000), args.intValue("plots", 4),
                                         args.intValue("repeats", 5), args.intValue("width", 1600),
                                         args.intValue("height", 1000))
                            .dump()
                            .c_str());
    return 0;
  }
  args.allowOnly({"vocab", "d-model", "layers", "heads", "batch", "prompt-len", "new-tokens", "threads", "repeats"});
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
  else failInput("unknown benchmark '", what, "' (expected rollout, train-step, mcts, tree-layout or compare-view)");
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace tb::cli
