#pragma once
// Internal to the searches (Mcts.cpp, BeamSearch.cpp, TreeOfThought.cpp, BestOfN.cpp): TreeGrower
// builds a ReasoningTree node by node with the conventions every search shares, and records the
// growth history.
//
// Conventions:
//   V0(s): +1 / -1 for a correct / wrong terminal (SearchSpace::verdict), the evaluator's value for
//     every other node (the root and depth-limit leaves included); kept in extra "v0".
//   reward r(s) = V0(s) - V0(parent), 0 for the root (MCTS-DPO's step reward, for every search so
//     that siblingPreferencePairs works on any tree).
//   Q(s) = r(s) + gamma * V(s); the root has no edge, so its Q is reported as its V.
//   prior P(c) = p(c) / sum over siblings p, p = exp(logProb / tokens^1.25) (MCTS-DPO's
//     length-normalised policy prior), computed as a softmax for stability; the root's is 1.
//   A verdict terminal gets extra "task_reward" and "reason"; a depth-limit leaf gets
//     terminal = true, correct = false, reason "depth limit"; a state without candidate steps
//     becomes a terminal judged by its verdict (wrong unless the verifier says correct).
//   History: the stats of every node created or changed in an iteration, recorded at
//     endIteration(), so that statsAt(k) replays the tree exactly.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/search/ReasoningTree.h"
#include "core/search/Search.h"
#include "core/search/SearchSpace.h"

namespace tb::search_internal {

// Stop growing a tree past this many nodes, whatever the options say (memory safety).
constexpr int kMaxTreeNodes = 1'000'000;

inline bool sameStats(const NodeStats& a, const NodeStats& b) {
  return a.visits == b.visits && a.value == b.value && a.q == b.q;
}

class TreeGrower {
 public:
  TreeGrower(SearchSpace& space, const SearchOptions& options, const std::string& kind)
      : space_(space), options_(options) {
    tree.kind = kind;
    tree.params = options.toJson();
  }

  ReasoningTree tree;

  // The root, evaluated on its own (nothing else exists yet to batch it with).
  void addRoot() {
    TreeNode root;
    root.state = space_.describe({});
    root.prior = 1;
    root.createdAt = 0;
    tree.addNode(std::move(root));
    grow();
    const auto values = space_.evaluate({{}});
    TB_CHECK(values.size() == 1, "evaluate returned ", values.size(), " values for 1 state");
    setV0(0, values[0]);
  }

  // The iteration in progress (1 = the first).
  int iteration() const { return tree.iterations() + 1; }
  bool full() const { return tree.size() >= kMaxTreeNodes; }
  double v0(int id) const { return v0_[id]; }
  // Summed log-prob of the steps from the root (beam ties, best-leaf ties).
  double pathLogProb(int id) const { return pathLogProb_[id]; }

  std::vector<std::string> stepsTo(int id) const {
    std::vector<std::string> steps;
    for (int n = id; n > 0; n = tree.nodes[n].parent) steps.push_back(tree.nodes[n].step);
    std::reverse(steps.begin(), steps.end());
    return steps;
  }

  // Adds one child of `parent` per candidate, created in the current iteration. Terminal children
  // get their verdict now; the others wait for evaluatePending(). Returns the new ids.
  std::vector<int> addChildren(int parent, const std::vector<StepCandidate>& candidates) {
    std::vector<int> ids;
    const std::vector<std::string> prefix = stepsTo(parent);
    for (const StepCandidate& c : candidates) {
      if (full()) break;
      std::vector<std::string> steps = prefix;
      steps.push_back(c.step);
      TreeNode node;
      node.parent = parent;
      node.step = c.step;
      node.state = space_.describe(steps);
      node.logProb = c.logProb;
      node.createdAt = iteration();
      // Whether the policy ended the completion with this step (<eos>): training rows made of
      // single steps (MCTS-DPO) end with <eos> or '\n' accordingly.
      if (c.final) node.extra["final"] = true;
      const int id = tree.addNode(std::move(node));
      grow();
      tokens_[id] = std::max(1, c.tokens);
      pathLogProb_[id] = pathLogProb_[parent] + c.logProb;
      TreeNode& n = tree.nodes[id];
      if (space_.isTerminal(steps, c.final)) {
        judge(id, steps);
      } else {
        if (n.depth >= options_.maxDepth) {
          // A leaf that is never expanded; its value still comes from the evaluator.
          n.terminal = true;
          n.correct = false;
          n.extra["reason"] = "depth limit";
        }
        pending_.push_back(id);
        pendingSteps_.push_back(std::move(steps));
      }
      touch(id);
      ids.push_back(id);
    }
    normalisePriors(parent);
    return ids;
  }

  // Evaluates every node added since the last call with one SearchSpace::evaluate call.
  void evaluatePending() {
    if (pending_.empty()) return;
    const auto values = space_.evaluate(pendingSteps_);
    TB_CHECK(values.size() == pending_.size(), "evaluate returned ", values.size(), " values for ",
             pending_.size(), " states");
    // Parents precede children, so a pending parent's V0 is set before its child's reward.
    for (size_t i = 0; i < pending_.size(); ++i) setV0(pending_[i], values[i]);
    pending_.clear();
    pendingSteps_.clear();
  }

