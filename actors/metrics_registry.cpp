#include "actors/metrics_registry.hpp"

#include "store/database.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

namespace tdd {

namespace {

using prometheus::Counter;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

constexpr std::array<const char*, 4> task_statuses{"pending", "running",
                                                   "complete", "blocked"};
constexpr std::array<const char*, 6> stages{"red", "green",    "verify",
                                            "fix", "refactor", "commit"};
constexpr std::array<const char*, 7> attempt_outcomes{
  "passed",      "failed",      "error",   "timeout",
  "usage_limit", "interrupted", "reverted"};
constexpr std::array<const char*, 5> agent_outcomes{
  "ok", "error", "timeout", "usage_limit", "interrupted"};
constexpr std::array<const char*, 5> worker_states{"idle", "busy", "paused",
                                                   "stopped", "lost"};
constexpr std::array<const char*, 3> levels{"stage", "worker", "system"};
constexpr std::array<const char*, 3> circuit_states{"closed", "open",
                                                    "half_open"};
/// Transitions a circuit makes (SPEC.md 5; open -> closed is a reset).
constexpr std::array<std::array<const char*, 2>, 5> transitions{
  {{"closed", "open"},
   {"open", "half_open"},
   {"half_open", "closed"},
   {"half_open", "open"},
   {"open", "closed"}}};
constexpr std::array<const char*, 3> notification_outcomes{"sent", "throttled",
                                                           "failed"};
constexpr std::array<const char*, 4> run_outcomes{"complete", "blocked",
                                                  "halted", "interrupted"};

/// Stages whose attempts call the agent once.
bool is_agent_stage(std::string_view stage) {
  return stage == "red" || stage == "green" || stage == "fix"
         || stage == "refactor";
}

/// tdd_agent_invocations_total's outcome for an attempt of an agent stage:
/// the stage's verdict on the work (passed, failed, reverted) says the
/// agent itself finished fine.
std::string agent_outcome(std::string_view attempt_outcome) {
  if (attempt_outcome == "passed" || attempt_outcome == "failed"
      || attempt_outcome == "reverted") {
    return "ok";
  }
  return std::string{attempt_outcome};
}

/// A family and the series the registry holds in it, by labels.
template <class T> struct family_of {
  prometheus::Family<T>* family = nullptr;
  std::map<Labels, T*> series;

  T& at(const Labels& labels) {
    auto& x = series[labels];
    if (x == nullptr) {
      x = &family->Add(labels);
    }
    return *x;
  }
};

/// Sets a counter to `total` (increments by the difference; a lower total
/// starts the series over).
void set_total(family_of<Counter>& f, const Labels& labels, double total) {
  auto* c = &f.at(labels);
  if (total < c->Value()) {
    f.family->Remove(c);
    c = f.series[labels] = &f.family->Add(labels);
  }
  if (total > c->Value()) {
    c->Increment(total - c->Value());
  }
}

struct histogram_series {
  Histogram* histogram = nullptr;
  std::vector<int64_t> counts; ///< per bucket, not cumulative
  double sum = 0;
};

struct histogram_family {
  prometheus::Family<Histogram>* family = nullptr;
  std::vector<double> bounds;
  std::map<Labels, histogram_series> series;

