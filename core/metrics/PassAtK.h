#pragma once
// Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"):
//   pass@k = 1 - C(n - c, k) / C(n, k)  for n samples of which c are correct, k <= n.
// Computed as a product to stay exact for large n.
namespace tb {

double passAtK(int n, int c, int k);

}  // namespace tb
