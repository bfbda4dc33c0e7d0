#pragma once
// Command-line arguments of thoughtbench-cli: positionals and --options (`--key value`,
// `--key=value`, repeatable `--set key=value`), with errors that name the option.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::cli {

class CliArguments {
 public:
  // `flags` are options without a value (e.g. "json", "csv").
  CliArguments(int argc, char** argv, int first, const std::vector<std::string>& flags);

  const std::vector<std::string>& positionals() const { return positionals_; }
  std::string positional(size_t index, const char* what) const;  // throws InputError if missing
  bool flag(const std::string& name) const;
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;  // repeatable options
  int intValue(const std::string& name, int fallback) const;
  // Throws InputError for any option not in `known` (flags included).
  void allowOnly(const std::vector<std::string>& known) const;

 private:
  std::vector<std::string> positionals_;
  std::multimap<std::string, std::string> options_;
};

}  // namespace tb::cli
