#pragma once
// The attention behind a stored trajectory (`thoughtbench-cli attention`, the GUI's Attention tab),
// recomputed with the policy that drew it (core/model/AttentionAnalysis.h does the computing).
// Torch-free interface, so Qt code includes it without LibTorch's headers.
#include <cstdint>
#include <string>
#include <vector>

#include "core/attention/AttentionSample.h"

namespace tb {

class RunStore;

// The attention of stored sample `sampleId` under the policy that drew it: the checkpoint of the
// iteration before the sample's (the latest one before it when checkpoints are sparser; the warm
// start for iteration 0 or when there is none). AttentionSample::policy says which was used.
AttentionSample attentionOfSample(RunStore& store, std::int64_t sampleId, const std::vector<int>& layers = {});

// The same for any text of run `runId` drawn at `iteration` (e.g. a path of a stored reasoning
// tree): the policy after iteration - 1, chosen as above.
AttentionSample attentionOfRunText(RunStore& store, std::int64_t runId, int iteration, const std::string& prompt,
                                   const std::string& completion, const std::vector<int>& layers = {});

}  // namespace tb
