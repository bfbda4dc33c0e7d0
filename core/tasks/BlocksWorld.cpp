// Blocksworld (PlanBench, Valmeekam et al. 2023; Flow of Reasoning, Yu et al. 2024): the PDDL
// reader, the simulator of the four actions, PlanBench's natural-language rendering, plan
// checking, the A* planner that keeps every optimal plan, and the instance generator.
#include "core/tasks/BlocksWorld.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <queue>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/Error.h"

namespace tb {

namespace {

constexpr int kMaxNesting = 200;  // deeper input is not PDDL; refuse it before the stack suffers

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) failInput("cannot open ", path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A short quote of what was found, for "expected X, found Y".
std::string found(const SExpr& e) {
  if (!e.isList) return "'" + e.atom + "'";
  if (e.items.empty()) return "'()'";
  if (!e.items.front().isList) return "'(" + e.items.front().atom + " ...)'";
  return "a nested list";
}

// ---- s-expressions ----

class SExprReader {
 public:
  SExprReader(const std::string& text, const std::string& origin) : text_(text), origin_(origin) {}

  SExpr readAll() {
    SExpr top = read(0);
    skipSpace();
    if (pos_ < text_.size())
      failInput(origin_, ":", line_, ": expected the end of the file after the expression of line ", top.line,
                ", found '", snippet(), "'");
    return top;
  }

 private:
  void skipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (c == ';') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string snippet() const {
    std::string s = text_.substr(pos_, 20);
    if (const size_t nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
    return s;
  }

  SExpr read(int depth) {
    skipSpace();
    if (pos_ >= text_.size())
      failInput(origin_, ":", lastLine_, ": expected an s-expression, found the end of the file");
    if (depth > kMaxNesting) failInput(origin_, ":", line_, ": expected at most ", kMaxNesting, " nested lists");
    SExpr e;
    e.line = lastLine_ = line_;
    if (text_[pos_] == ')') failInput(origin_, ":", line_, ": expected an atom or '(', found an unmatched ')'");
    if (text_[pos_] == '(') {
      e.isList = true;
      ++pos_;
      for (;;) {
        skipSpace();
        if (pos_ >= text_.size())
          failInput(origin_, ":", lastLine_, ": expected ')' to close the '(' of line ", e.line,
                    ", found the end of the file");
        if (text_[pos_] == ')') {
          lastLine_ = line_;
          ++pos_;
          return e;
        }
        e.items.push_back(read(depth + 1));
      }
    }
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == ';') break;
      ++pos_;
    }
    e.atom = lower(text_.substr(start, pos_ - start));
    return e;
  }

  const std::string& text_;
  const std::string& origin_;
  size_t pos_ = 0;
  int line_ = 1;
  int lastLine_ = 1;  // line of the last token: errors at the end of the file point there
};

bool isAtom(const SExpr& e, const char* name) { return !e.isList && e.atom == name; }
bool headIs(const SExpr& e, const char* name) { return e.isList && !e.items.empty() && isAtom(e.items.front(), name); }

// "(define (KIND NAME) sections...)": checks the frame and returns NAME.
std::string readDefine(const SExpr& top, const char* kind, const std::string& origin) {
  if (!headIs(top, "define"))
    failInput(origin, ":", top.line, ": expected '(define (", kind, " NAME) ...)', found ", found(top));
  if (top.items.size() < 2 || !headIs(top.items[1], kind) || top.items[1].items.size() != 2 ||
      top.items[1].items[1].isList)
    failInput(origin, ":", top.items.size() < 2 ? top.line : top.items[1].line, ": expected '(", kind,
              " NAME)' after 'define', found ", top.items.size() < 2 ? std::string("nothing") : found(top.items[1]));
  return top.items[1].items[1].atom;
}

PddlAtom readPddlAtom(const SExpr& e, const std::string& origin, const char* what) {
  if (!e.isList || e.items.empty() || e.items.front().isList)
    failInput(origin, ":", e.line, ": expected ", what, " '(predicate args...)', found ", found(e));
  PddlAtom atom;
  atom.predicate = e.items.front().atom;
  atom.line = e.line;
  for (size_t i = 1; i < e.items.size(); ++i) {
    if (e.items[i].isList)
      failInput(origin, ":", e.items[i].line, ": expected a name as argument of '", atom.predicate,
                "', found a list");
    atom.args.push_back(e.items[i].atom);
  }
  return atom;
}

// Flattens "(and f1 f2 ...)" (nested and empty "and"s too) into its atoms; `negated` receives
// "(not atom)" parts when given, else they are an error.
void readConjunction(const SExpr& e, const std::string& origin, const char* what, std::vector<PddlAtom>& positive,
                     std::vector<PddlAtom>* negated) {
  if (headIs(e, "and")) {
    for (size_t i = 1; i < e.items.size(); ++i) readConjunction(e.items[i], origin, what, positive, negated);
    return;
  }
  if (e.isList && e.items.empty()) return;  // "()" is the empty conjunction
  if (headIs(e, "not")) {
    if (!negated)
      failInput(origin, ":", e.line, ": expected a positive atom in the ", what, " (STRIPS), found '(not ...)'");
    if (e.items.size() != 2) failInput(origin, ":", e.line, ": expected '(not (predicate args...))'");
    negated->push_back(readPddlAtom(e.items[1], origin, what));
    return;
  }
  for (const char* op : {"or", "imply", "forall", "exists", "when", "="})
    if (headIs(e, op))
      failInput(origin, ":", e.line, ": expected a conjunction of atoms in the ", what, " (STRIPS), found '(", op,
                " ...)'");
  positive.push_back(readPddlAtom(e, origin, what));
}

// Names of a :parameters or :objects list, skipping "- type" annotations.
std::vector<std::string> readNameList(const std::vector<SExpr>& items, size_t from, const std::string& origin,
                                      const char* what) {
  std::vector<std::string> names;
  for (size_t i = from; i < items.size(); ++i) {
    if (items[i].isList) failInput(origin, ":", items[i].line, ": expected a name in ", what, ", found a list");
    if (items[i].atom == "-") {
      ++i;  // the type name
      if (i >= items.size() || items[i].isList)
        failInput(origin, ":", items[i - 1].line, ": expected a type name after '-' in ", what);
      continue;
    }
    names.push_back(items[i].atom);
  }
  return names;
}

// ---- names ----

constexpr std::array<const char*, 12> kColours = {"red",   "blue",    "orange", "yellow", "white",  "magenta",
                                                  "black", "cyan",    "green",  "violet", "silver", "gold"};

std::string joinNames(const BwProblem& problem) {
  std::string out;
  for (size_t i = 0; i < problem.objects.size(); ++i) {
    if (i) out += i + 1 == problem.objects.size() ? " and " : ", ";
    out += blockName(problem, static_cast<int>(i));
  }
  return out;
}

// Joins sentences as PlanBench does: "a, b and c".
std::string joinAnd(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::string theBlock(const BwProblem& problem, int block) { return "the " + blockName(problem, block) + " block"; }

}  // namespace

SExpr parseSExpression(const std::string& text, const std::string& origin) {
  return SExprReader(text, origin).readAll();
}

// ---- domain ----

const PddlActionSchema* PddlDomain::find(const std::string& action) const {
  for (const auto& a : actions)
    if (a.name == action) return &a;
  return nullptr;
}

PddlDomain parsePddlDomain(const std::string& text, const std::string& origin) {
  const SExpr top = parseSExpression(text, origin);
  PddlDomain domain;
  domain.name = readDefine(top, "domain", origin);
  for (size_t i = 2; i < top.items.size(); ++i) {
    const SExpr& section = top.items[i];
    if (!section.isList || section.items.empty() || section.items.front().isList ||
        section.items.front().atom.empty() || section.items.front().atom[0] != ':')
      failInput(origin, ":", section.line, ": expected a section '(:keyword ...)', found ", found(section));
    if (section.items.front().atom != ":action") continue;  // :requirements, :types, :predicates, ...
    PddlActionSchema action;
    action.line = section.line;
    if (section.items.size() < 2 || section.items[1].isList)
      failInput(origin, ":", section.line, ": expected an action name after ':action'");
    action.name = section.items[1].atom;
    for (size_t k = 2; k < section.items.size(); k += 2) {
      const SExpr& key = section.items[k];
      if (key.isList || key.atom.empty() || key.atom[0] != ':')
        failInput(origin, ":", key.line, ": expected ':parameters', ':precondition' or ':effect' in action '",
                  action.name, "', found ", found(key));
      if (k + 1 >= section.items.size())
        failInput(origin, ":", key.line, ": expected a value after '", key.atom, "' in action '", action.name, "'");
      const SExpr& value = section.items[k + 1];
      if (key.atom == ":parameters") {
        if (!value.isList) failInput(origin, ":", value.line, ": expected a parameter list, found ", found(value));
        action.parameters = readNameList(value.items, 0, origin, ":parameters");
      } else if (key.atom == ":precondition") {
        readConjunction(value, origin, "precondition", action.precondition, nullptr);
      } else if (key.atom == ":effect") {
        readConjunction(value, origin, "effect", action.addEffects, &action.deleteEffects);
      } else {
        failInput(origin, ":", key.line, ": expected ':parameters', ':precondition' or ':effect' in action '",
                  action.name, "', found '", key.atom, "'");
      }
    }
    if (domain.find(action.name)) failInput(origin, ":", section.line, ": action '", action.name, "' is defined twice");
    domain.actions.push_back(std::move(action));
  }
  return domain;
}

PddlDomain loadPddlDomain(const std::string& path) { return parsePddlDomain(readFile(path), path); }

namespace {

// Atoms with parameters replaced by their position ("clear ?1"), as a sorted set.
std::set<std::string> normalised(const PddlActionSchema& action, const std::vector<PddlAtom>& atoms) {
  std::set<std::string> out;
  for (const auto& atom : atoms) {
    std::string s = atom.predicate;
    for (const auto& arg : atom.args) {
      auto it = std::find(action.parameters.begin(), action.parameters.end(), arg);
      s += it == action.parameters.end() ? " " + arg : " ?" + std::to_string(it - action.parameters.begin());
    }
    out.insert(s);
  }
  return out;
}

std::string setText(const std::set<std::string>& atoms) {
  std::string out = "{";
  for (const auto& a : atoms) out += (out.size() > 1 ? ", " : "") + ("(" + a + ")");
  return out + "}";
}

}  // namespace

void checkBlocksWorldDomain(const PddlDomain& domain, const std::string& origin) {
  struct Expected {
    const char* name;
    size_t arity;
    std::set<std::string> pre, add, del;
  };
  // PlanBench's blocksworld-4ops, the semantics applyAction implements.
  const std::vector<Expected> expected = {
      {"pick-up", 1, {"clear ?0", "ontable ?0", "handempty"}, {"holding ?0"}, {"clear ?0", "ontable ?0", "handempty"}},
      {"put-down", 1, {"holding ?0"}, {"clear ?0", "handempty", "ontable ?0"}, {"holding ?0"}},
      {"stack", 2, {"clear ?1", "holding ?0"}, {"handempty", "clear ?0", "on ?0 ?1"}, {"clear ?1", "holding ?0"}},
      {"unstack", 2, {"on ?0 ?1", "clear ?0", "handempty"}, {"holding ?0", "clear ?1"},
       {"on ?0 ?1", "clear ?0", "handempty"}},
  };
  const char* what = "PlanBench's 4-operator Blocksworld (pick-up, put-down, stack, unstack)";
  for (const auto& action : domain.actions)
    if (std::none_of(expected.begin(), expected.end(), [&](const Expected& e) { return action.name == e.name; }))
      failInput(origin, ":", action.line, ": action '", action.name, "' is not one of ", what);
  for (const auto& e : expected) {
    const PddlActionSchema* action = domain.find(e.name);
    if (!action) failInput(origin, ": expected the action '", e.name, "' of ", what);
    const auto fail = [&](const char* part, const std::set<std::string>& got, const std::set<std::string>& want) {
      failInput(origin, ":", action->line, ": the ", part, " of action '", e.name, "' is ", setText(got),
                ", expected ", setText(want), " (", what, ")");
    };
    if (action->parameters.size() != e.arity)
      failInput(origin, ":", action->line, ": action '", e.name, "' has ", action->parameters.size(),
                " parameters, expected ", e.arity);
    if (const auto got = normalised(*action, action->precondition); got != e.pre) fail("precondition", got, e.pre);
    if (const auto got = normalised(*action, action->addEffects); got != e.add) fail("add effects", got, e.add);
    if (const auto got = normalised(*action, action->deleteEffects); got != e.del) fail("delete effects", got, e.del);
  }
}

std::optional<std::set<std::string>> applyPddlAction(const PddlActionSchema& action,
                                                     const std::vector<std::string>& args,
                                                     const std::set<std::string>& facts) {
  TB_CHECK(args.size() == action.parameters.size(), "action '", action.name, "' takes ", action.parameters.size(),
           " arguments, got ", args.size());
  const auto ground = [&](const PddlAtom& atom) {
    std::string s = atom.predicate;
    for (const auto& a : atom.args) {
      auto it = std::find(action.parameters.begin(), action.parameters.end(), a);
      s += " " + (it == action.parameters.end() ? a : args[static_cast<size_t>(it - action.parameters.begin())]);
    }
    return s;
  };
  for (const auto& atom : action.precondition)
    if (!facts.count(ground(atom))) return std::nullopt;
  std::set<std::string> next = facts;
  for (const auto& atom : action.deleteEffects) next.erase(ground(atom));  // STRIPS: delete, then add
  for (const auto& atom : action.addEffects) next.insert(ground(atom));
  return next;
}

// ---- problems ----

BwProblem parseBlocksWorldProblem(const std::string& text, const std::string& origin) {
  const SExpr top = parseSExpression(text, origin);
  BwProblem problem;
  problem.name = readDefine(top, "problem", origin);
  const SExpr* objects = nullptr;
  const SExpr* init = nullptr;
  const SExpr* goal = nullptr;
  for (size_t i = 2; i < top.items.size(); ++i) {
    const SExpr& section = top.items[i];
    if (!section.isList || section.items.empty() || section.items.front().isList ||
        section.items.front().atom.empty() || section.items.front().atom[0] != ':')
      failInput(origin, ":", section.line, ": expected a section '(:keyword ...)', found ", found(section));
    const std::string& key = section.items.front().atom;
    const SExpr** slot = key == ":objects" ? &objects : key == ":init" ? &init : key == ":goal" ? &goal : nullptr;
    if (!slot) continue;  // :domain, :requirements, :metric, ... do not change the problem
    if (*slot) failInput(origin, ":", section.line, ": the section '", key, "' appears twice (first on line ",
                         (*slot)->line, ")");
    *slot = &section;
  }
  if (!objects) failInput(origin, ":", top.line, ": expected an '(:objects ...)' section");
  if (!init) failInput(origin, ":", top.line, ": expected an '(:init ...)' section");
  if (!goal) failInput(origin, ":", top.line, ": expected a '(:goal ...)' section");

  problem.objects = readNameList(objects->items, 1, origin, ":objects");
  if (problem.objects.empty()) failInput(origin, ":", objects->line, ": expected at least one object");
  for (size_t i = 0; i < problem.objects.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (problem.objects[i] == problem.objects[j])
        failInput(origin, ":", objects->line, ": the object '", problem.objects[i], "' is listed twice");

  const int n = static_cast<int>(problem.objects.size());
  const auto objectOf = [&](const PddlAtom& atom, size_t k) {
    const auto it = std::find(problem.objects.begin(), problem.objects.end(), atom.args[k]);
    if (it == problem.objects.end())
      failInput(origin, ":", atom.line, ": unknown object '", atom.args[k], "' in '(", atom.predicate,
                " ...)', expected one of the :objects");
    return static_cast<int>(it - problem.objects.begin());
  };
  const auto toBwAtom = [&](const PddlAtom& atom) {
    static const std::map<std::string, std::pair<BwPredicate, size_t>> predicates = {
        {"on", {BwPredicate::On, 2}},
        {"ontable", {BwPredicate::OnTable, 1}},
        {"clear", {BwPredicate::Clear, 1}},
        {"holding", {BwPredicate::Holding, 1}},
        {"handempty", {BwPredicate::HandEmpty, 0}}};
    const auto it = predicates.find(atom.predicate);
    if (it == predicates.end())
      failInput(origin, ":", atom.line,
                ": expected one of the predicates on, ontable, clear, holding, handempty, found '", atom.predicate,
                "'");
    if (atom.args.size() != it->second.second)
      failInput(origin, ":", atom.line, ": expected ", it->second.second, " argument(s) for '", atom.predicate,
                "', found ", atom.args.size());
    BwAtom out;
    out.predicate = it->second.first;
    if (atom.args.size() > 0) out.x = objectOf(atom, 0);
    if (atom.args.size() > 1) out.y = objectOf(atom, 1);
    if (out.predicate == BwPredicate::On && out.x == out.y)
      failInput(origin, ":", atom.line, ": a block cannot be on itself: '(on ", atom.args[0], " ", atom.args[1], ")'");
    return out;
  };

  // Initial state: positions first, then the derived facts are checked against them.
  std::vector<PddlAtom> initAtoms;
  for (size_t i = 1; i < init->items.size(); ++i)
    initAtoms.push_back(readPddlAtom(init->items[i], origin, "initial fact"));
  constexpr int kUnset = -3;
  problem.init.below.assign(static_cast<size_t>(n), kUnset);
  std::vector<int> placedOn(static_cast<size_t>(n), 0);  // line of each block's position fact
  std::vector<std::pair<BwAtom, int>> derived;           // clear / handempty facts with their lines
  for (const auto& pddl : initAtoms) {
    const BwAtom atom = toBwAtom(pddl);
    if (atom.predicate == BwPredicate::Clear || atom.predicate == BwPredicate::HandEmpty) {
      derived.emplace_back(atom, pddl.line);
      continue;
    }
    auto& below = problem.init.below[static_cast<size_t>(atom.x)];
    if (below != kUnset)
      failInput(origin, ":", pddl.line, ": block '", problem.objects[static_cast<size_t>(atom.x)],
                "' already has a position (line ", placedOn[static_cast<size_t>(atom.x)],
                "), expected one of on / ontable / holding per block");
    below = atom.predicate == BwPredicate::On ? atom.y : atom.predicate == BwPredicate::OnTable ? kBwTable : kBwHand;
    placedOn[static_cast<size_t>(atom.x)] = pddl.line;
  }
  int held = -1;
  std::vector<int> above(static_cast<size_t>(n), -1);
  for (int x = 0; x < n; ++x) {
    const int b = problem.init.below[static_cast<size_t>(x)];
    const std::string& name = problem.objects[static_cast<size_t>(x)];
    if (b == kUnset)
      failInput(origin, ":", init->line, ": expected a position for block '", name, "' in :init: (ontable ", name,
                "), (on ", name, " ...) or (holding ", name, ")");
    if (b == kBwHand) {
      if (held >= 0)
        failInput(origin, ":", placedOn[static_cast<size_t>(x)], ": the hand holds both '",
                  problem.objects[static_cast<size_t>(held)], "' and '", name, "', expected at most one held block");
      held = x;
    } else if (b >= 0) {
      if (above[static_cast<size_t>(b)] >= 0)
        failInput(origin, ":", placedOn[static_cast<size_t>(x)], ": blocks '",
                  problem.objects[static_cast<size_t>(above[static_cast<size_t>(b)])], "' and '", name,
                  "' are both on '", problem.objects[static_cast<size_t>(b)], "', expected one block on another");
      above[static_cast<size_t>(b)] = x;
    }
  }
  for (int x = 0; x < n; ++x) {
    const int b = problem.init.below[static_cast<size_t>(x)];
    if (b >= 0 && problem.init.below[static_cast<size_t>(b)] == kBwHand)
      failInput(origin, ":", placedOn[static_cast<size_t>(x)], ": block '", problem.objects[static_cast<size_t>(x)],
                "' is on the held block '", problem.objects[static_cast<size_t>(b)], "'");
    int steps = 0;
    for (int y = x; y >= 0; y = problem.init.below[static_cast<size_t>(y)])
      if (++steps > n)
        failInput(origin, ":", placedOn[static_cast<size_t>(x)], ": the on facts of block '",
                  problem.objects[static_cast<size_t>(x)], "' form a cycle, expected stacks that end on the table");
  }
  for (const auto& [atom, line] : derived)
    if (!holds(problem.init, atom)) {
      const std::string fact = atom.predicate == BwPredicate::Clear
                                   ? "clear " + problem.objects[static_cast<size_t>(atom.x)]
                                   : std::string("handempty");
      failInput(origin, ":", line, ": '(", fact, ")' contradicts the positions of the blocks (",
                describeAtom(problem, atom, true), ")");
    }

  std::vector<PddlAtom> goalAtoms;
  for (size_t i = 1; i < goal->items.size(); ++i) readConjunction(goal->items[i], origin, "goal", goalAtoms, nullptr);
  for (const auto& pddl : goalAtoms) {
    const BwAtom atom = toBwAtom(pddl);
    if (std::find(problem.goal.begin(), problem.goal.end(), atom) == problem.goal.end()) problem.goal.push_back(atom);
  }
  return problem;
}

BwProblem loadBlocksWorldProblem(const std::string& path) { return parseBlocksWorldProblem(readFile(path), path); }

std::string toPddl(const BwProblem& problem) {
  const auto& o = problem.objects;
  std::string out = "(define (problem " + problem.name + ")\n(:domain blocksworld-4ops)\n(:objects ";
  for (const auto& name : o) out += name + " ";
  out += ")\n(:init\n";
  if (heldBlock(problem.init) < 0) out += "(handempty)\n";
  for (size_t x = 0; x < o.size(); ++x) {
    const int b = problem.init.below[x];
    if (b == kBwTable) out += "(ontable " + o[x] + ")\n";
    else if (b == kBwHand) out += "(holding " + o[x] + ")\n";
    else out += "(on " + o[x] + " " + o[static_cast<size_t>(b)] + ")\n";
  }
  for (size_t x = 0; x < o.size(); ++x)
    if (isClear(problem.init, static_cast<int>(x))) out += "(clear " + o[x] + ")\n";
  out += ")\n(:goal\n(and\n";
  for (size_t i = 0; i < problem.goal.size(); ++i) {
    const BwAtom& g = problem.goal[i];
    const std::string x = g.x >= 0 ? o[static_cast<size_t>(g.x)] : "";
    switch (g.predicate) {
      case BwPredicate::On: out += "(on " + x + " " + o[static_cast<size_t>(g.y)] + ")"; break;
      case BwPredicate::OnTable: out += "(ontable " + x + ")"; break;
      case BwPredicate::Clear: out += "(clear " + x + ")"; break;
      case BwPredicate::Holding: out += "(holding " + x + ")"; break;
      case BwPredicate::HandEmpty: out += "(handempty)"; break;
    }
    out += i + 1 == problem.goal.size() ? ")\n" : "\n";
  }
  if (problem.goal.empty()) out += ")\n";
  out += ")\n)\n";
  return out;
}

// ---- names and state queries ----

std::string blockName(const BwProblem& problem, int block) {
  TB_CHECK(block >= 0 && block < static_cast<int>(problem.objects.size()), "block ", block, " of ",
           problem.objects.size());
  const std::string& object = problem.objects[static_cast<size_t>(block)];
  if (object.size() == 1 && object[0] >= 'a' && object[0] < 'a' + static_cast<int>(kColours.size()))
    return kColours[static_cast<size_t>(object[0] - 'a')];
  return object;
}

int findBlock(const BwProblem& problem, const std::string& name) {
  for (size_t i = 0; i < problem.objects.size(); ++i)
    if (problem.objects[i] == name) return static_cast<int>(i);
  for (size_t i = 0; i < problem.objects.size(); ++i)
    if (blockName(problem, static_cast<int>(i)) == name) return static_cast<int>(i);
  return -1;
}

int heldBlock(const BwState& state) {
  for (size_t x = 0; x < state.below.size(); ++x)
    if (state.below[x] == kBwHand) return static_cast<int>(x);
  return -1;
}

bool isClear(const BwState& state, int block) {
  if (state.below[static_cast<size_t>(block)] == kBwHand) return false;  // PDDL: pick-up deletes clear
  return std::find(state.below.begin(), state.below.end(), block) == state.below.end();
}

bool holds(const BwState& state, const BwAtom& atom) {
  switch (atom.predicate) {
    case BwPredicate::On: return state.below[static_cast<size_t>(atom.x)] == atom.y;
    case BwPredicate::OnTable: return state.below[static_cast<size_t>(atom.x)] == kBwTable;
    case BwPredicate::Clear: return isClear(state, atom.x);
    case BwPredicate::Holding: return state.below[static_cast<size_t>(atom.x)] == kBwHand;
    case BwPredicate::HandEmpty: return heldBlock(state) < 0;
  }
  return false;
}

int goalsMet(const BwState& state, const std::vector<BwAtom>& goal) {
  return static_cast<int>(std::count_if(goal.begin(), goal.end(), [&](const BwAtom& a) { return holds(state, a); }));
}

bool goalReached(const BwState& state, const std::vector<BwAtom>& goal) {
  return goalsMet(state, goal) == static_cast<int>(goal.size());
}

// ---- the four actions ----

std::optional<std::string> whyInapplicable(const BwProblem& problem, const BwState& state, const BwAction& action) {
  const int n = static_cast<int>(state.below.size());
  TB_CHECK(action.block >= 0 && action.block < n, "action block ", action.block, " of ", n);
  const bool twoBlocks = action.kind == BwActionKind::Stack || action.kind == BwActionKind::Unstack;
  TB_CHECK(!twoBlocks || (action.target >= 0 && action.target < n), "action target ", action.target, " of ", n);
  const std::string x = theBlock(problem, action.block);
  const auto notClear = [&](int b) -> std::optional<std::string> {
    if (isClear(state, b)) return std::nullopt;
    return theBlock(problem, b) + " is not clear";
  };
  const std::optional<std::string> handNotEmpty =
      heldBlock(state) < 0 ? std::nullopt
                           : std::optional<std::string>("the hand is not empty (it holds " +
                                                        theBlock(problem, heldBlock(state)) + ")");
  // Preconditions in the order of PlanBench's domain.pddl, so the first failing one is named.
  switch (action.kind) {
    case BwActionKind::PickUp:
      if (auto why = notClear(action.block)) return why;
      if (state.below[static_cast<size_t>(action.block)] != kBwTable) return x + " is not on the table";
      return handNotEmpty;
    case BwActionKind::PutDown:
      if (state.below[static_cast<size_t>(action.block)] != kBwHand) return "the hand is not holding " + x;
      return std::nullopt;
    case BwActionKind::Stack:
      if (auto why = notClear(action.target)) return why;
      if (state.below[static_cast<size_t>(action.block)] != kBwHand) return "the hand is not holding " + x;
      return std::nullopt;
    case BwActionKind::Unstack:
      if (state.below[static_cast<size_t>(action.block)] != action.target)
        return x + " is not on top of " + theBlock(problem, action.target);
      if (auto why = notClear(action.block)) return why;
      return handNotEmpty;
  }
  return std::nullopt;
}

BwState applyAction(const BwState& state, const BwAction& action) {
  BwState next = state;
  auto& b = next.below[static_cast<size_t>(action.block)];
  switch (action.kind) {
    case BwActionKind::PickUp:
    case BwActionKind::Unstack: b = kBwHand; break;
    case BwActionKind::PutDown: b = kBwTable; break;
    case BwActionKind::Stack: b = action.target; break;
  }
  return next;
}

std::vector<BwAction> applicableActions(const BwState& state) {
  const int n = static_cast<int>(state.below.size());
  std::vector<char> clear(static_cast<size_t>(n), 1);
  for (int x = 0; x < n; ++x) {
    const int b = state.below[static_cast<size_t>(x)];
    if (b >= 0) clear[static_cast<size_t>(b)] = 0;
    if (b == kBwHand) clear[static_cast<size_t>(x)] = 0;
  }
  std::vector<BwAction> out;
  const int held = heldBlock(state);
  if (held < 0) {
    for (int x = 0; x < n; ++x)
      if (clear[static_cast<size_t>(x)] && state.below[static_cast<size_t>(x)] == kBwTable)
        out.push_back({BwActionKind::PickUp, x, -1});
    for (int x = 0; x < n; ++x)
      if (clear[static_cast<size_t>(x)] && state.below[static_cast<size_t>(x)] >= 0)
        out.push_back({BwActionKind::Unstack, x, state.below[static_cast<size_t>(x)]});
  } else {
    out.push_back({BwActionKind::PutDown, held, -1});
    for (int y = 0; y < n; ++y)
      if (clear[static_cast<size_t>(y)]) out.push_back({BwActionKind::Stack, held, y});
  }
  return out;
}

std::set<std::string> pddlFacts(const BwProblem& problem, const BwState& state) {
  std::set<std::string> facts;
  const auto& o = problem.objects;
  if (heldBlock(state) < 0) facts.insert("handempty");
  for (size_t x = 0; x < o.size(); ++x) {
    const int b = state.below[x];
    if (b == kBwTable) facts.insert("ontable " + o[x]);
    else if (b == kBwHand) facts.insert("holding " + o[x]);
    else facts.insert("on " + o[x] + " " + o[static_cast<size_t>(b)]);
    if (isClear(state, static_cast<int>(x))) facts.insert("clear " + o[x]);
  }
  return facts;
}

// ---- text ----

std::string renderAction(const BwProblem& problem, const BwAction& action) {
  const std::string x = theBlock(problem, action.block);
  switch (action.kind) {
    case BwActionKind::PickUp: return "pick up " + x;
    case BwActionKind::PutDown: return "put down " + x;
    case BwActionKind::Stack: return "stack " + x + " on top of " + theBlock(problem, action.target);
    case BwActionKind::Unstack: return "unstack " + x + " from on top of " + theBlock(problem, action.target);
  }
  return {};
}

std::string renderActionPddl(const BwProblem& problem, const BwAction& action) {
  const std::string x = blockName(problem, action.block);
  switch (action.kind) {
    case BwActionKind::PickUp: return "(pick-up " + x + ")";
    case BwActionKind::PutDown: return "(put-down " + x + ")";
    case BwActionKind::Stack: return "(stack " + x + " " + blockName(problem, action.target) + ")";
    case BwActionKind::Unstack: return "(unstack " + x + " " + blockName(problem, action.target) + ")";
  }
  return {};
}

std::string describeAtom(const BwProblem& problem, const BwAtom& atom, bool negated) {
  const std::string is = negated ? " is not " : " is ";
  switch (atom.predicate) {
    case BwPredicate::On: return theBlock(problem, atom.x) + is + "on top of " + theBlock(problem, atom.y);
    case BwPredicate::OnTable: return theBlock(problem, atom.x) + is + "on the table";
    case BwPredicate::Clear: return theBlock(problem, atom.x) + is + "clear";
    case BwPredicate::Holding:
      return (negated ? "the hand is not holding " : "the hand is currently holding ") + theBlock(problem, atom.x);
    case BwPredicate::HandEmpty: return negated ? "the hand is not empty" : "the hand is empty";
  }
  return {};
}

std::string describeBwState(const BwProblem& problem, const BwState& state) {
  // PlanBench sorts the facts by predicate name, then by object names.
  const int n = static_cast<int>(state.below.size());
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return problem.objects[static_cast<size_t>(a)] < problem.objects[static_cast<size_t>(b)];
  });
  std::vector<std::string> parts;
  for (int x : order)
    if (isClear(state, x)) parts.push_back(describeAtom(problem, {BwPredicate::Clear, x, -1}));
  const int held = heldBlock(state);
  if (held < 0) parts.push_back("the hand is empty");
  else parts.push_back(describeAtom(problem, {BwPredicate::Holding, held, -1}));
  for (int x : order)
    if (state.below[static_cast<size_t>(x)] >= 0)
      parts.push_back(describeAtom(problem, {BwPredicate::On, x, state.below[static_cast<size_t>(x)]}));
  for (int x : order)
    if (state.below[static_cast<size_t>(x)] == kBwTable)
      parts.push_back(describeAtom(problem, {BwPredicate::OnTable, x, -1}));
  return joinAnd(parts);
}

