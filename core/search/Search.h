#pragma once
// Tree searches over reasoning steps. Each returns a ReasoningTree with the statistics of every
// node, the growth history (one TreeIteration per search iteration) and the chosen path.
//
// MCTS (as in MCTS-DPO, Xie et al. 2024, "Monte Carlo Tree Search Boosts Reasoning via Iterative
// Preference Learning", and AlphaZero's PUCT):
//   every node s has an initial value V0(s): +1 / -1 for a correct / wrong terminal (verifier),
//     SearchSpace::evaluate for others (the root included);
//   the edge into s has reward r(s) = V0(s) - V0(parent(s)) and Q(s) = r(s) + gamma * V(s), where
//     V(s) = sum_c N(c) Q(c) / sum_c N(c) over the visited children c of s, or V0(s) when none was
//     visited;
//   selection from the root while the node has children: argmax over children c of
//     PUCT: Q(c) + c_puct * P(c) * sqrt(N(s)) / (1 + N(c))
//     UCT:  Q(c) + c_uct * sqrt(ln N(s) / N(c)), an unvisited child first (in prior order);
//   expansion of the selected leaf (not terminal, depth < max_depth): `branching` candidate steps,
//     prior P(c) = p(c) / sum p, p = exp(logProb / tokens^1.25) (MCTS-DPO's length-normalised
//     policy prior), each child evaluated (V0) in one batch;
//   backup: N += 1 for every node on the path, and V recomputed bottom-up.
//   A node at max_depth that is not terminal is a leaf that is never expanded (terminal = true,
//   correct = false, V0 from the evaluator).
//   The chosen path follows the most visited child (ties: higher Q) to a leaf.
//   The root has no edge: reward 0, prior 1, and its Q is reported as its V. A node whose expansion
//   yields no candidate becomes a terminal judged by the verifier (V0 = +1 if correct, else -1).
//   History: one iteration per simulation.
//
// Every search fills V0 (extra "v0"), reward = V0 - V0(parent), Q = reward + gamma * V, the prior
// as above, and for verifier terminals extra "task_reward" and "reason" (depth-limit leaves:
// reason "depth limit"). Trees stop growing at 1,000,000 nodes.
//
// Beam search: at each depth every beam state is expanded (`branching` candidates), children are
//   scored by V0 (ties: summed log-prob), the best `beam_width` non-terminal ones form the next beam.
// Tree of thought (Yao et al. 2023): BFS keeps up to `beam_width` states per depth whose value is at
//   least `value_threshold`; DFS explores children in value order, pruning below the threshold,
//   and stops at the first correct terminal or after `simulations` expansions.
//   Beam, BFS, DFS: V = V0, visits = 1 once a node was expanded; one history iteration per depth
//   (beam, BFS: one expandMany and one evaluate call each) or per expansion (DFS). The chosen path
//   ends at the terminal with the highest V0 (ties: summed log-prob; DFS: the correct terminal it
//   stopped at), or at the best leaf when there is no terminal.
// Best-of-N: N independent chains (one candidate per expansion), merged into a prefix tree; the
//   chosen answer is the majority vote over the chains' final answers (SearchSpace::answer), ties
//   broken by the higher reward (the best task reward among the answer's chains). Chains without an
//   answer vote only when no chain has one. visits = chains through the node, V = V0; one history
//   iteration per depth step (one expandMany call for all chains). The root's extra holds "votes"
//   and "answer"; each chain's last node holds "answer" and "task_reward".
#include <string>
#include <vector>

#include "core/search/ReasoningTree.h"
#include "core/search/SearchSpace.h"

namespace tb {

struct SearchOptions {
  std::string method = "mcts";     // mcts | beam | bfs | dfs | best_of_n
  std::string selection = "puct";  // puct | uct (MCTS)
  int simulations = 32;            // MCTS iterations; DFS expansion budget
  int maxDepth = 8;                // steps from the root
  int branching = 4;               // candidate steps per expansion
  double exploration = 1.0;        // c_puct / c_uct
  double discount = 1.0;           // gamma
  int beamWidth = 4;               // beam search, BFS
  double valueThreshold = -1.0;    // BFS/DFS: prune states valued below it
  int samples = 8;                 // best-of-N chains

  // Throws InputError naming the option: simulations, max depth, branching, beam width and samples
  // must be >= 1, discount in (0, 1], exploration >= 0, method and selection known.
  void validate() const;
  nlohmann::json toJson() const;
};

// Runs options.method. The tree's kind, params and prompt are filled; validate() first.
ReasoningTree runSearch(SearchSpace& space, const SearchOptions& options, const std::string& prompt = "");

ReasoningTree monteCarloTreeSearch(SearchSpace& space, const SearchOptions& options);
ReasoningTree beamSearch(SearchSpace& space, const SearchOptions& options);
ReasoningTree treeOfThought(SearchSpace& space, const SearchOptions& options, bool depthFirst);
ReasoningTree bestOfN(SearchSpace& space, const SearchOptions& options);

// ---- training targets from trees ---------------------------------------------------------------

// MCTS-DPO step-level preference pairs: at each node of the chosen path that has at least two
// children, the child with the highest Q against the one with the lowest Q (skipped when the gap is
// below minGap). Both continue the same prefix (the text to `parent`).
struct StepPreference {
  int parent = 0;
  int chosen = 0;
  int rejected = 0;
};
std::vector<StepPreference> siblingPreferencePairs(const ReasoningTree& tree, double minGap = 1e-9);

// ReST-MCTS* (Zhang et al. 2024) inferred value targets, for a tree with at least one correct leaf:
//   r_k = +1 if the subtree of s_k holds a correct leaf, else -1;
//   m_k = 1 + remaining(s_k), remaining(s) = steps from s to the nearest correct leaf of its
//         subtree, or remaining(parent(s)) when it has none (a wrong step does not shorten the way);
//   v_k = max(0, v_parent + (1 - v_parent) * r_k / m_k), v_root = 0.
// Example: correct path m = [3, 2, 1] -> v = [1/3, 2/3, 1]; a failed sibling of step 2 -> 1/9.
// Returns one target per node (the root's is 0); empty when the tree has no correct leaf.
std::vector<double> inferredValueTargets(const ReasoningTree& tree);

}  // namespace tb
