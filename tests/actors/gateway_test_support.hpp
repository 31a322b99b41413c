#pragma once

// Stand-ins for the gateway tests (tests/actors/gateway_test.cpp): a store,
// circuit hub, worker circuits, coordinator, progress view and node actors
// that record what reaches them, and the fixture that wires them to a
// gateway on the test coordinator (virtual time).

#include "actor_fixture.hpp"
#include "actors/gateway.hpp"
#include "core/stage_rules.hpp"
#include "exec/auth.hpp"
#include "messages/all.hpp"
#include "store/circuit_samples.hpp"

#include <caf/actor_cast.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace tdd::test::gateway_support {

using namespace std::chrono_literals;

inline const std::string secret = "correct horse battery staple";

struct state_change {
  std::string id;
  std::string state;
  caf::timestamp at;
};

struct circuit_failure {
  std::string worker;
  core::failure_kind kind;
  std::string reason;
};

/// Everything the stand-ins received, oldest first.
struct recorded {
  std::vector<node_registration> registrations;
  std::vector<state_change> states;
  std::vector<std::pair<std::string, caf::timestamp>> heartbeats;
  std::vector<std::pair<std::string, int32_t>> losses;
  std::vector<std::string> circuit_requests;
  std::vector<circuit_failure> failures;
  std::vector<progress_event> progress;
  /// How many `stop` requests each node stand-in got, by label.
  std::map<std::string, int> stops;
  /// The replies a silent node never delivers (kept so they stay pending).
  std::vector<caf::response_promise> unanswered;
};

using record_ptr = std::shared_ptr<recorded>;

inline caf::behavior fake_store(caf::event_based_actor*, record_ptr rec) {
  return {
    [=](atom::node, node_registration& r) {
      rec->registrations.push_back(std::move(r));
    },
    [=](atom::node, std::string& id, std::string& state, caf::timestamp at) {
      rec->states.push_back(state_change{std::move(id), std::move(state), at});
    },
    [=](atom::heartbeat, atom::node, std::string& id, caf::timestamp at) {
      rec->heartbeats.emplace_back(std::move(id), at);
    },
  };
}

inline caf::behavior fake_circuit(caf::event_based_actor*, std::string worker,
                                  record_ptr rec) {
  return {
    [=](atom::failure, core::failure_kind kind, std::string& reason) {
      rec->failures.push_back(circuit_failure{worker, kind, std::move(reason)});
    },
  };
}

/// Hands out one circuit per worker id, linked to the hub so that they
/// stop with it.
inline caf::behavior fake_hub(caf::event_based_actor* self, record_ptr rec) {
  auto circuits = std::make_shared<std::map<std::string, caf::actor>>();
  return {
    [=](atom::worker, const std::string& id) -> circuit_actor {
      rec->circuit_requests.push_back(id);
      auto& c = (*circuits)[id];
      if (!c) {
        c = self->spawn<caf::linked>(fake_circuit, id, rec);
      }
      return caf::actor_cast<circuit_actor>(c);
    },
  };
}

inline caf::behavior fake_coordinator(caf::event_based_actor*, record_ptr rec) {
  return {
    [=](atom::lost, std::string& id, int32_t remaining) {
      rec->losses.emplace_back(std::move(id), remaining);
    },
  };
}

inline caf::behavior fake_progress(caf::event_based_actor*, record_ptr rec) {
  return {
    [=](atom::progress, progress_event& e) {
      rec->progress.push_back(std::move(e));
    },
  };
}

/// A node: answers `stop` with true, or (answers = false) never.
inline caf::behavior fake_node(caf::event_based_actor* self, std::string label,
                               bool answers, record_ptr rec) {
  return {
    [=](atom::stop) -> caf::result<bool> {
      ++rec->stops[label];
      if (answers) {
        return true;
      }
      auto rp = self->make_response_promise();
      rec->unanswered.push_back(rp);
      return caf::delegated<bool>{};
    },
    [](atom::tick) {},
  };
}

/// "a b c": readable in a failed CHECK, unlike a vector.
inline std::string text(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += (out.empty() ? "" : " ") + x;
  }
  return out;
}

/// "a:-1 b:-1".
inline std::string
text(const std::vector<std::pair<std::string, int32_t>>& xs) {
  std::vector<std::string> parts;
  for (const auto& [id, n] : xs) {
    parts.push_back(id + ":" + std::to_string(n));
  }
  return text(parts);
}

