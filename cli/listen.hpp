#pragma once

// `run --listen` (SPEC.md 7): the checks before a run records anything
// (address, secret, shared remote), and publishing the gateway once the
// run's actors exist (cli/run_session.cpp).

#include "messages/cluster.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace caf {
class actor_system;
} // namespace caf

namespace tdd::cli {

/// The --listen, --secret-file and --remote flags of `run`.
struct listen_flags {
  std::string address; ///< HOST:PORT; "" = no nodes
  std::string secret_file;
  std::string remote = "origin";
};

/// What the run needs to accept nodes.
struct listen_plan {
  std::string host;
  int port = 0;       ///< 0: any free port (printed when bound)
  std::string secret; ///< "" = none (loopback only)
  std::string remote;
  std::string remote_url; ///< for the hint printed to the user
};

/// Reads a --secret-file, printing its warning (loose permissions) to
/// stderr; nullopt with a message in `error` when it cannot be used.
std::optional<std::string> load_secret(const std::string& path,
                                       std::string& error);

/// Checks the flags (address, bindable port, a secret unless loopback,
/// the secret file, the remote) and pushes `target` to the remote so nodes
/// start from it. Returns nullopt without --listen; an error message in
/// `error` (bad input) otherwise.
std::optional<listen_plan> prepare_listen(const listen_flags& flags,
                                          const std::string& repo_root,
                                          const std::string& target,
                                          std::string& error);

/// Loads the middleman with SPEC.md 7's heartbeat (5 s) and connection
/// timeout (15 s); for `run --listen` and `worker`.
void enable_network(caf::actor_system_config& cfg);

/// Publishes `gateway` as the plan says; returns the port bound.
caf::expected<uint16_t> publish_gateway(caf::actor_system& sys,
                                        const gateway_actor& gateway,
                                        const listen_plan& plan);

} // namespace tdd::cli
