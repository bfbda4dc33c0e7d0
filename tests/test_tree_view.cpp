// Qt Test suite for the reasoning-tree views, offscreen: TreeLayout's invariants (layers never
// overlap, parents centred, depth is y, collapsed and masked subtrees hidden, 10k nodes and a
// 10k-deep chain), and the widgets: TreePanel (selection and inspector, iteration replay, search,
// collapse, PNG/SVG export), TreeView interaction, and TreeCompareView. Trees are built in code.
#include "core/search/ReasoningTree.h"
#include "core/search/TreeLayout.h"
#include "widgets/TreeColorScale.h"
#include "widgets/TreeCompareView.h"
#include "widgets/TreeInspector.h"
#include "widgets/TreePanel.h"
#include "widgets/TreeView.h"

#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSlider>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace tb;

namespace {

// A small MCTS-like tree with a growth history (one node per iteration, backed up along its path):
//   0 root
//   ├─ 1 "3 + 5 = 8"            (it 1)
//   │   └─ 4 "8 * 6 = 48"       (it 4, terminal, wrong)
//   └─ 2 "4 * 6 = 24"           (it 2)
//       ├─ 3 "5 - 3 = 2"        (it 3)
//       │   └─ 6 "answer ..."   (it 6, terminal, correct; revisited at it 7)
//       └─ 5 "3 * 5 = 15"       (it 5)
ReasoningTree mctsTree() {
  ReasoningTree t;
  t.kind = "mcts";
  t.task = "game24";
  t.problemId = "g24-7";
  t.label = "mcts 7 sims";
  t.prompt = "Use 4 6 3 5 to make 24.";
  TreeNode root;
  root.state = "4 6 3 5";
  root.prior = 1;
  t.addNode(root);
  std::vector<double> returns(1, 0.0);
  auto iterate = [&](int leaf, double ret) {
    TreeIteration it;
    for (int id : t.pathTo(leaf)) {
      TreeNode& n = t.nodes[id];
      returns[id] += ret;
      n.stats.visits += 1;
      n.stats.value = n.terminal ? 0.0 : returns[id] / n.stats.visits;
      n.stats.q = n.reward + n.stats.value;
      it.changes.emplace_back(id, n.stats);
    }
    t.history.push_back(it);
  };
  auto add = [&](int parent, const std::string& step, const std::string& state, bool terminal, bool correct, double prior,
                 double ret) {
    TreeNode n;
    n.parent = parent;
    n.step = step;
    n.state = state;
    n.terminal = terminal;
    n.correct = correct;
    n.reward = terminal ? (correct ? 1.0 : -1.0) : 0.0;
    n.prior = prior;
    n.logProb = std::log(prior);
    n.createdAt = t.iterations() + 1;
    const int id = t.addNode(n);
    returns.push_back(0.0);
    iterate(id, ret);
    return id;
  };
  add(0, "3 + 5 = 8", "4 6 8", false, false, 0.4, 0.2);
  add(0, "4 * 6 = 24", "24 3 5", false, false, 0.6, 0.7);
  add(2, "5 - 3 = 2", "24 2", false, false, 0.7, 0.5);
  add(1, "8 * 6 = 48", "4 48", true, false, 1.0, -1.0);
  add(2, "3 * 5 = 15", "24 15", false, false, 0.3, 0.1);
  add(3, "Answer: (4 * 6) * (5 - 3) / 2 = 24", "24", true, true, 1.0, 1.0);
  iterate(6, 1.0);
  t.nodes[1].extra = {{"tokens", 12}, {"note", "expanded first"}};
  t.chosenPath = {0, 2, 3, 6};
  t.validate();
  return t;
}

ReasoningTree chainTree(int length) {
  ReasoningTree t;
  t.kind = "chain";
  t.addNode(TreeNode{});
  for (int i = 1; i < length; ++i) {
    TreeNode n;
    n.parent = i - 1;
    n.step = "step " + std::to_string(i);
    t.addNode(n);
  }
  return t;
}

// Layer separation, parent centring over the first and last visible child, y by depth, and
// visibility: a node is visible iff its parent is visible and not collapsed (and it is masked in).
void checkLayout(const ReasoningTree& t, const TreeLayoutOptions& o, const TreeLayoutResult& r) {
  QCOMPARE(static_cast<int>(r.x.size()), t.size());
  QVERIFY(r.visible[0]);
  std::map<int, std::vector<double>> layers;
  int visible = 0;
  for (int v = 0; v < t.size(); ++v) {
    const TreeNode& n = t.nodes[v];
    if (v > 0) {
      const bool collapsedParent = n.parent < static_cast<int>(o.collapsed.size()) && o.collapsed[n.parent];
      const bool masked = v < static_cast<int>(o.mask.size()) && !o.mask[v];
      QCOMPARE(bool(r.visible[v]), r.visible[n.parent] && !collapsedParent && !masked);
    }
    if (!r.visible[v]) continue;
    ++visible;
    QVERIFY(std::fabs(r.y[v] - n.depth * o.levelSeparation) < 1e-9);
    QVERIFY(r.x[v] >= r.minX - 1e-9 && r.x[v] <= r.maxX + 1e-9);
    layers[n.depth].push_back(r.x[v]);
    std::vector<double> kids;
    for (int c : n.children)
      if (r.visible[c]) kids.push_back(r.x[c]);
    if (!kids.empty()) {
      QVERIFY2(std::fabs((kids.front() + kids.back()) / 2 - r.x[v]) < 1e-6, qPrintable(QStringLiteral("node %1 not centred").arg(v)));
      for (size_t k = 1; k < kids.size(); ++k) QVERIFY(kids[k] - kids[k - 1] >= o.siblingSeparation - 1e-9);
    }
  }
  QCOMPARE(r.visibleCount, visible);
  for (auto& [depth, xs] : layers) {
    std::sort(xs.begin(), xs.end());
    for (size_t k = 1; k < xs.size(); ++k)
      QVERIFY2(xs[k] - xs[k - 1] >= o.siblingSeparation - 1e-9,
               qPrintable(QStringLiteral("depth %1: %2 and %3 overlap").arg(depth).arg(xs[k - 1]).arg(xs[k])));
  }
}

QImage grabOf(QWidget& w) { return w.grab().toImage(); }

// Distinct colours in a coarse grid of samples: a blank or single-colour picture has 1 or 2.
int colourVariety(const QImage& image) {
  std::set<QRgb> colours;
  for (int y = 0; y < image.height(); y += std::max(1, image.height() / 60))
    for (int x = 0; x < image.width(); x += std::max(1, image.width() / 60)) colours.insert(image.pixel(x, y));
  return static_cast<int>(colours.size());
}

// Screenshots for eyeballing the views, when THOUGHTBENCH_SCREENSHOT_DIR is set.
void maybeSave(QWidget& w, const QString& name) {
  const QString dir = qEnvironmentVariable("THOUGHTBENCH_SCREENSHOT_DIR");
  if (!dir.isEmpty()) w.grab().save(QDir(dir).filePath(name));
}

}  // namespace

