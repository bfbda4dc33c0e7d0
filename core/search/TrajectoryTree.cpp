#include "core/search/TrajectoryTree.h"

#include <limits>
#include <map>
#include <unordered_map>

#include "core/tasks/Task.h"

namespace tb {

namespace {

// Running sums for one node, turned into statistics at the end.
struct Tally {
  int passing = 0;
  double rewardSum = 0;
  int ending = 0;  // trajectories whose last step is this node
  double endingRewardSum = 0;
  bool anyCorrect = false;
  int flowCount = 0;
  double flowSum = 0;
  std::map<std::string, int> sources;
};

}  // namespace

ReasoningTree trajectoryTree(const std::string& prompt, const std::vector<SampledTrajectory>& trajectories) {
  ReasoningTree tree;
  tree.kind = "samples";
  tree.prompt = prompt;
  tree.addNode(TreeNode{});
  std::vector<Tally> tally(1);
  std::vector<std::unordered_map<std::string, int>> childByStep(1);

  for (const SampledTrajectory& t : trajectories) {
    const std::vector<std::string> steps = splitSteps(t.completion);
    // Log-flows that do not line up with the steps cannot be attributed; they are ignored.
    const bool flows = !t.logFlows.empty() && t.logFlows.size() == steps.size();
    const auto pass = [&](int id) {
      tally[id].passing += 1;
      tally[id].rewardSum += t.reward;
      tally[id].sources[t.source] += 1;
    };
    int at = 0;
    pass(at);
    std::string text;
    for (size_t k = 0; k < steps.size(); ++k) {
      if (!text.empty()) text += '\n';
      text += steps[k];
      const auto found = childByStep[at].find(steps[k]);
      if (found != childByStep[at].end()) {
        at = found->second;
      } else {
        TreeNode node;
        node.parent = at;
        node.step = steps[k];
        node.state = text;
        const int id = tree.addNode(std::move(node));
        childByStep[at].emplace(steps[k], id);
        childByStep.emplace_back();
        tally.emplace_back();
        at = id;
      }
      pass(at);
      if (flows) {
        tally[at].flowSum += t.logFlows[k];
        tally[at].flowCount += 1;
      }
    }
    tally[at].ending += 1;
    tally[at].endingRewardSum += t.reward;
    tally[at].anyCorrect = tally[at].anyCorrect || t.correct;
  }

  for (int i = 0; i < tree.size(); ++i) {
    TreeNode& n = tree.nodes[i];
    const Tally& s = tally[i];
    n.stats.visits = s.passing;
    n.stats.value = s.passing > 0 ? s.rewardSum / s.passing : 0.0;
    n.stats.q = n.stats.value;
    // The empirical branching probability: the share of the parent's trajectories taking this step.
    if (n.parent >= 0 && tally[n.parent].passing > 0) n.prior = double(s.passing) / tally[n.parent].passing;
    if (s.ending > 0) {
      n.terminal = true;
      n.correct = s.anyCorrect;
      n.reward = s.endingRewardSum / s.ending;
    }
    if (s.flowCount > 0) n.logFlow = s.flowSum / s.flowCount;
    if (!s.sources.empty()) n.extra["sources"] = s.sources;
  }

  // Most visited child, ties by higher value (then the earlier one). Trajectories that end at a
  // node compete as a "stop" option, so a popular answer is not passed over for a rarer extension.
  int at = 0;
  tree.chosenPath.push_back(at);
  for (;;) {
    const TreeNode& n = tree.nodes[at];
    int best = -1;
    for (int c : n.children) {
      const NodeStats& s = tree.nodes[c].stats;
      if (best < 0 || s.visits > tree.nodes[best].stats.visits ||
          (s.visits == tree.nodes[best].stats.visits && s.value > tree.nodes[best].stats.value))
        best = c;
    }
    if (best < 0) break;
    const Tally& here = tally[at];
    if (here.ending > 0) {
      const NodeStats& b = tree.nodes[best].stats;
      const double stopValue = here.endingRewardSum / here.ending;
      if (here.ending > b.visits || (here.ending == b.visits && stopValue > b.value)) break;
    }
    at = best;
    tree.chosenPath.push_back(at);
  }
  return tree;
}

}  // namespace tb
