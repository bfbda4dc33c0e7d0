// Comparing runs (core/compare): the debiased EMA and the centred window on hand-computed series,
// the aligned group statistics of runs with unequal lengths and misaligned steps (interpolation
// inside a run, no extrapolation outside it), and an end-to-end comparison of runs stored in a real
// SQLite workspace, rendered as HTML (parsed back as XML), Markdown, CSV and JSON, and written
// atomically.
#include <QtTest>

#include <QXmlStreamReader>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/Error.h"
#include "core/compare/Comparison.h"
#include "core/compare/HtmlReport.h"
#include "core/compare/ProgressAxis.h"
#include "core/compare/Reports.h"
#include "core/compare/SeriesStats.h"
#include "core/store/RunStore.h"
#include "tests/CompareTestSupport.h"
#include "tests/TestSupport.h"

using namespace tb;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

SampleRecord sample(const std::string& problem, const std::string& prompt, const std::string& completion, double reward,
                    bool correct, const std::string& reason) {
  SampleRecord s;
  s.split = "train";
  s.problemId = problem;
  s.prompt = prompt;
  s.completion = completion;
  s.reward = reward;
  s.correct = correct;
  s.reason = reason;
  s.tokens = 12;
  return s;
}

// The HTML parsed as XML: plots by metric, and the summary table's rows as cell texts with their
// data attributes.
struct ParsedHtml {
  bool wellFormed = false;
  QString error;
  std::map<std::string, int> plots;  // data-metric -> count of <svg class="plot">
  int summaryTables = 0;
  struct Row {
    std::string kind, group, run, metric;
    std::vector<std::string> cells;
  };
  std::vector<Row> summaryRows;
  std::vector<std::string> notes;
  std::string sampleText;
};

ParsedHtml parseHtml(const std::string& html) {
  ParsedHtml out;
  QXmlStreamReader xml(QByteArray::fromStdString(html));
  bool inSummary = false, inNotes = false, inSample = false;
  ParsedHtml::Row* row = nullptr;
  while (!xml.atEnd()) {
    xml.readNext();
    if (xml.isStartElement()) {
      const auto a = xml.attributes();
      const QString name = xml.name().toString();
      if (name == "svg" && a.value("class") == QLatin1String("plot")) ++out.plots[a.value("data-metric").toString().toStdString()];
      if (name == "table" && a.value("id") == QLatin1String("summary")) {
        ++out.summaryTables;
        inSummary = true;
      }
      if (name == "ul" && a.value("id") == QLatin1String("notes")) inNotes = true;
      if (name == "li" && inNotes) out.notes.push_back(xml.readElementText().toStdString());
      if (name == "div" && a.value("class") == QLatin1String("sample")) inSample = true;
      if (name == "pre" && inSample) out.sampleText += xml.readElementText().toStdString() + "\n";
      if (name == "tr" && inSummary && a.hasAttribute("data-metric")) {
        out.summaryRows.push_back({a.value("class").toString().toStdString(), a.value("data-group").toString().toStdString(),
                                   a.value("data-run").toString().toStdString(),
                                   a.value("data-metric").toString().toStdString(), {}});
        row = &out.summaryRows.back();
      }
      if (name == "td" && row) row->cells.push_back(xml.readElementText().toStdString());
    } else if (xml.isEndElement()) {
      const QString name = xml.name().toString();
      if (name == "table") inSummary = false;
      if (name == "ul") inNotes = false;
      if (name == "div") inSample = false;
      if (name == "tr") row = nullptr;
    }
  }
  out.wellFormed = !xml.hasError();
  out.error = xml.errorString() + QStringLiteral(" at line %1").arg(xml.lineNumber());
  return out;
}

}  // namespace

