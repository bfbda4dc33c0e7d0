// Shared task helpers: split names and the lookup of the bundled dataset directory.
#include "core/tasks/Task.h"

#include <cstdint>
#include <cstdio>
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

namespace tb {

std::vector<std::string> Task::legalSteps(const Problem&, const std::vector<std::string>&) const { return {}; }

bool Task::isTerminal(const Problem&, const std::vector<std::string>&) const { return true; }

std::string Task::describeState(const Problem& problem, const std::vector<std::string>& steps) const {
  std::string out = problem.prompt;
  for (const auto& s : steps) out += s + "\n";
  return out;
}

std::string Task::finalAnswer(const Problem&, const std::string& completion) const {
  const auto steps = splitSteps(completion);
  if (steps.empty()) return "";
  std::string last = steps.back();
  if (auto eq = last.rfind('='); eq != std::string::npos) last = last.substr(eq + 1);
  if (auto remark = last.find(" ("); remark != std::string::npos) last = last.substr(0, remark);
  const auto b = last.find_first_not_of(' '), e = last.find_last_not_of(' ');
  return b == std::string::npos ? "" : last.substr(b, e - b + 1);
}

std::string stableHash(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a, 64 bit
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

std::vector<std::string> splitSteps(const std::string& completion) {
  std::vector<std::string> steps;
  size_t start = 0;
  while (start <= completion.size()) {
    size_t end = completion.find('\n', start);
    if (end == std::string::npos) end = completion.size();
    std::string line = completion.substr(start, end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) line.pop_back();
    if (!line.empty()) steps.push_back(std::move(line));
    start = end + 1;
  }
  return steps;
}

}  // namespace tb
