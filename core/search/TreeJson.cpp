#include "core/search/TreeJson.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "core/Error.h"

namespace tb {

namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "thoughtbench-tree";
constexpr int kVersion = 1;
// Deeper documents are refused: copying, comparing and dumping json values recurse, so an
// adversarial nesting depth would overflow the stack.
constexpr int kMaxNesting = 512;

// Dumps never throw on invalid UTF-8 (model output cut mid-character): bad bytes become U+FFFD.
std::string dumpSafe(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// A value for an error message, shortened.
std::string brief(const json& j) {
  std::string s = dumpSafe(j);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

void checkNesting(const json& root, const std::string& source) {
  std::vector<std::pair<const json*, int>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [j, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxNesting)
      failInput(source, ": nested deeper than ", kMaxNesting, " levels (expected a reasoning tree document)");
    if (j->is_structured())
      for (const auto& child : *j) stack.push_back({&child, depth + 1});
  }
}

std::optional<long long> asInteger(const json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(LLONG_MAX)) return std::nullopt;
    return static_cast<long long>(u);
  }
  if (v.is_number_integer()) return v.get<long long>();
  // Writers that only know doubles (JavaScript, some numpy paths) write 3.0 for 3.
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15) return static_cast<long long>(d);
  }
  return std::nullopt;
}

// Typed field access for one JSON object; `where` prefixes every message ("run.json: node 3").
struct Fields {
  const json& obj;
  std::string where;

  const json* find(const char* key) const {
    const auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  [[noreturn]] void bad(const char* key, const char* expected, const json& got) const {
    failInput(where, ": \"", key, "\" must be ", expected, ", got ", brief(got));
  }
  const json& require(const char* key) const {
    const json* v = find(key);
    if (!v) failInput(where, ": missing \"", key, "\"");
    return *v;
  }
  long long integer(const char* key, long long lo, long long hi, std::optional<long long> fallback) const {
    const json* v = find(key);
    if (!v) {
      if (!fallback) failInput(where, ": missing \"", key, "\" (expected an integer)");
      return *fallback;
    }
    const auto n = asInteger(*v);
    if (!n || *n < lo || *n > hi) {
      const std::string expected = detail::concat("an integer in [", lo, ", ", hi, "]");
      bad(key, expected.c_str(), *v);
    }
    return *n;
  }
  double number(const char* key, double fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number() || !std::isfinite(v->get<double>())) bad(key, "a finite number", *v);
    return v->get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) bad(key, "true or false", *v);
    return v->get<bool>();
  }
  std::string string(const char* key) const {
    const json* v = find(key);
    if (!v) return {};
    if (!v->is_string()) bad(key, "a string", *v);
    return v->get<std::string>();
  }
};

Fields objectFields(const json& j, const std::string& where, const char* what) {
  if (!j.is_object()) failInput(where, ": expected ", what, " (a JSON object), got ", brief(j));
  return Fields{j, where};
}

// Runs validate() with the source named in its message.
void validateFrom(const ReasoningTree& tree, const std::string& source) {
  try {
    tree.validate();
  } catch (const InputError& e) {
    failInput(source, ": ", e.what());
  }
}

// ---------------------------------------------------------------- Thoughtbench's own format

json number(double d) { return std::isfinite(d) ? json(d) : json(nullptr); }

