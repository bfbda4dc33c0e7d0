#pragma once
// PrOntoQA as a Task (registered as "prontoqa"; Saparov & He 2023, as used by Flow of Reasoning,
// Yu et al. 2024): true/false questions over a small ontology, answered by a chain of one-rule
// steps that the verifier checks one by one (see ProntoQa.h for the language and the completion
// format). Problems come from the bundled PrOntoQA file (all 900 examples: 100 test examples and
// their 800 in-context examples) or from the generator of fictional ontologies; a seeded,
// portable shuffle splits them into train and test. Levels are hop counts ("1 hop" .. "8 hops").
//
// Rewards: "binary" is 1 for a correct completion, else 0. "for" follows Flow of Reasoning's
// PrOntoQA code (get_ll_reward_rule_hard in Yu-Fangxu/FoR, averaged form; ALGORITHMS.md item 14
// gives no PrOntoQA reward): each rule application before the first invalid step scores 100, the
// first invalid step 1e-5, the end 100 when the completion is correct else 1e-5, and the reward
// is their mean (100 for a correct chain).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tasks/ProntoQa.h"
#include "core/tasks/Task.h"

namespace tb {

class ProntoQaTask : public Task {
 public:
  struct Options {
    std::string source = "bundled";  // "bundled" or "generated"
    int testSize = 100;
    long long splitSeed = 0;
    int generated = 1000;            // problems made when source = "generated"
    int hops = 5;                    // generated: hop counts 1..hops, in turn
    int distractors = 2;             // generated: distractor rules per problem
    std::string reward = "binary";   // "binary" or "for"
    std::string dataFile;            // a PrOntoQA JSON; empty = the bundled one
  };
  // Throws InputError naming the task.* key at fault, or the file, example and field.
  explicit ProntoQaTask(const Options& options);

  std::string name() const override { return "prontoqa"; }
  const std::vector<Problem>& problems(Split split) const override;
  Verdict verify(const Problem& problem, const std::string& completion) const override;
  // The example's chain of thought (gold for bundled examples, the solver's derivation for
  // generated ones and for examples given without one) and the answer line.
  std::optional<std::string> demonstration(const Problem& problem, std::mt19937_64& rng) const override;
  // Printable ASCII (32..126) and '\n'.
  std::string alphabet() const override;
  // Accepts {question, query, chain_of_thought?, answer?} or a file entry holding "test_example".
  Problem problemFromData(const nlohmann::json& data) const override;

  std::vector<std::string> legalSteps(const Problem& problem, const std::vector<std::string>& steps) const override;
  bool isTerminal(const Problem& problem, const std::vector<std::string>& steps) const override;
  std::string describeState(const Problem& problem, const std::vector<std::string>& steps) const override;

 private:
  struct Entry {
    std::shared_ptr<const ProntoQaContext> context;
    ProntoQaExample example;  // with answer and chain of thought filled in
  };
  // The problem's parsed context, from the cache or (for problemFromData problems) from its data.
  Entry entryOf(const Problem& problem) const;
  static Entry makeEntry(ProntoQaExample example, const std::string& where);
  static Problem makeProblem(const std::string& id, const Entry& entry);

  std::vector<Problem> train_;
  std::vector<Problem> test_;
  std::map<std::string, Entry> entries_;  // by Problem::id
  bool forReward_ = false;
};

// Path of the bundled PrOntoQA JSON under datasetDirectory().
std::string bundledProntoQaJson();

}  // namespace tb
