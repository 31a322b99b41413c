#include "store/persistence.hpp"

#include "core/log.hpp"
#include "messages/cluster.hpp"
#include "messages/errc.hpp"

#include <caf/system_messages.hpp>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace tdd::store {

namespace {

using self_pointer = store_actor::stateful_pointer<persistence_state>;

/// Makes the next write part of the current batch. The first write of a
/// burst opens the batch and sends `commit` to the actor itself; that
/// message queues behind the writes already in the mailbox, so one burst
/// becomes one transaction.
caf::error join_batch(self_pointer self) {
  auto opened = self->state.ensure_batch();
  if (!opened) {
    return std::move(opened.error());
  }
  if (*opened) {
    self->send(self, atom::commit_v);
  }
  return caf::none;
}

/// Runs one fire-and-forget write inside the current batch.
template <class Write> void write(self_pointer self, Write&& f) {
  auto& st = self->state;
  auto err = join_batch(self);
  if (!err) {
    err = f(*st.db);
  }
  if (err) {
    st.record_failure(std::move(err));
  }
}

/// Runs the write of a request in the current batch and commits the batch
/// before replying, so a reply means the write is on disk (a claim must be
/// before its worker starts). A failed write replies the error and leaves
/// the batch to its `commit`.
template <class T, class Write>
caf::result<T> write_now(self_pointer self, Write&& f) {
  if (auto err = join_batch(self)) {
    return err;
  }
  auto result = f(*self->state.db);
  if (!result) {
    return std::move(result.error());
  }
  if (auto err = self->state.commit_batch()) {
    self->state.record_failure(err);
    return err;
  }
  return T{std::move(*result)};
}

/// The error of `x`, or none: for fire-and-forget writes that return data.
template <class T> caf::error error_of(caf::expected<T> x) {
  return x ? caf::error{} : std::move(x.error());
}

caf::expected<std::set<std::string>>
as_set(caf::expected<std::vector<std::string>> keys) {
  if (!keys) {
    return std::move(keys.error());
  }
  return std::set<std::string>(keys->begin(), keys->end());
}

/// A save replies, so its failure goes to the caller; a conflict undoes
/// only this save (database::save_circuit uses a savepoint in the batch).
caf::result<int64_t> save_circuit(self_pointer self,
                                  const core::circuit_snapshot& x,
                                  const std::vector<core::circuit_event>& ev) {
  if (auto err = join_batch(self)) {
    return err;
  }
  return self->state.db->save_circuit(x, ev);
}

void schedule_poll(self_pointer self) {
  if (self->state.is_polling) {
    return;
  }
  self->state.is_polling = true;
  self->delayed_send(self, control_poll_interval, atom::poll_v);
}

void subscribe(self_pointer self, control_listener_actor listener) {
  auto& listeners = self->state.listeners;
  if (std::find(listeners.begin(), listeners.end(), listener)
      == listeners.end()) {
    self->monitor(listener);
    listeners.emplace_back(std::move(listener));
  }
  schedule_poll(self);
}

void drop_listener(self_pointer self, const caf::actor_addr& who) {
  auto& listeners = self->state.listeners;
  listeners.erase(std::remove_if(listeners.begin(), listeners.end(),
                                 [&](const control_listener_actor& x) {
                                   return x.address() == who;
                                 }),
                  listeners.end());
}

/// Hands every pending control command to every listener, then marks it
/// processed in the current batch. Delivery comes first: a crash in
/// between delivers the command again rather than never.
caf::error deliver_controls(self_pointer self) {
  auto& st = self->state;
  auto pending = st.db->pending_controls();
  if (!pending) {
    return std::move(pending.error());
  }
  if (pending->empty()) {
    return caf::none;
  }
  if (auto err = join_batch(self)) {
    return err;
  }
  for (const auto& command : *pending) {
    for (const auto& listener : st.listeners) {
      self->send(listener, atom::control_v, command);
    }
    if (auto err = st.db->mark_control_processed(command.id, "delivered")) {
      return err;
    }
  }
  return caf::none;
}

/// One poll; the next follows only while someone listens.
void poll(self_pointer self) {
  self->state.is_polling = false;
  if (self->state.listeners.empty()) {
    return;
  }
  if (auto err = deliver_controls(self)) {
    self->state.record_failure(std::move(err));
  }
  schedule_poll(self);
}

caf::result<task_row> find_task(database& db, const std::string& key) {
  auto row = db.find_task(key);
  if (!row) {
    return std::move(row.error());
  }
  if (!*row) {
    return caf::make_error(errc::not_found, "no task " + key);
  }
  return std::move(**row);
}

} // namespace

