// Beam search over reasoning steps, and the level-by-level loop it shares with tree-of-thought BFS.
// A node's visits are 1 once it has been expanded (0 for pruned or unexpanded nodes); its value is
// V0 (SearchUtil.h).
#include <algorithm>
#include <limits>

#include "core/search/Search.h"
#include "core/search/SearchUtil.h"

namespace tb {

namespace search_internal {

ReasoningTree levelSearch(SearchSpace& space, const SearchOptions& options, const std::string& kind, int width,
                          double threshold) {
  options.validate();
  TreeGrower g(space, options, kind);
  g.addRoot();
  ReasoningTree& tree = g.tree;
  std::vector<int> beam{0};
  while (!beam.empty() && !g.full()) {
    std::vector<std::vector<std::string>> states;
    for (int id : beam) states.push_back(g.stepsTo(id));
    const auto expansions = space.expandMany(states, options.branching);
    TB_CHECK(expansions.size() == beam.size(), "expandMany returned ", expansions.size(), " lists for ",
             beam.size(), " states");
    std::vector<int> children;
    for (size_t i = 0; i < beam.size(); ++i) {
      tree.nodes[beam[i]].stats.visits = 1;
      g.touch(beam[i]);
      if (expansions[i].empty()) {
        g.markDeadEnd(beam[i]);
        continue;
      }
      for (int c : g.addChildren(beam[i], expansions[i])) children.push_back(c);
    }
    g.evaluatePending();

    std::vector<int> next;
    for (int c : children)
      if (!tree.nodes[c].terminal && g.v0(c) >= threshold) next.push_back(c);
    // Ids ascend, so a stable sort keeps the earlier node first on a full tie.
    std::stable_sort(next.begin(), next.end(), [&](int a, int b) {
      if (g.v0(a) != g.v0(b)) return g.v0(a) > g.v0(b);
      return g.pathLogProb(a) > g.pathLogProb(b);
    });
    if (static_cast<int>(next.size()) > width) next.resize(width);
    beam = std::move(next);
    g.endIteration();
  }
  g.choose(g.bestLeaf());
  return std::move(g.tree);
}

}  // namespace search_internal

ReasoningTree beamSearch(SearchSpace& space, const SearchOptions& options) {
  return search_internal::levelSearch(space, options, "beam", options.beamWidth,
                                      -std::numeric_limits<double>::infinity());
}

}  // namespace tb
