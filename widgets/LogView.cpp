// LogView: level-coloured, bounded, bottom-following log pane. See LogView.h.
#include "widgets/LogView.h"

#include <QContextMenuEvent>
#include <QDateTime>
#include <QFontDatabase>
#include <QMenu>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>

#include <cmath>

namespace tb {

namespace {

struct LevelStyle {
  QString tag;
  QColor tagColor;
  QColor textColor;  // invalid: default text colour
  bool bold = false;
};

LevelStyle styleFor(const QString& level) {
  const QString l = level.trimmed().toLower();
  if (l.startsWith(QLatin1String("err")) || l == QLatin1String("critical") || l == QLatin1String("fatal"))
    return {QStringLiteral("ERROR"), QColor(0xc6, 0x28, 0x28), QColor(0xc6, 0x28, 0x28), true};
  if (l.startsWith(QLatin1String("warn")))
    return {QStringLiteral("WARN "), QColor(0xd9, 0x6c, 0x00), QColor(0xb3, 0x58, 0x00), true};
  if (l == QLatin1String("debug") || l == QLatin1String("trace"))
    return {l == QLatin1String("trace") ? QStringLiteral("TRACE") : QStringLiteral("DEBUG"),
            QColor(0x9a, 0x9e, 0xa8), QColor(0x80, 0x84, 0x8c), false};
  return {QStringLiteral("INFO "), QColor(0x1f, 0x6f, 0xb4), QColor(), false};
}

}  // namespace

LogView::LogView(QWidget* parent) : QPlainTextEdit(parent) {
  setReadOnly(true);
  setMaximumBlockCount(5000);
  setUndoRedoEnabled(false);
  setLineWrapMode(QPlainTextEdit::WidgetWidth);
  setWordWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
  QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
  mono.setPointSizeF(font().pointSizeF() * 0.95);
  setFont(mono);
  document()->setDocumentMargin(6);
  setPlaceholderText(tr("No log messages yet"));
  setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
}

void LogView::appendLine(const QString& level, const QString& text, double unixTime) {
  QScrollBar* bar = verticalScrollBar();
  const bool atBottom = bar->value() >= bar->maximum() - 2;

  const qint64 ms = (std::isfinite(unixTime) && unixTime > 0) ? qint64(std::llround(unixTime * 1000.0))
                                                               : QDateTime::currentMSecsSinceEpoch();
  const QString stamp = QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss.zzz"));
  const LevelStyle style = styleFor(level);

  QTextCharFormat plain;
  QTextCharFormat stampFormat;
  stampFormat.setForeground(QColor(0x9a, 0x9e, 0xa8));
  QTextCharFormat tagFormat;
  tagFormat.setForeground(style.tagColor);
  if (style.bold) tagFormat.setFontWeight(QFont::Bold);
  QTextCharFormat textFormat;
  if (style.textColor.isValid()) textFormat.setForeground(style.textColor);

  QString body = text;
  body.replace(QLatin1String("\r\n"), QLatin1String("\n"));
  const QStringList lines = body.split(QLatin1Char('\n'));

  QTextCursor cursor(document());
  cursor.movePosition(QTextCursor::End);
  cursor.beginEditBlock();
  if (!document()->isEmpty()) cursor.insertBlock();
  cursor.insertText(stamp + QLatin1Char(' '), stampFormat);
  cursor.insertText(style.tag, tagFormat);
  cursor.insertText(QStringLiteral(" "), plain);
  cursor.insertText(lines.first(), textFormat);
  // Continuation lines are indented under the message so multi-line output stays readable.
  const QString indent(stamp.size() + style.tag.size() + 2, QLatin1Char(' '));
  for (int i = 1; i < lines.size(); ++i) {
    cursor.insertBlock();
    cursor.insertText(indent, plain);
    cursor.insertText(lines[i], textFormat);
  }
  cursor.endEditBlock();

  if (atBottom) bar->setValue(bar->maximum());
}

void LogView::clearLog() { clear(); }

int LogView::lineCount() const { return document()->isEmpty() ? 0 : document()->blockCount(); }

void LogView::contextMenuEvent(QContextMenuEvent* event) {
  QMenu* menu = createStandardContextMenu();
  menu->addSeparator();
  QAction* clearAction = menu->addAction(tr("Clear log"));
  clearAction->setEnabled(!document()->isEmpty());
  connect(clearAction, &QAction::triggered, this, &LogView::clearLog);
  menu->exec(event->globalPos());
  delete menu;
}

}  // namespace tb
