// The NCCL process group for ranks whose policies live on distinct GPUs (docs/DISTRIBUTED.md).
// Compiled only when CMake finds a CUDA LibTorch and nccl.h (THOUGHTBENCH_NCCL, core/CMakeLists.txt).
#include "core/engine/CollectiveGroup.h"

#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

namespace tb {

c10::intrusive_ptr<CollectiveGroup> makeNcclGroup(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world,
                                                  int device, std::chrono::milliseconds timeout) {
  // NCCL binds its communicator to the current device when the first collective runs.
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world, options);
}

}  // namespace tb
