#include "actors/coordinator.hpp"

#include "actors/coordinator_internal.hpp"
#include "core/log.hpp"
#include "core/run_plan.hpp"
#include "core/stage_rules.hpp"
#include "messages/circuit.hpp"
#include "messages/errc.hpp"
#include "messages/progress.hpp"
#include "messages/run.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <caf/system_messages.hpp>

#include <algorithm>
#include <utility>

namespace tdd {

namespace coordinator_detail {

using core::task_status;

namespace {
constexpr auto tick_interval = std::chrono::seconds{1};
} // namespace

caf::timestamp wall_now(self_ptr self) {
  return self->state.cfg.worker.clock.wall_at(self->clock().now());
}

core::graph_node* node_of(self_ptr self, const std::string& key) {
  return self->state.graph.find(key);
}

/// Counts of the selected tasks, as the run sees them.
run_summary totals(self_ptr self) {
  auto& st = self->state;
  run_summary s;
  s.run_id = st.cfg.run_id;
  for (const auto& n : st.graph.nodes()) {
    if (st.selected.count(n.key) == 0) {
      continue;
    }
    if (n.status == task_status::complete) {
      ++s.complete;
    } else if (n.status == task_status::blocked) {
      ++s.blocked;
    } else {
      ++s.pending;
    }
  }
  s.usage = st.budget->usage();
  return s;
}

void progress(self_ptr self, progress_kind kind, std::string task,
              std::string outcome, std::string detail, std::string worker) {
  auto& st = self->state;
  if (!st.cfg.worker.progress) {
    return;
  }
  const auto t = totals(self);
  progress_event e;
  e.kind = kind;
  e.at = wall_now(self);
  e.worker = std::move(worker);
  e.task = std::move(task);
  e.outcome = std::move(outcome);
  e.detail = std::move(detail);
  e.tasks_total = static_cast<int32_t>(st.selected.size());
  e.tasks_complete = t.complete;
  e.tasks_blocked = t.blocked;
  e.invocations = t.usage.invocations;
  e.cost_micros = t.usage.cost_micros;
  caf::anon_send(st.cfg.worker.progress, atom::progress_v, std::move(e));
}

bool dispatch_stopped(self_ptr self) {
  auto& st = self->state;
  return st.interrupted || st.ending || !st.halt_reason.empty();
}

bool is_paused(self_ptr self) {
  return self->clock().now() < self->state.paused_until;
}

std::optional<std::string> first_ready(self_ptr self) {
  return self->state.graph.first_ready();
}

/// Tells every waiting worker there is no more work.
void release_waiters(self_ptr self) {
  auto& st = self->state;
  while (!st.waiting.empty()) {
    st.waiting.front().promise.deliver(task_assignment{});
    st.waiting.pop_front();
  }
}

/// Blocks (in the store and here) every selected pending task that waits
/// for a blocked one.
void block_dependents(self_ptr self) {
  auto& st = self->state;
  for (const auto& b : st.graph.blocked_by_dependencies()) {
    auto* n = node_of(self, b.key);
    if (n == nullptr || st.assigned.count(b.key) != 0
        || n->status != task_status::pending) {
      continue;
    }
    n->status = task_status::blocked;
    st.dependency_blocked[b.key] = b.dependency;
    const auto reason = "dependency_blocked:" + b.dependency;
    self->send(st.cfg.worker.store, atom::status_v,
               task_status_update{b.key, task_status::blocked, reason});
    ++st.versions[b.key];
    progress(self, progress_kind::task_finished, b.key, "blocked", reason);
  }
}

namespace {

/// A task left a worker: record it, then see what is ready now.
void on_task_done(self_ptr self, task_release r) {
  auto& st = self->state;
  auto it = st.assigned.find(r.key);
  if (it == st.assigned.end() || it->second != r.worker_id) {
    return; // not leased to that worker (any more)
  }
  st.assigned.erase(it);
  st.running.erase(r.key);
  if (r.status == task_status::pending) {
    // Given back unfinished (a crashed worker, an open worker circuit): the
    // next worker goes on from the stage it recorded, as --resume would.
    st.cfg.resumable.insert(r.key);
  }
  if (auto* n = node_of(self, r.key)) {
    n->status = r.status;
  }
  ++st.versions[r.key];
  progress(self, progress_kind::task_finished, r.key, core::to_string(r.status),
           r.reason, r.worker_id);
  const bool blocked = r.status == task_status::blocked;
  self->send(st.cfg.worker.store, atom::release_v, std::move(r));
  if (blocked) { // only a newly blocked task blocks others
    block_dependents(self);
  }
  dispatch(self);
  check_end(self);
}

/// The supervisor lost a worker: the tasks it held go back to pending,
/// their open attempts interrupted. With no worker left the run halts.
void on_worker_lost(self_ptr self, const std::string& id, int32_t remaining) {
  auto& st = self->state;
  std::vector<std::string> orphans;
  for (const auto& [key, holder] : st.assigned) {
    if (holder == id) {
      orphans.push_back(key);
    }
  }
  for (const auto& key : orphans) {
    core::log_line("warn", self->name(), self->id(), "worker_lost_task",
                   {{"worker", id}, {"task", key}});
    progress(self, progress_kind::worker_lost, key, {}, {}, id);
    on_task_done(self, task_release{key,
                                    id,
                                    task_status::pending,
                                    {},
                                    std::string{core::reason::worker_crashed}});
  }
  // A node's worker (remaining < 0), or the last local one while nodes
  // may join: the run goes on.
  if (remaining == 0 && !st.ending && !st.cfg.gateway) {
    halt(self, "every worker stopped: a worker that crashes is restarted, "
               "but at most "
                 + std::to_string(st.cfg.supervision.max_restarts)
                 + " times a minute (see the log)");
    end_run(self);
  }
  check_end(self);
}

void spawn_supervisor(self_ptr self) {
  auto& st = self->state;
  auto sc = st.cfg.supervision;
  sc.worker = st.cfg.worker;
  sc.workers = st.cfg.workers;
  sc.worktrees_dir = st.cfg.worktrees_dir;
  // Linked: the supervisor ends with the coordinator (at shutdown, or if
  // the coordinator dies), never outlives it.
  st.supervisor = self->spawn<caf::linked>(
    supervisor, std::move(sc), caf::actor_cast<coordinator_actor>(self));
}

void start(self_ptr self) {
  auto& st = self->state;
  const auto timeout = st.cfg.worker.request_timeout;
  self->request(st.cfg.worker.store, timeout, atom::get_v, atom::graph_v)
    .then(
      [=](std::vector<core::graph_node>& all) {
        auto& st = self->state;
        st.graph = core::task_graph{core::scope_nodes(all, st.cfg.keys)};
        self->request(st.cfg.worker.store, timeout, atom::get_v, atom::leases_v)
          .then(
            [=](std::vector<task_lease>& leases) {
              auto& st = self->state;
              for (const auto& l : leases) {
                st.versions[l.key] = l.version;
              }
              progress(self, progress_kind::run_started, {}, {},
                       st.cfg.run_description);
              block_dependents(self);
              spawn_supervisor(self);
              self->delayed_send(self, tick_interval, atom::tick_v);
            },
            [=](caf::error& err) {
              self->state.halt_reason = "cannot read leases: " + describe(err);
              end_run(self);
            });
      },
      [=](caf::error& err) {
        self->state.halt_reason = "cannot read tasks: " + describe(err);
        end_run(self);
      });
  self->request(st.cfg.worker.hub, timeout, atom::system_v)
    .then(
      [=](system_circuit_actor sys) {
        self->send(sys, atom::subscribe_v,
                   caf::actor_cast<circuit_listener_actor>(self));
      },
      [=](caf::error& err) {
        core::log_line("warn", self->name(), self->id(), "no_system_circuit",
                       {{"error", describe(err)}});
      });
  self->send(st.cfg.worker.store, atom::subscribe_v,
             caf::actor_cast<control_listener_actor>(self));
  if (st.cfg.gateway) {
    self->send(st.cfg.gateway, atom::run_v, caf::actor_cast<caf::actor>(self));
  }
}

void renew_leases(self_ptr self) {
  auto& st = self->state;
  const auto now = self->clock().now();
  if (now - st.last_renew < st.cfg.renew_every) {
    return;
  }
  st.last_renew = now;
  const auto until
    = wall_now(self)
      + std::chrono::duration_cast<caf::timespan>(st.cfg.lease_ttl);
  for (const auto& [key, worker] : st.assigned) {
    self
      ->request(st.cfg.worker.store, st.cfg.worker.request_timeout,
                atom::renew_v, key, worker, until)
      .then(
        [=, key = key, worker = worker](bool held) {
          auto& st = self->state;
          if (held || st.supervisor == nullptr) {
            return;
          }
          auto it = st.assigned.find(key);
          if (it != st.assigned.end() && it->second == worker) {
            // Someone else holds the task now: its worker must stop
            // working on it at once (the supervisor restarts it).
            core::log_line("warn", self->name(), self->id(), "lease_lost",
                           {{"worker", worker}, {"task", key}});
            self->send(st.supervisor, atom::lost_v, worker);
          }
        },
        [](caf::error&) {});
  }
}

} // namespace

} // namespace coordinator_detail

using namespace coordinator_detail;

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            coordinator_config cfg) {
  self->state.cfg = std::move(cfg);
  self->state.selected
    = {self->state.cfg.keys.begin(), self->state.cfg.keys.end()};
  self->state.budget.emplace(self->state.cfg.limits, core::budget_usage{});
  self->state.last_renew = self->clock().now();
  start(self);
  return {
    [=](atom::next, const std::string& worker) -> caf::result<task_assignment> {
      auto rp = self->make_response_promise<task_assignment>();
      self->state.waiting.push_back({worker, rp});
      dispatch(self);
      return rp;
    },
    [=](atom::done, task_release& r) { on_task_done(self, std::move(r)); },
    [=](atom::reserve, const std::string&) -> int64_t {
      auto& st = self->state;
      if (dispatch_stopped(self)) {
        return -1;
      }
      if (is_paused(self)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          st.paused_until - self->clock().now());
        return std::max<int64_t>(1, left.count());
      }
      if (!st.budget->reserve()) {
        halt(self, st.budget->exhausted_reason(), "budget");
        return -1;
      }
      return 0;
    },
    [=](atom::settle, int64_t cost, int64_t tokens) {
      auto& st = self->state;
      st.budget->settle(cost, tokens);
      st.backoffs = 0;
      self->send(st.cfg.worker.store, atom::budget_v, st.cfg.run_id,
                 st.budget->usage());
    },
    [=](atom::release) { self->state.budget->release(); },
    [=](atom::pause, int64_t asked_s) -> int64_t {
      auto& st = self->state;
      auto wait = std::chrono::seconds{
        std::min(asked_s, int64_t{st.cfg.max_requested_pause.count()})};
      if (asked_s < 0) {
        wait = st.cfg.usage_limit_backoff;
        for (int32_t i = 0; i < st.backoffs && wait < st.cfg.max_usage_backoff;
             ++i) {
          wait *= 2;
        }
        wait = std::min(wait, st.cfg.max_usage_backoff);
      }
      ++st.backoffs;
      const auto until = self->clock().now() + wait;
      if (until > st.paused_until) {
        st.paused_until = until;
        progress(self, progress_kind::paused, {}, {},
                 "usage limit: dispatch paused for "
                   + std::to_string(wait.count()) + " s");
        // No tick of its own: every tick re-arms itself, so one here would
        // add a lasting 1 s tick per pause. The periodic tick ends the pause
        // within tick_interval.
      }
      return std::chrono::duration_cast<std::chrono::milliseconds>(wait)
        .count();
    },
    [=](atom::halt, std::string& why) { halt(self, std::move(why)); },
    [=](atom::merge, std::string& key,
        std::string& worktree) -> caf::result<merge_report> {
      auto rp = self->make_response_promise<merge_report>();
      self->state.merges.push_back({std::move(key), std::move(worktree), rp});
      start_merge(self);
      return rp;
    },
    [=](atom::done, int64_t id) { on_merge_done(self, id); },
    [=](atom::interrupt) {
      auto& st = self->state;
      if (st.interrupted) {
        return;
      }
      st.interrupted = true;
      st.job.request_cancel();
      end_run(self);
    },
    [=](atom::wait) -> caf::result<run_summary> {
      if (self->state.recorded) {
        return *self->state.summary;
      }
      auto rp = self->make_response_promise<run_summary>();
      self->state.summary_waiters.push_back(rp);
      return rp;
    },
    [=](atom::control, control_command& cmd) {
      if (cmd.command == "task_retry") {
        retry_task(self, cmd.argument);
      }
    },
    [=](atom::changed, circuit_change& change) {
      if (change.snapshot.level == core::circuit_level::system
          && change.snapshot.state == core::circuit_state::open) {
        halt(self, "system circuit open: too many workers failing",
             "system_circuit");
      }
    },
    [=](atom::lost, const std::string& worker, int32_t remaining) {
      on_worker_lost(self, worker, remaining);
    },
    [=](atom::tick) {
      renew_leases(self);
      dispatch(self);
      check_end(self);
      if (!self->state.summary) {
        self->delayed_send(self, tick_interval, atom::tick_v);
      }
    },
  };
}

} // namespace tdd
