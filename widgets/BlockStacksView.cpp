// BlockStacksView: antialiased drawing of block stacks on a table with a claw holding the held
// block. See BlockStacksView.h.
#include "widgets/BlockStacksView.h"

#include <QFontMetricsF>
#include <QHash>
#include <QLinearGradient>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace tb {

namespace {

const QColor kMuted(0x6b, 0x70, 0x7a);
const QColor kHint(0x9a, 0x9e, 0xa8);
const QColor kCard(0xf7, 0xf8, 0xfa);
const QColor kCardBorder(0xe3, 0xe5, 0xea);
const QColor kTable(0x5d, 0x4a, 0x3c);
const QColor kClaw(0x4a, 0x50, 0x5a);

// Block size in units of one block side: horizontal gap between stacks and the bands reserved
// above (claw and held block) and below (table) the stacks.
constexpr double kGap = 0.45;
constexpr double kHandBand = 1.8;
constexpr double kTableBand = 0.45;
constexpr double kMinBlock = 14.0;
constexpr double kMaxBlock = 64.0;
constexpr double kMargin = 12.0;

}  // namespace

int BlockStacks::blockCount() const {
  int n = held.isEmpty() ? 0 : 1;
  for (const auto& s : stacks) n += s.size();
  return n;
}

BlockStacksView::BlockStacksView(QWidget* parent) : QWidget(parent) {
  setObjectName(QStringLiteral("blockStacks"));
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  placeholder_ = tr("No blocks to draw");
}

void BlockStacksView::setState(const BlockStacks& state) {
  if (state == state_) return;
  state_ = state;
  updateGeometry();
  update();
}

void BlockStacksView::setStacks(const QVector<QStringList>& stacks, const QString& held) {
  setState(BlockStacks{stacks, held});
}

void BlockStacksView::clear() { setState({}); }

void BlockStacksView::setPlaceholderText(const QString& text) {
  placeholder_ = text;
  update();
}

QColor BlockStacksView::blockColor(const QString& name) {
  static const QHash<QString, QColor> named = {
      {QStringLiteral("red"), QColor(0xe5, 0x39, 0x35)},     {QStringLiteral("blue"), QColor(0x1e, 0x6f, 0xd9)},
      {QStringLiteral("orange"), QColor(0xfb, 0x8c, 0x00)},  {QStringLiteral("yellow"), QColor(0xfd, 0xd8, 0x35)},
      {QStringLiteral("white"), QColor(0xfb, 0xfb, 0xfb)},   {QStringLiteral("magenta"), QColor(0xd8, 0x1b, 0x9a)},
      {QStringLiteral("black"), QColor(0x26, 0x2a, 0x30)},   {QStringLiteral("cyan"), QColor(0x26, 0xc6, 0xda)},
      {QStringLiteral("green"), QColor(0x43, 0xa0, 0x47)},   {QStringLiteral("violet"), QColor(0x7e, 0x57, 0xc2)},
      {QStringLiteral("silver"), QColor(0xb8, 0xc0, 0xc8)},  {QStringLiteral("gold"), QColor(0xd4, 0xa0, 0x17)},
  };
  const QString key = name.trimmed().toLower();
  if (auto it = named.constFind(key); it != named.constEnd()) return *it;
  // A stable, pleasant hue for any other name (letters "a", "b", ... in other Blocks World sets).
  const int hue = static_cast<int>(qHash(key, 0x5eed) % 360u);
  return QColor::fromHsl(hue, 150, 150);
}

QColor BlockStacksView::labelColor(const QColor& fill) {
  const double luminance = 0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF();
  return luminance > 0.6 ? QColor(0x20, 0x22, 0x26) : QColor(Qt::white);
}

QSize BlockStacksView::sizeHint() const {
  const int stacks = std::max<int>(1, static_cast<int>(state_.stacks.size()));
  int height = 1;
  for (const auto& s : state_.stacks) height = std::max<int>(height, static_cast<int>(s.size()));
  const double b = 44;
  return QSize(static_cast<int>(2 * kMargin + b * (stacks + (stacks + 1) * kGap)),
               static_cast<int>(2 * kMargin + b * (height + kHandBand + kTableBand)));
}

QSize BlockStacksView::minimumSizeHint() const { return QSize(160, 140); }

