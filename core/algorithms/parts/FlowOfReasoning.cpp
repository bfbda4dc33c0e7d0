// Flow of Reasoning (Yu et al. 2024, "Flow of Reasoning: Training LLMs for Divergent Reasoning with
// Minimal Examples"): the policy as a GFlowNet over reasoning steps (formulas in GflowNet.h).
//   rollout/gfn                trajectories sampled step by step from P_F over the task's legal
//                              steps (tempered by rollout.temperature); with probability
//                              algo.replay_prob a group member is replaced by a trajectory from the
//                              per-problem top-k replay buffer; local search keeps the first half of
//                              the group's best trajectory, resamples the rest and adds it to the
//                              buffer when its log R is higher.
//   objective/trajectory_balance  (log Z + sum log P_F - log R - sum log P_B)^2 with a learned scalar
//                              log Z (init algo.log_z_init), or the log-partition (VarGrad) form over
//                              each group, mean_i (delta_i - mean delta)^2.
// Reward: R = algo.gfn_reward_correct if the verifier accepts, else max(floor, 10 x the task's
// partial reward) (FoR: Game24 100 / 0.001; BlocksWorld 100 / 10 x fraction of goals); log R is
// tempered by algo.reward_temperature.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "core/Error.h"
#include "core/algorithms/GflowNet.h"
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

constexpr const char* kPart = "Flow of Reasoning (legal-step scoring)";

double forLogReward(const RunConfig& c, const Verdict& v) {
  const double floor = c.getFloat("algo.gfn_reward_floor");
  const double r = v.correct ? c.getFloat("algo.gfn_reward_correct") : std::max(floor, 10.0 * v.reward);
  return gfnLogReward(r, c.getFloat("algo.reward_temperature"), floor);
}

// A rollout row for a trajectory of steps, verified like a sampled completion.
RolloutRow trajectoryRow(TrainingContext& ctx, int group, const Problem& problem, const std::vector<std::string>& steps,
                         const std::string& source) {
  RolloutRow row;
  row.group = group;
  row.promptIds = ctx.tokenizer.encodePrompt(problem.prompt);
  for (size_t i = 0; i < steps.size(); ++i) row.completion += steps[i] + (i + 1 < steps.size() ? "\n" : "");
  row.completionIds = ctx.tokenizer.encodeCompletion(row.completion);
  row.length = static_cast<int>(row.completionIds.size());
  row.verdict = ctx.task.verify(problem, row.completion);
  row.reward = row.verdict.reward;
  row.source = source;
  return row;
}

class GfnSampling : public RolloutStrategy {
 public:
  explicit GfnSampling(const RunConfig& c)
      : config_(c), replayProb_(c.getFloat("algo.replay_prob")), localSearch_(c.getBool("algo.local_search")),
        maxSteps_(static_cast<int>(c.getInt("algo.max_steps"))), buffer_(static_cast<int>(c.getInt("algo.replay_size"))) {}

