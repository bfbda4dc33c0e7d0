#pragma once
// The attention of a policy over one text (prompt + completion), for the attention viewer:
// GptPolicy::attentionMaps (an uncached whole-sequence forward, no gradient; nothing on the
// training path changes) for chosen layers, and the token metrics of "Attention Illuminates LLM
// Reasoning" from the attention-credit code (core/algorithms/AttentionCredit.h), the one
// implementation the attention_credit preset uses.
#include <string>
#include <vector>

#include "core/algorithms/AttentionCredit.h"
#include "core/attention/AttentionSample.h"
#include "core/model/GptPolicy.h"
#include "core/text/CharTokenizer.h"

namespace tb {

// Token label for display: the character, "\u23ce" for a newline, "\u2423" for a space, <bos>/<eos>.
std::string tokenLabel(const CharTokenizer& tokenizer, int id);

// Attention of `policy` over prompt + completion (<eos> appended) for the kept `layers` (empty:
// all), and the token metrics over the completion. Throws InputError when the text does not fit
// the model's context or holds characters outside its alphabet.
AttentionSample attentionOfText(GptPolicy& policy, const CharTokenizer& tokenizer, const std::string& prompt,
                                const std::string& completion, const std::vector<int>& layers = {},
                                const AttentionCreditParams& params = {});

}  // namespace tb