ReasoningTree parseOwn(const json& j, const std::string& source) {
  const Fields top = objectFields(j, source, "a Thoughtbench tree");
  const json& format = top.require("format");
  if (!format.is_string() || format.get<std::string>() != kFormat)
    failInput(source, ": unknown format ", brief(format), " (expected \"", kFormat, "\")");
  const long long version = top.integer("version", LLONG_MIN, LLONG_MAX, std::nullopt);
  if (version != kVersion)
    failInput(source, ": tree format version ", version, " is not supported (expected ", kVersion, ")");

  ReasoningTree tree;
  tree.kind = top.string("kind");
  tree.task = top.string("task");
  tree.problemId = top.string("problem_id");
  tree.prompt = top.string("prompt");
  tree.label = top.string("label");
  if (const json* params = top.find("params")) tree.params = *params;

  const json& nodes = top.require("nodes");
  if (!nodes.is_array()) top.bad("nodes", "an array of nodes", nodes);
  tree.nodes.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Fields f = objectFields(nodes[i], detail::concat(source, ": node at position ", i), "a node");
    TreeNode n;
    n.id = static_cast<int>(f.integer("id", 0, INT_MAX, std::nullopt));
    const Fields g{nodes[i], detail::concat(source, ": node ", n.id)};
    n.parent = static_cast<int>(g.integer("parent", -1, INT_MAX, std::nullopt));
    n.step = g.string("step");
    n.state = g.string("state");
    // Depth is redundant; when absent it is derived, when present validate() checks it.
    const bool parentKnown = n.parent >= 0 && static_cast<size_t>(n.parent) < i;
    const long long derivedDepth = parentKnown ? tree.nodes[n.parent].depth + 1 : 0;
    n.depth = static_cast<int>(g.integer("depth", 0, INT_MAX, derivedDepth));
    n.stats.visits = static_cast<int>(g.integer("visits", 0, INT_MAX, 0));
    n.stats.value = g.number("value", 0);
    n.stats.q = g.number("q", 0);
    n.reward = g.number("reward", 0);
    n.prior = g.number("prior", 0);
    // Non-finite numbers are written as null; log_flow null means "none" (NaN).
    if (const json* v = g.find("log_prob"); v && !v->is_null()) n.logProb = g.number("log_prob", 0);
    if (const json* v = g.find("log_flow"); v && !v->is_null()) {
      if (!v->is_number()) g.bad("log_flow", "a number or null", *v);
      n.logFlow = v->get<double>();
    }
    n.terminal = g.boolean("terminal", false);
    n.correct = g.boolean("correct", false);
    n.createdAt = static_cast<int>(g.integer("created_at", 0, INT_MAX, 0));
    if (const json* extra = g.find("extra")) n.extra = *extra;
    tree.nodes.push_back(std::move(n));
  }
  // Children come from the parents; a file's own children lists are not trusted.
  for (int i = 0; i < tree.size(); ++i) {
    const int p = tree.nodes[i].parent;
    if (p >= 0 && p < tree.size() && p != i) tree.nodes[p].children.push_back(i);
  }

  if (const json* path = top.find("chosen_path")) {
    if (!path->is_array()) top.bad("chosen_path", "an array of node ids", *path);
    for (const json& id : *path) {
      const auto n = asInteger(id);
      if (!n || *n < INT_MIN || *n > INT_MAX) top.bad("chosen_path", "an array of node ids", *path);
      tree.chosenPath.push_back(static_cast<int>(*n));
    }
  }

  if (const json* history = top.find("history")) {
    if (!history->is_array()) top.bad("history", "an array of iterations", *history);
    for (size_t it = 0; it < history->size(); ++it) {
      const json& changes = (*history)[it];
      const std::string where = detail::concat(source, ": history iteration ", it + 1);
      if (!changes.is_array()) failInput(where, ": expected an array of [id, visits, value, q], got ", brief(changes));
      TreeIteration iteration;
      for (const json& c : changes) {
        const auto id = c.is_array() && c.size() == 4 ? asInteger(c[0]) : std::nullopt;
        const auto visits = id ? asInteger(c[1]) : std::nullopt;
        if (!id || !visits || *id < INT_MIN || *id > INT_MAX || *visits < 0 || *visits > INT_MAX ||
            !c[2].is_number() || !c[3].is_number())
          failInput(where, ": expected [id, visits, value, q] with integer id and visits >= 0, got ", brief(c));
        NodeStats s{static_cast<int>(*visits), c[2].get<double>(), c[3].get<double>()};
        iteration.changes.emplace_back(static_cast<int>(*id), s);
      }
      tree.history.push_back(std::move(iteration));
    }
  }

  validateFrom(tree, source);
  return tree;
}

// ---------------------------------------------------------------- llm-reasoners TreeLog

struct LrNode {
  long long id = 0;
  json data = json::object();
  std::optional<long long> selectedEdge;
};

struct LrEdge {
  long long id = 0, source = 0, target = 0;
  json data = json::object();
};

struct LrSnapshot {
  std::map<long long, LrNode> nodes;
  std::map<long long, LrEdge> edges;       // by edge id: llm-reasoners numbers edges in creation order
  std::map<long long, long long> incoming;  // target node -> edge id (the first one)
};

