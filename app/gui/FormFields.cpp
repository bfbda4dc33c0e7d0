// Conversions between ParamSpec / flat config JSON and ConfigForm's FormField / QVariantMap.
#include "app/gui/FormFields.h"

#include <QRegularExpression>

namespace tb {

namespace {

QVariant toVariant(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return static_cast<qlonglong>(v.get<long long>());
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  return {};
}

FormField::Kind kindOf(ParamType type) {
  switch (type) {
    case ParamType::Int: return FormField::Kind::Int;
    case ParamType::Float: return FormField::Kind::Float;
    case ParamType::Bool: return FormField::Kind::Bool;
    case ParamType::String: return FormField::Kind::String;
    case ParamType::Choice: return FormField::Kind::Choice;
  }
  return FormField::Kind::String;
}

}  // namespace

QVector<FormField> formFieldsFor(const ConfigSchema& schema) {
  QVector<FormField> fields;
  for (const auto& p : schema.params()) {
    FormField f;
    f.key = QString::fromStdString(p.key);
    f.kind = kindOf(p.type);
    f.defaultValue = toVariant(p.defaultValue);
    f.min = p.min;
    f.max = p.max;
    for (const auto& c : p.choices) f.choices << QString::fromStdString(c);
    f.help = QString::fromStdString(p.help);
    f.browse = p.path == PathKind::File     ? FormField::Browse::File
               : p.path == PathKind::Folder ? FormField::Browse::Folder
                                            : FormField::Browse::None;
    f.browseFilter = QString::fromStdString(p.pathFilter);
    fields.append(f);
  }
  return fields;
}

nlohmann::json configJsonFromForm(const QString& task, const QString& algorithm, const QVariantMap& values) {
  nlohmann::json json = nlohmann::json::object();
  json["task"] = task.toStdString();
  json["algorithm"] = algorithm.toStdString();
  for (auto it = values.begin(); it != values.end(); ++it) {
    const QVariant& v = it.value();
    const std::string key = it.key().toStdString();
    switch (v.typeId()) {
      case QMetaType::Bool: json[key] = v.toBool(); break;
      case QMetaType::Int:
      case QMetaType::LongLong: json[key] = v.toLongLong(); break;
      case QMetaType::Double: json[key] = v.toDouble(); break;
      default: json[key] = v.toString().toStdString(); break;
    }
  }
  return json;
}

QVariantMap formValuesFromConfig(const nlohmann::json& config) {
  QVariantMap values;
  for (const auto& [key, value] : config.items())
    if (key != "task" && key != "algorithm") values.insert(QString::fromStdString(key), toVariant(value));
  return values;
}

QString keyNamedInError(const QString& message, const QStringList& keys) {
  static const QRegularExpression quoted("'([a-z0-9_]+\\.[a-z0-9_.@]+)'");
  auto match = quoted.match(message);
  if (match.hasMatch() && keys.contains(match.captured(1))) return match.captured(1);
  // Cross-field messages name keys without quotes ("model.heads = 3 must divide model.d_model"):
  // the first key in the message is the one at fault.
  QString first;
  qsizetype firstAt = message.size();
  for (const QString& key : keys) {
    const qsizetype at = message.indexOf(QRegularExpression("\\b" + QRegularExpression::escape(key) + "\\b"));
    if (at >= 0 && at < firstAt) firstAt = at, first = key;
  }
  return first;
}

}  // namespace tb
