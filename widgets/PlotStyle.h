#pragma once
// The look shared by the workbench's QCustomPlot charts (CurvePlot, CompareChart): axis pens,
// tick fonts, grid and the colours of text and hints.
#include <QColor>
#include <QFont>

class QCPAxis;
class QCustomPlot;

namespace tb {

namespace plotstyle {
inline const QColor kText(0x33, 0x36, 0x3d);
inline const QColor kTick(0x5f, 0x63, 0x6b);
inline const QColor kAxis(0xb4, 0xb8, 0xc0);
inline const QColor kGrid(0xe9, 0xeb, 0xef);
inline const QColor kHint(0x9a, 0x9e, 0xa8);
}  // namespace plotstyle

// Light axes with 6 ticks, no sub-ticks, a faint grid, tick labels a little smaller than `base`;
// only the bottom and left axes shown.
void stylePlotAxes(QCustomPlot* plot, const QFont& base);

// Ticks only at whole numbers (iterations: never a 2.5), or back to the default readable steps.
void setIntegerTicks(QCPAxis* axis, bool integer);

}  // namespace tb
