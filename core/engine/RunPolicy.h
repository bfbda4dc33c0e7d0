#pragma once
// The policy a run's configuration names, and exporting a trained Hugging Face policy.
//   model.hf_path empty: the built-in GPT (model.* shape) with the character tokenizer of the
//                        task's and algorithm's alphabet;
//   otherwise:           the checkpoint folder's model with its tokenizer (HfPolicyModel,
//                        HfPolicyTokenizer; model.device, model.dtype, model.hf_chat, model.lora_*).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/config/RunConfig.h"
#include "core/rollout/PolicyModel.h"
#include "core/store/RunStore.h"
#include "core/tasks/Task.h"
#include "core/text/PolicyTokenizer.h"

namespace tb {

struct RunPolicy {
  std::unique_ptr<PolicyTokenizer> tokenizer;
  std::unique_ptr<PolicyModel> policy;
};

// Builds (and for HF, loads) the policy; InputError naming the model.* field or the folder.
// `localRank` >= 0 (a rank of a distributed run): model.device=cuda becomes that rank's GPU,
// cuda:(localRank mod the visible devices), so the ranks of one machine spread over its GPUs.
RunPolicy makeRunPolicy(const RunConfig& config, const Task& task, int localRank = -1);

// A run's policy restored as training left it before iteration `before` (INT_MAX: at its end):
// the latest checkpoint older than `before`, else the warm start (the run's reference.pt). For an
// HF policy the warm start is folded into the base first, as a resumed run does. `policy` points
// into `run` or `warmStart`; `checkpoint` is the one used (none: the warm start). A run trained on a
// GPU opens on a machine without one in float32 on the CPU (`onCpuInstead`), so its attention and
// searches can be read anywhere. InputError naming the run when neither exists yet.
struct RestoredRunPolicy {
  RunPolicy run;
  std::unique_ptr<PolicyModel> warmStart;
  PolicyModel* policy = nullptr;
  std::optional<CheckpointRecord> checkpoint;
  bool onCpuInstead = false;
};
RestoredRunPolicy restoreRunPolicy(RunStore& store, std::int64_t runId, const RunConfig& config, const Task& task,
                                   int before);

// The GPU index the policy of `config` works on for that rank (as makeRunPolicy places it), or -1
// when it is on the CPU (the built-in policy, model.device=cpu, or no GPU visible).
int policyCudaIndex(const RunConfig& config, int localRank);

// Writes the trained policy of an HF run (its latest checkpoint) as a Hugging Face folder:
//   merged (default): the base with the adapters folded in (W + (alpha / r) B A), config.json,
//                     model.safetensors (F32) and the checkpoint's tokenizer and generation files,
//                     loadable by `model generate` and by transformers;
//   adapterOnly:      the adapters in the PEFT layout (adapter_config.json,
//                     adapter_model.safetensors) over the original base, which only exists when
//                     the run had no warm start (a warm start is folded into the base weights).
// InputError for a run of the built-in policy, a run without a checkpoint, or adapterOnly where
// it cannot be. Returns the iteration of the checkpoint exported.
int exportHfPolicy(RunStore& store, std::int64_t runId, const std::string& out, bool adapterOnly);

}  // namespace tb