  // The state has no candidate step: it ends here, judged by the verifier.
  void markDeadEnd(int id) {
    judge(id, stepsTo(id));
    touch(id);
  }

  // Q of the edge into `id` for a value V: r + gamma V (the root has no edge: V).
  double qOf(int id, double value) const {
    return id == 0 ? value : tree.nodes[id].reward + options_.discount * value;
  }

  void touch(int id) {
    if (!touched_[id]) {
      touched_[id] = 1;
      touchedIds_.push_back(id);
    }
  }

  // Records the current iteration: every node created or touched whose stats differ from the last
  // recorded ones (a node's stats count as zero until first recorded, as statsAt assumes).
  void endIteration() {
    const int it = iteration();
    std::sort(touchedIds_.begin(), touchedIds_.end());
    TreeIteration record;
    for (int id : touchedIds_) {
      touched_[id] = 0;
      const NodeStats& s = tree.nodes[id].stats;
      if (tree.nodes[id].createdAt == it || !sameStats(s, recorded_[id])) {
        record.changes.emplace_back(id, s);
        recorded_[id] = s;
      }
    }
    touchedIds_.clear();
    tree.history.push_back(std::move(record));
  }

  // The terminal with the highest V0 (ties: higher summed log-prob, then the earlier node); when
  // there is none (a budget ran out), the best leaf.
  int bestLeaf() const {
    int best = -1;
    for (int pass = 0; pass < 2 && best < 0; ++pass)
      for (const TreeNode& n : tree.nodes) {
        const bool eligible = pass == 0 ? n.terminal : n.children.empty();
        if (!eligible) continue;
        if (best < 0 || v0_[n.id] > v0_[best] ||
            (v0_[n.id] == v0_[best] && pathLogProb_[n.id] > pathLogProb_[best]))
          best = n.id;
      }
    return best;
  }

  void choose(int leaf) { tree.chosenPath = tree.pathTo(leaf); }

  SearchSpace& space() { return space_; }
  const SearchOptions& options() const { return options_; }

 private:
  void grow() {
    const size_t n = tree.nodes.size();
    v0_.resize(n, 0);
    tokens_.resize(n, 1);
    pathLogProb_.resize(n, 0);
    touched_.resize(n, 0);
    recorded_.resize(n);
  }

  void judge(int id, const std::vector<std::string>& steps) {
    const StateVerdict verdict = space_.verdict(steps);
    TreeNode& n = tree.nodes[id];
    n.terminal = true;
    n.correct = verdict.correct;
    n.extra["task_reward"] = verdict.reward;
    n.extra["reason"] = verdict.reason;
    setV0(id, verdict.correct ? 1.0 : -1.0);
  }

  void setV0(int id, double value) {
    TB_CHECK(std::isfinite(value), "value of node ", id, " is not finite: ", value);
    TreeNode& n = tree.nodes[id];
    v0_[id] = value;
    n.extra["v0"] = value;
    n.reward = id == 0 ? 0.0 : value - v0_[n.parent];
    n.stats.value = value;
    n.stats.q = qOf(id, value);
  }

  void normalisePriors(int parent) {
    const auto& children = tree.nodes[parent].children;
    if (children.empty()) return;
    std::vector<double> logits;
    for (int c : children) logits.push_back(tree.nodes[c].logProb / std::pow(tokens_[c], 1.25));
    const double top = *std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (double& l : logits) sum += (l = std::exp(l - top));
    // All log-probs -inf (or NaN): nothing to prefer, so uniform.
    const bool uniform = !std::isfinite(top) || !std::isfinite(sum) || sum <= 0;
    for (size_t i = 0; i < children.size(); ++i)
      tree.nodes[children[i]].prior = uniform ? 1.0 / children.size() : logits[i] / sum;
  }

  SearchSpace& space_;
  const SearchOptions& options_;
  std::vector<double> v0_;
  std::vector<int> tokens_;
  std::vector<double> pathLogProb_;
  std::vector<char> touched_;
  std::vector<int> touchedIds_;
  std::vector<NodeStats> recorded_;
  std::vector<int> pending_;
  std::vector<std::vector<std::string>> pendingSteps_;
};

// Level-by-level search (BeamSearch.cpp): one iteration per depth expands every state of the beam
// with one expandMany call and evaluates all new children with one evaluate call; the next beam is
// the best `width` non-terminal children with V0 >= threshold (ties: higher summed log-prob). Beam
// search is threshold = -inf; ToT BFS passes its value threshold. The chosen path ends at
// TreeGrower::bestLeaf().
ReasoningTree levelSearch(SearchSpace& space, const SearchOptions& options, const std::string& kind, int width,
                          double threshold);

}  // namespace tb::search_internal
