// TokenStrip: layout, painting, selection and export of the completion text. See TokenStrip.h.
#include "widgets/TokenStrip.h"
#include "widgets/ImageExport.h"

#include <QFontMetricsF>
#include <QHash>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QLinearGradient>
#include <QMouseEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/AttentionImage.h"

namespace tb {

namespace palette = attention_palette;

namespace {

constexpr double kMargin = 10, kPadX = 0.75, kMinBox = 6, kStripe = 4, kStripeGap = 1, kLineGap = 8;
constexpr double kExportWidth = 960;
const QColor kStripeEmpty(0xee, 0xf0, 0xf3);

double level(const std::vector<double>& values, double lo, double hi, int k) {
  if (k < 0 || k >= static_cast<int>(values.size()) || !std::isfinite(values[k])) return std::numeric_limits<double>::quiet_NaN();
  return hi > lo ? std::clamp((values[k] - lo) / (hi - lo), 0.0, 1.0) : 0.5;
}

void range(const std::vector<double>& values, double* lo, double* hi) {
  *lo = std::numeric_limits<double>::infinity();
  *hi = -std::numeric_limits<double>::infinity();
  for (double v : values)
    if (std::isfinite(v)) {
      *lo = std::min(*lo, v);
      *hi = std::max(*hi, v);
    }
  if (!std::isfinite(*lo)) *lo = *hi = 0;
}

QString formatMetric(double v) {
  if (!std::isfinite(v)) return QStringLiteral("—");
  if (std::fabs(v) >= 100) return QString::number(v, 'f', 1);
  if (std::fabs(v) >= 0.01 || v == 0) return QString::number(v, 'f', 3);
  return QString::number(v, 'g', 2);
}

}  // namespace

TokenStrip::TokenStrip(QWidget* parent) : QAbstractScrollArea(parent) {
  setObjectName(QStringLiteral("tokenStrip"));
  setFocusPolicy(Qt::StrongFocus);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  setFrameShape(QFrame::NoFrame);
  viewport()->setMouseTracking(true);
  viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
}

TokenStrip::~TokenStrip() = default;

QFont TokenStrip::tokenFont() const {
  QFont f = font();
  f.setPixelSize(13);
  return f;
}

void TokenStrip::clear() {
  labels_.clear();
  display_.clear();
  breakAfter_.clear();
  special_.clear();
  promptLength_ = 0;
  waad_.clear();
  fai_.clear();
  anchor_.clear();
  preplan_.clear();
  problem_.clear();
  selected_ = hovered_ = -1;
  relayout();
}

void TokenStrip::setSample(const AttentionSample& sample) {
  labels_.clear();
  for (const auto& token : sample.tokens) labels_ << QString::fromStdString(token);
  promptLength_ = std::clamp(sample.promptLength, 0, static_cast<int>(labels_.size()));
  problem_ = QString::fromStdString(sample.problemId);
  const int n = completionLength();
  display_.assign(labels_.size(), QString());
  breakAfter_.assign(labels_.size(), false);
  special_.assign(labels_.size(), false);
  for (int t = 0; t < labels_.size(); ++t) {
    QString text = labels_[t];
    const bool newline = text.contains(QLatin1Char('\n')) || text.contains(QChar(0x23ce));
    text.replace(QLatin1Char('\n'), QChar(0x23ce)).replace(QLatin1Char('\t'), QChar(0x21e5)).replace(QChar(0x2423), QLatin1Char(' '));
    display_[t] = text;
    breakAfter_[t] = newline;
    special_[t] = text.size() > 2 && text.startsWith(QLatin1Char('<')) && text.endsWith(QLatin1Char('>'));
  }
  waad_ = sample.waad;
  fai_ = sample.fai;
  range(waad_, &waadLo_, &waadHi_);
  range(fai_, &faiLo_, &faiHi_);
  anchor_.assign(n, false);
  preplan_.assign(n, false);
  for (int k : sample.anchors)
    if (k >= 0 && k < n) anchor_[k] = true;
  for (int k : sample.preplan)
    if (k >= 0 && k < n) preplan_[k] = true;
  selected_ = hovered_ = -1;
  verticalScrollBar()->setValue(0);
  relayout();
}

double TokenStrip::waadLevel(int t) const { return level(waad_, waadLo_, waadHi_, t - promptLength_); }
double TokenStrip::faiLevel(int t) const { return level(fai_, faiLo_, faiHi_, t - promptLength_); }

bool TokenStrip::isAnchor(int t) const {
  const int k = t - promptLength_;
  return k >= 0 && k < static_cast<int>(anchor_.size()) && anchor_[k];
}

bool TokenStrip::isPreplan(int t) const {
  const int k = t - promptLength_;
  return k >= 0 && k < static_cast<int>(preplan_.size()) && preplan_[k];
}

QString TokenStrip::displayText(int t) const { return t >= 0 && t < static_cast<int>(display_.size()) ? display_[t] : QString(); }

QString TokenStrip::tokenToolTip(int t) const {
  const int k = t - promptLength_;
  if (k < 0 || k >= completionLength()) return {};
  QString text = tr("<b>'%1'</b> token %2 · completion token %3").arg(labels_[t].toHtmlEscaped()).arg(t).arg(k);
  if (k < static_cast<int>(waad_.size())) text += tr("<br>WAAD %1 (%2 of the completion's range)").arg(formatMetric(waad_[k])).arg(waadLevel(t), 0, 'f', 2);
  if (k < static_cast<int>(fai_.size())) text += tr("<br>FAI %1 (%2 of the completion's range)").arg(formatMetric(fai_[k])).arg(faiLevel(t), 0, 'f', 2);
  if (isPreplan(t)) text += tr("<br><span style='color:#0d9488'>preplan token: one of the largest WAAD changes</span>");
  if (isAnchor(t)) text += tr("<br><span style='color:#7c3aed'>anchor token: one of the largest FAI</span>");
  return text;
}

// ---- layout -------------------------------------------------------------------------------------

double TokenStrip::legend(QPainter* p, const QPointF& origin, double width) const {
  QFont small = font();
  small.setPixelSize(10);
  const QFontMetricsF fm(small);
  const double rowHeight = 18;
  double x = origin.x(), y = origin.y();
  if (p) p->setFont(small);
  // A key is a small swatch (a stripe or a box) and its text; keys wrap as words do.
  auto key = [&](int kind, const QColor& color, const QString& text) {
    const double w = (kind == 0 ? 18 : 12) + 5 + fm.horizontalAdvance(text) + 14;
    if (x + w > origin.x() + width && x > origin.x()) {
      x = origin.x();
      y += rowHeight;
    }
    if (p) {
      const double cy = y + rowHeight / 2;
      p->setRenderHint(QPainter::Antialiasing, true);
      if (kind == 0) {  // stripe: light to dark
        QLinearGradient gradient(QPointF(x, 0), QPointF(x + 18, 0));
        gradient.setColorAt(0, kStripeEmpty);
        gradient.setColorAt(1, color);
        p->fillRect(QRectF(x, cy - 2, 18, kStripe), gradient);
      } else if (kind == 1) {  // box
        p->setPen(QPen(color, kind == 1 && color == palette::select() ? 2 : 1));
        p->setBrush(color == palette::anchor() ? palette::anchorFill() : color == palette::preplan() ? palette::preplanFill() : palette::selectFill());
        p->drawRoundedRect(QRectF(x + 0.5, cy - 6, 11, 12), 2.5, 2.5);
      }
      p->setPen(kind == 2 ? palette::muted() : palette::text());
      p->drawText(QPointF(x + (kind == 0 ? 23 : kind == 1 ? 17 : 0), cy + 3.5), text);
    }
    x += kind == 2 ? fm.horizontalAdvance(text) + 14 : w;
  };
  const bool hasWaad = !waad_.empty(), hasFai = !fai_.empty();
  if (hasWaad) key(0, palette::waad(), tr("WAAD"));
  if (hasFai) key(0, palette::fai(), tr("FAI"));
  if (hasWaad || hasFai) key(2, QColor(), tr("(darker: larger, min to max over the completion)"));
  else key(2, QColor(), tr("no WAAD / FAI in this sample"));
  if (std::find(preplan_.begin(), preplan_.end(), true) != preplan_.end()) key(1, palette::preplan(), tr("preplan"));
  if (std::find(anchor_.begin(), anchor_.end(), true) != anchor_.end()) key(1, palette::anchor(), tr("anchor"));
  key(1, palette::select(), tr("selected"));
  return y + rowHeight - origin.y();
}

TokenStrip::Layout TokenStrip::layoutFor(double width, const QString& title) const {
  Layout out;
  out.width = width;
  if (!hasTokens()) return out;
  const QFontMetricsF fm(tokenFont());
  const double boxHeight = std::ceil(fm.height()) + 2;
  const double lineHeight = boxHeight + 2 + 2 * kStripe + kStripeGap + kLineGap;
  double y = kMargin;
  if (!title.isEmpty()) y += 20;
  y += legend(nullptr, QPointF(kMargin, y), width - 2 * kMargin) + 6;
  out.top = y;
  const double right = width - kMargin;
  double x = kMargin;
  out.lines = 1;
  QHash<QString, double> advance;  // tokens repeat: measure each text once
  out.boxes.reserve(completionLength());
  for (int t = promptLength_; t < tokenCount(); ++t) {
    auto it = advance.find(display_[t]);
    if (it == advance.end()) it = advance.insert(display_[t], fm.horizontalAdvance(display_[t]));
    const double w = std::max(kMinBox, std::min(*it, right - kMargin) + 2 * kPadX);
    if (x + w > right && x > kMargin) {
      x = kMargin;
      y += lineHeight;
      ++out.lines;
    }
    out.boxes.emplace_back(x, y, w, boxHeight);
    x += w;
    if (breakAfter_[t] && t + 1 < tokenCount()) {
      x = kMargin;
      y += lineHeight;
      ++out.lines;
    }
  }
  out.height = y + lineHeight - kLineGap + kMargin;
  return out;
}

void TokenStrip::relayout() {
  layout_ = layoutFor(viewport()->width(), QString());
  updateScrollBar();
  viewport()->update();
}

void TokenStrip::updateScrollBar() {
  QScrollBar* bar = verticalScrollBar();
  bar->setRange(0, std::max(0, static_cast<int>(std::ceil(layout_.height)) - viewport()->height()));
  bar->setPageStep(viewport()->height());
  bar->setSingleStep(24);
}

QRectF TokenStrip::tokenRect(int t) const {
  const int k = t - promptLength_;
  if (k < 0 || k >= static_cast<int>(layout_.boxes.size())) return {};
  return layout_.boxes[k].translated(0, -verticalScrollBar()->value());
}

int TokenStrip::tokenAt(const QPointF& pos) const {
  const QPointF content = pos + QPointF(0, verticalScrollBar()->value());
  const auto& boxes = layout_.boxes;
  // Boxes are in reading order: find the line, then the token on it.
  auto it = std::lower_bound(boxes.begin(), boxes.end(), content.y(), [](const QRectF& r, double y) { return r.top() + r.height() + 2 * kStripe + 3 < y; });
  for (; it != boxes.end() && it->top() <= content.y(); ++it) {
    const QRectF hit = it->adjusted(0, 0, 0, 2 * kStripe + 3);
    if (hit.contains(content)) return promptLength_ + static_cast<int>(it - boxes.begin());
  }
  return -1;
}

void TokenStrip::ensureVisible(int t) {
  const int k = t - promptLength_;
  if (k < 0 || k >= static_cast<int>(layout_.boxes.size())) return;
  const QRectF box = layout_.boxes[k];
  QScrollBar* bar = verticalScrollBar();
  const double top = box.top() - 6, bottom = box.bottom() + 2 * kStripe + 8;
  if (top < bar->value()) bar->setValue(static_cast<int>(top));
  else if (bottom > bar->value() + viewport()->height()) bar->setValue(static_cast<int>(std::ceil(bottom - viewport()->height())));
}

// ---- selection ----------------------------------------------------------------------------------

void TokenStrip::setSelectedToken(int t) {
  if (t < 0 || t >= tokenCount()) t = -1;
  if (t == selected_) return;
  selected_ = t;
  ensureVisible(t);
  viewport()->update();
}

void TokenStrip::selectAndNotify(int t) {
  if (t < 0 || t == selected_) return;
  setSelectedToken(t);
  emit tokenSelected(t);
}

// ---- painting -----------------------------------------------------------------------------------

void TokenStrip::paintContent(QPainter& p, const Layout& layout, const QRectF& visible, const QString& title, bool exporting) const {
  p.fillRect(visible, exporting ? QColor(Qt::white) : palette::canvas());
  double y = kMargin;
  if (!title.isEmpty()) {
    QFont heading = font();
    heading.setPixelSize(12);
    heading.setWeight(QFont::DemiBold);
    p.setFont(heading);
    p.setPen(palette::text());
    p.drawText(QRectF(kMargin, y, layout.width - 2 * kMargin, 16), Qt::AlignLeft | Qt::AlignVCenter, title);
    y += 20;
  }
  if (!hasTokens()) {
    p.setPen(palette::muted());
    p.drawText(visible, Qt::AlignCenter, tr("No completion to show"));
    return;
  }
  if (visible.top() < layout.top) legend(&p, QPointF(kMargin, y), layout.width - 2 * kMargin);

  const QFont normal = tokenFont();
  QFont bold = normal;
  bold.setWeight(QFont::DemiBold);
  QFont specialFont = normal;
  specialFont.setPixelSize(10);
  p.setRenderHint(QPainter::Antialiasing, true);
  for (size_t k = 0; k < layout.boxes.size(); ++k) {
    const QRectF& box = layout.boxes[k];
    if (box.bottom() + 2 * kStripe + 4 < visible.top()) continue;
    if (box.top() > visible.bottom()) break;
    const int t = promptLength_ + static_cast<int>(k);
    const bool anchor = anchor_[k], preplan = preplan_[k], selected = t == selected_;
    // Box: selection over anchor over preplan; a token both anchor and preplan keeps both colours.
    if (selected || anchor || preplan || (t == hovered_ && !exporting)) {
      QColor fill = selected ? palette::selectFill() : anchor ? palette::anchorFill() : preplan ? palette::preplanFill() : QColor(0, 0, 0, 18);
      QPen pen = Qt::NoPen;
      if (selected) pen = QPen(palette::select(), 2);
      else if (anchor) pen = QPen(preplan ? palette::preplan() : palette::anchor(), preplan ? 2 : 1);
      else if (preplan) pen = QPen(palette::preplan(), 1);
      p.setPen(pen);
      p.setBrush(fill);
      p.drawRoundedRect(box.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);
    }
    const bool special = special_[t];
    p.setFont(special ? specialFont : selected ? bold : normal);
    p.setPen(special || breakAfter_[t] ? palette::muted() : palette::text());
    p.drawText(box, Qt::AlignCenter, display_[t]);
    // Stripes: WAAD, then FAI; 1 pixel apart from the neighbours so token boundaries show.
    const QRectF stripe(box.left() + 0.5, box.bottom() + 2, box.width() - 1, kStripe);
    if (!waad_.empty()) p.fillRect(stripe, palette::blend(kStripeEmpty, palette::waad(), waadLevel(t)));
    if (!fai_.empty()) p.fillRect(stripe.translated(0, kStripe + kStripeGap), palette::blend(kStripeEmpty, palette::fai(), faiLevel(t)));
  }
}

void TokenStrip::paintEvent(QPaintEvent*) {
  QPainter p(viewport());
  const double scroll = verticalScrollBar()->value();
  p.translate(0, -scroll);
  paintContent(p, layout_, QRectF(0, scroll, viewport()->width(), viewport()->height()), QString(), false);
}

void TokenStrip::resizeEvent(QResizeEvent* event) {
  QAbstractScrollArea::resizeEvent(event);
  const int keep = selected_;
  relayout();
  if (keep >= 0) ensureVisible(keep);
}

void TokenStrip::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  setFocus(Qt::MouseFocusReason);
  selectAndNotify(tokenAt(event->position()));
}