std::string describeBwGoal(const BwProblem& problem) {
  std::vector<std::string> parts;
  for (const auto& atom : problem.goal) parts.push_back(describeAtom(problem, atom));
  return joinAnd(parts);
}

namespace {

std::string compactAtom(const BwProblem& problem, const BwAtom& atom) {
  switch (atom.predicate) {
    case BwPredicate::On: return blockName(problem, atom.x) + " on " + blockName(problem, atom.y);
    case BwPredicate::OnTable: return blockName(problem, atom.x) + " on table";
    case BwPredicate::Clear: return blockName(problem, atom.x) + " clear";
    case BwPredicate::Holding: return "holding " + blockName(problem, atom.x);
    case BwPredicate::HandEmpty: return "hand empty";
  }
  return {};
}

}  // namespace

std::string compactBwState(const BwProblem& problem, const BwState& state) {
  const int n = static_cast<int>(state.below.size());
  std::vector<std::string> groups;
  std::string on;
  for (int x = 0; x < n; ++x)
    if (state.below[static_cast<size_t>(x)] >= 0)
      on += (on.empty() ? "" : ", ") + compactAtom(problem, {BwPredicate::On, x, state.below[static_cast<size_t>(x)]});
  if (!on.empty()) groups.push_back(on);
  std::string table;
  for (int x = 0; x < n; ++x)
    if (state.below[static_cast<size_t>(x)] == kBwTable) table += (table.empty() ? "" : ", ") + blockName(problem, x);
  if (!table.empty()) groups.push_back(table + " on table");
  const int held = heldBlock(state);
  groups.push_back(held < 0 ? "hand empty" : "holding " + blockName(problem, held));
  std::string out;
  for (const auto& g : groups) out += (out.empty() ? "" : "; ") + g;
  return out;
}

