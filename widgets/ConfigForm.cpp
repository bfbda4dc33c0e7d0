// ConfigForm: generated settings form with sections, filter, changed-value marking, inline errors
// and scientific-notation float editors. See ConfigForm.h.
#include "widgets/ConfigForm.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QDoubleSpinBox>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QHash>
#include <QRegularExpression>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

namespace tb {

namespace {

// The default chooser of file and folder fields: a file dialog that starts where the value points.
QString choosePathWithDialog(QWidget* parent, const FormField& field, const QString& current) {
  const QString title = QObject::tr("%1: %2").arg(ConfigForm::labelFor(field.key),
                                                  field.browse == FormField::Browse::Folder ? QObject::tr("choose a folder")
                                                                                            : QObject::tr("choose a file"));
  if (field.browse == FormField::Browse::Folder)
    return QFileDialog::getExistingDirectory(parent, title, current.isEmpty() ? QDir::homePath() : current);
  const QString start = current.isEmpty() ? QDir::homePath() : QFileInfo(current).absoluteFilePath();
  const QString filter = field.browseFilter.isEmpty() ? QString() : field.browseFilter + QStringLiteral(";;All files (*)");
  return QFileDialog::getOpenFileName(parent, title, start, filter);
}

const QColor kErrorColor(0xc6, 0x28, 0x28);
const QColor kErrorBase(0xfd, 0xec, 0xea);
const QColor kMutedColor(0x6b, 0x70, 0x7a);

// Editors inside a scroll area must not eat the wheel while the user scrolls past them: they only
// react to the wheel once focused (clicked or tabbed into).
template <class Base>
class WheelGuard : public Base {
 public:
  using Base::Base;

 protected:
  void wheelEvent(QWheelEvent* event) override {
    if (!this->hasFocus()) {
      event->ignore();
      return;
    }
    Base::wheelEvent(event);
  }
};

using IntSpinBox = WheelGuard<QSpinBox>;
using ChoiceBox = WheelGuard<QComboBox>;

double roundSignificant(double v, int digits) {
  if (v == 0.0 || !std::isfinite(v)) return v;
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
  return std::strtod(std::string(buf, size_t(n)).c_str(), nullptr);
}

// A double spin box that shows and accepts the shortest exact text of a value, including
// scientific notation (3e-4), so learning rates survive a round trip unchanged.
class ScientificSpinBox : public WheelGuard<QDoubleSpinBox> {
 public:
  explicit ScientificSpinBox(QWidget* parent = nullptr) : WheelGuard<QDoubleSpinBox>(parent) {
    setDecimals(323);  // QDoubleSpinBox rounds to `decimals`: keep every bit of the double
  }

  QString textFromValue(double value) const override { return ConfigForm::formatDouble(value); }

  double valueFromText(const QString& text) const override {
    bool ok = false;
    const double v = QLocale::c().toDouble(text.trimmed(), &ok);
    return ok ? v : value();
  }

  QValidator::State validate(QString& text, int&) const override {
    const QString t = text.trimmed();
    static const QRegularExpression partial(QStringLiteral("^[+-]?(\\d+\\.?\\d*|\\.\\d*)?([eE][+-]?\\d*)?$"));
    if (!partial.match(t).hasMatch()) return QValidator::Invalid;
    bool ok = false;
    const double v = QLocale::c().toDouble(t, &ok);
    if (!ok || !std::isfinite(v)) return QValidator::Intermediate;
    if (v < minimum() || v > maximum()) return QValidator::Intermediate;
    return QValidator::Acceptable;
  }

