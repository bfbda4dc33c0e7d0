// Training targets from search trees: MCTS-DPO step-level preference pairs (Xie et al. 2024) and
// ReST-MCTS* inferred value targets (Zhang et al. 2024). Formulas in Search.h.
#include <algorithm>
#include <limits>

#include "core/search/Search.h"

namespace tb {

std::vector<StepPreference> siblingPreferencePairs(const ReasoningTree& tree, double minGap) {
  std::vector<StepPreference> pairs;
  for (int parent : tree.chosenPath) {
    const auto& children = tree.nodes[parent].children;
    if (children.size() < 2) continue;
    // The earlier child wins ties on either side, so equal Qs never pair a node with itself.
    int best = children.front(), worst = children.front();
    for (int c : children) {
      if (tree.nodes[c].stats.q > tree.nodes[best].stats.q) best = c;
      if (tree.nodes[c].stats.q < tree.nodes[worst].stats.q) worst = c;
    }
    const double gap = tree.nodes[best].stats.q - tree.nodes[worst].stats.q;
    if (best == worst || gap < minGap) continue;
    pairs.push_back({parent, best, worst});
  }
  return pairs;
}

std::vector<double> inferredValueTargets(const ReasoningTree& tree) {
  const int n = tree.size();
  constexpr int kNone = std::numeric_limits<int>::max();
  // Steps to the nearest correct leaf of each subtree; children follow parents, so one reverse pass.
  std::vector<int> toCorrect(n, kNone);
  for (int id = n - 1; id >= 0; --id) {
    const TreeNode& node = tree.nodes[id];
    if (node.correct) toCorrect[id] = 0;  // correct implies terminal: a leaf of the episode
    if (id > 0 && toCorrect[id] != kNone)
      toCorrect[node.parent] = std::min(toCorrect[node.parent], toCorrect[id] + 1);
  }
  if (n == 0 || toCorrect[0] == kNone) return {};

  // remaining(s) falls back to the parent's: a wrong step does not shorten the way.
  std::vector<int> remaining(n);
  std::vector<double> v(n, 0.0);
  remaining[0] = toCorrect[0];
  for (int id = 1; id < n; ++id) {
    const int parent = tree.nodes[id].parent;
    const bool holdsCorrect = toCorrect[id] != kNone;
    remaining[id] = holdsCorrect ? toCorrect[id] : remaining[parent];
    const double r = holdsCorrect ? 1.0 : -1.0;
    const double m = 1.0 + remaining[id];
    v[id] = std::max(0.0, v[parent] + (1.0 - v[parent]) * r / m);
  }
  return v;
}

}  // namespace tb
