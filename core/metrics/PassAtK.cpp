// Unbiased pass@k estimator.
#include "core/metrics/PassAtK.h"

#include "core/Error.h"

namespace tb {

double passAtK(int n, int c, int k) {
  TB_CHECK(n >= 1 && k >= 1 && k <= n && c >= 0 && c <= n, "n=", n, " c=", c, " k=", k);
  if (n - c < k) return 1.0;
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
  double fail = 1.0;
  for (int i = n - c + 1; i <= n; ++i) fail *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - fail;
}

}  // namespace tb