class TestTreeView : public QObject {
  Q_OBJECT

 private slots:
  // TreeLayout
  void layoutInvariantsRandom();
  void layoutCollapsedAndMasked();
  void layoutSmallShapes();
  void layoutLargeAndDeep();
  void randomTreeDeterministic();
  // Colour scale
  void colorScale();
  // TreePanel / TreeView / TreeInspector
  void panelShowsTree();
  void panelSelectionAndInspector();
  void panelIterationReplay();
  void panelSearch();
  void panelCollapse();
  void panelExport();
  void panelRefusesInvalidTree();
  void viewInteraction();
  void viewLargeTree();
  // TreeCompareView
  void compareHoldsTwoTrees();
};

// ---- TreeLayout ---------------------------------------------------------------------------------

void TestTreeView::layoutInvariantsRandom() {
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const ReasoningTree t = randomTree(200 + 250 * static_cast<int>(seed), seed);
    TreeLayoutOptions o;
    o.siblingSeparation = 1.0;
    o.subtreeSeparation = 1.0 + 0.25 * (seed % 3);
    o.levelSeparation = 2.5;
    const TreeLayoutResult r = layoutTree(t, o);
    checkLayout(t, o, r);
    QCOMPARE(r.visibleCount, t.size());
    QCOMPARE(r.x[0], 0.0);
  }
}

