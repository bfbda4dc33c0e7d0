#include "widgets/LegendCard.h"

#include <QLinearGradient>
#include <QPen>

namespace tb {

namespace {

QFont smallLegendFont(const QFont& base) {
  QFont f = base;
  f.setPixelSize(10);
  return f;
}

}  // namespace

QFont LegendCard::titleFont(const QFont& base) {
  QFont f = base;
  f.setPixelSize(11);
  f.setWeight(QFont::DemiBold);
  return f;
}

LegendCard::LegendCard(QPainter& painter, const QRectF& card, const QFont& base, const LegendColours& colours)
    : p_(painter),
      card_(card),
      colours_(colours),
      title_(titleFont(base)),
      small_(smallLegendFont(base)),
      smallMetrics_(small_),
      y_(card.top() + 8) {
  p_.save();
  p_.setRenderHint(QPainter::Antialiasing, true);
  p_.setPen(QPen(colours_.border, 1));
  p_.setBrush(QColor(255, 255, 255, 235));
  p_.drawRoundedRect(card_.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6);
}

LegendCard::~LegendCard() { p_.restore(); }

void LegendCard::title(const QString& text) {
  p_.setFont(title_);
  p_.setPen(colours_.text);
  p_.drawText(QRectF(left(), y_, inner(), 15), Qt::AlignLeft | Qt::AlignVCenter,
              QFontMetricsF(title_).elidedText(text, Qt::ElideRight, inner()));
  y_ += 15;
}

void LegendCard::subtitle(const QString& text) {
  p_.setFont(small_);
  p_.setPen(colours_.muted);
  p_.drawText(QRectF(left(), y_, inner(), 13), Qt::AlignLeft | Qt::AlignVCenter,
              smallMetrics_.elidedText(text, Qt::ElideRight, inner()));
  y_ += 16;
}

void LegendCard::colourBar(const std::function<QColor(double)>& colourAt, int stops, const QString& leftTick,
                           const QString& centreTick, const QString& rightTick, double gapAfterTicks) {
  const QRectF bar(left(), y_, inner(), 10);
  QLinearGradient gradient(bar.topLeft(), bar.topRight());
  for (int k = 0; k <= stops; ++k) gradient.setColorAt(static_cast<double>(k) / stops, colourAt(static_cast<double>(k) / stops));
  p_.setPen(QPen(colours_.border, 1));
  p_.setBrush(gradient);
  p_.drawRoundedRect(bar, 2, 2);
  y_ += 11;
  p_.setFont(small_);
  p_.setPen(colours_.muted);
  const QRectF ticks(bar.left(), y_, bar.width(), 13);
  p_.drawText(ticks, Qt::AlignLeft | Qt::AlignVCenter, leftTick);
  if (!centreTick.isEmpty()) p_.drawText(ticks, Qt::AlignHCenter | Qt::AlignVCenter, centreTick);
  p_.drawText(ticks, Qt::AlignRight | Qt::AlignVCenter, rightTick);
  y_ += gapAfterTicks;
}

}  // namespace tb
