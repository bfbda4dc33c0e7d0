// Thinkless: the policy learns when to reason (mode token + Decoupled GRPO).
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

PresetParts thinklessParts() {
  PresetParts p;
  p.rewards = {"thinkless"};
  p.objective = "degrpo";
  p.regularizers = {};
  return p;
}

TB_REGISTER_ALGORITHM(thinklessRegistration, AlgorithmInfo{
    .name = "thinkless", .title = "Thinkless (DeGRPO)",
    .paper = "Thinkless: LLM Learns When to Think (Fang et al., 2025)",
    .changes = "The policy first chooses a mode, short answer or step-by-step thinking; correct short answers "
               "earn more than correct thought-out ones, and Decoupled GRPO weights the mode token's loss apart "
               "from the answer's (A = r - mean). On game24 the short mode is the final Answer line alone.",
    .defaultOverrides = {{"algo.scale_by_std", false}, {"task.answer_line", true}},
    .year = 2025, .parts = thinklessParts()});

}  // namespace
}  // namespace tb
