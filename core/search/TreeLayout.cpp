// TreeLayout: Buchheim-Juenger-Leipert's linear-time Walker layout, without recursion, and a
// deterministic random MCTS-like tree for benchmarks. See TreeLayout.h.
#include "core/search/TreeLayout.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tb {

namespace {

// The layout's working state. Children lists are flattened (CSR) and keep only visible children,
// so the algorithm sees exactly the drawn tree.
struct Walker {
  const ReasoningTree& tree;
  double sibling, cousin;
  std::vector<int> kids, start, count, number;  // visible children; number = index among siblings
  std::vector<double> prelim, mod, shift, change, midpoint;
  std::vector<int> thread, ancestor;

  Walker(const ReasoningTree& t, double siblingSep, double cousinSep) : tree(t), sibling(siblingSep), cousin(cousinSep) {}

  int parent(int v) const { return tree.nodes[v].parent; }
  int first(int v) const { return count[v] ? kids[start[v]] : -1; }
  int last(int v) const { return count[v] ? kids[start[v] + count[v] - 1] : -1; }
  int leftSibling(int v) const { return number[v] > 0 ? kids[start[parent(v)] + number[v] - 1] : -1; }
  int nextLeft(int v) const { return count[v] ? first(v) : thread[v]; }
  int nextRight(int v) const { return count[v] ? last(v) : thread[v]; }

  // The greatest distinct ancestor of vim and v: ancestor[vim] when it is v's sibling, else the
  // default ancestor.
  int greatestAncestor(int vim, int v, int defaultAncestor) const {
    const int a = ancestor[vim];
    return parent(a) == parent(v) ? a : defaultAncestor;
  }

  void moveSubtree(int wm, int wp, double amount) {
    const double subtrees = number[wp] - number[wm];
    change[wp] -= amount / subtrees;
    shift[wp] += amount;
    change[wm] += amount / subtrees;
    prelim[wp] += amount;
    mod[wp] += amount;
  }

  // Pushes v's subtree right until it clears the contours of its left siblings' subtrees.
  int apportion(int v, int defaultAncestor) {
    const int w = leftSibling(v);
    if (w < 0) return defaultAncestor;
    int vip = v, vop = v, vim = w, vom = first(parent(v));
    double sip = mod[vip], sop = mod[vop], sim = mod[vim], som = mod[vom];
    int right = nextRight(vim), left = nextLeft(vip);
    while (right >= 0 && left >= 0) {
      vim = right;
      vip = left;
      vom = nextLeft(vom);
      vop = nextRight(vop);
      ancestor[vop] = v;
      const double amount = (prelim[vim] + sim) - (prelim[vip] + sip) + cousin;
      if (amount > 0) {
        moveSubtree(greatestAncestor(vim, v, defaultAncestor), v, amount);
        sip += amount;
        sop += amount;
      }
      sim += mod[vim];
      sip += mod[vip];
      som += mod[vom];
      sop += mod[vop];
      right = nextRight(vim);
      left = nextLeft(vip);
    }
    if (right >= 0 && nextRight(vop) < 0) {
      thread[vop] = right;
      mod[vop] += sim - sop;
    }
    if (left >= 0 && nextLeft(vom) < 0) {
      thread[vom] = left;
      mod[vom] += sip - som;
      defaultAncestor = v;
    }
    return defaultAncestor;
  }

  void executeShifts(int v) {
    double amount = 0, acc = 0;
    for (int k = count[v] - 1; k >= 0; --k) {
      const int w = kids[start[v] + k];
      prelim[w] += amount;
      mod[w] += amount;
      acc += change[w];
      amount += shift[w] + acc;
    }
  }

  // First walk for the children of v (their own subtrees are done: descending ids). Placing a
  // child next to its left sibling and apportioning it before the next child keeps the recursive
  // algorithm's order exactly.
  void placeChildren(int v) {
    if (!count[v]) return;
    int defaultAncestor = first(v);
    for (int k = 0; k < count[v]; ++k) {
      const int w = kids[start[v] + k];
      const int left = k > 0 ? kids[start[v] + k - 1] : -1;
      if (count[w] == 0) {
        prelim[w] = left >= 0 ? prelim[left] + sibling : 0.0;
      } else if (left >= 0) {
        prelim[w] = prelim[left] + sibling;
        mod[w] = prelim[w] - midpoint[w];
      } else {
        prelim[w] = midpoint[w];
      }
      defaultAncestor = apportion(w, defaultAncestor);
    }
    executeShifts(v);
    midpoint[v] = (prelim[first(v)] + prelim[last(v)]) / 2;
  }
};

bool flag(const std::vector<bool>& flags, int id, bool otherwise) {
  return id < static_cast<int>(flags.size()) ? flags[id] : otherwise;
}

}  // namespace

