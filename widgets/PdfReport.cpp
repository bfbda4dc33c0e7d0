// The paginated PDF report of a run comparison. See PdfReport.h.
#include "widgets/PdfReport.h"

#include <QFontMetricsF>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QString>
#include <QStringList>
#include <QSvgRenderer>
#include <QTextLayout>

#include <algorithm>
#include <functional>

#include "core/Error.h"
#include "core/compare/HtmlReport.h"

namespace tb {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

// Lays out the report top to bottom, starting a new page whenever the next block does not fit.
class PdfPages {
 public:
  PdfPages(QPdfWriter& writer, QPainter& painter) : writer_(writer), painter_(painter) {
    margin_ = writer.resolution() * 0.55;  // ~14 mm
    width_ = writer.width() - 2 * margin_;
    bottom_ = writer.height() - margin_;
    y_ = margin_;
  }

  double width() const { return width_; }
  double left() const { return margin_; }

  void newPage() {
    footer();
    writer_.newPage();
    y_ = margin_;
  }
  // Room for h more units on this page, else a new page.
  void need(double h) {
    if (y_ + h > bottom_ && y_ > margin_ + 1) newPage();
  }
  void skip(double h) { y_ += h; }
  double y() const { return y_; }

  QFont font(double points, bool bold = false, bool mono = false) const {
    QFont f(mono ? QStringLiteral("DejaVu Sans Mono") : QStringLiteral("DejaVu Sans"));
    if (mono) f.setStyleHint(QFont::Monospace);
    f.setPointSizeF(points);
    f.setBold(bold);
    return f;
  }

  // A paragraph wrapped to the page width (lines break across pages).
  void paragraph(const QString& text, const QFont& f, const QColor& colour = QColor(0x22, 0x22, 0x22),
                 double indent = 0) {
    painter_.setFont(f);
    painter_.setPen(colour);
    const QFontMetricsF fm(f, &writer_);
    for (const QString& para : text.split(QLatin1Char('\n'))) {
      QTextLayout layout(para, f, &writer_);
      layout.beginLayout();
      while (true) {
        QTextLine line = layout.createLine();
        if (!line.isValid()) break;
        line.setLineWidth(width_ - indent);
      }
      layout.endLayout();
      for (int i = 0; i < layout.lineCount(); ++i) {
        const QTextLine line = layout.lineAt(i);
        need(fm.lineSpacing());
        painter_.drawText(QPointF(margin_ + indent, y_ + fm.ascent()),
                          para.mid(line.textStart(), line.textLength()));
        y_ += fm.lineSpacing();
      }
      if (layout.lineCount() == 0) y_ += fm.lineSpacing();
    }
  }

  void heading(const QString& text, double points = 13) {
    need(points * 4);
    skip(points * 0.6);
    paragraph(text, font(points, true));
    skip(points * 0.3);
  }

  // A table with the given relative column widths; rows continue on new pages with the header
  // repeated. `rowShade(i)` colours a row's background (invalid colour = alternating rows).
  void table(const QStringList& headers, const std::vector<double>& weights, const std::vector<QStringList>& rows,
             const std::vector<bool>& numeric, const std::function<QColor(size_t)>& rowShade = {}) {
    const QFont body = font(7.5), head = font(7.5, true);
    const QFontMetricsF fm(body, &writer_);
    const double rowH = fm.lineSpacing() * 1.45, pad = fm.averageCharWidth() * 0.6;
    double total = 0;
    for (double w : weights) total += w;
    std::vector<double> xs{margin_};
    for (double w : weights) xs.push_back(xs.back() + width_ * w / total);
    auto drawRow = [&](const QStringList& cells, const QFont& f, const QColor& background) {
      need(rowH);
      if (background.isValid()) painter_.fillRect(QRectF(margin_, y_, width_, rowH), background);
      painter_.setFont(f);
      painter_.setPen(QColor(0x22, 0x22, 0x22));
      for (int c = 0; c < cells.size() && c + 1 < int(xs.size()); ++c) {
        const QRectF box(xs[size_t(c)] + pad, y_, xs[size_t(c) + 1] - xs[size_t(c)] - 2 * pad, rowH);
        const QString text = QFontMetricsF(f, &writer_).elidedText(cells[c], Qt::ElideRight, box.width());
        const bool right = c < int(numeric.size()) && numeric[size_t(c)];
        painter_.drawText(box, Qt::AlignVCenter | (right ? Qt::AlignRight : Qt::AlignLeft), text);
      }
      y_ += rowH;
    };
    need(rowH * 3);
    drawRow(headers, head, QColor(0xe8, 0xec, 0xf2));
    for (size_t i = 0; i < rows.size(); ++i) {
      if (y_ + rowH > bottom_) {
        newPage();
        drawRow(headers, head, QColor(0xe8, 0xec, 0xf2));
      }
      QColor shade = rowShade ? rowShade(i) : QColor();
      if (!shade.isValid() && i % 2) shade = QColor(0xf6, 0xf7, 0xf9);
      drawRow(rows[i], body, shade);
    }
    skip(rowH * 0.6);
  }

