#pragma once
// LogView: a read-only, monospace log pane (at most 5000 lines). Each line shows the local time,
// the level tag and the message; warnings are orange, errors red, debug grey. New lines scroll the
// view only when the user is already at the bottom, so reading older lines is never interrupted.
#include <QPlainTextEdit>

namespace tb {

class LogView : public QPlainTextEdit {
  Q_OBJECT

 public:
  explicit LogView(QWidget* parent = nullptr);

  // level: "debug"/"trace", "info", "warn"/"warning", "error"/"critical" (case-insensitive).
  // unixTime in seconds (fractions kept as milliseconds); <= 0 means "now".
  void appendLine(const QString& level, const QString& text, double unixTime);
  void clearLog();
  int lineCount() const;  // lines currently held (after trimming to the maximum)

 protected:
  void contextMenuEvent(QContextMenuEvent* event) override;
};

}  // namespace tb
