// PrOntoQA's ontology language, loader, step verifier, solver and generator (see ProntoQa.h;
// Saparov & He 2023, as used by Flow of Reasoning, Yu et al. 2024).
#include "core/tasks/ProntoQa.h"
#include "core/tasks/PortableShuffle.h"

#include <algorithm>
#include <deque>
#include <fstream>
#include <sstream>

#include "core/Error.h"

namespace tb {

namespace {

std::string lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

std::string trim(const std::string& text) {
  size_t b = 0, e = text.size();
  while (b < e && (text[b] == ' ' || text[b] == '\t' || text[b] == '\r' || text[b] == '\n')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r' || text[e - 1] == '\n')) --e;
  return text.substr(b, e - b);
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A step quoted in a reason, cut to a readable length.
std::string quoted(const std::string& step) {
  return "'" + (step.size() <= 100 ? step : step.substr(0, 100) + "...") + "'";
}

bool isPrintableAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 32 && c <= 126; });
}

// A word phrase of the ontology language: letters, digits, '-', '\'' and single spaces.
bool isPhrase(const std::string& text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '\'' || (c == ' ' && text[i - 1] != ' ');
    if (!ok) return false;
  }
  return true;
}

const char* kExpectedSentence =
    "expected a fact ('Alex is a cat.', 'Alex is not bony.') or a rule ('Every cat is a feline.', "
    "'Cats are felines.')";

// A sentence as written, before its concepts are resolved against the context's vocabulary.
struct RawSentence {
  enum class Form { Fact, Every, Plural };
  Form form = Form::Fact;
  std::string subject;    // entity, singular class or plural class, as written
  std::string predicate;  // without "not" and the article
  bool negated = false;
  bool article = false;   // "a"/"an" before the predicate: a class
};

std::optional<RawSentence> readSentence(const std::string& sentence, std::string* error) {
  std::string s = trim(sentence);
  if (!s.empty() && s.back() == '.') s = trim(s.substr(0, s.size() - 1));
  if (s.empty()) {
    *error = "empty sentence";
    return std::nullopt;
  }
  RawSentence raw;
  std::string predicate;
  const std::string low = lower(s);
  if (startsWith(low, "every ") || startsWith(low, "each ")) {
    const std::string rest = s.substr(s.find(' ') + 1);
    const size_t is = rest.find(" is ");
    if (is == std::string::npos) {
      *error = kExpectedSentence;
      return std::nullopt;
    }
    raw.form = RawSentence::Form::Every;
    raw.subject = rest.substr(0, is);
    predicate = rest.substr(is + 4);
  } else if (const size_t are = s.find(" are "); are != std::string::npos) {
    raw.form = RawSentence::Form::Plural;
    raw.subject = s.substr(0, are);
    predicate = s.substr(are + 5);
  } else if (const size_t is = s.find(" is "); is != std::string::npos) {
    raw.form = RawSentence::Form::Fact;
    raw.subject = s.substr(0, is);
    predicate = s.substr(is + 4);
    if (raw.subject.find(' ') != std::string::npos) {
      *error = "the subject of a fact is one name, got '" + raw.subject + "'";
      return std::nullopt;
    }
  } else {
    *error = kExpectedSentence;
    return std::nullopt;
  }
  if (startsWith(predicate, "not ")) {
    raw.negated = true;
    predicate = predicate.substr(4);
  }
  if (startsWith(predicate, "a ") || startsWith(predicate, "an ")) {
    raw.article = true;
    predicate = predicate.substr(predicate.find(' ') + 1);
  }
  raw.predicate = predicate;
  if (!isPhrase(raw.subject) || !isPhrase(raw.predicate)) {
    *error = kExpectedSentence;
    return std::nullopt;
  }
  return raw;
}

// Sentences of a question: split after each '.' that ends the text or precedes a space.
std::vector<std::string> splitSentences(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '.' && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) {
      const std::string s = trim(text.substr(start, i + 1 - start));
      if (!s.empty()) out.push_back(s);
      start = i + 1;
    }
  }
  const std::string tail = trim(text.substr(std::min(start, text.size())));
  if (!tail.empty()) out.push_back(tail);
  return out;
}

