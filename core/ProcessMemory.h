#pragma once
// Process-wide memory settings for the programs (thoughtbench, thoughtbench-cli), called first
// thing in main(), and the peak resident memory that training reports.
//
// Why: LibTorch's CPU tensors come from glibc's malloc. A training step or a rollout frees and
// re-allocates the same few-MB activations every step; with glibc's defaults freed memory at the
// top of the heap is handed back to the kernel (trim) and the next allocation page-faults it in
// again and zeroes it: 4-5 % of a `bench train-step` on 1 thread in a perf profile (page faults,
// clear_page). Keeping freed memory in the process (trim threshold 1 GiB; mmap only above 32 MiB,
// the largest threshold glibc accepts, so that mid-sized tensors are heap memory that is reused)
// removes that: docs/PERFORMANCE.md, "Keeping freed memory". The environment variables
// MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ still win when set.
namespace tb {

// Applies the settings above (glibc only; a no-op elsewhere). Returns whether they were applied.
bool configureProcessMemory();

// The process's resident memory at its highest since the last reset (Linux: VmHWM of
// /proc/self/status, reset by writing 5 to /proc/self/clear_refs), in bytes; -1 where unknown.
// Training logs it per iteration as memory/peak_rss_mb. Process-wide: in the GUI it includes the
// window's own memory.
void resetPeakResidentBytes();
long long peakResidentBytes();

}  // namespace tb
