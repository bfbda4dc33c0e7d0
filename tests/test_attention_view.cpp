// Qt Test suite for the attention viewer, offscreen: block maxima against downsampleMax, the
// AttentionPanel (header, thumbnails picking a head, mean / local / global maps equal to
// AttentionSample::map, completion-only range, zoom), token selection in both views, hover text,
// PNG/SVG export of heatmap and token strip, refusal of invalid samples, and a 2,048-token sample
// (time to open and first paint printed; downsampling reported). Samples are built in code.
#include "core/attention/AttentionSample.h"
#include "widgets/AttentionHeatmap.h"
#include "widgets/AttentionImage.h"
#include "widgets/AttentionPanel.h"
#include "widgets/AttentionSource.h"
#include "widgets/AttentionThumbnails.h"
#include "widgets/TokenStrip.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace tb;

namespace {

// Character tokens as the built-in policies have them: '\n' as "⏎", ' ' as "␣".
std::vector<std::string> charTokens(const QString& text, int count) {
  std::vector<std::string> out;
  for (int i = 0; static_cast<int>(out.size()) < count; ++i) {
    const QChar c = text[i % text.size()];
    out.push_back(c == QLatin1Char('\n') ? "\u23ce" : c == QLatin1Char(' ') ? "\u2423" : QString(c).toStdString());
  }
  return out;
}

// A deterministic pseudo-random number in [0, 1).
float noise(int a, int b, int c) {
  const double x = std::sin(a * 12.9898 + b * 78.233 + c * 37.719) * 43758.5453;
  return static_cast<float>(x - std::floor(x));
}

// `kept` layers x `heads` heads over prompt + completion character tokens. Head 0 is local (the
// last few tokens), head 1 global (the sink <bos> and the anchor tokens), the others mixed;
// rows sum to 1 over s <= t. Metrics are plausible but synthetic.
AttentionSample makeSample(int promptLength, int completionLength, int kept, int heads) {
  AttentionSample a;
  a.runId = 3;
  a.sampleId = 17;
  a.iteration = 9;
  a.policy = "checkpoint of iteration 9";
  a.problemId = "g24-7";
  a.tokens.push_back("<bos>");
  for (auto& t : charTokens(QStringLiteral("Use 4 6 3 5 to make 24.\n"), promptLength - 1)) a.tokens.push_back(t);
  for (auto& t : charTokens(QStringLiteral("4 * 6 = 24\n5 - 3 = 2\n24 * 2 / 2 = 24\nAnswer: 24\n"), completionLength)) a.tokens.push_back(t);
  a.promptLength = promptLength;
  const int T = a.size();
  a.layerCount = kept * 2;
  a.headCount = heads;
  for (int li = 0; li < kept; ++li) a.layers.push_back(2 * li + 1);
  a.preplan = {4, std::min(11, completionLength - 1)};
  a.anchors = {std::min(6, completionLength - 1), std::min(13, completionLength - 1)};
  std::set<int> anchorTokens;
  for (int k : a.anchors) anchorTokens.insert(promptLength + k);
  a.weights.assign(static_cast<size_t>(kept) * heads * T * T, 0.0f);
  std::vector<float> row(T);
  for (int li = 0; li < kept; ++li)
    for (int h = 0; h < heads; ++h)
      for (int t = 0; t < T; ++t) {
        float sum = 0;
        for (int s = 0; s <= t; ++s) {
          const int d = t - s;
          float w;
          if (h % 4 == 0) w = 1.0f / (1.0f + d * d * (1.0f + li));
          else if (h % 4 == 1) w = (s == 0 ? 2.0f : 0.0f) + (anchorTokens.count(s) ? 1.5f : 0.0f) + 0.02f;
          else if (h % 4 == 2) w = 1.0f / (1.0f + 0.15f * d) + (s % 7 == 0 ? 0.4f : 0.0f);
          else w = (d == 1 ? 1.0f : 0.0f) + (s < promptLength ? 0.15f : 0.03f);
          w *= 0.6f + 0.8f * noise(li * 31 + h, t, s);
          row[s] = w;
          sum += w;
        }
        float* out = &a.weights[((static_cast<size_t>(li) * heads + h) * T + t) * T];
        for (int s = 0; s <= t; ++s) out[s] = row[s] / sum;
      }
  for (int h = 0; h < heads; ++h) a.headDistance.push_back(h % 4 == 0 ? 1.2 + 0.1 * h : h % 4 == 1 ? 40.0 + h : 8.0 + h);
  a.localHeads = {0};
  a.globalHeads = {1};
  if (heads > 4) {
    a.localHeads.push_back(4);
    a.globalHeads.push_back(5);
  }
  for (int k = 0; k < completionLength; ++k) {
    a.waad.push_back(2.0 + std::sin(k * 0.45) + (k == a.preplan[0] ? 2.5 : 0.0));
    a.fai.push_back(0.05 + 0.04 * std::cos(k * 0.3) + (std::count(a.anchors.begin(), a.anchors.end(), k) ? 0.3 : 0.0));
  }
  a.validate();
  return a;
}

void maybeSave(QWidget& w, const QString& name) {
  const QString dir = qEnvironmentVariable("THOUGHTBENCH_SCREENSHOT_DIR");
  if (dir.isEmpty()) return;
  QApplication::processEvents();  // pending layout requests, as a real window would have them
  w.grab().save(QDir(dir).filePath(name));
}

void maybeCopy(const QString& file, const QString& name) {
  const QString dir = qEnvironmentVariable("THOUGHTBENCH_SCREENSHOT_DIR");
  if (dir.isEmpty()) return;
  QFile::remove(QDir(dir).filePath(name));
  QFile::copy(file, QDir(dir).filePath(name));
}

// The heatmap shows exactly `expected` (T x T).
void checkShownMap(const AttentionHeatmap& heatmap, const std::vector<float>& expected, int T) {
  QCOMPARE(heatmap.map().size(), expected.size());
  for (int t = 0; t < T; t += 3)
    for (int s = 0; s <= t; s += 2)
      QVERIFY2(std::fabs(heatmap.value(t, s) - expected[static_cast<size_t>(t) * T + s]) < 1e-6f,
               qPrintable(QStringLiteral("query %1 key %2").arg(t).arg(s)));
}

int colourVariety(const QImage& image) {
  std::set<QRgb> colours;
  for (int y = 0; y < image.height(); y += std::max(1, image.height() / 60))
    for (int x = 0; x < image.width(); x += std::max(1, image.width() / 60)) colours.insert(image.pixel(x, y));
  return static_cast<int>(colours.size());
}

}  // namespace

