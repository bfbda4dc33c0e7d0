// Best-of-N with majority vote (self-consistency, Wang et al. 2023): N chains sampled one step at a
// time, merged into a prefix tree, the answer chosen by vote over the chains' final answers.
// A node's visits count the chains through it; its value is V0 (SearchUtil.h).
#include <map>

#include "core/search/Search.h"
#include "core/search/SearchUtil.h"

namespace tb {

namespace {

struct Ballot {
  int votes = 0;
  double bestReward = 0;
  int bestChain = -1;  // the chain with the highest reward for this answer (the earliest on ties)
  int firstChain = 0;  // breaks ties between answers with equal votes and rewards
};

}  // namespace

ReasoningTree bestOfN(SearchSpace& space, const SearchOptions& options) {
  options.validate();
  search_internal::TreeGrower g(space, options, "best_of_n");
  g.addRoot();
  ReasoningTree& tree = g.tree;
  const int n = options.samples;
  std::vector<int> at(n, 0);       // each chain's current node
  std::vector<char> done(n, 0);
  tree.nodes[0].stats.visits = n;
  g.touch(0);

  // One iteration per depth step: every unfinished chain advances by one step, all with one
  // expandMany call (chains sharing a prefix still draw their own step).
  for (;;) {
    std::vector<int> active;
    for (int i = 0; i < n; ++i)
      if (!done[i]) active.push_back(i);
    if (active.empty() || g.full()) break;
    std::vector<std::vector<std::string>> states;
    for (int i : active) states.push_back(g.stepsTo(at[i]));
    const auto expansions = space.expandMany(states, 1);
    TB_CHECK(expansions.size() == active.size(), "expandMany returned ", expansions.size(), " lists for ",
             active.size(), " states");
    std::vector<int> stuck;
    for (size_t k = 0; k < active.size(); ++k) {
      const int chain = active[k];
      const int from = at[chain];
      if (expansions[k].empty()) {
        done[chain] = 1;
        stuck.push_back(from);
        continue;
      }
      const StepCandidate& step = expansions[k].front();
      int child = -1;
      for (int c : tree.nodes[from].children)  // identical prefixes share a node
        if (tree.nodes[c].step == step.step) child = c;
      if (child < 0) {
        const auto added = g.addChildren(from, {step});
        if (added.empty()) {  // the tree is full
          done[chain] = 1;
          continue;
        }
        child = added.front();
      }
      tree.nodes[child].stats.visits += 1;
      g.touch(child);
      at[chain] = child;
      if (tree.nodes[child].terminal) done[chain] = 1;
    }
    g.evaluatePending();
    // A state without a next step ends its chains there, unless another chain found a step from it.
    for (int id : stuck)
      if (tree.nodes[id].children.empty() && !tree.nodes[id].terminal) g.markDeadEnd(id);
    g.endIteration();
  }

  // The vote. Depth-limit leaves (and states left by a full tree) have no verdict yet: ask for one.
  std::vector<std::string> answers(n);
  std::vector<double> rewards(n);
  for (int i = 0; i < n; ++i) {
    TreeNode& end = tree.nodes[at[i]];
    const auto steps = g.stepsTo(at[i]);
    if (!end.extra.contains("task_reward")) end.extra["task_reward"] = space.verdict(steps).reward;
    rewards[i] = end.extra["task_reward"].get<double>();
    answers[i] = space.answer(steps);
    end.extra["answer"] = answers[i];
  }
  // Chains without an answer vote only when no chain has one.
  bool anyAnswer = false;
  for (const auto& a : answers) anyAnswer = anyAnswer || !a.empty();
  std::map<std::string, Ballot> ballots;
  for (int i = 0; i < n; ++i) {
    if (anyAnswer && answers[i].empty()) continue;
    auto [it, fresh] = ballots.try_emplace(answers[i]);
    Ballot& b = it->second;
    if (fresh) b.firstChain = i;
    b.votes += 1;
    if (b.bestChain < 0 || rewards[i] > b.bestReward) {
      b.bestChain = i;
      b.bestReward = rewards[i];
    }
  }
  const Ballot* winner = nullptr;
  std::string winningAnswer;
  nlohmann::json votes = nlohmann::json::object();
  for (const auto& [answer, b] : ballots) {
    votes[answer] = b.votes;
    if (!winner || b.votes > winner->votes ||
        (b.votes == winner->votes && (b.bestReward > winner->bestReward ||
                                      (b.bestReward == winner->bestReward && b.firstChain < winner->firstChain)))) {
      winner = &b;
      winningAnswer = answer;
    }
  }
  tree.nodes[0].extra["votes"] = votes;
  tree.nodes[0].extra["answer"] = winningAnswer;
  g.choose(at[winner->bestChain]);
  return std::move(g.tree);
}

}  // namespace tb
