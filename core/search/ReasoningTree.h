#pragma once
// A reasoning tree: what a search explored (MCTS, beam, tree-of-thought, best-of-N) or what a
// sampling algorithm drew for one problem (its group of completions merged into a prefix tree over
// steps). Nodes are states; the edge into a node is the step that produced it. The root is the
// problem with no step taken.
//
// Growth can be replayed: every node records the search iteration that created it, and `history`
// holds, for every iteration, the statistics of the nodes that iteration changed (MCTS backs up
// along one path, so the history is O(iterations x depth), not O(iterations x nodes)).
// statsAt(i) rebuilds the statistics of every node as they were after iteration i.
//
// Torch-free: the store, the CLI's JSON export and the widgets use it without LibTorch.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb {

struct NodeStats {
  int visits = 0;     // N: times a search passed through the node (trajectory trees: trajectories)
  double value = 0;   // V: the node's value (MCTS: visit-weighted mean Q of its children, or its
                      // initial estimate before any child was visited; beam/ToT: the evaluator's)
  double q = 0;       // Q of the edge into the node: reward + discount * value
};

struct TreeNode {
  int id = 0;                 // index in ReasoningTree::nodes
  int parent = -1;            // -1 for the root
  std::vector<int> children;  // in creation order
  std::string step;           // text of the step into this node ("" for the root)
  std::string state;          // readable state (Task::describeState, or the text so far)
  int depth = 0;              // steps from the root
  NodeStats stats;            // final statistics
  double reward = 0;          // reward of the edge into the node (MCTS-DPO: V0(node) - V0(parent))
  double prior = 0;           // P(step | parent) the search used (normalised over siblings)
  double logProb = 0;         // the policy's summed token log-prob of the step (0 if unknown)
  double logFlow = std::numeric_limits<double>::quiet_NaN();  // GFlowNet log F(s) (FoR), NaN if none
  bool terminal = false;      // the episode ends here (answer given, no legal step, or depth limit)
  bool correct = false;       // terminal and verified correct
  int createdAt = 0;          // search iteration that added the node (0 = before the first)
  nlohmann::json extra;       // anything else a producer wants shown (kept by the JSON round-trip)
};

// Statistics changed by one iteration of a search.
struct TreeIteration {
  std::vector<std::pair<int, NodeStats>> changes;  // (node id, stats after the iteration)
};

struct ReasoningTree {
  std::string kind;        // mcts | beam | bfs | dfs | best_of_n | samples | imported
  std::string task;        // task name ("" when unknown, e.g. imported)
  std::string problemId;
  std::string prompt;
  std::string label;       // what produced it, for display ("grpo, iteration 12", "mcts 64 sims")
  nlohmann::json params;   // the search's or the sampler's parameters
  std::vector<TreeNode> nodes;     // nodes[0] is the root; a parent always precedes its children
  std::vector<int> chosenPath;     // node ids from the root to the answer the search chose
  std::vector<TreeIteration> history;  // one entry per search iteration (may be empty)

  // Adds a child of `parent` (or the root when the tree is empty and parent == -1) and returns its
  // id; fills id, parent, depth and the parent's children list.
  int addNode(TreeNode node);
  const TreeNode& root() const { return nodes.front(); }
  int size() const { return static_cast<int>(nodes.size()); }
  int iterations() const { return static_cast<int>(history.size()); }

  // Statistics of every node after iteration `iteration` (0 = before the first iteration:
  // all zero; iterations() = final). Nodes created later than `iteration` are reported as not
  // present in `present`.
  std::vector<NodeStats> statsAt(int iteration, std::vector<bool>* present = nullptr) const;

  // Node ids from the root to `id`.
  std::vector<int> pathTo(int id) const;
  // The full text of the steps from the root to `id`, joined by '\n'.
  std::string textTo(int id) const;
  int maxDepth() const;

  // Throws InputError naming the node and what is wrong: ids not equal to their index, a parent
  // that does not precede its child, children lists that disagree with parents, a chosen path that
  // is not a root-to-node path, history entries naming missing nodes, non-finite statistics.
  void validate() const;
};

}  // namespace tb
