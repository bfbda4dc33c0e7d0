// The Compare tab (app/gui/ComparePage, widgets/CompareChart) on runs stored in a real workspace:
// filtering and selecting runs, grouping across seeds with hand-computed bands, x axes, smoothing,
// hide / isolate, the crosshair read-out, log scale and outliers, the summary and config-diff
// tables, every export (HTML parsed back, PDF rendered to an image with poppler's pdftoppm and read
// with pdftotext, CSV / JSON / Markdown / PNG / TensorBoard), refusals that leave no file, and the
// seed-comparison experiment run from the main window on a tiny model.
#include <QtTest>

#include <qcustomplot.h>
#include <QImage>
#include <QListWidget>
#include <QProcess>
#include <QTableWidget>
#include <QXmlStreamReader>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/gui/ComparePage.h"
#include "app/gui/ExperimentRunner.h"
#include "app/gui/MainWindow.h"
#include "core/compare/SeriesStats.h"
#include "core/engine/Experiment.h"
#include "core/store/RunStore.h"
#include "widgets/CompareChart.h"
#include "tests/CompareTestSupport.h"
#include "widgets/PdfReport.h"

using namespace tb;

namespace {

QSet<qint64> asSet(const QList<qint64>& ids) { return QSet<qint64>(ids.begin(), ids.end()); }

const CompareCurve* curve(const ComparePlot& plot, const QString& key) {
  for (const auto& c : plot.curves)
    if (c.key == key) return &c;
  return nullptr;
}


// Runs a tool; its standard output, or a failed check naming it.
QByteArray runTool(const QString& program, const QStringList& args, bool* ok) {
  QProcess p;
  p.start(program, args);
  *ok = p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
  return p.readAllStandardOutput();
}

}  // namespace