void TestTreeView::layoutCollapsedAndMasked() {
  const ReasoningTree t = randomTree(1500, 42);
  TreeLayoutOptions o;
  o.collapsed.assign(t.size(), false);
  for (int v = 3; v < t.size(); v += 13) o.collapsed[v] = true;
  const TreeLayoutResult r = layoutTree(t, o);
  checkLayout(t, o, r);
  // "+N": a collapsed visible node hides exactly its descendants.
  std::vector<int> subtree(t.size(), 1);
  for (int v = t.size() - 1; v > 0; --v) subtree[t.nodes[v].parent] += subtree[v];
  for (int v = 0; v < t.size(); ++v) {
    if (r.visible[v] && o.collapsed[v]) QCOMPARE(r.hiddenBelow[v], subtree[v] - 1);
    if (!o.collapsed[v]) QCOMPARE(r.hiddenBelow[v], 0);
  }
  QVERIFY(r.visibleCount < t.size());

  // The replay mask: only nodes created by the iteration are laid out.
  std::vector<bool> present;
  const int k = t.iterations() / 3;
  t.statsAt(k, &present);
  TreeLayoutOptions masked;
  masked.mask = present;
  const TreeLayoutResult m = layoutTree(t, masked);
  checkLayout(t, masked, m);
  for (int v = 0; v < t.size(); ++v) QCOMPARE(bool(m.visible[v]), t.nodes[v].createdAt <= k);
}

void TestTreeView::layoutSmallShapes() {
  ReasoningTree empty;
  QVERIFY(layoutTree(empty).empty());

  ReasoningTree single;
  single.addNode(TreeNode{});
  const TreeLayoutResult one = layoutTree(single);
  QCOMPARE(one.visibleCount, 1);
  QCOMPARE(one.x[0], 0.0);

  // A star: children evenly spaced, root in the middle.
  ReasoningTree star;
  star.addNode(TreeNode{});
  for (int i = 0; i < 5; ++i) {
    TreeNode c;
    c.parent = 0;
    star.addNode(c);
  }
  TreeLayoutOptions o;
  o.siblingSeparation = 2;
  const TreeLayoutResult s = layoutTree(star, o);
  checkLayout(star, o, s);
  for (int i = 2; i <= 5; ++i) QVERIFY(std::fabs(s.x[i] - s.x[i - 1] - 2) < 1e-9);
  QVERIFY(std::fabs(s.x[0] - (s.x[1] + s.x[5]) / 2) < 1e-9);

  // Collapsing the root hides everything else.
  o.collapsed = {true};
  const TreeLayoutResult c = layoutTree(star, o);
  QCOMPARE(c.visibleCount, 1);
  QCOMPARE(c.hiddenBelow[0], 5);
}

void TestTreeView::layoutLargeAndDeep() {
  const ReasoningTree big = randomTree(10000, 7);
  QCOMPARE(big.size(), 10000);
  TreeLayoutOptions o;
  o.subtreeSeparation = 1.2;
  TreeLayoutResult r = layoutTree(big, o);  // warm-up
  QElapsedTimer timer;
  timer.start();
  constexpr int kRuns = 5;
  for (int i = 0; i < kRuns; ++i) r = layoutTree(big, o);
  qInfo("layoutTree: 10,000 nodes (depth %d) in %.2f ms", big.maxDepth(), timer.nsecsElapsed() / 1e6 / kRuns);
  checkLayout(big, o, r);

  const ReasoningTree chain = chainTree(10000);
  timer.restart();
  const TreeLayoutResult c = layoutTree(chain);
  qInfo("layoutTree: 10,000-deep chain in %.2f ms", timer.nsecsElapsed() / 1e6);
  QCOMPARE(c.visibleCount, 10000);
  QCOMPARE(c.maxY, 9999.0);
  QCOMPARE(c.maxX - c.minX, 0.0);
}

void TestTreeView::randomTreeDeterministic() {
  const ReasoningTree a = randomTree(500, 11), b = randomTree(500, 11), c = randomTree(500, 12);
  a.validate();
  QCOMPARE(a.size(), 500);
  QVERIFY(a.iterations() >= 499);
  QVERIFY(!a.chosenPath.empty());
  bool same = true, different = false;
  for (int v = 0; v < a.size(); ++v) {
    same = same && a.nodes[v].parent == b.nodes[v].parent && a.nodes[v].step == b.nodes[v].step &&
           a.nodes[v].stats.visits == b.nodes[v].stats.visits;
    different = different || a.nodes[v].parent != c.nodes[v].parent || a.nodes[v].step != c.nodes[v].step;
  }
  QVERIFY(same);
  QVERIFY(different);
  QCOMPARE(randomTree(0, 1).size(), 1);
}