std::string compactBwGoal(const BwProblem& problem) {
  std::string out;
  for (const auto& atom : problem.goal) out += (out.empty() ? "" : ", ") + compactAtom(problem, atom);
  return out;
}

std::vector<std::vector<int>> bwStacks(const BwState& state) {
  const int n = static_cast<int>(state.below.size());
  std::vector<int> above(static_cast<size_t>(n), -1);
  for (int x = 0; x < n; ++x)
    if (state.below[static_cast<size_t>(x)] >= 0) above[static_cast<size_t>(state.below[static_cast<size_t>(x)])] = x;
  std::vector<std::vector<int>> stacks;
  for (int x = 0; x < n; ++x) {
    if (state.below[static_cast<size_t>(x)] != kBwTable) continue;
    std::vector<int> stack;
    for (int y = x; y >= 0 && stack.size() <= static_cast<size_t>(n); y = above[static_cast<size_t>(y)])
      stack.push_back(y);
    stacks.push_back(std::move(stack));
  }
  return stacks;
}

// ---- reading plan lines ----

namespace {

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Reads "[the] NAME [block]" from words[i...]; returns the block or an error.
struct BlockRef {
  int block = -1;
  std::string name;  // as written, for "unknown block" messages
  bool ok = false;
};

BlockRef readBlock(const BwProblem& problem, const std::vector<std::string>& w, size_t& i) {
  BlockRef ref;
  if (i < w.size() && w[i] == "the") ++i;
  if (i >= w.size()) return ref;
  ref.name = w[i++];
  if (i < w.size() && w[i] == "block") ++i;
  ref.block = findBlock(problem, ref.name);
  ref.ok = true;
  return ref;
}

// Whether w[i...] starts with the given words; advances i past them if so.
bool accept(const std::vector<std::string>& w, size_t& i, std::initializer_list<const char*> expected) {
  size_t j = i;
  for (const char* e : expected) {
    if (j >= w.size() || w[j] != e) return false;
    ++j;
  }
  i = j;
  return true;
}

}  // namespace

