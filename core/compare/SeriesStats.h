#pragma once
// Statistics of metric series for comparing runs (core/compare/Comparison.h, the reports, the GUI):
// smoothing of one series and the aligned mean / spread of several runs' series.
//
// Smoothing
//   debiasedEma: m_0 = 0, m_t = alpha m_{t-1} + (1 - alpha) y_t, s_t = m_t / (1 - alpha^t), where t
//     counts the finite values seen so far (1 for the first). The division removes the pull toward
//     the zero start: s_1 = y_1, and a constant series stays exactly constant. Non-finite values
//     pass through unsmoothed and do not enter the average (nor advance t). alpha in [0, 1); 0 = off
//     (the input is returned). Same definition as widgets/CurvePlot::debiasedEma.
//   centredMovingAverage: s_i = mean of the finite y_j with |j - i| <= h, h = min(window / 2, i,
//     n - 1 - i): the window stays centred and shrinks symmetrically at the ends (s_0 = y_0, a line
//     stays a line, a constant stays constant). Non-finite y_i pass through; window odd, >= 1.
//
// Aligning runs (alignedGroup)
//   X = the union of the runs' x values (non-finite points dropped first). A run covers x when
//   first x <= x <= last x of the run; its value there is linear interpolation between its two
//   neighbouring points (exact at its own x; never extrapolated outside its range). At each x in X
//   with the covering runs' values v_1..v_n:
//     mean = sum v_i / n
//     std  = sqrt(sum (v_i - mean)^2 / (n - 1))            (sample std; NaN when n < 2)
//     min, max of the v_i
//     ci95 = t_{0.975, n-1} * std / sqrt(n)                 (half-width; NaN when n < 2)
//   with t_{0.975, d} Student's t quantile from a table for d <= 30 and 1.96 beyond.
// No bucketing: every x a run has is a point of the aligned curve, and a run never contributes at
// an x outside its own range, so a run that stopped early does not drag the tail toward anything.
#include <utility>
#include <vector>

namespace tb {

struct Series {
  std::vector<double> x;  // ascending
  std::vector<double> y;  // same size as x; NaN = missing point
};

// Debiased exponential moving average (see above). InputError when alpha is outside [0, 1).
std::vector<double> debiasedEma(const std::vector<double>& ys, double alpha);

// Centred moving average with a symmetric window shrinking at the ends (see above). InputError
// when window is even or < 1.
std::vector<double> centredMovingAverage(const std::vector<double>& ys, int window);

// The value of `s` at x by linear interpolation between its neighbouring finite points; NaN outside
// [first x, last x] or when s has no finite point. InputError when s.x is not ascending.
double interpolateAt(const Series& s, double x);

// Student's t quantile t_{0.975, dof} (two-sided 95%): table for dof 1..30, 1.96 above, NaN for
// dof < 1.
double studentT975(int dof);

struct AlignedPoint {
  double x = 0;
  int n = 0;          // runs covering x
  double mean = 0;
  double std = 0;     // sample standard deviation (n - 1); NaN when n < 2
  double min = 0;
  double max = 0;
  double ci95 = 0;    // half-width of the 95% confidence interval of the mean; NaN when n < 2
};

// The y extent a plot must show for a point of a group's curve with the band [low, high]: the mean,
// and the band only as far as the group's runs themselves reach ([runsMin, runsMax]). With few runs
// the t-interval is far wider than anything any run did (t_{0.975, 1} = 12.7), and an axis fitted
// to it flattens every curve; the band is then drawn cut at the axis. A NaN bound counts as absent.
std::pair<double, double> shownExtent(double mean, double low, double high, double runsMin, double runsMax);

// A band boundary (x ascending, same sizes) held within [lo, hi]: the points beyond are moved onto
// the limit, and where a segment crosses a limit the crossing point is inserted, so the clamped
// boundary is exactly the visible part of the original (SVG renderers without clip paths).
std::vector<std::pair<double, double>> clampedBoundary(const std::vector<double>& xs, const std::vector<double>& ys,
                                                       double lo, double hi);

// Per x in the union of the runs' x values, the statistics of the runs that cover it (see above).
// Runs without a finite point are ignored. InputError when a run's x is not ascending or x and y
// differ in size.
std::vector<AlignedPoint> alignedGroup(const std::vector<Series>& runs);

}  // namespace tb