class TestCompare : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::unique_ptr<RunStore> store_;
  std::int64_t a_ = 0, b_ = 0, c_ = 0;  // grpo seed 1, grpo seed 2 (game24); ppo (blocksworld, no entropy)

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    store_ = RunStore::open(dir_.filePath("ws.db").toStdString());
    a_ = store_->createRun(makeRun("grpo-s1", "game24", "grpo", 1, {{"train.lr", 1e-6}}));
    b_ = store_->createRun(makeRun("grpo-s2", "game24", "grpo", 2, {{"train.lr", 1e-6}}));
    RunRecord c = makeRun("ppo-s1", "blocksworld", "ppo", 1, {{"train.lr", 1e-6}});
    c.config["ppo.vf_coef"] = 0.5;
    c_ = store_->createRun(c);
    const double ra[] = {0.1, 0.5, 0.4}, ea[] = {1.0, 0.8, 0.9}, ka[] = {0.0, 0.02, 0.01}, tps[] = {100, 200, 100},
                 its[] = {2, 1, 3}, wa[] = {2, 3, 6};
    for (int i = 0; i < 3; ++i) {
      std::vector<SampleRecord> samples;
      if (i == 2)
        for (int k = 0; k < 4; ++k)
          samples.push_back(sample("p" + std::to_string(k), "Use 4 4 6 8 <b>&amp;</b>", "answer " + std::to_string(k),
                                   k == 0 ? 1.0 : 0.0, k == 0, k == 0 ? "equals 24" : "wrong \"value\""));
      store_->recordIteration(a_, i,
                              {{"reward/mean", ra[i]}, {"entropy", ea[i]}, {"kl", ka[i]},
                               {"throughput/tokens_per_s", tps[i]}, {"time/iteration_s", its[i]}},
                              samples, wa[i]);
    }
    const double rb[] = {0.2, 0.3, 0.6, 0.7}, eb[] = {1.1, 1.0, 0.9, 0.8}, kb[] = {0.0, 0.01, 0.03, 0.02};
    for (int i = 0; i < 4; ++i)
      store_->recordIteration(b_, i, {{"reward/mean", rb[i]}, {"entropy", eb[i]}, {"kl", kb[i]}}, {}, i + 1.0);
    const double rc[] = {0.0, 0.3}, kc[] = {0.05, 0.04};
    for (int i = 0; i < 2; ++i)
      store_->recordIteration(c_, i, {{"reward/mean", rc[i]}, {"kl", kc[i]}}, {}, 10.0 * (i + 1));
  }

  // The compare view's x axes: cumulative samples / tokens after each iteration, the wall time,
  // evaluation points at an iteration without training metrics, and the estimate for older runs.
  void progressAxes() {
    auto pt = [](int it, double v, double wall = 0) { return MetricPoint{it, v, wall}; };
    std::map<std::string, std::vector<MetricPoint>> m;
    m["rollout/samples"] = {pt(0, 64), pt(1, 64), pt(2, 32)};
    m["rollout/tokens"] = {pt(0, 100), pt(1, 200), pt(2, 50)};
    const std::vector<MetricPoint> reward = {pt(0, 0.1, 5), pt(1, 0.2, 9), pt(2, 0.4, 12)};
    const std::vector<MetricPoint> eval = {pt(0, 0.5, 6), pt(3, 0.7, 20)};
    const ProgressAxis axis(m, nlohmann::json::object());
    QVERIFY(!axis.samplesEstimated() && !axis.tokensEstimated());
    auto s = axis.place(reward, XAxis::Samples);
    QCOMPARE(s.x, (std::vector<double>{64, 128, 160}));
    QCOMPARE(s.y, (std::vector<double>{0.1, 0.2, 0.4}));
    QCOMPARE(axis.place(reward, XAxis::Tokens).x, (std::vector<double>{100, 300, 350}));
    QCOMPARE(axis.place(reward, XAxis::WallTime).x, (std::vector<double>{5, 9, 12}));
    QCOMPARE(axis.place(reward, XAxis::Iteration).x, (std::vector<double>{0, 1, 2}));
    // Iteration 3 logged no samples: the evaluation sits at the count reached before it.
    QCOMPARE(axis.place(eval, XAxis::Samples).x, (std::vector<double>{64, 160}));
    QVERIFY(std::isnan(axis.samplesAfter(-1)));

    // A run stored before rollout/samples existed: prompts x group size per iteration, tokens from
    // throughput x iteration time.
    std::map<std::string, std::vector<MetricPoint>> old;
    old["reward/mean"] = reward;
    old["throughput/tokens_per_s"] = {pt(0, 50), pt(1, 100), pt(2, 10)};
    old["time/iteration_s"] = {pt(0, 2), pt(1, 1), pt(2, 3)};
    const ProgressAxis estimated(old, {{"rollout.prompts", 8}, {"rollout.group_size", 4}});
    QVERIFY(estimated.samplesEstimated() && estimated.tokensEstimated());
    QCOMPARE(estimated.place(reward, XAxis::Samples).x, (std::vector<double>{32, 64, 96}));
    QCOMPARE(estimated.place(reward, XAxis::Tokens).x, (std::vector<double>{100, 200, 230}));
    // Without counts or config the points have no place on those axes.
    const ProgressAxis none({{"reward/mean", reward}}, nlohmann::json::object());
    QVERIFY(none.place(reward, XAxis::Samples).x.empty());
    QCOMPARE(none.place(reward, XAxis::WallTime).x.size(), size_t(3));
  }

  void emaGolden() {
    const auto s = debiasedEma({1, 2, 3}, 0.5);
    QCOMPARE(s.size(), size_t(3));
    TB_NEAR(s[0], 1.0, 1e-12);              // m1 = 0.5, / (1 - 0.5)
    TB_NEAR(s[1], 1.25 / 0.75, 1e-12);      // 1.6667
    TB_NEAR(s[2], 2.125 / 0.875, 1e-12);    // 2.4286
    for (double v : debiasedEma({4, 4, 4, 4, 4}, 0.9)) TB_NEAR(v, 4.0, 1e-12);  // a constant is not pulled to 0
    // NaN passes through and does not enter the average (nor advance t).
    const auto n = debiasedEma({1, kNaN, 3}, 0.5);
    TB_NEAR(n[0], 1.0, 1e-12);
    QVERIFY(std::isnan(n[1]));
    TB_NEAR(n[2], (0.25 + 1.5) / 0.75, 1e-12);  // 2.3333
    QCOMPARE(debiasedEma({1, 5, 2}, 0.0), (std::vector<double>{1, 5, 2}));  // 0 = off
    QVERIFY(debiasedEma({}, 0.5).empty());
    QVERIFY(inputErrorOf([] { debiasedEma({1}, 1.0); }).contains("alpha"));
    QVERIFY(!inputErrorOf([] { debiasedEma({1}, -0.1); }).isEmpty());
  }

  void centredWindow() {
    const auto s = centredMovingAverage({1, 2, 3, 10, 5}, 3);
    const double expected[] = {1, 2, 5, 6, 5};  // the window shrinks symmetrically at the ends
    for (int i = 0; i < 5; ++i) TB_NEAR(s[i], expected[i], 1e-12);
    const auto line = centredMovingAverage({1, 2, 3, 4, 5, 6}, 5);  // a line stays a line
    for (int i = 0; i < 6; ++i) TB_NEAR(line[i], i + 1.0, 1e-12);
    for (double v : centredMovingAverage({2, 2, 2, 2}, 3)) TB_NEAR(v, 2.0, 1e-12);
    const auto n = centredMovingAverage({1, kNaN, 3, 4, 5}, 3);
    TB_NEAR(n[0], 1.0, 1e-12);
    QVERIFY(std::isnan(n[1]));
    TB_NEAR(n[2], 3.5, 1e-12);  // NaN skipped: (3 + 4) / 2
    TB_NEAR(n[3], 4.0, 1e-12);
    QCOMPARE(centredMovingAverage({7, 8}, 1), (std::vector<double>{7, 8}));
    QVERIFY(inputErrorOf([] { centredMovingAverage({1, 2}, 2); }).contains("odd"));
  }

  void alignedStatistics() {
    // A: x 0..4, B: x 1..3 (shorter, misaligned), C: x 2 and 5 (sparse, longer), and a NaN point.
    const Series a{{0, 2, 4}, {1, 3, 2}};
    const Series b{{1, 2, 3, 3.5}, {2, 5, 4, kNaN}};
    const Series c{{2, 5}, {0, 3}};
    TB_NEAR(interpolateAt(a, 3), 2.5, 1e-12);
    QVERIFY(std::isnan(interpolateAt(a, 4.5)));  // never extrapolated
    QVERIFY(std::isnan(interpolateAt(b, 0)));

    const auto g = alignedGroup({a, b, c});
    QCOMPARE(g.size(), size_t(6));  // x = 0, 1, 2, 3, 4, 5 (3.5 is NaN only: dropped)
    const double xs[] = {0, 1, 2, 3, 4, 5};
    const int ns[] = {1, 2, 3, 3, 2, 1};
    const double means[] = {1, 2, 8.0 / 3, 2.5, 2, 3};
    const double mins[] = {1, 2, 0, 1, 2, 3}, maxs[] = {1, 2, 5, 4, 2, 3};
    for (int i = 0; i < 6; ++i) {
      TB_NEAR(g[i].x, xs[i], 0);
      QCOMPARE(g[i].n, ns[i]);
      TB_NEAR(g[i].mean, means[i], 1e-12);
      TB_NEAR(g[i].min, mins[i], 1e-12);
      TB_NEAR(g[i].max, maxs[i], 1e-12);
    }
    // x = 0 and 5: one run covers it: no std, no interval (blank, not 0).
    QVERIFY(std::isnan(g[0].std) && std::isnan(g[0].ci95));
    QVERIFY(std::isnan(g[5].std) && std::isnan(g[5].ci95));
    // x = 1: A interpolated (1 + 3) / 2 = 2, B 2: std 0.
    TB_NEAR(g[1].std, 0.0, 1e-12);
    TB_NEAR(g[1].ci95, 0.0, 1e-12);
    // x = 2: {3, 5, 0}: std sqrt(((1/3)^2 + (7/3)^2 + (8/3)^2) / 2) = 2.516611, ci = t(2) * std / sqrt 3.
    TB_NEAR(g[2].std, 2.5166114784, 1e-9);
    TB_NEAR(g[2].ci95, 4.3026527 * 2.5166114784 / std::sqrt(3.0), 1e-6);
    // x = 3: A 2.5 (interpolated), B 4, C 1 (interpolated between (2,0) and (5,3)): std 1.5.
    TB_NEAR(g[3].std, 1.5, 1e-12);
    TB_NEAR(g[3].ci95, 3.7262065, 1e-6);
    // x = 4: A 2, C 2 (B ended at 3).
    TB_NEAR(g[4].std, 0.0, 1e-12);

    // Two runs: x = 2 gives {3, 5}: std sqrt 2, ci = t(1) * sqrt 2 / sqrt 2 = 12.7062.
    const auto two = alignedGroup({a, b});
    QCOMPARE(two.size(), size_t(5));
    TB_NEAR(two[2].std, std::sqrt(2.0), 1e-12);
    TB_NEAR(two[2].ci95, 12.7062047, 1e-6);
    TB_NEAR(two[3].mean, 3.25, 1e-12);
    TB_NEAR(two[3].ci95, 12.7062047 * 0.75, 1e-6);

    TB_NEAR(studentT975(30), 2.0422725, 1e-7);
    TB_NEAR(studentT975(31), 1.96, 0);
    QVERIFY(std::isnan(studentT975(0)));
    QVERIFY(alignedGroup({}).empty());
    QVERIFY(!inputErrorOf([] { alignedGroup({Series{{2, 1}, {0, 0}}}); }).isEmpty());  // not ascending
  }

  // With two runs the t-interval is ±12.7 std / sqrt 2: the axis spans the means and the runs' own
  // values, and the band is cut there (exactly, crossing points inserted) instead of flattening the plot.
  void bandsAreCutAtTheAxis() {
    auto extent = [](double mean, double low, double high, double mn, double mx) {
      const auto [lo, hi] = shownExtent(mean, low, high, mn, mx);
      return std::vector<double>{lo, hi};
    };
    QCOMPARE(extent(0.4, -0.87, 1.67, 0.3, 0.5), (std::vector<double>{0.3, 0.5}));   // wide band: the runs
    QCOMPARE(extent(0.4, 0.35, 0.45, 0.3, 0.5), (std::vector<double>{0.35, 0.45}));  // narrow band: itself
    QCOMPARE(extent(0.4, NAN, NAN, 0.3, 0.5), (std::vector<double>{0.4, 0.4}));      // no band: the mean
    QCOMPARE(extent(0.4, -1, 2, NAN, NAN), (std::vector<double>{-1, 2}));            // no spans: the band

    using Points = std::vector<std::pair<double, double>>;
    QCOMPARE(clampedBoundary({0, 1, 2}, {0, 2, 0}, 0, 1), (Points{{0, 0}, {0.5, 1}, {1, 1}, {1.5, 1}, {2, 0}}));
    QCOMPARE(clampedBoundary({0, 3}, {-1, 2}, 0, 1), (Points{{0, 0}, {1, 0}, {2, 1}, {3, 1}}));  // both limits
    QCOMPARE(clampedBoundary({0, 1}, {0.2, 0.8}, 0, 1), (Points{{0, 0.2}, {1, 0.8}}));          // inside: as is
    QVERIFY(!inputErrorOf([] { clampedBoundary({0, 1}, {0}, 0, 1); }).isEmpty());

    // The report's plot: grpo's two runs (0.1..0.7) have a band of ±1.27 at iteration 1.
    const auto cmp = buildComparison(*store_, {a_, b_, c_}, {"reward/mean"});
    const std::string svg = metricSvg(cmp, "reward/mean", true);
    QXmlStreamReader xml(QByteArray::fromStdString(svg));
    double top = INFINITY, bottom = -INFINITY;
    int bands = 0;
    while (!xml.atEnd())
      if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("polygon")) {
        ++bands;
        for (const auto& pair : xml.attributes().value("points").toString().split(' ', Qt::SkipEmptyParts)) {
          const double y = pair.section(',', 1, 1).toDouble();
          top = std::min(top, y);
          bottom = std::max(bottom, y);
        }
      }
    QCOMPARE(bands, 1);  // grpo's; ppo has one run
    // The plot area is y 28..256 (T = 28, H - B = 256): the band reaches both edges and no further.
    QCOMPARE(top, 28.0);
    QCOMPARE(bottom, 256.0);
    // The axis is 0..0.8 (the runs' values), not about -0.9..1.7 (the interval).
    QVERIFY2(svg.find(">0.8<") != std::string::npos && svg.find(">-0.") == std::string::npos, svg.c_str());
  }

  void comparisonOfStoredRuns() {
    const auto cmp = buildComparison(*store_, {a_, b_, c_}, {"reward/mean", "entropy", "kl"});
    QCOMPARE(cmp.groups.size(), size_t(2));
    QCOMPARE(cmp.groups[0].name, std::string("grpo"));
    QCOMPARE(cmp.groups[0].runIds, (std::vector<std::int64_t>{a_, b_}));
    QCOMPARE(cmp.groups[1].name, std::string("ppo"));

    const auto& ra = cmp.run(a_)->summary.at("reward/mean");
    TB_NEAR(ra.final, 0.4, 1e-12);
    QCOMPARE(ra.finalIteration, 2);
    TB_NEAR(ra.best, 0.5, 1e-12);
    QCOMPARE(ra.bestIteration, 1);
    const auto& ka = cmp.run(a_)->summary.at("kl");  // lower is better
    TB_NEAR(ka.best, 0.0, 0);
    QCOMPARE(ka.bestIteration, 0);
    TB_NEAR(cmp.run(a_)->tokens, 100 * 2 + 200 * 1 + 100 * 3, 1e-9);
    TB_NEAR(cmp.run(a_)->timeSeconds, 6.0, 0);
    QVERIFY(std::isnan(cmp.run(b_)->tokens));  // no throughput logged: blank, not 0
    QVERIFY(!cmp.run(c_)->summary.count("entropy"));

    const auto& grpo = *cmp.group("grpo");
    const auto& gr = grpo.summary.at("reward/mean");
    TB_NEAR(gr.final, 0.55, 1e-12);
    TB_NEAR(gr.spread, 0.2121320344, 1e-9);
    TB_NEAR(gr.best, 0.5, 1e-12);  // mean curve 0.15, 0.4, 0.5 where both runs cover; 0.7 is B alone
    QCOMPARE(gr.bestIteration, 2);
    QCOMPARE(gr.runs, 2);
    QCOMPARE(grpo.curves.at("reward/mean").size(), size_t(4));
    TB_NEAR(grpo.tokens, 700, 1e-9);  // mean over the runs that have it
    TB_NEAR(grpo.timeSeconds, 5.0, 1e-12);
    QVERIFY(std::isnan(cmp.group("ppo")->summary.at("reward/mean").spread));  // one run
    QVERIFY(!cmp.group("ppo")->summary.count("entropy"));

    // Config diff: seed, task, algorithm and the key only ppo has; train.lr is shared.
    std::map<std::string, std::vector<std::optional<std::string>>> diff;
    for (const auto& d : cmp.configDiff) diff[d.key] = d.values;
    QVERIFY(!diff.count("train.lr"));
    QCOMPARE(diff.at("run.seed"), (std::vector<std::optional<std::string>>{"1", "2", "1"}));
    QCOMPARE(diff.at("task"), (std::vector<std::optional<std::string>>{"game24", "game24", "blocksworld"}));
    QCOMPARE(diff.at("ppo.vf_coef"), (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt, "0.5"}));

    auto hasNote = [&](const std::string& text) {
      for (const auto& n : cmp.notes)
        if (n.find(text) != std::string::npos) return true;
      return false;
    };
    QVERIFY(hasNote("runs of different tasks: game24, blocksworld"));
    QVERIFY(hasNote("metric entropy is missing from run " + std::to_string(c_)));

    QCOMPARE(cmp.run(a_)->samples.size(), size_t(3));  // the last iteration's, at most 3
    QCOMPARE(cmp.run(a_)->samples.front().iteration, 2);
    QVERIFY(cmp.run(b_)->samples.empty());

    // Default metrics: those of the default set some run has; grouping by a config key.
    const auto byDefault = buildComparison(*store_, {a_, c_}, {}, "run.seed");
    QCOMPARE(byDefault.metrics, (std::vector<std::string>{"reward/mean", "entropy", "kl"}));
    QCOMPARE(byDefault.groups.size(), size_t(1));
    QCOMPARE(byDefault.groups[0].name, std::string("1"));
    QCOMPARE(buildComparison(*store_, {a_}, {}, "no.such.key").groups[0].name, std::string("(none)"));

    QVERIFY(inputErrorOf([&] { buildComparison(*store_, {a_, 999}); }).contains("999"));
    QVERIFY(inputErrorOf([&] { buildComparison(*store_, {a_, a_}); }).contains("twice"));
  }

  void htmlReportOfTwoRuns() {
    const std::vector<std::string> metrics = {"reward/mean", "entropy", "kl"};
    const auto cmp = buildComparison(*store_, {a_, c_}, metrics);
    const std::string html = htmlReport(cmp, "GRPO <vs> PPO");
    QVERIFY(html.rfind("<!DOCTYPE html>", 0) == 0);
    QVERIFY(html.find("http://") == std::string::npos);
    QVERIFY(html.find("https://") == std::string::npos);
    QVERIFY(html.find("<script") == std::string::npos);
    QVERIFY(html.find("GRPO &lt;vs&gt; PPO") != std::string::npos);

    const ParsedHtml parsed = parseHtml(html);
    QVERIFY2(parsed.wellFormed, qPrintable(parsed.error));
    QCOMPARE(parsed.plots.size(), metrics.size());
    for (const auto& m : metrics) QCOMPARE(parsed.plots.count(m) ? parsed.plots.at(m) : 0, 1);
    QCOMPARE(parsed.summaryTables, 1);
    QCOMPARE(parsed.summaryRows.size(), size_t(2 * 3 + 2 * 3));  // per group and per run, each metric
    bool sawMissing = false, sawRunA = false;
    for (const auto& row : parsed.summaryRows) {
      QCOMPARE(row.cells.size(), size_t(10));
      // cells: group, run, metric, runs, final, best, at iteration, spread, tokens, time
      if (row.kind == "run" && row.run == std::to_string(c_) && row.metric == "entropy") {
        sawMissing = true;
        for (int i = 3; i < 8; ++i) QCOMPARE(row.cells[i], std::string());  // blank, never 0
      }
      if (row.kind == "run" && row.run == std::to_string(a_) && row.metric == "reward/mean") {
        sawRunA = true;
        QCOMPARE(row.cells[4], std::string("0.4"));
        QCOMPARE(row.cells[5], std::string("0.5"));
        QCOMPARE(row.cells[6], std::string("1"));
        QCOMPARE(row.cells[8], std::string("700"));
        QCOMPARE(row.cells[9], std::string("6"));
      }
    }
    QVERIFY(sawMissing && sawRunA);
    bool missingNote = false;
    for (const auto& n : parsed.notes) missingNote = missingNote || n.find("missing") != std::string::npos;
    QVERIFY(missingNote);
    // Sample text escaped in the file, intact once parsed.
    QVERIFY(html.find("&lt;b&gt;&amp;amp;&lt;/b&gt;") != std::string::npos);
    QVERIFY(parsed.sampleText.find("Use 4 4 6 8 <b>&amp;</b>") != std::string::npos);
    QVERIFY(html.find("wrong &quot;value&quot;") != std::string::npos);
    // Stable colours: a group keeps its palette colour across reports.
    QCOMPARE(groupColour("grpo"), groupColour("grpo"));
    const auto colours = groupColours({"grpo", "ppo", "dpo"});
    QCOMPARE(std::set<std::string>({colours.at("grpo"), colours.at("ppo"), colours.at("dpo")}).size(), size_t(3));
    QVERIFY(html.find(colours.at("grpo")) != std::string::npos);
  }

  void otherFormats() {
    const auto cmp = buildComparison(*store_, {a_, c_}, {"reward/mean", "entropy", "kl"});
    const std::string md = markdownReport(cmp, "rep-");
    QVERIFY(md.find("![reward/mean](rep-reward_mean.svg)") != std::string::npos);
    QVERIFY(md.find("| group | run | metric |") != std::string::npos);
    QVERIFY(md.find("| run.seed |") == std::string::npos);  // same seed: not a difference
    QVERIFY(md.find("| task | game24 | blocksworld |") != std::string::npos);

    const std::string csv = seriesCsv(cmp);
    std::istringstream lines(csv);
    std::string line, first;
    int count = 0;
    std::getline(lines, first);
    while (std::getline(lines, line)) ++count;
    QCOMPARE(first, std::string("run,group,metric,iteration,value"));
    QCOMPARE(count, 3 * 3 + 2 * 2);
    QVERIFY(csv.find(std::to_string(a_) + ",grpo,reward/mean,1,0.5\n") != std::string::npos);

    const auto json = nlohmann::json::parse(seriesJson(cmp));
    QCOMPARE(json["runs"].size(), size_t(2));
    QVERIFY(!json["runs"][1]["summary"].contains("entropy"));
    QVERIFY(json["runs"][1]["tokens"].is_null());
    QCOMPARE(json["groups"][0]["curves"]["reward/mean"].size(), size_t(3));
    QVERIFY(json["groups"][0]["curves"]["reward/mean"][0]["ci95"].is_null());
  }

  void writingFiles() {
    namespace fs = std::filesystem;
    const auto cmp = buildComparison(*store_, {a_, b_, c_}, {"reward/mean", "eval/pass@k"});
    const std::string base = dir_.filePath("out").toStdString();
    fs::create_directories(base);
    const auto files = writeReport(cmp, base + "/report.md", "t");
    QCOMPARE(files.size(), size_t(3));
    QVERIFY(fs::exists(base + "/report-reward_mean.svg"));
    const std::string svg = readFile(base + "/report-eval_pass_k.svg");
    QVERIFY(svg.find("xmlns=\"http://www.w3.org/2000/svg\"") != std::string::npos);
    QVERIFY(svg.find("no data") != std::string::npos);  // selected but missing from every run
    QVERIFY(readFile(base + "/report.md").find("(report-eval_pass_k.svg)") != std::string::npos);

    writeReport(cmp, base + "/r.html", "t");
    QVERIFY(readFile(base + "/r.html").find("id=\"summary\"") != std::string::npos);
    QVERIFY(!fs::exists(base + "/r.html.tmp"));

    // An unwritable path: a clear error naming it, and no file left behind.
    const std::string blocker = base + "/blocker";
    std::ofstream(blocker) << "a file where a folder should be";
    const QString error = inputErrorOf([&] { writeReport(cmp, blocker + "/x.html"); });
    QVERIFY2(error.contains("blocker/x.html"), qPrintable(error));
    QVERIFY(!fs::exists(blocker + "/x.html.tmp"));
    const QString dirError = inputErrorOf([&] { writeReport(cmp, base + "/missing/x.md"); });
    QVERIFY2(dirError.contains("missing/x.md"), qPrintable(dirError));
    QVERIFY(!fs::exists(base + "/missing"));
    QVERIFY(inputErrorOf([&] { writeReport(cmp, base + "/x.pdf"); }).contains(".html"));
    QVERIFY(!fs::exists(base + "/x.pdf"));
  }
};

QTEST_APPLESS_MAIN(TestCompare)
#include "test_compare.moc"