std::string withArticle(const std::string& noun) {
  const char c = noun.empty() ? 'x' : static_cast<char>(std::tolower(static_cast<unsigned char>(noun[0])));
  return (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ? "an " : "a ") + noun;
}

OntologyFact negation(const OntologyFact& fact) { return {fact.entity, fact.category, !fact.negated}; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Examples and the loader

nlohmann::json ProntoQaExample::toJson() const {
  nlohmann::json out{{"question", question}, {"query", query}, {"chain_of_thought", chainOfThought}};
  if (answer) out["answer"] = *answer ? "True" : "False";
  return out;
}

namespace {

template <typename Json>
ProntoQaExample parseExample(const Json& object, const std::string& where) {
  auto fail = [&](const char* field, const std::string& what) -> void {
    failInput(where, ": field '", field, "': ", what);
  };
  if (!object.is_object()) failInput(where, ": expected an object {question, query, chain_of_thought, answer}");
  ProntoQaExample ex;
  auto text = [&](const char* field, bool required) -> std::string {
    auto it = object.find(field);
    if (it == object.end()) {
      if (required) fail(field, "missing (expected a string)");
      return {};
    }
    if (!it->is_string()) fail(field, "expected a string, got " + it->dump());
    const std::string value = it->template get<std::string>();
    if (!isPrintableAscii(value)) fail(field, "expected printable ASCII text");
    return value;
  };
  ex.question = text("question", true);
  if (trim(ex.question).empty()) fail("question", "expected a non-empty string");
  ex.query = text("query", true);
  if (!startsWith(lower(ex.query), "true or false: "))
    fail("query", "expected 'True or false: <fact>.', got '" + ex.query + "'");
  if (auto it = object.find("chain_of_thought"); it != object.end()) {
    if (!it->is_array()) fail("chain_of_thought", "expected an array of strings");
    for (const auto& step : *it) {
      if (!step.is_string()) fail("chain_of_thought", "expected an array of strings, got " + step.dump());
      const std::string s = step.template get<std::string>();
      if (!isPrintableAscii(s)) fail("chain_of_thought", "expected printable ASCII text");
      ex.chainOfThought.push_back(s);
    }
  }
  if (auto it = object.find("answer"); it != object.end()) {
    if (it->is_boolean()) {
      ex.answer = it->template get<bool>();
    } else if (it->is_string() && (*it == "True" || *it == "False")) {
      ex.answer = *it == "True";
    } else {
      fail("answer", "expected \"True\" or \"False\", got " + it->dump());
    }
  }
  return ex;
}

}  // namespace

ProntoQaExample parseProntoQaExample(const nlohmann::json& object, const std::string& where) {
  return parseExample(object, where);
}

std::vector<ProntoQaExample> loadProntoQaJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) failInput("cannot open PrOntoQA dataset '", path, "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (trim(buffer.str()).empty()) failInput(path, ": empty file (expected a JSON object of examples)");
  nlohmann::ordered_json root;  // ordered: keep the file's example order
  try {
    root = nlohmann::ordered_json::parse(buffer.str());
  } catch (const nlohmann::json::exception& e) {
    failInput(path, ": malformed JSON: ", e.what());
  }
  if (!root.is_object() || root.empty())
    failInput(path, ": expected a JSON object {\"example1\": {\"test_example\": {...}, ...}, ...}");
  std::vector<ProntoQaExample> out;
  for (const auto& [key, example] : root.items()) {
    if (!example.is_object() || !example.contains("test_example"))
      failInput(path, ": ", key, ": expected an object with a field 'test_example'");
    // The test example first, then the in-context examples in file order.
    ProntoQaExample test = parseExample(example["test_example"], path + ": " + key + ".test_example");
    test.key = key;
    out.push_back(std::move(test));
    for (const auto& [field, inner] : example.items()) {
      if (field == "test_example") continue;
      if (!startsWith(field, "in_context_example"))
        failInput(path, ": ", key, ": unexpected field '", field, "' (expected in_context_exampleN or test_example)");
      ProntoQaExample ic = parseExample(inner, path + ": " + key + "." + field);
      ic.key = key + "/" + field;
      out.push_back(std::move(ic));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The context

struct ProntoQaContext::Parsed {
  bool isRule = false;
  OntologyFact fact;
  OntologyRule rule;
};

struct ProntoQaContext::Replay {
  std::set<OntologyFact> known;  // context facts and the facts stated or derived in the steps
  std::set<OntologyFact> statedFacts;
  std::set<OntologyRule> statedRules;
  int validSteps = 0;
  int derivedSteps = 0;
  std::string error;  // the first fault, "" when none
  bool answered = false;
  bool answer = false;
};

std::string ProntoQaContext::resolvePlural(const std::string& phrase, bool* noun) const {
  const std::string low = lower(phrase);
  const size_t space = low.rfind(' ');
  const std::string head = space == std::string::npos ? "" : low.substr(0, space + 1);
  const std::string w = space == std::string::npos ? low : low.substr(space + 1);
  // Prefer a singular form the context itself uses ("houses" -> "house", "wumpuses" -> "wumpus").
  std::vector<std::string> candidates;
  if (endsWith(w, "ies") && w.size() > 3) candidates.push_back(w.substr(0, w.size() - 3) + "y");
  if (endsWith(w, "s")) candidates.push_back(w.substr(0, w.size() - 1));
  if (endsWith(w, "es")) candidates.push_back(w.substr(0, w.size() - 2));
  candidates.push_back(w);  // invariant plurals: "sheep"
  for (const auto& c : candidates) {
    if (singulars_.count(head + c)) {
      *noun = true;
      return head + c;
    }
  }
  // English rules for a plural the context never writes in the singular.
  *noun = true;
  if (endsWith(w, "ies") && w.size() > 3) return head + w.substr(0, w.size() - 3) + "y";
  for (const char* suffix : {"sses", "shes", "ches", "xes", "zes", "uses"})
    if (endsWith(w, suffix)) return head + w.substr(0, w.size() - 2);
  if (endsWith(w, "s") && !endsWith(w, "ss") && !endsWith(w, "us") && !endsWith(w, "is") && w.size() > 2)
    return head + w.substr(0, w.size() - 1);
  *noun = false;  // not a plural: an adjective ("carnivorous") or an invariant noun
  return low;
}

void ProntoQaContext::learnName(const std::string& key, const std::string& surface, int priority, bool noun) {
  Name& name = names_[key];
  if (priority > name.priority) {
    name.surface = surface;
    name.priority = priority;
  }
  name.noun = name.noun || noun;
}

std::optional<ProntoQaContext::Parsed> ProntoQaContext::parse(const std::string& sentence,
                                                              std::string* error) const {
  const auto raw = readSentence(sentence, error);
  if (!raw) return std::nullopt;
  Parsed p;
  bool noun = false;
  std::string predicate;
  if (raw->article) {
    predicate = lower(raw->predicate);
  } else if (raw->form == RawSentence::Form::Plural) {
    predicate = resolvePlural(raw->predicate, &noun);
  } else {
    predicate = lower(raw->predicate);
  }
  switch (raw->form) {
    case RawSentence::Form::Fact:
      p.fact = OntologyFact{raw->subject, predicate, raw->negated};
      break;
    case RawSentence::Form::Every:
      p.isRule = true;
      p.rule = OntologyRule{lower(raw->subject), predicate, raw->negated};
      break;
    case RawSentence::Form::Plural:
      p.isRule = true;
      p.rule = OntologyRule{resolvePlural(raw->subject, &noun), predicate, raw->negated};
      break;
  }
  return p;
}

ProntoQaContext::ProntoQaContext(const std::string& question, const std::string& query) {
  sentences_ = splitSentences(question);
  if (sentences_.empty()) failInput("the question has no sentences");
  std::vector<RawSentence> raws;
  for (size_t i = 0; i < sentences_.size(); ++i) {
    std::string error;
    auto raw = readSentence(sentences_[i], &error);
    if (!raw) failInput("sentence ", i + 1, " '", sentences_[i], "': ", error);
    raws.push_back(*raw);
  }
  // Singular noun forms first: plurals are resolved against them.
  for (const auto& raw : raws) {
    if (raw.form == RawSentence::Form::Every) singulars_.insert(lower(raw.subject));
    if (raw.article) singulars_.insert(lower(raw.predicate));
  }
  for (size_t i = 0; i < raws.size(); ++i) {
    const RawSentence& raw = raws[i];
    bool noun = false;
    // How to write each concept: a singular written mid-sentence beats a resolved plural.
    if (raw.form == RawSentence::Form::Every) learnName(lower(raw.subject), raw.subject, 2, true);
    if (raw.form == RawSentence::Form::Plural) {
      const std::string key = resolvePlural(raw.subject, &noun);
      learnName(key, key, 1, true);
    }
    if (raw.article) {
      learnName(lower(raw.predicate), raw.predicate, 2, true);
    } else if (raw.form == RawSentence::Form::Plural) {
      const std::string key = resolvePlural(raw.predicate, &noun);
      learnName(key, noun ? key : raw.predicate, noun ? 1 : 2, noun);
    } else {
      learnName(lower(raw.predicate), raw.predicate, 2, false);
    }
    std::string error;
    const Parsed p = *parse(sentences_[i], &error);
    if (p.isRule) {
      rules_.push_back(p.rule);
      ruleText_.push_back(sentences_[i]);
    } else {
      facts_.push_back(p.fact);
      factText_.push_back(sentences_[i]);
    }
  }
  if (facts_.empty()) failInput("the question states no fact about an entity (such as 'Alex is a cat.')");

  const std::string prefix = "true or false: ";
  if (!startsWith(lower(query), prefix)) failInput("query '", query, "': expected 'True or false: <fact>.'");
  std::string error;
  const std::string fact = query.substr(prefix.size());
  const auto q = parse(fact, &error);
  if (!q) failInput("query '", query, "': ", error);
  if (const auto raw = readSentence(fact, &error))  // so that an unknown concept still renders well
    learnName(lower(raw->predicate), raw->predicate, 0, raw->article);
  if (q->isRule) failInput("query '", query, "': expected a fact about an entity, got a rule");
  query_ = q->fact;
}

std::string ProntoQaContext::render(const OntologyFact& fact) const {
  auto it = names_.find(fact.category);
  const std::string surface = it == names_.end() ? fact.category : it->second.surface;
  const bool noun = it != names_.end() && it->second.noun;
  return fact.entity + " is " + (fact.negated ? "not " : "") + (noun ? withArticle(surface) : surface) + ".";
}

std::vector<std::string> ProntoQaContext::solve() const {
  // Breadth-first forward chaining from the context facts: the first time the query or its
  // negation is reached gives a shortest derivation. Rules fire on positive facts only.
  std::map<OntologyFact, std::pair<OntologyFact, size_t>> parent;
  std::set<OntologyFact> seen(facts_.begin(), facts_.end());
  std::deque<OntologyFact> queue;
  const OntologyFact opposite = negation(query_);
  for (size_t i = 0; i < facts_.size(); ++i)
    if (facts_[i] == query_ || facts_[i] == opposite) return {factText_[i]};
  for (const auto& f : facts_)
    if (!f.negated) queue.push_back(f);
  std::optional<OntologyFact> goal;
  while (!queue.empty() && !goal) {
    const OntologyFact f = queue.front();
    queue.pop_front();
    for (size_t r = 0; r < rules_.size() && !goal; ++r) {
      if (rules_[r].from != f.category) continue;
      const OntologyFact next{f.entity, rules_[r].to, rules_[r].negated};
      if (!seen.insert(next).second) continue;
      parent.emplace(next, std::make_pair(f, r));
      if (next == query_ || next == opposite) goal = next;
      else if (!next.negated) queue.push_back(next);
    }
  }
  if (!goal) return {};
  std::vector<std::string> reversed;
  OntologyFact at = *goal;
  for (auto it = parent.find(at); it != parent.end(); it = parent.find(at)) {
    reversed.push_back(render(at));
    reversed.push_back(ruleText_[it->second.second]);
    at = it->second.first;
  }
  const size_t root = static_cast<size_t>(std::find(facts_.begin(), facts_.end(), at) - facts_.begin());
  TB_CHECK(root < facts_.size(), "derivation does not start at a context fact");
  reversed.push_back(factText_[root]);
  return {reversed.rbegin(), reversed.rend()};
}

std::optional<bool> ProntoQaContext::truth() const {
  const auto chain = solve();
  if (chain.empty()) return std::nullopt;
  std::string error;
  const auto last = parse(chain.back(), &error);
  TB_CHECK(last && !last->isRule, "solver ended on '", chain.back(), "'");
  return last->fact == query_;
}

int ProntoQaContext::hops() const { return static_cast<int>(solve().size() / 2); }

ProntoQaContext::Replay ProntoQaContext::replay(const std::vector<std::string>& steps) const {
  Replay r;
  r.known.insert(facts_.begin(), facts_.end());
  const std::set<OntologyRule> ruleSet(rules_.begin(), rules_.end());
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string& step = steps[i];
    const std::string where = "step " + std::to_string(i + 1) + ": ";
    if (const auto answer = parseProntoQaAnswerLine(step)) {
      if (i + 1 != steps.size()) {
        r.error = where + "the answer " + quoted(step) + " comes before the last line";
        return r;
      }
      r.answered = true;
      r.answer = *answer;
      ++r.validSteps;
      continue;
    }
    std::string error;
    const auto p = parse(step, &error);
    if (!p) {
      r.error = where + "cannot read " + quoted(step) + ": " + error;
      return r;
    }
    if (p->isRule) {
      if (!ruleSet.count(p->rule)) {
        r.error = where + quoted(step) + " is not a rule of the context";
        return r;
      }
      r.statedRules.insert(p->rule);
      ++r.validSteps;
      continue;
    }
    const OntologyFact& f = p->fact;
    if (r.known.count(f)) {  // a context fact or one derived earlier, restated
      r.statedFacts.insert(f);
      ++r.validSteps;
      continue;
    }
    const OntologyRule* opposite = nullptr;
    bool derived = false;
    for (const auto& rule : rules_) {
      if (rule.to != f.category || !r.known.count(OntologyFact{f.entity, rule.from, false})) continue;
      if (rule.negated == f.negated) derived = true;
      else opposite = &rule;
    }
    if (!derived) {
      if (opposite)
        r.error = where + quoted(step) + " does not follow: the rules give '" + render(negation(f)) +
                  "' from the facts so far";
      else
        r.error = where + quoted(step) + " does not follow: no rule derives " + (f.negated ? "not " : "") +
                  (names_.count(f.category) ? names_.at(f.category).surface : f.category) + " from the facts so far";
      return r;
    }
    r.known.insert(f);
    r.statedFacts.insert(f);
    ++r.validSteps;
    ++r.derivedSteps;
  }
  return r;
}

ProntoQaCheck ProntoQaContext::check(const std::vector<std::string>& steps, bool answer) const {
  ProntoQaCheck out;
  if (steps.empty()) {
    out.reason = "empty completion (expected one sentence per line and a final 'The answer is True.' or "
                 "'The answer is False.')";
    return out;
  }
  const Replay r = replay(steps);
  out.validSteps = r.validSteps;
  out.derivedSteps = r.derivedSteps;
  if (!r.error.empty()) {
    out.invalidStep = true;
    out.reason = r.error;
    return out;
  }
  if (!r.answered) {
    out.reason = "no answer line at the end (expected 'The answer is True.' or 'The answer is False.')";
    return out;
  }
  const bool shown = r.known.count(query_) > 0;
  if (!shown && !r.known.count(negation(query_))) {
    out.reason = "the chain never establishes '" + render(query_) + "' or its negation before answering";
    return out;
  }
  if (r.answer != answer) {
    out.reason = std::string("wrong answer ") + (r.answer ? "True" : "False") + ": the chain gives '" +
                 render(shown ? query_ : negation(query_)) + "', so the answer is " + (answer ? "True" : "False");
    return out;
  }
  out.correct = true;
  out.reason = "correct";
  return out;
}

std::vector<std::string> ProntoQaContext::legalSteps(const std::vector<std::string>& steps) const {
  const Replay r = replay(steps);
  if (!r.error.empty() || r.answered) return {};
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& s) {
    if (seen.insert(s).second) out.push_back(s);
  };
  std::set<std::string> knownClasses;  // concepts some entity is known to be a member of
  for (const auto& f : r.known)
    if (!f.negated) knownClasses.insert(f.category);
  // One rule application to a known fact, in rule order.
  for (const auto& f : r.known) {
    if (f.negated) continue;
    for (const auto& rule : rules_) {
      if (rule.from != f.category) continue;
      const OntologyFact next{f.entity, rule.to, rule.negated};
      if (!r.known.count(next)) add(render(next));
    }
  }
  for (size_t i = 0; i < facts_.size(); ++i)
    if (!r.statedFacts.count(facts_[i])) add(factText_[i]);
  for (size_t i = 0; i < rules_.size(); ++i)
    if (!r.statedRules.count(rules_[i]) && knownClasses.count(rules_[i].from)) add(ruleText_[i]);
  if (r.known.count(query_) || r.known.count(negation(query_))) {
    add(prontoQaAnswerLine(true));
    add(prontoQaAnswerLine(false));
  }
  return out;
}

bool ProntoQaContext::isTerminal(const std::vector<std::string>& steps) const {
  const Replay r = replay(steps);
  return !r.error.empty() || r.answered || legalSteps(steps).empty();
}

std::string ProntoQaContext::describe(const std::vector<std::string>& steps) const {
  const Replay r = replay(steps);
  std::string out = "Known facts:\n";
  for (const auto& f : r.known) out += render(f) + "\n";
  if (!r.error.empty()) out += "Invalid: " + r.error + "\n";
  if (r.answered) out += std::string("Answered: ") + (r.answer ? "True" : "False") + "\n";
  return out;
}

std::string prontoQaAnswerLine(bool answer) { return answer ? "The answer is True." : "The answer is False."; }

std::optional<bool> parseProntoQaAnswerLine(const std::string& line) {
  std::string s = lower(trim(line));
  if (!s.empty() && s.back() == '.') s.pop_back();
  for (const char* prefix : {"the answer is: ", "the answer is ", "answer: ", "answer is "})
    if (startsWith(s, prefix)) {
      s = s.substr(std::string(prefix).size());
      break;
    }
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

std::string prontoQaPrompt(const ProntoQaExample& example) {
  return trim(example.question) + "\n" + trim(example.query) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Generator

namespace {

// PrOntoQA's fictional class names (all "-us", plural "-uses") and properties.
const std::vector<std::string> kFictionalClasses = {
    "wumpus", "yumpus", "zumpus", "dumpus", "rompus", "numpus", "tumpus", "vumpus", "impus",
    "jompus", "gorpus", "shumpus", "lempus", "sterpus", "grimpus", "lorpus", "brimpus", "bompus",
    "fimpus", "kempus", "timpus", "zompus", "dempus", "frompus", "yimpus"};
const std::vector<std::string> kProperties = {
    "blue", "red", "brown", "orange", "small", "large", "metallic", "wooden", "luminous", "dull",
    "transparent", "opaque", "bright", "fruity", "sour", "spicy", "sweet", "bitter", "hot",
    "cold", "feisty", "shy", "happy", "sad", "kind", "mean", "aggressive", "amenable", "angry",
    "nervous", "floral", "muffled", "earthy", "liquid"};
const std::vector<std::string> kEntities = {"Alex", "Fae", "Max", "Polly", "Rex", "Sally", "Sam", "Stella", "Wren"};

std::string capitalised(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
  return text;
}

// One rule in one of PrOntoQA's three forms, chosen by the rng.
std::string ruleSentence(const std::string& from, const std::string& to, bool toIsClass, bool negated,
                         std::mt19937_64& rng) {
  const auto form = rng() % 3;
  const std::string neg = negated ? "not " : "";
  if (form == 2) return capitalised(from) + "es are " + neg + (toIsClass ? to + "es" : to) + ".";
  return std::string(form == 0 ? "Every " : "Each ") + from + " is " + neg + (toIsClass ? withArticle(to) : to) + ".";
}

}  // namespace

ProntoQaExample generateProntoQa(int hops, int distractors, std::mt19937_64& rng) {
  TB_CHECK(hops >= 1 && hops <= 8, "hops = ", hops, " must be in [1, 8]");
  TB_CHECK(distractors >= 0 && distractors <= 8, "distractors = ", distractors, " must be in [0, 8]");
  std::vector<std::string> classes = kFictionalClasses;
  std::vector<std::string> properties = kProperties;
  portableShuffle(classes, rng);
  portableShuffle(properties, rng);
  const std::string entity = kEntities[static_cast<size_t>(rng() % kEntities.size())];
  const auto h = static_cast<size_t>(hops);
  size_t nextProperty = 1;  // properties[0] is the query's

  std::vector<std::string> rules;
  for (size_t i = 0; i + 1 < h; ++i) rules.push_back(ruleSentence(classes[i], classes[i + 1], true, false, rng));
  const bool finalNegated = rng() % 2 == 1;
  rules.push_back(ruleSentence(classes[h - 1], properties[0], false, finalNegated, rng));
  // Other properties along the path: more facts follow, only one of them answers the query.
  for (size_t i = 0; i < h; ++i)
    if (rng() % 2 == 0) {
      const bool negated = rng() % 2 == 1;
      rules.push_back(ruleSentence(classes[i], properties[nextProperty++], false, negated, rng));
    }
  // Distractors: classes the entity is not a member of.
  for (size_t j = 0; j < static_cast<size_t>(distractors); ++j) {
    const std::string& d = classes[h + j];
    switch (j % 3) {
      case 0:  // the query property with the opposite polarity ("Each spider is not six-legged.")
        rules.push_back(ruleSentence(d, properties[0], false, !finalNegated, rng));
        break;
      case 1:  // a sibling class that joins the path
        rules.push_back(ruleSentence(d, classes[static_cast<size_t>(rng() % h)], true, false, rng));
        break;
      default: {
        const bool negated = rng() % 2 == 1;
        rules.push_back(ruleSentence(d, properties[nextProperty++], false, negated, rng));
      }
    }
  }
  portableShuffle(rules, rng);
  std::string question;
  for (const auto& r : rules) question += r + " ";
  question += entity + " is " + withArticle(classes[0]) + ".";
  const bool queryNegated = rng() % 2 == 1;

  ProntoQaExample ex;
  ex.question = question;
  ex.query = "True or false: " + entity + " is " + (queryNegated ? "not " : "") + properties[0] + ".";
  ex.answer = queryNegated == finalNegated;
  const ProntoQaContext context(ex.question, ex.query);
  ex.chainOfThought = context.solve();
  TB_CHECK(context.truth() == ex.answer, "generated ontology answers ", context.truth().value_or(false),
           ", expected ", *ex.answer, ": ", question);
  TB_CHECK(context.hops() == hops, "generated ontology has ", context.hops(), " hops, expected ", hops);
  return ex;
}

}  // namespace tb
