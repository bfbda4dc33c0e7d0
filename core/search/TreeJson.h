#pragma once
// Reasoning trees as JSON, in two formats:
//   Thoughtbench's own ("format": "thoughtbench-tree", "version": 1): every field of ReasoningTree,
//     the growth history included; lossless round-trip.
//   llm-reasoners' TreeLog ({"logs": [snapshot, ...]}, what reasoners.visualization posts to its
//     hosted viewer): one snapshot per search iteration, each {"nodes": {"<id>": {"id", "data",
//     "selected_edge"}}, "edges": {"<id>": {"id", "source", "target", "data"}}} (nodes/edges may also
//     be arrays). Edge data carries Q and reward-like fields; node data carries the state.
// readTreeJson accepts both and refuses anything else with the reason (cycles, missing parents,
// several roots, wrong types), naming `source` (a file name) in the message.
#include <string>

#include <nlohmann/json.hpp>

#include "core/search/ReasoningTree.h"

namespace tb {

nlohmann::json treeToJson(const ReasoningTree& tree);
// Throws InputError on a malformed document; the result passes ReasoningTree::validate().
ReasoningTree treeFromJson(const nlohmann::json& json, const std::string& source = "tree");

// llm-reasoners TreeLog: one snapshot per iteration of the history (the final tree when there is
// no history). Node data: {"state", "step", "depth", "visits", "value", "terminal", "correct", ...};
// edge data: {"Q", "reward", "prior", "visits"}; selected_edge marks the chosen path (elsewhere the
// highest-Q child, as llm-reasoners does).
nlohmann::json treeToLlmReasoners(const ReasoningTree& tree);
// The last snapshot becomes the tree; earlier snapshots become its history (node creation and
// changed statistics). Node ids may be any integers; they are renumbered parent-first.
ReasoningTree treeFromLlmReasoners(const nlohmann::json& json, const std::string& source = "tree");

// Either format, detected from the document. Throws InputError naming `source`.
ReasoningTree readTreeJson(const nlohmann::json& json, const std::string& source);
// Reads and parses a file (InputError names the file on I/O or parse errors).
ReasoningTree readTreeFile(const std::string& path);
// Writes atomically (temporary file + rename). format: "thoughtbench" or "llm-reasoners".
void writeTreeFile(const ReasoningTree& tree, const std::string& path, const std::string& format = "thoughtbench");

}  // namespace tb