// ---- colour scale -------------------------------------------------------------------------------

void TestTreeView::colorScale() {
  const TreeColorScale q = TreeColorScale::fit(TreeMetric::Q, -0.5, 2.0);
  QCOMPARE(q.lo, -2.0);  // symmetric around 0
  QCOMPARE(q.hi, 2.0);
  QCOMPARE(q.position(0.0), 0.5);
  QVERIFY(q.color(-2).red() > q.color(-2).blue());  // negative: red
  QVERIFY(q.color(2).blue() > q.color(2).red());    // positive: blue
  const TreeColorScale v = TreeColorScale::fit(TreeMetric::Visits, 0, 100);
  QVERIFY(v.position(10) > 0.4);  // log scale
  QCOMPARE(v.position(100), 1.0);
  QCOMPARE(v.color(std::nan("")), TreeColorScale::missingColor());
  QCOMPARE(TreeColorScale::fit(TreeMetric::Q, 0, 0).hi, 1.0);  // degenerate range
}

// ---- TreePanel ----------------------------------------------------------------------------------

void TestTreeView::panelShowsTree() {
  TreePanel panel;
  panel.resize(1100, 700);
  panel.show();
  QVERIFY(!panel.hasTree());
  QVERIFY(!panel.iterationBar()->isVisibleTo(&panel));
  QVERIFY(panel.setTree(mctsTree()));
  QCOMPARE(panel.tree().size(), 7);
  const QString header = panel.headerLabel()->text();
  QVERIFY2(header.contains("mcts 7 sims") && header.contains("g24-7") && header.contains("7 nodes"), qPrintable(header));
  QVERIFY(header.contains("correct"));
  QVERIFY(panel.iterationBar()->isVisibleTo(&panel));
  QCOMPARE(panel.iterationSlider()->maximum(), 7);
  QCOMPARE(panel.iterationSlider()->value(), 7);
  QCOMPARE(panel.iterationLabel()->text(), QStringLiteral("iteration 7 / 7"));
  QCOMPARE(panel.view()->visibleNodeCount(), 7);
  // No log-flow in this tree: not offered.
  QCOMPARE(panel.colorCombo()->findText("log-flow"), -1);
  QVERIFY(panel.colorCombo()->findText("Q") >= 0);
  // Everything on screen after the fit, and the picture is not blank.
  for (int v = 0; v < 7; ++v) QVERIFY(QRectF(panel.view()->rect()).contains(panel.view()->nodeScreenPosition(v)));
  QVERIFY(colourVariety(grabOf(*panel.view())) > 8);
  maybeSave(panel, "tree_panel.png");

  // Colour by visits: the root (most visits) and a leaf differ.
  panel.colorCombo()->setCurrentIndex(panel.colorCombo()->findText("visits"));
  QCOMPARE(panel.view()->colorBy(), TreeMetric::Visits);
  QVERIFY(panel.view()->nodeColor(0) != panel.view()->nodeColor(4));
  QCOMPARE(panel.view()->metricValue(0), 7.0);

  // A tree without history hides the slider.
  ReasoningTree flat = mctsTree();
  flat.history.clear();
  QVERIFY(panel.setTree(flat));
  QVERIFY(!panel.iterationBar()->isVisibleTo(&panel));
  QCOMPARE(panel.view()->visibleNodeCount(), 7);
}

