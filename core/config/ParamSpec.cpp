// ParamSpec: construction helpers, coercion of JSON values and parsing of command-line text.
#include "core/config/ParamSpec.h"

#include <cmath>
#include <sstream>

#include "core/Error.h"

namespace tb {

const char* paramTypeName(ParamType type) {
  switch (type) {
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::Bool: return "bool";
    case ParamType::String: return "string";
    case ParamType::Choice: return "choice";
  }
  return "?";
}

ParamSpec ParamSpec::integer(std::string key, long long def, std::optional<double> lo,
                             std::optional<double> hi, std::string help) {
  return ParamSpec{std::move(key), ParamType::Int, def, lo, hi, {}, std::move(help)};
}
ParamSpec ParamSpec::real(std::string key, double def, std::optional<double> lo,
                          std::optional<double> hi, std::string help) {
  return ParamSpec{std::move(key), ParamType::Float, def, lo, hi, {}, std::move(help)};
}
ParamSpec ParamSpec::boolean(std::string key, bool def, std::string help) {
  return ParamSpec{std::move(key), ParamType::Bool, def, {}, {}, {}, std::move(help)};
}
ParamSpec ParamSpec::text(std::string key, std::string def, std::string help) {
  return ParamSpec{std::move(key), ParamType::String, def, {}, {}, {}, std::move(help)};
}
ParamSpec ParamSpec::file(std::string key, std::string def, std::string filter, std::string help) {
  ParamSpec spec = text(std::move(key), std::move(def), std::move(help));
  spec.path = PathKind::File;
  spec.pathFilter = std::move(filter);
  return spec;
}
ParamSpec ParamSpec::folder(std::string key, std::string def, std::string help) {
  ParamSpec spec = text(std::move(key), std::move(def), std::move(help));
  spec.path = PathKind::Folder;
  return spec;
}
ParamSpec ParamSpec::choice(std::string key, std::string def, std::vector<std::string> choices,
                            std::string help) {
  return ParamSpec{std::move(key), ParamType::Choice, def, {}, {}, std::move(choices), std::move(help)};
}

static std::string formatNumber(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string ParamSpec::expected() const {
  std::string range;
  if (min && max) range = " in [" + formatNumber(*min) + ", " + formatNumber(*max) + "]";
  else if (min) range = " >= " + formatNumber(*min);
  else if (max) range = " <= " + formatNumber(*max);
  switch (type) {
    case ParamType::Int: return "an integer" + range;
    case ParamType::Float: return "a number" + range;
    case ParamType::Bool: return "true or false";
    case ParamType::String: return "a string";
    case ParamType::Choice: {
      std::string list;
      for (const auto& c : choices) {
        if (!list.empty()) list += ", ";
        list += c;
      }
      return "one of: " + list;
    }
  }
  return "?";
}

nlohmann::json ParamSpec::coerce(const nlohmann::json& value) const {
  auto bad = [&]() -> nlohmann::json {
    failInput("parameter '", key, "': got ", value.dump(), ", expected ", expected());
  };
  auto checkRange = [&](double v) {
    if (!std::isfinite(v) || (min && v < *min) || (max && v > *max)) bad();
  };
  switch (type) {
    case ParamType::Int: {
      if (value.is_number_integer()) {
        checkRange(value.get<double>());
        return value.get<long long>();
      }
      if (value.is_number_float()) {
        double v = value.get<double>();
        if (std::floor(v) != v) bad();
        checkRange(v);
        return static_cast<long long>(v);
      }
      return bad();
    }
    case ParamType::Float: {
      if (!value.is_number()) return bad();
      double v = value.get<double>();
      checkRange(v);
      return v;
    }
    case ParamType::Bool:
      if (!value.is_boolean()) return bad();
      return value;
    case ParamType::String:
      if (!value.is_string()) return bad();
      return value;
    case ParamType::Choice: {
      if (!value.is_string()) return bad();
      for (const auto& c : choices)
        if (c == value.get<std::string>()) return value;
      return bad();
    }
  }
  return bad();
}

nlohmann::json ParamSpec::parse(const std::string& text) const {
  auto bad = [&]() -> nlohmann::json {
    failInput("parameter '", key, "': got '", text, "', expected ", expected());
  };
  switch (type) {
    case ParamType::Int: {
      try {
        size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used != text.size()) return bad();
        return coerce(v);
      } catch (const std::logic_error&) {  // invalid_argument / out_of_range from stoll
        return bad();
      }
    }
    case ParamType::Float: {
      try {
        size_t used = 0;
        double v = std::stod(text, &used);
        if (used != text.size()) return bad();
        return coerce(v);
      } catch (const std::logic_error&) {
        return bad();
      }
    }
    case ParamType::Bool:
      if (text == "true" || text == "1" || text == "on" || text == "yes") return true;
      if (text == "false" || text == "0" || text == "off" || text == "no") return false;
      return bad();
    case ParamType::String: return text;
    case ParamType::Choice: return coerce(text);
  }
  return bad();
}

nlohmann::json ParamSpec::toJson() const {
  nlohmann::json out{{"key", key}, {"type", paramTypeName(type)}, {"default", defaultValue},
                     {"help", help}};
  if (min) out["min"] = *min;
  if (max) out["max"] = *max;
  if (!choices.empty()) out["choices"] = choices;
  if (path != PathKind::None) out["path"] = path == PathKind::File ? "file" : "folder";
  if (!pathFilter.empty()) out["path_filter"] = pathFilter;
  return out;
}

}  // namespace tb
