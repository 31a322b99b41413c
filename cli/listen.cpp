#include "cli/listen.hpp"

#include "actors/http_server.hpp"
#include "exec/auth.hpp"
#include "exec/git.hpp"
#include "messages/errc.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>
#include <iostream>

namespace tdd::cli {

std::optional<std::string> load_secret(const std::string& path,
                                       std::string& error) {
  auto read = exec::read_secret_file(path);
  if (!read.error.empty()) {
    error = "--secret-file: " + read.error;
    return std::nullopt;
  }
  if (!read.warning.empty()) {
    std::cerr << "orchestrator: warning: " << read.warning << "\n";
  }
  return std::move(read.secret);
}

std::optional<listen_plan> prepare_listen(const listen_flags& flags,
                                          const std::string& repo_root,
                                          const std::string& target,
                                          std::string& error) {
  if (flags.address.empty()) {
    if (!flags.secret_file.empty()) {
      error = "--secret-file needs --listen HOST:PORT";
    }
    return std::nullopt;
  }
  auto address = parse_http_address(flags.address);
  if (!address) {
    error = "--listen: " + describe(address.error());
    return std::nullopt;
  }
  listen_plan plan;
  plan.host = address->host;
  plan.port = address->port;
  plan.remote = flags.remote;
  if (flags.secret_file.empty()) {
    if (!is_loopback(address->host)) {
      error = "--listen " + flags.address
              + " accepts nodes from other hosts: give it a shared secret "
                "with --secret-file FILE (or listen on 127.0.0.1)";
      return std::nullopt;
    }
  } else {
    auto secret = load_secret(flags.secret_file, error);
    if (!secret) {
      return std::nullopt;
    }
    plan.secret = std::move(*secret);
  }
  if (auto err = check_bindable(*address)) {
    error = "--listen: " + describe(err);
    return std::nullopt;
  }
  auto url = exec::git::run(repo_root, {"remote", "get-url", plan.remote});
  if (!url) {
    error = "--remote: this repository has no git remote \"" + plan.remote
            + "\"; nodes share work through it (git remote add " + plan.remote
            + " URL, or --remote NAME)";
    return std::nullopt;
  }
  plan.remote_url = url.value;
  while (!plan.remote_url.empty() && plan.remote_url.back() == '\n') {
    plan.remote_url.pop_back();
  }
  auto pushed = exec::git::run(
    repo_root, {"push", "--quiet", plan.remote,
                "refs/heads/" + target + ":refs/heads/" + target});
  if (!pushed) {
    error = "cannot push " + target + " to " + plan.remote
            + " (nodes start their tasks from it): " + pushed.error;
    return std::nullopt;
  }
  return plan;
}

void enable_network(caf::actor_system_config& cfg) {
  cfg.load<caf::io::middleman>();
  cfg.set("middleman.heartbeat-interval",
          caf::timespan{std::chrono::seconds{5}});
  cfg.set("middleman.connection-timeout",
          caf::timespan{std::chrono::seconds{15}});
}

caf::expected<uint16_t> publish_gateway(caf::actor_system& sys,
                                        const gateway_actor& gateway,
                                        const listen_plan& plan) {
  const bool any
    = plan.host == "0.0.0.0" || plan.host == "::" || plan.host.empty();
  return sys.middleman().publish(gateway, static_cast<uint16_t>(plan.port),
                                 any ? nullptr : plan.host.c_str());
}

} // namespace tdd::cli
