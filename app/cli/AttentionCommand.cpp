// `attention --sample ID [--run RUN] [--layers 0,2] --out FILE.json|.png|.svg`: the attention behind
// a stored sample (ids as `thoughtbench-cli samples RUN` lists them), recomputed with the policy that
// drew it. JSON holds the tokens, the maps of the chosen layers and heads and the per-token WAAD,
// FAI, preplan and anchor tokens; an image is the heatmap (mean over heads and the chosen layers,
// completion tokens), with the completion's token strip in FILE-tokens.png|.svg beside it, both
// drawn by the GUI's own attention view.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/cli/OffscreenRender.h"
#include "app/cli/Commands.h"
#include "core/Error.h"
#include "core/engine/AttentionSession.h"

namespace tb::cli {

namespace {

std::vector<int> parseLayers(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      out.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::logic_error&) {
      failInput("--layers ", text, ": expected layer numbers separated by commas, e.g. 0,3");
    }
  }
  return out;
}

}  // namespace

int attentionCommand(const CliArguments& args) {
  args.allowOnly({"sample", "run", "layers", "out", "db", "json"});
  const auto sampleText = args.value("sample");
  if (!sampleText) failInput("attention needs --sample ID (`thoughtbench-cli samples RUN` lists ids)");
  std::int64_t sampleId = 0;
  try {
    size_t used = 0;
    sampleId = std::stoll(*sampleText, &used);
    if (used != sampleText->size()) throw std::invalid_argument("trailing");
  } catch (const std::logic_error&) {
    failInput("--sample must be a number, got '", *sampleText, "'");
  }
  const auto out = args.value("out");
  if (!out) failInput("attention needs --out FILE.json, FILE.png or FILE.svg");
  const std::string extension = out->substr(out->find_last_of('.') == std::string::npos ? out->size() : out->find_last_of('.'));
  if (extension != ".json" && extension != ".png" && extension != ".svg")
    failInput("--out ", *out, ": expected a .json, .png or .svg file");
  auto store = RunStore::open(workspacePath(args));
  const auto sample = store->sample(sampleId);
  if (!sample) failInput("no sample ", sampleId, " in workspace '", store->path(), "'");
  if (auto run = args.value("run"); run && *run != std::to_string(sample->runId))
    failInput("sample ", sampleId, " belongs to run ", sample->runId, ", not run ", *run);
  const AttentionSample attention =
      attentionOfSample(*store, sampleId, parseLayers(args.value("layers").value_or("")));
  if (extension == ".json") {
    const std::string tmp = *out + ".tmp";
    {
      std::ofstream file(tmp);
      if (!file) failInput("cannot write '", *out, "'");
      file << attentionToJson(attention).dump();
      if (!file) failInput("cannot write '", *out, "'");
    }
    if (std::rename(tmp.c_str(), out->c_str()) != 0) failInput("cannot replace '", *out, "'");
  } else {
    writeAttentionImage(attention, *out);
  }
  std::printf("sample %lld of run %lld (%s, iteration %d): %d tokens (%d prompt), %zu layer(s) x %d heads, "
              "policy: %s; written to %s\n",
              static_cast<long long>(sampleId), static_cast<long long>(attention.runId), attention.problemId.c_str(),
              attention.iteration, attention.size(), attention.promptLength, attention.layers.size(),
              attention.headCount, attention.policy.c_str(), out->c_str());
  return 0;
}

}  // namespace tb::cli
