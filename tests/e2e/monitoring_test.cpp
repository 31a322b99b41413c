// Monitoring end to end (SPEC.md 6): `metrics` after a real run, `serve`
// and `run --http` over real HTTP on loopback, and a real Prometheus
// scraping us.

#include "e2e/harness.hpp"
#include "e2e/run_repo.hpp"
#include "exposition.hpp"
#include "loopback.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

using namespace tdd::test;
using namespace std::chrono_literals;

namespace {

const std::vector<task_def> diamond{
  {"A", "Task A"}, {"B", "Task B"}, {"C", "Task C", {"A", "B"}}};
const std::vector<task_def> one_task{{"A", "Task A"}};
const std::vector<task_def> two_tasks{{"A", "Task A"}, {"B", "Task B"}};

/// Waits until `proc` says where it serves ("serving http://HOST:PORT"),
/// and returns that base URL.
std::string serving_url(background_run& proc) {
  std::smatch m;
  const std::regex url{"serving (http://[0-9.]+:[0-9]+)"};
  std::string out;
  const bool found = wait_until(
    [&] {
      out = proc.output();
      return std::regex_search(out, m, url);
    },
    20s);
  REQUIRE_MESSAGE(found, proc.output());
  return m[1].str();
}

struct http_get {
  int status = 0;
  std::string type;
  std::string body;
};

http_get get(const std::string& base, const std::string& path) {
  httplib::Client client{base};
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  auto res = client.Get(path.c_str());
  REQUIRE_MESSAGE(res, "GET " << base << path << " failed");
  return {res->status, res->get_header_value("Content-Type"), res->body};
}

/// Runs `promtool check metrics` on `text`; its output on failure.
std::string promtool_check(const temp_repo& repo, const std::string& text) {
  repo.write("exposition.txt", text);
  const auto r
    = repo.run({"sh", "-c", "promtool check metrics < exposition.txt 2>&1"});
  return r.code == 0 ? std::string{} : r.out + r.err;
}

} // namespace

TEST_CASE("metrics after a run agree with the database and pass promtool") {
  run_repo r(diamond);
  const auto res = r.run({"--workers", "2"});
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  const auto m = r.repo.orchestrator({"metrics"});
  REQUIRE_MESSAGE(m.code == 0, m.err);
  CHECK_MESSAGE(promtool_check(r.repo, m.out).empty(),
                promtool_check(r.repo, m.out));
  const auto s = samples(m.out);
  CHECK(sample(s, "tdd_tasks{status=\"complete\"}") == 3);
  CHECK(sample(s, "tdd_tasks{status=\"pending\"}") == 0);
  CHECK(sample(s, "tdd_runs_total{outcome=\"complete\"}") == 1);
  CHECK(sample(s, "tdd_run_start_time_seconds") == 0);
  for (const char* stage : {"red", "green", "verify", "refactor", "commit"}) {
    CAPTURE(stage);
    const std::string st = stage;
    CHECK(sample(s, "tdd_stage_attempts_total{outcome=\"passed\",stage=\"" + st
                      + "\"}")
          == 3);
    CHECK(sample(s, "tdd_stage_duration_seconds_count{stage=\"" + st + "\"}")
          == 3);
  }
  // What the database says, as a user with sqlite3 would ask it.
  const auto agent_calls
    = std::stod(r.sql("SELECT COUNT(*) FROM attempts WHERE stage IN "
                      "('red', 'green', 'fix', 'refactor')"));
  CHECK(sample(s, "tdd_agent_invocations_total{outcome=\"ok\"}")
        == agent_calls);
  const auto tokens = std::stod(r.sql("SELECT SUM(tokens) FROM attempts"));
  CHECK(sample(s, "tdd_agent_tokens_total") == tokens);
  const auto cost
    = std::stod(r.sql("SELECT SUM(cost_micros) FROM attempts")) / 1e6;
  CHECK(sample(s, "tdd_agent_cost_usd_total") == doctest::Approx(cost));
  const auto remaining
    = std::stod(r.sql("SELECT invocations_max - invocations_used FROM budget"));
  CHECK(sample(s, "tdd_budget_invocations_remaining") == remaining);
  CHECK(sample(s, "tdd_workers{state=\"stopped\"}")
          + sample(s, "tdd_workers{state=\"idle\"}")
        == 2);
  // No task key in any label.
  CHECK(m.out.find("\"A\"") == std::string::npos);
  CHECK(m.out.find("task=") == std::string::npos);
}