  void stepBy(int steps) override {
    double v = roundSignificant(value() + steps * singleStep(), 12);
    if (std::fabs(v) < singleStep() * 1e-9) v = 0.0;
    setValue(std::clamp(v, minimum(), maximum()));
  }
};

// A step that moves the leading digit's neighbour: 0.7 -> 0.01, 3e-4 -> 1e-5, 128 -> 10.
double stepFor(double defaultValue, std::optional<double> min, std::optional<double> max) {
  double ref = std::fabs(defaultValue);
  if (ref == 0.0 && min && max && *max > *min) ref = (*max - *min) / 10.0;
  if (ref == 0.0 || !std::isfinite(ref)) return 0.1;
  return std::pow(10.0, std::floor(std::log10(ref)) - 1.0);
}

}  // namespace

struct ConfigForm::Section {
  QString name;
  QWidget* box = nullptr;
  QToolButton* header = nullptr;
  QWidget* body = nullptr;
  QVBoxLayout* bodyLayout = nullptr;
  bool expanded = true;
  bool anyShown = true;
};

struct ConfigForm::Entry {
  FormField field;
  Section* section = nullptr;
  QWidget* row = nullptr;
  QLabel* label = nullptr;
  QWidget* editor = nullptr;
  QToolButton* reset = nullptr;
  QLabel* error = nullptr;
  QPalette normalPalette;
  QPalette labelPalette;
  QString errorText;
  bool shown = true;
  bool applies = true;
};

ConfigForm::ConfigForm(QWidget* parent) : QWidget(parent), pathChooser_(choosePathWithDialog) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(6);

  auto* bar = new QHBoxLayout;
  bar->setContentsMargins(0, 0, 0, 0);
  bar->setSpacing(8);
  filter_ = new QLineEdit(this);
  filter_->setObjectName(QStringLiteral("filter"));
  filter_->setPlaceholderText(tr("Filter settings…"));
  filter_->setClearButtonEnabled(true);
  filter_->setToolTip(tr("Show only settings whose name or description contains these words"));
  connect(filter_, &QLineEdit::textChanged, this, [this] { applyFilter(); });
  bar->addWidget(filter_, 1);
  summary_ = new QLabel(this);
  QPalette mutedPal = summary_->palette();
  mutedPal.setColor(QPalette::WindowText, kMutedColor);
  summary_->setPalette(mutedPal);
  bar->addWidget(summary_);
  resetAll_ = new QToolButton(this);
  resetAll_->setText(tr("Reset all"));
  resetAll_->setToolTip(tr("Reset every setting to its default"));
  resetAll_->setEnabled(false);
  connect(resetAll_, &QToolButton::clicked, this, [this] {
    if (changedKeys().isEmpty()) return;
    resetToDefaults();
    emit valuesChanged();
  });
  bar->addWidget(resetAll_);
  layout->addLayout(bar);

  readOnlyBanner_ = new QLabel(tr("Read-only while a run is training."), this);
  readOnlyBanner_->setStyleSheet(QStringLiteral(
      "QLabel { background: #fff4e0; color: #7a4a00; border: 1px solid #f0d39c;"
      " border-radius: 4px; padding: 4px 8px; }"));
  readOnlyBanner_->setVisible(false);
  layout->addWidget(readOnlyBanner_);

  scroll_ = new QScrollArea(this);
  scroll_->setWidgetResizable(true);
  scroll_->setFrameShape(QFrame::NoFrame);
  scroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  content_ = new QWidget;
  contentLayout_ = new QVBoxLayout(content_);
  contentLayout_->setContentsMargins(2, 2, 8, 8);
  contentLayout_->setSpacing(10);
  noMatch_ = new QLabel(content_);
  noMatch_->setAlignment(Qt::AlignCenter);
  noMatch_->setPalette(mutedPal);
  noMatch_->setContentsMargins(0, 24, 0, 0);
  noMatch_->setVisible(false);
  contentLayout_->addWidget(noMatch_);
  contentLayout_->addStretch(1);
  scroll_->setWidget(content_);
  layout->addWidget(scroll_, 1);
  refreshSummary();
}

ConfigForm::~ConfigForm() = default;

