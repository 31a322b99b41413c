// The Slack notifier on the test coordinator: a fake poster records when
// it was called (virtual time) and answers as each test scripts it.

#include "actors/notifier.hpp"

#include "circuit_test_support.hpp"
#include "store/raw_sqlite.hpp"

#include <caf/after.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace tdd;
using namespace std::chrono_literals;
using core::circuit_level;
using core::circuit_state;
using test::base_time;

namespace {

using time_point = caf::actor_clock::time_point;
using notifier_ptr = notifier_actor::stateful_pointer<notifier_state>;

constexpr const char* webhook = "https://hooks.slack.com/services/T0/B0/SECRET";

/// Slack as the tests script it: answers in order, then `otherwise`.
struct fake_slack {
  std::vector<time_point> calls;
  std::vector<std::string> bodies;
  std::deque<exec::http_post_result> answers;
  exec::http_post_result otherwise{200, std::nullopt, ""};
};

/// Runs a notifier with a fake poster and virtual time.
struct notifier_fixture : test::actor_fixture {
  std::shared_ptr<fake_slack> slack = std::make_shared<fake_slack>();
  time_point t0 = sys.clock().now();

  notifier_config config() {
    notifier_config c;
    c.webhook = webhook;
    c.run_id = 7;
    c.wall_start = base_time;
    c.poster = [fake = slack, clock = &sys.clock()](const std::string& body) {
      fake->calls.push_back(clock->now());
      fake->bodies.push_back(body);
      if (fake->answers.empty()) {
        return fake->otherwise;
      }
      auto answer = fake->answers.front();
      fake->answers.pop_front();
      return answer;
    };
    return c;
  }

  notifier_actor start(notifier_config c) { return spawn(notifier, c); }
  notifier_actor start() { return start(config()); }

  notifier_state& state_of(const notifier_actor& x) {
    return caf::actor_cast<notifier_ptr>(x)->state;
  }

  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }

  /// Lets `seconds` pass a second at a time: one big step would fire only
  /// the timers due before it, and sends they arm would wait.
  void run_for(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      advance(1s);
    }
  }

  /// Offsets of the poster's calls from the start, in milliseconds.
  std::vector<int64_t> call_offsets() const {
    std::vector<int64_t> out;
    for (const auto& at : slack->calls) {
      out.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(at - t0).count());
    }
    return out;
  }

  void progress(const notifier_actor& aut, const progress_event& e) {
    self->send(aut, atom::progress_v, e);
    sched.run();
  }

  /// A circuit's state change from `from` to `to`.
  void change(const notifier_actor& aut, circuit_level level,
              const std::string& id, circuit_state from, circuit_state to,
              core::circuit_event_type type
              = core::circuit_event_type::state_change) {
    circuit_change x;
    x.snapshot = core::new_circuit(level, id);
    x.snapshot.state = to;
    x.snapshot.failure_count = 3;
    x.events.push_back({type, from, to, "{}", base_time});
    self->send(aut, atom::changed_v, x);
    sched.run();
  }

  void open_worker(const notifier_actor& aut, const std::string& id) {
    change(aut, circuit_level::worker, id, circuit_state::closed,
           circuit_state::open);
  }

  /// "event subject outcome tries" of every record, one per line.
  std::string records(const notifier_actor& aut) {
    std::string out;
    for (const auto& r : state_of(aut).recent) {
      out += r.event + " " + r.subject + " " + r.outcome + " "
             + std::to_string(r.tries) + "\n";
    }
    return out;
  }

  /// How many records ended with `outcome`.
  size_t count(const notifier_actor& aut, const std::string& outcome) {
    const auto& xs = state_of(aut).recent;
    return static_cast<size_t>(
      std::count_if(xs.begin(), xs.end(),
                    [&](const auto& r) { return r.outcome == outcome; }));
  }

  /// The reply to an earlier `stop`, if it arrived.
  std::optional<bool> stop_reply() {
    std::optional<bool> result;
    self->receive([&](bool x) { result = x; },
                  caf::after(std::chrono::seconds{0}) >> [] {});
    return result;
  }
};

