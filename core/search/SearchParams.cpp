#include "core/search/SearchParams.h"

#include "core/config/RunConfig.h"

namespace tb {

std::vector<ParamSpec> searchParamSpecs(const char* defaultValue, const char* defaultMethod) {
  using P = ParamSpec;
  return {
      P::choice("search.method", defaultMethod, {"mcts", "beam", "bfs", "dfs", "best_of_n"},
                "Tree search over reasoning steps: MCTS, beam search, tree-of-thought BFS / DFS, or best-of-N with "
                "majority vote"),
      P::choice("search.selection", "puct", {"puct", "uct"},
                "MCTS selection: PUCT with the policy's length-normalised step priors, or UCT"),
      P::integer("search.simulations", 24, 1, 100000, "MCTS simulations per problem (DFS: expansion budget)"),
      P::integer("search.max_depth", 6, 1, 64, "Most steps from the root; deeper states are leaves"),
      P::integer("search.branching", 4, 1, 64, "Candidate steps sampled per expansion (distinct lines)"),
      P::real("search.exploration", 1.0, 0.0, 100.0, "c_puct / c_uct: weight of the exploration bonus"),
      P::real("search.discount", 1.0, 1e-6, 1.0, "gamma in Q = r + gamma V"),
      P::integer("search.beam_width", 4, 1, 256, "States kept per depth (beam search, BFS)"),
      P::real("search.value_threshold", -1.0, -1.0, 1.0, "BFS / DFS prune states valued below this"),
      P::integer("search.samples", 8, 1, 1024, "Best-of-N: independent chains"),
      P::real("search.temperature", 1.0, 0.05, 5.0, "Sampling temperature of candidate steps"),
      P::integer("search.step_tokens", 48, 2, 1024, "Longest step in tokens"),
      P::choice("search.value", defaultValue, {"verifier", "rollout", "value_model"},
                "Value of non-terminal states: 0 (trust the verifier at the leaves), the verdict of one sampled "
                "continuation, or the value model (ReST-MCTS*'s process reward model)"),
  };
}

SearchOptions searchOptionsFrom(const RunConfig& c) {
  SearchOptions o;
  o.method = c.getString("search.method");
  o.selection = c.getString("search.selection");
  o.simulations = static_cast<int>(c.getInt("search.simulations"));
  o.maxDepth = static_cast<int>(c.getInt("search.max_depth"));
  o.branching = static_cast<int>(c.getInt("search.branching"));
  o.exploration = c.getFloat("search.exploration");
  o.discount = c.getFloat("search.discount");
  o.beamWidth = static_cast<int>(c.getInt("search.beam_width"));
  o.valueThreshold = c.getFloat("search.value_threshold");
  o.samples = static_cast<int>(c.getInt("search.samples"));
  return o;
}

}  // namespace tb
