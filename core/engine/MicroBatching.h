#pragma once
// Gradient accumulation over micro-batches (train.micro_batch): the gradient of a minibatch's loss
// while the activations of at most `micro` rows are alive at a time.
//
// Every objective reads the policy through its token scores S = (log-probs, entropies, mean
// log-softmax), each [n, L]. With J the Jacobian of S with respect to the parameters theta,
//   dLoss/dtheta = J^T g,   g = dLoss/dS,   and   J^T g = sum over row chunks c of J_c^T g_c,
// because row i's scores depend only on row i. So:
//   1. score the rows without a graph, chunk by chunk (scoreInChunks);
//   2. make S leaves (asLeaves), compute the loss on them and back-propagate: the leaves' .grad()
//      is g (the algorithm's own parts, a critic or log Z, get their gradients here as well);
//   3. for each chunk, score again with a graph and back-propagate g_c (backpropagateInChunks).
// The sum is the whole minibatch's gradient to float rounding, whatever the objective and the
// loss aggregation. The cost is one more forward pass without a graph per optimiser step.
#include <cstdint>
#include <functional>

#include "core/rollout/Sampler.h"

namespace tb {

// Differentiable token scores of a batch's rows (PolicyModel::score at a fixed temperature).
using BatchScorer = std::function<TokenScores(const RolloutBatch&)>;

// Rows [first, last) of a batch; the prompt width stays the same.
RolloutBatch batchRows(const RolloutBatch& batch, std::int64_t first, std::int64_t last);

// Scores of rows [first, last) without a graph, `micro` rows per call (micro <= 0: one call).
TokenScores scoreInChunks(const BatchScorer& score, const RolloutBatch& batch, std::int64_t first,
                          std::int64_t last, std::int64_t micro);

// Detached copies of the scores that require grad (step 2's leaves).
TokenScores asLeaves(const TokenScores& values);

// Step 3: for rows [first, last) of `batch`, `micro` rows at a time, scores with a graph
// back-propagated with the gradients the leaves received (rows of `leaves` align with `batch`).
// Scores whose leaf got no gradient (unused by the loss) are skipped.
void backpropagateInChunks(const BatchScorer& score, const RolloutBatch& batch, std::int64_t first,
                          std::int64_t last, std::int64_t micro, const TokenScores& leaves);

}  // namespace tb