QString ConfigForm::labelFor(const QString& key) {
  QString rest = key.section(QLatin1Char('.'), 1);
  if (rest.isEmpty()) rest = key;
  static const QRegularExpression camel(QStringLiteral("([a-z0-9])([A-Z])"));
  rest.replace(camel, QStringLiteral("\\1 \\2"));
  for (QChar c : {QLatin1Char('.'), QLatin1Char('_'), QLatin1Char('-')}) rest.replace(c, QLatin1Char(' '));
  static const QStringList acronyms{
      QStringLiteral("kl"),  QStringLiteral("lr"),  QStringLiteral("ema"), QStringLiteral("gpu"),
      QStringLiteral("cpu"), QStringLiteral("id"),  QStringLiteral("ppo"), QStringLiteral("grpo"),
      QStringLiteral("rl"),  QStringLiteral("kv"),  QStringLiteral("mlp"), QStringLiteral("eos"),
      QStringLiteral("bos"), QStringLiteral("rng"), QStringLiteral("cuda"), QStringLiteral("hf")};
  // Names with their own capitalisation.
  static const QHash<QString, QString> spelled{{QStringLiteral("lora"), QStringLiteral("LoRA")}};
  QStringList words = rest.split(QLatin1Char(' '), Qt::SkipEmptyParts);
  for (QString& w : words) {
    const QString lower = w.toLower();
    w = spelled.contains(lower) ? spelled.value(lower) : acronyms.contains(lower) ? lower.toUpper() : lower;
  }
  if (words.isEmpty()) return key;
  QString& first = words.first();
  first[0] = first[0].toUpper();
  return words.join(QLatin1Char(' '));
}

QString ConfigForm::formatDouble(double v) {
  if (std::isnan(v)) return QStringLiteral("nan");
  if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
  if (v == 0.0) return QStringLiteral("0");
  char buf[64];
  const double a = std::fabs(v);
  const auto fmt = (a >= 1e-3 && a < 1e9) ? std::chars_format::fixed : std::chars_format::scientific;
  const auto res = std::to_chars(buf, buf + sizeof buf, v, fmt);
  QString s = QString::fromLatin1(buf, int(res.ptr - buf));
  const int e = s.indexOf(QLatin1Char('e'));
  if (e >= 0) s = s.left(e) + QLatin1Char('e') + QString::number(s.mid(e + 1).toInt());
  return s;
}

namespace {

QVariant coerce(FormField::Kind kind, const QVariant& v, const FormField& f) {
  switch (kind) {
    case FormField::Kind::Int:
      return QVariant(int(std::clamp<qlonglong>(v.toLongLong(), INT_MIN, INT_MAX)));
    case FormField::Kind::Float:
      return QVariant(v.toDouble());
    case FormField::Kind::Bool:
      return QVariant(v.toBool());
    case FormField::Kind::Choice:
      if (!v.isValid() && !f.choices.isEmpty()) return QVariant(f.choices.first());
      return QVariant(v.toString());
    case FormField::Kind::String:
      return QVariant(v.toString());
  }
  return v;
}

QString describe(const FormField& f, const QVariant& v) {
  switch (f.kind) {
    case FormField::Kind::Int: return QString::number(v.toInt());
    case FormField::Kind::Float: return ConfigForm::formatDouble(v.toDouble());
    case FormField::Kind::Bool: return v.toBool() ? QStringLiteral("on") : QStringLiteral("off");
    case FormField::Kind::Choice: return v.toString();
    case FormField::Kind::String:
      return v.toString().isEmpty() ? QStringLiteral("empty") : QStringLiteral("\"%1\"").arg(v.toString());
  }
  return v.toString();
}

QString rangeText(const FormField& f) {
  auto num = [&](double x) {
    return f.kind == FormField::Kind::Int ? QString::number(qlonglong(x)) : ConfigForm::formatDouble(x);
  };
  if (f.min && f.max) return QStringLiteral("range %1 – %2").arg(num(*f.min), num(*f.max));
  if (f.min) return QStringLiteral("≥ %1").arg(num(*f.min));
  if (f.max) return QStringLiteral("≤ %1").arg(num(*f.max));
  return {};
}

}  // namespace

