#pragma once
// Self-describing parameters: every run parameter has a dotted key, a type, a default, an allowed
// range or set of choices and a one-line help text. The GUI form, the CLI's --set validation and
// `list ... --json` are all generated from these descriptions.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tb {

enum class ParamType { Int, Float, Bool, String, Choice };
// A String parameter that names a file or a folder (the GUI offers a chooser for it).
enum class PathKind { None, File, Folder };

const char* paramTypeName(ParamType type);

struct ParamSpec {
  std::string key;             // dotted, e.g. "rollout.group_size"
  ParamType type = ParamType::Float;
  nlohmann::json defaultValue; // of the matching JSON type
  std::optional<double> min;   // inclusive bounds for Int/Float
  std::optional<double> max;
  std::vector<std::string> choices;  // for Choice
  std::string help;            // one line, shown as tooltip and in --help
  PathKind path = PathKind::None;  // String only: a file or folder name
  std::string pathFilter;      // File only: a name filter for the chooser, e.g. "CSV files (*.csv)"

  static ParamSpec integer(std::string key, long long def, std::optional<double> lo,
                           std::optional<double> hi, std::string help);
  static ParamSpec real(std::string key, double def, std::optional<double> lo,
                        std::optional<double> hi, std::string help);
  static ParamSpec boolean(std::string key, bool def, std::string help);
  static ParamSpec text(std::string key, std::string def, std::string help);
  // A String parameter naming a file (with an optional chooser filter) or a folder.
  static ParamSpec file(std::string key, std::string def, std::string filter, std::string help);
  static ParamSpec folder(std::string key, std::string def, std::string help);
  static ParamSpec choice(std::string key, std::string def, std::vector<std::string> choices,
                          std::string help);

  // Converts a JSON value to this parameter's type or throws InputError naming the key, the
  // value and what was expected. Ints accept integral floats; Floats accept ints.
  nlohmann::json coerce(const nlohmann::json& value) const;
  // Parses the text of a `key=value` override (e.g. "0.3", "true", "k3").
  nlohmann::json parse(const std::string& text) const;
  // Human-readable description of the accepted values: "integer in [1, 4096]".
  std::string expected() const;
  nlohmann::json toJson() const;
};

}  // namespace tb
