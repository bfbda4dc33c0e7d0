// AttentionSource: head sets and descriptions. See AttentionSource.h.
#include "widgets/AttentionSource.h"

#include <QCoreApplication>
#include <QStringList>

namespace tb {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("AttentionSource", text); }

}  // namespace

std::vector<int> attentionHeadsOf(const AttentionSource& source, const AttentionSample& sample) {
  switch (source.heads) {
    case AttentionHeads::Single: return {source.head};
    case AttentionHeads::Mean: return {};
    case AttentionHeads::Local: return sample.localHeads;
    case AttentionHeads::Global: return sample.globalHeads;
  }
  return {};
}

QString attentionHeadList(const std::vector<int>& heads, int limit) {
  QStringList parts;
  for (size_t i = 0; i < heads.size(); ++i) {
    if (static_cast<int>(i) == limit) {
      parts << QStringLiteral("…");
      break;
    }
    parts << QString::number(heads[i]);
  }
  return parts.join(QStringLiteral(", "));
}

QString describeAttentionSource(const AttentionSource& source, const AttentionSample& sample) {
  const bool validLayer = source.layerIndex >= 0 && source.layerIndex < static_cast<int>(sample.layers.size());
  QString layer;
  if (validLayer)
    layer = tr("layer %1").arg(sample.layers[source.layerIndex]);
  else if (sample.layers.size() == 1)
    layer = tr("layer %1").arg(sample.layers.front());
  else
    layer = tr("mean over %1 layers").arg(sample.layers.size());
  QString heads;
  switch (source.heads) {
    case AttentionHeads::Single: heads = tr("head %1").arg(source.head); break;
    case AttentionHeads::Mean: heads = tr("mean of %1 heads").arg(sample.headCount); break;
    case AttentionHeads::Local:
      heads = sample.localHeads.empty() ? tr("no local heads: mean of all")
                                        : tr("local heads %1").arg(attentionHeadList(sample.localHeads));
      break;
    case AttentionHeads::Global:
      heads = sample.globalHeads.empty() ? tr("no global heads: mean of all")
                                         : tr("global heads %1").arg(attentionHeadList(sample.globalHeads));
      break;
  }
  return layer + QStringLiteral(" · ") + heads;
}

}  // namespace tb
