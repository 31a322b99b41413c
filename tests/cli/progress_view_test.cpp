#include "cli/progress_view.hpp"

#include "messages/progress.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>

using namespace tdd;

namespace {

/// Local time is UTC in these tests.
void use_utc() {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
}

/// 2023-11-14T22:13:20Z plus `seconds`.
caf::timestamp at(int seconds) {
  return caf::timestamp{std::chrono::seconds{1'700'000'000 + seconds}};
}

progress_event event(progress_kind kind, int seconds) {
  progress_event e;
  e.kind = kind;
  e.at = at(seconds);
  e.tasks_total = 5;
  return e;
}

progress_event stage(progress_kind kind, int seconds, std::string worker,
                     std::string task, std::string name, int32_t attempt) {
  auto e = event(kind, seconds);
  e.worker = std::move(worker);
  e.task = std::move(task);
  e.stage = std::move(name);
  e.attempt = attempt;
  return e;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos;
       pos = text.find(part, pos + 1)) {
    ++n;
  }
  return n;
}

} // namespace

TEST_CASE("progress_kind names") {
  CHECK(to_string(progress_kind::run_started) == "run_started");
  CHECK(to_string(progress_kind::stage_finished) == "stage_finished");
  CHECK(to_string(progress_kind::run_finished) == "run_finished");
}

TEST_CASE("progress plain lines: one timestamped line per kind") {
  use_utc();
  std::ostringstream out;
  cli::progress_view view{out, false, false};
  auto started = event(progress_kind::run_started, 0);
  started.detail = "5 tasks, 2 workers, target main, agent claude";
  view.on_event(started);
  view.on_event(
    stage(progress_kind::task_started, 1, "worker_1", "CALC-1", "red", 0));
  view.on_event(
    stage(progress_kind::stage_started, 1, "worker_1", "CALC-1", "green", 2));
  auto failed
    = stage(progress_kind::stage_finished, 2, "worker_1", "CALC-1", "green", 2);
  failed.outcome = "failed";
  failed.detail = "green_verify_failed";
  failed.duration_ms = 800;
  view.on_event(failed);
  auto done
    = stage(progress_kind::task_finished, 3, "worker_1", "CALC-1", "", 0);
  done.outcome = "complete";
  done.tasks_complete = 1;
  view.on_event(done);
  auto merged = event(progress_kind::merged, 3);
  merged.task = "CALC-1";
  merged.detail = "abc1234";
  view.on_event(merged);
  auto paused = event(progress_kind::paused, 4);
  paused.detail = "usage limit until 23:00";
  view.on_event(paused);
  view.on_event(event(progress_kind::resumed, 5));
  auto halted = event(progress_kind::halted, 6);
  halted.detail = "invocation budget of 14 spent";
  view.on_event(halted);
  auto finished = event(progress_kind::run_finished, 100);
  finished.outcome = "complete";
  finished.tasks_complete = 5;
  finished.invocations = 14;
  finished.cost_micros = 140'000;
  view.on_event(finished);
  view.finish();
  CHECK(out.str()
        == "22:13:20 run started: 5 tasks, 2 workers, target main, agent "
           "claude\n"
           "22:13:21 worker_1 CALC-1 started at red\n"
           "22:13:21 worker_1 CALC-1 green #2 started\n"
           "22:13:22 worker_1 CALC-1 green #2 failed: green_verify_failed "
           "(800ms)\n"
           "22:13:23 worker_1 CALC-1 complete (1/5 complete, 0 blocked)\n"
           "22:13:23 CALC-1 merged into target (abc1234)\n"
           "22:13:24 dispatch paused: usage limit until 23:00\n"
           "22:13:25 dispatch resumed\n"
           "22:13:26 halted: invocation budget of 14 spent (no new agent "
           "calls; running stages finish)\n"
           "22:15:00 run finished: complete, 5/5 complete, 0 blocked, 14 "
           "agent calls, $0.14\n");
}

TEST_CASE("progress plain lines: text escaped and outcomes coloured") {
  use_utc();
  auto e
    = stage(progress_kind::task_finished, 0, "worker_2", "K\x1b[2J", "", 0);
  e.outcome = "blocked";
  e.detail = "merge_conflict\nnext";
  const auto line = cli::progress_line(e, true);
  CHECK(line
        == "22:13:20 worker_2 K\\x1b[2J \x1b[31mblocked\x1b[0m: "
           "merge_conflict\\nnext (0/5 complete, 0 blocked)");
  CHECK(cli::progress_line(e, false).find('\x1b') == std::string::npos);
  e.outcome = "complete";
  CHECK(has(cli::progress_line(e, true), "\x1b[32mcomplete\x1b[0m"));
  auto p = event(progress_kind::paused, 0);
  CHECK(has(cli::progress_line(p, true), "\x1b[33mpaused\x1b[0m"));
}

TEST_CASE("progress live: a block of worker lines redrawn in place") {
  use_utc();
  std::ostringstream out;
  cli::progress_view view{out, true, false};
  view.on_event(
    stage(progress_kind::stage_started, 0, "worker_2", "CALC-3", "green", 1));
  view.on_event(
    stage(progress_kind::stage_started, 1, "worker_1", "CALC-1", "red", 1));
  out.str("");
  view.refresh(at(13));
  const auto redraw = out.str();
  INFO(redraw);
  // Up over the 3 lines drawn (2 workers, totals), clear, reprint.
  CHECK(redraw.rfind("\x1b[3A\r\x1b[J", 0) == 0);
  CHECK(has(redraw, "worker_1  CALC-1  red #1  0:12\n"
                    "worker_2  CALC-3  green #1  0:13\n"
                    "0/5 complete, 0 blocked, 0 agent calls, $0.00\n"));
}

TEST_CASE("progress live: milestones print above the block") {
  use_utc();
  std::ostringstream out;
  cli::progress_view view{out, true, true};
  view.on_event(
    stage(progress_kind::stage_started, 0, "worker_1", "CALC-1", "green", 1));
  auto f
    = stage(progress_kind::stage_finished, 5, "worker_1", "CALC-1", "green", 1);
  f.outcome = "passed";
  view.on_event(f);
  CHECK(!has(out.str(), "passed")); // not a milestone: block only
  out.str("");
  auto done
    = stage(progress_kind::task_finished, 9, "worker_1", "CALC-1", "", 0);
  done.outcome = "complete";
  done.tasks_complete = 1;
  done.invocations = 3;
  done.cost_micros = 70'000;
  view.on_event(done);
  const auto text = out.str();
  INFO(text);
  CHECK(text
        == "\x1b[2A\r\x1b[J"
           "22:13:29 worker_1 CALC-1 \x1b[32mcomplete\x1b[0m (1/5 complete, 0 "
           "blocked)\n"
           "worker_1  idle\n"
           "1/5 complete, 0 blocked, 3 agent calls, $0.07\n");
  auto paused = event(progress_kind::paused, 10);
  paused.detail = "usage limit";
  view.on_event(paused);
  CHECK(has(out.str(), "$0.00, paused: usage limit\n"));
  out.str("");
  view.finish();
  CHECK(out.str().rfind("\x1b[2A\r\x1b[J", 0) == 0);
  out.str("");
  view.refresh(at(20)); // finished: nothing moves any more
  CHECK(out.str().empty());
}

TEST_CASE("progress live: workers sorted naturally and lines cut to width") {
  use_utc();
  std::ostringstream out;
  cli::progress_view view{out, true, false, 20};
  view.on_event(stage(progress_kind::stage_started, 0, "worker_10",
                      "A-VERY-LONG-TASK-KEY", "refactor", 1));
  view.on_event(
    stage(progress_kind::stage_started, 0, "worker_2", "B", "red", 1));
  const auto text = out.str();
  INFO(text);
  const auto last = text.substr(text.rfind("\x1b[J") + 3);
  CHECK(last.rfind("worker_2   B", 0) == 0);
  CHECK(has(last, "\nworker_10  A-VERY-L\n"));
  CHECK(count(last, "\n") == 3);
}
