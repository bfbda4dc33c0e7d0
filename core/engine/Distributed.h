#pragma once
// Data-parallel training across processes with the c10d process groups LibTorch ships: NCCL when
// every rank's policy has a GPU of its own (and the build has NCCL), Gloo otherwise. Every rank holds the whole policy; a run's prompts are sharded (whole groups per rank),
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
  std::string backend = "auto";       // TB_DIST_BACKEND: auto, gloo or nccl (chooseBackend)

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

// What a rank brings to the choice of process group: its machine, the GPU its policy works on (-1:
// none, the policy is on the CPU) and whether its build has NCCL. Travels through the rendezvous store
// as text (encode / decode).
struct RankDevice {
  std::string host;
  int cudaIndex = -1;
  bool ncclBuilt = false;

  std::string encode() const;
  static RankDevice decode(const std::string& text);  // throws DistributedError when malformed
};

enum class CollectiveBackend { Gloo, Nccl };
const char* backendName(CollectiveBackend backend);

// Rank 0's choice for the whole run from TB_DIST_BACKEND (`requested`: auto, gloo, nccl) and what
// every rank brings. NCCL needs every rank on a GPU, no two ranks of one machine on the same GPU
// (NCCL refuses "duplicate GPU") and NCCL in every build; `auto` takes it when all hold, Gloo (through
// host memory) otherwise. `why` receives the reason in a sentence. Throws DistributedError naming the
// rank when `nccl` was asked for and cannot be had.
CollectiveBackend chooseBackend(const std::string& requested, const std::vector<RankDevice>& ranks, std::string& why);

// True when this build carries the NCCL process group (a CUDA LibTorch and nccl.h at configure time).
bool ncclBuilt();

class Distributed {
 public:
  // Joins the process group (rank 0 hosts the rendezvous store at MASTER_ADDR:MASTER_PORT) after the
  // ranks agree on the backend (chooseBackend). `cudaIndex`: the GPU this rank's policy works on, or
  // -1. Throws DistributedError naming the address when the others do not arrive within the
  // timeout, or the rank when TB_DIST_BACKEND=nccl cannot be had.
  explicit Distributed(const LaunchEnvironment& environment, int cudaIndex = -1);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return environment_.rank; }
  int worldSize() const { return environment_.worldSize; }
  int localRank() const { return environment_.localRank; }  // this rank's index on its machine
  CollectiveBackend backend() const { return backend_; }
  const std::string& backendReason() const { return backendReason_; }  // why this backend (chooseBackend)

  // Tensors travel on the backend's device: with Gloo a GPU tensor goes through host memory, with
  // NCCL a host tensor goes through the rank's GPU (and back, in place).
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
  CollectiveBackend backend_ = CollectiveBackend::Gloo;
  std::string backendReason_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tb
