// reward/semantic_share: EMPO (Zhang et al. 2025, "Right Question is Already Half the Answer:
// Fully Unsupervised LLM Reasoning Incentivization"): without a verifier, the reward of a
// completion is the share of its group in its semantic cluster, r_i = |C(i)| / G, so training
// minimises semantic entropy. The verifier's verdict is kept for the accuracy metric only.
#include <map>

#include "core/algorithms/Parts.h"
#include "core/algorithms/parts/SemanticClusters.h"

namespace tb {
namespace {

class SemanticShareReward : public RewardShaper {
 public:
  void shape(TrainingContext& ctx, Rollout& rollout) override {
    double seSum = 0;
    const auto groups = rollout.groupRows();
    for (size_t g = 0; g < groups.size(); ++g) {
      std::vector<std::string> answers;
      for (int i : groups[g]) answers.push_back(ctx.task.finalAnswer(*rollout.problems[g], rollout.rows[i].text()));
      const auto clusters = clusterAnswers(answers);
      std::map<int, int> size;
      for (int c : clusters) ++size[c];
      for (size_t k = 0; k < groups[g].size(); ++k)
        rollout.rows[groups[g][k]].reward = static_cast<double>(size[clusters[k]]) / groups[g].size();
      seSum += semanticEntropy(clusters);
    }
    if (!groups.empty()) ctx.metric("empo/semantic_entropy", seSum / groups.size());
  }
};

TB_REGISTER_PART(semanticSharePart, RewardShaper,
                 PartInfo{.name = "semantic_share", .title = "Semantic-cluster reward (unsupervised)",
                          .help = "EMPO: r_i = share of the group in completion i's semantic cluster; no verifier."},
                 [](const RunConfig&) { return std::make_unique<SemanticShareReward>(); });

}  // namespace
}  // namespace tb
