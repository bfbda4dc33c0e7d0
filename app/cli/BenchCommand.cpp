// `bench rollout|train-step|grpo-iteration|hf-model|hf-update|mcts|tree-layout|compare-view|logprobs`: one JSON line with the figures and the
// configuration measured (docs/PERFORMANCE.md).
#include <cstdio>

#include "app/cli/Commands.h"
#include "app/cli/OffscreenRender.h"
#include "core/Error.h"
#include "core/engine/Benchmark.h"
#include "kernels/TokenScoresBench.h"

#include <cmath>
#include <torch/torch.h>

namespace tb::cli {

int benchCommand(const CliArguments& args) {
  const std::string what =
      args.positional(0, "benchmark: rollout, train-step, grpo-iteration, hf-model, hf-update, mcts, tree-layout, compare-view or logprobs");
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
  if (what == "logprobs") {
    // Fused log-softmax + gather + entropy against the plain composition (kernels/FusedTokenScores.h).
    args.allowOnly({"rows", "vocab", "repeats", "threads", "forward-only", "fused-only"});
    const int rows = args.intValue("rows", 1024), vocab = args.intValue("vocab", 151936);
    const int repeats = args.intValue("repeats", 3), threads = args.intValue("threads", 0);
    if (rows < 1 || vocab < 1 || repeats < 1) failInput("bench logprobs: --rows, --vocab and --repeats must be >= 1");
    if (threads > 0) torch::set_num_threads(threads);
    const bool backward = !args.flag("forward-only");
    const LogProbBench b = benchTokenScores(rows, vocab, repeats, backward, !args.flag("fused-only"));
    auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    nlohmann::json out = {{"rows", rows}, {"vocab", vocab}, {"backward", backward}, {"threads", torch::get_num_threads()},
                          {"fused_ms", number(b.fusedMs)}, {"reference_ms", number(b.referenceMs)},
                          {"fused_peak_bytes", number(b.fusedPeakBytes)},
                          {"reference_peak_bytes", number(b.referencePeakBytes)},
                          {"peak_ratio", number(b.fusedPeakBytes / b.referencePeakBytes)},
                          {"speedup", number(b.referenceMs / b.fusedMs)}, {"max_abs_diff", number(b.maxAbsDiff)}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  if (what == "grpo-iteration") {
    args.allowOnly({"d-model", "layers", "heads", "prompts", "group-size", "new-tokens", "iterations",
                    "warm-start-steps", "threads"});
    GrpoIterationBenchOptions g;
    g.dModel = args.intValue("d-model", g.dModel);
    g.layers = args.intValue("layers", g.layers);
    g.heads = args.intValue("heads", g.heads);
    g.prompts = args.intValue("prompts", g.prompts);
    g.groupSize = args.intValue("group-size", g.groupSize);
    g.newTokens = args.intValue("new-tokens", g.newTokens);
    g.iterations = args.intValue("iterations", g.iterations);
    g.warmStartSteps = args.intValue("warm-start-steps", g.warmStartSteps);
    g.threads = args.intValue("threads", g.threads);
    if (g.dModel < 1 || g.layers < 1 || g.heads < 1 || g.dModel % g.heads != 0 || g.prompts < 1 ||
        g.groupSize < 2 || g.newTokens < 1 || g.iterations < 2 || g.warmStartSteps < 0)
      failInput("bench grpo-iteration: expected positive sizes, --heads dividing --d-model, --group-size >= 2 "
                "and --iterations >= 2 (the first is a warm-up)");
    std::printf("%s\n", benchGrpoIteration(g).dump().c_str());
    return 0;
  }
  if (what == "hf-model" || what == "hf-update") {
    const bool update = what == "hf-update";
    std::vector<std::string> allowed{"hidden", "intermediate", "layers", "heads", "kv-heads", "vocab", "batch",
                                     "prompt-len", "new-tokens", "threads", "repeats", "device", "dtype"};
    if (update) allowed.insert(allowed.end(), {"lora-rank", "micro-batch"});
    args.allowOnly(allowed);
    HfModelBenchOptions h;
    h.hidden = args.intValue("hidden", h.hidden);
    h.intermediate = args.intValue("intermediate", h.intermediate);
    h.layers = args.intValue("layers", h.layers);
    h.heads = args.intValue("heads", h.heads);
    h.kvHeads = args.intValue("kv-heads", h.kvHeads);
    h.vocab = args.intValue("vocab", h.vocab);
    h.batch = args.intValue("batch", h.batch);
    h.promptLength = args.intValue("prompt-len", h.promptLength);
    h.newTokens = args.intValue("new-tokens", h.newTokens);
    h.threads = args.intValue("threads", h.threads);
    h.repeats = args.intValue("repeats", h.repeats);
    h.device = args.value("device").value_or(h.device);
    h.dtype = args.value("dtype").value_or(h.dtype);
    h.loraRank = args.intValue("lora-rank", h.loraRank);
    h.microBatch = args.intValue("micro-batch", h.microBatch);
    if (h.batch < 1 || h.promptLength < 1 || h.newTokens < 2 || h.repeats < 1 || h.loraRank < 0 || h.microBatch < 0)
      failInput("bench ", what, ": expected --batch, --prompt-len, --repeats >= 1, --new-tokens >= 2, "
                "--lora-rank and --micro-batch >= 0");
    std::printf("%s\n", (update ? benchHfUpdate(h) : benchHfModel(h)).dump().c_str());
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
  args.allowOnly({"vocab", "d-model", "layers", "heads", "batch", "prompt-len", "new-tokens", "threads", "repeats",
                  "eos-id", "keep-finished", "micro-batch"});
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
  o.eosId = args.intValue("eos-id", o.eosId);
  o.keepFinished = args.flag("keep-finished");
  o.microBatch = args.intValue("micro-batch", o.microBatch);
  if (o.vocab < 4 || o.dModel < 1 || o.layers < 1 || o.heads < 1 || o.batch < 1 || o.promptLength < 1 ||
      o.newTokens < 1 || o.dModel % o.heads != 0 || o.eosId >= o.vocab || o.microBatch < 0)
    failInput("bench: expected positive sizes, vocab >= 4, --heads dividing --d-model and --micro-batch >= 0");
  nlohmann::json result;
  if (what == "rollout") result = benchRollout(o);
  else if (what == "train-step") result = benchTrainStep(o);
  else failInput("unknown benchmark '", what, "' (expected rollout, train-step, grpo-iteration, hf-model, hf-update, mcts, tree-layout, compare-view or logprobs)");
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace tb::cli
