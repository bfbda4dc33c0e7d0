// objective/rover: ROVER (He et al. 2025, "Random Policy Valuation is Enough for LLM Reasoning
// with Verifiable Rewards"): the Q-values of the uniform random policy, parameterised by the
// policy's log-probs relative to the sampling policy:
//   Q_t = rho (log pi_theta(a_t|s_t) - log pi_old(a_t|s_t))
//   m(s) = mean over the vocabulary of log-softmax;  next_q_t = rho (m_theta(s_{t+1}) - m_old(s_{t+1})),
//   0 at the last token;  target = sg(r~ + next_q);  loss = masked mean (Q_t - target)^2
// with r~ the group-normalised reward (the advantage estimator's output), broadcast to every token
// (decision: the outcome reward is the only reward; ROVER's code adds it to every position).
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class RoverObjective : public Objective {
 public:
  explicit RoverObjective(const RunConfig& c) : rho_(c.getFloat("algo.rover_rho")) {}
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    const auto L = in.mask.size(1);
    auto q = rho_ * (in.logp - in.oldLogp);
    // m at the state after token t is the mean log-softmax at the position predicting token t+1.
    auto nextM = torch::zeros_like(in.meanLogSoftmax);
    auto nextMOld = torch::zeros_like(in.oldMeanLogSoftmax);
    if (L > 1) {
      nextM.narrow(1, 0, L - 1).copy_(in.meanLogSoftmax.narrow(1, 1, L - 1).detach());
      nextMOld.narrow(1, 0, L - 1).copy_(in.oldMeanLogSoftmax.narrow(1, 1, L - 1));
    }
    // 0 after the last token of each row: the next position must be inside the mask.
    auto nextMask = torch::zeros_like(in.mask);
    if (L > 1) nextMask.narrow(1, 0, L - 1).copy_(in.mask.narrow(1, 1, L - 1));
    auto nextQ = rho_ * (nextM - nextMOld) * nextMask;
    auto target = (in.advantages.expand_as(q) + nextQ).detach();
    LossResult out;
    out.tokenLoss = (q - target).pow(2);
    const double n = in.mask.sum().item<double>();
    out.metrics.emplace_back("rover/q_loss", n > 0 ? ((out.tokenLoss.detach() * in.mask).sum().item<double>() / n) : 0.0);
    out.metrics.emplace_back("loss/policy", out.metrics.back().second);
    return out;
  }

 private:
  double rho_;
};

TB_REGISTER_PART(roverPart, Objective,
                 PartInfo{.name = "rover", .title = "ROVER random-policy Q regression",
                          .help = "Q_t = rho (log pi - log pi_old) regressed on sg(r~ + rho (m_theta - m_old)(s_{t+1}))."
                                  " Sampling uses softmax(Q / rho), i.e. the policy at rollout.temperature.",
                          .params = {ParamSpec::real("algo.rover_rho", 1.0, 1e-3, 100.0,
                                                     "rho: temperature of the Q parameterisation"),
                                     ParamSpec::choice("algo.loss_agg", "token-mean",
                                                       {"token-mean", "seq-mean-token-mean", "seq-mean-token-sum",
                                                        "seq-mean-token-sum-norm"},
                                                       "How token losses become one number (ROVER: masked mean)")}},
                 [](const RunConfig& c) { return std::make_unique<RoverObjective>(c); });

}  // namespace
}  // namespace tb
