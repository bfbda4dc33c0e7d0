#pragma once
// AttentionThumbnails: the layers x heads overview of the attention viewer. One small map per kept
// layer and head, plus a "mean" column (the mean over a layer's heads) and a "mean" row (a head's
// mean over the kept layers) with the overall mean in the corner, each scaled to its own maximum so
// that every head's pattern shows. Head labels are teal for the local heads and purple for the
// global heads of the attention-credit metrics. A click picks a map (picked); the map the heatmap
// shows is framed in amber (the heads of a local / global set with a dashed frame).
//
// All thumbnails are built in one pass over the rows of the weights, block maxima as the heatmap
// has them (AttentionImage.h), so 2,048 tokens x 16 maps take a few tens of milliseconds; painting
// only draws the cached images. Plain data only: this view knows nothing of the engine.
#include <QImage>
#include <QRect>
#include <QString>
#include <QWidget>

#include <vector>

#include "core/attention/AttentionSample.h"
#include "widgets/AttentionSource.h"

namespace tb {

class AttentionThumbnails : public QWidget {
  Q_OBJECT

 public:
  explicit AttentionThumbnails(QWidget* parent = nullptr);
  ~AttentionThumbnails() override;

  // Builds the thumbnails of `sample` over the tokens [begin, end) (queries and keys). The sample
  // must be valid (AttentionSample::validate).
  void setSample(const AttentionSample& sample, int begin, int end);
  void clear();
  bool isEmpty() const { return images_.empty(); }
  int layerCount() const { return layers_; }  // kept layers
  int headCount() const { return heads_; }
  bool hasMeanRow() const { return layers_ > 1; }
  bool hasMeanColumn() const { return heads_ > 1; }

  // The map shown by the heatmap, framed.
  void setCurrent(const AttentionSource& source);
  AttentionSource current() const { return current_; }

  // layerIndex -1: the mean over layers (or the only layer); head -1: the mean of all heads.
  QImage thumbnail(int layerIndex, int head) const;
  QRect cellRect(int layerIndex, int head) const;
  int cellSize() const { return cell_; }

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return sizeHint(); }

 signals:
  void picked(int layerIndex, int head);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;
  bool event(QEvent* event) override;

 private:
  // Grid positions: rows 0..layers-1 are kept layers, row `layers` the mean; likewise columns.
  int rowCount() const { return layers_ + (hasMeanRow() ? 1 : 0); }
  int columnCount() const { return heads_ + (hasMeanColumn() ? 1 : 0); }
  int rowOf(int layerIndex) const;
  int columnOf(int head) const;
  QRect gridRect(int row, int column) const;
  bool cellAt(const QPoint& pos, int* layerIndex, int* head) const;
  QString cellToolTip(int layerIndex, int head) const;
  bool isLocal(int head) const;
  bool isGlobal(int head) const;

  int layers_ = 0, heads_ = 0, cell_ = 56, tokens_ = 0;
  std::vector<int> layerNumbers_;
  std::vector<double> headDistance_;
  std::vector<int> localHeads_, globalHeads_;
  std::vector<QImage> images_;  // rowCount() x columnCount()
  std::vector<float> maxima_;
  AttentionSource current_;
  int hoverRow_ = -1, hoverColumn_ = -1;
};

}  // namespace tb