BwParsedStep parseBwAction(const BwProblem& problem, const std::string& line) {
  std::string text = lower(line);
  for (char& c : text)
    if (c == '\t' || c == '\r') c = ' ';
  while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
  const auto cannotRead = [&] {
    std::string quoted = line.size() > 60 ? line.substr(0, 60) + "..." : line;
    return BwParsedStep{std::nullopt, "cannot read '" + quoted +
                                          "': expected an action such as 'pick up the red block' or '(pick-up red)'"};
  };

  BwAction action;
  std::vector<BlockRef> refs;
  const std::string trimmed = text.substr(std::min(text.size(), text.find_first_not_of(' ')));
  if (!trimmed.empty() && trimmed.front() == '(') {
    // Step-file form: "(unstack blue orange)".
    if (trimmed.back() != ')') return cannotRead();
    const auto w = words(trimmed.substr(1, trimmed.size() - 2));
    if (w.empty()) return cannotRead();
    size_t arity = 1;
    if (w[0] == "pick-up" || w[0] == "pickup") action.kind = BwActionKind::PickUp;
    else if (w[0] == "put-down" || w[0] == "putdown") action.kind = BwActionKind::PutDown;
    else if (w[0] == "stack") action.kind = BwActionKind::Stack, arity = 2;
    else if (w[0] == "unstack") action.kind = BwActionKind::Unstack, arity = 2;
    else return cannotRead();
    if (w.size() != arity + 1) return cannotRead();
    for (size_t k = 1; k < w.size(); ++k) refs.push_back({findBlock(problem, w[k]), w[k], true});
  } else {
    // Natural language, PlanBench's templates.
    const auto w = words(trimmed);
    size_t i = 0;
    if (accept(w, i, {"pick", "up"}) || accept(w, i, {"pick-up"})) action.kind = BwActionKind::PickUp;
    else if (accept(w, i, {"put", "down"}) || accept(w, i, {"put-down"})) action.kind = BwActionKind::PutDown;
    else if (accept(w, i, {"stack"})) action.kind = BwActionKind::Stack;
    else if (accept(w, i, {"unstack"})) action.kind = BwActionKind::Unstack;
    else return cannotRead();
    refs.push_back(readBlock(problem, w, i));
    if (!refs.back().ok) return cannotRead();
    if (action.kind == BwActionKind::Stack) {
      if (!accept(w, i, {"on", "top", "of"}) && !accept(w, i, {"onto"}) && !accept(w, i, {"on"})) return cannotRead();
      refs.push_back(readBlock(problem, w, i));
    } else if (action.kind == BwActionKind::Unstack) {
      if (!accept(w, i, {"from", "on", "top", "of"}) && !accept(w, i, {"from"})) return cannotRead();
      refs.push_back(readBlock(problem, w, i));
    }
    if (!refs.back().ok || i != w.size()) return cannotRead();
  }
  for (const auto& ref : refs)
    if (ref.block < 0)
      return {std::nullopt,
              "unknown block '" + ref.name + "' (this problem has the " + joinNames(problem) + " blocks)"};
  action.block = refs[0].block;
  if (refs.size() > 1) action.target = refs[1].block;
  return {action, {}};
}

