#pragma once
// Images of an attention sample for `thoughtbench-cli attention --out F.png|.svg`, drawn by the
// GUI's own attention view offscreen (widgets/AttentionPanel): the heatmap of the mean over heads
// and the kept layers on the completion's tokens. FILE-tokens.png|.svg next to it holds the
// completion text with WAAD / FAI per token and the preplan / anchor tokens.
#include <string>

#include "core/attention/AttentionSample.h"

namespace tb::cli {

// Throws InputError when the file cannot be written, or when the CLI was built without the GUI.
void writeAttentionImage(const AttentionSample& sample, const std::string& path);

}  // namespace tb::cli
