#pragma once
// Fisher-Yates with rng() % n. std::shuffle and the standard distributions differ between
// standard libraries, and a task's split or generated data must be the same wherever a run is
// repeated.
#include <random>
#include <utility>
#include <vector>

namespace tb {

template <typename T>
void portableShuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[static_cast<size_t>(rng() % i)]);
}

}  // namespace tb
