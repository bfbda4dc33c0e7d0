#pragma once
// Parameters read by more than one part (declared once so their help and ranges agree).
#include <vector>

#include "core/config/ParamSpec.h"

namespace tb {

inline ParamSpec lossAggregationParam(const char* def = "seq-mean-token-mean") {
  return ParamSpec::choice("algo.loss_agg", def,
                           {"token-mean", "seq-mean-token-mean", "seq-mean-token-sum", "seq-mean-token-sum-norm"},
                           "How token losses become one number (seq-mean-token-sum-norm divides by N * L_max)");
}

inline std::vector<ParamSpec> clipParams() {
  using P = ParamSpec;
  return {
      P::real("algo.clip_low", 0.2, 0.0, 1.0, "eps_low of the clipped surrogate: ratio floor 1 - eps_low"),
      P::real("algo.clip_high", 0.2, 0.0, 10.0, "eps_high: ratio ceiling 1 + eps_high (DAPO clip-higher: 0.28)"),
      P::real("algo.dual_clip", 3.0, 0.0, 100.0, "Dual-clip constant c for A < 0 (loss capped at -c A); <= 1 = off"),
  };
}

inline ParamSpec betaParam(double def, const char* help) { return ParamSpec::real("algo.beta", def, 0.0, 100.0, help); }

}  // namespace tb
