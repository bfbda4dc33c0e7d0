// advantage/group_norm: GRPO's group-normalised outcome advantage (Shao et al. 2024),
//   A_i = (r_i - mean_group) / (std_group + eps), or r_i - mean_group without the std (Dr. GRPO),
// broadcast to every token of the completion. Unbiased std, eps = 1e-6, a group of one gets 0.
#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"

namespace tb {
namespace {

class GroupNormAdvantage : public AdvantageEstimator {
 public:
  explicit GroupNormAdvantage(const RunConfig& c) : scaleByStd_(c.getBool("algo.scale_by_std")) {}
  torch::Tensor estimate(TrainingContext&, const Rollout& rollout, const UpdateBatch&) override {
    return sequenceAdvantages(groupNormalizedRowAdvantages(rollout, scaleByStd_));
  }

 private:
  bool scaleByStd_;
};

TB_REGISTER_PART(groupNormPart, AdvantageEstimator,
                 PartInfo{.name = "group_norm", .title = "Group-normalised advantage",
                          .help = "GRPO: A_i = (r_i - mean) / (std + eps) over the G completions of a prompt; "
                                  "Dr. GRPO: r_i - mean.",
                          .params = {ParamSpec::boolean("algo.scale_by_std", true,
                                                        "Divide group-centred rewards by the group std (off = Dr. "
                                                        "GRPO)")}},
                 [](const RunConfig& c) { return std::make_unique<GroupNormAdvantage>(c); });

}  // namespace
}  // namespace tb