class TestAttentionView : public QObject {
  Q_OBJECT

 private slots:
  void blocksMatchDownsampleMax();
  void colorScale();
  void panelShowsSample();
  void thumbnailPicksHead();
  void meanAndHeadSets();
  void completionOnlyAndZoom();
  void tokenSelectionBothWays();
  void hoverReadsWeightAndTokens();
  void exportImages();
  void refusesInvalidSample();
  void smallAndBareSamples();
  void longSampleOpensQuickly();
};

void TestAttentionView::blocksMatchDownsampleMax() {
  // A causal map with a few strong thin lines.
  const int T = 300;
  std::vector<float> map(static_cast<size_t>(T) * T, 0.0f);
  for (int t = 0; t < T; ++t)
    for (int s = 0; s <= t; ++s) map[static_cast<size_t>(t) * T + s] = noise(t, s, 1) * 0.1f + (s == 17 || t - s == 3 ? 0.8f : 0.0f);
  for (int begin : {0, 37}) {
    const int n = T - begin;
    std::vector<float> crop(static_cast<size_t>(n) * n);
    for (int u = 0; u < n; ++u)
      for (int v = 0; v < n; ++v) crop[static_cast<size_t>(u) * n + v] = map[static_cast<size_t>(begin + u) * T + begin + v];
    for (int maxSide : {64, 100, 299, 512}) {
      int side = 0;
      const std::vector<float> expected = downsampleMax(crop, n, maxSide, side);
      const AttentionBlocks b = attentionBlocks(map.data(), T, begin, begin, n, maxSide);
      QCOMPARE(b.side, side);
      QCOMPARE(b.downsampled(), side < n);
      QCOMPARE(b.start.front(), 0);
      QCOMPARE(b.start.back(), n);
      for (int i = 0; i < side; ++i)
        for (int j = 0; j < side; ++j) QCOMPARE(b.at(i, j), expected[static_cast<size_t>(i) * side + j]);
      for (int u = 0; u < n; ++u) QCOMPARE(b.cellOf(u), static_cast<int>(static_cast<long long>(u) * side / n));
    }
  }
  // An off-diagonal window: cells wholly after every query are masked, the diagonal ones not.
  const AttentionBlocks w = attentionBlocks(map.data(), T, 100, 150, 100, 10);
  QCOMPARE(w.side, 10);
  QVERIFY(w.masked(0, 9));   // queries 100-109, keys 240-249
  QVERIFY(!w.masked(9, 0));  // queries 190-199, keys 150-159
  QVERIFY(w.at(9, 0) > 0);
}

