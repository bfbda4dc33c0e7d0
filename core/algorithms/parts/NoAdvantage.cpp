// advantage/none: for objectives that need no advantage (SFT, DPO-style pairs): zeros.
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class NoAdvantage : public AdvantageEstimator {
 public:
  torch::Tensor estimate(TrainingContext&, const Rollout& rollout, const UpdateBatch&) override {
    return torch::zeros({static_cast<int64_t>(rollout.rows.size()), 1});
  }
};

TB_REGISTER_PART(noAdvantagePart, AdvantageEstimator,
                 PartInfo{.name = "none", .title = "No advantage", .help = "Objectives that use rewards directly."},
                 [](const RunConfig&) { return std::make_unique<NoAdvantage>(); });

}  // namespace
}  // namespace tb
