#pragma once
// Adapters between the core's parameter descriptions and the generic ConfigForm: the form is
// generated from the same ParamSpecs that validate configs and the CLI's --set.
#include <QString>
#include <QVariantMap>
#include <QVector>

#include <nlohmann/json.hpp>

#include "core/config/RunConfig.h"
#include "widgets/FormField.h"

namespace tb {

QVector<FormField> formFieldsFor(const ConfigSchema& schema);
// Flat config JSON for `task` and `algorithm` with the form's values.
nlohmann::json configJsonFromForm(const QString& task, const QString& algorithm, const QVariantMap& values);
// The form values of a stored flat config (task and algorithm keys are skipped).
QVariantMap formValuesFromConfig(const nlohmann::json& config);
// The dotted key an error message names ("parameter 'rollout.top_p': ...") or empty.
QString keyNamedInError(const QString& message, const QStringList& keys);

}  // namespace tb
