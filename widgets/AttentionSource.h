#pragma once
// AttentionSource: which attention map the viewer shows. A kept layer (or the mean over the kept
// layers) and one head, the mean of all heads, or the mean of the local / global head sets that
// the attention-credit metrics chose. The viewer's panel, heatmap title and thumbnails share it.
#include <QString>

#include <vector>

#include "core/attention/AttentionSample.h"

namespace tb {

enum class AttentionHeads { Single, Mean, Local, Global };

struct AttentionSource {
  int layerIndex = -1;  // index into AttentionSample::layers; -1: the mean over the kept layers
  AttentionHeads heads = AttentionHeads::Mean;
  int head = 0;         // used when heads == Single

  bool operator==(const AttentionSource&) const = default;
};

// The head set to average for `source` (empty: all heads, as AttentionSample::map reads it).
// Local / global fall back to all heads when the sample has no such set.
std::vector<int> attentionHeadsOf(const AttentionSource& source, const AttentionSample& sample);

// "layer 5 · head 2", "mean over layers · mean of 4 heads", "layer 5 · local heads 0, 3".
QString describeAttentionSource(const AttentionSource& source, const AttentionSample& sample);

// "0, 3, 5" (at most `limit` entries, then "…").
QString attentionHeadList(const std::vector<int>& heads, int limit = 6);

}  // namespace tb
