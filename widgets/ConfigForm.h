#pragma once
// ConfigForm: a settings form generated from a list of FormField. Fields are grouped into
// collapsible sections by the prefix of their key ("rollout.temperature" -> section "Rollout",
// label "Temperature"), inside a scroll area with a filter box on top. Values that differ from
// their default are shown with a bold label and a per-field reset button; validation errors are
// shown in red under the field. Floats accept scientific notation (3e-4, 1e-6) and are shown in
// their shortest exact form. valuesChanged() is emitted for user edits only, not for setValues()
// or resetToDefaults() called from code.
#include "widgets/FormField.h"

#include <QHash>
#include <QVariantMap>
#include <QVector>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QLabel;
class QLineEdit;
class QScrollArea;
class QToolButton;
class QVBoxLayout;

namespace tb {

class ConfigForm : public QWidget {
  Q_OBJECT

 public:
  explicit ConfigForm(QWidget* parent = nullptr);
  ~ConfigForm() override;

  // Rebuilds the form. Defaults are coerced to the field's kind (Int -> int, Float -> double,
  // Bool -> bool, String/Choice -> QString); editors start at their defaults.
  void setFields(const QVector<FormField>& fields);
  QVector<FormField> fields() const;

  QVariantMap values() const;                  // key -> value of the field's type
  QVariant value(const QString& key) const;    // invalid for an unknown key
  void setValues(const QVariantMap& values);   // unknown keys are ignored; no valuesChanged
  void resetToDefaults();                      // no valuesChanged
  QStringList changedKeys() const;             // keys whose value differs from the default

  void setFieldError(const QString& key, const QString& message);
  QString fieldError(const QString& key) const;
  void clearErrors();

  void setReadOnly(bool readOnly);  // while a run trains

  // Greys out a field that does not apply with the other values (e.g. the built-in model's width
  // while a Hugging Face checkpoint is trained); `why` becomes the row's tooltip. The value is
  // kept and still part of values(). Unknown keys are ignored.
  void setFieldApplies(const QString& key, bool applies, const QString& why = QString());
  bool fieldApplies(const QString& key) const;  // true for unknown keys
  bool isReadOnly() const { return readOnly_; }

  void setFilterText(const QString& text);
  QString filterText() const;

  QWidget* editor(const QString& key) const;     // nullptr for an unknown key
  bool isFieldShown(const QString& key) const;   // false when hidden by the filter

  // How a file or folder field's chooser button asks for a name: the field and the current text
  // in, the chosen name out (empty = cancelled). Default: QFileDialog. Tests replace it.
  using PathChooser = std::function<QString(QWidget* parent, const FormField& field, const QString& current)>;
  void setPathChooser(PathChooser chooser);

  // "rollout.max_new_tokens" -> "Max new tokens"; "algo.kl_coef" -> "KL coef".
  static QString labelFor(const QString& key);
  // Shortest text that parses back to exactly `v`: 0.7, 3e-4, 1e-6, 128, 1.5e+10 -> "1.5e10".
  static QString formatDouble(double v);

 signals:
  void valuesChanged();

 private:
  struct Entry;
  struct Section;

  QWidget* createEditor(Entry& e);
  QVariant editorValue(const Entry& e) const;
  void setEditorValue(Entry& e, const QVariant& v);
  bool isDefault(const Entry& e) const;
  void refreshChangedState(Entry& e);
  void refreshSummary();
  void onEdited(int index);
  void applyFilter();
  void clearError(Entry& e);
  void clearForm();
  Entry* entry(const QString& key);
  const Entry* entry(const QString& key) const;

  QLineEdit* filter_ = nullptr;
  QLabel* summary_ = nullptr;
  QToolButton* resetAll_ = nullptr;
  QLabel* readOnlyBanner_ = nullptr;
  QScrollArea* scroll_ = nullptr;
  QWidget* content_ = nullptr;
  QVBoxLayout* contentLayout_ = nullptr;
  QLabel* noMatch_ = nullptr;
  std::vector<std::unique_ptr<Section>> sections_;
  std::vector<std::unique_ptr<Entry>> entries_;
  QHash<QString, int> index_;
  bool updating_ = false;
  bool readOnly_ = false;
  PathChooser pathChooser_;
};

}  // namespace tb