  /// Sets the series to `counts` per bucket (bounds + 1) and `sum`.
  void set(const Labels& labels, const std::vector<int64_t>& counts,
           double sum) {
    auto& s = series[labels];
    bool restart = s.histogram == nullptr || sum < s.sum;
    for (size_t i = 0; !restart && i < counts.size(); ++i) {
      restart = counts[i] < s.counts[i];
    }
    if (restart) {
      if (s.histogram != nullptr) {
        family->Remove(s.histogram);
      }
      s.histogram = &family->Add(labels, bounds);
      s.counts.assign(counts.size(), 0);
      s.sum = 0;
    }
    std::vector<double> increments(counts.size());
    bool changed = sum != s.sum;
    for (size_t i = 0; i < counts.size(); ++i) {
      increments[i] = static_cast<double>(counts[i] - s.counts[i]);
      changed = changed || increments[i] != 0;
    }
    if (changed) {
      s.histogram->ObserveMultiple(increments, sum - s.sum);
    }
    s.counts = counts;
    s.sum = sum;
  }
};

} // namespace

const std::vector<double>& stage_duration_bounds() {
  static const std::vector<double> x{1,   5,   15,  30,   60,
                                     120, 300, 600, 1200, 3600};
  return x;
}

const std::vector<double>& recovery_bounds() {
  static const std::vector<double> x{10,  30,   60,   120,  300,
                                     600, 1200, 2400, 3600, 7200};
  return x;
}

struct metrics_registry::impl {
  prometheus::Registry registry;
  family_of<Gauge> tasks;
  family_of<Counter> stage_attempts;
  histogram_family stage_duration;
  family_of<Counter> agent_invocations;
  family_of<Counter> agent_cost;
  family_of<Counter> agent_tokens;
  family_of<Gauge> budget_remaining;
  family_of<Gauge> workers;
  family_of<Gauge> nodes;
  family_of<Counter> restarts;
  family_of<Gauge> breakers;
  family_of<Gauge> breaker_state;
  family_of<Counter> state_changes;
  family_of<Counter> breaker_failures;
  histogram_family recovery;
  family_of<Counter> merge_conflicts;
  family_of<Counter> notifications;
  family_of<Counter> runs;
  family_of<Gauge> run_start;

  template <class Builder>
  auto& build(Builder builder, const char* name, const char* help) {
    return builder.Name(name).Help(help).Register(registry);
  }