ConfigForm::Entry* ConfigForm::entry(const QString& key) {
  const auto it = index_.constFind(key);
  return it == index_.constEnd() ? nullptr : entries_[size_t(*it)].get();
}

const ConfigForm::Entry* ConfigForm::entry(const QString& key) const {
  const auto it = index_.constFind(key);
  return it == index_.constEnd() ? nullptr : entries_[size_t(*it)].get();
}

void ConfigForm::clearForm() {
  for (auto& s : sections_) delete s->box;
  sections_.clear();
  entries_.clear();
  index_.clear();
}

QWidget* ConfigForm::createEditor(Entry& e) {
  const FormField& f = e.field;
  const int index = index_.value(f.key);
  auto edited = [this, index] { onEdited(index); };
  switch (f.kind) {
    case FormField::Kind::Int: {
      auto* spin = new IntSpinBox;
      const int def = f.defaultValue.toInt();
      int lo = f.min ? int(std::clamp(*f.min, double(INT_MIN), double(INT_MAX))) : -2000000000;
      int hi = f.max ? int(std::clamp(*f.max, double(INT_MIN), double(INT_MAX))) : 2000000000;
      spin->setRange(std::min(lo, def), std::max(hi, def));
      spin->setSingleStep(std::abs(def) >= 100 ? int(stepFor(def, f.min, f.max)) : 1);
      spin->setAccelerated(true);
      connect(spin, &QSpinBox::valueChanged, this, edited);
      return spin;
    }
    case FormField::Kind::Float: {
      auto* spin = new ScientificSpinBox;
      const double def = f.defaultValue.toDouble();
      const double lo = f.min ? *f.min : -1e18;
      const double hi = f.max ? *f.max : 1e18;
      spin->setRange(std::min(lo, def), std::max(hi, def));
      spin->setSingleStep(stepFor(def, f.min, f.max));
      spin->setAccelerated(true);
      connect(spin, &QDoubleSpinBox::valueChanged, this, edited);
      return spin;
    }
    case FormField::Kind::Bool: {
      auto* box = new QCheckBox;
      connect(box, &QCheckBox::toggled, this, edited);
      return box;
    }
    case FormField::Kind::Choice: {
      auto* combo = new ChoiceBox;
      combo->addItems(f.choices);
      if (combo->findText(f.defaultValue.toString()) < 0) combo->addItem(f.defaultValue.toString());
      combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
      connect(combo, &QComboBox::currentTextChanged, this, edited);
      return combo;
    }
    case FormField::Kind::String: {
      auto* line = new QLineEdit;
      line->setPlaceholderText(tr("(empty)"));
      connect(line, &QLineEdit::textChanged, this, edited);
      if (f.browse != FormField::Browse::None) {
        const bool folder = f.browse == FormField::Browse::Folder;
        QAction* choose = line->addAction(style()->standardIcon(folder ? QStyle::SP_DirOpenIcon : QStyle::SP_FileIcon),
                                          QLineEdit::TrailingPosition);
        choose->setObjectName(QStringLiteral("choosePath"));
        choose->setToolTip(folder ? tr("Choose a folder…") : tr("Choose a file…"));
        connect(choose, &QAction::triggered, this, [this, line, field = f] {
          if (readOnly_) return;
          const QString picked = pathChooser_(this, field, line->text());
          if (!picked.isEmpty()) line->setText(picked);  // textChanged marks the field edited
        });
      }
      return line;
    }
  }
  return new QWidget;
}

