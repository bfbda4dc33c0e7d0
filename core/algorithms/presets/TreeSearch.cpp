// Presets that train on what a tree search over reasoning steps found (core/search/Search.h):
// MCTS-DPO (step-level preferences) and ReST-MCTS* (self-training with a process reward model).
#include "core/algorithms/AlgorithmInfo.h"

namespace tb {
namespace {

TB_REGISTER_ALGORITHM(mctsDpoRegistration, AlgorithmInfo{
    .name = "mcts_dpo", .title = "MCTS-DPO",
    .paper = "Monte Carlo Tree Search Boosts Reasoning via Iterative Preference Learning (Xie et al., 2024)",
    .changes = "No sampled groups: MCTS over reasoning steps (PUCT with the policy's length-normalised step "
               "priors, values from the verifier or rollouts, step reward = value - parent value, Q = r + gamma V) "
               "for each prompt; at every node of the chosen path the highest-Q child step is preferred to the "
               "lowest-Q one, and the policy is trained with DPO (beta 0.1) on these step pairs against the "
               "frozen reference. The trees are stored with the run.",
    .year = 2024, .parts = strategyParts("search_pairs", "dpo")});

TB_REGISTER_ALGORITHM(restMctsRegistration, AlgorithmInfo{
    .name = "rest_mcts", .title = "ReST-MCTS*",
    .paper = "ReST-MCTS*: LLM Self-Training via Process Reward Guided Tree Search (Zhang et al., 2024)",
    .changes = "Self-training from tree search: MCTS guided by a value model (a process reward model on the "
               "policy's trunk) finds verified solutions; the policy is fine-tuned on them, and the value model "
               "on targets inferred from each tree (v_k = max(0, v_k-1 + (1 - v_k-1) r_k / m_k), m_k = steps to a "
               "correct leaf). The trees are stored with the run.",
    .defaultOverrides = {{"search.selection", "uct"}},
    .year = 2024, .parts = strategyParts("search_traces", "sft")});

}  // namespace
}  // namespace tb
