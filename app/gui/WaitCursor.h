#pragma once
// Shows the wait cursor for a scope's blocking work (loading a task, recomputing attention with a
// large checkpoint); a no-op without a GUI application (tests, offscreen).
#include <QCoreApplication>
#include <QGuiApplication>

namespace tb {

class WaitCursor {
 public:
  WaitCursor() {
    if (qobject_cast<QGuiApplication*>(QCoreApplication::instance())) {
      QGuiApplication::setOverrideCursor(Qt::WaitCursor);
      active_ = true;
    }
  }
  ~WaitCursor() {
    if (active_) QGuiApplication::restoreOverrideCursor();
  }
  WaitCursor(const WaitCursor&) = delete;
  WaitCursor& operator=(const WaitCursor&) = delete;

 private:
  bool active_ = false;
};

}  // namespace tb
