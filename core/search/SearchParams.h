#pragma once
// The search.* parameters shared by the search-based algorithm parts and `thoughtbench-cli search`
// (declared once so their ranges and help agree). The schema's ranges refuse a search with zero
// simulations or a depth limit of zero before it starts.
#include <vector>

#include "core/config/ParamSpec.h"
#include "core/search/Search.h"

namespace tb {

class RunConfig;

// search.method, selection, simulations, max_depth, branching, exploration, discount, beam_width,
// value_threshold, samples, temperature, step_tokens, value (with `defaultValue` as its default).
std::vector<ParamSpec> searchParamSpecs(const char* defaultValue = "verifier", const char* defaultMethod = "mcts");
// SearchOptions from a configuration whose schema holds searchParamSpecs().
SearchOptions searchOptionsFrom(const RunConfig& config);

}  // namespace tb
