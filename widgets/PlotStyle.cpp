#include "widgets/PlotStyle.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace tb {

namespace {

// The default readable tick steps, rounded up to whole numbers.
class IntegerTicker : public QCPAxisTicker {
 protected:
  double getTickStep(const QCPRange& range) override {
    return std::max(1.0, std::ceil(QCPAxisTicker::getTickStep(range)));
  }
};

}  // namespace

void setIntegerTicks(QCPAxis* axis, bool integer) {
  QSharedPointer<QCPAxisTicker> ticker = integer ? QSharedPointer<QCPAxisTicker>(new IntegerTicker)
                                                 : QSharedPointer<QCPAxisTicker>(new QCPAxisTicker);
  ticker->setTickCount(6);
  axis->setTicker(ticker);
  axis->setNumberFormat(integer ? QStringLiteral("f") : QStringLiteral("gb"));
  axis->setNumberPrecision(integer ? 0 : 6);
}

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