BwPlanCheck checkBwPlan(const BwProblem& problem, const std::vector<std::string>& steps) {
  BwPlanCheck check;
  check.state = problem.init;
  for (size_t i = 0; i < steps.size() && check.failedStep == 0; ++i) {
    const std::string where = "step " + std::to_string(i + 1) + ": ";
    const BwParsedStep parsed = parseBwAction(problem, steps[i]);
    if (!parsed.action) {
      check.failedStep = static_cast<int>(i + 1);
      check.reason = where + parsed.error;
    } else if (auto why = whyInapplicable(problem, check.state, *parsed.action)) {
      check.failedStep = static_cast<int>(i + 1);
      check.reason = where + "cannot " + renderAction(problem, *parsed.action) + ": " + *why;
    } else {
      check.state = applyAction(check.state, *parsed.action);
      ++check.validSteps;
    }
  }
  check.legal = check.failedStep == 0;
  check.goalsMet = goalsMet(check.state, problem.goal);
  check.goalReached = check.goalsMet == static_cast<int>(problem.goal.size());
  check.correct = check.legal && check.goalReached;
  if (check.correct) {
    check.reason = "correct";
  } else if (check.legal) {
    std::vector<std::string> unmet;
    for (const auto& atom : problem.goal)
      if (!holds(check.state, atom)) unmet.push_back(describeAtom(problem, atom, true));
    check.reason = steps.empty() ? "no steps; the goal is not reached: " : "the goal is not reached: ";
    check.reason += joinAnd(unmet);
  }
  return check;
}