class TestCompareView : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::unique_ptr<RunStore> store_;
  qint64 g1_ = 0, g2_ = 0, d1_ = 0, p1_ = 0;  // grpo seeds 1, 2 and dapo (tag "sweep"); ppo on blocksworld (failed)

  std::unique_ptr<ComparePage> page(const QList<qint64>& runs) {
    auto p = std::make_unique<ComparePage>(store_.get());
    p->resize(1500, 950);
    p->show();
    p->setSmoothing(ComparePage::Smoothing::None, 0);
    p->setSelectedRuns(runs);
    return p;
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    store_ = RunStore::open(dir_.filePath("ws.sqlite").toStdString());
    g1_ = store_->createRun(makeRun("grpo-s1", "game24", "grpo", 1, {{"rollout.group_size", 8}}, "sweep"));
    g2_ = store_->createRun(makeRun("grpo-s2", "game24", "grpo", 2, {{"rollout.group_size", 8}}, "sweep"));
    d1_ = store_->createRun(makeRun("dapo-s1", "game24", "dapo", 1, {{"rollout.group_size", 8}}, "sweep"));
    p1_ = store_->createRun(makeRun("ppo-s1", "blocksworld", "ppo", 1, {{"rollout.group_size", 8}}, "", RunStatus::Failed));
    const double r1[] = {0.1, 0.5, 0.4}, r2[] = {0.2, 0.3, 0.6, 0.7}, rd[] = {0.0, 0.2}, rp[] = {0.05, 30.0, 0.1, 0.2};
    for (int i = 0; i < 3; ++i) {
      std::vector<SampleRecord> samples;
      if (i == 2) {
        SampleRecord s;
        s.split = "train";
        s.problemId = "game24/1";
        s.prompt = "Use 4 4 6 8 to make 24.\n";
        s.completion = "4 + 8 = 12\n";
        s.reward = 0;
        s.reason = "incomplete";
        samples.push_back(s);
      }
      store_->recordIteration(g1_, i, {{"reward/mean", r1[i]}, {"entropy", 1.0 - 0.1 * i}, {"rollout/samples", 16},
                                       {"rollout/tokens", 100}},
                              samples, 2.0 * (i + 1));
    }
    for (int i = 0; i < 4; ++i)
      store_->recordIteration(g2_, i, {{"reward/mean", r2[i]}, {"entropy", 1.1 - 0.1 * i}, {"rollout/samples", 32},
                                       {"rollout/tokens", 300}},
                              {}, 1.0 * (i + 1));
    for (int i = 0; i < 2; ++i)
      store_->recordIteration(d1_, i, {{"reward/mean", rd[i]}, {"entropy", 0.9}}, {}, 3.0 * (i + 1));
    for (int i = 0; i < 4; ++i) store_->recordIteration(p1_, i, {{"reward/mean", rp[i]}}, {}, 1.0 * (i + 1));
  }

  void filtersAndSelection() {
    auto p = page({});
    QCOMPARE(p->matchingRuns().size(), 4);
    p->setFilterText("grpo");
    QCOMPARE(asSet(p->matchingRuns()), (QSet<qint64>{g1_, g2_}));
    p->setFilterText("dapo|ppo");  // a regular expression
    QCOMPARE(asSet(p->matchingRuns()), (QSet<qint64>{d1_, p1_}));
    p->setFilterText("(unclosed");  // not a regex: plain text, said in the status line
    QCOMPARE(p->matchingRuns().size(), 0);
    QVERIFY(p->statusText().contains("regular expression"));
    p->setFilterText("");
    p->setTaskFilter("blocksworld");
    QCOMPARE(p->matchingRuns(), (QList<qint64>{p1_}));
    p->setTaskFilter("");
    p->setStatusFilter("failed");
    QCOMPARE(p->matchingRuns(), (QList<qint64>{p1_}));
    p->setStatusFilter("");
    p->setAlgorithmFilter("dapo");
    QCOMPARE(p->matchingRuns(), (QList<qint64>{d1_}));
    p->setAlgorithmFilter("");
    p->setTagFilter("sweep");
    QCOMPARE(p->matchingRuns().size(), 3);
    p->selectAllMatching();
    QCOMPARE(p->selectedRuns(), (QList<qint64>{g1_, g2_, d1_}));
    QVERIFY(p->comparison());
    QCOMPARE(p->chart()->plotCount(), 2);  // reward/mean and entropy, the default metrics present
    QCOMPARE(p->metrics(), (QStringList{"reward/mean", "entropy"}));
    QVERIFY(p->availableMetrics().contains("rollout/samples"));
    p->clearSelection();
    QVERIFY(p->selectedRuns().isEmpty());
    QCOMPARE(p->chart()->plotCount(), 0);
    QVERIFY(p->statusText().contains("Tick runs"));
  }

  void groupingWithHandComputedBands() {
    auto p = page({g1_, g2_, d1_});
    p->setMetrics({"reward/mean"});
    p->setGroupBy("algorithm");
    QCOMPARE(p->legendKeys(), (QStringList{"group:grpo", "group:dapo"}));
    const CompareCurve* g = curve(p->chart()->plots().at(0), "group:grpo");
    QVERIFY(g);
    QCOMPARE(g->x, (QVector<double>{0, 1, 2, 3}));
    QCOMPARE(g->y[0], 0.15);
    QVERIFY(std::fabs(g->y[1] - 0.4) < 1e-12 && std::fabs(g->y[2] - 0.5) < 1e-12);
    QCOMPARE(g->y[3], 0.7);  // only seed 2 reaches iteration 3: its value, no band
    // 95% CI: t(0.975, 1) = 12.7062, std of {0.1, 0.2} = 0.0707107, half-width = 12.7062 * 0.0707107 / sqrt 2.
    QVERIFY2(std::fabs(g->low[0] - (0.15 - 0.635310)) < 1e-5, qPrintable(QString::number(g->low[0], 'g', 10)));
    QVERIFY(std::fabs(g->high[0] - (0.15 + 0.635310)) < 1e-5);
    QVERIFY(std::isnan(g->low[3]) && std::isnan(g->high[3]));
    QVERIFY(g->raw.isEmpty());  // no smoothing: no faint raw line
    p->setBand(ComparePage::Band::MinMax);
    g = curve(p->chart()->plots().at(0), "group:grpo");
    QCOMPARE(g->low[1], 0.3);
    QCOMPARE(g->high[1], 0.5);
    p->setBand(ComparePage::Band::Std);
    g = curve(p->chart()->plots().at(0), "group:grpo");
    QVERIFY(std::fabs(g->high[0] - (0.15 + 0.0707107)) < 1e-6);
    // The axis spans the means and the runs' own values (0 .. 0.7), not the two-run interval
    // (0.4 ± 1.27 at iteration 1): the band is cut at the axis.
    p->setBand(ComparePage::Band::Ci95);
    const auto [lo, hi] = p->chart()->yRange(0);
    QVERIFY2(lo > -0.1 && lo <= 0.0 && hi >= 0.7 && hi < 0.8, qPrintable(QString("%1 .. %2").arg(lo).arg(hi)));
    p->setBand(ComparePage::Band::None);
    QVERIFY(curve(p->chart()->plots().at(0), "group:grpo")->low.isEmpty());

    // Grouping by a config key across algorithms: the seeds.
    p->setGroupBy("run.seed");
    QCOMPARE(p->legendKeys(), (QStringList{"group:1", "group:2"}));
    QCOMPARE(p->comparison()->group("1")->runIds, (std::vector<std::int64_t>{g1_, d1_}));

    // No grouping: one curve per run; seeds of one algorithm share its hue.
    p->setGroupBy("");
    QCOMPARE(p->legendKeys().size(), 3);
    const auto& plot = p->chart()->plots().at(0);
    const QColor c1 = curve(plot, QString("run:%1").arg(g1_))->colour, c2 = curve(plot, QString("run:%1").arg(g2_))->colour;
    QVERIFY(c1 != c2);
    QCOMPARE(c1.hsvHue(), c2.hsvHue());
    QVERIFY(curve(plot, QString("run:%1").arg(d1_))->colour.hsvHue() != c1.hsvHue());

    // Smoothing: the debiased EMA over the faint raw line.
    p->setSmoothing(ComparePage::Smoothing::Ema, 0.5);
    const CompareCurve* r = curve(p->chart()->plots().at(0), QString("run:%1").arg(g1_));
    const auto expected = debiasedEma({0.1, 0.5, 0.4}, 0.5);
    QCOMPARE(r->raw, (QVector<double>{0.1, 0.5, 0.4}));
    for (int i = 0; i < 3; ++i) QVERIFY(std::fabs(r->y[i] - expected[size_t(i)]) < 1e-12);
    p->setSmoothing(ComparePage::Smoothing::Window, 3);
    r = curve(p->chart()->plots().at(0), QString("run:%1").arg(g1_));
    QVERIFY(std::fabs(r->y[1] - (0.1 + 0.5 + 0.4) / 3) < 1e-12);
    QCOMPARE(r->y[0], 0.1);
  }

  void xAxes() {
    auto p = page({g1_, g2_});
    p->setMetrics({"reward/mean"});
    p->setGroupBy("");
    p->setXAxis(XAxis::Samples);
    QCOMPARE(curve(p->chart()->plots().at(0), QString("run:%1").arg(g1_))->x, (QVector<double>{16, 32, 48}));
    p->setXAxis(XAxis::Tokens);
    QCOMPARE(curve(p->chart()->plots().at(0), QString("run:%1").arg(g2_))->x, (QVector<double>{300, 600, 900, 1200}));
    p->setXAxis(XAxis::WallTime);
    QCOMPARE(curve(p->chart()->plots().at(0), QString("run:%1").arg(g1_))->x, (QVector<double>{2, 4, 6}));
    QCOMPARE(p->chart()->plotAt(0)->xAxis->label(), QString("wall time (s)"));
    // Grouped on samples: seed 1 (16 per iteration) and seed 2 (32) interleave without bucketing.
    p->setGroupBy("algorithm");
    p->setXAxis(XAxis::Samples);
    const CompareCurve* g = curve(p->chart()->plots().at(0), "group:grpo");
    QCOMPARE(g->x, (QVector<double>{16, 32, 48, 64, 96, 128}));
    QCOMPARE(g->y[1], (0.5 + 0.2) / 2);  // at 32: seed 1's own point, seed 2's own point
  }

  void legendCrosshairScales() {
    auto p = page({g1_, g2_, d1_, p1_});
    p->setMetrics({"reward/mean", "entropy"});
    p->setGroupBy("algorithm");
    QCOMPARE(p->chart()->plotCount(), 2);
    // The plots share the x range.
    p->chart()->plotAt(0)->xAxis->setRange(1, 2);
    QCOMPARE(p->chart()->plotAt(1)->xAxis->range().lower, 1.0);
    QCOMPARE(p->chart()->plotAt(1)->xAxis->range().upper, 2.0);
    p->chart()->resetView();
    const QStringList texts = p->chart()->showCrosshair(1.0);
    QCOMPARE(texts.size(), 2);
    QVERIFY2(texts[0].contains("grpo (2)") && texts[0].contains("0.4") && texts[0].contains("ppo (1)"), qPrintable(texts[0]));
    QVERIFY(texts[1].contains("dapo (1)") && !texts[1].contains("ppo (1)"));  // ppo has no entropy
    // Hide, isolate, show all.
    const int graphs = p->chart()->plotAt(0)->graphCount();
    p->setCurveHidden("group:ppo", true);
    QVERIFY(p->chart()->plotAt(0)->graphCount() < graphs);
    QVERIFY(!p->chart()->showCrosshair(1.0)[0].contains("ppo (1)"));
    p->isolateCurve("group:dapo");
    QCOMPARE(p->chart()->hidden(), (QSet<QString>{"group:grpo", "group:ppo"}));
    QCOMPARE(p->legend()->item(0)->checkState(), Qt::Unchecked);
    p->showAllCurves();
    QVERIFY(p->chart()->hidden().isEmpty());
    QCOMPARE(p->chart()->plotAt(0)->graphCount(), graphs);
    // ppo's spike of 30 sets the range; ignoring outliers brings it back to the bulk.
    p->setMetrics({"reward/mean"});
    QVERIFY(p->chart()->yRange(0).second > 30);
    p->setIgnoreOutliers(true);
    QVERIFY2(p->chart()->yRange(0).second < 5, qPrintable(QString::number(p->chart()->yRange(0).second)));
    p->setIgnoreOutliers(false);
    p->setLogY(true);
    QCOMPARE(p->chart()->plotAt(0)->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(p->chart()->yRange(0).first > 0);  // dapo's 0.0 is left out, not drawn at -inf
  }

  void summaryAndConfigDiff() {
    auto p = page({g1_, g2_, d1_});
    p->setMetrics({"reward/mean", "entropy"});
    p->setGroupBy("algorithm");
    QTableWidget* t = p->summaryTable();
    QCOMPARE(t->rowCount(), (2 + 3) * 2);  // (groups + runs) x metrics
    // Sort by final value, descending: the largest final is dapo's entropy, 0.9 (run and group).
    t->sortItems(4, Qt::DescendingOrder);
    QCOMPARE(t->item(0, 4)->data(Qt::UserRole).toDouble(), 0.9);
    QCOMPARE(t->item(0, 2)->text(), QString("entropy"));
    t->sortItems(4, Qt::AscendingOrder);
    for (int row = 1; row < t->rowCount(); ++row)
      QVERIFY(t->item(row - 1, 4)->data(Qt::UserRole).toDouble() <= t->item(row, 4)->data(Qt::UserRole).toDouble());
    QCOMPARE(p->comparison()->run(g1_)->tokens, 300.0);  // the counted rollout/tokens, 3 x 100
    QTableWidget* d = p->configDiffTable();
    QStringList keys;
    for (int row = 0; row < d->rowCount(); ++row) keys << d->item(row, 0)->text();
    QVERIFY(keys.contains("run.seed") && keys.contains("algorithm") && !keys.contains("rollout.group_size"));
  }

  void exportsAndRefusals() {
    auto p = page({g1_, g2_, d1_});
    p->setMetrics({"reward/mean", "entropy"});
    const QString base = dir_.filePath("cmp");
    QVERIFY2(p->exportTo(base + ".html"), qPrintable(p->statusText()));
    // HTML: well-formed, one plot per metric, the summary table.
    QXmlStreamReader xml(QByteArray::fromStdString(readFile((base + ".html").toStdString())));
    QSet<QString> plots;
    bool summary = false;
    while (!xml.atEnd()) {
      xml.readNext();
      if (xml.isStartElement() && xml.name() == QLatin1String("svg")) plots << xml.attributes().value("data-metric").toString();
      if (xml.isStartElement() && xml.attributes().value("id") == QLatin1String("summary")) summary = true;
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(plots, (QSet<QString>{"reward/mean", "entropy"}));
    QVERIFY(summary);
    for (const char* ext : {".csv", ".json", ".md", ".png", ".svg", ".pdf"}) {
      QVERIFY2(p->exportTo(base + ext), qPrintable(p->statusText()));
      QVERIFY(QFileInfo(base + ext).size() > 100);
    }
    QVERIFY(readFile((base + ".pdf").toStdString()).rfind("%PDF", 0) == 0);
    QImage png(base + ".png");
    QVERIFY(!png.isNull() && png.width() > 500);
    // TensorBoard: one event file per run.
    QVERIFY2(p->exportTensorBoard(dir_.filePath("board")), qPrintable(p->statusText()));
    int files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.filePath("board").toStdString()))
      files += e.path().filename().string().rfind("events.out.tfevents", 0) == 0;
    QCOMPARE(files, 3);
    // An unwritable path: refused with the path named, nothing left behind.
    for (const char* ext : {".html", ".pdf", ".png"}) {
      const QString bad = dir_.filePath("missing-folder/report") + ext;
      QVERIFY(!p->exportTo(bad));
      QVERIFY2(p->statusText().contains("missing-folder"), qPrintable(p->statusText()));
      QVERIFY(!QFileInfo::exists(bad));
    }
    QVERIFY(!p->exportTo(base + ".docx"));
  }

  // The PDF report of two short runs: every metric's plot title and the summary table are in the
  // text, and its first page rendered to an image is not blank.
  void pdfReportRenders() {
    const RunComparison cmp = buildComparison(*store_, {g1_, g2_}, {"reward/mean", "entropy"});
    const QString pdf = dir_.filePath("two-runs.pdf");
    writePdfReport(cmp, pdf.toStdString(), "Two runs");
    bool ok = false;
    // The text as pdftotext extracts it, ligatures ("ﬁ", "ﬀ", ...) spelled out.
    const QString text = QString::fromUtf8(runTool("pdftotext", {"-layout", pdf, "-"}, &ok)).normalized(QString::NormalizationForm_KC);
    QVERIFY2(ok, "pdftotext (poppler-utils, installed by packaging/install-deps.sh) failed");
    for (const char* needle : {"Two runs", "Curves", "reward/mean", "entropy", "Summary", "final", "best", "at iteration",
                               "grpo-s1", "Config differences", "run.seed", "Sample trajectories", "4 + 8 = 12"})
      QVERIFY2(text.contains(needle), qPrintable(QString(needle) + " not in: " + text.left(3000)));
    runTool("pdftoppm", {"-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", pdf, dir_.filePath("page1")}, &ok);
    QVERIFY2(ok, "pdftoppm failed");
    QImage page(dir_.filePath("page1.png"));
    QVERIFY(!page.isNull());
    int ink = 0;
    for (int y = 0; y < page.height(); ++y)
      for (int x = 0; x < page.width(); ++x) ink += qGray(page.pixel(x, y)) < 200;
    QVERIFY2(ink > page.width() * page.height() / 100, qPrintable(QString::number(ink)));
    // Refused: a folder that does not exist.
    QVERIFY_THROWS_EXCEPTION(std::exception, writePdfReport(cmp, dir_.filePath("nope/x.pdf").toStdString(), "x"));
    QVERIFY(!QFileInfo::exists(dir_.filePath("nope/x.pdf")));
  }

  // The Experiments menu's seed comparison, shrunk to two algorithms x one seed on a tiny model:
  // the runs go one after another, the second starts from the first's warm start, and the report
  // and the Compare tab follow.
  void seedComparisonFromTheWindow() {
    const QString ws = dir_.filePath("experiment.sqlite");
    MainWindow window(ws);
    window.resize(1500, 950);
    window.show();
    SeedComparisonOptions options;
    options.algorithms = {"grpo", "dr_grpo"};
    options.seeds = 1;
    options.iterations = 2;
    options.overrides = {"model.d_model=32", "model.layers=1", "model.heads=2", "warmstart.steps=4",
                         "warmstart.demonstrations=16", "warmstart.batch=8", "rollout.prompts=2", "rollout.group_size=2",
                         "eval.problems=2", "eval.samples=2", "eval.k=2", "run.threads=1"};
    ExperimentPlan plan = seedComparisonPlan(options);
    QCOMPARE(plan.runs.size(), size_t(2));
    QSignalSpy done(window.experimentRunner(), &ExperimentRunner::finished);
    QVERIFY(window.startExperiment(std::move(plan)));
    QString error;
    QVERIFY(!window.startExperiment(seedComparisonPlan(options), &error));  // one at a time
    QVERIFY(error.contains("in progress"));
    QVERIFY(done.wait(600000));
    const auto args = done.takeFirst();
    QVERIFY2(args[0].toBool(), qPrintable(args[3].toString()));
    const auto runs = args[1].value<QList<qint64>>();
    QCOMPARE(runs.size(), 2);
    auto store = RunStore::open(ws.toStdString());
    const auto first = store->run(runs[0]), second = store->run(runs[1]);
    QCOMPARE(first->status, RunStatus::Finished);
    QCOMPARE(second->status, RunStatus::Finished);
    QCOMPARE(first->experiment, second->experiment);
    QCOMPARE(second->config.value("warmstart.checkpoint", std::string()), store->runDirectory(runs[0]) + "/reference.pt");
    for (const QString& file : args[2].toStringList()) QVERIFY2(QFileInfo(file).size() > 100, qPrintable(file));
    QCOMPARE(window.centralTabs()->currentWidget(), window.comparePage());
    QCOMPARE(window.comparePage()->selectedRuns(), runs);
  }
};

QTEST_MAIN(TestCompareView)
#include "test_compare_view.moc"
