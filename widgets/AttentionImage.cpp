// AttentionImage: block maximum, the weight colour map and the shared palette. See AttentionImage.h.
#include "widgets/AttentionImage.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace tb {

namespace {

struct Stop {
  double t;
  int r, g, b;
};

// White to dark blue (ColorBrewer Blues, with a paler first step so that weak weights are tinted).
constexpr std::array<Stop, 6> kBlues{{{0.0, 0xff, 0xff, 0xff},
                                     {0.12, 0xe3, 0xee, 0xf9},
                                     {0.32, 0xa6, 0xcd, 0xe6},
                                     {0.55, 0x52, 0x9d, 0xcc},
                                     {0.78, 0x1c, 0x66, 0xae},
                                     {1.0, 0x08, 0x2a, 0x62}}};

QRgb interpolate(double t) {
  t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
  size_t k = 1;
  while (k + 1 < kBlues.size() && kBlues[k].t < t) ++k;
  const Stop& a = kBlues[k - 1];
  const Stop& b = kBlues[k];
  const double u = (t - a.t) / (b.t - a.t);
  auto mix = [u](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * u)); };
  return qRgb(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b));
}

// The colour map sampled once: images are coloured by table look-up.
const std::array<QRgb, 256>& lookupTable() {
  static const std::array<QRgb, 256> table = [] {
    std::array<QRgb, 256> out{};
    for (int i = 0; i < 256; ++i) out[i] = interpolate(i / 255.0);
    return out;
  }();
  return table;
}

}  // namespace

float AttentionBlocks::maxValue() const {
  return cells.empty() ? 0.0f : *std::max_element(cells.begin(), cells.end());
}

int AttentionBlocks::cellOf(int offset) const {
  if (side == 0) return 0;
  offset = std::clamp(offset, 0, window - 1);
  return static_cast<int>(static_cast<long long>(offset) * side / window);
}

bool AttentionBlocks::masked(int i, int j) const {
  // The cell's first key comes after its last query.
  return col0 + start[j] > row0 + start[i + 1] - 1;
}

AttentionBlocks attentionBlocks(const float* map, int T, int row0, int col0, int window, int maxSide) {
  AttentionBlocks b;
  window = std::clamp(window, 0, T);
  row0 = std::clamp(row0, 0, T - window);
  col0 = std::clamp(col0, 0, T - window);
  b.row0 = row0;
  b.col0 = col0;
  b.window = window;
  if (window == 0 || maxSide < 1) return b;
  const int side = std::min(window, maxSide);
  b.side = side;
  b.start.resize(side + 1);
  for (int i = 0; i <= side; ++i)
    b.start[i] = static_cast<int>((static_cast<long long>(i) * window + side - 1) / side);
  b.cells.assign(static_cast<size_t>(side) * side, 0.0f);
  for (int u = 0; u < window; ++u) {
    const int t = row0 + u;
    // Keys after the query are zero by causality: read only up to the diagonal.
    const int lastKey = std::min(window, t - col0 + 1);
    if (lastKey <= 0) continue;
    const float* row = map + static_cast<size_t>(t) * T + col0;
    float* cells = &b.cells[static_cast<size_t>(b.cellOf(u)) * side];
    for (int j = 0; j < side && b.start[j] < lastKey; ++j) {
      const int end = std::min(b.start[j + 1], lastKey);
      float m = cells[j];
      for (int s = b.start[j]; s < end; ++s) m = std::max(m, row[s]);
      cells[j] = m;
    }
  }
  return b;
}

double AttentionColorScale::position(double weight) const {
  if (!(maxValue > 0.0f) || !std::isfinite(weight)) return 0.0;
  return std::sqrt(std::clamp(weight / maxValue, 0.0, 1.0));
}

QColor AttentionColorScale::color(double weight) const { return colorAt(position(weight)); }

QColor AttentionColorScale::colorAt(double t) { return QColor::fromRgb(interpolate(t)); }

QColor AttentionColorScale::maskedColor() { return QColor(0xec, 0xee, 0xf1); }

QImage AttentionColorScale::image(const AttentionBlocks& b) const {
  if (b.empty()) return {};
  QImage image(b.side, b.side, QImage::Format_RGB32);
  const auto& table = lookupTable();
  const QRgb masked = maskedColor().rgb();
  const float scale = maxValue > 0.0f ? 1.0f / maxValue : 0.0f;
  for (int i = 0; i < b.side; ++i) {
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(i));
    for (int j = 0; j < b.side; ++j) {
      if (b.masked(i, j)) {
        line[j] = masked;
        continue;
      }
      const float v = std::clamp(b.at(i, j) * scale, 0.0f, 1.0f);
      line[j] = table[static_cast<size_t>(std::lround(std::sqrt(v) * 255.0f))];
    }
  }
  return image;
}

namespace attention_palette {
QColor canvas() { return QColor(0xfb, 0xfb, 0xfc); }
QColor text() { return QColor(0x2b, 0x2f, 0x36); }
QColor muted() { return QColor(0x76, 0x7c, 0x86); }
QColor cardBorder() { return QColor(0xe0, 0xe3, 0xe8); }
QColor select() { return QColor(0xf5, 0x9e, 0x0b); }
QColor selectFill() { return QColor(0xfe, 0xf3, 0xc7); }
QColor anchor() { return QColor(0x7c, 0x3a, 0xed); }
QColor anchorFill() { return QColor(0xed, 0xe9, 0xfe); }
QColor preplan() { return QColor(0x0d, 0x94, 0x88); }
QColor preplanFill() { return QColor(0xcc, 0xfb, 0xf1); }
QColor waad() { return QColor(0x0f, 0x76, 0x6e); }
QColor fai() { return QColor(0x5b, 0x21, 0xb6); }
QColor blend(const QColor& a, const QColor& b, double t) {
  t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
  auto mix = [t](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * t)); };
  return QColor(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()));
}
}  // namespace attention_palette

QString formatAttentionWeight(double w) {
  if (!std::isfinite(w)) return QStringLiteral("—");
  if (w == 0.0) return QStringLiteral("0");
  if (std::fabs(w) >= 0.01) return QString::number(w, 'f', 3);
  return QString::number(w, 'g', 2);
}

}  // namespace tb