// The id of an entry of "nodes" or "edges": its "id" field, or else its key when keyed by id.
long long entryId(const Fields& f, const std::string* key) {
  std::optional<long long> fromKey;
  if (key) {
    long long k = 0;
    const auto [end, ec] = std::from_chars(key->data(), key->data() + key->size(), k);
    if (ec == std::errc() && end == key->data() + key->size()) fromKey = k;
  }
  if (!f.find("id")) {
    if (!fromKey) failInput(f.where, ": has no \"id\" and its key is not an integer");
    return *fromKey;
  }
  const long long id = f.integer("id", LLONG_MIN, LLONG_MAX, std::nullopt);
  if (fromKey && *fromKey != id) failInput(f.where, ": is keyed \"", *key, "\" but has id ", id);
  return id;
}

json dataOf(const Fields& f) {
  const json* data = f.find("data");
  if (!data || data->is_null()) return json::object();
  if (!data->is_object()) f.bad("data", "an object", *data);
  return *data;
}

template <typename Fn>
void forEntries(const json& container, const std::string& where, const char* key, Fn&& fn) {
  if (container.is_object()) {
    for (auto it = container.begin(); it != container.end(); ++it) fn(it.value(), &it.key());
  } else if (container.is_array()) {
    for (const json& entry : container) fn(entry, nullptr);
  } else {
    failInput(where, ": \"", key, "\" must be an object keyed by id or an array, got ", brief(container));
  }
}

LrSnapshot parseSnapshot(const json& j, const std::string& where) {
  const Fields top = objectFields(j, where, "a snapshot {\"nodes\", \"edges\"}");
  LrSnapshot s;
  forEntries(top.require("nodes"), where, "nodes", [&](const json& entry, const std::string* key) {
    const std::string at = key ? detail::concat(where, ": node \"", *key, "\"") : where + ": a node";
    const Fields f = objectFields(entry, at, "a node");
    LrNode n;
    n.id = entryId(f, key);
    const Fields g{entry, detail::concat(where, ": node ", n.id)};
    n.data = dataOf(g);
    if (const json* sel = g.find("selected_edge"); sel && !sel->is_null()) {
      const auto e = asInteger(*sel);
      if (!e) g.bad("selected_edge", "an edge id or null", *sel);
      n.selectedEdge = *e;
    }
    if (!s.nodes.emplace(n.id, std::move(n)).second) failInput(where, ": node id ", n.id, " appears twice");
  });
  const json* edges = top.find("edges");
  if (!edges || edges->is_null()) return s;
  forEntries(*edges, where, "edges", [&](const json& entry, const std::string* key) {
    const std::string at = key ? detail::concat(where, ": edge \"", *key, "\"") : where + ": an edge";
    const Fields f = objectFields(entry, at, "an edge");
    LrEdge e;
    e.id = entryId(f, key);
    const Fields g{entry, detail::concat(where, ": edge ", e.id)};
    e.source = g.integer("source", LLONG_MIN, LLONG_MAX, std::nullopt);
    e.target = g.integer("target", LLONG_MIN, LLONG_MAX, std::nullopt);
    e.data = dataOf(g);
    if (!s.edges.emplace(e.id, std::move(e)).second) failInput(where, ": edge id ", e.id, " appears twice");
  });
  for (const auto& [id, e] : s.edges) s.incoming.emplace(e.target, id);
  return s;
}

// Text of a field that may hold anything: strings as they are, other values as JSON.
std::string textOf(const json& v) { return v.is_string() ? v.get<std::string>() : dumpSafe(v); }

