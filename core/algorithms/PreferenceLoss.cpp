// Preference losses: DPO, IPO, SPIN, P3O and Nash-MD on summed log-probs.
#include "core/algorithms/PreferenceLoss.h"

#include "core/Error.h"

namespace tb {

namespace {

double meanOf(const torch::Tensor& t) {
  return t.numel() == 0 ? 0.0 : t.to(torch::kDouble).mean().item<double>();
}

void checkSameShape1d(const std::vector<std::pair<const char*, const torch::Tensor*>>& tensors) {
  const auto& [firstName, first] = tensors.front();
  TB_CHECK(first->defined() && first->dim() == 1, firstName, " must be a defined [P] tensor");
  for (const auto& [name, t] : tensors) {
    TB_CHECK(t->defined(), name, " is undefined");
    TB_CHECK(t->sizes() == first->sizes(), name, " has shape ", t->sizes(), ", ", firstName, " has ",
             first->sizes());
  }
}

void checkPair(const PreferencePair& pair) {
  checkSameShape1d({{"chosenLogp", &pair.chosenLogp},
                    {"rejectedLogp", &pair.rejectedLogp},
                    {"chosenRefLogp", &pair.chosenRefLogp},
                    {"rejectedRefLogp", &pair.rejectedRefLogp}});
}

// The implicit rewards beta (logpi - logpi_ref) of each side, as DPO reports them.
std::vector<std::pair<std::string, double>> pairMetrics(const PreferencePair& pair, const torch::Tensor& h,
                                                        double beta) {
  torch::NoGradGuard noGrad;
  return {{"pref/margin", beta * meanOf(h)},
          {"pref/accuracy", meanOf(h > 0)},
          {"pref/chosen_reward", beta * meanOf(pair.chosenLogp - pair.chosenRefLogp)},
          {"pref/rejected_reward", beta * meanOf(pair.rejectedLogp - pair.rejectedRefLogp)}};
}

// -log sigma(beta h), computed as softplus(-beta h) so large margins neither overflow nor round to 0.
PreferenceLossResult logisticLoss(const PreferencePair& pair, double beta) {
  checkPair(pair);
  TB_CHECK(beta > 0, "beta = ", beta, " must be > 0");
  const auto h = preferenceMargin(pair);
  return {-torch::log_sigmoid(beta * h).mean(), pairMetrics(pair, h, beta)};
}

}  // namespace

torch::Tensor preferenceMargin(const PreferencePair& pair) {
  return (pair.chosenLogp - pair.chosenRefLogp) - (pair.rejectedLogp - pair.rejectedRefLogp);
}

PreferenceLossResult dpoLoss(const PreferencePair& pair, double beta) { return logisticLoss(pair, beta); }

PreferenceLossResult ipoLoss(const PreferencePair& pair, double beta) {
  checkPair(pair);
  TB_CHECK(beta > 0, "beta = ", beta, " must be > 0");
  const auto h = preferenceMargin(pair);
  // IPO regresses the margin onto 1 / (2 beta) instead of pushing it to infinity.
  return {(h - 1.0 / (2.0 * beta)).pow(2).mean(), pairMetrics(pair, h, beta)};
}

// The margin regrouped as (logpi(y_real) - logpi(y_gen)) - (logpi_t(y_real) - logpi_t(y_gen)) is
// DPO's h with the opponent as reference, so SPIN shares DPO's loss.
PreferenceLossResult spinLoss(const PreferencePair& pair, double beta) { return logisticLoss(pair, beta); }

PreferenceLossResult p3oLoss(const P3oPair& pair, double clip) {
  checkSameShape1d({{"logp1", &pair.logp1},
                    {"logp2", &pair.logp2},
                    {"oldLogp1", &pair.oldLogp1},
                    {"oldLogp2", &pair.oldLogp2},
                    {"reward1", &pair.reward1},
                    {"reward2", &pair.reward2}});
  TB_CHECK(clip > 0 && clip < 1, "clip = ", clip, " must be in (0, 1)");
  const auto advantage = 0.5 * (pair.reward1 - pair.reward2).to(pair.logp1.scalar_type());
  const auto ratio = torch::exp((pair.logp1 - pair.oldLogp1) - (pair.logp2 - pair.oldLogp2));
  // Pessimistic bound as in PPO: the larger of the two losses.
  const auto loss =
      torch::max(-ratio * advantage, -torch::clamp(ratio, 1.0 - clip, 1.0 + clip) * advantage).mean();
  torch::NoGradGuard noGrad;  // metrics only
  const auto cut = ((advantage > 0) & (ratio > 1.0 + clip)) | ((advantage < 0) & (ratio < 1.0 - clip));
  return {loss,
          {{"clip/frac", meanOf(cut)},
           {"p3o/ratio", meanOf(ratio)},
           {"p3o/reward_gap", meanOf((pair.reward1 - pair.reward2).abs())}}};
}

PreferenceLossResult nashMdLoss(const NashMdBatch& batch, double beta) {
  TB_CHECK(batch.logp.defined() && batch.logp.dim() == 2, "logp must be a defined [N, L] tensor");
  TB_CHECK(batch.refLogp.defined() && batch.refLogp.sizes() == batch.logp.sizes(), "refLogp must match logp ",
           batch.logp.sizes());
  TB_CHECK(batch.mask.defined() && batch.mask.sizes() == batch.logp.sizes(), "mask must match logp ",
           batch.logp.sizes());
  const auto N = batch.logp.size(0);
  TB_CHECK(batch.reward.defined() && batch.reward.dim() == 1 && batch.reward.size(0) == N, "reward must be [",
           N, "]");
  TB_CHECK(batch.mixtureReward.defined() && batch.mixtureReward.sizes() == batch.reward.sizes(),
           "mixtureReward must be [", N, "]");
  TB_CHECK(beta >= 0, "beta = ", beta, " must be >= 0");
  const auto mask = batch.mask.to(batch.logp.scalar_type());
  const auto logp = batch.logp * mask;
  // Preference of y over y' (Bradley-Terry on the rewards), a constant of the update.
  const auto probability = torch::sigmoid(batch.reward - batch.mixtureReward).to(logp.scalar_type()).detach();
  const auto logRatio = ((batch.logp - batch.refLogp) * mask).detach();
  const auto klTerm = (logRatio * logp).sum(1);
  const auto score = (probability - 0.5) * logp.sum(1);
  const auto loss = (beta * klTerm - score).mean();
  return {loss, {{"nash/probability", meanOf(probability)}, {"nash/kl", meanOf(logRatio.sum(1))}}};
}

}  // namespace tb