void TokenStrip::mouseMoveEvent(QMouseEvent* event) {
  const int t = tokenAt(event->position());
  if (t == hovered_) return;
  hovered_ = t;
  viewport()->setCursor(t >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
  viewport()->update();
}

void TokenStrip::keyPressEvent(QKeyEvent* event) {
  if (!hasTokens() || (event->key() != Qt::Key_Left && event->key() != Qt::Key_Right)) {
    QAbstractScrollArea::keyPressEvent(event);
    return;
  }
  const int first = promptLength_, last = tokenCount() - 1;
  const int current = selected_ < first ? (event->key() == Qt::Key_Left ? last + 1 : first - 1) : selected_;
  selectAndNotify(std::clamp(current + (event->key() == Qt::Key_Left ? -1 : 1), first, last));
}

void TokenStrip::leaveEvent(QEvent* event) {
  QAbstractScrollArea::leaveEvent(event);
  if (hovered_ >= 0) {
    hovered_ = -1;
    viewport()->update();
  }
}

bool TokenStrip::viewportEvent(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    auto* help = static_cast<QHelpEvent*>(event);
    const int t = tokenAt(help->pos());
    if (t >= 0) {
      QToolTip::showText(help->globalPos(), tokenToolTip(t), viewport());
    } else {
      QToolTip::hideText();
      event->ignore();
    }
    return true;
  }
  return QAbstractScrollArea::viewportEvent(event);
}

// ---- export -------------------------------------------------------------------------------------

bool TokenStrip::exportImage(const QString& path, QString* error) const {
  auto fail = [error](const QString& message) {
    if (error) *error = message;
    return false;
  };
  if (!hasTokens()) return fail(tr("There is no completion to export."));
  if (imageKindOf(path) == ImageKind::Unknown) return fail(unknownImageKindMessage(path));
  const QString title = (problem_.isEmpty() ? QString() : problem_ + QStringLiteral(" · ")) +
                        tr("completion, %1 tokens, with WAAD and FAI per token").arg(completionLength());
  const Layout layout = layoutFor(kExportWidth, title);
  const int w = static_cast<int>(kExportWidth), h = static_cast<int>(std::ceil(layout.height));
  const QRectF all(0, 0, w, h);

  const int dpr = 2.0 * w * 2.0 * h <= 40e6 ? 2 : 1;
  return writePainting(path, QSize(w, h), dpr, title, tr("Completion tokens with WAAD and FAI, exported by Thoughtbench"),
                       [&](QPainter& p) { paintContent(p, layout, all, title, true); }, error);
}

}  // namespace tb