// Numbers in llm-reasoners data may be null or non-finite (Python writes NaN for an unvisited
// node's Q); those mean "unknown".
std::optional<double> optNumber(const Fields& f, const char* key) {
  const json* v = f.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number()) f.bad(key, "a number", *v);
  const double d = v->get<double>();
  if (!std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<int> optVisits(const Fields& f, const char* key) {
  const json* v = f.find(key);
  if (!v || v->is_null()) return std::nullopt;
  const auto n = asInteger(*v);
  if (!n || *n < 0 || *n > INT_MAX) f.bad(key, "an integer >= 0", *v);
  return static_cast<int>(*n);
}

// What a node and the edge into it say, mapped onto TreeNode fields.
struct Mapped {
  NodeStats stats;
  double reward = 0, prior = 0, logProb = 0;
  double logFlow = std::numeric_limits<double>::quiet_NaN();
  bool terminal = false, correct = false;
  std::string step, state;
  json extra;
};

std::string nodeDataWhere(const LrNode& node, const std::string& where) {
  return detail::concat(where, ": node ", node.id, " data");
}
std::string edgeDataWhere(const LrEdge* edge, const std::string& where) {
  return edge ? detail::concat(where, ": edge ", edge->id, " data") : where;
}

// The statistics a node and the edge into it give: all that earlier snapshots are read for.
NodeStats statsOf(const LrNode& node, const LrEdge* edge, const std::string& where) {
  static const json kNoData = json::object();
  const Fields nd{node.data, nodeDataWhere(node, where)};
  const Fields ed{edge ? edge->data : kNoData, edgeDataWhere(edge, where)};
  NodeStats s;
  s.q = optNumber(ed, "Q").value_or(0);
  s.value = optNumber(nd, "value").value_or(0);
  const auto visits = optVisits(nd, "visits");
  const auto edgeVisits = optVisits(ed, "visits");
  s.visits = visits ? *visits : edgeVisits.value_or(0);
  return s;
}

Mapped mapData(const LrNode& node, const LrEdge* edge, const std::string& where) {
  Mapped m;
  m.stats = statsOf(node, edge, where);
  const Fields nd{node.data, nodeDataWhere(node, where)};
  json nodeRest = node.data;
  json edgeRest = edge ? edge->data : json::object();
  const Fields ed{edgeRest, edgeDataWhere(edge, where)};

  const auto take = [](json& rest, const char* key) { rest.erase(key); };
  // The step text: ours in "step"; llm-reasoners puts the action on the edge.
  const auto stepFrom = [&](json& rest, const char* key) {
    if (!rest.contains(key)) return false;
    m.step = textOf(rest[key]);
    rest.erase(key);
    return true;
  };
  stepFrom(edgeRest, "step") || stepFrom(edgeRest, "action") || stepFrom(nodeRest, "step") ||
      stepFrom(nodeRest, "action");
  // Exporters that wrote both (ours does) should not leave a duplicate in extra.
  if (nodeRest.contains("step") && textOf(nodeRest["step"]) == m.step) take(nodeRest, "step");
  if (nodeRest.contains("state")) {
    m.state = textOf(nodeRest["state"]);
    take(nodeRest, "state");
  }

  m.reward = optNumber(ed, "reward").value_or(0);
  m.prior = optNumber(ed, "prior").value_or(0);
  if (auto lp = optNumber(nd, "log_prob")) m.logProb = *lp;
  if (auto lf = optNumber(nd, "log_flow")) m.logFlow = *lf;
  m.terminal = nd.boolean("terminal", false);
  m.correct = nd.boolean("correct", false);
  for (const char* key : {"Q", "reward", "prior", "visits"}) take(edgeRest, key);
  for (const char* key : {"value", "visits", "log_prob", "log_flow", "terminal", "correct", "depth"})
    take(nodeRest, key);

  // Everything else is kept for display; an edge key that clashes with a node key gets "edge.".
  m.extra = nodeRest;
  for (auto it = edgeRest.begin(); it != edgeRest.end(); ++it) {
    const std::string key = m.extra.contains(it.key()) ? "edge." + it.key() : it.key();
    m.extra[key] = it.value();
  }
  if (m.extra.empty()) m.extra = json();
  return m;
}

ReasoningTree parseLlmReasoners(const json& j, const std::string& source) {
  const Fields top = objectFields(j, source, "an llm-reasoners TreeLog {\"logs\": [...]}");
  const json& logs = top.require("logs");
  if (!logs.is_array()) top.bad("logs", "an array of snapshots", logs);
  if (logs.empty()) failInput(source, ": \"logs\" is empty (expected at least one snapshot)");

  std::vector<LrSnapshot> snaps;
  snaps.reserve(logs.size());
  for (size_t k = 0; k < logs.size(); ++k)
    snaps.push_back(parseSnapshot(logs[k], detail::concat(source, ": snapshot ", k + 1)));
  const LrSnapshot& last = snaps.back();
  const std::string where = detail::concat(source, ": snapshot ", snaps.size());
  if (last.nodes.empty()) failInput(where, ": has no nodes (expected at least the root)");

  // Structure of the last snapshot: every edge joins two known nodes, one parent per node.
  std::map<long long, std::vector<long long>> outEdges;  // node -> edge ids, in edge id order
  for (const auto& [id, e] : last.edges) {
    for (long long end : {e.source, e.target})
      if (!last.nodes.count(end)) failInput(where, ": edge ", id, " names node ", end, ", which is not in the snapshot");
    if (e.source == e.target) failInput(where, ": edge ", id, " joins node ", e.source, " to itself (a cycle)");
    const long long first = last.incoming.at(e.target);
    if (first != id)
      failInput(where, ": node ", e.target, " has two parents (edges ", first, " and ", id,
                "; expected a tree)");
    outEdges[e.source].push_back(id);
  }
  std::vector<long long> roots;
  for (const auto& [id, n] : last.nodes)
    if (!last.incoming.count(id)) roots.push_back(id);
  if (roots.empty()) failInput(where, ": no root (cycle): every node is the target of an edge");
  if (roots.size() > 1) {
    std::string ids = std::to_string(roots[0]);
    for (size_t r = 1; r < roots.size() && r < 4; ++r) ids += (r + 1 == roots.size() ? " and " : ", ") + std::to_string(roots[r]);
    if (roots.size() > 4) ids += ", ...";
    failInput(where, ": ", roots.size() == 2 ? std::string("two") : std::to_string(roots.size()), " roots (nodes ", ids,
              " are targets of no edge; expected one tree, found a disconnected node or a second tree)");
  }
  for (const auto& [id, n] : last.nodes)
    if (n.selectedEdge) {
      const auto e = last.edges.find(*n.selectedEdge);
      if (e == last.edges.end() || e->second.source != id)
        failInput(where, ": node ", id, " has selected_edge ", *n.selectedEdge, ", which is not an edge out of it");
    }

  // Renumber parent-first (BFS), children in edge order (= creation order in llm-reasoners).
  std::map<long long, int> newId;
  std::vector<long long> order{roots[0]};
  newId[roots[0]] = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto out = outEdges.find(order[i]);
    if (out == outEdges.end()) continue;
    for (long long e : out->second) {
      const long long child = last.edges.at(e).target;
      newId[child] = static_cast<int>(order.size());
      order.push_back(child);
    }
  }
  // Single root and one parent each: whatever the root cannot reach hangs off a cycle.
  if (order.size() != last.nodes.size())
    for (const auto& [id, n] : last.nodes)
      if (!newId.count(id))
        failInput(where, ": node ", id, " is not reachable from root ", roots[0], " (a cycle)");
  if (order.size() > static_cast<size_t>(INT_MAX)) failInput(where, ": too many nodes");

  ReasoningTree tree;
  tree.kind = top.find("kind") ? top.string("kind") : "imported";
  tree.task = top.string("task");
  tree.problemId = top.string("problem_id");
  tree.prompt = top.string("prompt");
  tree.label = top.string("label");
  if (const json* params = top.find("params")) tree.params = *params;

  for (long long orig : order) {
    const LrNode& n = last.nodes.at(orig);
    const auto in = last.incoming.find(orig);
    const LrEdge* edge = in == last.incoming.end() ? nullptr : &last.edges.at(in->second);
    Mapped m = mapData(n, edge, where);
    TreeNode node;
    node.parent = edge ? newId.at(edge->source) : -1;
    node.step = std::move(m.step);
    node.state = std::move(m.state);
    node.stats = m.stats;
    node.reward = m.reward;
    node.prior = m.prior;
    node.logProb = m.logProb;
    node.logFlow = m.logFlow;
    node.terminal = m.terminal;
    node.correct = m.correct;
    node.extra = std::move(m.extra);
    tree.addNode(std::move(node));
  }

  // The chosen path follows selected_edge from the root (a tree, so it ends).
  for (long long at = roots[0];;) {
    tree.chosenPath.push_back(newId.at(at));
    const auto& sel = last.nodes.at(at).selectedEdge;
    if (!sel) break;
    at = last.edges.at(*sel).target;
  }

  // Earlier snapshots are the growth: one iteration per snapshot. A single snapshot has none.
  if (snaps.size() > 1) {
    const int count = static_cast<int>(snaps.size());
    for (int i = 1; i < tree.size(); ++i) {
      int created = count;
      for (int k = 0; k < count; ++k)
        if (snaps[k].nodes.count(order[i])) {
          created = k + 1;
          break;
        }
      // A node cannot exist before its parent, whatever an inconsistent log says.
      tree.nodes[i].createdAt = std::max(created, tree.nodes[tree.nodes[i].parent].createdAt);
    }
    std::vector<NodeStats> previous(tree.size());
    for (int k = 0; k < count; ++k) {
      const LrSnapshot& s = snaps[k];
      const std::string at = detail::concat(source, ": snapshot ", k + 1);
      TreeIteration iteration;
      for (int i = 0; i < tree.size(); ++i) {
        if (tree.nodes[i].createdAt > k + 1) continue;
        const auto n = s.nodes.find(order[i]);
        if (n == s.nodes.end()) continue;
        // Edge ids are renumbered per snapshot by llm-reasoners; find the edge by its target.
        const auto in = s.incoming.find(order[i]);
        const LrEdge* edge = in == s.incoming.end() ? nullptr : &s.edges.at(in->second);
        const NodeStats st = k + 1 == count ? tree.nodes[i].stats : statsOf(n->second, edge, at);
        const NodeStats& p = previous[i];
        if (st.visits != p.visits || st.value != p.value || st.q != p.q) iteration.changes.emplace_back(i, st);
        previous[i] = st;
      }
      tree.history.push_back(std::move(iteration));
    }
  }

  validateFrom(tree, source);
  return tree;
}

