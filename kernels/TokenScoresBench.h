#pragma once
// Speed and memory of fusedTokenScores against the plain composition (referenceTokenScores).
//
// Method: random float32 logits z ~ 3 N(0, 1) of [rows, vocab] (requires_grad when backward),
// uniform targets, fixed seed. A path is a forward, or a forward plus the gradient w.r.t. z of all
// three outputs with random upstream gradients (torch::autograd::grad, nothing accumulated).
//   - Peak bytes: one run of each path under a CpuAllocationMeter, i.e. the highest total of CPU
//     tensor bytes alive at once that the path allocated (outputs, autograd's saved tensors,
//     temporaries, the gradient), the inputs excluded. Counted at the allocator, so exact and
//     repeatable; not process RSS (which LibTorch 1.13 cannot report per path: VmHWM is
//     process-wide and includes code pages and malloc's retained memory).
//   - Time: one warm-up, then the mean wall time of `repeats` runs, at LibTorch's thread count.
//   - maxAbsDiff: the largest |fused - reference| over the three outputs (and the gradient).
// With withReference = false only the fused path runs (for sizes the reference cannot fit); the
// reference fields and maxAbsDiff are then NaN.
namespace tb {

struct LogProbBench {
  double fusedMs = 0, referenceMs = 0;                 // mean per run
  double fusedPeakBytes = 0, referencePeakBytes = 0;   // tensor bytes, see above
  double maxAbsDiff = 0;
};

LogProbBench benchTokenScores(int rows, int vocab, int repeats, bool backward,
                              bool withReference = true);

}  // namespace tb
