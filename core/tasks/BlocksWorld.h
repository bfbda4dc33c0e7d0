#pragma once
// Blocksworld as in PlanBench (Valmeekam et al. 2023) and Flow of Reasoning (Yu et al. 2024; also
// RAP, Hao et al. 2023): a tolerant PDDL reader for the 4-operator domain and its problem files,
// a simulator of pick-up / put-down / stack / unstack with PlanBench's preconditions and effects,
// the goal check, an optimal planner (A* with an admissible, consistent heuristic) that keeps
// every optimal plan, plan validation naming the failing step, natural-language rendering in
// PlanBench's phrasing and colour names, and a generator of random instances.
//
// Plans are one action per line, in either form:
//   unstack the blue block from on top of the orange block      (natural language, PlanBench)
//   (unstack blue orange)                                       (the bundled step files' form)
// Blocks are named by PlanBench colour (object a = red, b = blue, ... l = gold) or by their PDDL
// object name. Lines are read case-insensitively with spaces collapsed and a trailing '.' allowed.
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace tb {

// ---- PDDL --------------------------------------------------------------------------------------

// One s-expression: an atom (lower-cased, PDDL is case-insensitive) or a list, with the line it
// starts on for error messages.
struct SExpr {
  bool isList = false;
  std::string atom;
  std::vector<SExpr> items;
  int line = 0;
};

// Reads exactly one s-expression (';' comments allowed). Throws InputError "origin:line: expected
// ..., found ..." on unbalanced parentheses, trailing text or an empty input.
SExpr parseSExpression(const std::string& text, const std::string& origin);

struct PddlAtom {
  std::string predicate;
  std::vector<std::string> args;  // variables keep their '?'
  int line = 0;
};

struct PddlActionSchema {
  std::string name;
  std::vector<std::string> parameters;  // "?ob", ...
  std::vector<PddlAtom> precondition;   // a conjunction of positive atoms
  std::vector<PddlAtom> addEffects;
  std::vector<PddlAtom> deleteEffects;
  int line = 0;
};

struct PddlDomain {
  std::string name;
  std::vector<PddlActionSchema> actions;
  const PddlActionSchema* find(const std::string& action) const;
};

// A STRIPS domain (:requirements, :types, :predicates are read past). Throws InputError naming
// origin, line and what was expected.
PddlDomain parsePddlDomain(const std::string& text, const std::string& origin);
PddlDomain loadPddlDomain(const std::string& path);
// Throws InputError unless the domain is PlanBench's 4-operator Blocksworld, i.e. has exactly the
// semantics of the built-in simulator below (parameter names and atom order may differ).
void checkBlocksWorldDomain(const PddlDomain& domain, const std::string& origin);
// A STRIPS step on ground facts ("on a b", "handempty"), independent of the built-in simulator
// (tests cross-check the two): nullopt when a precondition does not hold.
std::optional<std::set<std::string>> applyPddlAction(const PddlActionSchema& action,
                                                     const std::vector<std::string>& args,
                                                     const std::set<std::string>& facts);

// ---- States, actions, problems ----------------------------------------------------------------

constexpr int kBwTable = -1;  // BwState::below value: on the table
constexpr int kBwHand = -2;   // BwState::below value: held
constexpr int kBwMaxPlannerBlocks = 14;  // states pack into 64 bits, 4 bits a block

// A complete state: where each block is. clear(x) and handempty are derived from it, so a state
// can never be inconsistent.
struct BwState {
  std::vector<int> below;  // below[x]: the block x is on, kBwTable or kBwHand
  bool operator==(const BwState&) const = default;
};

enum class BwPredicate { On, OnTable, Clear, Holding, HandEmpty };

struct BwAtom {
  BwPredicate predicate = BwPredicate::HandEmpty;
  int x = -1;  // first block (unused for HandEmpty)
  int y = -1;  // second block of On
  bool operator==(const BwAtom&) const = default;
};

enum class BwActionKind { PickUp, PutDown, Stack, Unstack };

struct BwAction {
  BwActionKind kind = BwActionKind::PickUp;
  int block = -1;
  int target = -1;  // the block stacked on / unstacked from (Stack, Unstack)
  auto operator<=>(const BwAction&) const = default;
};

struct BwProblem {
  std::string name;                  // (problem NAME)
  std::vector<std::string> objects;  // PDDL object names; block i is objects[i]
  BwState init;
  std::vector<BwAtom> goal;          // a conjunction
};

// Reads a problem file. Positions (on / ontable / holding) must place every block exactly once;
// clear and handempty are derived from them, and stated ones must agree. Typed object lists
// ("a b - block") are accepted. Throws InputError "origin:line: expected ..., found ...".
BwProblem parseBlocksWorldProblem(const std::string& text, const std::string& origin);
BwProblem loadBlocksWorldProblem(const std::string& path);
// The problem in PlanBench's file layout (parses back to the same problem).
std::string toPddl(const BwProblem& problem);

// PlanBench colour of object a..l ("red" for "a"); the object name itself for other names.
std::string blockName(const BwProblem& problem, int block);
// Index of a block named by object name or colour, or -1.
int findBlock(const BwProblem& problem, const std::string& name);

int heldBlock(const BwState& state);  // -1 when the hand is empty
bool isClear(const BwState& state, int block);
bool holds(const BwState& state, const BwAtom& atom);
int goalsMet(const BwState& state, const std::vector<BwAtom>& goal);
bool goalReached(const BwState& state, const std::vector<BwAtom>& goal);

// Why an action cannot be applied ("the red block is not clear"), checking PlanBench's
// preconditions in the domain's order; nullopt when it can.
std::optional<std::string> whyInapplicable(const BwProblem& problem, const BwState& state, const BwAction& action);
// The successor state; the action must be applicable (InternalError otherwise).
BwState applyAction(const BwState& state, const BwAction& action);
// Every applicable action: pick-ups, unstacks, put-downs, stacks, each in block order.
std::vector<BwAction> applicableActions(const BwState& state);
// Ground facts of a state in PDDL form ("on a b", "clear a", "handempty"), for applyPddlAction.
std::set<std::string> pddlFacts(const BwProblem& problem, const BwState& state);

// ---- Text --------------------------------------------------------------------------------------

// "unstack the red block from on top of the blue block"
std::string renderAction(const BwProblem& problem, const BwAction& action);
// "(unstack red blue)", as in the bundled step files
std::string renderActionPddl(const BwProblem& problem, const BwAction& action);
// "the red block is on top of the blue block"; negated: "the red block is not on top of ..."
std::string describeAtom(const BwProblem& problem, const BwAtom& atom, bool negated = false);
// PlanBench's sentence for a state: facts sorted as PlanBench sorts them (clear, handempty /
// holding, on, ontable, each by object name), joined by ", " and a final " and ".
std::string describeBwState(const BwProblem& problem, const BwState& state);
// "the orange block is on top of the blue block and ..."
std::string describeBwGoal(const BwProblem& problem);
// Short forms for small-context prompts: "blue on orange; red, orange, yellow on table; hand
// empty" (clear is implied: the top of every stack) and "orange on blue, red on table".
std::string compactBwState(const BwProblem& problem, const BwState& state);
std::string compactBwGoal(const BwProblem& problem);
// The stacks of a state bottom to top, in order of their bottom block (for drawings).
std::vector<std::vector<int>> bwStacks(const BwState& state);

struct BwParsedStep {
  std::optional<BwAction> action;
  std::string error;  // when no action: "unknown block 'purple' ..." or "cannot read ..."
};
// Reads one plan line in natural language or step-file form.
BwParsedStep parseBwAction(const BwProblem& problem, const std::string& line);

struct BwPlanCheck {
  bool legal = false;        // every step was read and applicable
  bool goalReached = false;  // the goal holds after the valid prefix
  bool correct = false;      // legal && goalReached
  int validSteps = 0;        // length of the longest valid prefix
  int failedStep = 0;        // 1-based index of the first unreadable or illegal step, 0 if none
  BwState state;             // after the valid prefix
  int goalsMet = 0;          // goal atoms holding in `state`
  std::string reason;        // "correct", "step 3: cannot ...: ...", or the unmet goal atoms
};
// Plays the steps (completion lines) from the initial state.
BwPlanCheck checkBwPlan(const BwProblem& problem, const std::vector<std::string>& steps);

// ---- Planning ----------------------------------------------------------------------------------

// Every optimal plan of a problem, as the graph of the states they pass through.
class BwPlanSet {
 public:
  int length() const { return length_; }
  // Number of distinct optimal plans (saturates at 2^64-1).
  std::uint64_t count() const { return nodes_.empty() ? 0 : nodes_.front().ways; }
  // The first optimal plan in action order (pick-ups, unstacks, put-downs, stacks by block).
  std::vector<BwAction> first() const;
  // An optimal plan drawn uniformly among all of them with rng() % n (portable).
  std::vector<BwAction> sample(std::mt19937_64& rng) const;
  std::size_t expandedStates() const { return expanded_; }

 private:
  friend std::optional<BwPlanSet> solveBlocksWorld(const BwProblem&, const BwState&, std::size_t);
  struct Node {
    std::vector<std::pair<BwAction, int>> children;  // (action, node), sorted by action
    std::uint64_t ways = 0;                          // optimal plans from here
  };
  std::vector<Node> nodes_;  // nodes_[0] = start state
  int length_ = 0;
  std::size_t expanded_ = 0;
};

// A* from `from` to the problem's goal with a consistent heuristic (2 actions for each block that
// must still move, 1 for a held block), continued over every state with f <= the optimal length
// so that all optimal plans are kept. nullopt when the goal is unreachable or more than maxStates
// states were generated. InputError for more than kBwMaxPlannerBlocks blocks.
std::optional<BwPlanSet> solveBlocksWorld(const BwProblem& problem, const BwState& from,
                                          std::size_t maxStates = 2'000'000);
// The optimal plan length alone (stops at the first goal, cheaper); nullopt as above.
std::optional<int> optimalBwPlanLength(const BwProblem& problem, const BwState& from,
                                       std::size_t maxStates = 2'000'000);

// ---- Generation --------------------------------------------------------------------------------

struct BwGenerated {
  BwProblem problem;
  int optimalLength = 0;
};

// `count` distinct random instances with `blocks` blocks (objects a, b, ...; 1..12) whose optimal
// plan length lies in [minSteps, maxSteps]. Initial and goal configurations are random stackings
// (blocks in random order, each on the table or on a random stack top); the goal is the goal
// configuration's `on` atoms, as in PlanBench. Instances whose canonicalBwKey is in `exclude` are
// skipped. Deterministic per seed (rng() % n only). Throws InputError when too few instances are
// found in 200 * count + 2000 attempts (the range may be impossible for that many blocks).
std::vector<BwGenerated> generateBlocksWorld(int blocks, int minSteps, int maxSteps, int count,
                                             std::uint64_t seed,
                                             const std::set<std::string>& exclude = {});
// Identifies a problem by its objects, initial state and goal set (not its name).
std::string canonicalBwKey(const BwProblem& problem);

}  // namespace tb
