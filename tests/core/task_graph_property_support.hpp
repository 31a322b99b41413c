#pragma once

// The parts of the task graph property tests that the graph checks
// (task_graph_properties_test.cpp) and the run plan and validation checks
// (task_graph_properties_plan_test.cpp) share: random graphs, their
// printing, and the brute force over an adjacency matrix that the checks
// hold the task graph and the run plan to.

#include "core/run_plan.hpp"
#include "core/task_graph.hpp"
#include "property_support.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test::property {

using namespace tdd::core;

inline constexpr int max_tasks = 12;
inline constexpr int unreachable = 1000;

using keys = std::vector<std::string>;
using matrix = std::vector<std::vector<int>>;

/// "T00".."T11": sorting the keys sorts the numbers.
inline std::string key_of(int i) {
  return std::string{"T"} + char('0' + i / 10) + char('0' + i % 10);
}

inline task_status draw_status(generator& g) {
  const int r = g.between(1, 100);
  if (r <= 50) {
    return task_status::pending;
  }
  if (r <= 75) {
    return task_status::complete;
  }
  return r <= 85 ? task_status::running : task_status::blocked;
}

/// Random dependencies of task `i` of `n`: only on later tasks in a DAG,
/// sometimes on itself or an unknown key, sometimes repeated, any order.
inline keys draw_deps(generator& g, int i, int n, int density, bool dag) {
  keys out;
  for (int j = 0; j < n; ++j) {
    const bool wanted
      = j == i ? !dag && g.chance(4) : (!dag || j > i) && g.chance(density);
    if (wanted) {
      out.push_back(key_of(j));
    }
  }
  if (g.chance(8)) {
    out.push_back("X" + std::to_string(g.between(0, 2)));
  }
  if (!out.empty() && g.chance(5)) {
    out.push_back(out.front());
  }
  g.shuffle(out);
  return out;
}

/// One random graph as task_graph takes it: a later node with an earlier
/// node's key overrides it.
inline std::vector<graph_node> draw_graph(generator& g) {
  const int n = g.between(0, max_tasks);
  const int density = g.between(0, 40);
  const bool dag = g.chance(40);
  const int phases = g.chance(50) ? 1 : g.between(2, 3);
  std::vector<graph_node> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({key_of(i), draw_deps(g, i, n, density, dag),
                   g.between(0, phases - 1), draw_status(g)});
  }
  g.shuffle(out);
  if (n > 0 && g.chance(15)) {
    const int i = g.between(0, n - 1);
    out.push_back({key_of(i), draw_deps(g, i, n, density, dag),
                   g.between(0, phases - 1), draw_status(g)});
  }
  return out;
}

inline std::string show(const keys& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += (out.empty() ? "" : " ") + x;
  }
  return "[" + out + "]";
}

inline std::string show(const std::vector<keys>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += show(x);
  }
  return "{" + out + "}";
}

/// `T03 p1 pending <- [T01 X0]`, one line per node in the order given.
inline std::string show(const std::vector<graph_node>& nodes) {
  std::string out;
  for (const auto& x : nodes) {
    out += "  " + x.key + " p" + std::to_string(x.phase) + " "
           + to_string(x.status) + " <- " + show(x.depends_on) + "\n";
  }
  return out;
}

// -- brute force --------------------------------------------------------------

/// The graph after overrides, as an adjacency matrix over sorted keys.
struct brute_graph {
  keys names;                    ///< sorted
  std::map<std::string, int> at; ///< key -> index
  std::vector<graph_node> node;  ///< by index, the last node of each key
  matrix edge; ///< edge[i][j]: i depends on j (known keys only)

  explicit brute_graph(const std::vector<graph_node>& nodes) {
    std::map<std::string, graph_node> last;
    for (const auto& x : nodes) {
      last[x.key] = x;
    }
    for (const auto& [key, x] : last) {
      at[key] = static_cast<int>(names.size());
      names.push_back(key);
      node.push_back(x);
    }
    edge.assign(size(), std::vector<int>(size(), 0));
    for (size_t i = 0; i < size(); ++i) {
      for (const auto& dep : node[i].depends_on) {
        if (const auto j = at.find(dep); j != at.end()) {
          edge[i][static_cast<size_t>(j->second)] = 1;
        }
      }
    }
  }

  size_t size() const { return names.size(); }

  task_status status(size_t i) const { return node[i].status; }

  bool is(size_t i, task_status x) const { return node[i].status == x; }

  bool is_active(size_t i) const {
    return is(i, task_status::pending) || is(i, task_status::running);
  }

  /// Known and complete, for every dependency as written (unknown keys
  /// never complete).
  bool deps_all(size_t i, const std::vector<bool>& done) const {
    return std::all_of(node[i].depends_on.begin(), node[i].depends_on.end(),
                       [&](const std::string& dep) {
                         const auto j = at.find(dep);
                         return j != at.end()
                                && done[static_cast<size_t>(j->second)];
                       });
  }

