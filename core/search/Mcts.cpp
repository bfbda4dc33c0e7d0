// Monte Carlo tree search over reasoning steps (MCTS-DPO, Xie et al. 2024; PUCT as in AlphaZero).
// Formulas in Search.h; shared node conventions in SearchUtil.h.
#include <cmath>
#include <limits>

#include "core/search/Search.h"
#include "core/search/SearchUtil.h"

namespace tb {

namespace {

using search_internal::TreeGrower;

// PUCT: Q(c) + c_puct P(c) sqrt(N(s)) / (1 + N(c)).
// UCT:  Q(c) + c_uct sqrt(ln N(s) / N(c)), an unvisited child first (highest prior, then the
//       earliest). Ties go to the earlier child.
int selectChild(const ReasoningTree& tree, int id, const SearchOptions& options) {
  const TreeNode& node = tree.nodes[id];
  const double parentVisits = node.stats.visits;
  const bool uct = options.selection == "uct";
  int best = -1;
  if (uct) {
    for (int c : node.children)
      if (tree.nodes[c].stats.visits == 0 && (best < 0 || tree.nodes[c].prior > tree.nodes[best].prior)) best = c;
    if (best >= 0) return best;
  }
  double bestScore = -std::numeric_limits<double>::infinity();
  for (int c : node.children) {
    const NodeStats& s = tree.nodes[c].stats;
    const double bonus = uct ? options.exploration * std::sqrt(std::log(std::max(1.0, parentVisits)) / s.visits)
                             : options.exploration * tree.nodes[c].prior * std::sqrt(parentVisits) / (1.0 + s.visits);
    const double score = s.q + bonus;
    if (best < 0 || score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

// V(s) = sum_c N(c) Q(c) / sum_c N(c) over visited children, V0(s) when none was visited.
double valueOf(const TreeGrower& g, int id) {
  const TreeNode& node = g.tree.nodes[id];
  double weighted = 0;
  int visits = 0;
  for (int c : node.children) {
    const NodeStats& s = g.tree.nodes[c].stats;
    weighted += s.visits * s.q;
    visits += s.visits;
  }
  return visits > 0 ? weighted / visits : g.v0(id);
}

// Most visited child (ties: higher Q, then the earlier child) down to a leaf.
std::vector<int> mostVisitedPath(const ReasoningTree& tree) {
  std::vector<int> path{0};
  for (int id = 0; !tree.nodes[id].children.empty();) {
    int best = -1;
    for (int c : tree.nodes[id].children) {
      const NodeStats& s = tree.nodes[c].stats;
      if (best < 0 || s.visits > tree.nodes[best].stats.visits ||
          (s.visits == tree.nodes[best].stats.visits && s.q > tree.nodes[best].stats.q))
        best = c;
    }
    path.push_back(id = best);
  }
  return path;
}

}  // namespace

ReasoningTree monteCarloTreeSearch(SearchSpace& space, const SearchOptions& options) {
  options.validate();
  TreeGrower g(space, options, "mcts");
  g.addRoot();
  ReasoningTree& tree = g.tree;
  for (int sim = 0; sim < options.simulations; ++sim) {
    // Selection: descend while the node has children (terminals have none, so a re-selected
    // terminal ends the descent and is simply backed up again).
    std::vector<int> path{0};
    int leaf = 0;
    while (!tree.nodes[leaf].children.empty()) {
      leaf = selectChild(tree, leaf, options);
      path.push_back(leaf);
    }
    // Expansion: every candidate becomes a child, evaluated in one batch. Its children are
    // unvisited, so the leaf's V stays V0 until one of them is selected.
    if (!tree.nodes[leaf].terminal && tree.nodes[leaf].depth < options.maxDepth && !g.full()) {
      const auto candidates = space.expand(g.stepsTo(leaf), options.branching);
      if (candidates.empty()) {
        g.markDeadEnd(leaf);
      } else {
        g.addChildren(leaf, candidates);
        g.evaluatePending();
      }
    }
    // Backup: N += 1 along the path, V and Q recomputed bottom-up.
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      NodeStats& s = tree.nodes[*it].stats;
      s.visits += 1;
      s.value = valueOf(g, *it);
      s.q = g.qOf(*it, s.value);
      g.touch(*it);
    }
    g.endIteration();
  }
  tree.chosenPath = mostVisitedPath(tree);
  return std::move(g.tree);
}

}  // namespace tb
