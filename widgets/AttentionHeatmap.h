#pragma once
// AttentionHeatmap: the large canvas of the attention viewer. It draws one causal T x T attention
// map (queries down, keys across) as an image on a white -> dark blue square-root scale, with the
// token labels on both axes when a token is at least 11 pixels tall (otherwise index ticks every
// 1, 2, 5, 10, ... tokens), preplan and anchor tokens marked on the axes, and a legend card in the
// upper right corner, where the causal future leaves the map empty.
//
// Interaction: hovering a cell reads out its weight and its two tokens (tooltip and hovered());
// a click on a cell selects its query token, a click on an axis label selects that token (its row
// and column are highlighted, tokenSelected); the wheel zooms around the cursor, a drag pans,
// double-click or 0 resets the zoom, Left/Right move the selection.
//
// Long sequences stay responsive: the map is never drawn per token. The visible window is reduced
// to at most kMaxCells (and at most one cell per device pixel) cells a side, each the maximum of
// its block (AttentionImage.h), coloured once into a cached image; zooming in re-reads the window
// at a finer resolution. resolutionNote() says when cells are blocks. Plain data only: this view
// knows nothing of the engine.
#include <QImage>
#include <QPoint>
#include <QPointF>
#include <QRectF>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

#include "widgets/AttentionImage.h"

class QPainter;

namespace tb {

class AttentionHeatmap : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kMaxCells = 512;

  explicit AttentionHeatmap(QWidget* parent = nullptr);
  ~AttentionHeatmap() override;

  // Shows `map` (T x T row-major, T = labels.size()) with one label per token: the whole map,
  // zoom reset, selection cleared. A map of the wrong size clears the view.
  void setMap(std::vector<float> map, const QStringList& labels, const QString& title);
  // Another map of the same tokens (another head): keeps range, zoom and selection.
  void replaceMap(std::vector<float> map, const QString& title);
  void clear();
  bool hasMap() const { return tokenCount_ > 0; }
  int tokenCount() const { return tokenCount_; }
  const std::vector<float>& map() const { return map_; }
  float value(int t, int s) const;  // weight of query t to key s (0 outside the map)
  QString title() const { return title_; }
  QString tokenLabel(int t) const;

  // The tokens shown, queries and keys both: [begin, end). Resets the zoom.
  void setRange(int begin, int end);
  int rangeBegin() const { return rangeBegin_; }
  int rangeEnd() const { return rangeEnd_; }

  // Zoom: a square window of `window` tokens inside the range, queries from row0, keys from col0.
  void setWindow(int row0, int col0, int window);
  int windowRow() const { return row0_; }
  int windowCol() const { return col0_; }
  int windowSize() const { return window_; }
  bool isZoomed() const { return window_ < rangeEnd_ - rangeBegin_; }
  void resetZoom();
  void zoomBy(double factor);                         // around the map centre
  void zoomBy(double factor, const QPointF& anchor);  // keeps the token under `anchor` fixed

  // The cells of the current window (downsampled when a side has more tokens than cells).
  const AttentionBlocks& blocks() const;
  const QImage& image() const;
  bool isDownsampled() const { return blocks().downsampled(); }
  // "downsampled: 2048 tokens shown as 512 x 512 cells, each the maximum of its block", else "".
  QString resolutionNote() const;
  AttentionColorScale colorScale() const { return scale_; }

  // Preplan and anchor tokens (absolute token indices), marked on the axes.
  void setMarks(std::vector<int> preplan, std::vector<int> anchors);
  // The first completion token: a dashed line splits prompt and completion (0: none).
  void setPromptLength(int promptLength);
  // Highlights a token's row and column (-1: none). No signal; scrolls a zoomed view to it.
  void setSelectedToken(int t);
  int selectedToken() const { return selected_; }

  // Geometry in widget pixels.
  QRectF mapRect() const;
  QPoint tokensAt(const QPointF& pos) const;  // x: key s, y: query t of the map under `pos`; (-1, -1) off it
  int labelTokenAt(const QPointF& pos) const;  // the token whose axis label is under `pos`, or -1
  QPointF cellCenter(int t, int s) const;      // centre of query t, key s in the view
  // The hover read-out: "query 'x' (t) → key 'y' (s): 0.123" (for a block: its strongest weight).
  QString cellText(int t, int s) const;

  // The current window with labels and legend: .png rastered (cells of whole pixels, about 1,000
  // pixels a side), .svg as vectors around the embedded image. False with a reason in `error`.
  bool exportImage(const QString& path, QString* error = nullptr) const;

  QSize sizeHint() const override { return QSize(680, 640); }
  QSize minimumSizeHint() const override { return QSize(240, 240); }

 signals:
  void tokenSelected(int t);
  void hovered(const QString& text);  // "" when the pointer leaves the map
  void viewChanged();                 // range, window or resolution changed

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;
  bool event(QEvent* event) override;

 private:
  // Margins around the map square (pixels): outer padding, axis title, the gap for ticks and marks
  // between labels and map, top and right padding.
  static constexpr double kOuter = 6, kAxisTitle = 16, kGap = 10, kTop = 10, kRight = 12;

  // Where one paint goes: the map square and the window it shows.
  struct Frame {
    QRectF map;
    QRectF bounds;  // the whole picture
    double tokenPx = 1;
    int row0 = 0, col0 = 0, window = 0;
    bool exporting = false;
  };

  double leftMargin() const;
  double bottomMargin() const;
  Frame screenFrame() const;
  Frame frameFor(const QRectF& bounds, double mapSide, double offsetX, bool exporting) const;
  int targetSide(double mapSidePixels) const;
  void invalidateImage();
  void ensureImage() const;
  void refreshScale();
  void measureLabels();
  void clampWindow();
  void setHover(const QPoint& cell);
  void selectAndNotify(int t);

  // AttentionHeatmapPaint.cpp
  void paintScene(QPainter& p, const Frame& f, const AttentionBlocks& blocks, const QImage& image) const;
  void paintLabels(QPainter& p, const Frame& f) const;
  void paintMarks(QPainter& p, const Frame& f) const;
  void paintHighlights(QPainter& p, const Frame& f, const AttentionBlocks& blocks) const;
  QSizeF legendSize() const;
  void paintLegend(QPainter& p, const QPointF& topLeft) const;

  std::vector<float> map_;
  int tokenCount_ = 0;
  QStringList labels_;
  QString title_;
  int rangeBegin_ = 0, rangeEnd_ = 0;
  int row0_ = 0, col0_ = 0, window_ = 0;
  AttentionColorScale scale_;
  std::vector<int> preplan_, anchors_;
  int promptLength_ = 0;
  int selected_ = -1;
  QPoint hover_{-1, -1};
  double labelWidth_ = 40;  // the axis label column, fixed per range so that zooming never shifts the map
  double indexWidth_ = 20;

  mutable AttentionBlocks blocks_;
  mutable QImage image_;
  mutable bool imageValid_ = false;
  mutable int imageSide_ = 0;

  QPointF pressPos_;
  int pressRow0_ = 0, pressCol0_ = 0;
  bool pressed_ = false;
  bool dragging_ = false;
};

}  // namespace tb
