// Flow of Reasoning: forward policy over legal steps, backward policy, trajectory balance losses,
// FoR's reward transform, the top-k replay buffer and local search.
#include "core/algorithms/GflowNet.h"

#include <algorithm>
#include <cmath>

#include "core/Error.h"
#include "core/rollout/Sampler.h"
#include "core/tasks/Task.h"
#include "core/text/CharTokenizer.h"

namespace tb {

namespace {

// One state of a trajectory with its candidate actions; its rows are firstRow .. firstRow + n - 1.
struct ScoredState {
  const Problem* problem = nullptr;
  std::vector<std::string> prefix;  // the steps before this state
  std::vector<std::string> legal;
  int64_t firstRow = 0;
};

// The completion text before a state: each earlier step and its '\n'.
std::string prefixText(const std::vector<std::string>& prefix) {
  std::string text;
  for (const auto& step : prefix) text += step + '\n';
  return text;
}

// Summed token log-probs of every candidate action of every state, [rows], in one forward pass.
torch::Tensor scoreCandidates(GptPolicy& policy, const CharTokenizer& tokenizer, const Task& task,
                              std::vector<ScoredState>& states, double temperature) {
  TB_CHECK(temperature > 0, "temperature = ", temperature, " must be > 0");
  std::vector<std::vector<int>> prompts, completions;
  std::vector<std::pair<size_t, size_t>> spans;  // action tokens: [first, first + count) of the completion
  int newline = -1;
  for (auto& state : states) {
    state.firstRow = static_cast<int64_t>(prompts.size());
    const auto prompt = tokenizer.encodePrompt(state.problem->prompt);
    const std::string before = prefixText(state.prefix);
    auto next = state.prefix;
    next.emplace_back();
    for (const auto& action : state.legal) {
      auto ids = tokenizer.encodeCompletion(before + action);  // ends with <eos>
      next.back() = action;
      if (!task.isTerminal(*state.problem, next)) {
        if (newline < 0) newline = tokenizer.encodeCompletion("\n").front();
        ids.back() = newline;
      }
      const size_t length = prompt.size() + ids.size();
      if (length > static_cast<size_t>(policy->config().context))
        failInput("problem '", state.problem->id, "': prompt and steps up to '", action, "' take ", length,
                  " tokens, more than model.context = ", policy->config().context);
      spans.emplace_back(before.size(), ids.size() - before.size());
      prompts.push_back(prompt);
      completions.push_back(std::move(ids));
    }
  }
  const auto batch = makeBatch(prompts, completions, CharTokenizer::kPad);
  const auto logprobs = scoreCompletions(policy, batch, temperature).logprobs;  // [rows, L]
  auto span = torch::zeros(logprobs.sizes(), torch::kFloat);
  auto a = span.accessor<float, 2>();
  for (size_t r = 0; r < spans.size(); ++r)
    for (size_t j = spans[r].first; j < spans[r].first + spans[r].second; ++j)
      a[static_cast<int64_t>(r)][static_cast<int64_t>(j)] = 1.0f;
  return (logprobs * span.to(logprobs.options())).sum(1);
}

}  // namespace

// ---- forward policy ---------------------------------------------------------------------------

std::vector<torch::Tensor> legalActionLogProbs(GptPolicy& policy, const CharTokenizer& tokenizer,
                                               const Task& task,
                                               const std::vector<StepTrajectory>& trajectories,
                                               double temperature) {
  std::vector<ScoredState> states;
  std::vector<size_t> taken;  // index of the taken step among each state's legal steps
  for (const auto& trajectory : trajectories) {
    TB_CHECK(trajectory.problem != nullptr, "a trajectory without its problem");
    const Problem& problem = *trajectory.problem;
    for (size_t k = 0; k < trajectory.steps.size(); ++k) {
      ScoredState state;
      state.problem = &problem;
      state.prefix.assign(trajectory.steps.begin(),
                          trajectory.steps.begin() + static_cast<std::ptrdiff_t>(k));
      state.legal = task.legalSteps(problem, state.prefix);
      const auto it = std::find(state.legal.begin(), state.legal.end(), trajectory.steps[k]);
      if (it == state.legal.end())
        failInput("problem '", problem.id, "': step ", k + 1, " '", trajectory.steps[k],
                  "' is not a legal step there (", state.legal.size(), " legal steps",
                  state.legal.empty() ? "; the state is terminal" : "", ")");
      taken.push_back(static_cast<size_t>(it - state.legal.begin()));
      states.push_back(std::move(state));
    }
  }
  std::vector<torch::Tensor> out;
  if (states.empty()) {
    for (size_t i = 0; i < trajectories.size(); ++i) out.push_back(torch::zeros({0}));
    return out;
  }
  const auto scores = scoreCandidates(policy, tokenizer, task, states, temperature);
  size_t s = 0;
  for (const auto& trajectory : trajectories) {
    std::vector<torch::Tensor> steps;
    for (size_t k = 0; k < trajectory.steps.size(); ++k, ++s) {
      const auto group = scores.narrow(0, states[s].firstRow, static_cast<int64_t>(states[s].legal.size()));
      steps.push_back(torch::log_softmax(group, 0)[static_cast<int64_t>(taken[s])]);
    }
    out.push_back(steps.empty() ? torch::zeros({0}, scores.options()) : torch::stack(steps));
  }
  return out;
}

torch::Tensor legalActionLogProbs(GptPolicy& policy, const CharTokenizer& tokenizer, const Task& task,
                                  const Problem& problem, const std::vector<std::string>& steps,
                                  double temperature) {
  return legalActionLogProbs(policy, tokenizer, task, {StepTrajectory{&problem, steps}}, temperature).front();
}

LegalActions legalActionDistribution(GptPolicy& policy, const CharTokenizer& tokenizer, const Task& task,
                                     const Problem& problem, const std::vector<std::string>& steps,
                                     double temperature) {
  LegalActions out;
  out.steps = task.legalSteps(problem, steps);
  if (out.steps.empty()) {
    out.logProbs = out.tokenLogProbs = torch::zeros({0});
    return out;
  }
  std::vector<ScoredState> states(1);
  states[0].problem = &problem;
  states[0].prefix = steps;
  states[0].legal = out.steps;
  out.tokenLogProbs = scoreCandidates(policy, tokenizer, task, states, temperature);
  out.logProbs = torch::log_softmax(out.tokenLogProbs, 0);
  return out;
}

std::vector<std::string> sampleLegalTrajectory(GptPolicy& policy, const CharTokenizer& tokenizer,
                                               const Task& task, const Problem& problem,
                                               std::vector<std::string> prefix, int maxSteps,
                                               double temperature, torch::Generator& generator) {
  torch::NoGradGuard noGrad;
  while (static_cast<int>(prefix.size()) < maxSteps && !task.isTerminal(problem, prefix)) {
    const auto actions = legalActionDistribution(policy, tokenizer, task, problem, prefix, temperature);
    if (actions.steps.empty()) break;
    const auto pick = torch::multinomial(actions.logProbs.exp(), 1, /*replacement=*/false, generator);
    prefix.push_back(actions.steps[static_cast<size_t>(pick.item<int64_t>())]);
  }
  return prefix;
}

// ---- backward policy --------------------------------------------------------------------------

BackwardPolicy backwardPolicyFor(const Task& task) {
  return task.name() == "blocksworld" ? BackwardPolicy::Reversible : BackwardPolicy::Tree;
}

double logBackward(const Task& task, const Problem& problem, const std::vector<std::string>& steps) {
  return logBackward(task, problem, steps, backwardPolicyFor(task));
}

double logBackward(const Task& task, const Problem& problem, const std::vector<std::string>& steps,
                   BackwardPolicy policy) {
  if (policy == BackwardPolicy::Tree) return 0.0;
  double sum = 0;
  std::vector<std::string> prefix;
  for (const auto& step : steps) {
    prefix.push_back(step);
    // A state reached by a step has at least that step's origin as predecessor.
    const size_t predecessors = std::max<size_t>(1, task.legalSteps(problem, prefix).size());
    sum -= std::log(static_cast<double>(predecessors));
  }
  return sum;
}

// ---- losses and rewards -----------------------------------------------------------------------

namespace {

void checkTrajectorySums(const torch::Tensor& logPf, const torch::Tensor& logR, const torch::Tensor& logPb) {
  TB_CHECK(logPf.defined() && logPf.dim() == 1 && logPf.size(0) > 0, "logPf must be a non-empty [N] tensor");
  TB_CHECK(logR.defined() && logR.sizes() == logPf.sizes(), "logR must be ", logPf.sizes());
  TB_CHECK(logPb.defined() && logPb.sizes() == logPf.sizes(), "logPb must be ", logPf.sizes());
}

double meanOf(const torch::Tensor& t) { return t.detach().to(torch::kDouble).mean().item<double>(); }

}  // namespace

GfnLossResult trajectoryBalanceLoss(const torch::Tensor& logZ, const torch::Tensor& logPf,
                                    const torch::Tensor& logR, const torch::Tensor& logPb) {
  checkTrajectorySums(logPf, logR, logPb);
  TB_CHECK(logZ.defined() && logZ.numel() == 1, "logZ must be a scalar tensor");
  const auto delta = logZ.reshape({}) + logPf - logR - logPb;
  return {delta.pow(2).mean(),
          {{"gfn/log_z", meanOf(logZ)}, {"gfn/log_reward", meanOf(logR)}, {"gfn/log_pf", meanOf(logPf)}}};
}

GfnLossResult logPartitionLoss(const torch::Tensor& logPf, const torch::Tensor& logR,
                               const torch::Tensor& logPb) {
  checkTrajectorySums(logPf, logR, logPb);
  const auto delta = logPf - logR - logPb;
  // The mean needs no stop-gradient: its gradient term sums to zero against (delta - mean).
  return {(delta - delta.mean()).pow(2).mean(),
          {{"gfn/log_z", -meanOf(delta)}, {"gfn/log_reward", meanOf(logR)}, {"gfn/log_pf", meanOf(logPf)}}};
}

double gfnLogReward(double reward, double temperature, double floor) {
  TB_CHECK(temperature > 0, "reward temperature = ", temperature, " must be > 0");
  TB_CHECK(floor > 0, "reward floor = ", floor, " must be > 0");
  return std::log(std::max(reward, floor)) / temperature;
}

double gfnLogReward(double reward, double likelihood, double lambda, double temperature, double floor) {
  return gfnLogReward(reward + lambda * likelihood, temperature, floor);
}

double likelihoodTerm(double summedLogProb, int tokens, double temperature) {
  TB_CHECK(tokens > 0, "likelihood of ", tokens, " tokens");
  TB_CHECK(temperature > 0, "likelihood temperature = ", temperature, " must be > 0");
  return std::exp(summedLogProb / tokens / temperature);
}

// ---- exploration ------------------------------------------------------------------------------

TrajectoryReplayBuffer::TrajectoryReplayBuffer(int capacity) : capacity_(capacity) {
  TB_CHECK(capacity > 0, "replay buffer capacity = ", capacity, " must be > 0");
}

bool TrajectoryReplayBuffer::add(const std::string& problemId, const std::vector<std::string>& steps,
                                 double logReward) {
  TB_CHECK(std::isfinite(logReward), "log reward ", logReward, " of a trajectory of '", problemId, "'");
  auto& entries = problems_[problemId];
  auto byReward = [](const Entry& a, const Entry& b) { return a.logReward > b.logReward; };
  if (auto same =
          std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.steps == steps; });
      same != entries.end()) {
    same->logReward = logReward;
    std::stable_sort(entries.begin(), entries.end(), byReward);
    return true;
  }
  if (static_cast<int>(entries.size()) >= capacity_) {
    if (logReward <= entries.back().logReward) return false;  // not better than the worst kept
    entries.pop_back();
  }
  // After the last entry with a log reward >= this one: ties keep the earlier entry first.
  const auto at = std::upper_bound(entries.begin(), entries.end(), Entry{{}, logReward}, byReward);
  entries.insert(at, Entry{steps, logReward});
  return true;
}

