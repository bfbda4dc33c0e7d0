#include "widgets/PlotStyle.h"

#include <qcustomplot.h>

namespace tb {

void stylePlotAxes(QCustomPlot* plot, const QFont& base) {
  QFont tickFont = base;
  tickFont.setPointSizeF(tickFont.pointSizeF() * 0.88);
  QFont labelFont = base;
  labelFont.setPointSizeF(labelFont.pointSizeF() * 0.95);
  for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
    axis->setBasePen(QPen(plotstyle::kAxis, 1));
    axis->setTickPen(QPen(plotstyle::kAxis, 1));
    axis->setSubTickPen(Qt::NoPen);
    axis->setTickLength(0, 4);
    axis->setTickLabelFont(tickFont);
    axis->setTickLabelColor(plotstyle::kTick);
    axis->setLabelFont(labelFont);
    axis->setLabelColor(plotstyle::kTick);
    axis->setLabelPadding(6);
    axis->setTickLabelPadding(4);
    axis->grid()->setPen(QPen(plotstyle::kGrid, 1));
    axis->grid()->setZeroLinePen(QPen(QColor(0xd0, 0xd3, 0xd9), 1));
    axis->grid()->setSubGridVisible(false);
    axis->ticker()->setTickCount(6);
  }
  plot->xAxis2->setVisible(false);
  plot->yAxis2->setVisible(false);
  plot->yAxis->setNumberFormat(QStringLiteral("gb"));
}

}  // namespace tb
