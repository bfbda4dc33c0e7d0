// advantage/rloo: leave-one-out baseline (see RlooAdvantage.h).
#include "core/algorithms/parts/RlooAdvantage.h"

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/PartUtil.h"

namespace tb {

std::vector<double> rlooAdvantages(const std::vector<double>& r) {
  std::vector<double> out(r.size(), 0.0);
  if (r.size() < 2) return out;
  double sum = 0;
  for (double x : r) sum += x;
  for (size_t i = 0; i < r.size(); ++i) out[i] = r[i] - (sum - r[i]) / (r.size() - 1.0);
  return out;
}

namespace {

class RlooAdvantage : public AdvantageEstimator {
 public:
  torch::Tensor estimate(TrainingContext&, const Rollout& rollout, const UpdateBatch&) override {
    std::vector<double> out(rollout.rows.size(), 0.0);
    for (const auto& rows : rollout.groupRows()) {
      std::vector<double> r;
      for (int i : rows) r.push_back(rollout.rows[i].reward);
      const auto a = rlooAdvantages(r);
      for (size_t k = 0; k < rows.size(); ++k) out[rows[k]] = a[k];
    }
    return sequenceAdvantages(out);
  }
};

TB_REGISTER_PART(rlooPart, AdvantageEstimator,
                 PartInfo{.name = "rloo", .title = "RLOO leave-one-out baseline",
                          .help = "A_i = r_i - (sum_j r_j - r_i) / (G - 1)."},
                 [](const RunConfig&) { return std::make_unique<RlooAdvantage>(); });

}  // namespace
}  // namespace tb