void TestAttentionView::colorScale() {
  AttentionColorScale scale;
  scale.maxValue = 0.5f;
  QCOMPARE(scale.position(0.0), 0.0);
  QCOMPARE(scale.position(0.5), 1.0);
  QVERIFY(std::fabs(scale.position(0.125) - 0.5) < 1e-9);  // square root: a quarter of the maximum is mid-scale
  QCOMPARE(scale.color(0.0), QColor(Qt::white));
  QVERIFY(scale.color(0.5).lightness() < 80);  // dark blue
  QVERIFY(scale.color(0.5).blue() > scale.color(0.5).red());
  QVERIFY(AttentionColorScale::maskedColor() != QColor(Qt::white));
  QCOMPARE(formatAttentionWeight(0.1234), QStringLiteral("0.123"));
}

void TestAttentionView::panelShowsSample() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  const AttentionSample a = makeSample(12, 20, 2, 3);
  QVERIFY(panel.setSample(a));
  QVERIFY(panel.hasSample());
  QVERIFY(panel.errorString().isEmpty());
  const QString header = panel.headerLabel()->text();
  QVERIFY2(header.contains("g24-7"), qPrintable(header));
  QVERIFY(header.contains("run 3"));
  QVERIFY(header.contains("sample 17"));
  QVERIFY(header.contains("iteration 9"));
  QVERIFY(header.contains("checkpoint of iteration 9"));
  QVERIFY(header.contains("32 tokens: 12 prompt + 20 completion"));

  // Opens on the mean of all heads over both layers, completion only.
  QCOMPARE(panel.source(), (AttentionSource{-1, AttentionHeads::Mean, 0}));
  checkShownMap(*panel.heatmap(), a.map(-1, {}), a.size());
  QVERIFY(panel.completionOnly());
  QCOMPARE(panel.heatmap()->rangeBegin(), 12);
  QCOMPARE(panel.heatmap()->rangeEnd(), 32);
  QVERIFY(!panel.heatmap()->isDownsampled());
  QVERIFY(panel.heatmap()->resolutionNote().isEmpty());
  QVERIFY(panel.statusLabel()->text().contains("mean over 2 layers"));
  QVERIFY(!panel.statusLabel()->text().contains("downsampled"));

  // Toolbar: layers (with the mean), heads, local / global sets named.
  QCOMPARE(panel.layerCombo()->count(), 3);
  QCOMPARE(panel.layerCombo()->itemText(0), QStringLiteral("mean over layers"));
  QCOMPARE(panel.layerCombo()->itemText(2), QStringLiteral("layer 3"));
  QCOMPARE(panel.headCombo()->count(), 3);
  QVERIFY(!panel.headCombo()->isEnabled());
  QCOMPARE(panel.showCombo()->itemText(2), QStringLiteral("local heads (0)"));

  // Thumbnails: 2 layers + mean row, 3 heads + mean column, all drawn.
  AttentionThumbnails* thumbs = panel.thumbnails();
  QCOMPARE(thumbs->layerCount(), 2);
  QCOMPARE(thumbs->headCount(), 3);
  QVERIFY(thumbs->hasMeanRow() && thumbs->hasMeanColumn());
  QCOMPARE(thumbs->thumbnail(1, 2).width(), 20);  // one pixel per token for 20 tokens
  QVERIFY(colourVariety(thumbs->thumbnail(1, 2)) > 4);
  QVERIFY(!thumbs->cellRect(0, 0).intersects(thumbs->cellRect(0, 1)));

  // The strip holds the completion; the heatmap image has real content.
  QCOMPARE(panel.tokenStrip()->completionLength(), 20);
  QCOMPARE(panel.tokenStrip()->displayText(12 + 1), QStringLiteral(" "));  // "␣" is a space
  QCOMPARE(panel.tokenStrip()->displayText(12 + 10), QStringLiteral("⏎"));
  QVERIFY(panel.tokenStrip()->isAnchor(12 + 6));
  QVERIFY(panel.tokenStrip()->isPreplan(12 + 4));
  QVERIFY(!panel.tokenStrip()->isAnchor(12 + 5));
  QVERIFY(panel.tokenStrip()->lineCount() >= 2);
  QVERIFY(colourVariety(panel.heatmap()->grab().toImage()) > 10);
  maybeSave(panel, "attention_panel.png");
}

