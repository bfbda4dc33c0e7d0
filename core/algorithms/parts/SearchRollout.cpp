// Rollout strategies that search instead of sampling whole completions: for every problem a tree
// search over reasoning steps (core/search/Search.h, MCTS by default) with the policy proposing the
// candidate steps (core/rollout/PolicySearchSpace.h). The search's chosen answer is the iteration's
// answer to the problem (source "search": counted in reward/accuracy and stored as a sample); the
// trees are stored with the run for the tree viewer.
//   rollout/search_pairs   MCTS-DPO (Xie et al. 2024): at each node of the chosen path with two or
//                          more children, the highest-Q child step (chosen) against the lowest-Q one
//                          (rejected), both continuing the same prefix; rows are single steps after
//                          that prefix, so the DPO log-ratios sum from the divergence point.
//   rollout/search_traces  ReST-MCTS* (Zhang et al. 2024): the distinct correct leaves of each tree
//                          are supervised targets for the policy (self-training), and every node of a
//                          tree with a correct leaf gets an inferred value target (inferredValueTargets)
//                          on which the value model (the search's process reward model, initialised
//                          from the warm-started policy with a fresh head) is trained alongside, with
//                          loss search.value_coef * mean (V(s) - v)^2.
// Logs search/nodes, search/depth, search/solved (trees with a correct leaf), search/answer_correct,
// throughput/search_simulations_per_s, search/pairs or search/traces and search/value_loss.
#include <chrono>
#include <map>
#include <set>

#include "core/Error.h"
#include "core/algorithms/Parts.h"
#include "core/model/ValueModel.h"
#include "core/rollout/PolicySearchSpace.h"
#include "core/search/SearchParams.h"

namespace tb {
namespace {

constexpr const char* kPart = "tree search over the policy's steps";

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The steps from the root to `id`.
std::vector<std::string> stepsTo(const ReasoningTree& tree, int id) {
  std::vector<std::string> steps;
  for (int n : tree.pathTo(id))
    if (n != 0) steps.push_back(tree.nodes[n].step);
  return steps;
}

// Whether the completion ends with the node's step (<eos> rather than '\n'): the policy ended it
// there, or the task's state is terminal; a leaf cut by the depth limit would go on.
bool endsCompletion(const TreeNode& node) {
  const bool object = node.extra.is_object();
  if (object && node.extra.contains("final") && node.extra["final"].is_boolean()) return node.extra["final"].get<bool>();
  const bool depthLimited = object && node.extra.contains("reason") && node.extra["reason"] == "depth limit";
  return node.terminal && !depthLimited;
}

class SearchRollout : public RolloutStrategy {
 public:
  explicit SearchRollout(const RunConfig& c) : options_(searchOptionsFrom(c)) {
    policyOptions_.temperature = c.getFloat("search.temperature");
    policyOptions_.stepTokens = static_cast<int>(c.getInt("search.step_tokens"));
    policyOptions_.value = c.getString("search.value");
    options_.validate();
  }