  impl();
  void update(const store::metrics_data& x);
  void update_attempts(const store::metrics_data& x);
  void update_circuits(const store::metrics_data& x);
};

metrics_registry::impl::impl() {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  tasks.family = &build(BuildGauge(), "tdd_tasks", "Tasks by status.");
  stage_attempts.family = &build(BuildCounter(), "tdd_stage_attempts_total",
                                 "Finished stage attempts by stage and "
                                 "outcome.");
  stage_duration.family
    = &build(BuildHistogram(), "tdd_stage_duration_seconds",
             "Duration of finished stage attempts, by stage.");
  stage_duration.bounds = stage_duration_bounds();
  agent_invocations.family
    = &build(BuildCounter(), "tdd_agent_invocations_total",
             "Agent calls (attempts of red, green, fix and refactor) by "
             "outcome; ok means the agent finished, whatever the verdict.");
  agent_cost.family = &build(BuildCounter(), "tdd_agent_cost_usd_total",
                             "Agent cost reported by the agents, in dollars.");
  agent_tokens.family = &build(BuildCounter(), "tdd_agent_tokens_total",
                               "Tokens reported by the agents.");
  budget_remaining.family
    = &build(BuildGauge(), "tdd_budget_invocations_remaining",
             "Agent invocations left in the budget of the latest run.");
  workers.family = &build(BuildGauge(), "tdd_workers",
                          "Workers of the latest run by state.");
  nodes.family = &build(BuildGauge(), "tdd_nodes_connected",
                        "Remote nodes connected to the run.");
  restarts.family = &build(BuildCounter(), "tdd_worker_restarts_total",
                           "Workers restarted by the supervisor.");
  breakers.family = &build(BuildGauge(), "tdd_circuit_breakers",
                           "Circuit breakers by level and state.");
  breaker_state.family
    = &build(BuildGauge(), "tdd_circuit_breaker_state",
             "State of each worker circuit and of the system circuit: 1 for "
             "the current state, 0 for the others.");
  state_changes.family
    = &build(BuildCounter(), "tdd_circuit_breaker_state_changes_total",
             "Circuit state changes by level and "
             "transition.");
  breaker_failures.family
    = &build(BuildCounter(), "tdd_circuit_breaker_failures_total",
             "Failures recorded by circuits, by level.");
  recovery.family
    = &build(BuildHistogram(), "tdd_circuit_breaker_recovery_seconds",
             "Time from a circuit opening to closing again, by "
             "level.");
  recovery.bounds = recovery_bounds();
  merge_conflicts.family
    = &build(BuildCounter(), "tdd_merge_conflicts_total",
             "Task branches that conflicted with the target at merge.");
  notifications.family = &build(BuildCounter(), "tdd_notifications_total",
                                "Notifications by outcome.");
  runs.family
    = &build(BuildCounter(), "tdd_runs_total", "Finished runs by outcome.");
  run_start.family
    = &build(BuildGauge(), "tdd_run_start_time_seconds",
             "Unix time the active run started; 0 when none is active.");
  update(store::metrics_data{}); // every bounded series at 0 from the start
}

void metrics_registry::impl::update_attempts(const store::metrics_data& x) {
  std::map<Labels, int64_t> attempts;
  std::map<std::string, std::vector<int64_t>> buckets;
  std::map<std::string, int64_t> duration_ms;
  std::map<std::string, int64_t> agent;
  int64_t cost = 0;
  int64_t tokens = 0;
  int64_t conflicts = 0;
  for (const auto* stage : stages) {
    buckets[stage].assign(store::metric_bucket_count, 0);
    for (const auto* outcome : attempt_outcomes) {
      attempts[{{"stage", stage}, {"outcome", outcome}}] = 0;
    }
  }
  for (const auto* outcome : agent_outcomes) {
    agent[outcome] = 0;
  }
  for (const auto& t : x.attempts) {
    attempts[{{"stage", t.stage}, {"outcome", t.outcome}}] += t.attempts;
    auto& b = buckets[t.stage];
    b.resize(store::metric_bucket_count, 0);
    b[static_cast<size_t>(
      std::clamp(t.bucket, 0, store::metric_bucket_count - 1))]
      += t.attempts;
    duration_ms[t.stage] += t.duration_ms;
    if (is_agent_stage(t.stage)) {
      agent[agent_outcome(t.outcome)] += t.attempts;
    }
    cost += t.cost_micros;
    tokens += t.tokens;
    if (t.reason == "merge_conflict") {
      conflicts += t.attempts;
    }
  }
  for (const auto& [labels, n] : attempts) {
    set_total(stage_attempts, labels, static_cast<double>(n));
  }
  for (const auto& [stage, counts] : buckets) {
    stage_duration.set({{"stage", stage}}, counts,
                       static_cast<double>(duration_ms[stage]) / 1000.0);
  }
  for (const auto& [outcome, n] : agent) {
    set_total(agent_invocations, {{"outcome", outcome}},
              static_cast<double>(n));
  }
  set_total(agent_cost, {}, static_cast<double>(cost) / 1e6);
  set_total(agent_tokens, {}, static_cast<double>(tokens));
  set_total(merge_conflicts, {}, static_cast<double>(conflicts));
}

void metrics_registry::impl::update_circuits(const store::metrics_data& x) {
  const std::array<const core::state_counts*, 3> counts{
    &x.circuits.stage, &x.circuits.worker, &x.circuits.system};
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::array<int64_t, 3> n{counts[i]->closed, counts[i]->open,
                                   counts[i]->half_open};
    for (size_t j = 0; j < circuit_states.size(); ++j) {
      breakers.at({{"level", levels[i]}, {"state", circuit_states[j]}})
        .Set(static_cast<double>(n[j]));
    }
  }
  // Worker circuits come and go with runs; the system circuit is closed
  // until it has a row.
  std::set<Labels> current;
  bool has_system = false;
  auto set_breaker = [&](const std::string& level, const std::string& id,
                         const std::string& state) {
    for (const auto* s : circuit_states) {
      Labels labels{{"level", level}, {"id", id}, {"state", s}};
      breaker_state.at(labels).Set(state == s ? 1 : 0);
      current.insert(std::move(labels));
    }
  };
  for (const auto& b : x.breakers) {
    has_system = has_system || b.level == "system";
    set_breaker(b.level, b.id, b.state);
  }
  if (!has_system) {
    set_breaker("system", "system", "closed");
  }
  for (auto i = breaker_state.series.begin();
       i != breaker_state.series.end();) {
    if (current.count(i->first) == 0) {
      breaker_state.family->Remove(i->second);
      i = breaker_state.series.erase(i);
    } else {
      ++i;
    }
  }
  std::map<Labels, int64_t> changes;
  std::map<std::string, int64_t> failures;
  for (const auto* level : levels) {
    failures[level] = 0;
    for (const auto& [from, to] : transitions) {
      changes[{{"level", level}, {"from", from}, {"to", to}}] = 0;
    }
  }
  for (const auto& e : x.circuit_events) {
    if (e.event_type == "state_change") {
      changes[{{"level", e.level}, {"from", e.from_state}, {"to", e.to_state}}]
        += e.events;
    } else if (e.event_type == "failure_recorded") {
      failures[e.level] += e.events;
    }
  }
  for (const auto& [labels, n] : changes) {
    set_total(state_changes, labels, static_cast<double>(n));
  }
  for (const auto& [level, n] : failures) {
    set_total(breaker_failures, {{"level", level}}, static_cast<double>(n));
  }
  std::map<std::string, std::pair<std::vector<int64_t>, double>> recoveries;
  for (const auto* level : levels) {
    recoveries[level].first.assign(store::metric_bucket_count, 0);
  }
  for (const auto& r : x.recoveries) {
    auto& [b, seconds] = recoveries[r.level];
    b.resize(store::metric_bucket_count, 0);
    b[static_cast<size_t>(
      std::clamp(r.bucket, 0, store::metric_bucket_count - 1))]
      += r.recoveries;
    seconds += r.seconds;
  }
  for (const auto& [level, r] : recoveries) {
    recovery.set({{"level", level}}, r.first, r.second);
  }
}

