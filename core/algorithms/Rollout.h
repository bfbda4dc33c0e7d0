#pragma once
// What a rollout strategy hands to the rest of an iteration: groups of completions of the same
// problem with their verdicts and (shaped) rewards, plus optional pairs for pairwise objectives.
// Rows of one group are contiguous; a group may be smaller than rollout.group_size after a filter.
#include <string>
#include <utility>
#include <vector>

#include "core/search/ReasoningTree.h"
#include "core/tasks/Task.h"

namespace tb {

struct RolloutRow {
  int group = 0;                      // index into Rollout::problems
  std::vector<int> promptIds;         // prompt tokens (and a hint prefix, if any)
  std::vector<int> completionIds;     // generated tokens ending in <eos> when finished
  std::string prefix;                 // text given before the completion (Scaf-GRPO hint), verified with it
  std::string completion;             // decoded completion (without the prefix)
  Verdict verdict;                    // of prefix + completion
  double reward = 0;                  // after reward shaping; starts as verdict.reward
  int length = 0;                     // completion tokens including <eos>
  bool finished = true;               // ended with <eos> (false = hit rollout.max_new_tokens)
  double meanEntropy = 0;             // mean sampling entropy over its tokens (0 if not sampled)
  // GFlowNet rows of stored groups: log F(s_k) - log Z after each step k (for the tree view).
  std::vector<double> logFlows;
  std::string source = "policy";      // policy | reference | demonstration | mixture | hint | replay
                                      // | search (a search's chosen answer) | search_step | search_trace

  std::string text() const { return prefix + completion; }
};

struct Rollout {
  std::vector<const Problem*> problems;      // one per group
  std::vector<RolloutRow> rows;
  std::vector<std::pair<int, int>> pairs;    // (chosen, rejected) row indices, pairwise objectives
  // Rows removed by filters, with their problem: still counted in reward/accuracy and shown as samples.
  std::vector<std::pair<const Problem*, RolloutRow>> filteredOut;
  int groupsSampled = 0;                     // before filters (dynamic sampling counts redraws)
  int groupsDropped = 0;                     // removed by filters
  double zeroStdFirstRound = 0;              // share of flat-reward groups in the first draw
  // Reasoning trees of search-based strategies, one per problem searched (the run stores a sample;
  // sampling strategies leave it empty and the loop builds trajectory trees from the groups).
  std::vector<ReasoningTree> trees;

  int groups() const { return static_cast<int>(problems.size()); }
  // Row indices of each group, in order.
  std::vector<std::vector<int>> groupRows() const {
    std::vector<std::vector<int>> out(problems.size());
    for (size_t i = 0; i < rows.size(); ++i) out[rows[i].group].push_back(static_cast<int>(i));
    return out;
  }
  std::vector<double> rewards() const {
    std::vector<double> out;
    for (const auto& r : rows) out.push_back(r.reward);
    return out;
  }
  // Appends group `g` of `other` (with only the rows listed) as a new group.
  void appendGroup(const Rollout& other, int g, const std::vector<int>& rowsOfGroup) {
    const int group = static_cast<int>(problems.size());
    problems.push_back(other.problems[g]);
    for (int i : rowsOfGroup) {
      rows.push_back(other.rows[i]);
      rows.back().group = group;
    }
  }
};

}  // namespace tb
