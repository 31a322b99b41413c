// The Slack notifier's decisions: throttle, pacing, stage batches and
// retries, with time passed in as values.

#include "core/notify_policy.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace tdd::core;
using namespace std::chrono_literals;

namespace {

/// An arbitrary origin: only differences matter.
const notify_time t0{std::chrono::hours{1000}};

} // namespace

TEST_CASE("throttle: one notification per window for the same circuit and "
          "event") {
  notify_throttle throttle{300s};
  CHECK(throttle.admit(notify_event::circuit_opened, "worker:worker_1", t0));
  CHECK_FALSE(
    throttle.admit(notify_event::circuit_opened, "worker:worker_1", t0 + 1s));
  CHECK_FALSE(
    throttle.admit(notify_event::circuit_opened, "worker:worker_1", t0 + 299s));
  // Another circuit, or another event of the same circuit, is not held back.
  CHECK(throttle.admit(notify_event::circuit_opened, "worker:worker_2", t0));
  CHECK(throttle.admit(notify_event::circuit_recovered, "worker:worker_1",
                       t0 + 1s));
  // The window counts from the one that went through, not the throttled.
  CHECK(
    throttle.admit(notify_event::circuit_opened, "worker:worker_1", t0 + 300s));
  CHECK_FALSE(
    throttle.admit(notify_event::circuit_opened, "worker:worker_1", t0 + 599s));
}

TEST_CASE("throttle: a zero window throttles nothing") {
  notify_throttle throttle{0s};
  CHECK(throttle.admit(notify_event::flapping, "system", t0));
  CHECK(throttle.admit(notify_event::flapping, "system", t0));
}

TEST_CASE("throttle: forgetting old windows keeps the live ones") {
  notify_throttle throttle{60s};
  for (int i = 0; i < 2000; ++i) {
    CHECK(throttle.admit(notify_event::circuit_opened,
                         "worker:w" + std::to_string(i), t0));
  }
  // Past the window every old key is pruned; a fresh one still throttles.
  CHECK(throttle.admit(notify_event::circuit_opened, "worker:w1", t0 + 61s));
  CHECK_FALSE(
    throttle.admit(notify_event::circuit_opened, "worker:w1", t0 + 62s));
}

TEST_CASE("pacer: one request per second in total") {
  notify_pacer pacer;
  CHECK(pacer.earliest(t0) == t0); // nothing sent yet
  pacer.note_request(t0);
  CHECK(pacer.earliest(t0) == t0 + 1s);
  CHECK(pacer.earliest(t0 + 500ms) == t0 + 1s);
  CHECK(pacer.earliest(t0 + 5s) == t0 + 5s);
  pacer.note_request(t0 + 1s);
  CHECK(pacer.earliest(t0 + 1s) == t0 + 2s);
  // A late report of an older request does not move the pace back.
  pacer.note_request(t0);
  CHECK(pacer.earliest(t0) == t0 + 2s);
}

TEST_CASE("stage batch: one message per minute for the stage circuits") {
  stage_batch batch{60s};
  CHECK_FALSE(batch.due_at());
  CHECK_FALSE(batch.is_due(t0));
  batch.add("stage:A:red", t0);
  batch.add("stage:B:green", t0 + 10s);
  batch.add("stage:A:red", t0 + 20s); // reopened within the window: once
  REQUIRE(batch.due_at());
  CHECK(*batch.due_at() == t0 + 60s);
  CHECK_FALSE(batch.is_due(t0 + 59s));
  CHECK(batch.is_due(t0 + 60s));
  CHECK(batch.take()
        == std::vector<std::string>{"stage:A:red", "stage:B:green"});
  CHECK_FALSE(batch.due_at());
  // The next opening starts the next window.
  batch.add("stage:C:verify", t0 + 90s);
  CHECK(*batch.due_at() == t0 + 150s);
}

TEST_CASE("retries: three tries with 1 s then 2 s of backoff") {
  CHECK(retry_delay(1, 500, std::nullopt) == 1s);
  CHECK(retry_delay(2, 500, std::nullopt) == 2s);
  CHECK_FALSE(retry_delay(3, 500, std::nullopt));
  CHECK(retry_delay(1, 0, std::nullopt) == 1s); // no response: timeout
  CHECK(retry_delay(1, 408, std::nullopt) == 1s);
  CHECK_FALSE(retry_delay(1, 200, std::nullopt)); // delivered: nothing to do
}

TEST_CASE("retries: a 429 waits its Retry-After within 1 to 300 s") {
  CHECK(retry_delay(1, 429, 7) == 7s);
  CHECK(retry_delay(2, 429, 7) == 7s);
  CHECK_FALSE(retry_delay(3, 429, 7)); // the third try was the last
  CHECK(retry_delay(1, 429, std::nullopt) == 1s);
  CHECK(retry_delay(1, 429, 0) == 1s);
  CHECK(retry_delay(1, 429, 86400) == 300s);
  CHECK(retry_after_delay(-5) == 1s);
}

TEST_CASE("retries: a 4xx other than 408 and 429 gives up at once") {
  CHECK_FALSE(retry_delay(1, 400, std::nullopt));
  CHECK_FALSE(retry_delay(1, 404, std::nullopt));
  CHECK_FALSE(retry_delay(1, 410, std::nullopt));
  CHECK(is_delivered(200));
  CHECK(is_delivered(204));
  CHECK_FALSE(is_delivered(0));
  CHECK_FALSE(is_delivered(302));
}

TEST_CASE("Retry-After: delay seconds only") {
  CHECK(parse_retry_after("30") == 30);
  CHECK(parse_retry_after(" 2 ") == 2);
  CHECK(parse_retry_after("0") == 0);
  CHECK(parse_retry_after("99999999999999999999") == 2147483647);
  CHECK_FALSE(parse_retry_after(""));
  CHECK_FALSE(parse_retry_after("-1"));
  CHECK_FALSE(parse_retry_after("1.5"));
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

TEST_CASE("notification events have stable names") {
  CHECK(to_string(notify_event::run_started) == "run_started");
  CHECK(to_string(notify_event::run_finished) == "run_finished");
  CHECK(to_string(notify_event::circuit_opened) == "circuit_opened");
  CHECK(to_string(notify_event::circuit_recovered) == "circuit_recovered");
  CHECK(to_string(notify_event::stage_circuits_opened)
        == "stage_circuits_opened");
  CHECK(to_string(notify_event::system_halt) == "system_halt");
  CHECK(to_string(notify_event::budget_exhausted) == "budget_exhausted");
  CHECK(to_string(notify_event::flapping) == "flapping");
}
