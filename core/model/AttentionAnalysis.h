#pragma once
// The attention of a policy over one text (prompt + completion), for the attention viewer:
// PolicyModel::attentionMaps (an uncached whole-sequence forward, no gradient; nothing on the
// training path changes; the built-in GPT or a Hugging Face checkpoint) for chosen layers, and the token metrics of "Attention Illuminates LLM
// Reasoning" from the attention-credit code (core/algorithms/AttentionCredit.h), the one
// implementation the attention_credit preset uses.
#include <string>
#include <vector>

#include "core/algorithms/AttentionCredit.h"
#include "core/attention/AttentionSample.h"
#include "core/rollout/PolicyModel.h"
#include "core/text/PolicyTokenizer.h"

namespace tb {

// Attention of `policy` over prompt + completion (the completion re-encoded with its end token;
// for a BPE tokenizer this is the text's canonical split, which can differ from the ids sampled) for
// the kept `layers` (empty: all), and the token metrics over the completion. Throws InputError when
// the text does not fit the model's context or holds characters outside its alphabet.
AttentionSample attentionOfText(PolicyModel& policy, const PolicyTokenizer& tokenizer, const std::string& prompt,
                                const std::string& completion, const std::vector<int>& layers = {},
                                const AttentionCreditParams& params = {});

}  // namespace tb
