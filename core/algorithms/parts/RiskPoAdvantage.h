#pragma once
// RiskPO (Ren et al. 2025, "RiskPO: Risk-based Policy Optimization via Verifiable Reward for LLM
// Post-Training"): Mixed Value-at-Risk objective over bundles.
//   Bundle B questions; "paper" j = the j-th response of every question; score S_j = sum of its
//   rewards. Quantiles q_a (levels alpha, beta) tracked by SGD, q_a += lr (a - mean 1[S < q_a]),
//   initialised from the first batch and updated after use.
//   A_RVaR = [(S - q_alpha)+ - (S - q_beta)+ + (q_alpha - q_beta)] / (beta - alpha)
//   A_CVaR = -(q_alpha - S)+ / alpha
//   A = (w A_CVaR + A_RVaR) / (w + 1), divided by the std of S in the bundle; a response gets its
//   paper's A divided by the std of its question's rewards (0 where that std is 0: no signal).
// Example (q_alpha = 1, q_beta = 4, alpha 0.2, beta 0.9, w 1.5, before the std division):
//   S = 0 -> -4.71; S = 3 -> -0.57; S = 5 -> 0.
#include <vector>

namespace tb {

double mvarAdvantage(double score, double qAlpha, double qBeta, double alpha, double beta, double weight);

// Quantile tracker of RiskPO: q += lr * (level - mean 1[S < q]).
struct QuantileTracker {
  double level = 0.5, value = 0, lr = 0.1;
  bool initialised = false;
  void initialise(std::vector<double> scores);  // empirical quantile of the first batch
  void update(const std::vector<double>& scores);
};

}  // namespace tb
