// SearchOptions: validation, JSON form, and runSearch's dispatch to the search methods.
#include <cmath>

#include "core/Error.h"
#include "core/search/Search.h"

namespace tb {

namespace {

void requirePositive(const char* name, int value) {
  if (value < 1) failInput("search option '", name, "': got ", value, ", expected an integer >= 1");
}

std::string labelOf(const SearchOptions& o) {
  if (o.method == "mcts") return "mcts " + std::to_string(o.simulations) + " sims (" + o.selection + ")";
  if (o.method == "beam") return "beam width " + std::to_string(o.beamWidth);
  if (o.method == "bfs") return "tot bfs width " + std::to_string(o.beamWidth);
  if (o.method == "dfs") return "tot dfs " + std::to_string(o.simulations) + " expansions";
  return "best-of-" + std::to_string(o.samples);
}

}  // namespace

void SearchOptions::validate() const {
  if (method != "mcts" && method != "beam" && method != "bfs" && method != "dfs" && method != "best_of_n")
    failInput("search option 'method': got '", method, "', expected mcts, beam, bfs, dfs or best_of_n");
  if (selection != "puct" && selection != "uct")
    failInput("search option 'selection': got '", selection, "', expected puct or uct");
  requirePositive("simulations", simulations);
  requirePositive("max_depth", maxDepth);
  requirePositive("branching", branching);
  requirePositive("beam_width", beamWidth);
  requirePositive("samples", samples);
  if (!(discount > 0 && discount <= 1))
    failInput("search option 'discount': got ", discount, ", expected a value in (0, 1]");
  if (!(exploration >= 0) || !std::isfinite(exploration))
    failInput("search option 'exploration': got ", exploration, ", expected a finite value >= 0");
  if (std::isnan(valueThreshold))
    failInput("search option 'value_threshold': got NaN, expected a number (-1 keeps every state)");
}

nlohmann::json SearchOptions::toJson() const {
  return {{"method", method},         {"selection", selection},    {"simulations", simulations},
          {"max_depth", maxDepth},    {"branching", branching},    {"exploration", exploration},
          {"discount", discount},     {"beam_width", beamWidth},   {"value_threshold", valueThreshold},
          {"samples", samples}};
}

ReasoningTree runSearch(SearchSpace& space, const SearchOptions& options, const std::string& prompt) {
  options.validate();
  ReasoningTree tree;
  if (options.method == "mcts") tree = monteCarloTreeSearch(space, options);
  else if (options.method == "beam") tree = beamSearch(space, options);
  else if (options.method == "bfs") tree = treeOfThought(space, options, false);
  else if (options.method == "dfs") tree = treeOfThought(space, options, true);
  else tree = bestOfN(space, options);
  tree.kind = options.method;
  tree.params = options.toJson();
  tree.prompt = prompt;
  if (tree.label.empty()) tree.label = labelOf(options);
  return tree;
}

}  // namespace tb
