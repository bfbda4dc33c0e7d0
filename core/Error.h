#pragma once
// Errors by layer: user input (configs, datasets, databases, checkpoints) raises tb::InputError
// with a message that names the file, field or value and what was expected; broken invariants
// raise tb::InternalError via TB_CHECK with both sides printed. Callers at the edges (CLI main,
// Qt slots, the engine thread) catch std::exception and turn it into a message or a failed run.
#include <sstream>
#include <stdexcept>
#include <string>

namespace tb {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {
template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}
}  // namespace detail

template <typename... Parts>
[[noreturn]] void failInput(const Parts&... parts) {
  throw InputError(detail::concat(parts...));
}

}  // namespace tb

#define TB_CHECK(cond, ...)                                                               \
  do {                                                                                    \
    if (!(cond))                                                                          \
      throw ::tb::InternalError(::tb::detail::concat(__FILE__, ":", __LINE__, ": check '", \
                                                     #cond, "' failed: ", __VA_ARGS__));  \
  } while (0)
