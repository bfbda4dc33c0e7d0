#pragma once
// Benchmarks of the hot paths, each returning one JSON object (printed as one line by
// `thoughtbench-cli bench`): KV-cached batched sampling, and one GRPO training step.
#include <string>

#include <nlohmann/json.hpp>

namespace tb {

struct BenchOptions {
  int vocab = 64;
  int dModel = 256;
  int layers = 4;
  int heads = 8;
  int batch = 64;
  int promptLength = 16;
  int newTokens = 48;
  int threads = 0;   // 0 = all cores
  int repeats = 5;   // timed repetitions after one warm-up; the median is reported
};

// Samples batch x newTokens tokens (no early stop) from a random policy.
nlohmann::json benchRollout(const BenchOptions& options);
// Forward + backward + AdamW on batch x (promptLength + newTokens) tokens with the GRPO loss.
nlohmann::json benchTrainStep(const BenchOptions& options);

struct MctsBenchOptions {
  int simulations = 64;
  int branching = 4;
  int problems = 4;          // the first test problems of Game of 24
  int threads = 0;
  std::string modelFile;     // a trained policy of the default model shape; "" = untrained
};
// MCTS (PUCT, verifier values) on Game of 24 with the default small model: simulations, nodes and
// generated tokens per second over the problems.
nlohmann::json benchMcts(const MctsBenchOptions& options);

// The tidy tree layout (core/search/TreeLayout.h) of a random MCTS-like tree of `nodes` nodes:
// median seconds over `repeats` runs.
nlohmann::json benchTreeLayout(int nodes, int repeats);

}  // namespace tb
