#include "actors/gateway.hpp"

#include "core/log.hpp"
#include "core/stage_rules.hpp"
#include "exec/auth.hpp"
#include "messages/circuit.hpp"
#include "messages/errc.hpp"
#include "messages/progress.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include <utility>
#include <vector>

namespace tdd {

namespace {

using self_ptr = gateway_actor::stateful_pointer<gateway_state>;

constexpr auto tick_interval = std::chrono::seconds{1};

void log(self_ptr self, const char* level, const char* event,
         std::initializer_list<std::pair<std::string_view, std::string>> f) {
  core::log_line(level, self->name(), self->id(), event, f);
}

caf::timestamp wall_now(self_ptr self) {
  return self->state.cfg.clock.wall_at(self->clock().now());
}

/// Tells the coordinator's progress view about a node: outcome joined,
/// lost or left; detail says what.
void progress(self_ptr self, const std::string& id, const char* outcome,
              std::string detail) {
  auto& st = self->state;
  if (!st.cfg.progress) {
    return;
  }
  progress_event e;
  e.kind = progress_kind::node;
  e.at = wall_now(self);
  e.worker = id;
  e.outcome = outcome;
  e.detail = std::move(detail);
  caf::anon_send(st.cfg.progress, atom::progress_v, std::move(e));
}

std::string worker_id(const std::string& node, int32_t n) {
  return node + ".worker_" + std::to_string(n);
}

/// A fresh id for a node named `host`: the name itself the first time in
/// this run, then name-2, name-3, ...
std::string fresh_id(self_ptr self, const std::string& host) {
  auto& st = self->state;
  const auto base = node_name(host);
  auto id = base;
  for (int n = 2; st.used_ids.count(id) != 0; ++n) {
    id = base + "-" + std::to_string(n);
  }
  st.used_ids.insert(id);
  return id;
}

/// Ends a node's membership: `left` (it stopped on its own or was
/// stopped) or `lost` (silent, or its connection dropped). A lost node's
/// workers are lost with their tasks, and count as failed. `id` is a copy:
/// callers may pass the key of the entry this erases.
void drop(self_ptr self, std::string id, const char* state,
          const std::string& why) {
  auto& st = self->state;
  auto it = st.nodes.find(id);
  if (it == st.nodes.end()) {
    return;
  }
  const auto workers = it->second.hello.workers;
  self->demonitor(it->second.handle.address());
  st.nodes.erase(it);
  const bool lost = std::string_view{state} == "lost";
  log(self, lost ? "warn" : "info", lost ? "node_lost" : "node_left",
      {{"node", id}, {"why", why}});
  self->send(st.cfg.store, atom::node_v, id, std::string{state},
             wall_now(self));
  progress(self, id, state, why);
  if (!lost) {
    return;
  }
  for (int32_t n = 1; n <= workers; ++n) {
    const auto wid = worker_id(id, n);
    if (st.coordinator) {
      // -1: not a local worker; the run goes on with the others.
      self->send(st.coordinator, atom::lost_v, wid, int32_t{-1});
    }
    count_worker_crash(self, st.cfg.hub, st.cfg.request_timeout, wid);
  }
}

caf::result<node_welcome> on_join(self_ptr self, node_join& j) {
  auto& st = self->state;
  auto it = st.challenges.find(j.challenge);
  if (it == st.challenges.end() || it->second.expires < self->clock().now()) {
    if (it != st.challenges.end()) {
      st.challenges.erase(it);
    }
    log(self, "warn", "node_refused",
        {{"why", "unknown or expired challenge"}});
    return caf::make_error(errc::unauthorized,
                           "the coordinator refused this node: its challenge "
                           "is unknown or expired; try again");
  }
  auto hello = std::move(it->second.hello);
  st.challenges.erase(it); // one answer per challenge
  if (!st.cfg.secret.empty()) {
    const auto expected = exec::hmac_sha256_hex(
      st.cfg.secret, exec::auth_message(j.challenge, hello.host));
    if (!exec::equal_constant_time(expected, j.mac)) {
      log(self, "warn", "node_refused",
          {{"host", hello.host},
           {"why", j.mac.empty() ? "no secret" : "wrong secret"}});
      return caf::make_error(
        errc::unauthorized,
        "the coordinator refused this node: "
          + std::string{j.mac.empty()
                          ? "it needs the shared secret (--secret-file)"
                          : "the secret does not match the coordinator's "
                            "(--secret-file)"});
    }
  }
  if (!st.coordinator || st.stopping) {
    return caf::make_error(errc::conflict,
                           "the run is not accepting nodes: it is ending");
  }
  const auto id = fresh_id(self, hello.host);
  const auto now = self->clock().now();
  self->monitor(j.node);
  st.nodes[id] = gateway_state::member{hello, j.node, now};
  node_registration reg;
  reg.id = id;
  reg.host = hello.host;
  if (const auto& sender = self->current_sender()) {
    reg.address = to_string(sender->node());
  }
  reg.workers = hello.workers;
  reg.at = wall_now(self);
  self->send(st.cfg.store, atom::node_v, std::move(reg));
  log(self, "info", "node_joined",
      {{"node", id},
       {"host", hello.host},
       {"workers", std::to_string(hello.workers)},
       {"version", hello.version}});
  progress(self, id, "joined",
           hello.host + ", " + std::to_string(hello.workers) + " workers");
  node_welcome w;
  w.node_id = id;
  w.run_id = st.cfg.run_id;
  w.target = st.cfg.target;
  w.coordinator = st.coordinator;
  w.store = st.cfg.store;
  w.hub = st.cfg.hub;
  w.progress = st.cfg.progress;
  w.heartbeat_ms
    = std::chrono::duration_cast<std::chrono::milliseconds>(st.cfg.heartbeat)
        .count();
  return w;
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  const auto now = self->clock().now();
  for (auto it = st.challenges.begin(); it != st.challenges.end();) {
    it = it->second.expires < now ? st.challenges.erase(it) : std::next(it);
  }
  std::vector<std::string> silent;
  for (const auto& [id, m] : st.nodes) {
    if (now - m.last_beat >= st.cfg.lost_after) {
      silent.push_back(id);
    }
  }
  const auto secs
    = std::chrono::duration_cast<std::chrono::seconds>(st.cfg.lost_after);
  for (const auto& id : silent) {
    drop(self, id, "lost",
         "no heartbeat for " + std::to_string(secs.count()) + " s");
  }
  self->delayed_send(self, tick_interval, atom::tick_v);
}

caf::result<bool> on_stop(self_ptr self) {
  auto& st = self->state;
  st.stopping = true;
  if (st.nodes.empty()) {
    return true;
  }
  auto rp = self->make_response_promise<bool>();
  auto left = std::make_shared<size_t>(st.nodes.size());
  for (const auto& [id, m] : st.nodes) {
    auto done = [=, id = id](const char* state, std::string why) mutable {
      drop(self, id, state, why);
      if (--*left == 0) {
        rp.deliver(true);
      }
    };
    self->request(m.handle, st.cfg.stop_timeout, atom::stop_v)
      .then([=](bool) mutable { done("left", "the run ended"); },
            [=](caf::error& err) mutable {
              done("lost", "did not stop: " + describe(err));
            });
  }
  return rp;
}

} // namespace

std::string node_name(const std::string& host) {
  std::string out;
  for (char c : host) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                    || (c >= '0' && c <= '9') || c == '_' || c == '-';
    out += ok ? c : '-';
  }
  return out.empty() ? std::string{"node"} : out;
}