void BlockStacksView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);

  const QRectF card = QRectF(rect()).adjusted(0.5, 0.5, -0.5, -0.5);
  p.setPen(QPen(kCardBorder, 1));
  p.setBrush(kCard);
  p.drawRoundedRect(card, 6, 6);

  if (state_.isEmpty()) {
    p.setPen(kHint);
    p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
    return;
  }

  const int stacks = std::max<int>(1, static_cast<int>(state_.stacks.size()));
  int tallest = 1;
  for (const auto& s : state_.stacks) tallest = std::max<int>(tallest, static_cast<int>(s.size()));

  const QRectF area = QRectF(rect()).adjusted(kMargin, kMargin, -kMargin, -kMargin);
  const double byWidth = area.width() / (stacks + (stacks + 1) * kGap);
  const double byHeight = area.height() / (tallest + kHandBand + kTableBand);
  const double b = std::clamp(std::min(byWidth, byHeight), kMinBlock, kMaxBlock);
  const double gap = b * kGap;
  const double rowWidth = stacks * b + (stacks + 1) * gap;
  const double left = area.left() + std::max(0.0, (area.width() - rowWidth) / 2);
  // The stacks and the hand band sit as a group in the middle of the card.
  const double groupHeight = b * (tallest + kHandBand + kTableBand);
  const double top = area.top() + std::max(0.0, (area.height() - groupHeight) / 2);
  const double tableY = top + b * (kHandBand + tallest);

  // One label size for every block: as large as a quarter of the block, but small enough that the
  // longest name fits across it; names that do not fit even at 7 px are elided.
  QFont labelFont = font();
  labelFont.setWeight(QFont::DemiBold);
  int labelPx = std::max(7, static_cast<int>(std::lround(b * 0.27)));
  auto widestLabel = [&](int px) {
    labelFont.setPixelSize(px);
    const QFontMetricsF m(labelFont);
    double widest = 0;
    for (const auto& stack : state_.stacks)
      for (const auto& name : stack) widest = std::max(widest, m.horizontalAdvance(name));
    if (!state_.held.isEmpty()) widest = std::max(widest, m.horizontalAdvance(state_.held));
    return widest;
  };
  while (labelPx > 7 && widestLabel(labelPx) > b - 8) --labelPx;
  labelFont.setPixelSize(labelPx);
  const QFontMetricsF labelMetrics(labelFont);

  auto drawBlock = [&](const QRectF& r, const QString& name) {
    const QColor fill = blockColor(name);
    QLinearGradient shade(r.topLeft(), r.bottomLeft());
    shade.setColorAt(0, fill.lighter(112));
    shade.setColorAt(1, fill.darker(104));
    const QColor edge = fill.lightness() > 200 ? QColor(0xa0, 0xa4, 0xab) : fill.darker(145);
    p.setPen(QPen(edge, std::max(1.0, b / 40)));
    p.setBrush(shade);
    const double radius = b * 0.1;
    p.drawRoundedRect(r.adjusted(1, 1, -1, -1), radius, radius);
    p.setFont(labelFont);
    p.setPen(labelColor(fill));
    p.drawText(r, Qt::AlignCenter, labelMetrics.elidedText(name, Qt::ElideRight, r.width() - 6));
  };

  // Table: a wooden top with a shadow, a little wider than the row of stacks.
  const QRectF tableTop(left, tableY, rowWidth, std::max(4.0, b * 0.12));
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(0, 0, 0, 28));
  p.drawRoundedRect(tableTop.translated(0, 2), 2, 2);
  p.setBrush(kTable);
  p.drawRoundedRect(tableTop, 2, 2);

  for (int i = 0; i < static_cast<int>(state_.stacks.size()); ++i) {
    const double x = left + gap + i * (b + gap);
    const QStringList& stack = state_.stacks[i];
    for (int level = 0; level < stack.size(); ++level)
      drawBlock(QRectF(x, tableY - (level + 1) * b, b, b), stack[level]);
  }

  // Claw: a rod from the top, a bar, and two fingers that grip the held block (or hang closed).
  const double handX = left + rowWidth / 2;
  const double barY = top + b * 0.45;
  const double barWidth = b * 1.3;
  const double fingerLength = state_.held.isEmpty() ? b * 0.45 : b * 0.55;
  p.setPen(QPen(kClaw, std::max(2.0, b / 14), Qt::SolidLine, Qt::RoundCap));
  p.drawLine(QPointF(handX, area.top() - kMargin + 1), QPointF(handX, barY));
  if (!state_.held.isEmpty()) drawBlock(QRectF(handX - b / 2, barY + b * 0.12, b, b), state_.held);
  p.setPen(Qt::NoPen);
  p.setBrush(kClaw);
  p.drawRoundedRect(QRectF(handX - barWidth / 2, barY - b * 0.07, barWidth, b * 0.14), b * 0.05, b * 0.05);
  QPen finger(kClaw, std::max(2.5, b / 11), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
  p.setPen(finger);
  p.setBrush(Qt::NoBrush);
  const double spread = state_.held.isEmpty() ? barWidth * 0.3 : b / 2 + finger.widthF() / 2 + 1;
  for (int side : {-1, 1}) {
    QPainterPath path;
    path.moveTo(handX + side * barWidth / 2 * 0.9, barY);
    path.lineTo(handX + side * spread, barY + fingerLength * 0.5);
    path.lineTo(handX + side * spread, barY + fingerLength);
    path.lineTo(handX + side * (spread - b * 0.1), barY + fingerLength + b * 0.08);
    p.drawPath(path);
  }
  if (state_.held.isEmpty()) {
    QFont hint = font();
    hint.setPixelSize(std::max(9, static_cast<int>(std::lround(b * 0.22))));
    p.setFont(hint);
    p.setPen(kHint);
    p.drawText(QRectF(handX - b * 2, barY + fingerLength + b * 0.15, b * 4, b * 0.4), Qt::AlignHCenter | Qt::AlignTop,
               tr("hand empty"));
  }
}

}  // namespace tb