  /// Floyd–Warshall over edges whose source passes `from` and through
  /// intermediates that pass `via`: d[i][j] is the fewest steps from i to
  /// j, d[i][i] the shortest cycle through i; `unreachable` if none.
  template <class From, class Via>
  matrix distances(const From& from, const Via& via) const {
    const auto n = size();
    matrix d(n, std::vector<int>(n, unreachable));
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (edge[i][j] != 0 && from(i)) {
          d[i][j] = 1;
        }
      }
    }
    for (size_t k = 0; k < n; ++k) {
      if (!via(k)) {
        continue;
      }
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
          d[i][j] = std::min(d[i][j], d[i][k] + d[k][j]);
        }
      }
    }
    return d;
  }

  matrix distances() const {
    const auto any = [](size_t) { return true; };
    return distances(any, any);
  }
};

/// Runs the plan by hand: each wave is every task of the lowest remaining
/// phase that is running or has all dependencies done; stop when none.
inline std::vector<keys> brute_waves(const brute_graph& b) {
  std::vector<bool> done(b.size());
  std::vector<bool> remaining(b.size());
  for (size_t i = 0; i < b.size(); ++i) {
    done[i] = b.is(i, task_status::complete);
    remaining[i] = b.is_active(i);
  }
  std::vector<keys> out;
  for (;;) {
    std::optional<int> phase;
    for (size_t i = 0; i < b.size(); ++i) {
      if (remaining[i] && (!phase || b.node[i].phase < *phase)) {
        phase = b.node[i].phase;
      }
    }
    std::vector<size_t> wave;
    for (size_t i = 0; i < b.size(); ++i) {
      if (remaining[i] && b.node[i].phase == phase
          && (b.is(i, task_status::running) || b.deps_all(i, done))) {
        wave.push_back(i);
      }
    }
    if (wave.empty()) {
      return out;
    }
    out.emplace_back();
    for (const auto i : wave) {
      remaining[i] = false;
      done[i] = true;
      out.back().push_back(b.names[i]);
    }
  }
}

/// For each pending task with a path through pending tasks to a blocked
/// one: the nearest such blocked task, the smallest key on a tie.
inline std::vector<std::pair<std::string, std::string>>
brute_blocked(const brute_graph& b) {
  const auto pending = [&b](size_t i) { return b.is(i, task_status::pending); };
  const auto d = b.distances(pending, pending);
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < b.size(); ++i) {
    std::optional<size_t> best;
    for (size_t j = 0; j < b.size(); ++j) {
      if (b.is(j, task_status::blocked) && d[i][j] < unreachable
          && (!best || d[i][j] < d[i][*best])) {
        best = j;
      }
    }
    if (pending(i) && best) {
      out.emplace_back(b.names[i], b.names[*best]);
    }
  }
  return out;
}

/// How often the random graphs reach what the checks are about.
struct reached {
  int cycles = 0;
  int blocked_dependents = 0;
  int multi_wave = 0;
  int plans = 0;
  int refused_selections = 0;
  int unrunnable = 0;
  int cycle_reports = 0;
};

// -- checks -------------------------------------------------------------------

// Each check returns what is wrong, "" if nothing.

/// What waves() promises whatever the reference says: one phase per wave,
/// phases never go back, sorted keys, active tasks only, each once, pending
/// ones after all their dependencies, and nothing past a phase that keeps
/// a task out.
inline std::string check_wave_rules(const std::vector<keys>& waves,
                                    const brute_graph& b) {
  std::map<std::string, size_t> wave_of;
  int last_phase = -1;
  for (size_t w = 0; w < waves.size(); ++w) {
    const auto& wave = waves[w];
    if (wave.empty() || !std::is_sorted(wave.begin(), wave.end())) {
      return "wave " + std::to_string(w) + " empty or unsorted";
    }
    const int phase = b.node[size_t(b.at.at(wave.front()))].phase;
    if (phase < last_phase) {
      return "wave " + std::to_string(w) + " goes back a phase";
    }
    last_phase = phase;
    for (const auto& key : wave) {
      const auto i = size_t(b.at.at(key));
      if (b.node[i].phase != phase || !b.is_active(i)
          || !wave_of.emplace(key, w).second) {
        return key + " mixed into wave " + std::to_string(w);
      }
    }
  }
  for (const auto& [key, w] : wave_of) {
    const auto& node = b.node[size_t(b.at.at(key))];
    for (const auto& dep : node.depends_on) {
      if (node.status == task_status::running) {
        break; // started already
      }
      const auto i = b.at.find(dep);
      const bool complete
        = i != b.at.end() && b.is(size_t(i->second), task_status::complete);
      const auto dw = wave_of.find(dep);
      if (!complete && (dw == wave_of.end() || dw->second >= w)) {
        return key + " (wave " + std::to_string(w) + ") before " + dep;
      }
    }
  }
  for (size_t i = 0; i < b.size(); ++i) {
    if (b.is_active(i) && wave_of.count(b.names[i]) == 0
        && last_phase > b.node[i].phase) {
      return b.names[i] + " left out, yet a later phase runs";
    }
  }
  return "";
}

// Defined in task_graph_properties_plan_test.cpp.

/// A random --task (some keys unknown), --phase, or nothing.
run_selection draw_selection(generator& g, const brute_graph& b);

/// plan_run on `nodes` with `x` against brute force.
std::string check_plan(const std::vector<graph_node>& nodes,
                       const run_selection& x, reached& r);

/// validate_tasks's cycle reports on the graph against brute force.
std::string check_validation(const brute_graph& b, reached& r);

} // namespace tdd::test::property
