// Shared task helpers: split names and the lookup of the bundled dataset directory.
#include "core/tasks/Task.h"

#include <cstdlib>
#include <filesystem>

#ifndef THOUGHTBENCH_SOURCE_RESOURCES
#define THOUGHTBENCH_SOURCE_RESOURCES "resources"
#endif

namespace tb {

const char* splitName(Split split) {
  switch (split) {
    case Split::Train: return "train";
    case Split::Test: return "test";
  }
  return "?";
}

std::string datasetDirectory() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("THOUGHTBENCH_DATA_DIR"); env && *env) return env;
  // Installed layout: <prefix>/bin/thoughtbench next to <prefix>/share/thoughtbench/datasets.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path() / ".." / "share" / "thoughtbench" / "datasets";
    if (fs::is_directory(installed, ec)) return installed.lexically_normal().string();
  }
  return std::string(THOUGHTBENCH_SOURCE_RESOURCES) + "/datasets";
}

}  // namespace tb