void TestAttentionView::thumbnailPicksHead() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  const AttentionSample a = makeSample(12, 20, 2, 3);
  QVERIFY(panel.setSample(a));
  QSignalSpy sources(&panel, &AttentionPanel::sourceChanged);
  AttentionThumbnails* thumbs = panel.thumbnails();
  QTest::mouseClick(thumbs, Qt::LeftButton, {}, thumbs->cellRect(1, 2).center());
  QCOMPARE(panel.source(), (AttentionSource{1, AttentionHeads::Single, 2}));
  QCOMPARE(sources.count(), 1);
  QCOMPARE(thumbs->current(), panel.source());
  QCOMPARE(panel.showCombo()->currentData().toInt(), static_cast<int>(AttentionHeads::Single));
  QCOMPARE(panel.headCombo()->currentIndex(), 2);
  QVERIFY(panel.headCombo()->isEnabled());
  QCOMPARE(panel.layerCombo()->currentData().toInt(), 1);
  QCOMPARE(panel.heatmap()->title(), QStringLiteral("layer 3 · head 2"));
  const int T = a.size();
  for (int t = 12; t < T; t += 2)
    for (int s = 12; s <= t; s += 3) QCOMPARE(panel.heatmap()->value(t, s), a.weight(1, 2, t, s));
  // Zoom and selection survive a change of head.
  panel.selectToken(20);
  maybeSave(panel, "attention_panel_head.png");

  // The mean column of layer 0: the mean of its heads.
  QTest::mouseClick(thumbs, Qt::LeftButton, {}, thumbs->cellRect(0, -1).center());
  QCOMPARE(panel.source(), (AttentionSource{0, AttentionHeads::Mean, 2}));
  checkShownMap(*panel.heatmap(), a.map(0, {}), T);
  QCOMPARE(panel.selectedToken(), 20);
  // The mean row, head 1: head 1 averaged over the kept layers.
  QTest::mouseClick(thumbs, Qt::LeftButton, {}, thumbs->cellRect(-1, 1).center());
  QCOMPARE(panel.source(), (AttentionSource{-1, AttentionHeads::Single, 1}));
  checkShownMap(*panel.heatmap(), a.map(-1, {1}), T);
  // The head combo picks another head.
  panel.headCombo()->setCurrentIndex(0);
  QCOMPARE(panel.source().head, 0);
  checkShownMap(*panel.heatmap(), a.map(-1, {0}), T);
}

