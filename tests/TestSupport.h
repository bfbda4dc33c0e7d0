#pragma once
// Helpers shared by the Qt Test suites.
#include <QtTest>

#include <cmath>

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
