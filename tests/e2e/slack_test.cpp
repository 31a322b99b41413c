// Slack notifications end to end (SPEC.md 6): `run --slack-webhook` with a
// mock Slack on 127.0.0.1. The webhook's path holds SECRETTOKEN, which must
// appear nowhere: not in stdout, stderr, the database or the logs.

#include "e2e/harness.hpp"
#include "e2e/run_repo.hpp"
#include "loopback.hpp"

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

using namespace tdd::test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

constexpr const char* hook_path = "/services/T000/B000/SECRETTOKEN";
constexpr const char* secret = "SECRETTOKEN";

const std::vector<task_def> one_task{{"A", "Task A"}};

/// How the mock answers.
enum class slack_mode { ok, rate_limit_once, hang };

/// A Slack webhook on a port of 127.0.0.1, on threads of its own; stopped
/// (after releasing any request it holds) on destruction.
class mock_slack {
public:
  explicit mock_slack(slack_mode mode) : mode_(mode) {
    http_.server().Post(hook_path,
                        [this](const httplib::Request& req,
                               httplib::Response& res) { answer(req, res); });
    http_.start();
  }

  mock_slack(const mock_slack&) = delete;
  mock_slack& operator=(const mock_slack&) = delete;

  std::string url() const { return http_.base() + hook_path; }

  /// The bodies Slack accepted, in order of arrival.
  std::vector<std::string> accepted() {
    const std::lock_guard<std::mutex> guard{mutex_};
    return accepted_;
  }

  /// Every request, accepted or not.
  int requests() {
    const std::lock_guard<std::mutex> guard{mutex_};
    return requests_;
  }

private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    std::unique_lock<std::mutex> lock{mutex_};
    ++requests_;
    if (mode_ == slack_mode::hang) {
      lock.unlock();
      http_.hold();
      res.set_content("ok", "text/plain");
      return;
    }
    if (mode_ == slack_mode::rate_limit_once && requests_ == 1) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content("rate_limited", "text/plain");
      return;
    }
    accepted_.push_back(req.body);
    res.set_content("ok", "text/plain");
  }

  slack_mode mode_;
  std::mutex mutex_;
  int requests_ = 0;
  std::vector<std::string> accepted_;
  /// Last: destroyed first, so no handler runs on a half-destroyed mock.
  http_test_server http_;
};

/// curl honours proxies from the environment: keep loopback direct.
const std::map<std::string, std::string> direct{{"no_proxy", "127.0.0.1"}};

std::string header_of(const std::string& body) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  REQUIRE_MESSAGE(!doc.is_discarded(), body);
  REQUIRE_MESSAGE(doc.contains("blocks"), body);
  REQUIRE(doc["blocks"].is_array());
  return doc["blocks"][0]["text"]["text"].get<std::string>();
}

/// Every file under .orchestrator (database, WAL, logs) that holds
/// `needle`, as raw bytes.
std::vector<std::string> files_holding(const run_repo& r,
                                       const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& entry :
       fs::recursive_directory_iterator(r.repo.dir() / ".orchestrator")) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    if (bytes.find(needle) != std::string::npos) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

void check_secret_kept(const run_repo& r, const run_result& res) {
  CHECK(res.out.find(secret) == std::string::npos);
  CHECK(res.err.find(secret) == std::string::npos);
  CHECK(r.sql(".dump").find(secret) == std::string::npos);
  CHECK(files_holding(r, secret).empty());
}

std::string records(const run_repo& r) {
  return r.sql("SELECT event || '|' || outcome || '|' || tries FROM "
               "notifications ORDER BY id");
}

} // namespace

TEST_CASE("slack: run start and finish arrive and the webhook stays secret") {
  mock_slack slack{slack_mode::ok};
  run_repo r(one_task);
  const auto res = r.run({"--slack-webhook", slack.url()}, direct);
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  const auto bodies = slack.accepted();
  REQUIRE(bodies.size() == 2);
  CHECK(header_of(bodies[0]).find("started") != std::string::npos);
  CHECK(header_of(bodies[1]).find("finished: complete") != std::string::npos);
  CHECK(records(r) == "run_started|sent|1\nrun_finished|sent|1\n");
  CHECK(r.sql("SELECT count(*) FROM notifications WHERE run_id IS NULL "
              "OR sent_at IS NULL")
        == "0\n");
  check_secret_kept(r, res);
}

