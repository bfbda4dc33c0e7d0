#include "core/engine/AttentionSession.h"

#include <filesystem>
#include <optional>

#include "core/Error.h"
#include "core/config/RunConfig.h"
#include "core/engine/Checkpoint.h"
#include "core/engine/RunPolicy.h"
#include "core/model/AttentionAnalysis.h"
#include "core/store/RunStore.h"
#include "core/tasks/Task.h"

namespace tb {

AttentionSample attentionOfRunText(RunStore& store, std::int64_t runId, int iteration, const std::string& prompt,
                                   const std::string& completion, const std::vector<int>& layers) {
  const auto record = store.run(runId);
  if (!record) failInput("no run ", runId, " in workspace '", store.path(), "'");
  const RunConfig config = RunConfig::fromJson(record->config, "run " + std::to_string(record->id));
  const auto task = TaskRegistry::instance().at(config.task(), "task").create(config);
  // The run's own policy and tokenizer: the built-in GPT, or its Hugging Face checkpoint (loaded
  // from model.hf_path on model.device, adapters attached as in training).
  RunPolicy run = makeRunPolicy(config, *task);

  // What iteration i shows was drawn by the policy as it was after iteration i - 1.
  std::optional<CheckpointRecord> used;
  for (const auto& c : store.checkpoints(record->id))
    if (c.iteration < iteration && std::filesystem::exists(c.path)) used = c;
  const std::string reference = store.runDirectory(record->id) + "/reference.pt";
  // The warm start: the policy itself without a checkpoint, and for an HF policy also under one (a
  // LoRA checkpoint holds adapters over the base with the warm start folded in).
  std::unique_ptr<PolicyModel> warm;
  if (!used || !run.policy->gpt()) {
    if (!std::filesystem::exists(reference))
      failInput("run ", record->id, " has no ", used ? "warm start (reference.pt) under its checkpoints" : "checkpoint",
                " before iteration ", iteration, used ? "" : " and no warm start", " to recompute the attention with");
    warm = run.policy->restoreReference(reference);
  }
  PolicyModel* policy = warm.get();
  std::string described;
  if (used) {
    loadCheckpointPolicy(used->path, *run.policy);
    policy = run.policy.get();
    described = "checkpoint of iteration " + std::to_string(used->iteration);
    if (used->iteration != iteration - 1)
      described += " (the nearest before iteration " + std::to_string(iteration) + ")";
  } else {
    described = iteration == 0 ? "warm start (the policy that drew iteration 0)"
                               : "warm start (no checkpoint before iteration " + std::to_string(iteration) + ")";
  }
  if (!run.policy->gpt()) described += ", " + config.getString("model.hf_path");
  AttentionSample out = attentionOfText(*policy, *run.tokenizer, prompt, completion, layers);
  out.runId = record->id;
  out.iteration = iteration;
  out.policy = described;
  return out;
}

AttentionSample attentionOfSample(RunStore& store, std::int64_t sampleId, const std::vector<int>& layers) {
  const auto sample = store.sample(sampleId);
  if (!sample)
    failInput("no sample ", sampleId, " in workspace '", store.path(), "' (`thoughtbench-cli samples RUN` lists ids)");
  AttentionSample out =
      attentionOfRunText(store, sample->runId, sample->iteration, sample->prompt, sample->completion, layers);
  out.sampleId = sampleId;
  out.problemId = sample->problemId;
  return out;
}

}  // namespace tb
