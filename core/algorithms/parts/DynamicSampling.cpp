// filter/dynamic_sampling: DAPO (Yu et al. 2025) drops groups whose rewards are all equal (no
// advantage signal) and samples more prompts until the batch is full (up to 4 extra rounds).
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class DynamicSampling : public DataFilter {
 public:
  explicit DynamicSampling(const RunConfig& c) : on_(c.getBool("algo.dynamic_sampling")) {}
  std::vector<int> keep(TrainingContext&, const Rollout& rollout, int, const std::vector<int>& rows) override {
    if (!on_) return rows;
    for (int i : rows)
      if (rollout.rows[i].reward != rollout.rows[rows.front()].reward) return rows;
    return {};
  }
  bool resamples() const override { return on_; }

 private:
  bool on_;
};

TB_REGISTER_PART(dynamicSamplingPart, DataFilter,
                 PartInfo{.name = "dynamic_sampling", .title = "Dynamic sampling",
                          .help = "DAPO: drop groups whose rewards are all equal and sample more prompts, up to 4 "
                                  "extra rounds.",
                          .params = {ParamSpec::boolean("algo.dynamic_sampling", false,
                                                        "Drop groups whose rewards are all equal and sample more "
                                                        "prompts (DAPO), up to 4 extra rounds")}},
                 [](const RunConfig& c) { return std::make_unique<DynamicSampling>(c); });

}  // namespace
}  // namespace tb