void TestTreeView::panelSelectionAndInspector() {
  TreePanel panel;
  panel.resize(1100, 700);
  panel.show();
  QVERIFY(panel.setTree(mctsTree()));
  QSignalSpy selected(&panel, &TreePanel::nodeSelected);
  TreeInspector* inspector = panel.inspector();
  QCOMPARE(inspector->node(), -1);

  panel.selectNode(0);
  QCOMPARE(selected.count(), 1);
  QCOMPARE(inspector->node(), 0);
  // Root's children ranked by visits: node 2 (5 visits) before node 1 (2 visits).
  QCOMPARE(inspector->rankedChildren(), (std::vector<int>{2, 1}));
  QTableWidget* table = inspector->childrenTable();
  QCOMPARE(table->rowCount(), 2);
  QVERIFY(table->item(0, 1)->text().contains("4 * 6 = 24"));
  QCOMPARE(table->item(0, 2)->text(), QStringLiteral("5"));

  // Clicking a child row selects the child in the view.
  QApplication::processEvents();
  const QRect cell = table->visualItemRect(table->item(0, 1));
  QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
  QCOMPARE(panel.selectedNode(), 2);
  QCOMPARE(inspector->stepText(), QStringLiteral("4 * 6 = 24"));
  QCOMPARE(inspector->stateText(), QStringLiteral("24 3 5"));
  QCOMPARE(inspector->rankedChildren(), (std::vector<int>{3, 5}));
  QVERIFY2(inspector->statisticsText().contains("visits N: 5"), qPrintable(inspector->statisticsText()));

  // Extra fields and terminal status are shown.
  panel.selectNode(1);
  QVERIFY(inspector->statisticsText().contains("tokens: 12"));
  QVERIFY(inspector->statisticsText().contains("note: expanded first"));
  panel.selectNode(6);
  QVERIFY(inspector->statisticsText().contains("terminal: yes, correct"));
  QVERIFY(inspector->rankedChildren().empty());
  maybeSave(panel, "tree_panel_selected.png");

  // Clicking a node on the canvas selects it.
  TreeView* view = panel.view();
  QTest::mouseClick(view, Qt::LeftButton, {}, view->nodeScreenPosition(4).toPoint());
  QCOMPARE(panel.selectedNode(), 4);
  QCOMPARE(view->nodeAt(view->nodeScreenPosition(5)), 5);
  QCOMPARE(view->nodeAt(QPointF(-50, -50)), -1);
}

void TestTreeView::panelIterationReplay() {
  TreePanel panel;
  panel.resize(1100, 700);
  panel.show();
  const ReasoningTree t = mctsTree();
  QVERIFY(panel.setTree(t));
  panel.selectNode(2);
  TreeView* view = panel.view();

  panel.iterationSlider()->setValue(3);
  QCOMPARE(view->iteration(), 3);
  QCOMPARE(panel.iterationLabel()->text(), QStringLiteral("iteration 3 / 7"));
  // Nodes created after iteration 3 are hidden.
  for (int v = 0; v < 7; ++v) QCOMPARE(view->isNodeVisible(v), t.nodes[v].createdAt <= 3);
  QCOMPARE(view->visibleNodeCount(), 4);
  // Statistics follow statsAt.
  const std::vector<NodeStats> expected = t.statsAt(3);
  for (int v = 0; v < 7; ++v) {
    QCOMPARE(view->currentStats()[v].visits, expected[v].visits);
    QCOMPARE(view->currentStats()[v].q, expected[v].q);
  }
  QCOMPARE(view->currentStats()[0].visits, 3);
  // The inspector shows the selected node as of iteration 3: 2 visits, one child so far.
  QVERIFY2(panel.inspector()->statisticsText().contains("visits N: 2"), qPrintable(panel.inspector()->statisticsText()));
  QCOMPARE(panel.inspector()->rankedChildren(), (std::vector<int>{3}));
  maybeSave(panel, "tree_panel_iteration3.png");

  panel.setIteration(0);
  QCOMPARE(view->visibleNodeCount(), 1);
  QCOMPARE(panel.iterationSlider()->value(), 0);
  panel.setIteration(99);  // clamped
  QCOMPARE(view->iteration(), 7);
  QCOMPARE(view->visibleNodeCount(), 7);
  QCOMPARE(view->currentStats()[6].visits, 2);

  // Play replays from the start and stops at the end.
  auto* play = panel.findChild<QToolButton*>("playButton");
  QVERIFY(play);
  QTest::mouseClick(play, Qt::LeftButton);
  QVERIFY(view->iteration() < 7);
  QTRY_COMPARE_WITH_TIMEOUT(view->iteration(), 7, 8000);
  QTest::qWait(50);
  QCOMPARE(view->iteration(), 7);
}