TEST_CASE("slack: a 429 is waited out and the message still arrives") {
  mock_slack slack{slack_mode::rate_limit_once};
  run_repo r(one_task);
  const auto res = r.run({"--slack-webhook", slack.url()}, direct);
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(slack.requests() == 3);
  const auto bodies = slack.accepted();
  REQUIRE(bodies.size() == 2);
  CHECK(header_of(bodies[0]).find("started") != std::string::npos);
  CHECK(records(r) == "run_started|sent|2\nrun_finished|sent|1\n");
  check_secret_kept(r, res);
}

TEST_CASE("slack: a Slack that never answers does not hold up the run") {
  mock_slack slack{slack_mode::hang};
  run_repo r(one_task);
  auto proc = r.start({"--slack-webhook", slack.url()}, direct);
  const auto res = proc.wait(90s); // bounded: the notifier gives up
  REQUIRE_MESSAGE(res, proc.output());
  REQUIRE_MESSAGE(res->code == 0, run_repo::dump(*res));
  CHECK(r.statuses().at("A") == "complete");
  CHECK(r.sql("SELECT count(*) FROM notifications WHERE outcome = 'failed'")
        == "2\n");
  CHECK(r.sql("SELECT count(*) FROM notifications WHERE outcome != 'failed'")
        == "0\n");
  // Failures are logged, naming the event, never the webhook's path.
  CHECK(res->err.find("event=notification_failed") != std::string::npos);
  check_secret_kept(r, *res);
}

TEST_CASE("slack: an exhausted budget is announced") {
  mock_slack slack{slack_mode::ok};
  run_repo r(one_task);
  const auto res
    = r.run({"--max-invocations", "1", "--slack-webhook", slack.url()}, direct);
  REQUIRE_MESSAGE(res.code == 3, run_repo::dump(res));
  CHECK(records(r)
        == "run_started|sent|1\nbudget_exhausted|sent|1\n"
           "run_finished|sent|1\n");
  const auto bodies = slack.accepted();
  REQUIRE(bodies.size() == 3);
  CHECK(header_of(bodies[1]).find("halted: budget exhausted")
        != std::string::npos);
  CHECK(header_of(bodies[2]).find("finished: halted") != std::string::npos);
}

TEST_CASE("slack: a bad --slack-webhook is refused without showing it") {
  run_repo r(one_task);
  for (const char* bad :
       {"ftp://example.invalid/SECRETTOKEN", "not a url SECRETTOKEN"}) {
    CAPTURE(bad);
    const auto res = r.run({"--slack-webhook", bad}, direct);
    CHECK(res.code == 2);
    CHECK(res.err.find("--slack-webhook") != std::string::npos);
    CHECK(res.err.find(secret) == std::string::npos);
    CHECK(res.out.find(secret) == std::string::npos);
  }
  CHECK(r.statuses().at("A") == "pending"); // nothing ran
}

TEST_CASE("slack: --slack-webhook overrides SLACK_WEBHOOK_URL") {
  mock_slack slack{slack_mode::ok};
  run_repo r(one_task);
  auto env = direct;
  // A valid URL where nobody listens: used, it would fail every post.
  env["SLACK_WEBHOOK_URL"] = "http://127.0.0.1:1/services/T1/B1/SECRETTOKEN";
  const auto res = r.run({"--slack-webhook", slack.url()}, env);
  REQUIRE_MESSAGE(res.code == 0, run_repo::dump(res));
  CHECK(slack.accepted().size() == 2);
  CHECK(records(r) == "run_started|sent|1\nrun_finished|sent|1\n");
  check_secret_kept(r, res);
}