void metrics_registry::impl::update(const store::metrics_data& x) {
  const std::array<int64_t, 4> task_counts{x.tasks.pending, x.tasks.running,
                                           x.tasks.complete, x.tasks.blocked};
  for (size_t i = 0; i < task_statuses.size(); ++i) {
    tasks.at({{"status", task_statuses[i]}})
      .Set(static_cast<double>(task_counts[i]));
  }
  update_attempts(x);
  if (x.invocations_remaining) {
    budget_remaining.at({}).Set(static_cast<double>(*x.invocations_remaining));
  }
  std::map<std::string, int64_t> by_state = x.workers;
  for (const auto* s : worker_states) {
    by_state.emplace(s, 0);
  }
  for (auto& [labels, gauge] : workers.series) {
    gauge->Set(0); // a state no worker is in any more
  }
  for (const auto& [state, n] : by_state) {
    workers.at({{"state", state}}).Set(static_cast<double>(n));
  }
  nodes.at({}).Set(static_cast<double>(x.nodes_connected));
  set_total(restarts, {}, static_cast<double>(x.worker_restarts));
  update_circuits(x);
  std::map<std::string, int64_t> sent = x.notifications;
  for (const auto* o : notification_outcomes) {
    sent.emplace(o, 0);
  }
  for (const auto& [outcome, n] : sent) {
    set_total(notifications, {{"outcome", outcome}}, static_cast<double>(n));
  }
  std::map<std::string, int64_t> ended = x.runs;
  for (const auto* o : run_outcomes) {
    ended.emplace(o, 0);
  }
  for (const auto& [outcome, n] : ended) {
    set_total(runs, {{"outcome", outcome}}, static_cast<double>(n));
  }
  run_start.at({}).Set(x.active_run_started.value_or(0));
}

metrics_registry::metrics_registry() : impl_(std::make_unique<impl>()) {}

metrics_registry::~metrics_registry() = default;

void metrics_registry::update(const store::metrics_data& x) {
  impl_->update(x);
}

std::string metrics_registry::exposition() const {
  auto families = impl_->registry.Collect();
  // prometheus-cpp keeps series in hash order; sorted, a scrape reads
  // (and diffs) the same way every time.
  for (auto& f : families) {
    std::sort(
      f.metric.begin(), f.metric.end(), [](const auto& a, const auto& b) {
        return std::lexicographical_compare(
          a.label.begin(), a.label.end(), b.label.begin(), b.label.end(),
          [](const auto& x, const auto& y) {
            return std::tie(x.name, x.value) < std::tie(y.name, y.value);
          });
      });
  }
  return prometheus::TextSerializer{}.Serialize(families);
}

caf::expected<std::string> metrics_registry::scrape(store::database& db) {
  auto data = db.metrics_data();
  if (!data) {
    return std::move(data.error());
  }
  update(*data);
  return exposition();
}

} // namespace tdd
