// regularizer/kl: KL to the frozen reference policy in the loss, beta * k(logp, logp_ref) per
// token with Schulman's estimators (d = logp_ref - logp): k1 = -d, k2 = d^2/2, k3 = e^d - d - 1.
// Logs `kl` (the estimator's masked mean) whenever a reference exists.
#include "core/algorithms/Parts.h"
#include "core/algorithms/PolicyLoss.h"

namespace tb {
namespace {

class KlRegularizer : public Regularizer {
 public:
  explicit KlRegularizer(const RunConfig& c)
      : coef_(c.getFloat("algo.kl_coef")), estimator_(klEstimatorFromName(c.getString("algo.kl_estimator"))) {}
  torch::Tensor tokenLoss(TrainingContext&, const PolicyLossInputs& in,
                          std::vector<std::pair<std::string, double>>& metrics) override {
    if (!in.refLogp.defined()) return {};
    auto kl = klPenalty(in.logp, in.refLogp, estimator_);
    metrics.emplace_back("kl", maskedMeanValue(kl.detach(), in.mask));
    return coef_ > 0 ? coef_ * kl : torch::Tensor();
  }
  ReferenceMode reference() const override { return coef_ > 0 ? ReferenceMode::Frozen : ReferenceMode::None; }

 private:
  double coef_;
  KlEstimator estimator_;
};

TB_REGISTER_PART(klPart, Regularizer,
                 PartInfo{.name = "kl", .title = "KL to the reference",
                          .help = "beta * KL(pi || pi_ref) per token in the loss (k1/k2/k3 estimators).",
                          .params = {ParamSpec::real("algo.kl_coef", 0.04, 0.0, 100.0,
                                                     "beta of the KL-to-reference term in the loss; 0 = no reference"),
                                     ParamSpec::choice("algo.kl_estimator", "k3", {"k1", "k2", "k3"},
                                                       "KL estimator with d = logp_ref - logp: k1 = -d, k2 = d^2/2, "
                                                       "k3 = e^d - d - 1")}},
                 [](const RunConfig& c) { return std::make_unique<KlRegularizer>(c); });

}  // namespace
}  // namespace tb
