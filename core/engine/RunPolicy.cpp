// RunPolicy: the policy a run trains, and the export of a trained Hugging Face policy.
#include "core/engine/RunPolicy.h"

#include <algorithm>
#include <climits>
#include <filesystem>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/engine/Checkpoint.h"
#include "core/engine/TrainingSession.h"
#include "core/hf/HfModelConfig.h"
#include "core/model/LoraLinear.h"
#include "core/rollout/HfPolicyModel.h"
#include "core/rollout/HfPolicyTokenizer.h"
#include "core/store/RunStore.h"
#include "core/text/CharTokenizer.h"

namespace tb {

namespace {

// model.lora_targets: comma-separated module names ("q_proj, v_proj").
std::vector<std::string> splitLoraTargets(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    const auto b = current.find_first_not_of(" \t"), e = current.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(current.substr(b, e - b + 1));
    current.clear();
  };
  for (char c : text) {
    if (c == ',') flush();
    else current += c;
  }
  flush();
  if (out.empty()) failInput("model.lora_targets = '", text, "': expected module names such as q_proj,v_proj");
  return out;
}

}  // namespace

RunPolicy makeRunPolicy(const RunConfig& config, const Task& task, int localRank) {
  RunPolicy out;
  const std::string folder = config.getString("model.hf_path");
  if (folder.empty()) {
    auto chars = std::make_unique<CharTokenizer>(
        task.alphabet() + algorithmAlphabet(AlgorithmRegistry::instance().at(config.algorithm(), "algorithm")));
    out.policy = std::make_unique<GptPolicyModel>(GptPolicy(modelConfig(config, chars->vocabSize())));
    out.tokenizer = std::move(chars);
    return out;
  }
  const HfModelConfig hf = readHfModelConfig(folder + "/config.json");
  auto tokenizer = std::make_unique<HfPolicyTokenizer>(folder, config.getString("model.hf_chat"), hf.vocabSize);
  HfPolicySpec spec;
  spec.folder = folder;
  spec.device = config.getString("model.device");
  if (spec.device == "cuda" && localRank >= 0 && torch::cuda::device_count() > 0)
    spec.device = "cuda:" + std::to_string(policyCudaIndex(config, localRank));
  spec.dtype = config.getString("model.dtype") == "auto" ? "" : config.getString("model.dtype");
  spec.loraRank = static_cast<int>(config.getInt("model.lora_rank"));
  spec.loraAlpha = config.getFloat("model.lora_alpha");
  spec.loraTargets = splitLoraTargets(config.getString("model.lora_targets"));
  out.policy = std::make_unique<HfPolicyModel>(spec, tokenizer->stopIds());
  out.tokenizer = std::move(tokenizer);
  return out;
}

RestoredRunPolicy restoreRunPolicy(RunStore& store, std::int64_t runId, const RunConfig& config, const Task& task,
                                   int before) {
  RestoredRunPolicy out;
  RunConfig placed = config;
  if (!config.getString("model.hf_path").empty() && config.getString("model.device") == "cuda" &&
      torch::cuda::device_count() == 0) {
    placed.set("model.device", std::string("cpu"));
    if (config.getString("model.dtype") != "float32") placed.set("model.dtype", std::string("auto"));  // float32 on the CPU
    out.onCpuInstead = true;
  }
  out.run = makeRunPolicy(placed, task);
  for (const auto& c : store.checkpoints(runId))
    if (c.iteration < before && std::filesystem::exists(c.path)) out.checkpoint = c;
  const std::string reference = store.runDirectory(runId) + "/reference.pt";
  // The warm start: the policy itself without a checkpoint, and for an HF policy also under one (a
  // LoRA checkpoint holds adapters over the base with the warm start folded in).
  if (!out.checkpoint || !out.run.policy->gpt()) {
    if (!std::filesystem::exists(reference))
      failInput("run ", runId, " has no ", out.checkpoint ? "warm start (reference.pt) under its checkpoints" : "checkpoint",
                before == INT_MAX ? std::string() : " before iteration " + std::to_string(before),
                out.checkpoint ? "" : " and no warm start yet");
    out.warmStart = out.run.policy->restoreReference(reference);
    out.policy = out.warmStart.get();
  }
  if (out.checkpoint) {
    loadCheckpointPolicy(out.checkpoint->path, *out.run.policy);
    out.policy = out.run.policy.get();
  }
  return out;
}

int policyCudaIndex(const RunConfig& config, int localRank) {
  const std::string device = config.getString("model.device");
  const auto count = static_cast<int>(torch::cuda::device_count());
  if (config.getString("model.hf_path").empty() || device.rfind("cuda", 0) != 0 || count == 0) return -1;
  if (device == "cuda") return std::max(localRank, 0) % count;
  // cuda:N (hfPlacement refuses an N out of range by name when the policy loads).
  try {
    return std::stoi(device.substr(5));
  } catch (const std::exception&) {
    return -1;
  }
}

int exportHfPolicy(RunStore& store, std::int64_t runId, const std::string& out, bool adapterOnly) {
  namespace fs = std::filesystem;
  const auto record = store.run(runId);
  if (!record) failInput("no run ", runId, " in workspace '", store.path(), "'");
  const RunConfig config = RunConfig::fromJson(record->config, "run " + std::to_string(runId));
  if (config.getString("model.hf_path").empty())
    failInput("run ", runId, " trained the built-in policy; only runs of a Hugging Face checkpoint (model.hf_path) "
              "export as Hugging Face folders");
  const auto ckpt = store.latestCheckpoint(runId);
  const std::string reference = store.runDirectory(runId) + "/reference.pt";
  if (!ckpt || !fs::exists(ckpt->path) || !fs::exists(reference))
    failInput("run ", runId, " has no checkpoint to export yet");
  const bool warmStarted = config.getString("warmstart.checkpoint").empty() &&
                           config.getInt("warmstart.demonstrations") > 0 && config.getInt("warmstart.steps") > 0;
  if (adapterOnly && config.getInt("model.lora_rank") == 0)
    failInput("run ", runId, " trained every weight (model.lora_rank = 0): it has no adapter; export it merged");
  if (adapterOnly && warmStarted)
    failInput("run ", runId, "'s warm start was folded into the base weights, so its adapters alone do not give "
              "the trained policy over the original checkpoint; export it merged");

  const auto task = TaskRegistry::instance().at(config.task(), "task").create(config);
  RunPolicy run = makeRunPolicy(config, *task);
  auto& policy = dynamic_cast<HfPolicyModel&>(*run.policy);
  policy.restoreReference(reference);  // the warm start folded in, as the run did
  torch::serialize::InputArchive archive, model;
  readArchive(archive, ckpt->path, "checkpoint");
  if (!archive.try_read("model", model)) failInput("checkpoint '", ckpt->path, "' holds no policy");
  policy.load(model, ckpt->path);
  if (adapterOnly) {
    saveLoraAdapter(*policy.model(), policy.lora(), out);
    return ckpt->iteration;
  }
  mergeLora(*policy.model());
  saveHfCausalLM(policy.model(), out, "F32");
  const fs::path source(config.getString("model.hf_path"));
  for (const char* file : {"tokenizer.json", "tokenizer_config.json", "generation_config.json",
                           "special_tokens_map.json"})
    if (fs::exists(source / file)) fs::copy_file(source / file, fs::path(out) / file, fs::copy_options::overwrite_existing);
  return ckpt->iteration;
}

}  // namespace tb
