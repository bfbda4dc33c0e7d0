// objective/sft: supervised fine-tuning on the kept completions (expert iteration / ReST's
// Improve step): token loss -log pi(y_t), aggregated with algo.loss_agg.
#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/SharedParams.h"

namespace tb {
namespace {

class SftObjective : public Objective {
 public:
  LossResult loss(TrainingContext&, const PolicyLossInputs& in) override {
    LossResult out;
    out.tokenLoss = -in.logp;
    out.metrics.emplace_back("loss/policy", maskedMeanValue(-in.logp.detach(), in.mask));
    return out;
  }
};

TB_REGISTER_PART(sftPart, Objective,
                 PartInfo{.name = "sft", .title = "Supervised (negative log-likelihood)",
                          .help = "l_t = -log pi(y_t) on the kept completions.",
                          .params = {lossAggregationParam("token-mean")}},
                 [](const RunConfig&) { return std::make_unique<SftObjective>(); });

}  // namespace
}  // namespace tb