std::optional<TrajectoryReplayBuffer::Entry> TrajectoryReplayBuffer::sample(const std::string& problemId,
                                                                            std::mt19937_64& rng) const {
  const auto it = problems_.find(problemId);
  if (it == problems_.end() || it->second.empty()) return std::nullopt;
  return it->second[static_cast<size_t>(rng() % it->second.size())];
}

const std::vector<TrajectoryReplayBuffer::Entry>& TrajectoryReplayBuffer::entries(
    const std::string& problemId) const {
  static const std::vector<Entry> none;
  const auto it = problems_.find(problemId);
  return it == problems_.end() ? none : it->second;
}

size_t TrajectoryReplayBuffer::size() const {
  size_t n = 0;
  for (const auto& [id, entries] : problems_) n += entries.size();
  return n;
}

nlohmann::json TrajectoryReplayBuffer::toJson() const {
  nlohmann::json problems = nlohmann::json::object();
  for (const auto& [id, entries] : problems_) {
    if (entries.empty()) continue;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries) list.push_back({{"steps", e.steps}, {"log_reward", e.logReward}});
    problems[id] = std::move(list);
  }
  return {{"capacity", capacity_}, {"problems", std::move(problems)}};
}

TrajectoryReplayBuffer TrajectoryReplayBuffer::fromJson(const nlohmann::json& json) {
  const std::string where = "replay buffer";
  if (!json.is_object()) failInput(where, ": expected an object, got ", json.type_name());
  if (!json.contains("capacity") || !json["capacity"].is_number_integer() ||
      json["capacity"].get<long long>() < 1)
    failInput(where, ": \"capacity\" must be an integer >= 1");
  if (!json.contains("problems") || !json["problems"].is_object())
    failInput(where, ": \"problems\" must be an object of problem id -> list of trajectories");
  TrajectoryReplayBuffer buffer(static_cast<int>(json["capacity"].get<long long>()));
  for (const auto& [id, list] : json["problems"].items()) {
    const std::string field = where + ": problems[\"" + id + "\"]";
    if (!list.is_array()) failInput(field, ": expected a list of trajectories");
    for (size_t i = 0; i < list.size(); ++i) {
      const auto& item = list[i];
      const std::string entry = field + "[" + std::to_string(i) + "]";
      if (!item.is_object() || !item.contains("steps") || !item["steps"].is_array())
        failInput(entry, ": expected {\"steps\": [strings], \"log_reward\": number}");
      std::vector<std::string> steps;
      for (const auto& step : item["steps"]) {
        if (!step.is_string()) failInput(entry, ".steps: expected strings, got ", step.dump());
        steps.push_back(step.get<std::string>());
      }
      if (!item.contains("log_reward") || !item["log_reward"].is_number() ||
          !std::isfinite(item["log_reward"].get<double>()))
        failInput(entry, ".log_reward: expected a finite number");
      buffer.add(id, steps, item["log_reward"].get<double>());
    }
  }
  return buffer;
}

std::vector<std::string> localSearchCandidate(const std::vector<std::string>& steps) {
  return {steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2)};
}

}  // namespace tb
