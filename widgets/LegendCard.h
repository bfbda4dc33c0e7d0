#pragma once
// The legend card drawn over the tree view and the attention heatmap: a rounded, nearly opaque
// white card with a demi-bold title, a muted subtitle and a colour bar with tick labels; each view
// then draws its own keys below, from y() on, in the small font. The painter is saved on
// construction and restored on destruction.
#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QRectF>
#include <QString>

#include <functional>

namespace tb {

struct LegendColours {
  QColor border, text, muted;
};

class LegendCard {
 public:
  LegendCard(QPainter& painter, const QRectF& card, const QFont& base, const LegendColours& colours);
  ~LegendCard();
  LegendCard(const LegendCard&) = delete;
  LegendCard& operator=(const LegendCard&) = delete;

  // One line each, elided to the card's width; the subtitle leaves a 3 px gap below it.
  void title(const QString& text);
  void subtitle(const QString& text);
  // A 10 px bar coloured by colourAt(t), t in [0, 1] (stops + 1 samples), and below it the tick
  // labels at its left, centre (when not empty) and right; y() then lies gapAfterTicks below the
  // ticks' top.
  void colourBar(const std::function<QColor(double)>& colourAt, int stops, const QString& left,
                 const QString& centre, const QString& right, double gapAfterTicks);

  double left() const { return card_.left() + kPad; }
  double inner() const { return card_.width() - 2 * kPad; }
  double y() const { return y_; }
  void advance(double dy) { y_ += dy; }
  const QFont& smallFont() const { return small_; }
  const QFontMetricsF& smallMetrics() const { return smallMetrics_; }

  // The title font at the card's size (for measuring a title before the card is drawn).
  static QFont titleFont(const QFont& base);

 private:
  static constexpr double kPad = 10;
  QPainter& p_;
  QRectF card_;
  LegendColours colours_;
  QFont title_, small_;
  QFontMetricsF smallMetrics_;
  double y_;
};

}  // namespace tb
