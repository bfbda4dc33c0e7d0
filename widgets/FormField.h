#pragma once
// FormField: the plain description of one setting that ConfigForm turns into an editor. Keys are
// dotted ("rollout.temperature"); the part before the first dot names the form section.
#include <QString>
#include <QStringList>
#include <QVariant>

#include <optional>

namespace tb {

struct FormField {
  QString key;
  enum class Kind { Int, Float, Bool, String, Choice } kind = Kind::String;
  QVariant defaultValue;
  std::optional<double> min, max;  // Int and Float only
  QStringList choices;             // Choice only
  QString help;
  // String only: the value names a file or folder; the editor gets a chooser button. A file's
  // chooser shows `browseFilter` ("CSV files (*.csv)") when given.
  enum class Browse { None, File, Folder } browse = Browse::None;
  QString browseFilter;
};

}  // namespace tb
