#pragma once
// BlockStacksView: paints a Blocks World state. Stacks stand on a table line, each listed bottom
// to top; a block named by a colour (red, blue, orange, yellow, white, magenta, black, cyan, green,
// violet, silver, gold) is filled with it and labelled with its name, any other name gets a
// stable colour of its own. A held block hangs under a small claw at the top; an empty claw shows
// an empty hand. Plain Qt data only: this view knows nothing of the engine.
#include <QColor>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

namespace tb {

// One state: stacks bottom-to-top (in display order) and the block in the hand ("" = hand empty).
struct BlockStacks {
  QVector<QStringList> stacks;
  QString held;

  bool isEmpty() const { return stacks.isEmpty() && held.isEmpty(); }
  int blockCount() const;
  bool operator==(const BlockStacks& other) const = default;
};

class BlockStacksView : public QWidget {
  Q_OBJECT

 public:
  explicit BlockStacksView(QWidget* parent = nullptr);

  void setState(const BlockStacks& state);
  void setStacks(const QVector<QStringList>& stacks, const QString& held = {});
  void clear();
  const BlockStacks& state() const { return state_; }

  // Shown (grey, centred) when there is nothing to draw.
  void setPlaceholderText(const QString& text);
  QString placeholderText() const { return placeholder_; }

  // The fill of a block: its colour name if it is one of the twelve, else a stable hue of the name.
  static QColor blockColor(const QString& name);
  // The text colour that reads well on `fill` (near-black on light fills, white on dark ones).
  static QColor labelColor(const QColor& fill);

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  BlockStacks state_;
  QString placeholder_;
};

}  // namespace tb
