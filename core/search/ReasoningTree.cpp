#include "core/search/ReasoningTree.h"

#include <algorithm>

#include "core/Error.h"

namespace tb {

int ReasoningTree::addNode(TreeNode node) {
  const int id = size();
  node.id = id;
  if (nodes.empty()) {
    TB_CHECK(node.parent == -1, "the first node is the root, got parent ", node.parent);
    node.depth = 0;
  } else {
    TB_CHECK(node.parent >= 0 && node.parent < id, "parent ", node.parent, " of new node ", id, " does not exist");
    node.depth = nodes[node.parent].depth + 1;
    nodes[node.parent].children.push_back(id);
  }
  node.children.clear();
  nodes.push_back(std::move(node));
  return id;
}

std::vector<NodeStats> ReasoningTree::statsAt(int iteration, std::vector<bool>* present) const {
  const int last = iterations();
  if (history.empty() || iteration >= last) {
    std::vector<NodeStats> out(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) out[i] = nodes[i].stats;
    if (present) present->assign(nodes.size(), true);
    return out;
  }
  iteration = std::max(0, iteration);
  std::vector<NodeStats> out(nodes.size());
  for (int i = 0; i < iteration; ++i)
    for (const auto& [id, stats] : history[i].changes) out[id] = stats;
  if (present) {
    present->resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) (*present)[i] = nodes[i].createdAt <= iteration;
  }
  return out;
}

std::vector<int> ReasoningTree::pathTo(int id) const {
  TB_CHECK(id >= 0 && id < size(), "node ", id, " not in a tree of ", size());
  std::vector<int> path;
  for (int n = id; n >= 0; n = nodes[n].parent) path.push_back(n);
  std::reverse(path.begin(), path.end());
  return path;
}

std::string ReasoningTree::textTo(int id) const {
  std::string text;
  for (int n : pathTo(id)) {
    if (n == 0) continue;
    if (!text.empty()) text += '\n';
    text += nodes[n].step;
  }
  return text;
}

int ReasoningTree::maxDepth() const {
  int depth = 0;
  for (const auto& n : nodes) depth = std::max(depth, n.depth);
  return depth;
}

namespace {
bool finite(const NodeStats& s) { return std::isfinite(s.value) && std::isfinite(s.q) && s.visits >= 0; }
}  // namespace

void ReasoningTree::validate() const {
  if (nodes.empty()) failInput("tree: has no nodes (expected at least the root)");
  if (nodes[0].parent != -1) failInput("tree: node 0 must be the root (parent -1), has parent ", nodes[0].parent);
  if (nodes[0].depth != 0) failInput("tree: the root has depth ", nodes[0].depth, ", expected 0");
  std::vector<int> childCount(nodes.size(), 0);
  for (int i = 0; i < size(); ++i) {
    const TreeNode& n = nodes[i];
    if (n.id != i) failInput("tree: node at position ", i, " has id ", n.id, " (expected ids 0..", size() - 1, " in order)");
    if (i > 0) {
      if (n.parent < 0 || n.parent >= size()) failInput("tree: node ", i, " has parent ", n.parent, ", which does not exist");
      if (n.parent >= i)
        failInput("tree: node ", i, " has parent ", n.parent, ", which does not precede it (a cycle or unordered nodes)");
      if (n.depth != nodes[n.parent].depth + 1)
        failInput("tree: node ", i, " has depth ", n.depth, ", expected ", nodes[n.parent].depth + 1);
    }
    for (int c : n.children) {
      if (c <= i || c >= size() || nodes[c].parent != i)
        failInput("tree: node ", i, " lists child ", c, ", whose parent is not ", i);
      ++childCount[i];
    }
    if (!finite(n.stats) || !std::isfinite(n.reward) || !std::isfinite(n.prior))
      failInput("tree: node ", i, " has a non-finite or negative statistic");
    if (n.createdAt < 0) failInput("tree: node ", i, " has createdAt ", n.createdAt, " (expected >= 0)");
  }
  for (int i = 1; i < size(); ++i) --childCount[nodes[i].parent];
  for (int i = 0; i < size(); ++i)
    if (childCount[i] != 0) failInput("tree: node ", i, "'s children list does not match the nodes naming it as parent");
  for (size_t k = 0; k < chosenPath.size(); ++k) {
    const int id = chosenPath[k];
    if (id < 0 || id >= size()) failInput("tree: chosen path names node ", id, ", which does not exist");
    const int expectedParent = k == 0 ? -1 : chosenPath[k - 1];
    if (nodes[id].parent != expectedParent)
      failInput("tree: chosen path is not a path from the root (node ", id, " follows ", expectedParent, ")");
  }
  for (size_t it = 0; it < history.size(); ++it)
    for (const auto& [id, stats] : history[it].changes) {
      if (id < 0 || id >= size()) failInput("tree: iteration ", it + 1, " changes node ", id, ", which does not exist");
      if (nodes[id].createdAt > static_cast<int>(it) + 1)
        failInput("tree: iteration ", it + 1, " changes node ", id, " before it was created (iteration ",
                  nodes[id].createdAt, ")");
      if (!finite(stats)) failInput("tree: iteration ", it + 1, " gives node ", id, " a non-finite statistic");
    }
}

}  // namespace tb