void TestAttentionView::meanAndHeadSets() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  AttentionSample a = makeSample(12, 20, 2, 3);
  a.localHeads = {0, 2};
  a.globalHeads = {1};
  QVERIFY(panel.setSample(a));
  const int T = a.size();
  auto choose = [&](AttentionHeads heads) { panel.showCombo()->setCurrentIndex(panel.showCombo()->findData(static_cast<int>(heads))); };

  panel.layerCombo()->setCurrentIndex(panel.layerCombo()->findData(1));
  choose(AttentionHeads::Mean);
  QCOMPARE(panel.source(), (AttentionSource{1, AttentionHeads::Mean, 0}));
  checkShownMap(*panel.heatmap(), a.map(1, {}), T);
  choose(AttentionHeads::Local);
  QCOMPARE(panel.source().heads, AttentionHeads::Local);
  checkShownMap(*panel.heatmap(), a.map(1, {0, 2}), T);
  QVERIFY(panel.statusLabel()->text().contains("local heads 0, 2"));
  // A few values by hand: the mean of heads 0 and 2 of layer 1.
  for (auto [t, s] : {std::pair{20, 15}, std::pair{31, 0}, std::pair{25, 25}})
    QVERIFY(std::fabs(panel.heatmap()->value(t, s) - (a.weight(1, 0, t, s) + a.weight(1, 2, t, s)) / 2) < 1e-6f);
  maybeSave(panel, "attention_panel_local.png");
  choose(AttentionHeads::Global);
  checkShownMap(*panel.heatmap(), a.map(1, {1}), T);
  panel.layerCombo()->setCurrentIndex(panel.layerCombo()->findData(-1));
  QCOMPARE(panel.source(), (AttentionSource{-1, AttentionHeads::Global, 0}));
  checkShownMap(*panel.heatmap(), a.map(-1, {1}), T);
  choose(AttentionHeads::Single);
  panel.headCombo()->setCurrentIndex(2);
  checkShownMap(*panel.heatmap(), a.map(-1, {2}), T);

  // Without head sets, local / global cannot be chosen (and fall back to the mean).
  AttentionSample plain = makeSample(12, 20, 1, 3);
  plain.localHeads.clear();
  plain.globalHeads.clear();
  QVERIFY(panel.setSample(plain));
  QCOMPARE(panel.layerCombo()->count(), 1);  // one kept layer: no mean over layers
  QCOMPARE(panel.source(), (AttentionSource{0, AttentionHeads::Mean, 0}));
  panel.setSource(AttentionSource{0, AttentionHeads::Local, 0});
  QCOMPARE(panel.source().heads, AttentionHeads::Mean);
  QVERIFY(!panel.thumbnails()->hasMeanRow());
  QCOMPARE(panel.showCombo()->itemText(2), QStringLiteral("local heads (none)"));
}

void TestAttentionView::completionOnlyAndZoom() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  const AttentionSample a = makeSample(12, 20, 2, 3);
  QVERIFY(panel.setSample(a));
  AttentionHeatmap* heatmap = panel.heatmap();
  panel.completionToggle()->setChecked(false);
  QVERIFY(!panel.completionOnly());
  QCOMPARE(heatmap->rangeBegin(), 0);
  QCOMPARE(heatmap->rangeEnd(), 32);
  QCOMPARE(panel.thumbnails()->thumbnail(0, 0).width(), 32);
  QVERIFY(panel.statusLabel()->text().contains("all 32 tokens"));
  maybeSave(panel, "attention_panel_whole.png");
  panel.setCompletionOnly(true);
  QVERIFY(panel.completionToggle()->isChecked());
  QCOMPARE(heatmap->rangeBegin(), 12);

  // Zoom: a window inside the range, reported in the status line; the wheel zooms around the cursor.
  heatmap->zoomBy(2.0);
  QVERIFY(heatmap->isZoomed());
  QCOMPARE(heatmap->windowSize(), 10);
  QVERIFY(heatmap->windowRow() >= 12 && heatmap->windowRow() + 10 <= 32);
  QVERIFY(panel.statusLabel()->text().contains("zoomed"));
  heatmap->setWindow(0, 100, 10);  // clamped into the range
  QCOMPARE(heatmap->windowRow(), 12);
  QCOMPARE(heatmap->windowCol(), 22);
  heatmap->resetZoom();
  QVERIFY(!heatmap->isZoomed());
  const QPointF at = heatmap->cellCenter(25, 20);
  QWheelEvent wheel(at, heatmap->mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(heatmap, &wheel);
  QVERIFY(heatmap->isZoomed());
  QCOMPARE(heatmap->tokensAt(heatmap->cellCenter(25, 20)), QPoint(20, 25));
  QVERIFY(std::fabs(heatmap->cellCenter(25, 20).y() - at.y()) < heatmap->mapRect().height() / heatmap->windowSize());
  QTest::mouseDClick(heatmap, Qt::LeftButton, {}, heatmap->mapRect().center().toPoint());
  QVERIFY(!heatmap->isZoomed());
  QVERIFY(!panel.statusLabel()->text().contains("zoomed"));
}

