#pragma once
// TreeColorScale: how a tree view maps one node metric to a fill colour. Signed metrics (Q, value,
// reward) use a diverging red-grey-blue map centred on 0 with a symmetric range, so "good" and
// "bad" read the same in every tree; counts and probabilities (visits on a log scale, prior,
// log-flow) use a sequential viridis-like map. Missing values (NaN) are neutral grey.
#include <QColor>
#include <QString>

namespace tb {

enum class TreeMetric { Q, Value, Reward, Visits, Prior, LogFlow };

QString treeMetricName(TreeMetric metric);         // "Q", "value", ...
QString treeMetricDescription(TreeMetric metric);  // one line for the legend and tooltips
QString treeMetricShortLabel(TreeMetric metric);   // for node labels: "Q", "V", "r", "N", "P", "logF"

struct TreeColorScale {
  TreeMetric metric = TreeMetric::Q;
  double lo = -1, hi = 1;  // diverging: -m..m; sequential: the data range (visits: 0..max)

  bool diverging() const { return metric == TreeMetric::Q || metric == TreeMetric::Value || metric == TreeMetric::Reward; }
  bool logarithmic() const { return metric == TreeMetric::Visits; }

  // A scale for `metric` covering [minValue, maxValue] (non-finite bounds are ignored).
  static TreeColorScale fit(TreeMetric metric, double minValue, double maxValue);

  // Position of v on the colour bar in [0, 1] (NaN stays NaN).
  double position(double v) const;
  QColor color(double v) const;

  static QColor divergingColor(double t);   // t in [0, 1], 0.5 = neutral
  static QColor sequentialColor(double t);  // t in [0, 1]
  static QColor missingColor();
  // Near-black or white, whichever reads on `fill`.
  static QColor textOn(const QColor& fill);
};

}  // namespace tb