persistence_state::~persistence_state() {
  if (auto err = commit_batch()) {
    record_failure(std::move(err));
  }
}

caf::expected<bool> persistence_state::ensure_batch() {
  if (batch && batch->is_active()) {
    return false;
  }
  auto txn = db->begin();
  if (!txn) {
    return std::move(txn.error());
  }
  batch.emplace(std::move(*txn));
  return true;
}

caf::error persistence_state::commit_batch() {
  if (!batch) {
    return caf::none;
  }
  auto txn = std::move(*batch);
  batch.reset();
  if (auto err = txn.commit()) {
    return err; // `txn` rolls back what is left of the batch
  }
  ++transactions;
  return caf::none;
}

void persistence_state::record_failure(caf::error err) {
  ++failed_writes;
  core::log_line("warn", name, 0, "write_failed", {{"error", describe(err)}});
  last_error = std::move(err);
}

namespace {

/// Handlers of tasks, circuits and live control.
auto task_handlers(self_pointer self) {
  return std::make_tuple(
    [self](atom::status, const task_status_update& x) {
      write(self, [&](database& db) { return db.set_task_status(x); });
    },
    [self](atom::commit) {
      if (auto err = self->state.commit_batch()) {
        self->state.record_failure(std::move(err));
      }
    },
    [self](atom::flush) -> caf::result<int64_t> {
      if (auto err = self->state.commit_batch()) {
        self->state.record_failure(err);
        return err;
      }
      return self->state.transactions;
    },
    [self](atom::get, atom::tasks) -> caf::result<std::vector<task_row>> {
      return self->state.db->list_tasks({});
    },
    [self](atom::get, atom::task, const std::string& key) {
      return find_task(*self->state.db, key);
    },
    [self](atom::get, atom::count) -> caf::result<task_counts> {
      return self->state.db->count_tasks();
    },
    [self](atom::get,
           atom::graph) -> caf::result<std::vector<core::graph_node>> {
      return self->state.db->task_nodes();
    },
    [self](atom::get, atom::attempts,
           const std::string& key) -> caf::result<std::vector<attempt_row>> {
      return self->state.db->attempts_of(key);
    },
    [self](atom::save, const core::circuit_snapshot& x,
           const std::vector<core::circuit_event>& events) {
      return save_circuit(self, x, events);
    },
    [self](atom::get, atom::circuits, caf::timestamp now)
      -> caf::result<std::vector<core::circuit_snapshot>> {
      return self->state.db->load_circuits(now);
    },
    [self](atom::subscribe, control_listener_actor listener) {
      subscribe(self, std::move(listener));
    },
    [self](atom::poll) { poll(self); });
}

/// Handlers of runs and leases: the coordinator's requests and writes.
auto run_handlers(self_pointer self) {
  using keys = std::set<std::string>;
  return std::make_tuple(
    [self](atom::run, const run_start& x) {
      return write_now<int64_t>(self,
                                [&](database& db) { return db.start_run(x); });
    },
    [self](atom::run, const run_finish& x) {
      write(self, [&](database& db) {
        return db.finish_run(x.run_id, x.outcome, x.reason, x.finished_at);
      });
    },
    [self](atom::claim, const task_claim& x) {
      return write_now<bool>(self, [&](database& db) {
        return db.claim_task(x.key, x.worker_id, x.expires_at,
                             x.expected_version);
      });
    },
    [self](atom::renew, const std::string& key, const std::string& worker,
           caf::timestamp expires_at) {
      return write_now<bool>(self, [&](database& db) {
        return db.renew_lease(key, worker, expires_at);
      });
    },
    [self](atom::reclaim, caf::timestamp now) {
      return write_now<keys>(self, [&](database& db) {
        return as_set(db.reclaim_expired_leases(now));
      });
    },
    [self](atom::reclaim) {
      return write_now<keys>(
        self, [&](database& db) { return as_set(db.reclaim_all_leases()); });
    },
    [self](atom::get, atom::leases) -> caf::result<std::vector<task_lease>> {
      return self->state.db->task_leases();
    },
    [self](atom::release, const task_release& x) {
      write(self, [&](database& db) {
        auto err = db.release_task(x.key, x.worker_id, x.status, x.reason);
        if (err || x.interrupted.empty()) {
          return err;
        }
        return error_of(db.interrupt_task_attempts(x.key, x.interrupted));
      });
    },
    [self](atom::stage, const std::string& key, const std::string& stage,
           const std::string& commit) {
      write(self, [&](database& db) {
        return db.set_current_stage(key, stage, commit);
      });
    });
}

/// Handlers of what workers report (attempts, their state, the budget)
/// and of the notifier's records.
auto work_handlers(self_pointer self) {
  return std::make_tuple(
    [self](atom::attempt, const attempt_start& x) {
      write(self, [&](database& db) { return error_of(db.start_attempt(x)); });
    },
    [self](atom::attempt, const attempt_finish& x) {
      write(self, [&](database& db) { return db.finish_attempt(x); });
    },
    [self](atom::interrupt, int64_t run_id) {
      return write_now<int64_t>(self, [&](database& db) {
        return db.interrupt_open_attempts(run_id, "run_ended");
      });
    },
    [self](atom::worker, const worker_registration& x) {
      write(self, [&](database& db) { return db.register_worker(x); });
    },
    [self](atom::worker, const worker_update& x) {
      write(self, [&](database& db) { return db.set_worker_state(x); });
    },
    [self](atom::heartbeat, const std::string& id, caf::timestamp now) {
      write(self, [&](database& db) { return db.heartbeat(id, now); });
    },
    [self](atom::budget, int64_t run_id, const core::budget_limits& x) {
      write(self, [&](database& db) { return db.init_budget(run_id, x); });
    },
    [self](atom::budget, int64_t run_id, const core::budget_usage& x) {
      write(self, [&](database& db) { return db.record_budget(run_id, x); });
    },
    [self](atom::notify, const notification_record& x) {
      write(self, [&](database& db) { return db.record_notification(x); });
    });
}

/// Handlers of the nodes of a multi-host run (the gateway's writes).
auto node_handlers(self_pointer self) {
  return std::make_tuple(
    [self](atom::node, const node_registration& x) {
      write(self, [&](database& db) { return db.register_node(x); });
    },
    [self](atom::node, const std::string& id, const std::string& state,
           caf::timestamp at) {
      write(self,
            [&](database& db) { return db.set_node_state(id, state, at); });
    },
    [self](atom::heartbeat, atom::node, const std::string& id,
           caf::timestamp at) {
      write(self, [&](database& db) { return db.node_heartbeat(id, at); });
    },
    [self](atom::get, atom::nodes) -> caf::result<std::vector<node_row>> {
      return self->state.db->list_nodes();
    });
}

} // namespace

store_actor::behavior_type persistence(self_pointer self, std::string db_path) {
  auto db = database::open(db_path, open_mode::read_write);
  if (!db) {
    self->quit(std::move(db.error()));
    return store_actor::behavior_type::make_empty_behavior();
  }
  self->state.db.emplace(std::move(*db));
  self->set_down_handler(
    [self](caf::down_msg& msg) { drop_listener(self, msg.source); });
  // One interface, its handlers grouped by topic.
  return std::apply(
    [](auto&&... handlers) {
      return store_actor::behavior_type{std::move(handlers)...};
    },
    std::tuple_cat(task_handlers(self), run_handlers(self), work_handlers(self),
                   node_handlers(self)));
}

} // namespace tdd::store