TreeLayoutResult layoutTree(const ReasoningTree& tree, const TreeLayoutOptions& options) {
  TreeLayoutResult r;
  const int n = tree.size();
  r.x.assign(n, 0.0);
  r.y.assign(n, 0.0);
  r.visible.assign(n, false);
  r.hiddenBelow.assign(n, 0);
  r.hasChildren.assign(n, false);
  if (n == 0) return r;

  // Visibility (pre-order) and, for "+N" badges, masked-in subtree sizes (post-order).
  std::vector<bool> in(n, false);
  in[0] = true;
  r.visible[0] = true;
  for (int v = 1; v < n; ++v) {
    const int p = tree.nodes[v].parent;
    in[v] = in[p] && flag(options.mask, v, true);
    r.visible[v] = in[v] && r.visible[p] && !flag(options.collapsed, p, false);
  }
  std::vector<int> subtree(n, 0);
  for (int v = n - 1; v >= 0; --v) {
    if (!in[v]) continue;
    subtree[v] += 1;
    if (v > 0) {
      subtree[tree.nodes[v].parent] += subtree[v];
      r.hasChildren[tree.nodes[v].parent] = true;
    }
  }
  for (int v = 0; v < n; ++v)
    if (r.visible[v] && flag(options.collapsed, v, false)) r.hiddenBelow[v] = subtree[v] - 1;

  Walker w(tree, options.siblingSeparation, std::max(options.siblingSeparation, options.subtreeSeparation));
  w.start.assign(n, 0);
  w.count.assign(n, 0);
  w.number.assign(n, 0);
  w.kids.reserve(n);
  for (int v = 0; v < n; ++v) {
    w.start[v] = static_cast<int>(w.kids.size());
    if (!r.visible[v]) continue;
    for (int c : tree.nodes[v].children)
      if (r.visible[c]) {
        w.number[c] = w.count[v]++;
        w.kids.push_back(c);
      }
  }
  w.prelim.assign(n, 0.0);
  w.mod.assign(n, 0.0);
  w.shift.assign(n, 0.0);
  w.change.assign(n, 0.0);
  w.midpoint.assign(n, 0.0);
  w.thread.assign(n, -1);
  w.ancestor.resize(n);
  for (int v = 0; v < n; ++v) w.ancestor[v] = v;

  for (int v = n - 1; v >= 0; --v)
    if (r.visible[v]) w.placeChildren(v);
  w.prelim[0] = w.midpoint[0];

  // Second walk: absolute x from the accumulated modifiers; the root lands at x = 0.
  std::vector<double> modsum(n, 0.0);
  modsum[0] = -w.prelim[0];
  bool firstVisible = true;
  for (int v = 0; v < n; ++v) {
    if (!r.visible[v]) continue;
    r.x[v] = w.prelim[v] + modsum[v];
    r.y[v] = tree.nodes[v].depth * options.levelSeparation;
    for (int k = 0; k < w.count[v]; ++k) modsum[w.kids[w.start[v] + k]] = modsum[v] + w.mod[v];
    ++r.visibleCount;
    if (firstVisible) {
      r.minX = r.maxX = r.x[v];
      r.minY = r.maxY = r.y[v];
      firstVisible = false;
    } else {
      r.minX = std::min(r.minX, r.x[v]);
      r.maxX = std::max(r.maxX, r.x[v]);
      r.minY = std::min(r.minY, r.y[v]);
      r.maxY = std::max(r.maxY, r.y[v]);
    }
  }
  return r;
}

// ---- randomTree ---------------------------------------------------------------------------------

namespace {

// splitmix64: tiny, and the same sequence on every platform (std distributions are not).
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

}  // namespace

