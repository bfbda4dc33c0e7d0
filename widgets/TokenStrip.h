#pragma once
// TokenStrip: the completion of an attention sample as text in reading order, each token with two
// thin stripes under it whose darkness is its WAAD (teal) and FAI (purple), each normalised over
// the completion (min to max). Preplan tokens (largest WAAD change) have a teal box, anchor tokens
// (largest FAI) a purple one, the selected token an amber one; a legend row says so. Tokens wrap
// to the width; a newline token shows as '⏎' and breaks the line; a space token is a space.
//
// Clicking a token selects it (tokenSelected, absolute token index as the heatmap uses); hovering
// shows its metrics. One widget paints every token (no widget per token) and only the lines in
// view are drawn, so 2,000 tokens scroll smoothly. Plain data only: this view knows nothing of
// the engine.
#include <QAbstractScrollArea>
#include <QRectF>
#include <QString>
#include <QStringList>

#include <vector>

#include "core/attention/AttentionSample.h"

class QPainter;

namespace tb {

class TokenStrip : public QAbstractScrollArea {
  Q_OBJECT

 public:
  explicit TokenStrip(QWidget* parent = nullptr);
  ~TokenStrip() override;

  // Copies the tokens and metrics of `sample` (which must be valid); clears the selection.
  void setSample(const AttentionSample& sample);
  void clear();
  bool hasTokens() const { return completionLength() > 0; }
  int tokenCount() const { return static_cast<int>(labels_.size()); }
  int promptLength() const { return promptLength_; }
  int completionLength() const { return tokenCount() - promptLength_; }

  // Token indices are absolute (0 = <bos>); only completion tokens are drawn.
  void setSelectedToken(int t);  // -1: none; no signal; scrolls the token into view
  int selectedToken() const { return selected_; }
  double waadLevel(int t) const;  // the stripe darkness in [0, 1]; NaN without WAAD
  double faiLevel(int t) const;
  bool isAnchor(int t) const;
  bool isPreplan(int t) const;
  QString displayText(int t) const;  // as drawn: "⏎" for a newline, " " for a space
  QString tokenToolTip(int t) const;

  // Geometry in viewport pixels.
  QRectF tokenRect(int t) const;  // empty for prompt tokens
  int tokenAt(const QPointF& pos) const;
  int lineCount() const { return layout_.lines; }

  // The whole completion, 960 pixels wide, with a title and the legend: .png rastered, .svg as
  // vectors. False with a reason in `error`.
  bool exportImage(const QString& path, QString* error = nullptr) const;

  QSize sizeHint() const override { return QSize(900, 190); }
  QSize minimumSizeHint() const override { return QSize(240, 90); }

 signals:
  void tokenSelected(int t);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;
  bool viewportEvent(QEvent* event) override;

 private:
  struct Layout {
    double width = 0;
    double top = 0;     // where the tokens start, below the title and legend
    double height = 0;  // of everything
    int lines = 0;
    std::vector<QRectF> boxes;  // per completion token, content pixels
  };

  Layout layoutFor(double width, const QString& title) const;
  void relayout();
  void updateScrollBar();
  void ensureVisible(int t);
  // Paints the title (if any), the legend and the tokens whose boxes meet `visible`.
  void paintContent(QPainter& p, const Layout& layout, const QRectF& visible, const QString& title, bool exporting) const;
  // Lays out (p == nullptr) or paints the legend row(s) from `origin`; returns the height used.
  double legend(QPainter* p, const QPointF& origin, double width) const;
  QFont tokenFont() const;
  void selectAndNotify(int t);

  QStringList labels_;
  std::vector<QString> display_;
  std::vector<bool> breakAfter_, special_;
  int promptLength_ = 0;
  std::vector<double> waad_, fai_;
  double waadLo_ = 0, waadHi_ = 0, faiLo_ = 0, faiHi_ = 0;
  std::vector<bool> anchor_, preplan_;  // per completion token
  QString problem_;
  int selected_ = -1;
  int hovered_ = -1;
  Layout layout_;
};

}  // namespace tb
