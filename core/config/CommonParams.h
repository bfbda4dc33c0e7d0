#pragma once
// Parameters every run has, whatever its task and algorithm: run control, model size, rollout,
// optimiser, warm start and evaluation. Task and algorithm parameters come from their registries.
#include <vector>

#include "core/config/ParamSpec.h"

namespace tb {

std::vector<ParamSpec> commonParams();

}  // namespace tb
