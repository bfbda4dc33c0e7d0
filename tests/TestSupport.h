#pragma once
// Helpers shared by the Qt Test suites.
#include <QtTest>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/Error.h"
#include "core/tasks/Task.h"

// |actual - expected| <= tol, printing both values on failure (NaN always fails).
#define TB_NEAR(actual, expected, tol)                                                         \
  do {                                                                                         \
    const double tbActual_ = static_cast<double>(actual);                                      \
    const double tbExpected_ = static_cast<double>(expected);                                  \
    QVERIFY2(std::abs(tbActual_ - tbExpected_) <= (tol),                                       \
             qPrintable(QStringLiteral("%1 = %2, expected %3 (tol %4)")                        \
                            .arg(QStringLiteral(#actual))                                      \
                            .arg(tbActual_, 0, 'g', 12)                                        \
                            .arg(tbExpected_, 0, 'g', 12)                                      \
                            .arg(static_cast<double>(tol))));                                  \
  } while (0)

// The message of the tb::InputError that `f` throws, or an empty string when it throws none.
inline QString inputErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const tb::InputError& e) {
    return QString::fromStdString(e.what());
  }
  return {};
}

// The same as a std::string, for suites that compare with std::string messages.
template <typename F>
std::string inputErrorText(F f) {
  try {
    f();
  } catch (const tb::InputError& e) {
    return e.what();
  }
  return "";
}

// The ids of a split's problems.
inline std::set<std::string> idsOf(const std::vector<tb::Problem>& problems) {
  std::set<std::string> ids;
  for (const auto& p : problems) ids.insert(p.id);
  return ids;
}
