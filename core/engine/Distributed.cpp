// Distributed: the launcher's environment, the choice between the NCCL and Gloo process groups, and
// the collectives training needs (sum, broadcast, bucketed gradient sum, agreement on stopping).
#include "core/engine/Distributed.h"

// A LibTorch without Gloo's headers (some pip wheels), or a build with THOUGHTBENCH_GLOO=OFF, has no
// multi-process training: the launcher's environment is still read, joining a group fails with the reason.
#if !defined(TB_NO_GLOO) && __has_include(<gloo/algorithm.h>)
#define TB_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/engine/CollectiveGroup.h"
#else
#define TB_HAVE_GLOO 0
#endif
// TB_HAVE_NCCL comes from core/CMakeLists.txt (THOUGHTBENCH_NCCL) with engine/nccl/NcclProcessGroup.cpp.
#if !defined(TB_HAVE_NCCL) || !TB_HAVE_GLOO
#undef TB_HAVE_NCCL
#define TB_HAVE_NCCL 0
#endif

#include <unistd.h>

#include <cstdlib>
#include <map>

#include "core/Error.h"

namespace tb {

namespace {

std::optional<std::string> environmentValue(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

int integerVariable(const char* name, const std::string& text, int minimum, int maximum) {
  std::size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < minimum || value > maximum)
    failInput("environment variable ", name, "='", text, "': expected an integer from ", minimum, " to ", maximum);
  return static_cast<int>(value);
}

#if TB_HAVE_GLOO
// The c10d / Gloo message without LibTorch's backtrace.
std::string errorText(const std::exception& e) {
  if (auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  return e.what();
}
#endif

}  // namespace

std::optional<LaunchEnvironment> LaunchEnvironment::fromEnvironment() { return fromVariables(environmentValue); }

std::optional<LaunchEnvironment> LaunchEnvironment::fromVariables(const Lookup& variable) {
  const bool torchrun = variable("WORLD_SIZE").has_value();
  const char* worldName = torchrun ? "WORLD_SIZE" : "SLURM_NTASKS";
  const char* rankName = torchrun ? "RANK" : "SLURM_PROCID";
  const char* localName = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
  const auto world = variable(worldName);
  if (!world) return std::nullopt;
  LaunchEnvironment env;
  env.worldSize = integerVariable(worldName, *world, 1, 65536);
  if (env.worldSize == 1) return std::nullopt;
  const auto rank = variable(rankName);
  if (!rank) failInput("environment variable ", worldName, "=", env.worldSize, " is set but ", rankName, " is not");
  env.rank = integerVariable(rankName, *rank, 0, env.worldSize - 1);
  env.localRank = env.rank;
  if (auto local = variable(localName)) env.localRank = integerVariable(localName, *local, 0, 65535);
  if (auto addr = variable("MASTER_ADDR")) env.masterAddr = *addr;
  else if (env.worldSize > 1 && !torchrun)
    failInput("environment variable MASTER_ADDR is not set: a Slurm launch must export the first node's address");
  if (auto port = variable("MASTER_PORT")) env.masterPort = integerVariable("MASTER_PORT", *port, 1, 65535);
  if (auto timeout = variable("TB_DIST_TIMEOUT_S"))
    env.timeout = std::chrono::seconds(integerVariable("TB_DIST_TIMEOUT_S", *timeout, 1, 86400));
  if (auto backend = variable("TB_DIST_BACKEND")) {
    if (*backend != "auto" && *backend != "gloo" && *backend != "nccl")
      failInput("environment variable TB_DIST_BACKEND='", *backend, "': expected auto, gloo or nccl");
    env.backend = *backend;
  }
  return env;
}

std::string RankDevice::encode() const {
  return std::to_string(cudaIndex) + " " + (ncclBuilt ? "1" : "0") + " " + host;
}

RankDevice RankDevice::decode(const std::string& text) {
  RankDevice out;
  const auto first = text.find(' ');
  const auto second = first == std::string::npos ? first : text.find(' ', first + 1);
  try {
    if (second == std::string::npos) throw std::invalid_argument("fields");
    out.cudaIndex = std::stoi(text.substr(0, first));
    const std::string built = text.substr(first + 1, second - first - 1);
    if (built != "0" && built != "1") throw std::invalid_argument("nccl flag");
    out.ncclBuilt = built == "1";
    out.host = text.substr(second + 1);
  } catch (const std::exception&) {
    throw DistributedError("malformed rank description '" + text + "' in the rendezvous store (expected 'GPU NCCL HOST')");
  }
  return out;
}

const char* backendName(CollectiveBackend backend) { return backend == CollectiveBackend::Nccl ? "nccl" : "gloo"; }

bool ncclBuilt() { return TB_HAVE_NCCL != 0; }

CollectiveBackend chooseBackend(const std::string& requested, const std::vector<RankDevice>& ranks, std::string& why) {
  if (requested == "gloo") {
    why = "TB_DIST_BACKEND=gloo";
    return CollectiveBackend::Gloo;
  }
  // The first reason NCCL cannot serve this run, or empty.
  std::string obstacle;
  std::map<std::pair<std::string, int>, std::size_t> owner;  // (machine, GPU) -> first rank on it
  for (std::size_t r = 0; r < ranks.size() && obstacle.empty(); ++r) {
    const RankDevice& d = ranks[r];
    if (!d.ncclBuilt)
      obstacle = "rank " + std::to_string(r) + "'s build has no NCCL (a CUDA LibTorch and nccl.h are needed)";
    else if (d.cudaIndex < 0)
      obstacle = "rank " + std::to_string(r) + "'s policy is on the CPU";
    else if (auto [it, fresh] = owner.emplace(std::make_pair(d.host, d.cudaIndex), r); !fresh)
      obstacle = "ranks " + std::to_string(it->second) + " and " + std::to_string(r) + " share cuda:" +
                 std::to_string(d.cudaIndex) + " on " + d.host + " (NCCL needs a GPU per rank)";
  }
  if (obstacle.empty()) {
    why = "every rank has a GPU of its own";
    return CollectiveBackend::Nccl;
  }
  if (requested == "nccl") throw DistributedError("TB_DIST_BACKEND=nccl, but " + obstacle);
  why = obstacle;
  return CollectiveBackend::Gloo;
}

std::pair<std::int64_t, std::int64_t> shardRange(std::int64_t count, int rank, int world) {
  TB_CHECK(world > 0 && rank >= 0 && rank < world, "rank ", rank, " of ", world);
  return {count * rank / world, count * (rank + 1) / world};
}

#if TB_HAVE_GLOO
struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<CollectiveGroup> group;
  torch::Device transport = torch::kCPU;  // where collectives take their tensors
};

namespace {

constexpr const char* kBackendKey = "thoughtbench/backend";
std::string rankKey(int rank) { return "thoughtbench/rank/" + std::to_string(rank); }

std::vector<std::uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }
std::string text(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown-host";
  return name;
}

// A tensor the backend can send: itself when on `device`, else a copy there (copied back by the caller).
torch::Tensor onTransport(const torch::Tensor& t, const torch::Device& device) {
  return t.device() == device ? t : t.to(device);
}

}  // namespace