// ---- planning ----

namespace {

using Key = std::uint64_t;

// 4 bits a block: 0..13 the block below, 14 the table, 15 the hand.
Key encode(const BwState& state) {
  Key key = 0;
  for (size_t x = 0; x < state.below.size(); ++x) {
    const int b = state.below[x];
    const Key v = b == kBwTable ? 14u : b == kBwHand ? 15u : static_cast<Key>(b);
    key |= v << (4 * x);
  }
  return key;
}

void decode(Key key, BwState& state) {
  for (size_t x = 0; x < state.below.size(); ++x) {
    const int v = static_cast<int>((key >> (4 * x)) & 15u);
    state.below[x] = v == 14 ? kBwTable : v == 15 ? kBwHand : v;
  }
}

// The admissible heuristic: every block that must still be lifted costs two actions (lift and
// place), one if the goal holds it; a held block costs one (placing it) unless the goal holds it.
// A block must be lifted if it is not where the goal puts it, if it sits on a block that must be
// lifted, or if it sits where the goal wants another block or nothing. One action changes the
// cost of the moved block only, by one, so the heuristic is also consistent.
class Heuristic {
 public:
  Heuristic(const std::vector<BwAtom>& goal, int n)
      : goalOn_(static_cast<size_t>(n), -3),
        goalTable_(static_cast<size_t>(n), 0),
        goalClear_(static_cast<size_t>(n), 0),
        goalHold_(static_cast<size_t>(n), 0),
        wantedOn_(static_cast<size_t>(n), -1) {
    for (const auto& a : goal) {
      const auto x = static_cast<size_t>(a.x);
      switch (a.predicate) {
        case BwPredicate::On:
          goalOn_[x] = a.y;
          wantedOn_[static_cast<size_t>(a.y)] = a.x;
          break;
        case BwPredicate::OnTable: goalTable_[x] = 1; break;
        case BwPredicate::Clear: goalClear_[x] = 1; break;
        case BwPredicate::Holding: goalHold_[x] = 1; break;
        case BwPredicate::HandEmpty: break;
      }
    }
  }