void ConfigForm::setFields(const QVector<FormField>& fields) {
  const bool wasUpdating = updating_;
  updating_ = true;
  clearForm();
  content_->setUpdatesEnabled(false);

  QFont boldFont = font();
  boldFont.setBold(true);
  const QFontMetrics boldMetrics(boldFont);
  int labelWidth = 0;

  for (const FormField& input : fields) {
    if (input.key.isEmpty() || index_.contains(input.key)) continue;
    auto e = std::make_unique<Entry>();
    e->field = input;
    e->field.defaultValue = coerce(input.kind, input.defaultValue, input);

    // Section by key prefix, in order of first appearance.
    const QString sectionName = input.key.contains(QLatin1Char('.')) ? input.key.section(QLatin1Char('.'), 0, 0)
                                                                      : QStringLiteral("general");
    Section* section = nullptr;
    for (auto& s : sections_)
      if (s->name == sectionName) section = s.get();
    if (!section) {
      auto s = std::make_unique<Section>();
      s->name = sectionName;
      s->box = new QWidget(content_);
      auto* boxLayout = new QVBoxLayout(s->box);
      boxLayout->setContentsMargins(0, 0, 0, 0);
      boxLayout->setSpacing(4);
      s->header = new QToolButton(s->box);
      QString title = sectionName;
      title[0] = title[0].toUpper();
      s->header->setText(title);
      s->header->setCheckable(true);
      s->header->setChecked(true);
      s->header->setAutoRaise(true);
      s->header->setArrowType(Qt::DownArrow);
      s->header->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
      s->header->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
      QFont headerFont = font();
      headerFont.setBold(true);
      headerFont.setPointSizeF(headerFont.pointSizeF() * 1.05);
      s->header->setFont(headerFont);
      s->header->setStyleSheet(QStringLiteral("QToolButton { border: none; border-bottom: 1px solid palette(mid);"
                                              " padding: 3px 2px 4px 0px; text-align: left; }"));
      boxLayout->addWidget(s->header);
      s->body = new QWidget(s->box);
      s->bodyLayout = new QVBoxLayout(s->body);
      s->bodyLayout->setContentsMargins(18, 4, 0, 2);
      s->bodyLayout->setSpacing(6);
      boxLayout->addWidget(s->body);
      Section* raw = s.get();
      connect(s->header, &QToolButton::toggled, this, [this, raw](bool on) {
        raw->expanded = on;
        raw->header->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
        applyFilter();
      });
      contentLayout_->insertWidget(contentLayout_->count() - 2, s->box);  // before "no match" + stretch
      sections_.push_back(std::move(s));
      section = raw;
    }
    e->section = section;

    const int index = int(entries_.size());
    index_.insert(e->field.key, index);
    e->row = new QWidget(section->body);
    auto* grid = new QGridLayout(e->row);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(10);
    grid->setVerticalSpacing(2);
    e->label = new QLabel(labelFor(e->field.key), e->row);
    labelWidth = std::max(labelWidth, boldMetrics.horizontalAdvance(e->label->text()));
    e->editor = createEditor(*e);
    e->editor->setParent(e->row);
    if (qobject_cast<QAbstractSpinBox*>(e->editor) || qobject_cast<QComboBox*>(e->editor))
      e->editor->setFocusPolicy(Qt::StrongFocus);
    e->editor->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    e->editor->setMaximumWidth(340);
    e->editor->setMinimumWidth(e->field.kind == FormField::Kind::Bool ? 0 : 96);  // not the width of INT_MAX
    e->editor->setObjectName(e->field.key);
    e->label->setBuddy(e->editor);
    e->normalPalette = e->editor->palette();
    e->labelPalette = e->label->palette();
    e->reset = new QToolButton(e->row);
    e->reset->setText(QStringLiteral("↺"));
    e->reset->setAutoRaise(true);
    e->reset->setToolTip(tr("Reset to default (%1)").arg(describe(e->field, e->field.defaultValue)));
    QSizePolicy keep = e->reset->sizePolicy();
    keep.setRetainSizeWhenHidden(true);
    e->reset->setSizePolicy(keep);
    e->reset->setVisible(false);
    connect(e->reset, &QToolButton::clicked, this, [this, index] {
      Entry& en = *entries_[size_t(index)];
      if (readOnly_) return;
      updating_ = true;
      setEditorValue(en, en.field.defaultValue);
      updating_ = false;
      onEdited(index);
    });
    e->error = new QLabel(e->row);
    e->error->setWordWrap(true);
    QPalette errPal = e->error->palette();
    errPal.setColor(QPalette::WindowText, kErrorColor);
    e->error->setPalette(errPal);
    e->error->setVisible(false);

    grid->addWidget(e->label, 0, 0, Qt::AlignLeft | Qt::AlignVCenter);
    grid->addWidget(e->editor, 0, 1);
    grid->addWidget(e->reset, 0, 2);
    grid->addWidget(e->error, 1, 1, 1, 2);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 0);

    QString tip;
    if (!e->field.help.isEmpty()) tip += QStringLiteral("<p>%1</p>").arg(e->field.help.toHtmlEscaped());
    QString meta = tr("default: %1").arg(describe(e->field, e->field.defaultValue));
    const QString range = rangeText(e->field);
    if (!range.isEmpty()) meta += QStringLiteral(", ") + range;
    if (e->field.kind == FormField::Kind::Choice && !e->field.choices.isEmpty())
      meta += tr(", one of %1").arg(e->field.choices.join(QStringLiteral(", ")));
    tip += QStringLiteral("<p style='color:#6b707a'><code>%1</code> (%2)</p>")
               .arg(e->field.key.toHtmlEscaped(), meta.toHtmlEscaped());
    e->label->setToolTip(tip);
    e->editor->setToolTip(tip);

    section->bodyLayout->addWidget(e->row);
    entries_.push_back(std::move(e));
    setEditorValue(*entries_.back(), entries_.back()->field.defaultValue);
  }

  for (auto& e : entries_) e->label->setMinimumWidth(std::min(labelWidth + 6, 260));
  if (readOnly_) setReadOnly(true);
  updating_ = wasUpdating;
  for (auto& e : entries_) refreshChangedState(*e);
  applyFilter();
  refreshSummary();
  content_->setUpdatesEnabled(true);
  // Never squeeze the rows below their minimum: the scroll area only scrolls vertically.
  const int minContent = content_->minimumSizeHint().width();
  scroll_->setMinimumWidth(minContent + scroll_->verticalScrollBar()->sizeHint().width() + 2 * scroll_->frameWidth());
}