void TestAttentionView::tokenSelectionBothWays() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  const AttentionSample a = makeSample(12, 20, 2, 3);
  QVERIFY(panel.setSample(a));
  QSignalSpy selected(&panel, &AttentionPanel::tokenSelected);
  AttentionHeatmap* heatmap = panel.heatmap();
  TokenStrip* strip = panel.tokenStrip();

  // A cell click selects its query token: highlighted in both views.
  QTest::mouseClick(heatmap, Qt::LeftButton, {}, heatmap->cellCenter(20, 15).toPoint());
  QCOMPARE(selected.count(), 1);
  QCOMPARE(selected.last().at(0).toInt(), 20);
  QCOMPARE(heatmap->selectedToken(), 20);
  QCOMPARE(strip->selectedToken(), 20);
  QVERIFY(panel.statusLabel()->text().contains("selected"));

  // A click on a key label selects that key token.
  const QPointF below(heatmap->cellCenter(15, 15).x(), heatmap->mapRect().bottom() + 20);
  QCOMPARE(heatmap->labelTokenAt(below), 15);
  QTest::mouseClick(heatmap, Qt::LeftButton, {}, below.toPoint());
  QCOMPARE(panel.selectedToken(), 15);
  QCOMPARE(strip->selectedToken(), 15);

  // A click on a token of the text selects it in the heatmap.
  const QRectF box = strip->tokenRect(26);
  QVERIFY(!box.isEmpty());
  QCOMPARE(strip->tokenAt(box.center()), 26);
  QTest::mouseClick(strip->viewport(), Qt::LeftButton, {}, box.center().toPoint());
  QCOMPARE(selected.count(), 3);
  QCOMPARE(selected.last().at(0).toInt(), 26);
  QCOMPARE(heatmap->selectedToken(), 26);
  QCOMPARE(panel.selectedToken(), 26);
  maybeSave(panel, "attention_panel_selected.png");

  // Keyboard: the next token.
  QTest::keyClick(strip, Qt::Key_Right);
  QCOMPARE(panel.selectedToken(), 27);
  QTest::keyClick(heatmap, Qt::Key_Left);
  QCOMPARE(panel.selectedToken(), 26);
  // Programmatic selection, including a prompt token (not in the strip).
  panel.selectToken(3);
  QCOMPARE(heatmap->selectedToken(), 3);
  QCOMPARE(strip->selectedToken(), 3);
  QVERIFY(strip->tokenRect(3).isEmpty());
  panel.selectToken(-1);
  QCOMPARE(heatmap->selectedToken(), -1);
  QCOMPARE(selected.last().at(0).toInt(), -1);
}

void TestAttentionView::hoverReadsWeightAndTokens() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  const AttentionSample a = makeSample(12, 20, 2, 3);
  QVERIFY(panel.setSample(a));
  AttentionHeatmap* heatmap = panel.heatmap();
  const int t = 20, s = 15;
  const QString text = heatmap->cellText(t, s);
  const QString q = QString::fromStdString(a.tokens[t]), k = QString::fromStdString(a.tokens[s]);
  QVERIFY2(text.contains(QStringLiteral("query '%1' (20)").arg(q)), qPrintable(text));
  QVERIFY2(text.contains(QStringLiteral("key '%1' (15)").arg(k)), qPrintable(text));
  QVERIFY2(text.contains(formatAttentionWeight(a.map(-1, {})[static_cast<size_t>(t) * a.size() + s])), qPrintable(text));
  QVERIFY(heatmap->cellText(15, 20).contains("masked"));
  QCOMPARE(heatmap->tokensAt(heatmap->cellCenter(t, s)), QPoint(s, t));
  QCOMPARE(heatmap->tokensAt(QPointF(-10, -10)), QPoint(-1, -1));

  // Moving over the cell shows the same read-out in the status line.
  QTest::mouseMove(heatmap, heatmap->cellCenter(t, s).toPoint());
  QTRY_COMPARE(panel.hoverLabel()->text(), text);
  maybeSave(panel, "attention_panel_hover.png");

  // The strip's tooltip names the token and its metrics.
  const QString tip = panel.tokenStrip()->tokenToolTip(12 + 6);
  QVERIFY(tip.contains("WAAD") && tip.contains("FAI") && tip.contains("anchor"));
}

