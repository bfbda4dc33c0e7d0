// TreeColorScale: metric names and the two colour maps. See TreeColorScale.h.
#include "widgets/TreeColorScale.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace tb {

namespace {

struct Stop {
  double t;
  int r, g, b;
};

// Red-grey-blue (ColorBrewer RdBu with a warm light grey in the middle, so a 0 node still stands
// out from the white canvas).
constexpr std::array<Stop, 5> kDiverging{{{0.0, 0xb2, 0x18, 0x2b},
                                         {0.25, 0xe7, 0x8a, 0x6e},
                                         {0.5, 0xe4, 0xe1, 0xdc},
                                         {0.75, 0x6f, 0xa8, 0xd2},
                                         {1.0, 0x21, 0x66, 0xac}}};
// viridis, sampled.
constexpr std::array<Stop, 6> kSequential{{{0.0, 0x44, 0x01, 0x54},
                                          {0.2, 0x41, 0x44, 0x87},
                                          {0.4, 0x2a, 0x78, 0x8e},
                                          {0.6, 0x22, 0xa8, 0x84},
                                          {0.8, 0x7a, 0xd1, 0x51},
                                          {1.0, 0xfd, 0xe7, 0x25}}};

template <size_t N>
QColor interpolate(const std::array<Stop, N>& stops, double t) {
  if (!std::isfinite(t)) return TreeColorScale::missingColor();
  t = std::clamp(t, 0.0, 1.0);
  size_t k = 1;
  while (k + 1 < N && stops[k].t < t) ++k;
  const Stop& a = stops[k - 1];
  const Stop& b = stops[k];
  const double u = (t - a.t) / (b.t - a.t);
  auto mix = [u](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * u)); };
  return QColor(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

}  // namespace

QString treeMetricName(TreeMetric metric) {
  switch (metric) {
    case TreeMetric::Q: return QStringLiteral("Q");
    case TreeMetric::Value: return QStringLiteral("value");
    case TreeMetric::Reward: return QStringLiteral("reward");
    case TreeMetric::Visits: return QStringLiteral("visits");
    case TreeMetric::Prior: return QStringLiteral("prior");
    case TreeMetric::LogFlow: return QStringLiteral("log-flow");
  }
  return {};
}

QString treeMetricDescription(TreeMetric metric) {
  switch (metric) {
    case TreeMetric::Q: return QStringLiteral("Q of the edge into the node");
    case TreeMetric::Value: return QStringLiteral("node value V");
    case TreeMetric::Reward: return QStringLiteral("reward of the edge into the node");
    case TreeMetric::Visits: return QStringLiteral("visit count N (log scale)");
    case TreeMetric::Prior: return QStringLiteral("prior P(step | parent)");
    case TreeMetric::LogFlow: return QStringLiteral("GFlowNet log F(s)");
  }
  return {};
}

QString treeMetricShortLabel(TreeMetric metric) {
  switch (metric) {
    case TreeMetric::Q: return QStringLiteral("Q");
    case TreeMetric::Value: return QStringLiteral("V");
    case TreeMetric::Reward: return QStringLiteral("r");
    case TreeMetric::Visits: return QStringLiteral("N");
    case TreeMetric::Prior: return QStringLiteral("P");
    case TreeMetric::LogFlow: return QStringLiteral("logF");
  }
  return {};
}

TreeColorScale TreeColorScale::fit(TreeMetric metric, double minValue, double maxValue) {
  TreeColorScale s;
  s.metric = metric;
  if (!std::isfinite(minValue)) minValue = 0;
  if (!std::isfinite(maxValue)) maxValue = 0;
  if (s.diverging()) {
    double m = std::max(std::fabs(minValue), std::fabs(maxValue));
    if (!(m > 1e-12)) m = 1;
    s.lo = -m;
    s.hi = m;
  } else if (metric == TreeMetric::Visits || metric == TreeMetric::Prior) {
    s.lo = 0;
    s.hi = maxValue > 0 ? maxValue : 1;
  } else {
    s.lo = minValue;
    s.hi = maxValue > minValue ? maxValue : minValue + 1;
  }
  return s;
}

double TreeColorScale::position(double v) const {
  if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
  if (logarithmic()) return std::clamp(std::log1p(std::max(0.0, v)) / std::log1p(std::max(hi, 1e-12)), 0.0, 1.0);
  return std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
}

QColor TreeColorScale::color(double v) const {
  const double t = position(v);
  return diverging() ? divergingColor(t) : sequentialColor(t);
}

QColor TreeColorScale::divergingColor(double t) { return interpolate(kDiverging, t); }
QColor TreeColorScale::sequentialColor(double t) { return interpolate(kSequential, t); }
QColor TreeColorScale::missingColor() { return QColor(0xc9, 0xcc, 0xd1); }

QColor TreeColorScale::textOn(const QColor& fill) {
  const double luminance = 0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF();
  return luminance > 0.55 ? QColor(0x1f, 0x22, 0x28) : QColor(Qt::white);
}

}  // namespace tb