// Python's json module writes NaN, Infinity and -Infinity, which are not JSON; outside strings
// they become null so that such files still load (the numbers read as unknown).
std::string withoutNonFinite(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    const auto token = [&](const char* word) { return text.compare(i, std::strlen(word), word) == 0; };
    if (token("-Infinity")) out += "null", i += 8;
    else if (token("Infinity")) out += "null", i += 7;
    else if (token("NaN")) out += "null", i += 2;
    else out += c;
  }
  return out;
}

}  // namespace

nlohmann::json treeToJson(const ReasoningTree& tree) {
  json nodes = json::array();
  for (const TreeNode& n : tree.nodes)
    nodes.push_back({{"id", n.id},
                     {"parent", n.parent},
                     {"step", n.step},
                     {"state", n.state},
                     {"depth", n.depth},
                     {"visits", n.stats.visits},
                     {"value", number(n.stats.value)},
                     {"q", number(n.stats.q)},
                     {"reward", number(n.reward)},
                     {"prior", number(n.prior)},
                     {"log_prob", number(n.logProb)},
                     {"log_flow", number(n.logFlow)},
                     {"terminal", n.terminal},
                     {"correct", n.correct},
                     {"created_at", n.createdAt},
                     {"extra", n.extra}});
  json history = json::array();
  for (const TreeIteration& it : tree.history) {
    json changes = json::array();
    for (const auto& [id, s] : it.changes) changes.push_back({id, s.visits, number(s.value), number(s.q)});
    history.push_back(std::move(changes));
  }
  return {{"format", kFormat},     {"version", kVersion},  {"kind", tree.kind},
          {"task", tree.task},     {"problem_id", tree.problemId}, {"prompt", tree.prompt},
          {"label", tree.label},   {"params", tree.params}, {"nodes", std::move(nodes)},
          {"chosen_path", tree.chosenPath}, {"history", std::move(history)}};
}

