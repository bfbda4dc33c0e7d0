#include "core/compare/SeriesStats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/Error.h"

namespace tb {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The finite points of s, x ascending; of equal x the last point is kept.
Series finitePoints(const Series& s) {
  if (s.x.size() != s.y.size())
    failInput("series has ", s.x.size(), " x values but ", s.y.size(), " y values");
  Series out;
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (i > 0 && s.x[i] < s.x[i - 1])
      failInput("series x values must be ascending: ", s.x[i - 1], " then ", s.x[i]);
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
    if (!out.x.empty() && out.x.back() == s.x[i]) {
      out.y.back() = s.y[i];
      continue;
    }
    out.x.push_back(s.x[i]);
    out.y.push_back(s.y[i]);
  }
  return out;
}

// Interpolation on points already cleaned by finitePoints.
double interpolateClean(const Series& s, double x) {
  if (s.x.empty() || x < s.x.front() || x > s.x.back()) return kNaN;
  const auto it = std::lower_bound(s.x.begin(), s.x.end(), x);
  const size_t hi = static_cast<size_t>(it - s.x.begin());
  if (s.x[hi] == x) return s.y[hi];
  const size_t lo = hi - 1;  // hi > 0: x > s.x.front()
  const double w = (x - s.x[lo]) / (s.x[hi] - s.x[lo]);
  return s.y[lo] + w * (s.y[hi] - s.y[lo]);
}

}  // namespace

std::vector<double> debiasedEma(const std::vector<double>& ys, double alpha) {
  if (!(alpha >= 0.0 && alpha < 1.0)) failInput("smoothing alpha ", alpha, ": expected a value in [0, 1)");
  if (alpha == 0.0) return ys;
  std::vector<double> out(ys.size());
  double m = 0.0, alphaPow = 1.0;
  for (size_t i = 0; i < ys.size(); ++i) {
    const double y = ys[i];
    if (!std::isfinite(y)) {
      out[i] = y;
      continue;
    }
    m = alpha * m + (1.0 - alpha) * y;
    alphaPow *= alpha;
    out[i] = m / (1.0 - alphaPow);
  }
  return out;
}

std::vector<double> centredMovingAverage(const std::vector<double>& ys, int window) {
  if (window < 1 || window % 2 == 0) failInput("moving-average window ", window, ": expected an odd number >= 1");
  const long n = static_cast<long>(ys.size());
  std::vector<double> out(ys.size());
  for (long i = 0; i < n; ++i) {
    if (!std::isfinite(ys[i])) {
      out[i] = ys[i];
      continue;
    }
    const long h = std::min<long>({window / 2, i, n - 1 - i});
    double sum = 0;
    int count = 0;
    for (long j = i - h; j <= i + h; ++j)
      if (std::isfinite(ys[j])) {
        sum += ys[j];
        ++count;
      }
    out[i] = sum / count;  // count >= 1: ys[i] itself is finite
  }
  return out;
}

double interpolateAt(const Series& s, double x) { return interpolateClean(finitePoints(s), x); }

double studentT975(int dof) {
  static constexpr double kTable[30] = {
      12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119, 2.3646243, 2.3060041,
      2.2621572,  2.2281389, 2.2009852, 2.1788128, 2.1603687, 2.1447867, 2.1314495, 2.1199053,
      2.1098155,  2.1009220, 2.0930241, 2.0859634, 2.0796138, 2.0738731, 2.0686576, 2.0638986,
      2.0595386,  2.0555294, 2.0518305, 2.0484071, 2.0452296, 2.0422725};
  if (dof < 1) return kNaN;
  if (dof <= 30) return kTable[dof - 1];
  return 1.96;
}

std::pair<double, double> shownExtent(double mean, double low, double high, double runsMin, double runsMax) {
  double lo = mean, hi = mean;
  if (std::isfinite(low)) lo = std::min(lo, std::isfinite(runsMin) ? std::max(low, runsMin) : low);
  if (std::isfinite(high)) hi = std::max(hi, std::isfinite(runsMax) ? std::min(high, runsMax) : high);
  return {lo, hi};
}

std::vector<std::pair<double, double>> clampedBoundary(const std::vector<double>& xs, const std::vector<double>& ys,
                                                       double lo, double hi) {
  if (xs.size() != ys.size()) failInput("clampedBoundary: ", xs.size(), " x values but ", ys.size(), " y values");
  std::vector<std::pair<double, double>> out;
  const auto clamp = [&](double y) { return std::min(hi, std::max(lo, y)); };
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0) {
      // Crossings of the limits inside the segment from point i-1 to i, in the order met.
      const double x0 = xs[i - 1], y0 = ys[i - 1], x1 = xs[i], y1 = ys[i];
      std::vector<double> ts;
      for (double limit : {lo, hi})
        if ((y0 - limit) * (y1 - limit) < 0) ts.push_back((limit - y0) / (y1 - y0));
      std::sort(ts.begin(), ts.end());
      for (double t : ts) out.emplace_back(x0 + t * (x1 - x0), clamp(y0 + t * (y1 - y0)));
    }
    out.emplace_back(xs[i], clamp(ys[i]));
  }
  return out;
}

std::vector<AlignedPoint> alignedGroup(const std::vector<Series>& runs) {
  std::vector<Series> clean;
  for (const auto& r : runs) {
    Series c = finitePoints(r);
    if (!c.x.empty()) clean.push_back(std::move(c));
  }
  std::vector<double> xs;
  for (const auto& c : clean) xs.insert(xs.end(), c.x.begin(), c.x.end());
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());

  std::vector<AlignedPoint> out;
  out.reserve(xs.size());
  std::vector<double> values;
  for (double x : xs) {
    values.clear();
    for (const auto& c : clean) {
      const double v = interpolateClean(c, x);
      if (std::isfinite(v)) values.push_back(v);
    }
    AlignedPoint p;
    p.x = x;
    p.n = static_cast<int>(values.size());
    double sum = 0;
    for (double v : values) sum += v;
    p.mean = sum / p.n;  // n >= 1: x is a point of some run
    p.min = *std::min_element(values.begin(), values.end());
    p.max = *std::max_element(values.begin(), values.end());
    if (p.n >= 2) {
      double ss = 0;
      for (double v : values) ss += (v - p.mean) * (v - p.mean);
      p.std = std::sqrt(ss / (p.n - 1));
      p.ci95 = studentT975(p.n - 1) * p.std / std::sqrt(static_cast<double>(p.n));
    } else {
      p.std = kNaN;
      p.ci95 = kNaN;
    }
    out.push_back(p);
  }
  return out;
}

}  // namespace tb
