#pragma once
// Peak bytes of the CPU tensors allocated while a meter is alive.
//
// Why: LibTorch 1.13's CPU allocator keeps no statistics, and process RSS (/proc/self/status
// VmHWM) mixes in code pages, malloc's retained arenas and everything else in the process. The
// meter installs, for its lifetime, a CPU allocator that forwards to the one in place and counts
// the bytes it hands out (current and peak, atomics); a tensor freed after the meter ends is still
// subtracted. It measures requested tensor bytes (no malloc rounding, no non-tensor buffers such
// as BLAS workspaces), which is what a fused kernel changes. Process-wide: torch work on other
// threads during the measurement is counted too. Meters do not nest.
#include <cstdint>

namespace tb {

class CpuAllocationMeter {
 public:
  CpuAllocationMeter();  // installs the counting allocator; the peak starts at the current bytes
  ~CpuAllocationMeter();  // puts the previous allocator back
  CpuAllocationMeter(const CpuAllocationMeter&) = delete;
  CpuAllocationMeter& operator=(const CpuAllocationMeter&) = delete;

  bool active() const { return active_; }  // false when the allocator could not be installed
  // Bytes allocated since construction and not yet freed, and the highest that has been.
  int64_t currentBytes() const;
  int64_t peakBytes() const;

 private:
  bool active_ = false;
  void* previous_ = nullptr;
  int64_t baseline_ = 0;  // counted bytes of earlier meters' tensors still alive at construction
};

}  // namespace tb