ReasoningTree treeFromJson(const nlohmann::json& json, const std::string& source) {
  checkNesting(json, source);
  try {
    return parseOwn(json, source);
  } catch (const nlohmann::json::exception& e) {
    // Every access above is type-checked; this is a safety net, not a path.
    failInput(source, ": malformed tree (", e.what(), ")");
  }
}

nlohmann::json treeToLlmReasoners(const ReasoningTree& tree) {
  const int size = tree.size();
  const auto valid = [&](int id) { return id >= 0 && id < size; };
  std::vector<int> chosenNext(size, -1);
  for (size_t k = 0; k + 1 < tree.chosenPath.size(); ++k)
    if (valid(tree.chosenPath[k])) chosenNext[tree.chosenPath[k]] = tree.chosenPath[k + 1];
  const int chosenEnd = tree.chosenPath.empty() ? -1 : tree.chosenPath.back();

  const auto snapshot = [&](int iteration) {
    std::vector<bool> present;
    const std::vector<NodeStats> stats = tree.statsAt(iteration, &present);
    // A node whose parent is absent cannot be drawn; nodes are parent-first, so one pass does.
    for (int i = 0; i < size; ++i) {
      const int p = tree.nodes[i].parent;
      if (p >= 0 && (p >= i || !present[p])) present[i] = false;
    }
    json nodes = json::object(), edges = json::object();
    for (int i = 0; i < size; ++i) {
      if (!present[i]) continue;
      const TreeNode& n = tree.nodes[i];
      json data = {{"state", n.state}, {"step", n.step},         {"depth", n.depth},     {"visits", stats[i].visits},
                   {"value", number(stats[i].value)}, {"terminal", n.terminal}, {"correct", n.correct}};
      if (n.logProb != 0) data["log_prob"] = number(n.logProb);
      if (std::isfinite(n.logFlow)) data["log_flow"] = n.logFlow;
      if (n.extra.is_object()) {
        for (auto it = n.extra.begin(); it != n.extra.end(); ++it)
          if (!data.contains(it.key())) data[it.key()] = it.value();
      } else if (!n.extra.is_null()) {
        data["extra"] = n.extra;
      }
      // The chosen child's edge on the chosen path (none past its end); elsewhere the best Q.
      json selected = nullptr;
      if (i != chosenEnd) {
        int best = -1;
        for (int c : n.children) {
          if (!valid(c) || !present[c]) continue;
          if (c == chosenNext[i]) {
            best = c;
            break;
          }
          if (best < 0 || stats[c].q > stats[best].q) best = c;
        }
        if (best >= 0) selected = best;  // the edge into a node has the node's id
      }
      nodes[std::to_string(i)] = {{"id", i}, {"data", std::move(data)}, {"selected_edge", selected}, {"convert_images", false}};
      if (n.parent >= 0)
        edges[std::to_string(i)] = {{"id", i},
                                    {"source", n.parent},
                                    {"target", i},
                                    {"data",
                                     {{"Q", number(stats[i].q)},
                                      {"reward", number(n.reward)},
                                      {"prior", number(n.prior)},
                                      {"visits", stats[i].visits},
                                      {"step", n.step}}},
                                    {"convert_images", false}};
    }
    return json{{"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
  };

  json logs = json::array();
  if (tree.history.empty()) {
    logs.push_back(snapshot(0));
  } else {
    for (int i = 1; i <= tree.iterations(); ++i) logs.push_back(snapshot(i));
  }
  // Our metadata rides along at the top level; llm-reasoners' viewer reads only "logs".
  return {{"logs", std::move(logs)}, {"kind", tree.kind},    {"task", tree.task},   {"problem_id", tree.problemId},
          {"prompt", tree.prompt},   {"label", tree.label}, {"params", tree.params}};
}

ReasoningTree treeFromLlmReasoners(const nlohmann::json& json, const std::string& source) {
  checkNesting(json, source);
  try {
    return parseLlmReasoners(json, source);
  } catch (const nlohmann::json::exception& e) {
    failInput(source, ": malformed llm-reasoners tree log (", e.what(), ")");
  }
}

ReasoningTree readTreeJson(const nlohmann::json& json, const std::string& source) {
  if (json.is_object() && json.contains("format")) return treeFromJson(json, source);
  if (json.is_object() && json.contains("logs")) return treeFromLlmReasoners(json, source);
  failInput(source, ": not a reasoning tree (expected a Thoughtbench tree with \"format\": \"", kFormat,
            "\" or an llm-reasoners TreeLog with \"logs\": [...]), got ",
            json.is_object() ? std::string("an object without either key") : brief(json));
}

ReasoningTree readTreeFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) failInput("tree file '", path, "' is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) failInput("cannot open tree file '", path, "': ", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) failInput("cannot read tree file '", path, "'");
  const std::string text = buffer.str();
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    // Retry without Python's NaN/Infinity; report the original error if that does not help.
    try {
      document = json::parse(withoutNonFinite(text));
    } catch (const json::parse_error&) {
      failInput("tree file '", path, "' is not valid JSON: ", e.what());
    }
  }
  return readTreeJson(document, path);
}

void writeTreeFile(const ReasoningTree& tree, const std::string& path, const std::string& format) {
  json document;
  if (format == "thoughtbench") document = treeToJson(tree);
  else if (format == "llm-reasoners") document = treeToLlmReasoners(tree);
  else failInput("tree format '", format, "' is unknown (expected \"thoughtbench\" or \"llm-reasoners\")");
  const std::string text = dumpSafe(document, 1);
  // Readers never see a half-written file: write next to it, then rename over it.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) failInput("cannot write tree file '", temporary, "': ", std::strerror(errno));
    out << text << '\n';
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      failInput("cannot write tree file '", temporary, "' (disk full?)");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    failInput("cannot replace tree file '", path, "': ", std::strerror(error));
  }
}

}  // namespace tb
