// filter/successes: expert iteration / ReST (Anthony et al. 2017; Gulcehre et al. 2023, "Reinforced
// Self-Training (ReST) for Language Modeling"): keep only the verified successes; groups without
// one are dropped. Auto-CEI's refusals are kept as well (their reward is positive).
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class SuccessFilter : public DataFilter {
 public:
  std::vector<int> keep(TrainingContext&, const Rollout& rollout, int, const std::vector<int>& rows) override {
    std::vector<int> out;
    for (int i : rows)
      if (rollout.rows[i].verdict.correct || rollout.rows[i].reward > 0) out.push_back(i);
    return out;
  }
};

TB_REGISTER_PART(successPart, DataFilter,
                 PartInfo{.name = "successes", .title = "Keep successes",
                          .help = "Expert iteration: keep the completions the verifier accepts (or with positive "
                                  "shaped reward)."},
                 [](const RunConfig&) { return std::make_unique<SuccessFilter>(); });

}  // namespace
}  // namespace tb
