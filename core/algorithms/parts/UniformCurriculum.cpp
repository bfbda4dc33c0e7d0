// curriculum/uniform: training problems drawn uniformly with replacement.
#include "core/algorithms/Parts.h"

namespace tb {
namespace {

class UniformCurriculum : public Curriculum {
 public:
  std::vector<const Problem*> pick(TrainingContext& ctx, const std::vector<Problem>& pool, int count) override {
    std::vector<const Problem*> out;
    for (int i = 0; i < count; ++i) out.push_back(&pool[ctx.rng() % pool.size()]);
    return out;
  }
};

TB_REGISTER_PART(uniformPart, Curriculum,
                 PartInfo{.name = "uniform", .title = "Uniform", .help = "Problems drawn uniformly at random."},
                 [](const RunConfig&) { return std::make_unique<UniformCurriculum>(); });

}  // namespace
}  // namespace tb