ReasoningTree randomTree(int nodes, std::uint64_t seed) {
  nodes = std::max(1, nodes);
  Rng rng{seed ^ 0x7b5eedULL};
  ReasoningTree tree;
  tree.kind = "mcts";
  tree.task = "random";
  tree.problemId = "random-" + std::to_string(seed);
  tree.prompt = "A random MCTS-like tree of " + std::to_string(nodes) + " nodes (seed " + std::to_string(seed) + ")";
  tree.label = "random tree, " + std::to_string(nodes) + " nodes";
  tree.params = {{"nodes", nodes}, {"seed", seed}};
  tree.nodes.reserve(nodes);

  TreeNode root;
  root.state = "start";
  root.prior = 1.0;
  tree.addNode(root);

  // Per node: how many children it may get, a latent quality that children inherit with noise
  // (so good and bad regions form), and the sum of backed-up returns.
  std::vector<int> width{3};
  std::vector<double> quality{0.0}, returns{0.0};
  constexpr int kMaxDepth = 14;
  constexpr int kMaxWidth = 5;
  std::vector<char> exhausted{0};  // terminal, or every child exhausted and no room for more
  const char ops[] = {'+', '-', '*', '/'};
  std::vector<int> path;
  int iteration = 0;
  while (tree.size() < nodes) {
    ++iteration;
    path.assign(1, 0);
    int v = 0;
    // Descend (UCT-like, with some randomness) to a node with room for a child, among subtrees
    // that still have room; now and then a finished episode (terminal) is visited again.
    while (!tree.nodes[v].terminal && static_cast<int>(tree.nodes[v].children.size()) >= width[v]) {
      const bool revisit = rng.uniform() < 0.05;
      std::vector<int> kids;
      for (int c : tree.nodes[v].children)
        if (!exhausted[c] || (revisit && tree.nodes[c].terminal)) kids.push_back(c);
      if (kids.empty()) {  // cannot happen (see below), but never loop forever
        ++width[v];
        break;
      }
      int pick = kids[rng.below(static_cast<int>(kids.size()))];
      if (rng.uniform() < 0.7) {
        double best = -1e300;
        const double logN = std::log(1.0 + tree.nodes[v].stats.visits);
        for (int c : kids) {
          const auto& s = tree.nodes[c].stats;
          const double score = s.q + 0.8 * std::sqrt(logN / (1.0 + s.visits));
          if (score > best) best = score, pick = c;
        }
      }
      v = pick;
      path.push_back(v);
    }
    double ret;
    if (tree.nodes[v].terminal) {  // a finished episode again: back its reward up
      ret = tree.nodes[v].reward;
    } else {
      TreeNode node;
      node.parent = v;
      const int depth = tree.nodes[v].depth + 1;
      const int a = 1 + rng.below(12), b = 1 + rng.below(12);
      const char op = ops[rng.below(4)];
      const int c = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : (b ? a / b : 0);
      node.step = std::to_string(a) + " " + op + " " + std::to_string(b) + " = " + std::to_string(c);
      node.state = tree.nodes[v].state == "start" ? "have " + std::to_string(c)
                                                  : tree.nodes[v].state + ", " + std::to_string(c);
      if (node.state.size() > 160) node.state = "... " + node.state.substr(node.state.size() - 150);
      const double q = std::clamp(quality[v] + (rng.uniform() - 0.5) * 0.7, -1.0, 1.0);
      node.terminal = depth >= kMaxDepth || (depth >= 3 && rng.uniform() < 0.06 * depth);
      node.correct = node.terminal && rng.uniform() < 0.5 + 0.45 * q;
      node.reward = node.terminal ? (node.correct ? 1.0 : -1.0) : 0.0;
      node.prior = 0.2 + rng.uniform();
      node.createdAt = iteration;
      const int id = tree.addNode(std::move(node));
      const double r = rng.uniform();
      width.push_back(tree.nodes[id].terminal ? 0 : r < 0.15 ? 1 : r < 0.5 ? 2 : r < 0.8 ? 3 : 4);
      exhausted.push_back(tree.nodes[id].terminal ? 1 : 0);
      // A node whose children are all finished gets room for one more (up to kMaxWidth), else it
      // is finished too; so the descent always finds room.
      for (int u = v; tree.nodes[id].terminal && u >= 0; u = tree.nodes[u].parent) {
        const auto& kids = tree.nodes[u].children;
        if (static_cast<int>(kids.size()) < width[u] ||
            !std::all_of(kids.begin(), kids.end(), [&](int k) { return exhausted[k] != 0; }))
          break;
        if (width[u] < kMaxWidth) {
          ++width[u];
          break;
        }
        exhausted[u] = 1;
      }
      quality.push_back(q);
      returns.push_back(0.0);
      path.push_back(id);
      ret = tree.nodes[id].terminal ? tree.nodes[id].reward : std::clamp(q + (rng.uniform() - 0.5) * 0.4, -1.0, 1.0);
    }
    TreeIteration changes;
    for (int id : path) {
      TreeNode& node = tree.nodes[id];
      returns[id] += ret;
      node.stats.visits += 1;
      node.stats.value = node.terminal ? 0.0 : returns[id] / node.stats.visits;
      node.stats.q = node.reward + node.stats.value;
      changes.changes.emplace_back(id, node.stats);
    }
    tree.history.push_back(std::move(changes));
  }

  // Priors normalised over siblings; the policy's log-prob follows the prior.
  for (auto& node : tree.nodes) {
    double total = 0;
    for (int c : node.children) total += tree.nodes[c].prior;
    for (int c : node.children) {
      tree.nodes[c].prior /= total;
      tree.nodes[c].logProb = std::log(tree.nodes[c].prior) - 0.5;
    }
  }
  // The chosen path: the most visited child from the root down.
  for (int v = 0; v >= 0;) {
    tree.chosenPath.push_back(v);
    int best = -1;
    for (int c : tree.nodes[v].children)
      if (best < 0 || tree.nodes[c].stats.visits > tree.nodes[best].stats.visits) best = c;
    v = best;
  }
  return tree;
}

}  // namespace tb
