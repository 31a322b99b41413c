#include "actors/circuit_hub.hpp"

#include "actors/stage_circuit.hpp"
#include "actors/system_circuit.hpp"
#include "actors/worker_circuit.hpp"
#include "messages/errc.hpp"

#include <caf/system_messages.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace tdd {

namespace {

using self_pointer = circuit_hub_actor::stateful_pointer<circuit_hub_state>;
using core::circuit_level;
using snapshots = std::vector<core::circuit_snapshot>;

constexpr const char* valid_forms
  = "valid forms: stage:TASK:STAGE, worker:ID, system, all";

core::circuit_snapshot stored_or_new(const circuit_hub_state& st,
                                     circuit_level level,
                                     const std::string& identifier) {
  auto i = st.known.find(core::display_id(level, identifier));
  if (i != st.known.end()) {
    return i->second;
  }
  return core::new_circuit(level, identifier);
}

/// Dies with the hub, tells the hub when it stops, and publishes to it.
template <class Handle> Handle adopt_child(self_pointer self, Handle child) {
  self->link_to(child);
  self->monitor(child);
  self->send(child, atom::subscribe_v, circuit_listener_actor{self});
  return child;
}

stage_circuit_actor stage_for(self_pointer self, const std::string& id) {
  auto& st = self->state;
  const auto now = self->clock().now();
  if (auto i = st.stages.find(id); i != st.stages.end()) {
    i->second.handed_out = now;
    return i->second.handle;
  }
  auto row = stored_or_new(st, circuit_level::stage, id);
  st.known.emplace(core::display_id(circuit_level::stage, id), row);
  auto child = adopt_child(
    self,
    self->spawn(stage_circuit, st.env, st.config.settings.stage, std::move(row),
                st.config.idle_timeout, circuit_hub_actor{self}));
  st.stages.emplace(id, circuit_hub_state::stage_entry{child, now});
  return child;
}

circuit_hub_state::worker_entry& worker_for(self_pointer self,
                                            const std::string& id) {
  auto& st = self->state;
  if (auto i = st.workers.find(id); i != st.workers.end()) {
    return i->second;
  }
  auto row = stored_or_new(st, circuit_level::worker, id);
  st.known.emplace(core::display_id(circuit_level::worker, id), row);
  auto child
    = adopt_child(self, self->spawn(worker_circuit, st.env,
                                    st.config.settings.worker, std::move(row)));
  return st.workers.emplace(id, circuit_hub_state::worker_entry{child, false})
    .first->second;
}

/// Sends the system circuit the registered and open worker counts when
/// they changed.
void feed_system(self_pointer self) {
  auto& st = self->state;
  int32_t registered = 0;
  int32_t open = 0;
  for (const auto& [id, entry] : st.workers) {
    if (!entry.registered) {
      continue;
    }
    ++registered;
    auto i = st.known.find(core::display_id(circuit_level::worker, id));
    if (i != st.known.end() && i->second.state == core::circuit_state::open) {
      ++open;
    }
  }
  if (registered == st.sent_registered && open == st.sent_open) {
    return;
  }
  st.sent_registered = registered;
  st.sent_open = open;
  self->send(st.system, atom::workers_v, registered, open);
}

void note_change(self_pointer self, const core::circuit_snapshot& x) {
  self->state.known[core::display_id(x.level, x.identifier)] = x;
  if (x.level == circuit_level::worker) {
    feed_system(self);
  }
}

/// A child stopped: forget its handle (its last snapshot stays known).
void forget(self_pointer self, const caf::actor_addr& who) {
  auto& st = self->state;
  const auto is_it
    = [&](const auto& entry) { return entry.second.handle.address() == who; };
  if (auto i = std::find_if(st.stages.begin(), st.stages.end(), is_it);
      i != st.stages.end()) {
    st.stages.erase(i);
    return;
  }
  if (auto i = std::find_if(st.workers.begin(), st.workers.end(), is_it);
      i != st.workers.end()) {
    st.workers.erase(i);
    feed_system(self);
  }
}

/// An idle stage circuit may stop unless it was handed out within the idle
/// timeout (its new holder is about to use it). If so, it is forgotten now,
/// so the next request spawns a fresh one.
bool may_stop(self_pointer self) {
  auto& st = self->state;
  const auto& sender = self->current_sender();
  auto i = std::find_if(st.stages.begin(), st.stages.end(), [&](auto& x) {
    return caf::actor_cast<caf::strong_actor_ptr>(x.second.handle) == sender;
  });
  if (i == st.stages.end()) {
    return true;
  }
  if (self->clock().now() - i->second.handed_out < st.config.idle_timeout) {
    return false;
  }
  st.stages.erase(i);
  return true;
}

// -- reset
// ---------------------------------------------------------------------

using reset_done = std::function<void(caf::expected<snapshots>)>;

/// The replies of one reset fanned out to several circuits.
struct reset_batch {
  snapshots results;
  size_t pending = 0;
  bool failed = false;
  reset_done done;
};

template <class Handle>
void reset_one(self_pointer self, const Handle& circuit,
               const std::shared_ptr<reset_batch>& batch, size_t index) {
  self->request(circuit, self->state.env.request_timeout, atom::reset_v)
    .then(
      [batch, index](core::circuit_snapshot& x) {
        batch->results[index] = std::move(x);
        if (--batch->pending == 0 && !batch->failed) {
          batch->done(std::move(batch->results));
        }
      },
      [batch](caf::error& err) {
        if (!batch->failed) {
          batch->failed = true;
          batch->done(std::move(err));
        }
      });
}

/// `all` (every circuit not clean) or one parsed display id.
caf::expected<std::vector<core::circuit_ref>>
resolve(const circuit_hub_state& st, const std::string& text) {
  std::vector<core::circuit_ref> out;
  if (text == "all") {
    for (const auto& [id, x] : st.known) {
      if (!is_clean(x)) {
        out.push_back({x.level, x.identifier});
      }
    }
    return out;
  }
  auto ref = core::parse_circuit_ref(text);
  if (!ref) {
    return caf::make_error(errc::invalid_argument, "unknown circuit id \""
                                                     + text + "\"; "
                                                     + valid_forms);
  }
  out.push_back(std::move(*ref));
  return out;
}

void reset_circuits(self_pointer self, const std::string& text,
                    reset_done done) {
  auto refs = resolve(self->state, text);
  if (!refs) {
    done(std::move(refs.error()));
    return;
  }
  if (refs->empty()) {
    done(snapshots{});
    return;
  }
  auto batch = std::make_shared<reset_batch>();
  batch->results.resize(refs->size());
  batch->pending = refs->size();
  batch->done = std::move(done);
  for (size_t i = 0; i < refs->size(); ++i) {
    const auto& ref = (*refs)[i];
    if (ref.level == circuit_level::stage) {
      reset_one(self, stage_for(self, ref.identifier), batch, i);
    } else if (ref.level == circuit_level::worker) {
      reset_one(self, worker_for(self, ref.identifier).handle, batch, i);
    } else {
      reset_one(self, self->state.system, batch, i);
    }
  }
}

void apply_control(self_pointer self, const control_command& cmd) {
  if (cmd.command != "circuit_reset") {
    return; // task_retry and the like are the coordinator's
  }
  reset_circuits(
    self, cmd.argument, [self, cmd](caf::expected<snapshots> result) {
      if (!result) {
        log_line("warn", self->name(), self->id(), "control_failed",
                 {{"command", cmd.command},
                  {"argument", cmd.argument},
                  {"error", describe(result.error())}});
        return;
      }
      log_line("info", self->name(), self->id(), "control_applied",
               {{"command", cmd.command},
                {"argument", cmd.argument},
                {"circuits", std::to_string(result->size())}});
    });
}

// -- start
// ---------------------------------------------------------------------

void on_loaded(self_pointer self, snapshots& rows) {
  auto& st = self->state;
  for (auto& row : rows) {
    auto id = core::display_id(row.level, row.identifier);
    st.known.emplace(std::move(id), std::move(row));
  }
  auto row = stored_or_new(st, circuit_level::system, "system");
  st.known.emplace("system", row);
  st.system
    = adopt_child(self, self->spawn(system_circuit, st.env,
                                    st.config.settings.system, std::move(row)));
  self->send(st.config.store, atom::subscribe_v, control_listener_actor{self});
}

/// `await`: requests wait until the persisted circuits are known.
void load(self_pointer self) {
  auto& st = self->state;
  self
    ->request(st.config.store, st.env.request_timeout, atom::get_v,
              atom::circuits_v, caf::timestamp{wall_now(self)})
    .await([self](snapshots& rows) { on_loaded(self, rows); },
           [self](caf::error& err) {
             log_line("error", self->name(), self->id(), "load_failed",
                      {{"error", describe(err)}});
             self->quit(std::move(err));
           });
}

caf::result<stage_circuit_actor> stage_request(self_pointer self,
                                               const std::string& task,
                                               const std::string& stage) {
  const auto text = "stage:" + task + ":" + stage;
  auto ref = core::parse_circuit_ref(text);
  if (!ref || ref->level != circuit_level::stage) {
    return caf::make_error(errc::invalid_argument,
                           "not a stage circuit: \"" + text + "\"");
  }
  return stage_for(self, ref->identifier);
}

caf::result<worker_circuit_actor> register_worker(self_pointer self,
                                                  const std::string& id) {
  auto ref = core::parse_circuit_ref("worker:" + id);
  if (!ref) {
    return caf::make_error(errc::invalid_argument,
                           "not a worker id: \"" + id + "\"");
  }
  auto& entry = worker_for(self, id);
  entry.registered = true;
  feed_system(self);
  return entry.handle;
}

/// Replies once every circuit named has answered.
caf::result<snapshots> reset_request(self_pointer self, const std::string& id) {
  auto promise = self->make_response_promise<snapshots>();
  reset_circuits(self, id, [promise](caf::expected<snapshots> x) mutable {
    if (x) {
      promise.deliver(std::move(*x));
      return;
    }
    promise.deliver(std::move(x.error()));
  });
  return promise;
}

snapshots known_circuits(const circuit_hub_state& st) {
  snapshots out;
  out.reserve(st.known.size());
  for (const auto& [id, x] : st.known) {
    out.push_back(x);
  }
  return out;
}

} // namespace

