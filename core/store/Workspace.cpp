// Default workspace location (XDG base directories).
#include "core/store/Workspace.h"

#include <cstdlib>

namespace tb {

std::string defaultWorkspacePath() {
  if (const char* explicitPath = std::getenv("THOUGHTBENCH_WORKSPACE"); explicitPath && *explicitPath)
    return explicitPath;
  std::string base;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) base = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home) base = std::string(home) + "/.local/share";
  else base = ".";
  return base + "/thoughtbench/workspace.sqlite";
}

}  // namespace tb
