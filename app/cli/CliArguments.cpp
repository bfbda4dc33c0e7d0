// Parsing of thoughtbench-cli arguments.
#include "app/cli/CliArguments.h"

#include <algorithm>

#include "core/Error.h"

namespace tb::cli {

CliArguments::CliArguments(int argc, char** argv, int first, const std::vector<std::string>& flags) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
      value = "true";
    } else {
      if (i + 1 >= argc) failInput("option --", name, " needs a value");
      value = argv[++i];
    }
    options_.emplace(name, value);
  }
}

std::string CliArguments::positional(size_t index, const char* what) const {
  if (index >= positionals_.size()) failInput("missing ", what);
  return positionals_[index];
}

bool CliArguments::flag(const std::string& name) const { return options_.count(name) > 0; }

std::optional<std::string> CliArguments::value(const std::string& name) const {
  auto range = options_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;  // the last one wins
}

std::vector<std::string> CliArguments::values(const std::string& name) const {
  std::vector<std::string> out;
  auto range = options_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

int CliArguments::intValue(const std::string& name, int fallback) const {
  auto v = value(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used == v->size()) return n;
  } catch (const std::logic_error&) {
  }
  failInput("option --", name, ": expected an integer, got '", *v, "'");
}

void CliArguments::allowOnly(const std::vector<std::string>& known) const {
  for (const auto& [name, _] : options_)
    if (std::find(known.begin(), known.end(), name) == known.end())
      failInput("unknown option --", name);
}

}  // namespace tb::cli
