#include "kernels/TokenScoresBench.h"

#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

#include "kernels/CpuAllocationMeter.h"
#include "kernels/FusedTokenScores.h"

namespace tb {
namespace {

using ScoreFn = FusedScores (*)(const torch::Tensor&, const torch::Tensor&);

struct Inputs {
  torch::Tensor z, targets, gLp, gH, gM;
};

// Outputs of one path: the three scores, then the gradient w.r.t. z when backward.
std::vector<torch::Tensor> runPath(ScoreFn fn, const Inputs& in, bool backward) {
  FusedScores s = fn(in.z, in.targets);
  std::vector<torch::Tensor> out{s.logprobs, s.entropies, s.meanLogSoftmax};
  if (backward)
    out.push_back(torch::autograd::grad({s.logprobs, s.entropies, s.meanLogSoftmax}, {in.z},
                                        {in.gLp, in.gH, in.gM})[0]);
  return out;
}

struct PathResult {
  double ms = 0, peakBytes = 0;
  std::vector<torch::Tensor> outputs;  // of the measured run
};

// keepOutputs: hold the measured run's outputs (to compare paths) while the timing runs.
PathResult measure(ScoreFn fn, const Inputs& in, bool backward, int repeats, bool keepOutputs) {
  PathResult r;
  {
    CpuAllocationMeter meter;
    auto outputs = runPath(fn, in, backward);
    r.peakBytes = meter.active() ? static_cast<double>(meter.peakBytes())
                                 : std::numeric_limits<double>::quiet_NaN();
    if (keepOutputs) r.outputs = std::move(outputs);
  }
  runPath(fn, in, backward);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) runPath(fn, in, backward);
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  r.ms = elapsed.count() / std::max(repeats, 1);
  return r;
}

}  // namespace

LogProbBench benchTokenScores(int rows, int vocab, int repeats, bool backward, bool withReference) {
  TORCH_CHECK(rows >= 1 && vocab >= 1, "benchTokenScores: rows and vocab must be >= 1");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(/*seed_in=*/20240611);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat);
  Inputs in;
  in.z = torch::randn({rows, vocab}, gen, opts).mul_(3.0f).requires_grad_(backward);
  in.targets = torch::randint(vocab, {rows}, gen, torch::TensorOptions().dtype(torch::kLong));
  in.gLp = torch::randn({rows}, gen, opts);
  in.gH = torch::randn({rows}, gen, opts);
  in.gM = torch::randn({rows}, gen, opts);

  LogProbBench bench;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const PathResult fused = measure(&fusedTokenScores, in, backward, repeats, withReference);
  bench.fusedMs = fused.ms;
  bench.fusedPeakBytes = fused.peakBytes;
  if (!withReference) {
    bench.referenceMs = bench.referencePeakBytes = bench.maxAbsDiff = nan;
    return bench;
  }
  const PathResult reference = measure(&referenceTokenScores, in, backward, repeats, true);
  bench.referenceMs = reference.ms;
  bench.referencePeakBytes = reference.peakBytes;
  torch::NoGradGuard noGrad;
  double diff = 0;
  for (size_t i = 0; i < fused.outputs.size(); ++i)
    diff = std::max(diff, (fused.outputs[i] - reference.outputs[i]).abs().max().item<double>());
  bench.maxAbsDiff = diff;
  return bench;
}

}  // namespace tb
