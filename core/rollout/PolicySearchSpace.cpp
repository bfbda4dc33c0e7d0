#include "core/rollout/PolicySearchSpace.h"

#include <algorithm>
#include <set>

#include "core/Error.h"
#include "core/rollout/Sampler.h"

namespace tb {

PolicySearchSpace::PolicySearchSpace(PolicyModel& policy, const PolicyTokenizer& tokenizer, const Task& task,
                                     const Problem& problem, PolicySearchOptions options, torch::Generator& generator,
                                     ValueModel* valueModel, std::function<std::string(const std::string&)> verifiable)
    : policy_(policy), tokenizer_(tokenizer), task_(task), problem_(problem), options_(std::move(options)),
      generator_(generator), valueModel_(valueModel), verifiable_(std::move(verifiable)) {
  if (options_.value != "verifier" && options_.value != "rollout" && options_.value != "value_model")
    failInput("search.value = \"", options_.value, "\" (expected verifier, rollout or value_model)");
  if (options_.value == "value_model" && !valueModel_)
    failInput("search.value = value_model needs a value model (a rest_mcts run's checkpoint)");
  if (options_.value == "value_model" && !policy_.gpt())
    failInput("search.value = value_model needs the built-in policy (the value model reads its trunk); use "
              "verifier or rollout with a Hugging Face checkpoint");
  lineEnds_ = tokenizer_.lineEndIds();
  if (lineEnds_.empty()) failInput("the policy's tokenizer has no token holding a newline: it cannot write steps");
  TB_CHECK(options_.stepTokens >= 2 && options_.draws >= 1, "stepTokens ", options_.stepTokens, ", draws ",
           options_.draws);
}

std::string PolicySearchSpace::completionText(const std::vector<std::string>& steps) {
  std::string text;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i) text += '\n';
    text += steps[i];
  }
  return text;
}

std::vector<int> stateTokens(const PolicyTokenizer& tokenizer, const std::string& prompt,
                             const std::vector<std::string>& steps) {
  std::vector<int> ids = tokenizer.encodePrompt(prompt);
  for (const auto& s : steps) {
    auto step = tokenizer.encodeText(s + "\n");
    ids.insert(ids.end(), step.begin(), step.end());
  }
  return ids;
}

std::vector<int> PolicySearchSpace::stateTokens(const std::vector<std::string>& steps) const {
  return tb::stateTokens(tokenizer_, problem_.prompt, steps);
}

std::vector<StepCandidate> PolicySearchSpace::expand(const std::vector<std::string>& steps, int count) {
  return expandMany({steps}, count).front();
}

std::vector<std::vector<StepCandidate>> PolicySearchSpace::expandMany(
    const std::vector<std::vector<std::string>>& states, int count) {
  std::vector<std::vector<StepCandidate>> out(states.size());
  if (states.empty() || count <= 0) return out;
  const int context = policy_.context();
  const int draws = count * options_.draws;

  // States whose prompt leaves room for a whole step share one batch; longer ones go alone with
  // what room they have (none left: no candidates, the search ends the branch there).
  std::vector<std::vector<int>> prompts(states.size());
  std::vector<size_t> batched, alone;
  for (size_t i = 0; i < states.size(); ++i) {
    prompts[i] = stateTokens(states[i]);
    const int room = context - static_cast<int>(prompts[i].size());
    if (room >= options_.stepTokens) batched.push_back(i);
    else if (room >= 2) alone.push_back(i);
  }
  const auto endsLine = [&](int64_t id) { return std::find(lineEnds_.begin(), lineEnds_.end(), id) != lineEnds_.end(); };

  auto sampleFor = [&](const std::vector<size_t>& which, int maxTokens) {
    if (which.empty()) return;
    std::vector<std::vector<int>> batchPrompts;
    for (size_t i : which)
      for (int d = 0; d < draws; ++d) batchPrompts.push_back(prompts[i]);
    SamplingOptions sampling;
    sampling.temperature = options_.temperature;
    sampling.maxNewTokens = maxTokens;
    sampling.padId = tokenizer_.padId();
    sampling.eosId = tokenizer_.eosId();
    sampling.stopId = lineEnds_.front();
    sampling.moreStopIds.assign(lineEnds_.begin() + 1, lineEnds_.end());
    RolloutBatch batch = policy_.sample(batchPrompts, sampling, generator_);
    tokensGenerated_ += batch.generatedTokens();
    const int P = batch.promptLength;
    auto tokens = batch.tokens.accessor<int64_t, 2>();
    auto logprobs = batch.logprobs.accessor<float, 2>();
    for (size_t k = 0; k < which.size(); ++k) {
      auto& candidates = out[which[k]];
      std::set<std::pair<std::string, bool>> seen;
      for (int d = 0; d < draws && static_cast<int>(candidates.size()) < count; ++d) {
        const size_t row = k * draws + d;
        const int length = batch.lengths[row];
        if (length == 0) continue;
        StepCandidate c;
        std::vector<int> ids(length);
        for (int j = 0; j < length; ++j) ids[size_t(j)] = static_cast<int>(tokens[row][P + j]);
        // A line cut at the step limit ends the completion: it cannot be continued as a step.
        c.final = !endsLine(ids.back());
        c.step = tokenizer_.decode(ids);  // up to the end token, special tokens dropped
        if (!c.final) c.step = c.step.substr(0, c.step.find('\n'));
        c.tokens = length;
        for (int j = 0; j < length; ++j) c.logProb += logprobs[row][j];
        if (c.step.empty() && !c.final) continue;  // a blank line is no step
        if (!seen.insert({c.step, c.final}).second) continue;
        candidates.push_back(std::move(c));
      }
    }
  };
  sampleFor(batched, options_.stepTokens);
  for (size_t i : alone) sampleFor({i}, context - static_cast<int>(prompts[i].size()));
  return out;
}