Distributed::Distributed(const LaunchEnvironment& environment, int cudaIndex)
    : environment_(environment), impl_(new Impl) {
  const std::string who = "rank " + std::to_string(environment_.rank) + " of " + std::to_string(environment_.worldSize);
  const std::string where = environment_.masterAddr + ":" + std::to_string(environment_.masterPort);
  const auto unreachable = [&](const std::exception& e) {
    return DistributedError(who + " could not join the process group at " + where + " (MASTER_ADDR:MASTER_PORT) within " +
                            std::to_string(environment_.timeout.count()) + " s: " + errorText(e));
  };
  // 1. The rendezvous store; every rank says what it brings, rank 0 chooses the backend for all.
  std::string decision;
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(environment_.masterPort);
    options.isServer = environment_.rank == 0;
    options.numWorkers = environment_.worldSize;
    options.waitWorkers = true;
    options.timeout = environment_.timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(environment_.masterAddr, options);
    impl_->store->set(rankKey(environment_.rank), bytes(RankDevice{hostName(), cudaIndex, ncclBuilt()}.encode()));
    if (environment_.rank == 0) {
      std::vector<std::string> keys;
      for (int r = 0; r < environment_.worldSize; ++r) keys.push_back(rankKey(r));
      impl_->store->wait(keys);
      std::vector<RankDevice> ranks;
      for (const auto& key : keys) ranks.push_back(RankDevice::decode(text(impl_->store->get(key))));
      try {
        const CollectiveBackend chosen = chooseBackend(environment_.backend, ranks, backendReason_);
        decision = std::string(backendName(chosen)) + " " + backendReason_;
      } catch (const DistributedError& e) {
        decision = std::string("refused ") + e.what();
      }
      impl_->store->set(kBackendKey, bytes(decision));
    } else {
      decision = text(impl_->store->get(kBackendKey));
    }
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw unreachable(e);
  }
  const auto space = decision.find(' ');
  const std::string name = decision.substr(0, space);
  backendReason_ = space == std::string::npos ? "" : decision.substr(space + 1);
  if (name == "refused") throw DistributedError(who + ": " + backendReason_);
  backend_ = name == "nccl" ? CollectiveBackend::Nccl : CollectiveBackend::Gloo;
  // 2. The process group.
  try {
#if TB_HAVE_NCCL
    if (backend_ == CollectiveBackend::Nccl) {
      impl_->group = makeNcclGroup(impl_->store, environment_.rank, environment_.worldSize, cudaIndex,
                                   std::chrono::milliseconds(environment_.timeout));
      impl_->transport = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(cudaIndex));
      return;
    }
