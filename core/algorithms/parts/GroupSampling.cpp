// rollout/group: G completions of each prompt from the current policy (GRPO's rollout).
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class GroupSampling : public RolloutStrategy {
 public:
  Rollout collect(TrainingContext& ctx, const std::vector<const Problem*>& problems, const Finisher& finish) override {
    Rollout r = ctx.sample(problems, ctx.groupSize, SampleRequest{});
    r.groupsSampled = r.groups();
    return finish(ctx, std::move(r));
  }
};

TB_REGISTER_PART(groupSamplingPart, RolloutStrategy,
                 PartInfo{.name = "group", .title = "Group sampling",
                          .help = "rollout.group_size completions of each of rollout.prompts problems from the current "
                                  "policy at rollout.temperature."},
                 [](const RunConfig&) { return std::make_unique<GroupSampling>(); });

}  // namespace
}  // namespace tb