QVector<FormField> ConfigForm::fields() const {
  QVector<FormField> out;
  for (const auto& e : entries_) out.append(e->field);
  return out;
}

QVariant ConfigForm::editorValue(const Entry& e) const {
  switch (e.field.kind) {
    case FormField::Kind::Int: return QVariant(static_cast<QSpinBox*>(e.editor)->value());
    case FormField::Kind::Float: return QVariant(static_cast<QDoubleSpinBox*>(e.editor)->value());
    case FormField::Kind::Bool: return QVariant(static_cast<QCheckBox*>(e.editor)->isChecked());
    case FormField::Kind::Choice: return QVariant(static_cast<QComboBox*>(e.editor)->currentText());
    case FormField::Kind::String: return QVariant(static_cast<QLineEdit*>(e.editor)->text());
  }
  return {};
}

void ConfigForm::setEditorValue(Entry& e, const QVariant& v) {
  const QVariant value = coerce(e.field.kind, v, e.field);
  switch (e.field.kind) {
    case FormField::Kind::Int: static_cast<QSpinBox*>(e.editor)->setValue(value.toInt()); break;
    case FormField::Kind::Float: {
      auto* spin = static_cast<QDoubleSpinBox*>(e.editor);
      const double d = value.toDouble();
      if (std::isfinite(d) && (d < spin->minimum() || d > spin->maximum()))
        spin->setRange(std::min(d, spin->minimum()), std::max(d, spin->maximum()));
      spin->setValue(d);
      break;
    }
    case FormField::Kind::Bool: static_cast<QCheckBox*>(e.editor)->setChecked(value.toBool()); break;
    case FormField::Kind::Choice: {
      auto* combo = static_cast<QComboBox*>(e.editor);
      int i = combo->findText(value.toString());
      if (i < 0) {
        combo->addItem(value.toString());
        i = combo->count() - 1;
      }
      combo->setCurrentIndex(i);
      break;
    }
    case FormField::Kind::String: static_cast<QLineEdit*>(e.editor)->setText(value.toString()); break;
  }
}