  int operator()(const BwState& s) const {
    const size_t n = s.below.size();
    std::array<signed char, 16> must;
    must.fill(-1);
    int h = 0;
    for (size_t x = 0; x < n; ++x) {
      if (s.below[x] == kBwHand) h += goalHold_[x] ? 0 : 1;
      else if (goalHold_[x]) h += 1;
      else if (mustMove(s, static_cast<int>(x), must)) h += 2;
    }
    return h;
  }

 private:
  bool mustMove(const BwState& s, int x, std::array<signed char, 16>& memo) const {
    auto& m = memo[static_cast<size_t>(x)];
    if (m >= 0) return m;
    const auto ux = static_cast<size_t>(x);
    const int b = s.below[ux];
    bool move = goalHold_[ux] || (goalOn_[ux] != -3 && b != goalOn_[ux]) || (goalTable_[ux] && b != kBwTable);
    if (!move && b >= 0) {
      const auto ub = static_cast<size_t>(b);
      move = goalClear_[ub] || (wantedOn_[ub] >= 0 && wantedOn_[ub] != x) || mustMove(s, b, memo);
    }
    m = move ? 1 : 0;
    return move;
  }

  std::vector<int> goalOn_;
  std::vector<char> goalTable_, goalClear_, goalHold_;
  std::vector<int> wantedOn_;
};

struct SearchResult {
  bool found = false;
  int length = 0;
  std::size_t expanded = 0;
  std::vector<Key> goals;  // goal states at the optimal depth (all-plans mode)
  std::unordered_map<Key, std::pair<int, std::vector<std::pair<Key, BwAction>>>> nodes;  // g, parents
};

// A* over packed states. allPlans: continue over every state with f <= the optimal length and
// record all optimal parents; else stop at the first goal.
SearchResult search(const BwProblem& problem, const BwState& from, std::size_t maxStates, bool allPlans) {
  const int n = static_cast<int>(from.below.size());
  if (n > kBwMaxPlannerBlocks)
    failInput("the planner handles at most ", kBwMaxPlannerBlocks, " blocks, the problem '", problem.name, "' has ", n);
  TB_CHECK(static_cast<int>(problem.objects.size()) == n, "state of ", n, " blocks for a problem of ",
           problem.objects.size());
  const Heuristic h(problem.goal, n);
  SearchResult result;
  using Entry = std::tuple<int, int, Key>;  // f, -g (deeper first among equal f), state
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> open;
  const Key start = encode(from);
  result.nodes[start].first = 0;
  open.emplace(h(from), 0, start);
  std::unordered_set<Key> closed;
  BwState s = from;
  int best = -1;
  while (!open.empty()) {
    const auto [f, negG, key] = open.top();
    open.pop();
    const int g = -negG;
    if (best >= 0 && f > best) break;
    auto& node = result.nodes[key];
    if (g > node.first || closed.count(key)) continue;  // stale entry
    closed.insert(key);
    decode(key, s);
    if (goalReached(s, problem.goal)) {
      if (best < 0) best = g;
      if (!allPlans) break;
      result.goals.push_back(key);
      continue;  // plans end at the goal
    }
    ++result.expanded;
    for (const BwAction& a : applicableActions(s)) {
      const BwState t = applyAction(s, a);
      const Key tk = encode(t);
      auto [it, inserted] = result.nodes.try_emplace(tk);
      auto& child = it->second;
      if (inserted || g + 1 < child.first) {
        child.first = g + 1;
        child.second.clear();
        if (allPlans) child.second.emplace_back(key, a);
        open.emplace(g + 1 + h(t), -(g + 1), tk);
      } else if (allPlans && g + 1 == child.first) {
        child.second.emplace_back(key, a);
      }
      if (result.nodes.size() > maxStates) return result;  // not found within the budget
    }
  }
  result.found = best >= 0;
  result.length = best;
  return result;
}

}  // namespace