circuit_hub_actor::behavior_type circuit_hub(self_pointer self,
                                             circuit_hub_config config) {
  auto& st = self->state;
  st.env = circuit_env{config.store,
                       wall_anchor{config.wall_start, self->clock().now()},
                       config.request_timeout};
  st.config = std::move(config);
  self->set_down_handler(
    [self](caf::down_msg& msg) { forget(self, msg.source); });
  load(self);
  return {
    [self](atom::stage, const std::string& task, const std::string& stage) {
      return stage_request(self, task, stage);
    },
    [self](atom::worker, const std::string& id) {
      return register_worker(self, id);
    },
    [self](atom::system) { return self->state.system; },
    [self](atom::get, atom::circuits) { return known_circuits(self->state); },
    [self](atom::reset, const std::string& id) {
      return reset_request(self, id);
    },
    [self](atom::control, const control_command& cmd) {
      apply_control(self, cmd);
    },
    [self](atom::changed, const circuit_change& x) {
      note_change(self, x.snapshot);
      // Changes without events are snapshots (at subscription, after a
      // reload): nothing happened that a listener has to hear about.
      if (const auto& listener = self->state.config.listener;
          listener && !x.events.empty()) {
        self->send(listener, atom::changed_v, x);
      }
    },
    [self](atom::idle) { return may_stop(self); },
  };
}

} // namespace tdd
