#include "core/ProcessMemory.h"

#include <cstdlib>

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

}  // namespace tb
