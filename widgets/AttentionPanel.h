#pragma once
// AttentionPanel: everything needed to study the attention behind one trajectory. A header names
// the sample (problem, run, sample, iteration, policy, tokens and the prompt / completion split);
// a toolbar picks what the heatmap shows (one head, the mean of all heads, the local or global
// head set; one kept layer or the mean over layers), whether only the completion's tokens are
// shown, resets the zoom and exports the heatmap or the token strip as PNG/SVG. Below, the layers
// x heads thumbnails (click one to show it) beside the large heatmap, a status line (what is
// shown, the zoom, and whether cells are downsampled block maxima), and the completion text with
// WAAD and FAI per token. Selecting a token in the heatmap or the text highlights it in both.
// Plain data only: this view knows nothing of the engine.
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

#include "core/attention/AttentionSample.h"
#include "widgets/AttentionSource.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QScrollArea;
class QSplitter;
class QToolButton;

namespace tb {

class AttentionHeatmap;
class AttentionThumbnails;
class TokenStrip;

class AttentionPanel : public QWidget {
  Q_OBJECT

 public:
  explicit AttentionPanel(QWidget* parent = nullptr);
  ~AttentionPanel() override;

  // Shows `sample`: the mean of all heads over the kept layers, only the completion's tokens when
  // it has two or more, nothing selected. A sample that fails AttentionSample::validate() is
  // refused: false, the panel is cleared and the reason is shown in the header and errorString().
  bool setSample(AttentionSample sample);
  bool setSample(std::shared_ptr<const AttentionSample> sample);
  void clear();
  bool hasSample() const { return sample_ != nullptr; }
  const AttentionSample& sample() const;  // an empty sample when none is shown
  QString errorString() const { return error_; }

  // What the heatmap shows; out-of-range layers and heads are clamped.
  void setSource(const AttentionSource& source);
  AttentionSource source() const { return source_; }
  // Queries and keys restricted to the completion (the usual view) or the whole sequence.
  void setCompletionOnly(bool on);
  bool completionOnly() const { return completionOnly_; }
  // Highlights token t (absolute index, -1: none) in the heatmap and the text.
  void selectToken(int t);
  int selectedToken() const { return selected_; }

  // The heatmap's current window or the whole completion text (.png or .svg by extension);
  // false with the reason in `error`.
  bool exportHeatmap(const QString& path, QString* error = nullptr);
  bool exportTokenStrip(const QString& path, QString* error = nullptr);

  AttentionHeatmap* heatmap() const { return heatmap_; }
  AttentionThumbnails* thumbnails() const { return thumbnails_; }
  TokenStrip* tokenStrip() const { return strip_; }
  QLabel* headerLabel() const { return header_; }
  QLabel* statusLabel() const { return status_; }
  QLabel* hoverLabel() const { return hover_; }
  QComboBox* showCombo() const { return showCombo_; }
  QComboBox* headCombo() const { return headCombo_; }
  QComboBox* layerCombo() const { return layerCombo_; }
  QCheckBox* completionToggle() const { return completionToggle_; }

 signals:
  void tokenSelected(int t);
  void sourceChanged(const tb::AttentionSource& source);

 private:
  void buildToolbar(QWidget* bar);
  void fillCombos();
  void syncCombos();
  void applySource();
  void applyRange();
  void updateHeader();
  void updateStatus();
  void showHoverText(const QString& text);
  void setSelection(int t);
  void exportWithDialog(bool heatmap, const QString& suffix);

  std::shared_ptr<const AttentionSample> sample_;
  QStringList labels_;
  QString error_;
  AttentionSource source_;
  bool completionOnly_ = true;
  int selected_ = -1;

  QLabel* header_ = nullptr;
  QComboBox* showCombo_ = nullptr;
  QComboBox* headCombo_ = nullptr;
  QComboBox* layerCombo_ = nullptr;
  QCheckBox* completionToggle_ = nullptr;
  QToolButton* resetZoom_ = nullptr;
  QToolButton* export_ = nullptr;
  QSplitter* vertical_ = nullptr;
  QSplitter* horizontal_ = nullptr;
  QScrollArea* thumbnailScroll_ = nullptr;
  AttentionThumbnails* thumbnails_ = nullptr;
  AttentionHeatmap* heatmap_ = nullptr;
  QLabel* status_ = nullptr;
  QLabel* hover_ = nullptr;
  TokenStrip* strip_ = nullptr;
};

}  // namespace tb