TEST_CASE("serve answers metrics health and status and 404 otherwise") {
  run_repo r(one_task);
  auto serve = r.repo.start_orchestrator({"serve", "--bind", "127.0.0.1:0"});
  const auto base = serving_url(serve);

  const auto metrics = get(base, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.type.find("version=0.0.4") != std::string::npos);
  CHECK(sample(samples(metrics.body), "tdd_tasks{status=\"pending\"}") == 1);

  const auto health = get(base, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.type == "application/json");
  const auto h = nlohmann::json::parse(health.body);
  const auto cli = r.repo.orchestrator({"circuits", "health", "--json"}).json();
  CHECK(h.at("status") == "HEALTHY");
  CHECK(h.at("circuits") == cli.at("circuits"));
  CHECK(h.at("reasons") == cli.at("reasons"));

  const auto status = get(base, "/api/status");
  CHECK(status.status == 200);
  const auto st = nlohmann::json::parse(status.body);
  CHECK(st == r.repo.orchestrator({"status", "--json"}).json());

  CHECK(get(base, "/").status == 404);
  CHECK(get(base, "/metrics/extra").status == 404);
  httplib::Client client{base};
  auto post = client.Post("/metrics", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 404);

  // An open system circuit makes the run UNHEALTHY: 503, and the state
  // gauge follows.
  r.sql("INSERT INTO circuit_breakers (level, identifier, state, opened_at) "
        "VALUES ('system', 'system', 'open', "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  const auto unhealthy = get(base, "/healthz");
  CHECK(unhealthy.status == 503);
  CHECK(nlohmann::json::parse(unhealthy.body).at("status") == "UNHEALTHY");
  CHECK(sample(samples(get(base, "/metrics").body),
               "tdd_circuit_breaker_state{id=\"system\",level=\"system\","
               "state=\"open\"}")
        == 1);

  serve.signal(SIGTERM);
  const auto done = serve.wait(10s);
  REQUIRE_MESSAGE(done, serve.output());
  CHECK(done->code == 0);
}

TEST_CASE("serve without a database says UNKNOWN with 503") {
  temp_repo repo;
  auto serve = repo.start_orchestrator({"serve", "--bind", "127.0.0.1:0"});
  const auto base = serving_url(serve);
  const auto health = get(base, "/healthz");
  CHECK(health.status == 503);
  CHECK(nlohmann::json::parse(health.body).at("status") == "UNKNOWN");
  CHECK(get(base, "/metrics").status == 503);
  CHECK(get(base, "/api/status").status == 503);
  serve.signal(SIGINT);
  const auto done = serve.wait(10s);
  REQUIRE_MESSAGE(done, serve.output());
  CHECK(done->code == 0);
}

TEST_CASE("serve and run --http refuse a bad or busy address with exit 2") {
  run_repo r(one_task);
  const auto bad = r.repo.orchestrator({"serve", "--bind", "localhost"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("bad address \"localhost\"") != std::string::npos);

  const loopback_port holder{true}; // keeps the port busy
  const auto busy_address = holder.address();
  const auto busy = r.repo.orchestrator({"serve", "--bind", busy_address});
  CHECK(busy.code == 2);
  CHECK(busy.err.find("cannot listen on " + busy_address) != std::string::npos);

  const auto run = r.run({"--http", busy_address});
  CHECK(run.code == 2);
  CHECK(run.err.find("--http: cannot listen") != std::string::npos);
  CHECK(r.sql("SELECT COUNT(*) FROM runs") == "0\n"); // nothing recorded
  CHECK(r.run({"--http", "127.0.0.1:99999"}).code == 2);
}

TEST_CASE("run --http serves while the run lasts") {
  run_repo r(two_tasks);
  r.scenario({"A:red:*=hang"}); // A's agent waits until the run is stopped
  // A port given by number: checked before the run, then bound for real.
  const auto address = loopback_port{false}.address();
  auto run = r.start({"--workers", "2", "--http", address});
  const auto base = serving_url(run);
  CHECK(base == "http://" + address);
  // B completes while A hangs.
  REQUIRE_MESSAGE(wait_until(
                    [&] {
                      return sample(samples(get(base, "/metrics").body),
                                    "tdd_tasks{status=\"complete\"}")
                             == 1;
                    },
                    60s),
                  run.output());
  const auto s = samples(get(base, "/metrics").body);
  CHECK(sample(s, "tdd_run_start_time_seconds") > 1.7e9);
  CHECK(sample(s, "tdd_tasks{status=\"running\"}") == 1);
  CHECK(sample(s, "tdd_workers{state=\"busy\"}") >= 1);
  const auto st = nlohmann::json::parse(get(base, "/api/status").body);
  CHECK(st.at("run").at("status") == "active");
  CHECK(st.at("run").at("alive") == true);
  CHECK(get(base, "/healthz").status == 200);

  run.signal(SIGINT);
  const auto done = run.wait(60s);
  REQUIRE_MESSAGE(done, run.output());
  CHECK(done->code == 130);
  httplib::Client gone{base};
  gone.set_connection_timeout(2);
  CHECK_FALSE(gone.Get("/metrics")); // the server ended with the run
}

TEST_CASE("a real Prometheus scrapes serve and answers a query") {
  run_repo r(diamond);
  auto serve = r.repo.start_orchestrator({"serve", "--bind", "127.0.0.1:0"});
  const auto base = serving_url(serve);
  const auto target = base.substr(std::string{"http://"}.size());
  r.repo.write("prometheus.yml", "global:\n  scrape_interval: 1s\n"
                                 "scrape_configs:\n"
                                 "  - job_name: tdd-orchestrator\n"
                                 "    static_configs:\n"
                                 "      - targets: ['"
                                   + target + "']\n");
  const auto web = loopback_port{false}.address();
  background_run prometheus(
    {"prometheus",
     "--config.file=" + (r.repo.dir() / "prometheus.yml").string(),
     "--storage.tsdb.path=" + (r.state.path() / "tsdb").string(),
     "--web.listen-address=" + web, "--log.level=warn"},
    {}, r.repo.dir());
  // The query API answers once Prometheus has scraped us at least once.
  nlohmann::json result;
  const bool scraped = wait_until(
    [&] {
      httplib::Client client{"http://" + web};
      client.set_connection_timeout(1);
      auto res = client.Get(
        "/api/v1/query?query=tdd_tasks%7Bstatus%3D%22pending%22%7D");
      if (!res || res->status != 200) {
        return false;
      }
      result = nlohmann::json::parse(res->body);
      return !result["data"]["result"].empty();
    },
    60s);
  REQUIRE_MESSAGE(scraped, prometheus.output());
  const auto& first = result["data"]["result"][0];
  CHECK(first["metric"]["job"] == "tdd-orchestrator");
  CHECK(first["value"][1] == "3"); // all three tasks pending
  // And the target is up, scraped without errors.
  httplib::Client client{"http://" + web};
  auto up = client.Get("/api/v1/query?query=up");
  REQUIRE(up);
  CHECK(nlohmann::json::parse(up->body)["data"]["result"][0]["value"][1]
        == "1");
  prometheus.signal(SIGTERM);
  CHECK(prometheus.wait(20s));
  serve.signal(SIGTERM);
  CHECK(serve.wait(10s));
}

TEST_CASE("status --watch --json streams one document per refresh") {
  run_repo r(one_task);
  auto watch = r.repo.start_orchestrator(
    {"status", "--watch", "--interval", "0.1", "--json"});
  // A refresh before and one after the task changes.
  REQUIRE_MESSAGE(
    wait_until(
      [&] { return watch.output().find("\"pending\":1") != std::string::npos; },
      20s),
    watch.output());
  r.sql("UPDATE tasks SET status = 'blocked' WHERE key = 'A'");
  REQUIRE_MESSAGE(
    wait_until(
      [&] { return watch.output().find("\"blocked\":1") != std::string::npos; },
      20s),
    watch.output());
  watch.signal(SIGINT);
  const auto done = watch.wait(10s);
  REQUIRE_MESSAGE(done, watch.output());
  CHECK(done->code == 0);
  std::istringstream lines{done->out};
  std::string line;
  int docs = 0;
  while (std::getline(lines, line)) {
    const auto doc = nlohmann::json::parse(line);
    CHECK(doc.at("tasks").at("total") == 1);
    ++docs;
  }
  CHECK(docs >= 2);
}

TEST_CASE("serve survives clients that reset the connection mid-answer") {
  run_repo r(diamond);
  auto serve = r.repo.start_orchestrator({"serve", "--bind", "127.0.0.1:0"});
  const auto base = serving_url(serve);
  const int port = std::stoi(base.substr(base.rfind(':') + 1));
  // Many pipelined requests to a client with a tiny receive window: the
  // server's writes stall, then the client resets the connection (SO_LINGER
  // 0), so the next write meets a dead socket, which raises SIGPIPE unless
  // it is ignored.
  for (int i = 0; i < 5; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int small = 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    std::string ask;
    for (int j = 0; j < 300; ++j) {
      ask += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    CHECK(write(fd, ask.data(), ask.size())
          == static_cast<ssize_t>(ask.size()));
    char first[64];
    CHECK(read(fd, first, sizeof(first)) > 0); // the server is answering
    linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    close(fd);
  }
  CHECK(get(base, "/healthz").status == 200);
  CHECK_FALSE(serve.wait(0ms)); // still serving
  serve.signal(SIGTERM);
  const auto done = serve.wait(10s);
  REQUIRE_MESSAGE(done, serve.output());
  CHECK(done->code == 0);
}
