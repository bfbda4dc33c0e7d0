// Presets trained on pairs of completions: DPO (offline), SPIN, P3O and Nash-MD.
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

TB_REGISTER_ALGORITHM(dpoRegistration, AlgorithmInfo{
    .name = "dpo", .title = "DPO (offline, verifier-ranked)",
    .paper = "Direct Preference Optimization: Your Language Model is Secretly a Reward Model (Rafailov et al., 2023)",
    .changes = "No reward model and no on-policy sampling: pairs of the warm-start policy's own samples, ranked by "
               "the verifier (correct preferred to incorrect), trained with the logistic loss on the implicit "
               "reward margin against the frozen reference; algo.pref_loss = ipo gives IPO.",
    .year = 2023, .parts = strategyParts("reference_pairs", "dpo")});

TB_REGISTER_ALGORITHM(spinRegistration, AlgorithmInfo{
    .name = "spin", .title = "SPIN",
    .paper = "Self-Play Fine-Tuning Converts Weak Language Models to Strong Language Models (Chen et al., 2024)",
    .changes = "No rewards: the policy learns to tell the task solver's demonstrations from its previous "
               "iteration's samples, with a DPO-style loss against that opponent. Needs a task with a solver.",
    .year = 2024, .parts = strategyParts("spin_pairs", "spin")});

TB_REGISTER_ALGORITHM(p3oRegistration, AlgorithmInfo{
    .name = "p3o", .title = "P3O",
    .paper = "Pairwise Proximal Policy Optimization: Harnessing Relative Feedback for LLM Alignment "
             "(Wu et al., 2023)",
    .changes = "Relative feedback only: every pair of a group with different rewards contributes "
               "(r1 - r2)/2 on grad[log pi(y1) - log pi(y2)], with PPO-style clipping of the pair's ratio; "
               "invariant to shifting all rewards.",
    .year = 2023, .parts = strategyParts("group", "p3o")});

TB_REGISTER_ALGORITHM(nashRegistration, AlgorithmInfo{
    .name = "nash_md", .title = "Nash-MD",
    .paper = "Nash Learning from Human Feedback (Munos et al., 2023)",
    .changes = "Plays the policy against a geometric mixture of itself and the reference: half of each group is "
               "sampled from the mixture, and the policy is pushed towards completions that beat the mixture's "
               "(preference sigma(R(y) - R(y'))) with a KL penalty to the reference.",
    .year = 2023, .parts = strategyParts("nash_md_pairs", "nash_md")});

}  // namespace
}  // namespace tb
