#pragma once
// AttentionImage: how the attention viewer turns a window of a causal T x T map into pixels, and
// the colours its views share.
//
// Long maps are reduced by block maximum over the same cells as downsampleMax (a thin strong line
// stays visible when 2,000 tokens become 512 cells). Weights are coloured white -> dark blue on a
// square-root scale, so that the many small weights beside one large attention sink still show;
// the causal future (keys after every query of a cell) is a neutral grey, distinct from a weight
// of 0. Selection is amber everywhere (it stands out on blue), preplan tokens and WAAD teal,
// anchor tokens and FAI purple (each mark shares the colour of the metric that picks it).
#include <QColor>
#include <QImage>
#include <QString>

#include <vector>

namespace tb {

// A square window [row0, row0 + window) x [col0, col0 + window) of a row-major T x T map reduced
// to side = min(window, maxSide) cells per axis, each the maximum of its block.
struct AttentionBlocks {
  int row0 = 0, col0 = 0, window = 0, side = 0;
  std::vector<float> cells;  // side x side, row-major
  std::vector<int> start;    // side + 1 window offsets: cell i covers [start[i], start[i + 1])

  bool empty() const { return side == 0; }
  bool downsampled() const { return side < window; }
  float at(int i, int j) const { return cells[static_cast<size_t>(i) * side + j]; }
  float maxValue() const;
  int cellOf(int offset) const;      // the cell covering a window offset (clamped)
  bool masked(int i, int j) const;   // every key of the cell comes after every query of it
};

// Cell i covers the offsets u with floor(u * side / window) == i, as downsampleMax does.
AttentionBlocks attentionBlocks(const float* map, int T, int row0, int col0, int window, int maxSide);

// The weight colour map: position t = sqrt(w / maxValue) on white -> dark blue.
struct AttentionColorScale {
  float maxValue = 1.0f;

  double position(double weight) const;
  QColor color(double weight) const;
  // One pixel per cell (QImage::Format_RGB32).
  QImage image(const AttentionBlocks& blocks) const;

  static QColor colorAt(double t);  // t in [0, 1]
  static QColor maskedColor();
};

// Shared colours of the attention views.
namespace attention_palette {
QColor canvas();
QColor text();
QColor muted();
QColor cardBorder();
QColor select();
QColor selectFill();
QColor anchor();
QColor anchorFill();
QColor preplan();
QColor preplanFill();
QColor waad();  // the dark end of the WAAD stripes
QColor fai();   // the dark end of the FAI stripes
QColor blend(const QColor& a, const QColor& b, double t);
}  // namespace attention_palette

// "0.123", "0.0012", "1"; "—" when not finite.
QString formatAttentionWeight(double w);

}  // namespace tb