void TestTreeView::panelSearch() {
  TreePanel panel;
  panel.resize(1100, 700);
  panel.show();
  QVERIFY(panel.setTree(mctsTree()));
  TreeView* view = panel.view();
  QSignalSpy counts(view, &TreeView::searchMatchesChanged);

  panel.searchBox()->setText("5 - 3");
  QCOMPARE(view->matchCount(), 2);  // node 3's step and node 6's answer
  QCOMPARE(view->matches(), (std::vector<int>{3, 6}));
  QCOMPARE(panel.matchLabel()->text(), QStringLiteral("2 matches"));
  QVERIFY(counts.count() >= 1);
  QCOMPARE(counts.last().at(0).toInt(), 2);

  view->nextMatch();
  QCOMPARE(view->currentMatch(), 0);
  QCOMPARE(panel.selectedNode(), 3);
  QCOMPARE(panel.matchLabel()->text(), QStringLiteral("1 / 2"));
  view->nextMatch();
  QCOMPARE(panel.selectedNode(), 6);
  view->nextMatch();  // wraps
  QCOMPARE(panel.selectedNode(), 3);
  view->previousMatch();
  QCOMPARE(panel.selectedNode(), 6);
  maybeSave(panel, "tree_panel_search.png");

  // Case-insensitive, over step and state text.
  panel.searchBox()->setText("ANSWER");
  QCOMPARE(view->matchCount(), 1);
  panel.searchBox()->setText("24 1");  // node 5's state "24 15"
  QCOMPARE(view->matches(), (std::vector<int>{5}));
  panel.searchBox()->setText("no such text");
  QCOMPARE(view->matchCount(), 0);
  QCOMPARE(panel.matchLabel()->text(), QStringLiteral("no matches"));

  // Matches follow the replayed iteration.
  panel.searchBox()->setText("5 - 3");
  panel.setIteration(4);
  QCOMPARE(view->matchCount(), 1);
  panel.searchBox()->clear();
  QCOMPARE(view->matchCount(), 0);
  QVERIFY(panel.matchLabel()->text().isEmpty());
}

void TestTreeView::panelCollapse() {
  TreePanel panel;
  panel.resize(1100, 700);
  panel.show();
  QVERIFY(panel.setTree(mctsTree()));
  TreeView* view = panel.view();
  QSignalSpy changed(view, &TreeView::collapsedChanged);

  view->setCollapsed(2, true);
  QVERIFY(view->isCollapsed(2));
  QCOMPARE(changed.count(), 1);
  QCOMPARE(view->hiddenBelow(2), 3);
  for (int v : {3, 5, 6}) QVERIFY(!view->isNodeVisible(v));
  QCOMPARE(view->visibleNodeCount(), 4);
  view->setCollapsed(4, true);  // a leaf cannot collapse
  QVERIFY(!view->isCollapsed(4));

  // A double click on node 1 collapses it too.
  QTest::mouseDClick(view, Qt::LeftButton, {}, view->nodeScreenPosition(1).toPoint());
  QVERIFY(view->isCollapsed(1));
  QVERIFY(!view->isNodeVisible(4));
  QCOMPARE(view->hiddenBelow(1), 1);
  maybeSave(panel, "tree_panel_collapsed.png");

  // Selecting a hidden node reveals it.
  panel.selectNode(6);
  QVERIFY(view->isNodeVisible(6));
  QVERIFY(!view->isCollapsed(2));
  QVERIFY(view->isCollapsed(1));
  view->expandAll();
  QCOMPARE(view->visibleNodeCount(), 7);

  // Collapsing a replayed subtree counts only the nodes created so far.
  panel.setIteration(3);
  view->setCollapsed(2, true);
  QCOMPARE(view->hiddenBelow(2), 1);
  view->collapseBelowDepth(1);
  QVERIFY(view->isCollapsed(1) || view->tree()->nodes[1].children.empty());
  QVERIFY(view->isCollapsed(2));
}