  const char* needsBuiltInPolicy() const override { return kPart; }
  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    Rollout r;
    r.problems = problems;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    int replayed = 0, improved = 0;
    torch::NoGradGuard noGrad;
    ctx.builtInPolicy(kPart)->eval();
    for (size_t g = 0; g < problems.size(); ++g) {
      const Problem& p = *problems[g];
      double bestLogR = -1e300;
      std::vector<std::string> best;
      for (int k = 0; k < ctx.groupSize; ++k) {
        std::vector<std::string> steps;
        std::string source = "policy";
        if (unit(ctx.rng) < replayProb_) {
          if (auto e = buffer_.sample(p.id, ctx.rng)) steps = e->steps, source = "replay", ++replayed;
        }
        if (steps.empty())
          steps = sampleLegalTrajectory(ctx.builtInPolicy(kPart), ctx.charTokenizer(kPart), ctx.task, p, {}, maxSteps_, ctx.temperature,
                                        ctx.generator);
        RolloutRow row = trajectoryRow(ctx, static_cast<int>(g), p, steps, source);
        const double logR = forLogReward(config_, row.verdict);
        buffer_.add(p.id, steps, logR);
        if (logR > bestLogR) bestLogR = logR, best = steps;
        r.rows.push_back(std::move(row));
      }
      if (localSearch_ && best.size() > 1) {
        auto candidate = sampleLegalTrajectory(ctx.builtInPolicy(kPart), ctx.charTokenizer(kPart), ctx.task, p, localSearchCandidate(best),
                                               maxSteps_, ctx.temperature, ctx.generator);
        const Verdict v = ctx.task.verify(p, trajectoryRow(ctx, 0, p, candidate, "").completion);
        const double logR = forLogReward(config_, v);
        if (logR > bestLogR && buffer_.add(p.id, candidate, logR)) ++improved;
      }
    }
    addLogFlows(ctx, r);
    ctx.builtInPolicy(kPart)->train();
    ctx.metric("gfn/replayed", replayed);
    ctx.metric("gfn/local_search_improved", improved);
    ctx.metric("gfn/buffer_size", static_cast<double>(buffer_.size()));
    r.groupsSampled = r.groups();
    return finish(ctx, std::move(r));
  }

  nlohmann::json state() const override { return buffer_.toJson(); }
  void restore(const nlohmann::json& s) override { buffer_ = TrajectoryReplayBuffer::fromJson(s); }

 private:
  // The flow through each state of the trajectories of the groups the run stores as trees, relative
  // to the partition function: log F(s_k) - log Z = sum_{j<=k} (log P_F(a_j | s_j) - log P_B(s_j | s_j+1)),
  // the log-probability that the forward policy passes through s_k (P_B = 1 in a tree-shaped space).
  void addLogFlows(TrainingContext& ctx, Rollout& r) const {
    const int logged = std::min<int>(r.groups(), static_cast<int>(ctx.config.getInt("run.trees_logged")));
    std::vector<StepTrajectory> trajectories;
    std::vector<size_t> rows;
    for (size_t i = 0; i < r.rows.size(); ++i) {
      if (r.rows[i].group >= logged) continue;
      trajectories.push_back({r.problems[r.rows[i].group], splitSteps(r.rows[i].completion)});
      rows.push_back(i);
    }
    if (trajectories.empty()) return;
    std::vector<torch::Tensor> perStep;
    try {
      perStep = legalActionLogProbs(ctx.builtInPolicy(kPart), ctx.charTokenizer(kPart), ctx.task, trajectories, 1.0);
    } catch (const InputError& e) {
      ctx.log.warn("log-flows of the stored trajectories not computed: {}", e.what());
      return;
    }
    for (size_t k = 0; k < trajectories.size(); ++k) {
      const auto& steps = trajectories[k].steps;
      auto logPf = perStep[k].accessor<float, 1>();
      std::vector<double> flows;
      double forward = 0;
      for (size_t j = 0; j < steps.size(); ++j) {
        forward += logPf[j];
        const std::vector<std::string> prefix(steps.begin(), steps.begin() + static_cast<long>(j) + 1);
        flows.push_back(forward - logBackward(ctx.task, *trajectories[k].problem, prefix));
      }
      r.rows[rows[k]].logFlows = std::move(flows);
    }
  }

  const RunConfig& config_;
  double replayProb_;
  bool localSearch_;
  int maxSteps_;
  TrajectoryReplayBuffer buffer_;
};

// log Z as a module so the optimiser and checkpoints see it.
struct LogZImpl : torch::nn::Module {
  explicit LogZImpl(double init) { value = register_parameter("log_z", torch::tensor(init)); }
  torch::Tensor value;
};
TORCH_MODULE(LogZ);

class TrajectoryBalance : public Objective {
 public:
  explicit TrajectoryBalance(const RunConfig& c)
      : config_(c), form_(c.getString("algo.gfn_loss")), logZ_(c.getFloat("algo.log_z_init")) {}
  std::vector<std::pair<std::string, torch::nn::Module*>> modules() override { return {{"log_z", logZ_.get()}}; }

