#include "core/engine/AttentionSession.h"

#include <filesystem>
#include <optional>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/config/RunConfig.h"
#include "core/engine/Checkpoint.h"
#include "core/engine/TrainingSession.h"
#include "core/model/AttentionAnalysis.h"
#include "core/store/RunStore.h"
#include "core/tasks/Task.h"

namespace tb {

AttentionSample attentionOfRunText(RunStore& store, std::int64_t runId, int iteration, const std::string& prompt,
                                   const std::string& completion, const std::vector<int>& layers) {
  const auto record = store.run(runId);
  if (!record) failInput("no run ", runId, " in workspace '", store.path(), "'");
  const RunConfig config = RunConfig::fromJson(record->config, "run " + std::to_string(record->id));
  if (!config.getString("model.hf_path").empty())
    failInput("run ", record->id, " trained the Hugging Face checkpoint '", config.getString("model.hf_path"),
              "' (model.hf_path); the attention view recomputes built-in policies only");
  const auto task = TaskRegistry::instance().at(config.task(), "task").create(config);
  const CharTokenizer tokenizer(task->alphabet() +
                                algorithmAlphabet(AlgorithmRegistry::instance().at(config.algorithm(), "algorithm")));
  GptPolicy policy(modelConfig(config, tokenizer.vocabSize()));

  // What iteration i shows was drawn by the policy as it was after iteration i - 1.
  std::optional<CheckpointRecord> used;
  for (const auto& c : store.checkpoints(record->id))
    if (c.iteration < iteration && std::filesystem::exists(c.path)) used = c;
  std::string described;
  if (used) {
    loadCheckpointModels(used->path, policy, {});
    described = "checkpoint of iteration " + std::to_string(used->iteration);
    if (used->iteration != iteration - 1)
      described += " (the nearest before iteration " + std::to_string(iteration) + ")";
  } else {
    const std::string reference = store.runDirectory(record->id) + "/reference.pt";
    if (!std::filesystem::exists(reference))
      failInput("run ", record->id, " has no checkpoint before iteration ", iteration,
                " and no warm start to recompute the attention with");
    loadModel(reference, policy);
    described = iteration == 0 ? "warm start (the policy that drew iteration 0)"
                               : "warm start (no checkpoint before iteration " + std::to_string(iteration) + ")";
  }
  AttentionSample out = attentionOfText(policy, tokenizer, prompt, completion, layers);
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
