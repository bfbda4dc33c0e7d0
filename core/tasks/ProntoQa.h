#pragma once
// PrOntoQA (Saparov & He, 2023, "Language Models Are Greedy Reasoners: A Systematic Formal
// Analysis of Chain-of-Thought"; used by Flow of Reasoning, Yu et al., 2024): a small ontology in
// plain English ("Every insect is an arthropod. Arthropods are not bony. Alex is an insect.") and a
// query ("True or false: Alex is not bony."), answered by a chain of one-rule steps.
//
// This file holds the ontology language (a parser for the sentence forms of the PrOntoQA data and
// a renderer), the loader of the PrOntoQA JSON, a step verifier, a solver (shortest derivation by
// breadth-first forward chaining) and a generator of fictional ontologies ("Every wumpus is a
// yumpus.") with a chosen number of hops and distractors.
//
// Sentence forms (a trailing '.' is optional in steps; "Every" and "Each" are interchangeable):
//   facts:  "Alex is a cat."  "Alex is an insect."  "Alex is furry."  "Alex is not bony."
//           "31 is a prime number."  (the subject is one word: a name or a number)
//   rules:  "Every cat is a feline."  "Each spider is not six-legged."  "Every insect is small."
//           "Cats are felines."  "Painted ladies are butterflies."  "Mammals are not cold-blooded."
// Concepts are matched by their lower-case singular form, so "Butterflies are lepidopterans." and
// "Alex is a lepidopteran." name the same concept; plurals are resolved against the singular
// forms the context uses ("ies" -> "y", "-es", "-s"), with the usual English rules as a fallback.
//
// Completion format (chosen here, as in the data's chain_of_thought): one sentence per line, then
// a final line "The answer is True." or "The answer is False." (a bare "True" / "False" is
// accepted too). A step is valid when it restates a sentence of the context (a fact, or a rule in
// any of its equivalent forms) or derives a fact by one rule application (modus ponens) from a
// context fact or an earlier step. The completion is correct when every step is valid, the chain
// reaches the query or its negation, and the answer matches.
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb {

// "Alex is [not] X": an entity has (or has not) a concept (a class or a property).
struct OntologyFact {
  std::string entity;   // as written: "Alex", "31"
  std::string category;  // concept key: lower-case singular ("lepidopteran", "six-legged")
  bool negated = false;
  auto operator<=>(const OntologyFact&) const = default;
};

// "Every X is [not] Y": members of X have (or have not) Y.
struct OntologyRule {
  std::string from;  // concept key of the class X
  std::string to;    // concept key of Y
  bool negated = false;
  auto operator<=>(const OntologyRule&) const = default;
};

// One example in the PrOntoQA JSON form.
struct ProntoQaExample {
  std::string key;       // "example1", "example1/in_context_example3", or a generated id
  std::string question;  // the context sentences
  std::string query;     // "True or false: Alex is six-legged."
  std::vector<std::string> chainOfThought;  // gold steps (may be empty when given by a user)
  std::optional<bool> answer;               // "True" / "False"; nullopt when not given
  // {"question", "query", "chain_of_thought", "answer"} as in the data.
  nlohmann::json toJson() const;
};

// Reads one example object ({question, query, chain_of_thought?, answer?}); `where` prefixes
// errors ("file.json: example1.test_example"). Throws InputError naming the field.
ProntoQaExample parseProntoQaExample(const nlohmann::json& object, const std::string& where);

// Loads a PrOntoQA JSON file: {"example1": {"in_context_example0": {...}, ..., "test_example":
// {...}}, ...}. Returns every example (test and in-context) in file order, keyed
// "example1" (the test example) and "example1/in_context_example0". Throws InputError naming the
// file, the example key and the field.
std::vector<ProntoQaExample> loadProntoQaJson(const std::string& path);

struct ProntoQaCheck {
  bool correct = false;
  int validSteps = 0;    // steps before the first invalid one (all of them when none is)
  int derivedSteps = 0;  // valid steps that derived a new fact (rule applications)
  bool invalidStep = false;
  std::string reason;    // "correct", or the first fault: "step 3: 'Alex is a wumpus.' does not follow: ..."
};

// The context of one problem: its facts, rules and vocabulary, and the query.
class ProntoQaContext {
 public:
  // Parses the question's sentences and the query ("True or false: <fact>."). Throws InputError
  // naming the sentence that could not be read.
  ProntoQaContext(const std::string& question, const std::string& query);

  const OntologyFact& query() const { return query_; }
  // Whether the query follows from the context (true), its negation does (false), or neither.
  std::optional<bool> truth() const;
  // The shortest derivation in the data's style: the starting fact, then for each hop the rule
  // (as the context words it) and the derived fact; the last line is the query or its negation.
  // Empty when neither follows.
  std::vector<std::string> solve() const;
  // Rule applications in solve() (0 when undecided).
  int hops() const;

  // Verifies completion steps (splitSteps of a completion) against `answer`, the truth of the
  // query as the data gives it.
  ProntoQaCheck check(const std::vector<std::string>& steps, bool answer) const;
  // The useful valid next steps after `steps`: facts derivable by one rule application and not
  // yet known, context facts not yet stated, context rules not yet stated that apply to a known
  // fact, and both answer lines once the query or its negation is known. Empty after an invalid
  // step or an answer line.
  std::vector<std::string> legalSteps(const std::vector<std::string>& steps) const;
  // Whether `steps` end with an answer line or leave no legal step.
  bool isTerminal(const std::vector<std::string>& steps) const;
  // The facts known after `steps`, one sentence per line.
  std::string describe(const std::vector<std::string>& steps) const;

  // "Alex is a lepidopteran.", "Alex is not bony." (the article follows the concept's kind).
  std::string render(const OntologyFact& fact) const;
  // The sentences of the context, in order.
  const std::vector<std::string>& sentences() const { return sentences_; }

 private:
  struct Replay;
  struct Parsed;
  std::optional<Parsed> parse(const std::string& sentence, std::string* error) const;
  Replay replay(const std::vector<std::string>& steps) const;
  std::string resolvePlural(const std::string& phrase, bool* matched) const;
  void learnName(const std::string& key, const std::string& surface, int priority, bool noun);

  std::vector<std::string> sentences_;
  std::vector<OntologyFact> facts_;  // in context order
  std::vector<std::string> factText_;
  std::vector<OntologyRule> rules_;  // in context order
  std::vector<std::string> ruleText_;
  std::set<std::string> singulars_;  // concept keys seen in singular noun form
  struct Name {
    std::string surface;
    int priority = -1;
    bool noun = false;
  };
  std::map<std::string, Name> names_;  // concept key -> how to write it
  OntologyFact query_;
};

// "The answer is True." / "The answer is False."
std::string prontoQaAnswerLine(bool answer);
// True / False for an answer line ("The answer is True.", "True", "false."), nullopt otherwise.
std::optional<bool> parseProntoQaAnswerLine(const std::string& line);

// The prompt of an example: its question, a newline, its query, a newline.
std::string prontoQaPrompt(const ProntoQaExample& example);

// A fictional ontology in PrOntoQA's style: an entity, a chain of `hops` rules from the entity's
// class to a property (each class may carry another property), `distractors` rules about concepts
// off the entity's path (the query property with the opposite polarity, sibling classes, other
// properties), shuffled with the fact last; the query asks the property with a random polarity.
// The chain of thought is the solver's derivation. Deterministic for a given rng state.
// hops in [1, 8], distractors in [0, 8] (InternalError otherwise).
ProntoQaExample generateProntoQa(int hops, int distractors, std::mt19937_64& rng);

}  // namespace tb
