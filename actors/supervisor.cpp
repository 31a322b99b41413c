#include "actors/supervisor.hpp"

#include "core/log.hpp"
#include "core/stage_rules.hpp"
#include "messages/circuit.hpp"
#include "messages/errc.hpp"

#include <caf/exit_reason.hpp>
#include <caf/system_messages.hpp>

#include <algorithm>
#include <filesystem>
#include <utility>

namespace tdd {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

void log(self_ptr self, const char* level, const char* event,
         std::initializer_list<std::pair<std::string_view, std::string>> f) {
  core::log_line(level, self->name(), self->id(), event, f);
}

void spawn_worker(self_ptr self, const std::string& id) {
  auto& st = self->state;
  auto wc = st.cfg.worker;
  wc.id = id;
  wc.worktree = (std::filesystem::path{st.cfg.worktrees_dir} / id).string();
  auto w = st.cfg.spawn ? st.cfg.spawn(self->home_system(), wc, st.coordinator)
                        : self->home_system().spawn(worker, wc, st.coordinator);
  self->monitor(w);
  st.ids[w.address()] = id;
  st.alive[id] = std::move(w);
}

int32_t remaining(self_ptr self) {
  auto& st = self->state;
  return static_cast<int32_t>(st.alive.size() + st.restarting.size());
}

void answer_stop(self_ptr self) {
  auto& st = self->state;
  if (!st.stopping || !st.alive.empty()) {
    return;
  }
  for (auto& p : st.stop_waiters) {
    p.deliver(true);
  }
  st.stop_waiters.clear();
}

/// Whether the node may restart one more worker now; records the restart.
/// Returns the backoff, or nullopt once the limit is hit.
std::optional<caf::timespan> take_restart(self_ptr self) {
  auto& st = self->state;
  if (st.gave_up) {
    return std::nullopt;
  }
  const auto now = self->clock().now();
  while (!st.restarts.empty()
         && now - st.restarts.front() >= st.cfg.restart_window) {
    st.restarts.pop_front();
  }
  if (static_cast<int32_t>(st.restarts.size()) >= st.cfg.max_restarts) {
    st.gave_up = true;
    return std::nullopt;
  }
  auto backoff = st.cfg.restart_backoff;
  for (size_t i = 0; i < st.restarts.size() && backoff < st.cfg.max_backoff;
       ++i) {
    backoff *= 2;
  }
  st.restarts.push_back(now);
  return std::min(backoff, st.cfg.max_backoff);
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.ids.find(msg.source);
  if (it == st.ids.end()) {
    return;
  }
  const auto id = it->second;
  st.ids.erase(it);
  st.alive.erase(id);
  const bool crashed = msg.reason && msg.reason != caf::exit_reason::normal;
  if (crashed) {
    log(self, "error", "worker_down",
        {{"worker", id}, {"reason", describe(msg.reason)}});
    count_worker_crash(self, st.cfg.worker.hub, st.cfg.worker.request_timeout,
                       id);
    if (!st.stopping) {
      if (auto backoff = take_restart(self)) {
        st.restarting.insert(id);
        log(self, "info", "worker_restart_scheduled",
            {{"worker", id},
             {"in_ms",
              std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(*backoff)
                  .count())}});
        self->delayed_send(self, *backoff, atom::restart_v, id);
      } else {
        log(self, "error", "restart_limit",
            {{"worker", id},
             {"limit", std::to_string(st.cfg.max_restarts) + " restarts in "
                         + std::to_string(
                           std::chrono::duration_cast<std::chrono::seconds>(
                             st.cfg.restart_window)
                             .count())
                         + " s"}});
      }
    }
  }
  // The coordinator gives the worker's task back (if it had one) and knows
  // whether any worker is left.
  self->send(st.coordinator, atom::lost_v, id, remaining(self));
  answer_stop(self);
  if (st.cfg.quit_when_idle && !st.stopping && remaining(self) == 0) {
    if (st.gave_up) {
      self->quit(caf::make_error(
        caf::sec::runtime_error,
        "every worker stopped: a worker that crashes is restarted, but at "
        "most "
          + std::to_string(st.cfg.max_restarts) + " times a minute"));
    } else {
      self->quit();
    }
  }
}

} // namespace

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           supervisor_config cfg, coordinator_actor coordinator) {
  self->state.cfg = std::move(cfg);
  self->state.coordinator = std::move(coordinator);
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::normal) {
      return;
    }
    for (const auto& [id, w] : self->state.alive) {
      self->send_exit(w, msg.reason);
    }
    self->quit(msg.reason);
  });
  for (int32_t i = 1; i <= self->state.cfg.workers; ++i) {
    spawn_worker(self,
                 self->state.cfg.id_prefix + "worker_" + std::to_string(i));
  }
  return {
    [=](atom::stop) -> caf::result<bool> {
      auto& st = self->state;
      st.stopping = true;
      st.restarting.clear();
      if (st.alive.empty()) {
        return true;
      }
      for (const auto& [id, w] : st.alive) {
        self->send(w, atom::stop_v);
      }
      auto rp = self->make_response_promise<bool>();
      st.stop_waiters.push_back(rp);
      return rp;
    },
    [=](atom::lost, const std::string& id) {
      auto& st = self->state;
      if (auto it = st.alive.find(id); it != st.alive.end()) {
        log(self, "warn", "lease_lost", {{"worker", id}});
        self->send_exit(
          it->second,
          caf::make_error(errc::conflict, "worker " + id + " lost its lease"));
      }
    },
    [=](atom::restart, const std::string& id) {
      auto& st = self->state;
      if (st.restarting.erase(id) == 0 || st.stopping) {
        return; // stopped meanwhile
      }
      log(self, "info", "worker_restarted", {{"worker", id}});
      spawn_worker(self, id);
    },
  };
}

} // namespace tdd
