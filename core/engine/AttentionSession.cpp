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
  // The run's own policy and tokenizer (the built-in GPT, or its Hugging Face checkpoint loaded from
  // model.hf_path on model.device) as it was after iteration - 1: what drew iteration i.
  const RestoredRunPolicy restored = restoreRunPolicy(store, record->id, config, *task, iteration);
  std::string described;
  if (const auto& used = restored.checkpoint) {
    described = "checkpoint of iteration " + std::to_string(used->iteration);
    if (used->iteration != iteration - 1)
      described += " (the nearest before iteration " + std::to_string(iteration) + ")";
  } else {
    described = iteration == 0 ? "warm start (the policy that drew iteration 0)"
                               : "warm start (no checkpoint before iteration " + std::to_string(iteration) + ")";
  }
  if (!restored.run.policy->gpt()) described += ", " + config.getString("model.hf_path");
  if (restored.onCpuInstead) described += " (on the CPU in float32: no GPU here)";
  AttentionSample out = attentionOfText(*restored.policy, *restored.run.tokenizer, prompt, completion, layers);
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
