// Semantic clusters and their entropy (see SemanticClusters.h).
#include "core/algorithms/parts/SemanticClusters.h"

#include <cmath>
#include <map>

namespace tb {

std::vector<int> clusterAnswers(const std::vector<std::string>& answers) {
  std::map<std::string, int> ids;
  std::vector<int> out;
  for (const auto& a : answers) out.push_back(ids.emplace(a, static_cast<int>(ids.size())).first->second);
  return out;
}

double semanticEntropy(const std::vector<int>& clusters, const std::vector<double>& weights) {
  std::map<int, double> mass;
  double total = 0;
  for (size_t i = 0; i < clusters.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    mass[clusters[i]] += w;
    total += w;
  }
  if (total <= 0) return 0;
  double h = 0;
  for (const auto& [_, m] : mass)
    if (m > 0) h -= (m / total) * std::log(m / total);
  return h;
}

}  // namespace tb