void TestTreeView::panelExport() {
  TreePanel panel;
  panel.resize(1000, 640);
  panel.show();
  QString error;
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  QVERIFY(!panel.exportImage(dir.filePath("empty.png"), &error));  // nothing to export
  QVERIFY(!error.isEmpty());

  QVERIFY(panel.setTree(mctsTree()));
  panel.selectNode(3);
  const QString png = dir.filePath("tree.png");
  QVERIFY2(panel.exportImage(png, &error), qPrintable(error));
  QImage image(png);
  QVERIFY(!image.isNull());
  QVERIFY2(image.width() > 200 && image.height() > 200, qPrintable(QStringLiteral("%1x%2").arg(image.width()).arg(image.height())));
  QVERIFY(colourVariety(image) > 8);

  const QString svg = dir.filePath("tree.svg");
  QVERIFY2(panel.exportImage(svg, &error), qPrintable(error));
  QFile file(svg);
  QVERIFY(file.open(QIODevice::ReadOnly));
  const QByteArray content = file.readAll();
  QVERIFY(content.contains("<svg"));
  QVERIFY(content.contains("4 * 6 = 24"));  // labels are text, not pixels

  // The whole tree, not just the viewport: zoomed in, the export is unchanged in size.
  panel.view()->zoomBy(6.0);
  const QString zoomed = dir.filePath("zoomed.png");
  QVERIFY(panel.exportImage(zoomed, &error));
  QCOMPARE(QImage(zoomed).size(), image.size());

  error.clear();
  QVERIFY(!panel.exportImage(dir.filePath("tree.txt"), &error));
  QVERIFY(error.contains(".png"));
  error.clear();
  QVERIFY(!panel.exportImage(dir.filePath("missing/dir/tree.png"), &error));
  QVERIFY(!error.isEmpty());
  const QString saveDir = qEnvironmentVariable("THOUGHTBENCH_SCREENSHOT_DIR");
  if (!saveDir.isEmpty()) {
    QFile::remove(QDir(saveDir).filePath("tree_export.png"));
    QFile::copy(png, QDir(saveDir).filePath("tree_export.png"));
  }
}

void TestTreeView::panelRefusesInvalidTree() {
  TreePanel panel;
  ReasoningTree bad = mctsTree();
  bad.nodes[3].parent = 5;  // children lists disagree
  QVERIFY(!panel.setTree(bad));
  QVERIFY(!panel.errorString().isEmpty());
  QVERIFY(!panel.hasTree());
  QVERIFY(panel.headerLabel()->text().contains("node"));
  QVERIFY(panel.setTree(mctsTree()));
  QVERIFY(panel.errorString().isEmpty());
  QVERIFY(panel.setTree(ReasoningTree{}));  // empty: just cleared
  QVERIFY(!panel.hasTree());
}

