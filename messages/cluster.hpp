#pragma once

// Multi-host messages (SPEC.md 7): how a node joins a run through the
// coordinator's gateway (actors/gateway.hpp), stays in it, and how the
// store records nodes. Plain structs with `inspect`, so they cross the
// network unchanged.
//
// Joining is two requests: `hello` gets a fresh challenge; `join` answers
// it with HMAC-SHA256(secret, exec::auth_message(challenge, host)). Only a
// correct answer is given the run's handles (node_welcome); a wrong one
// gets errc::unauthorized and nothing else.

#include "messages/circuit_actors.hpp"
#include "messages/run_actors.hpp"
#include "messages/store_actor.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/timestamp.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tdd {

/// A node on a remote host (actors/node.hpp). The gateway stops it when
/// the run ends; it answers once its workers gave their tasks back.
using node_actor = caf::typed_actor<caf::replies_to<atom::stop>::with<bool>,
                                    /// Internal: send the next heartbeat.
                                    caf::reacts_to<atom::tick>>;

/// What a node says about itself before it proves the secret.
struct node_hello {
  std::string host;    ///< its host name (gethostname)
  int32_t workers = 0; ///< how many workers it will run
  std::string version; ///< the orchestrator's version, for the log
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_hello& x) {
  return f(caf::meta::type_name("node_hello"), x.host, x.workers, x.version);
}

/// The answer to a challenge.
struct node_join {
  std::string challenge; ///< as `hello` returned it
  std::string mac;       ///< hex HMAC-SHA256; "" without a secret
  node_actor node;       ///< monitored: its connection going down = lost
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_join& x) {
  return f(caf::meta::type_name("node_join"), x.challenge, x.mac, x.node);
}

/// What an accepted node gets: its identity and the run's actors.
struct node_welcome {
  std::string node_id; ///< fresh for every join; workers are <node_id>.worker_N
  int64_t run_id = 0;
  std::string target; ///< the branch tasks start from (pushed to the remote)
  coordinator_actor coordinator;
  store_actor store;
  circuit_hub_actor hub;
  caf::actor progress;      ///< the coordinator's progress view; may be null
  int64_t heartbeat_ms = 0; ///< how often to send a heartbeat
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_welcome& x) {
  return f(caf::meta::type_name("node_welcome"), x.node_id, x.run_id, x.target,
           x.coordinator, x.store, x.hub, x.progress, x.heartbeat_ms);
}

/// A node joined: a row of `nodes` in state `connected`.
struct node_registration {
  std::string id;
  std::string host;
  std::string address; ///< where it connected from, as the gateway saw it
  int32_t workers = 0;
  caf::timestamp at; ///< connected_at and the first heartbeat_at
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_registration& x) {
  return f(caf::meta::type_name("node_registration"), x.id, x.host, x.address,
           x.workers, x.at);
}

/// One row of `nodes`.
struct node_row {
  std::string id;
  std::string host;
  std::string address;
  std::string state; ///< connected, lost or left
  int32_t workers = 0;
  std::string connected_at; ///< UTC ISO-8601 with milliseconds
  std::string heartbeat_at;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_row& x) {
  return f(caf::meta::type_name("node_row"), x.id, x.host, x.address, x.state,
           x.workers, x.connected_at, x.heartbeat_at);
}

/// The coordinator's gateway (actors/gateway.hpp), published with `run
/// --listen`.
using gateway_actor = caf::typed_actor<
  /// A node introduces itself; replies with a one-time challenge (hex).
  caf::replies_to<atom::hello, node_hello>::with<std::string>,
  /// A node answers the challenge; replies with the run's handles, or
  /// errc::unauthorized (wrong secret) / errc::conflict (the run is over).
  caf::replies_to<atom::join, node_join>::with<node_welcome>,
  /// A node is alive. Replies false when it was declared lost meanwhile:
  /// it must stop its workers and join again with a fresh identity.
  caf::replies_to<atom::heartbeat, std::string>::with<bool>,
  /// A node leaves on its own (its workers stopped); replies when recorded.
  caf::replies_to<atom::leave, std::string>::with<bool>,
  /// From the coordinator, once: the run is on; nodes may join. The
  /// coordinator_actor travels as caf::actor: a typed handle this long
  /// cannot take a type ID of its own (see messages/type_ids.hpp).
  caf::reacts_to<atom::run, caf::actor>,
  /// From the coordinator at the end of the run: stop every node; replies
  /// once each answered or timed out.
  caf::replies_to<atom::stop>::with<bool>,
  /// Internal: look for silent nodes.
  caf::reacts_to<atom::tick>>;

} // namespace tdd
