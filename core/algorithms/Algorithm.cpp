// Algorithm: composition of registered parts and the glue between them.
#include "core/algorithms/Algorithm.h"

#include <algorithm>

#include "core/Error.h"
#include "core/algorithms/AlgorithmInfo.h"
#include "core/algorithms/PolicyLoss.h"

namespace tb {

double maskedMeanValue(const torch::Tensor& values, const torch::Tensor& mask) {
  const double n = mask.sum().item<double>();
  return n > 0 ? (values.to(torch::kDouble) * mask).sum().item<double>() / n : 0.0;
}

std::unique_ptr<Algorithm> Algorithm::create(const RunConfig& config) {
  const AlgorithmInfo& info = AlgorithmRegistry::instance().at(config.algorithm(), "algorithm");
  if (info.create) return info.create(config);
  TB_CHECK(info.parts.has_value(), "algorithm ", info.name, " has neither parts nor a factory");
  return std::make_unique<Algorithm>(config, *info.parts);
}

Algorithm::Algorithm(const RunConfig& config, const PresetParts& parts)
    : names_(parts), aggregation_(config.has("algo.loss_agg") ? config.getString("algo.loss_agg") : "token-mean") {
  rollout_ = createPart<RolloutStrategy>(parts.rollout, config);
  for (const auto& n : parts.rewards) rewards_.push_back(createPart<RewardShaper>(n, config));
  for (const auto& n : parts.filters) filters_.push_back(createPart<DataFilter>(n, config));
  advantage_ = createPart<AdvantageEstimator>(parts.advantage, config);
  objective_ = createPart<Objective>(parts.objective, config);
  for (const auto& n : parts.regularizers) regularizers_.push_back(createPart<Regularizer>(n, config));
  curriculum_ = createPart<Curriculum>(parts.curriculum, config);
}

std::vector<Part*> Algorithm::allParts() const {
  std::vector<Part*> out{rollout_.get()};
  for (const auto& p : rewards_) out.push_back(p.get());
  for (const auto& p : filters_) out.push_back(p.get());
  out.push_back(advantage_.get());
  out.push_back(objective_.get());
  for (const auto& p : regularizers_) out.push_back(p.get());
  out.push_back(curriculum_.get());
  return out;
}

ReferenceMode Algorithm::referenceMode() const {
  ReferenceMode mode = ReferenceMode::None;
  for (const Part* p : allParts())
    if (mode == ReferenceMode::None) mode = p->reference();
  return mode;
}

bool Algorithm::needsOldScores() const { return advantage_->needsOldScores(); }

std::string Algorithm::builtInPolicyNeededBy() const {
  for (Part* p : allParts())
    if (const char* what = p->needsBuiltInPolicy()) return what;
  return "";
}

void Algorithm::begin(TrainingContext& ctx) {
  for (Part* p : allParts()) p->begin(ctx);
}

std::vector<const Problem*> Algorithm::pick(TrainingContext& ctx, int count) {
  return curriculum_->pick(ctx, ctx.task.problems(Split::Train), count);
}

Rollout Algorithm::finish(TrainingContext& ctx, Rollout rollout) {
  for (auto& row : rollout.rows) row.reward = row.verdict.reward;
  for (auto& shaper : rewards_) shaper->shape(ctx, rollout);
  if (filters_.empty()) return rollout;
  Rollout kept;
  kept.pairs.clear();
  const auto groups = rollout.groupRows();
  for (int g = 0; g < rollout.groups(); ++g) {
    std::vector<int> rows = groups[g];
    for (auto& filter : filters_) {
      if (rows.empty()) break;
      rows = filter->keep(ctx, rollout, g, rows);
    }
    if (rows.empty()) ++kept.groupsDropped;
    else kept.appendGroup(rollout, g, rows);
    for (int i : groups[g])
      if (std::find(rows.begin(), rows.end(), i) == rows.end())
        kept.filteredOut.emplace_back(rollout.problems[g], rollout.rows[i]);
  }
  kept.filteredOut.insert(kept.filteredOut.begin(), rollout.filteredOut.begin(), rollout.filteredOut.end());
  kept.groupsSampled = rollout.groupsSampled;
  kept.zeroStdFirstRound = rollout.zeroStdFirstRound;
  return kept;
}

Rollout Algorithm::collect(TrainingContext& ctx) {
  const bool resample = std::any_of(filters_.begin(), filters_.end(), [](const auto& f) { return f->resamples(); });
  RolloutStrategy::Finisher finisher = [this](TrainingContext& c, Rollout r) { return finish(c, std::move(r)); };
  Rollout out = rollout_->collect(ctx, pick(ctx, ctx.prompts), finisher);
  // Dynamic sampling: draw more problems for dropped groups, up to 4 extra rounds.
  for (int round = 0; resample && round < 4 && out.groups() < ctx.prompts; ++round) {
    Rollout more = rollout_->collect(ctx, pick(ctx, ctx.prompts - out.groups()), finisher);
    const int dropped = out.groupsDropped + more.groupsDropped;
    const int sampled = out.groupsSampled + more.groupsSampled;
    const auto groups = more.groupRows();
    for (int g = 0; g < more.groups(); ++g) out.appendGroup(more, g, groups[g]);
    out.filteredOut.insert(out.filteredOut.end(), more.filteredOut.begin(), more.filteredOut.end());
    out.groupsDropped = dropped;
    out.groupsSampled = sampled;
  }
  if (out.rows.empty()) {
    // Every group was filtered out: train on nothing rather than fail; the iteration still logs.
    ctx.metric("groups/empty_batch", 1.0);
  }
  return out;
}

void Algorithm::prepare(TrainingContext& ctx, const Rollout& rollout, UpdateBatch& batch) {
  objective_->prepare(ctx, rollout, batch);
}

torch::Tensor Algorithm::advantages(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) {
  return advantage_->estimate(ctx, rollout, batch);
}

LossResult Algorithm::loss(TrainingContext& ctx, const PolicyLossInputs& in) {
  LossResult result = objective_->loss(ctx, in);
  torch::Tensor tokenLoss = result.tokenLoss;
  for (auto& reg : regularizers_) {
    auto term = reg->tokenLoss(ctx, in, result.metrics);
    if (!term.defined()) continue;
    tokenLoss = tokenLoss.defined() ? tokenLoss + term : term;
  }
  torch::Tensor total;
  if (tokenLoss.defined())
    total = aggregateTokenLoss(tokenLoss, in.mask, lossAggregationFromName(aggregation_), in.maxLength);
  if (result.loss.defined()) total = total.defined() ? total + result.loss : result.loss;
  if (auto aux = advantage_->auxiliaryLoss(ctx, in, result.metrics); aux.defined())
    total = total.defined() ? total + aux : aux;
  if (auto aux = rollout_->auxiliaryLoss(ctx, in, result.metrics); aux.defined())
    total = total.defined() ? total + aux : aux;
  TB_CHECK(total.defined(), "objective ", names_.objective, " produced no loss");
  result.loss = total;
  return result;
}

void Algorithm::endIteration(TrainingContext& ctx, const Rollout& rollout, const UpdateBatch& batch) {
  for (auto& reg : regularizers_) reg->endIteration(ctx, rollout, batch);
  curriculum_->observe(ctx, rollout, batch.advantages);
}

std::optional<std::string> Algorithm::demonstration(const Task& task, const Problem& problem,
                                                    std::mt19937_64& rng) const {
  auto demo = task.demonstration(problem, rng);
  if (!demo) return demo;
  for (const Part* p : allParts()) *demo = p->demonstration(problem, std::move(*demo), rng);
  return demo;
}

std::string Algorithm::verifiable(const std::string& completion) const {
  std::string out = completion;
  for (const Part* p : allParts()) out = p->verifiable(out);
  return out;
}

nlohmann::json Algorithm::state() const {
  nlohmann::json out = nlohmann::json::object();
  const auto parts = allParts();
  for (size_t i = 0; i < parts.size(); ++i) {
    auto s = parts[i]->state();
    if (!s.is_null()) out[std::to_string(i)] = std::move(s);
  }
  return out;
}

void Algorithm::restore(const nlohmann::json& state) {
  const auto parts = allParts();
  for (size_t i = 0; i < parts.size(); ++i)
    if (state.contains(std::to_string(i))) parts[i]->restore(state.at(std::to_string(i)));
}

std::vector<std::pair<std::string, torch::nn::Module*>> Algorithm::modules() {
  std::vector<std::pair<std::string, torch::nn::Module*>> out;
  const auto parts = allParts();
  for (size_t i = 0; i < parts.size(); ++i)
    for (auto& [name, m] : parts[i]->modules()) out.emplace_back(std::to_string(i) + "." + name, m);
  return out;
}

}  // namespace tb
