// regularizer/entropy: entropy bonus, loss -= c_H * H_t per token (H over the full vocabulary).
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class EntropyBonus : public Regularizer {
 public:
  explicit EntropyBonus(const RunConfig& c) : coef_(c.getFloat("algo.entropy_coef")) {}
  torch::Tensor tokenLoss(TrainingContext&, const PolicyLossInputs& in,
                          std::vector<std::pair<std::string, double>>&) override {
    return coef_ != 0 ? -coef_ * in.entropies : torch::Tensor();
  }

 private:
  double coef_;
};

TB_REGISTER_PART(entropyPart, Regularizer,
                 PartInfo{.name = "entropy", .title = "Entropy bonus",
                          .help = "loss -= c_H * H per token.",
                          .params = {ParamSpec::real("algo.entropy_coef", 0.0, -10.0, 10.0,
                                                     "Entropy bonus coefficient c_H (loss -= c_H * H)")}},
                 [](const RunConfig& c) { return std::make_unique<EntropyBonus>(c); });

}  // namespace
}  // namespace tb
