#pragma once

// The gateway (SPEC.md 7, ARCHITECTURE.md "node"): the one actor `run
// --listen` publishes. A node asks it for a challenge (`hello`), answers
// with HMAC-SHA256 of the shared secret (`join`), and only then gets the
// run's handles (coordinator, store, circuit hub, progress). The gateway
// then watches every node it accepted:
//   - a heartbeat every `heartbeat`; a node silent for `lost_after`, or
//     whose connection goes down (it is monitored), is lost: each of its
//     workers is reported to the coordinator (its task goes back to
//     pending, the open attempt `interrupted`) and counts a failure on its
//     worker circuit (reason worker_crashed);
//   - a lost node that speaks again is told so (heartbeat -> false) and
//     joins again under a fresh id;
//   - at the end of the run every node is told to stop and answers once
//     its workers gave their tasks back.
// Every join, refusal and loss is logged; the secret never is.

#include "actors/circuit_common.hpp"
#include "messages/cluster.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace tdd {

struct gateway_config {
  /// The shared secret; "" = none (`--listen` on loopback only).
  std::string secret;
  int64_t run_id = 0;
  std::string target;
  store_actor store;
  circuit_hub_actor hub;
  caf::actor progress; ///< may be null
  wall_anchor clock;
  caf::timespan heartbeat = std::chrono::seconds{5};
  caf::timespan lost_after = std::chrono::seconds{15};
  /// How long a challenge stays valid.
  caf::timespan challenge_ttl = std::chrono::seconds{30};
  /// How long `stop` waits for each node.
  caf::timespan stop_timeout = std::chrono::seconds{60};
  caf::timespan request_timeout = std::chrono::seconds{30};
};

struct gateway_state {
  static inline constexpr const char* name = "gateway";

  struct challenge {
    node_hello hello;
    caf::actor_clock::time_point expires;
  };

  struct member {
    node_hello hello;
    node_actor handle;
    caf::actor_clock::time_point last_beat;
  };

  gateway_config cfg;
  coordinator_actor coordinator;
  std::map<std::string, challenge> challenges; ///< by challenge text
  std::map<std::string, member> nodes;         ///< connected, by node id
  std::set<std::string> used_ids;              ///< every id of this run
  bool stopping = false;
};

gateway_actor::behavior_type
gateway(gateway_actor::stateful_pointer<gateway_state> self,
        gateway_config cfg);

/// A node name as SPEC.md 3 allows it ([A-Za-z0-9_-]+): other characters
/// become '-'; "" becomes "node".
std::string node_name(const std::string& host);

} // namespace tdd