inline bool is_lower_hex(const std::string& x) {
  for (char c : x) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

template <class Handle> inline caf::actor_addr addr(const Handle& x) {
  return caf::actor_cast<caf::actor_addr>(x);
}

struct fixture : test::actor_fixture {
  record_ptr rec = std::make_shared<recorded>();
  caf::actor store_fake;
  caf::actor hub_fake;
  caf::actor coordinator_fake;
  caf::actor progress_fake;
  gateway_config config;
  gateway_actor aut;

  fixture() {
    store_fake = spawn(fake_store, rec);
    hub_fake = spawn(fake_hub, rec);
    coordinator_fake = spawn(fake_coordinator, rec);
    progress_fake = spawn(fake_progress, rec);
    config.secret = secret;
    config.run_id = 42;
    config.target = "main";
    config.store = caf::actor_cast<store_actor>(store_fake);
    config.hub = caf::actor_cast<circuit_hub_actor>(hub_fake);
    config.clock = wall_anchor{base_time, sys.clock().now()};
    config.heartbeat = 5s;
    config.lost_after = 15s;
    config.challenge_ttl = 30s;
    config.stop_timeout = 10s;
    config.request_timeout = 30s;
  }

  ~fixture() {
    // The silent nodes' replies go before the actors stop.
    rec->unanswered.clear();
  }

  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  /// Spawns the gateway with `config` and, unless told otherwise, tells
  /// it the run is on.
  void start(bool run = true) {
    aut = spawn(gateway, config);
    if (run) {
      self->send(aut, atom::run_v, coordinator_fake);
      sched.run();
    }
  }

  node_actor node(const std::string& label, bool answers = true) {
    return caf::actor_cast<node_actor>(spawn(fake_node, label, answers, rec));
  }

  std::string hello(const std::string& host, int32_t workers = 2) {
    return ask<std::string>(aut, atom::hello_v,
                            node_hello{host, workers, "0.9.0"});
  }

  static std::string mac(const std::string& challenge,
                         const std::string& host) {
    return exec::hmac_sha256_hex(secret, exec::auth_message(challenge, host));
  }

  caf::expected<node_welcome> answer(const std::string& challenge,
                                     const std::string& mac,
                                     const node_actor& n) {
    return try_ask<node_welcome>(aut, atom::join_v,
                                 node_join{challenge, mac, n});
  }

  /// hello + join with the right MAC.
  caf::expected<node_welcome> join(const std::string& host, const node_actor& n,
                                   int32_t workers = 2) {
    const auto c = hello(host, workers);
    return answer(c, mac(c, host), n);
  }

  /// Joins and fails the test on a refusal; returns the node id.
  std::string joined(const std::string& host, const node_actor& n,
                     int32_t workers = 2) {
    auto w = join(host, n, workers);
    REQUIRE_MESSAGE(w, describe(w.error()));
    return w->node_id;
  }

  bool heartbeat(const std::string& id) {
    return ask<bool>(aut, atom::heartbeat_v, id);
  }

  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }

  /// Advances one second at a time, so that every tick runs on time.
  void advance_by_ticks(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      advance(1s);
    }
  }

  std::vector<std::string> states_of(const std::string& id) const {
    std::vector<std::string> out;
    for (const auto& x : rec->states) {
      if (x.id == id) {
        out.push_back(x.state);
      }
    }
    return out;
  }

  /// Nothing was recorded about any node.
  void check_nothing_recorded() const {
    CHECK(rec->registrations.empty());
    CHECK(rec->states.empty());
    CHECK(rec->heartbeats.empty());
    CHECK(rec->losses.empty());
    CHECK(rec->failures.empty());
  }

  /// Node `id` with `workers` workers was lost: its workers reached the
  /// coordinator and their circuits, each once.
  void check_lost_workers(const std::string& id, int32_t workers) const {
    std::vector<std::pair<std::string, int32_t>> losses;
    std::vector<std::string> crashed;
    for (int32_t n = 1; n <= workers; ++n) {
      losses.emplace_back(id + ".worker_" + std::to_string(n), -1);
      crashed.push_back(id + ".worker_" + std::to_string(n));
    }
    CHECK(text(rec->losses) == text(losses));
    CHECK(text(rec->circuit_requests) == text(crashed));
    // The circuits are separate actors: their failures come in any order.
    std::vector<std::string> failed;
    for (const auto& f : rec->failures) {
      failed.push_back(f.worker);
      CHECK(f.kind == core::failure_kind::worker);
      CHECK(f.reason == "worker_crashed");
    }
    std::sort(failed.begin(), failed.end());
    CHECK(text(failed) == text(crashed));
  }
};

} // namespace tdd::test::gateway_support
