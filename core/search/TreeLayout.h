#pragma once
// TreeLayout: a tidy layered drawing of a ReasoningTree (Walker's algorithm in linear time, as
// corrected by Buchheim, Juenger & Leipert 2002). A node's depth is its layer (y); nodes of one
// layer keep at least the sibling separation between them; a parent sits centred over its first
// and last child; isomorphic subtrees are drawn alike. Collapsed nodes hide their subtrees and a
// visibility mask hides nodes (the ones a replayed iteration has not created yet); the layout is
// computed over what stays visible, so hidden subtrees leave no gaps.
//
// Linear time, no recursion (10,000-deep chains are fine): nodes precede their children in a
// ReasoningTree, so descending ids is a post-order and ascending ids a pre-order.
//
// Pure C++ without Qt, so that the CLI can benchmark it.
#include <cstdint>
#include <vector>

#include "core/search/ReasoningTree.h"

namespace tb {

struct TreeLayoutOptions {
  double siblingSeparation = 1.0;  // centre-to-centre distance of neighbouring siblings
  double subtreeSeparation = 1.0;  // ... of neighbouring nodes with different parents (cousins)
  double levelSeparation = 1.0;    // y distance between consecutive depths
  std::vector<bool> collapsed;     // by node id (may be shorter than the tree: the rest is expanded)
  std::vector<bool> mask;          // by node id: false hides the node and its subtree (empty: all)
};

struct TreeLayoutResult {
  std::vector<double> x, y;         // by node id (0 for hidden nodes)
  std::vector<bool> visible;        // drawn: masked in, and no ancestor collapsed or masked out
  std::vector<int> hiddenBelow;     // masked-in descendants a collapsed visible node hides (else 0)
  std::vector<bool> hasChildren;    // has masked-in children (whether or not collapsed)
  int visibleCount = 0;
  double minX = 0, maxX = 0, minY = 0, maxY = 0;  // bounding box of the visible nodes' centres
  bool empty() const { return visibleCount == 0; }
};

// Lays out every node reachable from the root through visible, expanded nodes. An empty tree
// gives an empty result; the root is always visible in a non-empty one.
TreeLayoutResult layoutTree(const ReasoningTree& tree, const TreeLayoutOptions& options = {});

// A random MCTS-like tree of `nodes` nodes (at least 1) for benchmarks and demos, the same for the
// same seed: recent nodes are likelier parents (so the tree is deep as well as wide), with
// plausible statistics, step texts, terminals and a chosen path to the most visited leaf.
ReasoningTree randomTree(int nodes, std::uint64_t seed);

}  // namespace tb
