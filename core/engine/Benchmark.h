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
  int eosId = -1;    // rollout: >= 0 lets rows end at this token (and leave the batch)
  bool keepFinished = false;  // rollout: finished rows stay in the batch to the end
  int microBatch = 0;  // train-step: rows per forward/backward (gradient accumulation); 0 = all
};

// Samples batch x newTokens tokens from a random policy: no early stop, or rows ending at eosId
// (then tokens_per_s counts the tokens actually generated).
nlohmann::json benchRollout(const BenchOptions& options);
// Forward + backward + AdamW on batch x (promptLength + newTokens) tokens with the GRPO loss,
// optionally accumulated over micro-batches; also the step's peak CPU tensor bytes.
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

struct GrpoIterationBenchOptions {
  int dModel = 128;        // the built-in policy's default shape
  int layers = 4;
  int heads = 4;
  int prompts = 8;         // rollout.prompts
  int groupSize = 8;       // rollout.group_size
  int newTokens = 80;      // rollout.max_new_tokens
  int iterations = 4;      // the first is a warm-up and is not counted
  int warmStartSteps = 0;  // 0: a random policy (every completion runs to the limit)
  int threads = 0;
};
// Whole GRPO iterations on Game of 24 through the real training loop (a scratch workspace):
// mean seconds of an iteration and of its phases (decoding, verification, scoring, advantages,
// optimiser steps, the rest) with their shares, and generated tokens per second.
nlohmann::json benchGrpoIteration(const GrpoIterationBenchOptions& options);

// A Hugging Face decoder (HfCausalLM, random weights) of a real model's shape; the defaults are
// Qwen2.5-0.5B's (hidden 896, MLP 4864, 24 layers, 14 heads / 2 key-value heads, vocabulary
// 151936, tied): prefill tokens/s of a whole-prompt forward pass, and decode tokens/s of the
// KV-cached sampler (core/rollout/HfGeneration.h), on the CPU or a CUDA device.
struct HfModelBenchOptions {
  int hidden = 896;
  int intermediate = 4864;
  int layers = 24;
  int heads = 14;
  int kvHeads = 2;
  int vocab = 151936;
  int batch = 1;
  int promptLength = 128;
  int newTokens = 32;
  int threads = 0;
  int repeats = 3;
  std::string device = "cpu";     // cpu | cuda
  std::string dtype = "float32";  // float32 | bfloat16 | float16 (the last two on CUDA)
  int loraRank = 8;    // hf-update: LoRA on q/k/v/o (0 = every weight trains)
  int microBatch = 0;  // hf-update: rows per forward/backward (gradient accumulation); 0 = all
};
// Prefill and KV-cached decoding of a randomly initialised Qwen2-shaped model.
nlohmann::json benchHfModel(const HfModelBenchOptions& options);
// One update step of that model: the scores of batch x newTokens completion tokens after
// promptLength prompt tokens with a graph, the clipped surrogate, backward and AdamW, optionally
// over micro-batches; on the CPU also the step's peak tensor bytes.
nlohmann::json benchHfUpdate(const HfModelBenchOptions& options);

// The tidy tree layout (core/search/TreeLayout.h) of a random MCTS-like tree of `nodes` nodes:
// median seconds over `repeats` runs.
nlohmann::json benchTreeLayout(int nodes, int repeats);

}  // namespace tb