  LossResult loss(TrainingContext& ctx, const PolicyLossInputs& in) override {
    std::vector<StepTrajectory> trajectories;
    std::vector<double> logR, logPb;
    std::map<int, std::vector<int64_t>> byGroup;
    for (size_t k = 0; k < in.rows.size(); ++k) {
      const RolloutRow& row = in.rollout->rows[in.rows[k]];
      const Problem* problem = in.rollout->problems[row.group];
      trajectories.push_back({problem, splitSteps(row.text())});
      logR.push_back(forLogReward(config_, row.verdict));
      logPb.push_back(logBackward(ctx.task, *problem, trajectories.back().steps));
      byGroup[row.group].push_back(static_cast<int64_t>(k));
    }
    auto perStep = legalActionLogProbs(ctx.builtInPolicy(kPart), ctx.charTokenizer(kPart), ctx.task, trajectories, ctx.temperature);
    std::vector<torch::Tensor> sums;
    for (auto& t : perStep) sums.push_back(t.sum());
    auto logPf = torch::stack(sums);
    auto logRt = torch::tensor(logR, logPf.options()), logPbt = torch::tensor(logPb, logPf.options());
    LossResult out;
    double logZEstimate = 0;
    if (form_ == "tb") {
      auto r = trajectoryBalanceLoss(logZ_->value, logPf, logRt, logPbt);
      out.loss = r.loss;
      logZEstimate = logZ_->value.item<double>();
    } else {
      // Log-partition form inside each group (trajectories of one problem share Z).
      torch::Tensor total = torch::zeros({}, logPf.options());
      for (const auto& [_, members] : byGroup) {
        auto idx = torch::tensor(members);
        auto r = logPartitionLoss(logPf.index_select(0, idx), logRt.index_select(0, idx), logPbt.index_select(0, idx));
        total = total + r.loss * static_cast<double>(members.size());
        // Z of the group's problem: the mean of log R + sum log P_B - sum log P_F.
        logZEstimate += (logRt.index_select(0, idx) + logPbt.index_select(0, idx) - logPf.index_select(0, idx))
                            .mean().item<double>() / byGroup.size();
      }
      out.loss = total / static_cast<double>(in.rows.size());
    }
    out.metrics = {{"gfn/tb_loss", out.loss.item<double>()},
                   {"gfn/log_z", logZEstimate},
                   {"gfn/log_reward", logRt.mean().item<double>()},
                   {"gfn/log_pf", logPf.mean().item<double>()},
                   {"loss/policy", out.loss.item<double>()}};
    return out;
  }

 private:
  const RunConfig& config_;
  std::string form_;
  LogZ logZ_;
};

std::vector<ParamSpec> gfnRewardParams() {
  using P = ParamSpec;
  return {P::real("algo.gfn_reward_correct", 100.0, 1e-6, 1e9, "R of a verified solution (FoR: 100)"),
          P::real("algo.gfn_reward_floor", 0.001, 1e-12, 1e9,
                  "Smallest R (FoR Game24: 0.001 for a wrong answer); partial rewards give 10 x fraction"),
          P::real("algo.reward_temperature", 1.0, 1e-3, 1e3, "T: log R is divided by T (tempered reward)")};
}

std::vector<ParamSpec> gfnSamplingParams() {
  using P = ParamSpec;
  auto p = gfnRewardParams();
  p.push_back(P::real("algo.replay_prob", 0.5, 0.0, 1.0, "Probability that a group member comes from the replay buffer"));
  p.push_back(P::integer("algo.replay_size", 50, 1, 100000, "Top-k trajectories kept per problem"));
  p.push_back(P::boolean("algo.local_search", true, "Resample the second half of each group's best trajectory"));
  p.push_back(P::integer("algo.max_steps", 8, 1, 64, "Longest trajectory in steps"));
  return p;
}

std::vector<ParamSpec> tbParams() {
  using P = ParamSpec;
  auto p = gfnRewardParams();
  p.push_back(P::choice("algo.gfn_loss", "log_partition", {"log_partition", "tb"},
                        "tb: learned scalar log Z; log_partition: (delta - mean delta)^2 within each problem's group"));
  p.push_back(P::real("algo.log_z_init", 5.0, -100.0, 100.0, "Initial log Z of the tb form (FoR: 5)"));
  return p;
}

TB_REGISTER_PART(gfnSamplingPart, RolloutStrategy,
                 PartInfo{.name = "gfn", .title = "GFlowNet exploration",
                          .help = "Step-wise sampling from P_F over legal steps, replay buffer of the best trajectories, "
                                  "local search.",
                          .params = gfnSamplingParams(), .needsSteps = true},
                 [](const RunConfig& c) { return std::make_unique<GfnSampling>(c); });

TB_REGISTER_PART(tbPart, Objective,
                 PartInfo{.name = "trajectory_balance", .title = "Trajectory balance",
                          .help = "(log Z + sum log P_F - log R - sum log P_B)^2, or its log-partition form.",
                          .params = tbParams(), .needsSteps = true},
                 [](const RunConfig& c) { return std::make_unique<TrajectoryBalance>(c); });

}  // namespace
}  // namespace tb