void TestAttentionView::exportImages() {
  AttentionPanel panel;
  panel.resize(1300, 900);
  panel.show();
  QVERIFY(panel.setSample(makeSample(12, 20, 2, 3)));
  panel.selectToken(18);
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  QString error;
  const QString heatPng = dir.filePath("heat.png"), heatSvg = dir.filePath("heat.svg");
  const QString stripPng = dir.filePath("strip.png"), stripSvg = dir.filePath("strip.svg");
  QVERIFY2(panel.exportHeatmap(heatPng, &error), qPrintable(error));
  QVERIFY2(panel.exportHeatmap(heatSvg, &error), qPrintable(error));
  QVERIFY2(panel.exportTokenStrip(stripPng, &error), qPrintable(error));
  QVERIFY2(panel.exportTokenStrip(stripSvg, &error), qPrintable(error));
  for (const QString& png : {heatPng, stripPng}) {
    QImage image(png);
    QVERIFY2(!image.isNull(), qPrintable(png));
    QVERIFY(image.width() >= 900);  // at twice the pixel density
    QVERIFY(image.height() >= 150);
    QVERIFY(colourVariety(image) > 6);
  }
  for (const QString& svg : {heatSvg, stripSvg}) {
    QFile file(svg);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray content = file.readAll();
    QVERIFY(content.contains("<svg"));
    QVERIFY(content.size() > 2000);
  }
  QVERIFY(!panel.exportHeatmap(dir.filePath("heat.txt"), &error));
  QVERIFY(error.contains(".png or .svg"));
  maybeCopy(heatPng, "attention_heatmap_export.png");
  maybeCopy(stripPng, "attention_strip_export.png");

  AttentionPanel empty;
  QVERIFY(!empty.exportHeatmap(dir.filePath("none.png"), &error));
  QVERIFY(!error.isEmpty());
  QVERIFY(!empty.exportTokenStrip(dir.filePath("none.png"), &error));
}

void TestAttentionView::refusesInvalidSample() {
  AttentionPanel panel;
  panel.resize(1000, 700);
  panel.show();
  QVERIFY(panel.setSample(makeSample(12, 20, 2, 3)));
  AttentionSample bad = makeSample(12, 20, 2, 3);
  bad.weights.pop_back();
  QVERIFY(!panel.setSample(bad));
  QVERIFY(!panel.hasSample());
  QVERIFY2(panel.errorString().contains("weights"), qPrintable(panel.errorString()));
  QVERIFY(panel.headerLabel()->text().contains("weights"));
  QVERIFY(!panel.heatmap()->hasMap());
  QVERIFY(!panel.tokenStrip()->hasTokens());
  QVERIFY(panel.thumbnails()->isEmpty());
  QVERIFY(!panel.showCombo()->isEnabled());

  AttentionSample nan = makeSample(12, 20, 2, 3);
  nan.weights[40] = std::nanf("");
  QVERIFY(!panel.setSample(nan));
  QVERIFY(panel.errorString().contains("not finite"));
  AttentionSample anchors = makeSample(12, 20, 2, 3);
  anchors.anchors.push_back(20);
  QVERIFY(!panel.setSample(anchors));
  QVERIFY(panel.errorString().contains("outside the completion"));
  maybeSave(panel, "attention_panel_refused.png");

  // A valid sample afterwards clears the message.
  QVERIFY(panel.setSample(makeSample(12, 20, 2, 3)));
  QVERIFY(panel.errorString().isEmpty());
  panel.clear();
  QVERIFY(!panel.hasSample());
  QVERIFY(panel.headerLabel()->text().contains("No attention sample"));
}

void TestAttentionView::smallAndBareSamples() {
  AttentionPanel panel;
  panel.resize(1000, 700);
  panel.show();
  // Only <bos>: one weight, no completion.
  AttentionSample one;
  one.tokens = {"<bos>"};
  one.promptLength = 1;
  one.layerCount = 1;
  one.headCount = 1;
  one.layers = {0};
  one.weights = {1.0f};
  QVERIFY2(panel.setSample(one), qPrintable(panel.errorString()));
  QVERIFY(!panel.completionOnly());
  QVERIFY(!panel.completionToggle()->isEnabled());
  QCOMPARE(panel.heatmap()->windowSize(), 1);
  QVERIFY(!panel.tokenStrip()->hasTokens());
  QVERIFY(!panel.thumbnails()->hasMeanRow() && !panel.thumbnails()->hasMeanColumn());
  QVERIFY(!panel.grab().isNull());
  QVERIFY(panel.heatmap()->cellText(0, 0).contains("1"));

  // No metrics, no head sets, no marks: the views say so instead of drawing nothing.
  AttentionSample bare = makeSample(6, 9, 1, 2);
  bare.waad.clear();
  bare.fai.clear();
  bare.preplan.clear();
  bare.anchors.clear();
  bare.localHeads.clear();
  bare.globalHeads.clear();
  bare.headDistance.clear();
  QVERIFY(panel.setSample(bare));
  QVERIFY(std::isnan(panel.tokenStrip()->waadLevel(8)));
  QVERIFY(!panel.tokenStrip()->isAnchor(8));
  QVERIFY(!panel.showCombo()->model()->index(2, 0).flags().testFlag(Qt::ItemIsEnabled));
  QString error;
  QTemporaryDir dir;
  QVERIFY2(panel.exportTokenStrip(dir.filePath("bare.png"), &error), qPrintable(error));
  maybeSave(panel, "attention_panel_bare.png");
}

