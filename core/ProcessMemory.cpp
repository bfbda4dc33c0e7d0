#include "core/ProcessMemory.h"

#include <cstdlib>
#include <fstream>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tb {

bool configureProcessMemory() {
#if defined(__GLIBC__)
  bool applied = false;
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) applied |= mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) applied |= mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  return applied;
#else
  return false;
#endif
}

void resetPeakResidentBytes() {
  std::ofstream clear("/proc/self/clear_refs");
  if (clear) clear << "5";  // resets VmHWM to the current resident size; silently absent elsewhere
}

long long peakResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) {
      try {
        return std::stoll(line.substr(6)) * 1024;  // "VmHWM:   123456 kB"
      } catch (const std::exception&) {
        return -1;
      }
    }
  return -1;
}

}  // namespace tb
