#include "core/attention/AttentionSample.h"

#include <algorithm>
#include <cmath>

#include "core/Error.h"

namespace tb {

std::vector<float> AttentionSample::map(int layerIndex, const std::vector<int>& heads) const {
  const size_t T = tokens.size();
  std::vector<float> out(T * T, 0.0f);
  std::vector<int> layerSet;
  if (layerIndex < 0) {
    for (size_t i = 0; i < layers.size(); ++i) layerSet.push_back(static_cast<int>(i));
  } else {
    TB_CHECK(layerIndex < static_cast<int>(layers.size()), "layer index ", layerIndex, " of ", layers.size());
    layerSet.push_back(layerIndex);
  }
  std::vector<int> headSet = heads;
  if (headSet.empty())
    for (int h = 0; h < headCount; ++h) headSet.push_back(h);
  if (layerSet.empty() || headSet.empty()) return out;
  const float scale = 1.0f / static_cast<float>(layerSet.size() * headSet.size());
  for (int li : layerSet)
    for (int h : headSet) {
      TB_CHECK(h >= 0 && h < headCount, "head ", h, " of ", headCount);
      const float* m = &weights[(static_cast<size_t>(li) * headCount + h) * T * T];
      for (size_t i = 0; i < T * T; ++i) out[i] += m[i] * scale;
    }
  return out;
}

void AttentionSample::validate() const {
  const size_t T = tokens.size();
  if (T == 0) failInput("attention: no tokens");
  if (promptLength < 0 || promptLength > size())
    failInput("attention: prompt_length ", promptLength, " outside 0..", size());
  if (headCount < 1 || layerCount < 1) failInput("attention: layer_count and head_count must be >= 1");
  for (int l : layers)
    if (l < 0 || l >= layerCount) failInput("attention: layer ", l, " outside 0..", layerCount - 1);
  if (weights.size() != layers.size() * headCount * T * T)
    failInput("attention: ", weights.size(), " weights, expected layers x heads x T x T = ",
              layers.size() * headCount * T * T);
  for (float w : weights)
    if (!std::isfinite(w)) failInput("attention: a weight is not finite");
  const size_t n = static_cast<size_t>(completionLength());
  if (!waad.empty() && waad.size() != n) failInput("attention: ", waad.size(), " WAAD values for ", n, " tokens");
  if (!fai.empty() && fai.size() != n) failInput("attention: ", fai.size(), " FAI values for ", n, " tokens");
  if (!headDistance.empty() && headDistance.size() != static_cast<size_t>(headCount))
    failInput("attention: ", headDistance.size(), " head distances for ", headCount, " heads");
  for (const auto* list : {&preplan, &anchors})
    for (int p : *list)
      if (p < 0 || static_cast<size_t>(p) >= n) failInput("attention: token position ", p, " outside the completion");
  for (const auto* list : {&localHeads, &globalHeads})
    for (int h : *list)
      if (h < 0 || h >= headCount) failInput("attention: head ", h, " outside 0..", headCount - 1);
}

nlohmann::json attentionToJson(const AttentionSample& a) {
  const size_t T = a.tokens.size();
  // Maps as nested arrays [kept layer][head][query][key], readable from any language.
  nlohmann::json maps = nlohmann::json::array();
  for (size_t li = 0; li < a.layers.size(); ++li) {
    nlohmann::json layer = nlohmann::json::array();
    for (int h = 0; h < a.headCount; ++h) {
      nlohmann::json rows = nlohmann::json::array();
      for (size_t t = 0; t < T; ++t) {
        const float* row = &a.weights[((li * a.headCount + h) * T + t) * T];
        rows.push_back(std::vector<float>(row, row + T));
      }
      layer.push_back(std::move(rows));
    }
    maps.push_back(std::move(layer));
  }
  return {{"format", "thoughtbench-attention"}, {"version", 1},     {"run", a.runId},
          {"sample", a.sampleId},              {"iteration", a.iteration}, {"policy", a.policy},
          {"problem_id", a.problemId},         {"tokens", a.tokens}, {"prompt_length", a.promptLength},
          {"layer_count", a.layerCount},       {"head_count", a.headCount}, {"layers", a.layers},
          {"attention", std::move(maps)},      {"head_distance", a.headDistance},
          {"local_heads", a.localHeads},       {"global_heads", a.globalHeads}, {"waad", a.waad},
          {"fai", a.fai},                      {"preplan", a.preplan}, {"anchors", a.anchors}};
}

AttentionSample attentionFromJson(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object() || j.value("format", "") != "thoughtbench-attention")
    failInput(source, ": not a Thoughtbench attention file (expected \"format\": \"thoughtbench-attention\")");
  AttentionSample a;
  try {
    a.runId = j.value("run", std::int64_t{0});
    a.sampleId = j.value("sample", std::int64_t{0});
    a.iteration = j.value("iteration", 0);
    a.policy = j.value("policy", "");
    a.problemId = j.value("problem_id", "");
    a.tokens = j.at("tokens").get<std::vector<std::string>>();
    a.promptLength = j.at("prompt_length").get<int>();
    a.layerCount = j.at("layer_count").get<int>();
    a.headCount = j.at("head_count").get<int>();
    a.layers = j.at("layers").get<std::vector<int>>();
    const size_t T = a.tokens.size();
    for (const auto& layer : j.at("attention"))
      for (const auto& head : layer)
        for (const auto& row : head) {
          const auto values = row.get<std::vector<float>>();
          if (values.size() != T) failInput(source, ": an attention row has ", values.size(), " weights, expected ", T);
          a.weights.insert(a.weights.end(), values.begin(), values.end());
        }
    a.headDistance = j.value("head_distance", std::vector<double>{});
    a.localHeads = j.value("local_heads", std::vector<int>{});
    a.globalHeads = j.value("global_heads", std::vector<int>{});
    a.waad = j.value("waad", std::vector<double>{});
    a.fai = j.value("fai", std::vector<double>{});
    a.preplan = j.value("preplan", std::vector<int>{});
    a.anchors = j.value("anchors", std::vector<int>{});
  } catch (const nlohmann::json::exception& e) {
    failInput(source, ": ", e.what());
  }
  try {
    a.validate();
  } catch (const InputError& e) {
    failInput(source, ": ", e.what());
  }
  return a;
}

std::vector<float> downsampleMax(const std::vector<float>& map, int T, int maxSide, int& side) {
  TB_CHECK(maxSide >= 1 && T >= 0 && map.size() == static_cast<size_t>(T) * T, "map of ", map.size(), " for T ", T);
  if (T <= maxSide) {
    side = T;
    return map;
  }
  side = maxSide;
  std::vector<float> out(static_cast<size_t>(side) * side, 0.0f);
  // Cell (i, j) covers rows [i*T/side, (i+1)*T/side) and the same columns.
  for (int t = 0; t < T; ++t) {
    const int i = static_cast<int>(static_cast<long long>(t) * side / T);
    const float* row = &map[static_cast<size_t>(t) * T];
    float* cells = &out[static_cast<size_t>(i) * side];
    for (int s = 0; s <= t; ++s) {
      const int jj = static_cast<int>(static_cast<long long>(s) * side / T);
      cells[jj] = std::max(cells[jj], row[s]);
    }
  }
  return out;
}

}  // namespace tb