  const char* needsBuiltInPolicy() const override { return kPart; }
  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    policyOptions_.stepLevel = ctx.taskInfo.stepLevel;
    policyOptions_.rolloutTokens = ctx.maxNewTokens;
    Rollout r;
    std::vector<ReasoningTree> trees;
    double nodes = 0, depth = 0, solved = 0, answered = 0, simulations = 0;
    const double t0 = seconds();
    for (const Problem* problem : problems) {
      ReasoningTree tree;
      {
        torch::NoGradGuard noGrad;
        ctx.builtInPolicy(kPart);  // refuses another policy by name (the value model and targets read its trunk)
        PolicySearchSpace space(ctx.policy, ctx.charTokenizer(kPart), ctx.task, *problem, policyOptions_, ctx.generator,
                                valueModel_ ? &valueModel_ : nullptr);
        tree = runSearch(space, options_, problem->prompt);
      }
      tree.task = ctx.task.name();
      tree.problemId = problem->id;
      nodes += tree.size();
      depth += tree.maxDepth();
      simulations += tree.iterations();
      bool anyCorrect = false;
      for (const auto& n : tree.nodes) anyCorrect |= n.correct;
      solved += anyCorrect;

      // The search's answer: the text of its chosen path.
      const int leaf = tree.chosenPath.empty() ? 0 : tree.chosenPath.back();
      RolloutRow answer = row(ctx, *problem, {}, tree.textTo(leaf), true, "search");
      answered += answer.verdict.correct;
      r.filteredOut.emplace_back(problem, std::move(answer));

      const int group = r.groups();
      r.problems.push_back(problem);
      if (!addTargets(ctx, *problem, tree, group, r)) r.problems.pop_back();
      trees.push_back(std::move(tree));
    }
    const double elapsed = std::max(1e-9, seconds() - t0);
    const double count = std::max<size_t>(1, problems.size());
    ctx.metric("search/nodes", nodes / count);
    ctx.metric("search/depth", depth / count);
    ctx.metric("search/solved", solved / count);
    ctx.metric("search/answer_correct", answered / count);
    ctx.metric("throughput/search_simulations_per_s", simulations / elapsed);
    r.groupsSampled = static_cast<int>(problems.size());
    r.groupsDropped = static_cast<int>(problems.size()) - r.groups();
    auto pairs = r.pairs;
    Rollout out = finish(ctx, std::move(r));
    out.pairs = std::move(pairs);  // no filters run on search rollouts; keep the pairs as made
    out.trees = std::move(trees);
    return out;
  }

  std::vector<std::pair<std::string, torch::nn::Module*>> modules() override {
    if (!valueModel_) return {};
    return {{"value_model", valueModel_.get()}};
  }

 protected:
  // Adds the training rows (and pairs) of one tree as group `group`; false when it has none.
  virtual bool addTargets(TrainingContext& ctx, const Problem& problem, const ReasoningTree& tree, int group,
                          Rollout& rollout) = 0;

  // A row whose completion `text` follows the prompt and `prefixSteps` (each ended by '\n'); the
  // completion ends with <eos> when `final`, else with '\n' (one step of a longer completion).
  RolloutRow row(TrainingContext& ctx, const Problem& problem, const std::vector<std::string>& prefixSteps,
                 const std::string& text, bool final, const std::string& source) const {
    RolloutRow out;
    out.promptIds = stateTokens(ctx.charTokenizer(kPart), problem.prompt, prefixSteps);
    for (const auto& s : prefixSteps) out.prefix += s + "\n";
    out.completion = text;
    out.completionIds = final ? ctx.tokenizer.encodeCompletion(text) : ctx.tokenizer.encodeText(text + "\n");
    out.length = static_cast<int>(out.completionIds.size());
    out.verdict = ctx.task.verify(problem, out.prefix + text);
    out.reward = out.verdict.reward;
    out.source = source;
    return out;
  }

  SearchOptions options_;
  PolicySearchOptions policyOptions_;
  ValueModel valueModel_{nullptr};
};

class SearchPairs : public SearchRollout {
 public:
  using SearchRollout::SearchRollout;
  ReferenceMode reference() const override { return ReferenceMode::Frozen; }

 protected:
  bool addTargets(TrainingContext& ctx, const Problem& problem, const ReasoningTree& tree, int group,
                  Rollout& r) override {
    const auto preferences = siblingPreferencePairs(tree);
    ctx.metric("search/pairs", static_cast<double>(preferences.size()));
    for (const auto& p : preferences) {
      const auto prefix = stepsTo(tree, p.parent);
      const int chosen = static_cast<int>(r.rows.size());
      for (int id : {p.chosen, p.rejected}) {
        const TreeNode& node = tree.nodes[id];
        RolloutRow step = row(ctx, problem, prefix, node.step, endsCompletion(node), "search_step");
        // The step's search statistics, not a whole completion's verdict, describe it.
        step.verdict.correct = node.correct;
        step.verdict.reward = node.stats.q;
        step.verdict.reason = "step of depth " + std::to_string(node.depth) + ", Q " + std::to_string(node.stats.q) +
                              ", " + std::to_string(node.stats.visits) + " visits";
        step.group = group;
        r.rows.push_back(std::move(step));
      }
      r.pairs.emplace_back(chosen, chosen + 1);
    }
    return !preferences.empty();
  }
};

class SearchTraces : public SearchRollout {
 public:
  explicit SearchTraces(const RunConfig& c) : SearchRollout(c), valueCoef_(c.getFloat("search.value_coef")) {}

