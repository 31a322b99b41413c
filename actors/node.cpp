#include "actors/node.hpp"

#include "core/log.hpp"
#include "exec/auth.hpp"
#include "messages/errc.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include <filesystem>
#include <utility>

namespace tdd {

namespace {

using self_ptr = node_actor::stateful_pointer<node_state>;

void log(self_ptr self, const char* level, const char* event,
         std::initializer_list<std::pair<std::string_view, std::string>> f) {
  core::log_line(level, self->name(), self->id(), event, f);
}

void join(self_ptr self);

/// Starts the node's workers for the run it joined.
void start(self_ptr self, node_welcome& w) {
  namespace fs = std::filesystem;
  auto& st = self->state;
  st.id = w.node_id;
  st.heartbeat = std::chrono::milliseconds{w.heartbeat_ms};
  const fs::path dir{st.cfg.workdir};
  auto sc = st.cfg.supervision;
  sc.worker = st.cfg.worker;
  auto& wc = sc.worker;
  wc.repo_root = (dir / "repo.git").string();
  wc.logs_dir = (dir / "logs" / std::to_string(w.run_id)).string();
  wc.target = w.target;
  wc.run_id = w.run_id;
  wc.store = w.store;
  wc.hub = w.hub;
  wc.progress = w.progress;
  wc.node = w.node_id;
  wc.remote = st.cfg.remote;
  wc.clock = wall_anchor{caf::timestamp{std::chrono::system_clock::now()},
                         self->clock().now()};
  sc.workers = st.cfg.hello.workers;
  sc.worktrees_dir = (dir / "worktrees").string();
  sc.id_prefix = w.node_id + ".";
  sc.quit_when_idle = true;
  st.supervisor = self->spawn(supervisor, std::move(sc), w.coordinator);
  self->monitor(st.supervisor);
  log(self, "info", "node_joined",
      {{"node", w.node_id},
       {"run", std::to_string(w.run_id)},
       {"workers", std::to_string(st.cfg.hello.workers)},
       {"target", w.target}});
  self->delayed_send(self, st.heartbeat, atom::tick_v);
}

void join(self_ptr self) {
  auto& st = self->state;
  self
    ->request(st.cfg.gateway, st.cfg.request_timeout, atom::hello_v,
              st.cfg.hello)
    .then(
      [=](std::string& challenge) {
        auto& st = self->state;
        node_join j;
        j.challenge = challenge;
        if (!st.cfg.secret.empty()) {
          j.mac = exec::hmac_sha256_hex(
            st.cfg.secret, exec::auth_message(challenge, st.cfg.hello.host));
        }
        j.node = caf::actor_cast<node_actor>(self);
        self
          ->request(st.cfg.gateway, st.cfg.request_timeout, atom::join_v,
                    std::move(j))
          .then([=](node_welcome& w) { start(self, w); },
                // The CLI says why (cli/cmd_worker.cpp).
                [=](caf::error& err) { self->quit(std::move(err)); });
      },
      [=](caf::error& err) { self->quit(std::move(err)); });
}

/// Stops the workers (each gives its task back), then `then`.
template <class F> void stop_workers(self_ptr self, F then) {
  auto& st = self->state;
  if (!st.supervisor) {
    then();
    return;
  }
  self->demonitor(st.supervisor.address());
  self->request(st.supervisor, st.cfg.request_timeout, atom::stop_v)
    .then(
      [=](bool) mutable {
        auto& st = self->state;
        self->send_exit(st.supervisor, caf::exit_reason::user_shutdown);
        st.supervisor = nullptr;
        then();
      },
      [=](caf::error& err) mutable {
        auto& st = self->state;
        log(self, "warn", "stop_timeout", {{"error", describe(err)}});
        // Kills the workers that did not stop (see the supervisor).
        self->send_exit(st.supervisor, caf::exit_reason::user_shutdown);
        st.supervisor = nullptr;
        then();
      });
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  if (st.stopping || st.id.empty()) {
    return;
  }
  self
    ->request(st.cfg.gateway, st.cfg.request_timeout, atom::heartbeat_v, st.id)
    .then(
      [=](bool known) {
        auto& st = self->state;
        if (known || st.stopping) {
          self->delayed_send(self, st.heartbeat, atom::tick_v);
          return;
        }
        log(self, "warn", "declared_lost",
            {{"node", st.id},
             {"then", "stopping its workers and joining again"}});
        st.id.clear();
        stop_workers(self, [=] { join(self); });
      },
      [=](caf::error& err) {
        auto& st = self->state;
        log(self, "warn", "heartbeat_failed", {{"error", describe(err)}});
        self->delayed_send(self, st.heartbeat, atom::tick_v);
      });
}

/// The supervisor is gone: its workers have no more work (normal), or
/// they kept crashing past the restart limit.
void on_workers_done(self_ptr self, const caf::error& reason) {
  auto& st = self->state;
  st.supervisor = nullptr;
  const auto id = st.id;
  auto finish = [=] {
    if (reason && reason != caf::exit_reason::normal) {
      self->quit(reason);
    } else {
      self->quit();
    }
  };
  if (id.empty()) {
    finish();
    return;
  }
  self->request(st.cfg.gateway, std::chrono::seconds{5}, atom::leave_v, id)
    .then([=](bool) { finish(); }, [=](caf::error&) { finish(); });
}

} // namespace

node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               node_config cfg) {
  self->state.cfg = std::move(cfg);
  self->monitor(self->state.cfg.gateway);
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    if (msg.source == st.cfg.gateway.address()) {
      if (st.stopping) {
        return;
      }
      st.stopping = true;
      log(self, "error", "coordinator_lost", {{"error", describe(msg.reason)}});
      stop_workers(self, [=] {
        self->quit(caf::make_error(caf::sec::remote_linking_failed,
                                   "lost the connection to the coordinator"));
      });
      return;
    }
    if (st.supervisor && msg.source == st.supervisor.address()) {
      on_workers_done(self, msg.reason);
    }
  });
  join(self);
  return {
    [=](atom::stop) -> caf::result<bool> {
      auto& st = self->state;
      auto rp = self->make_response_promise<bool>();
      if (st.stopping) {
        st.stop_waiters.push_back(rp);
        return rp;
      }
      st.stopping = true;
      log(self, "info", "node_stopping", {{"node", st.id}});
      stop_workers(self, [=]() mutable {
        rp.deliver(true);
        for (auto& w : self->state.stop_waiters) {
          w.deliver(true);
        }
        // Stopped here (Ctrl-C) rather than by the gateway: leave, so the
        // coordinator does not count the workers as lost.
        on_workers_done(self, caf::error{});
      });
      return rp;
    },
    [=](atom::tick) { on_tick(self); },
  };
}

} // namespace tdd
