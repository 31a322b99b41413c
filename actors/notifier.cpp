#include "actors/notifier.hpp"

#include "core/circuit.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <utility>

namespace tdd {

namespace {

using self_pointer = notifier_actor::stateful_pointer<notifier_state>;
using core::notify_event;
using time_point = caf::actor_clock::time_point;

caf::timestamp wall_now(self_pointer self) {
  return caf::timestamp{self->state.clock.wall_at(self->clock().now())};
}

// -- records ------------------------------------------------------------------

/// Ends one notification: to the store, the recent records and, when it
/// failed, one warn line naming event and subject (never the webhook).
void record(self_pointer self, const slack_notification& note,
            const std::string& payload, const std::string& outcome,
            int32_t tries, const std::string& error) {
  auto& st = self->state;
  notification_record r;
  r.run_id = st.config.run_id;
  r.event = core::to_string(note.event);
  r.subject = note.subject;
  r.outcome = outcome;
  r.tries = tries;
  r.error = error;
  r.payload = payload;
  r.at = wall_now(self);
  if (outcome == "failed") {
    core::log_line("warn", self->name(), self->id(), "notification_failed",
                   {{"notification", r.event},
                    {"subject", r.subject},
                    {"tries", std::to_string(tries)},
                    {"error", error}});
  }
  if (st.config.store) {
    self->send(st.config.store, atom::notify_v, r);
  }
  st.recent.push_back(std::move(r));
  if (st.recent.size() > notifier_recent_records) {
    st.recent.pop_front();
  }
}

/// Everything still queued is given up: the deadline leaves no time.
void give_up_all(self_pointer self) {
  auto& st = self->state;
  while (!st.queue.empty()) {
    const auto& head = st.queue.front();
    record(self, head.note, head.payload, "failed", head.tries, "shutdown");
    st.gave_up = true;
    st.queue.pop_front();
  }
}

void finish_stop(self_pointer self) {
  auto& st = self->state;
  st.stopped = true;
  for (auto& promise : st.stop_waiters) {
    promise.deliver(!st.gave_up);
  }
  st.stop_waiters.clear();
}

// -- sending ------------------------------------------------------------------

/// When the head of the queue may start: its own wait, then the pacing.
time_point head_start(const notifier_state& st) {
  return st.pacer.earliest(st.queue.front().not_before);
}

/// After `stop`: a try that starts at `at` might end after the deadline.
bool is_too_late(const notifier_state& st, time_point at) {
  return st.deadline && at + st.config.post_budget > *st.deadline;
}

/// One try of the head of the queue; it leaves the queue when it was
/// delivered or has no try left.
void post_head(self_pointer self) {
  auto& st = self->state;
  auto& head = st.queue.front();
  ++head.tries;
  const auto result = st.config.poster(head.payload);
  const auto end = self->clock().now(); // a real post takes real time
  st.pacer.note_request(end);
  if (core::is_delivered(result.status)) {
    record(self, head.note, head.payload, "sent", head.tries, "");
    st.queue.pop_front();
    return;
  }
  head.error = result.error.empty() ? "HTTP " + std::to_string(result.status)
                                    : result.error;
  const auto delay
    = core::retry_delay(head.tries, result.status, result.retry_after_s);
  if (!delay) {
    record(self, head.note, head.payload, "failed", head.tries, head.error);
    st.queue.pop_front();
    return;
  }
  head.not_before = end + *delay;
}

/// Makes sure a tick arrives at `wake`: one timer at a time, replaced only
/// by an earlier one.
void arm_timer(self_pointer self, time_point wake) {
  auto& st = self->state;
  if (st.timer_at && *st.timer_at <= wake) {
    return;
  }
  st.timer_at = wake;
  const auto now = self->clock().now();
  self->delayed_send(self, std::max(caf::timespan{0}, wake - now),
                     atom::tick_v);
}

void enqueue(self_pointer self, slack_notification note, std::string payload) {
  notifier_state::pending p;
  p.note = std::move(note);
  p.payload = std::move(payload);
  p.not_before = self->clock().now();
  self->state.queue.push_back(std::move(p));
}

/// The stage circuits gathered so far become one message, when their
/// window is over or the notifier stops.
void flush_batch(self_pointer self) {
  auto& st = self->state;
  const auto now = self->clock().now();
  if (!st.batch.due_at() || !(st.deadline || st.batch.is_due(now))) {
    return;
  }
  slack_notification note;
  note.event = notify_event::stage_circuits_opened;
  note.subject = "stage";
  note.run_id = st.config.run_id;
  note.circuits = st.batch.take();
  auto payload = slack_message(note);
  enqueue(self, std::move(note), std::move(payload));
}

/// What to do next without posting: answer `stop` when all is done, give
/// up what cannot make the deadline, or wait for the next due time.
void plan_next(self_pointer self) {
  auto& st = self->state;
  if (st.deadline && !st.queue.empty()
      && is_too_late(st, std::max(head_start(st), self->clock().now()))) {
    give_up_all(self);
  }
  if (st.deadline && st.queue.empty()) {
    finish_stop(self);
    return;
  }
  std::optional<time_point> wake = st.batch.due_at();
  if (!st.queue.empty()) {
    const auto at = head_start(st);
    wake = wake ? std::min(*wake, at) : at;
  }
  if (wake) {
    arm_timer(self, *wake);
  }
}

/// Sends what is due (one try at most: the pacing spaces the next one by a
/// second anyway, and the mailbox gets a turn in between), then plans.
void pump(self_pointer self) {
  auto& st = self->state;
  const auto now = self->clock().now();
  if (st.timer_at && *st.timer_at <= now) {
    st.timer_at.reset();
  }
  flush_batch(self);
  if (!st.queue.empty() && head_start(st) <= now && !is_too_late(st, now)) {
    post_head(self);
  }
  plan_next(self);
}

// -- inputs -------------------------------------------------------------------

/// A notification decided: given up after `stop`, throttled, or queued.
void submit(self_pointer self, slack_notification note) {
  auto& st = self->state;
  auto payload = slack_message(note);
  if (st.stopped) {
    st.gave_up = true;
    record(self, note, payload, "failed", 0, "shutdown");
    return;
  }
  if (!st.throttle.admit(note.event, note.subject, self->clock().now())) {
    record(self, note, payload, "throttled", 0, "");
    return;
  }
  if (st.queue.size() >= notifier_max_queue) {
    // Slack has been failing for a long while: memory stays bounded.
    record(self, note, payload, "failed", 0, "queue full");
    return;
  }
  enqueue(self, std::move(note), std::move(payload));
  pump(self);
}

slack_notification run_note(self_pointer self, notify_event event,
                            const progress_event& e) {
  slack_notification x;
  x.event = event;
  x.run_id = self->state.config.run_id;
  x.subject = "run:" + std::to_string(x.run_id);
  x.outcome = e.outcome;
  x.detail = e.detail;
  x.tasks_total = e.tasks_total;
  x.tasks_complete = e.tasks_complete;
  x.tasks_blocked = e.tasks_blocked;
  x.invocations = e.invocations;
  x.cost_micros = e.cost_micros;
  return x;
}

void on_progress(self_pointer self, const progress_event& e) {
  auto& st = self->state;
  switch (e.kind) {
  case progress_kind::run_started:
    st.run_started_at = e.at;
    submit(self, run_note(self, notify_event::run_started, e));
    return;
  case progress_kind::run_finished: {
    auto note = run_note(self, notify_event::run_finished, e);
    if (st.run_started_at) {
      note.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        e.at - *st.run_started_at);
    }
    submit(self, std::move(note));
    return;
  }
  case progress_kind::halted:
    // Other halts (an agent that cannot run, no worker left) show in the
    // run's finish message.
    if (e.outcome == "budget") {
      submit(self, run_note(self, notify_event::budget_exhausted, e));
    } else if (e.outcome == "system_circuit") {
      submit(self, run_note(self, notify_event::system_halt, e));
    }
    return;
  default:
    return;
  }
}

slack_notification circuit_note(self_pointer self, notify_event event,
                                const core::circuit_snapshot& s) {
  slack_notification x;
  x.event = event;
  x.subject = core::display_id(s.level, s.identifier);
  x.run_id = self->state.config.run_id;
  x.failures = std::max(s.failure_count, s.consecutive_failures);
  if (event == notify_event::flapping) {
    x.detail = "more than 5 state changes within 5 minutes";
  } else if (event == notify_event::circuit_opened
             && s.level == core::circuit_level::system) {
    x.detail = "too many workers failing: no new stage starts";
  }
  return x;
}

/// A stage circuit opened: throttled on its own, then gathered.
void stage_opened(self_pointer self, const core::circuit_snapshot& s) {
  auto& st = self->state;
  const auto note = circuit_note(self, notify_event::circuit_opened, s);
  const bool late = st.stopped;
  if (late
      || !st.throttle.admit(note.event, note.subject, self->clock().now())) {
    // Recorded with the message it would have been on its own.
    auto alone = note;
    alone.event = notify_event::stage_circuits_opened;
    alone.circuits = {note.subject};
    st.gave_up = st.gave_up || late;
    record(self, note, slack_message(alone), late ? "failed" : "throttled", 0,
           late ? "shutdown" : "");
    return;
  }
  st.batch.add(note.subject, self->clock().now());
  pump(self);
}

void on_change(self_pointer self, const circuit_change& x) {
  const auto& s = x.snapshot;
  for (const auto& ev : x.events) {
    if (ev.type == core::circuit_event_type::flapping_detected) {
      submit(self, circuit_note(self, notify_event::flapping, s));
      continue;
    }
    if (ev.type != core::circuit_event_type::state_change) {
      continue;
    }
    const bool is_stage = s.level == core::circuit_level::stage;
    if (ev.to == core::circuit_state::open) {
      if (is_stage) {
        stage_opened(self, s);
      } else {
        submit(self, circuit_note(self, notify_event::circuit_opened, s));
      }
    } else if (ev.to == core::circuit_state::closed
               && ev.from != core::circuit_state::closed && !is_stage) {
      submit(self, circuit_note(self, notify_event::circuit_recovered, s));
    }
  }
}

caf::result<bool> stop(self_pointer self) {
  auto& st = self->state;
  if (st.stopped) {
    return !st.gave_up;
  }
  if (!st.deadline) {
    st.deadline = self->clock().now() + st.config.stop_deadline;
  }
  auto promise = self->make_response_promise<bool>();
  st.stop_waiters.push_back(promise);
  pump(self);
  return promise;
}

} // namespace

notifier_actor::behavior_type notifier(self_pointer self,
                                       notifier_config config) {
  auto& st = self->state;
  if (!config.poster) {
    config.poster = [url = config.webhook,
                     timeouts = config.timeouts](const std::string& body) {
      return exec::http_post(url, body, timeouts);
    };
  }
  st.clock = wall_anchor{config.wall_start, self->clock().now()};
  st.throttle = core::notify_throttle{config.throttle};
  st.config = std::move(config);
  return {
    [self](atom::progress, const progress_event& e) { on_progress(self, e); },
    [self](atom::changed, const circuit_change& x) { on_change(self, x); },
    [self](atom::tick) { pump(self); },
    [self](atom::stop) { return stop(self); },
  };
}

} // namespace tdd