bool ConfigForm::isDefault(const Entry& e) const {
  const QVariant cur = editorValue(e);
  const QVariant& def = e.field.defaultValue;
  switch (e.field.kind) {
    case FormField::Kind::Int: return cur.toInt() == def.toInt();
    case FormField::Kind::Float: {
      const double a = cur.toDouble(), b = def.toDouble();
      return a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
    }
    case FormField::Kind::Bool: return cur.toBool() == def.toBool();
    case FormField::Kind::Choice:
    case FormField::Kind::String: return cur.toString() == def.toString();
  }
  return true;
}

void ConfigForm::refreshChangedState(Entry& e) {
  const bool changed = !isDefault(e);
  QFont f = e.label->font();
  if (f.bold() != changed) {
    f.setBold(changed);
    e.label->setFont(f);
  }
  e.reset->setVisible(changed && !readOnly_);
}

void ConfigForm::refreshSummary() {
  const int changed = int(changedKeys().size());
  summary_->setText(changed == 0 ? QString() : tr("%n changed", nullptr, changed));
  summary_->setVisible(changed > 0);
  resetAll_->setEnabled(changed > 0 && !readOnly_);
}

void ConfigForm::onEdited(int index) {
  if (updating_ || index < 0 || size_t(index) >= entries_.size()) return;
  Entry& e = *entries_[size_t(index)];
  clearError(e);
  refreshChangedState(e);
  refreshSummary();
  emit valuesChanged();
}

QVariantMap ConfigForm::values() const {
  QVariantMap out;
  for (const auto& e : entries_) out.insert(e->field.key, editorValue(*e));
  return out;
}

QVariant ConfigForm::value(const QString& key) const {
  const Entry* e = entry(key);
  return e ? editorValue(*e) : QVariant();
}

void ConfigForm::setValues(const QVariantMap& values) {
  updating_ = true;
  for (auto it = values.constBegin(); it != values.constEnd(); ++it) {
    if (Entry* e = entry(it.key())) {
      setEditorValue(*e, it.value());
      refreshChangedState(*e);
    }
  }
  updating_ = false;
  refreshSummary();
}

void ConfigForm::resetToDefaults() {
  updating_ = true;
  for (auto& e : entries_) {
    setEditorValue(*e, e->field.defaultValue);
    refreshChangedState(*e);
  }
  updating_ = false;
  refreshSummary();
}

QStringList ConfigForm::changedKeys() const {
  QStringList keys;
  for (const auto& e : entries_)
    if (!isDefault(*e)) keys.append(e->field.key);
  return keys;
}

void ConfigForm::setFieldError(const QString& key, const QString& message) {
  Entry* e = entry(key);
  if (!e) return;
  if (message.isEmpty()) {
    clearError(*e);
    return;
  }
  e->errorText = message;
  e->error->setText(QStringLiteral("⚠ ") + message);
  e->error->setVisible(true);
  QPalette pal = e->normalPalette;
  pal.setColor(QPalette::Base, kErrorBase);
  pal.setColor(QPalette::Button, kErrorBase);
  e->editor->setPalette(pal);
  QPalette labelPal = e->label->palette();
  labelPal.setColor(QPalette::WindowText, kErrorColor);
  e->label->setPalette(labelPal);
  if (!e->section->expanded) e->section->header->setChecked(true);
  if (isVisible() && e->shown) scroll_->ensureWidgetVisible(e->row, 10, 30);
}

