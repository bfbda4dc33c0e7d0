#pragma once
// The c10d process-group type that Gloo and NCCL both implement: c10d::ProcessGroup in LibTorch 1.x,
// c10d::Backend in 2.x. Included by engine/Distributed.cpp and engine/nccl/ only (c10d headers).
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/version.h>

#include <chrono>

#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
namespace tb {
using CollectiveGroup = c10d::Backend;
}
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
namespace tb {
using CollectiveGroup = c10d::ProcessGroup;
}
#endif

namespace tb {

// An NCCL process group whose rank works on cuda:`device` (engine/nccl/NcclProcessGroup.cpp; only
// in builds with TB_HAVE_NCCL). Collectives time out after `timeout`.
c10::intrusive_ptr<CollectiveGroup> makeNcclGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
                                                  int device, std::chrono::milliseconds timeout);

}  // namespace tb