void TestTreeView::viewInteraction() {
  TreeView view;
  view.resize(800, 600);
  view.show();
  view.setTree(randomTree(400, 5));
  QVERIFY(!view.isUserView());
  const double fit = view.zoom();
  QTest::keyClick(&view, Qt::Key_Plus);
  QVERIFY(view.zoom() > fit);
  QVERIFY(view.isUserView());
  QTest::keyClick(&view, Qt::Key_F);
  QVERIFY(!view.isUserView());
  QCOMPARE(view.zoom(), fit);

  // Wheel zoom keeps the point under the cursor fixed.
  const QPointF at = view.nodeScreenPosition(0);
  QWheelEvent wheel(at, view.mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(&view, &wheel);
  QVERIFY(view.zoom() > fit);
  QVERIFY((view.nodeScreenPosition(0) - at).manhattanLength() < 1.0);

  // Arrow keys and drags pan.
  const QPointF before = view.nodeScreenPosition(0);
  QTest::keyClick(&view, Qt::Key_Left);
  QVERIFY(view.nodeScreenPosition(0).x() > before.x());
  const QPointF start(5, 5);
  QTest::mousePress(&view, Qt::LeftButton, {}, start.toPoint());
  QMouseEvent move(QEvent::MouseMove, QPointF(65, 45), view.mapToGlobal(QPointF(65, 45)), Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&view, &move);
  QTest::mouseRelease(&view, Qt::LeftButton, {}, QPoint(65, 45));
  const QPointF moved = view.nodeScreenPosition(0);
  QTest::keyClick(&view, Qt::Key_0);
  QVERIFY((moved - view.nodeScreenPosition(0)).manhattanLength() > 10);

  // Centre on a selected node far away; Space collapses it.
  const int deep = view.tree()->chosenPath.at(2);
  view.zoomBy(4.0);
  view.centerOn(deep);
  QVERIFY((view.nodeScreenPosition(deep) - QRectF(view.rect()).center()).manhattanLength() < 1.0);
  view.selectNode(deep);
  QTest::keyClick(&view, Qt::Key_Space);
  QVERIFY(view.isCollapsed(deep));
  QTest::keyClick(&view, Qt::Key_Escape);
  QCOMPARE(view.selectedNode(), -1);

  view.setSizeByVisits(false);
  QVERIFY(colourVariety(grabOf(view)) > 4);
  view.clear();
  QVERIFY(!view.hasTree());
  QCOMPARE(view.nodeAt(QPointF(10, 10)), -1);
  QVERIFY(!view.exportImage("/tmp/never.png"));
  grabOf(view);  // paints the placeholder without a tree
}

void TestTreeView::viewLargeTree() {
  TreePanel panel;
  panel.resize(1200, 800);
  panel.show();
  const ReasoningTree big = randomTree(10000, 3);
  QElapsedTimer timer;
  timer.start();
  QVERIFY(panel.setTree(big));
  qInfo("TreePanel::setTree: 10,000 nodes in %lld ms", timer.elapsed());
  TreeView* view = panel.view();
  QCOMPARE(view->visibleNodeCount(), 10000);
  timer.restart();
  grabOf(*view);
  qInfo("TreeView paint, 10,000 nodes fitted: %lld ms", timer.elapsed());
  maybeSave(panel, "tree_panel_10k.png");
  view->zoomBy(40.0, QPointF(view->width() / 2.0, 80));
  timer.restart();
  constexpr int kFrames = 10;
  for (int i = 0; i < kFrames; ++i) {
    view->panBy(QPointF(37, 3));
    grabOf(*view);
  }
  qInfo("TreeView pan, 10,000 nodes zoomed in: %.1f ms a frame", timer.elapsed() / double(kFrames));
  maybeSave(panel, "tree_panel_10k_zoomed.png");
  // Close enough to read the step texts: labels for every node on screen.
  view->selectNode(big.chosenPath.at(big.chosenPath.size() / 2));
  view->zoomBy(1.0 / view->zoom());
  view->centerOn(view->selectedNode());
  timer.restart();
  for (int i = 0; i < kFrames; ++i) {
    view->panBy(QPointF(-23, 2));
    grabOf(*view);
  }
  qInfo("TreeView pan, 10,000 nodes at zoom 1 with labels: %.1f ms a frame", timer.elapsed() / double(kFrames));
  maybeSave(panel, "tree_panel_10k_labels.png");
  timer.restart();
  panel.iterationSlider()->setValue(big.iterations() / 2);
  qInfo("TreeView replay step, 10,000 nodes: %lld ms", timer.elapsed());
  QVERIFY(view->visibleNodeCount() < 10000);
  QTemporaryDir dir;
  timer.restart();
  QString error;
  QVERIFY2(panel.exportImage(dir.filePath("big.png"), &error), qPrintable(error));
  qInfo("TreeView export PNG, 10,000 nodes: %lld ms", timer.elapsed());
}

// ---- TreeCompareView ----------------------------------------------------------------------------

void TestTreeView::compareHoldsTwoTrees() {
  TreeCompareView compare;
  compare.resize(1400, 700);
  compare.show();
  ReasoningTree beam = randomTree(60, 9);
  beam.kind = "beam";
  beam.label = "beam search, width 3";
  beam.history.clear();
  QVERIFY(compare.setTrees(mctsTree(), beam));
  QCOMPARE(compare.leftPanel()->tree().size(), 7);
  QCOMPARE(compare.rightPanel()->tree().size(), 60);
  QVERIFY(compare.summaryLabel()->text().contains("7 nodes"));
  QVERIFY(compare.summaryLabel()->text().contains("60 nodes"));
  QVERIFY(compare.leftPanel()->iterationBar()->isVisibleTo(&compare));
  QVERIFY(!compare.rightPanel()->iterationBar()->isVisibleTo(&compare));

  // Synchronised colour metric and search text, both ways.
  QVERIFY(compare.isSynchronized());
  compare.leftPanel()->setColorBy(TreeMetric::Visits);
  QCOMPARE(compare.rightPanel()->colorBy(), TreeMetric::Visits);
  compare.rightPanel()->searchBox()->setText("3");
  QCOMPARE(compare.leftPanel()->searchText(), QStringLiteral("3"));
  QVERIFY(compare.leftPanel()->view()->matchCount() > 0);
  maybeSave(compare, "tree_compare.png");
  compare.setSynchronized(false);
  compare.leftPanel()->setColorBy(TreeMetric::Reward);
  QCOMPARE(compare.rightPanel()->colorBy(), TreeMetric::Visits);

  // Selections stay independent.
  compare.leftPanel()->selectNode(2);
  QCOMPARE(compare.rightPanel()->selectedNode(), -1);
  compare.clear();
  QVERIFY(!compare.leftPanel()->hasTree() && !compare.rightPanel()->hasTree());
}

QTEST_MAIN(TestTreeView)
#include "test_tree_view.moc"