  void begin(TrainingContext& ctx) override {
    GptPolicy& policy = ctx.builtInPolicy(kPart);
    valueModel_ = ValueModel(policy->config());
    valueModel_->initFrom(policy);
  }

  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    targets_.clear();
    return SearchRollout::collect(ctx, problems, finish);
  }

  torch::Tensor auxiliaryLoss(TrainingContext&, const PolicyLossInputs& in,
                              std::vector<std::pair<std::string, double>>& metrics) override {
    std::set<int> groups;
    for (int64_t i : in.rows) groups.insert(in.rollout->rows[i].group);
    std::vector<std::vector<int>> states;
    std::vector<float> targets;
    for (int g : groups) {
      auto it = targets_.find(g);
      if (it == targets_.end()) continue;
      for (const auto& [tokens, v] : it->second) {
        states.push_back(tokens);
        targets.push_back(static_cast<float>(v));
      }
    }
    if (states.empty()) return {};
    auto [tokens, valid] = padPrompts(states, CharTokenizer::kPad);
    auto values = valueModel_->values(tokens, valid).select(1, tokens.size(1) - 1);
    auto loss = (values - torch::tensor(targets)).pow(2).mean();
    metrics.emplace_back("search/value_loss", loss.item<double>());
    return valueCoef_ * loss;
  }

 protected:
  bool addTargets(TrainingContext& ctx, const Problem& problem, const ReasoningTree& tree, int group,
                  Rollout& r) override {
    const auto values = inferredValueTargets(tree);
    if (values.empty()) return false;
    auto& targets = targets_[group];
    for (int id = 1; id < tree.size(); ++id)
      targets.emplace_back(stateTokens(ctx.charTokenizer(kPart), problem.prompt, stepsTo(tree, id)), values[id]);

    std::set<std::string> seen;
    int traces = 0;
    for (const auto& node : tree.nodes) {
      if (!node.correct || traces >= ctx.groupSize) continue;
      const std::string text = tree.textTo(node.id);
      if (!seen.insert(text).second) continue;
      RolloutRow trace = row(ctx, problem, {}, text, true, "search_trace");
      trace.group = group;
      r.rows.push_back(std::move(trace));
      ++traces;
    }
    ctx.metric("search/traces", traces);
    return traces > 0;
  }

 private:
  double valueCoef_;
  std::map<int, std::vector<std::pair<std::vector<int>, double>>> targets_;  // by group of the last rollout
};

void refuseUntrainedValueModel(const RunConfig& c) {
  if (c.getString("search.value") == "value_model")
    failInput("search.value = value_model: this algorithm trains no value model (rest_mcts does); use verifier or "
              "rollout");
}

TB_REGISTER_PART(searchPairsPart, RolloutStrategy,
                 PartInfo{.name = "search_pairs", .title = "Step preferences from tree search",
                          .help = "MCTS-DPO: search each prompt's step tree; at each node of the chosen path the "
                                  "highest-Q against the lowest-Q child step.",
                          .params = searchParamSpecs("verifier"),
                          .validate = refuseUntrainedValueModel},
                 [](const RunConfig& c) { return std::make_unique<SearchPairs>(c); });

TB_REGISTER_PART(searchTracesPart, RolloutStrategy,
                 PartInfo{.name = "search_traces", .title = "Verified search traces and value targets",
                          .help = "ReST-MCTS*: search each prompt with the value model; train the policy on correct "
                                  "leaves and the value model on inferred targets.",
                          .params = [] {
                            auto params = searchParamSpecs("value_model");
                            params.push_back(ParamSpec::real("search.value_coef", 1.0, 0.0, 100.0,
                                                             "Weight of the value model's squared error"));
                            return params;
                          }()},
                 [](const RunConfig& c) { return std::make_unique<SearchTraces>(c); });

}  // namespace
}  // namespace tb
