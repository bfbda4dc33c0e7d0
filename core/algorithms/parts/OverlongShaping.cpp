// reward/overlong: DAPO's soft overlong punishment (Yu et al. 2025):
//   r += min(-(len - (L_max - buffer)) / buffer * factor, 0)
#include "core/algorithms/Advantages.h"
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class OverlongShaping : public RewardShaper {
 public:
  explicit OverlongShaping(const RunConfig& c)
      : buffer_(static_cast<int>(c.getInt("algo.overlong_buffer"))), factor_(c.getFloat("algo.overlong_factor")) {}
  void shape(TrainingContext& ctx, Rollout& rollout) override {
    for (auto& row : rollout.rows) row.reward += overlongPenalty(row.length, ctx.maxNewTokens, buffer_, factor_);
  }

 private:
  int buffer_;
  double factor_;
};

TB_REGISTER_PART(overlongPart, RewardShaper,
                 PartInfo{.name = "overlong", .title = "Overlong shaping",
                          .help = "DAPO: r += min(-(len - (L_max - buffer)) / buffer * factor, 0).",
                          .params = {ParamSpec::integer("algo.overlong_buffer", 0, 0, 16384,
                                                        "DAPO overlong shaping buffer in tokens: penalise lengths beyond "
                                                        "L_max - buffer; 0 = off"),
                                     ParamSpec::real("algo.overlong_factor", 1.0, 0.0, 100.0,
                                                     "Largest overlong penalty (at L_max)")}},
                 [](const RunConfig& c) { return std::make_unique<OverlongShaping>(c); });

}  // namespace
}  // namespace tb