  // An SVG (the report's plot) scaled to the page width.
  void svg(const std::string& text) {
    QSvgRenderer renderer(QByteArray::fromStdString(text));
    if (!renderer.isValid()) return;
    const QSizeF size = renderer.defaultSize();
    const double h = size.width() > 0 ? width_ * size.height() / size.width() : width_ * 0.45;
    need(h);
    renderer.render(&painter_, QRectF(margin_, y_, width_, h));
    y_ += h + 6;
  }

  void footer() {
    ++page_;
    painter_.setFont(font(7));
    painter_.setPen(QColor(0x88, 0x88, 0x88));
    painter_.drawText(QRectF(margin_, bottom_ + margin_ * 0.25, width_, margin_ * 0.5), Qt::AlignRight | Qt::AlignTop,
                      QStringLiteral("page %1").arg(page_));
  }

 private:
  QPdfWriter& writer_;
  QPainter& painter_;
  double margin_ = 0, width_ = 0, bottom_ = 0, y_ = 0;
  int page_ = 0;
};

}  // namespace

void writePdfReport(const RunComparison& c, const std::string& path, const std::string& title) {
  QSaveFile file(q(path));
  if (!file.open(QIODevice::WriteOnly)) failInput("cannot write '", path, "': ", file.errorString().toStdString());
  {
    QPdfWriter writer(&file);
    writer.setPageSize(QPageSize(QPageSize::A4));
    writer.setResolution(144);
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setTitle(q(title));
    writer.setCreator(QStringLiteral("Thoughtbench"));
    QPainter painter;
    if (!painter.begin(&writer)) {
      file.cancelWriting();
      failInput("cannot write '", path, "': the PDF could not be started");
    }
    painter.setRenderHint(QPainter::Antialiasing);
    PdfPages pages(writer, painter);

    pages.paragraph(q(title), pages.font(17, true));
    pages.paragraph(QStringLiteral("%1 · %2 runs in %3 groups (by %4) · %5 metrics")
                        .arg(q(reportDate()))
                        .arg(c.runs.size())
                        .arg(c.groups.size())
                        .arg(q(c.groupBy))
                        .arg(c.metrics.size()),
                    pages.font(8.5), QColor(0x55, 0x55, 0x55));
    pages.skip(10);

    pages.heading(QStringLiteral("Runs"));
    std::vector<QStringList> runRows;
    for (const auto& r : c.runs)
      runRows.push_back({QString::number(r.record.id), q(r.record.name), q(r.record.task), q(r.record.algorithm),
                         q(r.group), QString::fromUtf8(runStatusName(r.record.status)),
                         QStringLiteral("%1 / %2").arg(r.record.iterationsDone).arg(r.record.iterationsTotal)});
    pages.table({"id", "name", "task", "algorithm", "group", "status", "iterations"}, {0.6, 2.6, 1.2, 1.6, 1.6, 1.1, 1.1},
                runRows, {true, false, false, false, false, false, true});

    if (!c.notes.empty()) {
      pages.heading(QStringLiteral("Notes"));
      for (const auto& n : c.notes) pages.paragraph(QStringLiteral("• ") + q(n), pages.font(8.5));
    }

    pages.heading(QStringLiteral("Curves"));
    pages.paragraph(QStringLiteral("Per group the mean over its runs at every iteration any of them logged (each run "
                                   "linearly interpolated between its own points, never beyond them); the band is "
                                   "the 95% confidence interval of the mean where at least two runs cover the "
                                   "iteration. The y axis spans the means and the runs' own values; a band "
                                   "reaching beyond them (few runs make wide intervals) is cut at the axis."),
                    pages.font(8), QColor(0x55, 0x55, 0x55));
    pages.skip(4);
    for (const auto& m : c.metrics) {
      pages.svg(metricSvg(c, m, true));  // titled with the metric
    }

    pages.heading(QStringLiteral("Summary"));
    std::vector<QStringList> summaryRows;
    std::vector<bool> groupRow;
    auto add = [&](const std::string& group, const QString& run, const std::string& metric, const MetricSummary* s,
                   double tokens, double time, bool isGroup) {
      summaryRows.push_back({q(group), run, q(metric), s && s->runs > 0 ? QString::number(s->runs) : QString(),
                             s ? q(formatValue(s->final)) : QString(), s ? q(formatValue(s->best)) : QString(),
                             s && s->bestIteration >= 0 ? QString::number(s->bestIteration) : QString(),
                             s ? q(formatValue(s->spread)) : QString(), q(formatValue(tokens)), q(formatValue(time))});
      groupRow.push_back(isGroup);
    };
    for (const auto& g : c.groups) {
      const QString label = QStringLiteral("mean of %1 run%2").arg(g.runIds.size()).arg(g.runIds.size() == 1 ? "" : "s");
      for (const auto& m : c.metrics) {
        const auto it = g.summary.find(m);
        add(g.name, label, m, it == g.summary.end() ? nullptr : &it->second, g.tokens, g.timeSeconds, true);
      }
      for (auto id : g.runIds) {
        const ComparedRun* r = c.run(id);
        for (const auto& m : c.metrics) {
          const auto it = r->summary.find(m);
          add(g.name, q(runLabel(r->record)), m, it == r->summary.end() ? nullptr : &it->second, r->tokens,
              r->timeSeconds, false);
        }
      }
    }
    pages.table({"group", "run", "metric", "runs", "final", "best", "at iteration", "spread", "tokens", "time (s)"},
                {1.0, 1.6, 1.5, 0.45, 0.95, 0.95, 1.2, 0.95, 0.95, 0.85}, summaryRows,
                {false, false, false, true, true, true, true, true, true, true},
                [&](size_t i) { return groupRow[i] ? QColor(0xe9, 0xf2, 0xfb) : QColor(); });

    pages.heading(QStringLiteral("Config differences"));
    if (c.configDiff.empty()) {
      pages.paragraph(QStringLiteral("The selected runs have the same configuration."), pages.font(8.5));
    } else {
      // At most 6 runs per table so values stay readable; more runs continue in further tables.
      for (size_t first = 0; first < c.runs.size(); first += 6) {
        const size_t last = std::min(c.runs.size(), first + 6);
        QStringList headers{"key"};
        std::vector<double> weights{2.2};
        std::vector<bool> numeric{false};
        for (size_t k = first; k < last; ++k) {
          headers << QStringLiteral("run %1").arg(c.runs[k].record.id);
          weights.push_back(1.3);
          numeric.push_back(false);
        }
        std::vector<QStringList> rows;
        for (const auto& d : c.configDiff) {
          QStringList row{q(d.key)};
          for (size_t k = first; k < last; ++k) row << (d.values[k] ? q(*d.values[k]) : QString());
          rows.push_back(row);
        }
        pages.table(headers, weights, rows, numeric);
      }
    }

    pages.heading(QStringLiteral("Sample trajectories"));
    bool any = false;
    for (const auto& r : c.runs) {
      if (r.samples.empty()) continue;
      any = true;
      pages.paragraph(QStringLiteral("Run %1%2, iteration %3")
                          .arg(r.record.id)
                          .arg(r.record.name.empty() ? QString() : QStringLiteral(" (%1)").arg(q(r.record.name)))
                          .arg(r.samples.front().iteration),
                      pages.font(9.5, true));
      for (const auto& s : r.samples) {
        pages.paragraph(QStringLiteral("problem %1, reward %2, %3%4")
                            .arg(q(s.problemId), q(formatValue(s.reward)), s.correct ? "correct" : "incorrect",
                                 s.reason.empty() ? QString() : QStringLiteral(": ") + q(s.reason)),
                        pages.font(8), QColor(0x44, 0x44, 0x44));
        pages.paragraph(q(s.prompt + s.completion), pages.font(7.5, false, true), QColor(0x22, 0x22, 0x22), 12);
        pages.skip(6);
      }
    }
    if (!any) pages.paragraph(QStringLiteral("No samples stored for these runs."), pages.font(8.5));
    pages.footer();
    painter.end();
  }
  if (!file.commit()) failInput("cannot write '", path, "': ", file.errorString().toStdString());
}

}  // namespace tb
