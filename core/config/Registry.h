#pragma once
// Registries by name (as OpenSpiel registers games): tasks, algorithms and later searchers and
// exporters register an entry from their own .cpp with a static TB_REGISTER object. The core
// libraries are linked whole-archive so the linker keeps those objects (see core/CMakeLists.txt).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/Error.h"

namespace tb {

template <typename Entry>
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }
  void add(Entry entry) {
    const std::string name = entry.name;
    TB_CHECK(!entries_.count(name), "duplicate registry entry ", name);
    entries_.emplace(name, std::move(entry));
  }
  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }
  // Throws InputError naming the kind, the unknown name and the known ones.
  const Entry& at(const std::string& name, const char* kind) const {
    if (const Entry* e = find(name)) return *e;
    std::string known;
    for (const auto& [n, _] : entries_) {
      if (!known.empty()) known += ", ";
      known += n;
    }
    failInput("unknown ", kind, " '", name, "' (known: ", known, ")");
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [n, _] : entries_) out.push_back(n);
    return out;
  }
  std::vector<const Entry*> all() const {
    std::vector<const Entry*> out;
    for (const auto& [_, e] : entries_) out.push_back(&e);
    return out;
  }

 private:
  std::map<std::string, Entry> entries_;
};

template <typename Entry>
struct Registration {
  explicit Registration(Entry entry) { Registry<Entry>::instance().add(std::move(entry)); }
};

}  // namespace tb