bool PolicySearchSpace::isTerminal(const std::vector<std::string>& steps, bool lastStepFinal) {
  if (lastStepFinal) return true;
  return options_.stepLevel && !steps.empty() && task_.isTerminal(problem_, steps);
}

StateVerdict PolicySearchSpace::verdict(const std::vector<std::string>& steps) {
  std::string text = completionText(steps);
  if (verifiable_) text = verifiable_(text);
  const Verdict v = task_.verify(problem_, text);
  return {v.correct, v.reward, v.reason};
}

std::vector<double> PolicySearchSpace::evaluate(const std::vector<std::vector<std::string>>& states) {
  std::vector<double> values(states.size(), 0.0);
  if (states.empty() || options_.value == "verifier") return values;
  torch::NoGradGuard noGrad;
  std::vector<std::vector<int>> prompts;
  for (const auto& s : states) prompts.push_back(stateTokens(s));
  if (options_.value == "value_model") {
    auto [tokens, valid] = padPrompts(prompts, tokenizer_.padId());
    auto v = (*valueModel_)->values(tokens, valid).select(1, tokens.size(1) - 1);
    auto a = v.accessor<float, 1>();
    for (size_t i = 0; i < states.size(); ++i) values[i] = std::clamp(2.0 * a[i] - 1.0, -1.0, 1.0);
    return values;
  }
  // rollout: one continuation of each state, verified.
  const int context = policy_.context();
  size_t longest = 0;
  for (const auto& p : prompts) longest = std::max(longest, p.size());
  const int room = std::min(options_.rolloutTokens, context - static_cast<int>(longest));
  if (room < 1) return values;
  SamplingOptions sampling;
  sampling.temperature = options_.temperature;
  sampling.maxNewTokens = room;
  sampling.padId = tokenizer_.padId();
  sampling.eosId = tokenizer_.eosId();
  RolloutBatch batch = policy_.sample(prompts, sampling, generator_);
  tokensGenerated_ += batch.generatedTokens();
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  for (size_t i = 0; i < states.size(); ++i) {
    std::string text = completionText(states[i]);
    if (!states[i].empty()) text += '\n';
    std::vector<int> ids(static_cast<size_t>(batch.lengths[i]));
    for (size_t j = 0; j < ids.size(); ++j) ids[j] = static_cast<int>(tokens[i][batch.promptLength + int64_t(j)]);
    text += tokenizer_.decode(ids);
    if (verifiable_) text = verifiable_(text);
    values[i] = task_.verify(problem_, text).correct ? 1.0 : -1.0;
  }
  return values;
}

std::string PolicySearchSpace::describe(const std::vector<std::string>& steps) {
  try {
    return task_.describeState(problem_, steps);
  } catch (const std::exception& e) {
    return completionText(steps) + "\n(state not readable: " + e.what() + ")";
  }
}

std::string PolicySearchSpace::answer(const std::vector<std::string>& steps) {
  return task_.finalAnswer(problem_, completionText(steps));
}

}  // namespace tb
