// Tree of thought (Yao et al. 2023, "Tree of Thoughts: Deliberate Problem Solving with Large
// Language Models"): BFS keeps the best `beam_width` states per depth valued at least
// `value_threshold`; DFS follows the most valuable child first, prunes children valued below the
// threshold, and stops at the first correct terminal or after `simulations` expansions.
// A node's visits are 1 once it has been expanded; its value is V0 (SearchUtil.h).
#include <algorithm>

#include "core/search/Search.h"
#include "core/search/SearchUtil.h"

namespace tb {

namespace {

using search_internal::TreeGrower;

ReasoningTree depthFirst(SearchSpace& space, const SearchOptions& options) {
  options.validate();
  TreeGrower g(space, options, "dfs");
  g.addRoot();
  ReasoningTree& tree = g.tree;
  std::vector<int> stack{0};
  int found = -1;
  // One iteration per expansion.
  for (int expansions = 0; expansions < options.simulations && !stack.empty() && found < 0 && !g.full();
       ++expansions) {
    const int id = stack.back();
    stack.pop_back();
    tree.nodes[id].stats.visits = 1;
    g.touch(id);
    const auto candidates = space.expand(g.stepsTo(id), options.branching);
    std::vector<int> children;
    if (candidates.empty()) {
      g.markDeadEnd(id);
      if (tree.nodes[id].correct) found = id;
    } else {
      children = g.addChildren(id, candidates);
      g.evaluatePending();
    }
    for (int c : children)
      if (tree.nodes[c].correct) {
        found = c;
        break;
      }
    // Most valuable first (ties: higher summed log-prob, then the earlier child); pushed in reverse
    // so that it is popped first.
    std::vector<int> keep;
    for (int c : children)
      if (!tree.nodes[c].terminal && g.v0(c) >= options.valueThreshold) keep.push_back(c);
    std::stable_sort(keep.begin(), keep.end(), [&](int a, int b) {
      if (g.v0(a) != g.v0(b)) return g.v0(a) > g.v0(b);
      return g.pathLogProb(a) > g.pathLogProb(b);
    });
    stack.insert(stack.end(), keep.rbegin(), keep.rend());
    g.endIteration();
  }
  g.choose(found >= 0 ? found : g.bestLeaf());
  return std::move(g.tree);
}

}  // namespace

ReasoningTree treeOfThought(SearchSpace& space, const SearchOptions& options, bool depthFirstSearch) {
  if (depthFirstSearch) return depthFirst(space, options);
  return search_internal::levelSearch(space, options, "bfs", options.beamWidth, options.valueThreshold);
}

}  // namespace tb