std::optional<BwPlanSet> solveBlocksWorld(const BwProblem& problem, const BwState& from, std::size_t maxStates) {
  SearchResult r = search(problem, from, maxStates, true);
  if (!r.found) return std::nullopt;
  // The states of optimal plans: everything that reaches an optimal goal through optimal parents.
  std::unordered_map<Key, int> index;
  std::vector<Key> keys;
  const Key start = encode(from);
  index[start] = 0;
  keys.push_back(start);
  std::vector<Key> frontier = r.goals;
  for (Key k : r.goals)
    if (index.try_emplace(k, static_cast<int>(keys.size())).second) keys.push_back(k);
  while (!frontier.empty()) {
    const Key k = frontier.back();
    frontier.pop_back();
    for (const auto& [parent, action] : r.nodes.at(k).second)
      if (index.try_emplace(parent, static_cast<int>(keys.size())).second) {
        keys.push_back(parent);
        frontier.push_back(parent);
      }
  }
  BwPlanSet plans;
  plans.length_ = r.length;
  plans.expanded_ = r.expanded;
  plans.nodes_.resize(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    for (const auto& [parent, action] : r.nodes.at(keys[i]).second)
      plans.nodes_[static_cast<size_t>(index.at(parent))].children.emplace_back(action, static_cast<int>(i));
  // Count plans from the deepest states up; sort children so the walk is the same everywhere.
  std::vector<size_t> byDepth(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) byDepth[i] = i;
  std::sort(byDepth.begin(), byDepth.end(),
            [&](size_t a, size_t b) { return r.nodes.at(keys[a]).first > r.nodes.at(keys[b]).first; });
  for (size_t i : byDepth) {
    auto& node = plans.nodes_[i];
    std::sort(node.children.begin(), node.children.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (node.children.empty()) {
      node.ways = 1;  // a goal state
      continue;
    }
    for (const auto& [action, child] : node.children) {
      const std::uint64_t w = plans.nodes_[static_cast<size_t>(child)].ways;
      node.ways = node.ways > UINT64_MAX - w ? UINT64_MAX : node.ways + w;
    }
  }
  return plans;
}

std::optional<int> optimalBwPlanLength(const BwProblem& problem, const BwState& from, std::size_t maxStates) {
  const SearchResult r = search(problem, from, maxStates, false);
  if (!r.found) return std::nullopt;
  return r.length;
}

std::vector<BwAction> BwPlanSet::first() const {
  std::vector<BwAction> plan;
  for (size_t node = 0; !nodes_.empty() && !nodes_[node].children.empty();) {
    plan.push_back(nodes_[node].children.front().first);
    node = static_cast<size_t>(nodes_[node].children.front().second);
  }
  return plan;
}

std::vector<BwAction> BwPlanSet::sample(std::mt19937_64& rng) const {
  std::vector<BwAction> plan;
  for (size_t node = 0; !nodes_.empty() && !nodes_[node].children.empty();) {
    // Uniform over plans: a child is chosen in proportion to the plans through it.
    std::uint64_t r = rng() % nodes_[node].ways;
    const auto* pick = &nodes_[node].children.back();
    for (const auto& child : nodes_[node].children) {
      const std::uint64_t w = nodes_[static_cast<size_t>(child.second)].ways;
      if (r < w) {
        pick = &child;
        break;
      }
      r -= w;
    }
    plan.push_back(pick->first);
    node = static_cast<size_t>(pick->second);
  }
  return plan;
}

// ---- generation ----

namespace {

// Blocks in random order, each on the table or on top of a random existing stack.
BwState randomConfiguration(int blocks, std::mt19937_64& rng) {
  std::vector<int> order(static_cast<size_t>(blocks));
  for (int i = 0; i < blocks; ++i) order[static_cast<size_t>(i)] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<size_t>(rng() % i)]);
  BwState state;
  state.below.assign(static_cast<size_t>(blocks), kBwTable);
  std::vector<int> tops;
  for (int x : order) {
    const size_t choice = static_cast<size_t>(rng() % (tops.size() + 1));
    if (choice == tops.size()) {
      tops.push_back(x);
    } else {
      state.below[static_cast<size_t>(x)] = tops[choice];
      tops[choice] = x;
    }
  }
  return state;
}

}  // namespace

std::string canonicalBwKey(const BwProblem& problem) {
  std::string key;
  for (const auto& o : problem.objects) key += o + " ";
  key += "|";
  for (int b : problem.init.below) key += std::to_string(b) + " ";
  key += "|";
  std::vector<std::string> goals;
  for (const auto& g : problem.goal)
    goals.push_back(std::to_string(static_cast<int>(g.predicate)) + "," + std::to_string(g.x) + "," +
                    std::to_string(g.y));
  std::sort(goals.begin(), goals.end());
  for (const auto& g : goals) key += g + " ";
  return key;
}

std::vector<BwGenerated> generateBlocksWorld(int blocks, int minSteps, int maxSteps, int count, std::uint64_t seed,
                                             const std::set<std::string>& exclude) {
  if (blocks < 1 || blocks > static_cast<int>(kColours.size()))
    failInput("task.blocks = ", blocks, " must be in [1, ", kColours.size(), "] (PlanBench colours a..l)");
  if (minSteps < 1) failInput("task.min_steps = ", minSteps, " must be at least 1");
  if (maxSteps < minSteps) failInput("task.max_steps = ", maxSteps, " must be >= task.min_steps = ", minSteps);
  if (count < 0) failInput("the number of generated instances (", count, ") must be >= 0");
  std::mt19937_64 rng(seed);
  std::vector<BwGenerated> out;
  std::set<std::string> seen = exclude;
  const long long attempts = 200LL * count + 2000;
  for (long long attempt = 0; attempt < attempts && static_cast<int>(out.size()) < count; ++attempt) {
    BwProblem p;
    p.name = "BW-gen-" + std::to_string(blocks) + "-" + std::to_string(out.size());
    for (int i = 0; i < blocks; ++i) p.objects.push_back(std::string(1, static_cast<char>('a' + i)));
    p.init = randomConfiguration(blocks, rng);
    const BwState goalState = randomConfiguration(blocks, rng);
    for (int x = 0; x < blocks; ++x)
      if (goalState.below[static_cast<size_t>(x)] >= 0)
        p.goal.push_back({BwPredicate::On, x, goalState.below[static_cast<size_t>(x)]});
    if (p.goal.empty() || goalReached(p.init, p.goal)) continue;
    if (!seen.insert(canonicalBwKey(p)).second) continue;
    // A plan of length L is found within about maxSteps levels; the budget guards large K.
    const auto length = optimalBwPlanLength(p, p.init, 2'000'000);
    if (!length || *length < minSteps || *length > maxSteps) continue;
    out.push_back({std::move(p), *length});
  }
  if (static_cast<int>(out.size()) < count)
    failInput("could generate only ", out.size(), " of ", count, " distinct Blocksworld instances with ", blocks,
              " blocks and an optimal plan of ", minSteps, "..", maxSteps, " steps (task.blocks, task.min_steps, "
              "task.max_steps) in ", attempts, " attempts");
  return out;
}

}  // namespace tb