void TestAttentionView::longSampleOpensQuickly() {
  QElapsedTimer build;
  build.start();
  AttentionSample a = makeSample(48, 2000, 4, 4);
  QCOMPARE(a.size(), 2048);
  const qint64 buildMs = build.elapsed();

  AttentionPanel panel;
  panel.resize(1400, 950);
  panel.show();
  QApplication::processEvents();
  QElapsedTimer timer;
  timer.start();
  QVERIFY(panel.setSample(std::move(a)));
  QApplication::processEvents();                 // the layout settles as in a window
  const QImage first = panel.grab().toImage();  // the first paint of everything
  const qint64 openMs = timer.elapsed();
  qInfo("benchmark: a 2,048-token sample (4 kept layers x 4 heads) opens and paints in %lld ms (built in %lld ms)", openMs, buildMs);
  QVERIFY(!first.isNull());

  const AttentionSample& s = panel.sample();
  AttentionHeatmap* heatmap = panel.heatmap();
  QVERIFY(heatmap->isDownsampled());
  QVERIFY(heatmap->blocks().side <= AttentionHeatmap::kMaxCells);
  const QString note = heatmap->resolutionNote();
  QVERIFY2(note.startsWith(QStringLiteral("downsampled: 2000 tokens shown as %1 x %1 cells, each the maximum of its block").arg(heatmap->blocks().side)),
           qPrintable(note));
  QVERIFY(panel.statusLabel()->text().contains("downsampled: 2000 tokens"));
  QCOMPARE(heatmap->blocks().maxValue(), [&] {
    float m = 0;
    for (int t = 48; t < 2048; ++t)
      for (int k = 48; k <= t; ++k) m = std::max(m, heatmap->value(t, k));
    return m;
  }());
  QVERIFY(colourVariety(heatmap->grab().toImage()) > 10);
  QCOMPARE(panel.thumbnails()->thumbnail(3, 3).width(), panel.thumbnails()->cellSize());
  maybeSave(panel, "attention_panel_2048.png");

  // Hovering a block reads out its strongest weight.
  const QString text = heatmap->cellText(1500, 1490);
  QVERIFY2(text.contains("the strongest of this cell"), qPrintable(text));

  // Switching the head and the range stays quick too.
  timer.restart();
  AttentionThumbnails* thumbs = panel.thumbnails();
  QTest::mouseClick(thumbs, Qt::LeftButton, {}, thumbs->cellRect(2, 1).center());
  panel.grab();
  qInfo("benchmark: switching to layer %d head 1 of 2,048 tokens takes %lld ms", s.layers[2], timer.elapsed());
  QCOMPARE(heatmap->value(1500, 48 + 6), s.weight(2, 1, 1500, 48 + 6));
  timer.restart();
  panel.setCompletionOnly(false);
  panel.grab();
  qInfo("benchmark: showing all 2,048 tokens (thumbnails rebuilt) takes %lld ms", timer.elapsed());
  QVERIFY(heatmap->resolutionNote().startsWith("downsampled: 2048 tokens"));

  // Zooming in far enough shows tokens one by one again.
  heatmap->setWindow(1000, 960, 60);
  QVERIFY(!heatmap->isDownsampled());
  QVERIFY(heatmap->resolutionNote().isEmpty());
  panel.selectToken(1010);
  maybeSave(panel, "attention_panel_2048_zoomed.png");
  heatmap->resetZoom();
  panel.tokenStrip()->setSelectedToken(1700);  // scrolls the text to it
  QVERIFY(panel.tokenStrip()->tokenRect(1700).top() >= 0);
  QVERIFY(panel.tokenStrip()->tokenRect(1700).bottom() <= panel.tokenStrip()->viewport()->height());
}

QTEST_MAIN(TestAttentionView)
#include "test_attention_view.moc"
