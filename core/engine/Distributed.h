#pragma once
// Data-parallel training across processes with the c10d process groups LibTorch ships (Gloo on
// CPU). Every rank holds the whole policy; a run's prompts are sharded (whole groups per rank),
// each rank samples and scores only its rows, and the rows' tokens and scores are assembled on
// every rank by an all-reduce of zero-padded buffers, so every rank sees the whole rollout and
// computes the same rewards, advantages, loss value and metrics. The gradient of the full loss is
// the sum over ranks of the gradient through each rank's own rows (the other rows enter as
// constants), so the policy's gradients are all-reduced (summed, in buckets) and every rank takes
// the same optimiser step: parameters stay identical without being sent again.
// Launch conventions (torchrun, Slurm): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, or
// SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID when RANK is unset. docs/DISTRIBUTED.md.
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tb {

// A collective failed: another rank died, hung past the timeout, or never arrived.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LaunchEnvironment {
  int rank = 0;
  int worldSize = 1;
  int localRank = 0;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  std::chrono::seconds timeout{300};  // TB_DIST_TIMEOUT_S: how long a collective waits for the others

  // The launcher's variables; nullopt for a single process (no WORLD_SIZE / SLURM_NTASKS, or 1).
  // Throws InputError naming the variable when one is malformed or inconsistent.
  static std::optional<LaunchEnvironment> fromEnvironment();
  // The same from a lookup of the variables (nullopt = unset): tests pass a map instead of
  // changing the process environment, which other threads (Qt Test's watchdog) read meanwhile.
  using Lookup = std::function<std::optional<std::string>(const char*)>;
  static std::optional<LaunchEnvironment> fromVariables(const Lookup& variable);
};

// The rows [begin, end) of `count` that rank `rank` of `world` takes: contiguous, in rank order,
// sizes differing by at most one.
std::pair<std::int64_t, std::int64_t> shardRange(std::int64_t count, int rank, int world);

class Distributed {
 public:
  // Joins the process group (rank 0 hosts the rendezvous store at MASTER_ADDR:MASTER_PORT).
  // Throws RuntimeError naming the address when the others do not arrive within the timeout.
  explicit Distributed(const LaunchEnvironment& environment);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return environment_.rank; }
  int worldSize() const { return environment_.worldSize; }
  int localRank() const { return environment_.localRank; }  // this rank's index on its machine

  // Tensors on a GPU travel through host memory (Gloo's transport is TCP; NCCL is not built).
  // In place: the element-wise sum over ranks. `what` names the exchange in errors.
  void allReduceSum(torch::Tensor& tensor, const char* what);
  // In place: every rank receives rank 0's values.
  void broadcast(const std::vector<torch::Tensor>& tensors, const char* what);
  // Sums the gradients of `params` over ranks (an undefined gradient counts as zero and is
  // defined afterwards), packed into buckets of at most `bucketBytes`, all buckets in flight at once.
  void allReduceGradients(const std::vector<torch::Tensor>& params, std::int64_t bucketBytes);
  // True when any rank asks to stop (every rank must call it at the same point).
  bool anyRank(bool flag);

 private:
  struct Impl;
  LaunchEnvironment environment_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tb