#endif
    if (backend_ == CollectiveBackend::Nccl) throw DistributedError(who + ": rank 0 chose NCCL, but this build has none");
    auto groupOptions = c10d::ProcessGroupGloo::Options::create(environment_.timeout);
    // Loopback launches bind to loopback; GLOO_SOCKET_IFNAME picks the interface between machines.
    if (auto interface = environmentValue("GLOO_SOCKET_IFNAME"))
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*interface));
    else if (environment_.masterAddr == "localhost" || environment_.masterAddr.rfind("127.", 0) == 0)
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, environment_.rank,
                                                                environment_.worldSize, groupOptions);
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw unreachable(e);
  }
}

Distributed::~Distributed() = default;

void Distributed::allReduceSum(torch::Tensor& tensor, const char* what) {
  try {
    std::vector<torch::Tensor> tensors{onTransport(tensor, impl_->transport)};
    impl_->group->allreduce(tensors)->wait();
    if (tensor.device() != impl_->transport) tensor.copy_(tensors.front());
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(rank()) + ": another rank stopped responding while summing " +
                           what + " (" + errorText(e) + ")");
  }
}

void Distributed::broadcast(const std::vector<torch::Tensor>& tensors, const char* what) {
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> pending;
    std::vector<torch::Tensor> hosts;
    for (const auto& t : tensors) {
      hosts.push_back(onTransport(t, impl_->transport));
      std::vector<torch::Tensor> one{hosts.back()};
      pending.push_back(impl_->group->broadcast(one));
    }
    for (auto& work : pending) work->wait();
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].device() != impl_->transport) tensors[i].copy_(hosts[i]);
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(rank()) + ": another rank stopped responding while receiving " +
                           what + " from rank 0 (" + errorText(e) + ")");
  }
}

void Distributed::allReduceGradients(const std::vector<torch::Tensor>& params, std::int64_t bucketBytes) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  // Buckets of consecutive gradients of one dtype, flattened into one buffer each.
  std::vector<std::vector<torch::Tensor>> buckets;
  std::int64_t bytes = 0;
  for (const auto& g : grads) {
    const std::int64_t size = g.numel() * static_cast<std::int64_t>(g.element_size());
    if (buckets.empty() || bytes + size > bucketBytes || buckets.back().front().scalar_type() != g.scalar_type()) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(g);
    bytes += size;
  }
  std::vector<torch::Tensor> flats;
  std::vector<c10::intrusive_ptr<c10d::Work>> pending;
  try {
    for (const auto& bucket : buckets) {
      std::vector<torch::Tensor> pieces;
      for (const auto& g : bucket) pieces.push_back(g.reshape({-1}));
      flats.push_back(onTransport(torch::cat(pieces), impl_->transport));
      std::vector<torch::Tensor> one{flats.back()};
      pending.push_back(impl_->group->allreduce(one));
    }
    for (auto& work : pending) work->wait();
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(rank()) +
                           ": another rank stopped responding while summing gradients (" + errorText(e) + ")");
  }
  for (size_t b = 0; b < buckets.size(); ++b) {
    std::int64_t offset = 0;
    for (auto& g : buckets[b]) {
      g.copy_(flats[b].narrow(0, offset, g.numel()).view_as(g));
      offset += g.numel();
    }
  }
}

#else
struct Distributed::Impl {};

Distributed::Distributed(const LaunchEnvironment& environment, int) : environment_(environment), impl_(new Impl) {
  throw DistributedError("rank " + std::to_string(environment_.rank) + " of " + std::to_string(environment_.worldSize) +
                         ": this build has no Gloo process group (THOUGHTBENCH_GLOO=OFF, or a LibTorch without "
                         "include/gloo), so it cannot train across processes");
}

Distributed::~Distributed() = default;

void Distributed::allReduceSum(torch::Tensor&, const char* what) {
  throw DistributedError(std::string("no process group (built without Gloo) for ") + what);
}

void Distributed::broadcast(const std::vector<torch::Tensor>&, const char* what) {
  throw DistributedError(std::string("no process group (built without Gloo) for ") + what);
}

void Distributed::allReduceGradients(const std::vector<torch::Tensor>&, std::int64_t) {
  throw DistributedError("no process group (built without Gloo) for the gradients");
}
#endif

bool Distributed::anyRank(bool flag) {
  auto t = torch::full({1}, flag ? 1.0 : 0.0, torch::kDouble);
  allReduceSum(t, "the stop flags");
  return t.item<double>() > 0;
}

}  // namespace tb