gateway_actor::behavior_type
gateway(gateway_actor::stateful_pointer<gateway_state> self,
        gateway_config cfg) {
  self->state.cfg = std::move(cfg);
  self->set_down_handler([=](caf::down_msg& msg) {
    for (const auto& [id, m] : self->state.nodes) {
      if (m.handle.address() == msg.source) {
        drop(self, id, "lost", "connection lost: " + describe(msg.reason));
        return;
      }
    }
  });
  self->delayed_send(self, tick_interval, atom::tick_v);
  return {
    [=](atom::hello, node_hello& hello) -> std::string {
      auto& st = self->state;
      auto challenge = exec::random_challenge();
      st.challenges[challenge] = gateway_state::challenge{
        std::move(hello), self->clock().now() + st.cfg.challenge_ttl};
      return challenge;
    },
    [=](atom::join, node_join& j) -> caf::result<node_welcome> {
      return on_join(self, j);
    },
    [=](atom::heartbeat, const std::string& id) -> bool {
      auto& st = self->state;
      auto it = st.nodes.find(id);
      if (it == st.nodes.end()) {
        return false;
      }
      it->second.last_beat = self->clock().now();
      self->send(st.cfg.store, atom::heartbeat_v, atom::node_v, id,
                 wall_now(self));
      return true;
    },
    [=](atom::leave, const std::string& id) -> bool {
      drop(self, id, "left", "its workers stopped");
      return true;
    },
    [=](atom::run, const caf::actor& coordinator) {
      self->state.coordinator = caf::actor_cast<coordinator_actor>(coordinator);
    },
    [=](atom::stop) -> caf::result<bool> { return on_stop(self); },
    [=](atom::tick) { on_tick(self); },
  };
}

} // namespace tdd