progress_event run_event(progress_kind kind, caf::timestamp at) {
  progress_event e;
  e.kind = kind;
  e.at = at;
  e.tasks_total = 3;
  e.tasks_complete = 2;
  e.tasks_blocked = 1;
  e.invocations = 14;
  e.cost_micros = 1'250'000;
  return e;
}

/// The lines of a records() result.
std::string lines(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs) {
    out += x + "\n";
  }
  return out;
}

std::string header_of(const std::string& body) {
  const auto doc = nlohmann::json::parse(body);
  return doc["blocks"][0]["text"]["text"].get<std::string>();
}

} // namespace

TEST_CASE_FIXTURE(notifier_fixture,
                  "run start and finish go out as Block Kit messages") {
  auto aut = start();
  auto started = run_event(progress_kind::run_started, base_time);
  started.detail = "3 tasks, 2 workers, target main, agent cmd";
  progress(aut, started);
  auto finished = run_event(progress_kind::run_finished, base_time + 125s);
  finished.outcome = "blocked";
  progress(aut, finished);
  advance(1s); // the second waits for the pacing
  REQUIRE(slack->bodies.size() == 2);
  CHECK(header_of(slack->bodies[0]) == "Run 7 started");
  CHECK(header_of(slack->bodies[1]) == "Run 7 finished: blocked");
  const auto doc = nlohmann::json::parse(slack->bodies[1]);
  CHECK(doc["text"].get<std::string>().find("2m 5s") != std::string::npos);
  CHECK(doc["text"].get<std::string>().find("$1.25") != std::string::npos);
  CHECK(records(aut)
        == lines({"run_started run:7 sent 1", "run_finished run:7 sent 1"}));
  const auto& first = state_of(aut).recent.front();
  CHECK(first.payload == slack->bodies[0]);
  CHECK(first.run_id == 7);
  CHECK(first.at == caf::timestamp{base_time});
  // Other progress is not Slack's business.
  progress(aut, run_event(progress_kind::task_finished, base_time));
  advance(10s);
  CHECK(slack->bodies.size() == 2);
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "a circuit and event are throttled for throttle_s") {
  auto c = config();
  c.throttle = 300s;
  auto aut = start(c);
  open_worker(aut, "worker_1");
  advance(1s);
  open_worker(aut, "worker_2"); // another circuit: not throttled
  advance(9s);
  change(aut, circuit_level::worker, "worker_1", circuit_state::half_open,
         circuit_state::open); // reopened within 300 s
  advance(290s);
  open_worker(aut, "worker_1"); // 300 s after the first: goes out
  CHECK(records(aut)
        == lines({"circuit_opened worker:worker_1 sent 1",
                  "circuit_opened worker:worker_2 sent 1",
                  "circuit_opened worker:worker_1 throttled 0",
                  "circuit_opened worker:worker_1 sent 1"}));
  CHECK(slack->bodies.size() == 3);
  CHECK(count(aut, "throttled") == 1);
  // The throttled one still records what it would have said.
  CHECK(header_of(state_of(aut).recent[2].payload)
        == "Circuit open: worker:worker_1");
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "three notifications at once go out one second apart") {
  auto aut = start();
  open_worker(aut, "worker_1");
  open_worker(aut, "worker_2");
  open_worker(aut, "worker_3");
  CHECK(call_offsets() == std::vector<int64_t>{0});
  advance(999ms);
  CHECK(call_offsets() == std::vector<int64_t>{0});
  advance(1ms);
  advance(1s);
  CHECK(call_offsets() == std::vector<int64_t>{0, 1000, 2000});
  CHECK(header_of(slack->bodies[2]) == "Circuit open: worker:worker_3");
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "stage circuit openings are batched into one message per "
                  "minute") {
  auto aut = start();
  const auto open_stage = [&](const std::string& id) {
    change(aut, circuit_level::stage, id, circuit_state::closed,
           circuit_state::open);
  };
  open_stage("A:red");
  advance(10s);
  open_stage("B:green");
  advance(10s);
  open_stage("A:red"); // again within throttle_s: recorded, not repeated
  advance(39s);
  CHECK(slack->calls.empty());
  advance(1s);
  REQUIRE(call_offsets() == std::vector<int64_t>{60'000});
  CHECK(header_of(slack->bodies[0]) == "2 stage circuits opened");
  CHECK(slack->bodies[0].find("stage:A:red") != std::string::npos);
  CHECK(slack->bodies[0].find("stage:B:green") != std::string::npos);
  advance(10s);
  open_stage("C:verify"); // starts the next window
  advance(59s);
  CHECK(slack->calls.size() == 1);
  advance(1s);
  CHECK(call_offsets() == std::vector<int64_t>{60'000, 130'000});
  CHECK(records(aut)
        == lines({"circuit_opened stage:A:red throttled 0",
                  "stage_circuits_opened stage sent 1",
                  "stage_circuits_opened stage sent 1"}));
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "a 429 waits its Retry-After and then the message goes "
                  "out") {
  slack->answers.push_back({429, 5, "HTTP 429 (rate_limited)"});
  auto aut = start();
  progress(aut, run_event(progress_kind::run_started, base_time));
  advance(4s);
  CHECK(call_offsets() == std::vector<int64_t>{0});
  advance(1s);
  CHECK(call_offsets() == std::vector<int64_t>{0, 5000});
  CHECK(records(aut) == lines({"run_started run:7 sent 2"}));
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "three failed tries end as a failed record and a warn line "
                  "without the webhook") {
  slack->otherwise = {500, std::nullopt, "HTTP 500"};
  std::ostringstream log;
  auto* old = std::cerr.rdbuf(log.rdbuf());
  auto aut = start();
  progress(aut, run_event(progress_kind::run_started, base_time));
  advance(1s);
  advance(2s);
  advance(60s);
  std::cerr.rdbuf(old);
  CHECK(call_offsets() == std::vector<int64_t>{0, 1000, 3000}); // no 4th
  CHECK(records(aut) == lines({"run_started run:7 failed 3"}));
  CHECK(state_of(aut).recent.front().error == "HTTP 500");
  CHECK(count(aut, "failed") == 1);
  const auto line = log.str();
  CHECK(line.find("event=notification_failed") != std::string::npos);
  CHECK(line.find("notification=\"run_started\"") != std::string::npos);
  CHECK(line.find("subject=\"run:7\"") != std::string::npos);
  CHECK(line.find("SECRET") == std::string::npos);
  CHECK(line.find("hooks.slack.com") == std::string::npos);
}

TEST_CASE_FIXTURE(notifier_fixture, "a 4xx other than 429 is not tried again") {
  slack->otherwise = {404, std::nullopt, "HTTP 404 (no_service)"};
  auto aut = start();
  open_worker(aut, "worker_1");
  advance(10s);
  CHECK(slack->calls.size() == 1);
  CHECK(records(aut) == lines({"circuit_opened worker:worker_1 failed 1"}));
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "a queue that Slack does not drain stays bounded") {
  slack->otherwise = {500, std::nullopt, "HTTP 500"};
  auto aut = start();
  for (size_t i = 0; i <= notifier_max_queue; ++i) {
    open_worker(aut, "worker_" + std::to_string(i));
  }
  CHECK(state_of(aut).queue.size() == notifier_max_queue);
  REQUIRE(state_of(aut).recent.size() == 1);
  CHECK(state_of(aut).recent.back().outcome == "failed");
  CHECK(state_of(aut).recent.back().error == "queue full");
  CHECK(state_of(aut).recent.back().subject == "worker:worker_500");
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "stop gives up on a failing queue within its deadline") {
  slack->otherwise = {0, std::nullopt, "POST failed: Timeout was reached"};
  auto aut = start(); // stop deadline 10 s, post budget 5 s
  for (int i = 1; i <= 10; ++i) {
    open_worker(aut, "worker_" + std::to_string(i));
  }
  self->send(aut, atom::stop_v);
  sched.run();
  std::optional<bool> reply;
  int64_t waited = 0;
  for (; waited <= 20 && !(reply = stop_reply()); ++waited) {
    advance(1s);
  }
  REQUIRE(reply);
  CHECK_FALSE(*reply); // something was given up
  CHECK(waited <= 10);
  const auto calls = slack->calls.size();
  const auto& recent = state_of(aut).recent;
  REQUIRE(recent.size() == 10);
  CHECK(recent.front().error == "POST failed: Timeout was reached");
  CHECK(recent.front().tries == 3);
  CHECK(std::count_if(recent.begin(), recent.end(),
                      [](const auto& r) {
                        return r.outcome == "failed" && r.error == "shutdown";
                      })
        >= 8);
  // No try after the reply, and what comes later is given up at once.
  open_worker(aut, "worker_11");
  advance(60s);
  CHECK(slack->calls.size() == calls);
  CHECK(state_of(aut).recent.back().error == "shutdown");
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "stop sends the stage batch and the queue first") {
  auto aut = start();
  change(aut, circuit_level::stage, "A:red", circuit_state::closed,
         circuit_state::open);
  open_worker(aut, "worker_1");
  self->send(aut, atom::stop_v);
  sched.run();
  CHECK_FALSE(stop_reply());
  advance(1s); // the batch, one second after the worker's message
  CHECK(stop_reply() == true);
  CHECK(records(aut)
        == lines({"circuit_opened worker:worker_1 sent 1",
                  "stage_circuits_opened stage sent 1"}));
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "halts for the budget and the system circuit are announced "
                  "and other halts are not") {
  auto aut = start();
  auto budget = run_event(progress_kind::halted, base_time);
  budget.outcome = "budget";
  budget.detail = "max_invocations (14) reached";
  progress(aut, budget);
  auto system = run_event(progress_kind::halted, base_time);
  system.outcome = "system_circuit";
  progress(aut, system);
  auto other = run_event(progress_kind::halted, base_time);
  other.outcome = "other";
  progress(aut, other);
  run_for(5);
  REQUIRE(slack->bodies.size() == 2);
  CHECK(header_of(slack->bodies[0]) == "Run 7 halted: budget exhausted");
  CHECK(header_of(slack->bodies[1]) == "Run 7 halted: system circuit open");
  CHECK(
    records(aut)
    == lines({"budget_exhausted run:7 sent 1", "system_halt run:7 sent 1"}));
}

TEST_CASE_FIXTURE(notifier_fixture,
                  "recoveries and flapping of workers and the system") {
  auto aut = start();
  change(aut, circuit_level::worker, "worker_1", circuit_state::half_open,
         circuit_state::closed);
  change(aut, circuit_level::system, "system", circuit_state::open,
         circuit_state::closed);
  change(aut, circuit_level::stage, "A:red", circuit_state::half_open,
         circuit_state::closed); // stage recoveries are not announced
  change(aut, circuit_level::worker, "worker_1", circuit_state::open,
         circuit_state::half_open); // half-open is no news either
  change(aut, circuit_level::worker, "worker_2", circuit_state::open,
         circuit_state::open, core::circuit_event_type::flapping_detected);
  run_for(5);
  CHECK(records(aut)
        == lines({"circuit_recovered worker:worker_1 sent 1",
                  "circuit_recovered system sent 1",
                  "flapping worker:worker_2 sent 1"}));
}

namespace {

/// The notifier with the real store on a temporary file.
struct stored_fixture : test::circuit_fixture {};

} // namespace

TEST_CASE_FIXTURE(stored_fixture, "records reach the notifications table") {
  notifier_config c;
  c.webhook = webhook;
  c.poster = [](const std::string&) {
    return exec::http_post_result{200, std::nullopt, ""};
  };
  c.store = store;
  c.wall_start = base_time;
  auto aut = spawn(notifier, c);
  progress_event e;
  e.kind = progress_kind::run_started;
  e.at = base_time;
  self->send(aut, atom::progress_v, e);
  sched.run();
  ask<int64_t>(store, atom::flush_v);
  auto raw = test::open_raw(db_path);
  CHECK(test::query_column(raw.get(),
                           "SELECT event || ' ' || subject || ' ' || outcome "
                           "|| ' ' || tries || ' ' || (run_id IS NULL) || ' ' "
                           "|| (sent_at IS NOT NULL) FROM notifications")
        == std::vector<std::string>{"run_started run:0 sent 1 1 1"});
  const auto payload
    = test::query_text(raw.get(), "SELECT payload FROM notifications");
  CHECK(header_of(payload) == "The run started");
  CHECK(payload.find("SECRET") == std::string::npos);
}
