// Atomic checkpoint files (torch::serialize archives).
#include "core/engine/Checkpoint.h"

#include <filesystem>
#include <sstream>

#include "core/Error.h"

namespace tb {

namespace {

void writeAtomically(const std::string& path, torch::serialize::OutputArchive& archive) {
  saveArchiveAtomically(archive, path);
}

template <typename Fn>
void readingFile(const std::string& path, Fn&& fn) {
  if (!std::filesystem::exists(path)) failInput("checkpoint '", path, "' does not exist");
  try {
    fn();
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    failInput("checkpoint '", path, "' cannot be loaded: ", what.substr(0, what.find('\n')));
  }
}

}  // namespace

void saveModel(const std::string& path, GptPolicy& policy) {
  torch::serialize::OutputArchive archive;
  policy->save(archive);
  writeAtomically(path, archive);
}

void loadModel(const std::string& path, GptPolicy& policy) {
  readingFile(path, [&] {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    loadModuleKeepingShapes(*policy, archive, path);
  });
}

void saveCheckpoint(const std::string& path, PolicyModel& policy, torch::optim::Optimizer& optimizer,
                    const TrainingState& state) {
  torch::serialize::OutputArchive archive, model, optim;
  policy.save(model);
  optimizer.save(optim);
  archive.write("model", model);
  archive.write("optimizer", optim);
  archive.write("iteration", torch::tensor(static_cast<int64_t>(state.iteration)));
  std::ostringstream rng;
  rng << *state.rng;
  archive.write("rng", c10::IValue(rng.str()));
  archive.write("generator", state.generator->get_state());
  if (state.algorithmState) archive.write("algorithm_state", c10::IValue(state.algorithmState->dump()));
  for (const auto& [name, module] : state.modules) {
    torch::serialize::OutputArchive part;
    module->save(part);
    archive.write("part." + name, part);
  }
  writeAtomically(path, archive);
}

std::vector<std::string> loadCheckpointModels(const std::string& path, GptPolicy& policy,
                                              const std::vector<std::pair<std::string, torch::nn::Module*>>& modules) {
  std::vector<std::string> loaded;
  readingFile(path, [&] {
    torch::serialize::InputArchive archive, model;
    archive.load_from(path);
    archive.read("model", model);
    loadModuleKeepingShapes(*policy, model, path);
    for (const auto& [name, module] : modules) {
      torch::serialize::InputArchive part;
      if (!archive.try_read("part." + name, part)) continue;
      loadModuleKeepingShapes(*module, part, path);
      loaded.push_back(name);
    }
  });
  return loaded;
}

void loadCheckpointPolicy(const std::string& path, PolicyModel& policy) {
  readingFile(path, [&] {
    torch::serialize::InputArchive archive, model;
    archive.load_from(path);
    archive.read("model", model);
    policy.load(model, path);
  });
}

int loadCheckpoint(const std::string& path, PolicyModel& policy, torch::optim::Optimizer& optimizer,
                   const TrainingState& state) {
  int iteration = -1;
  readingFile(path, [&] {
    torch::serialize::InputArchive archive, model, optim;
    archive.load_from(path);
    archive.read("model", model);
    policy.load(model, path);
    archive.read("optimizer", optim);
    optimizer.load(optim);
    torch::Tensor it, generatorState;
    archive.read("iteration", it);
    iteration = static_cast<int>(it.item<int64_t>());
    c10::IValue rng;
    archive.read("rng", rng);
    std::istringstream in(rng.toStringRef());
    in >> *state.rng;
    archive.read("generator", generatorState);
    state.generator->set_state(generatorState);
    if (state.algorithmState) {
      c10::IValue json;
      if (archive.try_read("algorithm_state", json)) *state.algorithmState = nlohmann::json::parse(json.toStringRef());
    }
    for (const auto& [name, module] : state.modules) {
      torch::serialize::InputArchive part;
      archive.read("part." + name, part);
      module->load(part);
    }
  });
  return iteration;
}

}  // namespace tb
