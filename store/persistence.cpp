#include "store/persistence.hpp"

#include "messages/errc.hpp"

#include <iostream>
#include <utility>
#include <vector>

namespace tdd::store {

namespace {

using self_pointer = store_actor::stateful_pointer<persistence_state>;

/// Runs one write inside the current batch. The first write of a burst
/// opens the batch and sends `commit` to the actor itself; that message
/// queues behind the writes already in the mailbox, so one burst becomes
/// one transaction.
template <class Write> void write(self_pointer self, Write&& f) {
  auto& st = self->state;
  auto opened = st.ensure_batch();
  if (!opened) {
    st.record_failure(std::move(opened.error()));
    return;
  }
  if (*opened) {
    self->send(self, atom::commit_v);
  }
  if (auto err = f(*st.db)) {
    st.record_failure(std::move(err));
  }
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
  // TODO(store): use TDD_LOG_WARN once core/log.hpp exists.
  std::cerr << "level=warn actor=" << name << " event=write_failed error=\""
            << describe(err) << "\"\n";
  last_error = std::move(err);
}

store_actor::behavior_type persistence(self_pointer self, std::string db_path) {
  auto db = database::open(db_path, open_mode::read_write);
  if (!db) {
    self->quit(std::move(db.error()));
    return store_actor::behavior_type::make_empty_behavior();
  }
  self->state.db.emplace(std::move(*db));
  return {
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
  };
}

} // namespace tdd::store