QString ConfigForm::fieldError(const QString& key) const {
  const Entry* e = entry(key);
  return e ? e->errorText : QString();
}

void ConfigForm::clearError(Entry& e) {
  if (e.errorText.isEmpty()) return;
  e.errorText.clear();
  e.error->clear();
  e.error->setVisible(false);
  e.editor->setPalette(e.normalPalette);
  e.label->setPalette(e.labelPalette);
}

void ConfigForm::clearErrors() {
  for (auto& e : entries_) clearError(*e);
}

void ConfigForm::setPathChooser(PathChooser chooser) { pathChooser_ = std::move(chooser); }

void ConfigForm::setFieldApplies(const QString& key, bool applies, const QString& why) {
  Entry* e = entry(key);
  if (!e || e->applies == applies) return;
  e->applies = applies;
  // Disabling the row disables its label, editor and reset button whatever setReadOnly does.
  e->row->setEnabled(applies);
  e->row->setToolTip(applies ? QString() : tr("Does not apply: %1").arg(why));
}

bool ConfigForm::fieldApplies(const QString& key) const {
  const Entry* e = entry(key);
  return !e || e->applies;
}

void ConfigForm::setReadOnly(bool readOnly) {
  readOnly_ = readOnly;
  for (auto& e : entries_) {
    if (auto* spin = qobject_cast<QAbstractSpinBox*>(e->editor)) {
      spin->setReadOnly(readOnly);
      spin->setButtonSymbols(readOnly ? QAbstractSpinBox::NoButtons : QAbstractSpinBox::UpDownArrows);
    } else if (auto* line = qobject_cast<QLineEdit*>(e->editor)) {
      line->setReadOnly(readOnly);
      for (QAction* action : line->actions()) action->setEnabled(!readOnly);  // the path chooser
    } else {
      e->editor->setEnabled(!readOnly);
    }
    refreshChangedState(*e);
  }
  readOnlyBanner_->setVisible(readOnly);
  refreshSummary();
}

void ConfigForm::setFilterText(const QString& text) { filter_->setText(text); }

QString ConfigForm::filterText() const { return filter_->text(); }

QWidget* ConfigForm::editor(const QString& key) const {
  const Entry* e = entry(key);
  return e ? e->editor : nullptr;
}

bool ConfigForm::isFieldShown(const QString& key) const {
  const Entry* e = entry(key);
  return e && e->shown;
}

void ConfigForm::applyFilter() {
  const QStringList words = filter_->text().split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
  const bool filtering = !words.isEmpty();
  for (auto& s : sections_) s->anyShown = false;
  int shownCount = 0;
  // Every word must start a word of the key, label or help ("rate" finds "learning rate" but not
  // "generated"); '_' and '.' separate words in keys.
  QVector<QRegularExpression> patterns;
  for (const QString& w : words)
    patterns.append(QRegularExpression(QStringLiteral("(?<![\\p{L}\\p{N}])") + QRegularExpression::escape(w),
                                       QRegularExpression::CaseInsensitiveOption));
  for (auto& e : entries_) {
    const QString haystack = e->field.key + QLatin1Char(' ') + e->label->text() + QLatin1Char(' ') + e->field.help;
    bool match = true;
    for (const QRegularExpression& p : patterns) match = match && p.match(haystack).hasMatch();
    e->shown = match;
    e->row->setVisible(match);
    if (match) {
      e->section->anyShown = true;
      ++shownCount;
    }
  }
  for (auto& s : sections_) {
    s->box->setVisible(s->anyShown);
    // While filtering, matches are shown even in collapsed sections.
    s->body->setVisible(s->expanded || filtering);
  }
  noMatch_->setText(tr("No settings match “%1”.").arg(filter_->text().trimmed()));
  noMatch_->setVisible(filtering && shownCount == 0 && !entries_.empty());
}

}  // namespace tb
