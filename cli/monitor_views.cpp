#include "cli/monitor_views.hpp"

#include "cli/circuit_view.hpp"
#include "cli/output.hpp"
#include "cli/status_view.hpp"
#include "messages/errc.hpp"
#include "store/time_text.hpp"

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include <chrono>

namespace tdd::cli {

namespace {

constexpr const char* json_type = "application/json";

http_reply health_reply(store::database* db, const std::string& why) {
  const auto at = std::chrono::system_clock::now();
  auto [report, input] = check_health(db, why);
  // SPEC.md 6: 200 while the run can go on, 503 when it cannot (or we
  // cannot tell).
  const bool ok = report.status == core::health_status::healthy
                  || report.status == core::health_status::degraded;
  return {ok ? 200 : 503, json_type,
          json_line(health_json(report, input, store::format_time(at)))};
}

http_reply status_reply(store::database* db, const std::string& why,
                        const std::string& db_path) {
  std::string error = why;
  if (db != nullptr) {
    auto data = read_status(*db);
    if (data) {
      data->db_path = db_path;
      return {200, json_type, json_line(status_json(*data))};
    }
    error = describe(data.error());
  }
  return {503, json_type, json_line({{"error", error}})};
}

} // namespace

metrics_config monitor_config(const std::string& db_path) {
  metrics_config cfg;
  cfg.db_path = db_path;
  cfg.health = health_reply;
  cfg.status = [db_path](store::database* db, const std::string& why) {
    return status_reply(db, why, db_path);
  };
  return cfg;
}

caf::expected<monitor_endpoints> start_monitoring(caf::actor_system& sys,
                                                  const std::string& db_path,
                                                  const http_address& address) {
  monitor_endpoints x;
  x.handler = sys.spawn<caf::detached>(tdd::metrics, monitor_config(db_path));
  auto server = http_server::start(sys, x.handler, address);
  if (!server) {
    caf::scoped_actor self{sys};
    self->send_exit(x.handler, caf::exit_reason::user_shutdown);
    return std::move(server.error());
  }
  x.server = std::move(*server);
  return x;
}

} // namespace tdd::cli
