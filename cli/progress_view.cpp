#include "cli/progress_view.hpp"

#include "cli/output.hpp"
#include "cli/task_view.hpp"
#include "core/budget.hpp"
#include "messages/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <ostream>

namespace tdd::cli {

namespace {

const char* color_code(const std::string& word) {
  if (word == "passed" || word == "complete") {
    return "\x1b[32m"; // green
  }
  if (word == "failed" || word == "error" || word == "timeout"
      || word == "blocked" || word == "halted" || word == "interrupted"
      || word == "crashed") {
    return "\x1b[31m"; // red
  }
  if (word == "paused" || word == "pending" || word == "reverted") {
    return "\x1b[33m"; // yellow
  }
  return nullptr;
}

/// printable(word), painted by its meaning when `color`.
std::string paint(const std::string& word, bool color) {
  const char* code = color ? color_code(word) : nullptr;
  auto text = printable(word);
  return code == nullptr ? text : code + text + "\x1b[0m";
}

/// " reason", " (850ms)": optional parts of a line.
std::string reason_part(const std::string& detail) {
  return detail.empty() ? "" : ": " + printable(detail);
}

std::string duration_part(int64_t ms) {
  return ms > 0 ? " (" + format_duration_ms(ms) + ")" : "";
}

std::string stage_text(const std::string& stage, int32_t attempt) {
  auto text = printable(stage);
  if (attempt > 0) {
    text += " #" + std::to_string(attempt);
  }
  return text;
}

std::string totals_text(int32_t total, int32_t complete, int32_t blocked,
                        int64_t invocations, int64_t cost_micros) {
  return std::to_string(complete) + "/" + std::to_string(total) + " complete, "
         + std::to_string(blocked) + " blocked, " + std::to_string(invocations)
         + " agent call" + (invocations == 1 ? "" : "s") + ", "
         + core::format_dollars(cost_micros);
}

/// "0:12", "12:03", "1:02:03".
std::string elapsed_text(caf::timestamp since, caf::timestamp now) {
  using namespace std::chrono;
  const auto s
    = std::max<int64_t>(0, duration_cast<seconds>(now - since).count());
  char buf[48];
  if (s >= 3600) {
    std::snprintf(
      buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
      static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld",
                  static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

/// Cuts printable text to fit a terminal of `columns` (0: no limit),
/// leaving the last column free so the line never wraps.
std::string fit(const std::string& line, size_t columns) {
  if (columns == 0 || display_width(line) < columns) {
    return line;
  }
  const size_t limit = columns - 1;
  size_t kept = 0;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80
        && ++kept > limit) {
      break;
    }
  }
  return line.substr(0, i);
}

/// worker_2 before worker_10: by the text before the trailing digits, then
/// by their number.
bool natural_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    size_t i = s.size();
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') {
      --i;
    }
    const auto digits = s.substr(i);
    return std::make_pair(s.substr(0, i),
                          digits.size() > 18 ? 0 : std::atoll(digits.c_str()));
  };
  const auto x = split(a);
  const auto y = split(b);
  return x != y ? x < y : a < b;
}

std::string pad(const std::string& text, size_t width) {
  const size_t w = display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

} // namespace

std::string format_clock(caf::timestamp t) {
  const auto tt = std::chrono::system_clock::to_time_t(
    std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm local{};
  localtime_r(&tt, &local);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%H:%M:%S", &local);
  return buf;
}

std::string progress_line(const progress_event& e, bool color) {
  std::string line = format_clock(e.at) + " ";
  if (!e.worker.empty() && e.kind != progress_kind::run_started
      && e.kind != progress_kind::run_finished) {
    line += printable(e.worker) + " ";
  }
  const auto task = printable(e.task);
  switch (e.kind) {
  case progress_kind::run_started:
    return line + "run started" + reason_part(e.detail);
  case progress_kind::task_started:
    return line + task + " started"
           + (e.stage.empty() ? "" : " at " + printable(e.stage));
  case progress_kind::stage_started:
    return line + task + " " + stage_text(e.stage, e.attempt) + " started";
  case progress_kind::stage_finished:
    return line + task + " " + stage_text(e.stage, e.attempt) + " "
           + paint(e.outcome, color) + reason_part(e.detail)
           + duration_part(e.duration_ms);
  case progress_kind::task_finished:
    return line + task + " " + paint(e.outcome, color) + reason_part(e.detail)
           + (e.tasks_total > 0
                ? " (" + std::to_string(e.tasks_complete) + "/"
                    + std::to_string(e.tasks_total) + " complete, "
                    + std::to_string(e.tasks_blocked) + " blocked)"
                : "");
  case progress_kind::merged:
    return line + task + " merged into target"
           + (e.detail.empty() ? "" : " (" + printable(e.detail) + ")");
  case progress_kind::paused:
    return line + "dispatch " + paint("paused", color) + reason_part(e.detail);
  case progress_kind::resumed:
    return line + "dispatch resumed";
  case progress_kind::halted:
    return line + paint("halted", color) + reason_part(e.detail)
           + " (no new agent calls; running stages finish)";
  case progress_kind::worker_lost:
    if (e.worker.find('.') != std::string::npos) { // <node>.worker_N
      return line + paint("lost", color) + " with its node while on " + task
             + "; the task goes back to pending";
    }
    return line + paint("crashed", color) + " while on " + task
           + "; the task goes back to pending and the worker restarts";
  case progress_kind::node:
    return line + "node " + paint(e.outcome, color) + reason_part(e.detail);
  case progress_kind::run_finished:
    return line + "run finished: " + paint(e.outcome, color) + ", "
           + totals_text(e.tasks_total, e.tasks_complete, e.tasks_blocked,
                         e.invocations, e.cost_micros);
  }
  return line + printable(to_string(e.kind));
}

bool is_milestone(progress_kind kind) {
  switch (kind) {
  case progress_kind::run_started:
  case progress_kind::task_finished:
  case progress_kind::merged:
  case progress_kind::paused:
  case progress_kind::resumed:
  case progress_kind::halted:
  case progress_kind::run_finished:
  case progress_kind::worker_lost:
  case progress_kind::node:
    return true;
  case progress_kind::task_started:
  case progress_kind::stage_started:
  case progress_kind::stage_finished:
    return false;
  }
  return false;
}

progress_view::progress_view(std::ostream& out, bool live, bool color,
                             size_t columns)
    : out_(out), live_(live), color_(color), columns_(columns) {
  // Nothing else: the block appears with the first event.
}

void progress_view::on_event(const progress_event& e) {
  update(e);
  if (!live_) {
    out_ << progress_line(e, color_) << '\n' << std::flush;
    return;
  }
  now_ = std::max(now_, e.at);
  std::string text;
  if (is_milestone(e.kind)) {
    text = erase_block() + progress_line(e, color_) + '\n';
  }
  text += draw_block();
  out_ << text << std::flush;
}

void progress_view::refresh(caf::timestamp now) {
  if (!live_ || drawn_ == 0) {
    return;
  }
  now_ = std::max(now_, now);
  out_ << draw_block() << std::flush;
}

void progress_view::finish() {
  if (live_ && drawn_ > 0) {
    out_ << draw_block() << std::flush;
  }
  live_ = false;
  drawn_ = 0;
}

progress_view::worker_state& progress_view::worker(const std::string& id) {
  auto pos = std::find_if(workers_.begin(), workers_.end(),
                          [&id](const auto& w) { return w.id == id; });
  if (pos == workers_.end()) {
    pos = std::find_if(workers_.begin(), workers_.end(),
                       [&id](const auto& w) { return natural_less(id, w.id); });
    pos = workers_.insert(pos, worker_state{id, {}, {}, 0, {}});
  }
  return *pos;
}

progress_view::worker_state*
progress_view::worker_with_task(const std::string& task) {
  auto pos = std::find_if(workers_.begin(), workers_.end(),
                          [&task](const auto& w) { return w.task == task; });
  return pos == workers_.end() ? nullptr : &*pos;
}

void progress_view::update(const progress_event& e) {
  if (e.tasks_total > 0) { // events that carry no totals leave them be
    have_totals_ = true;
    total_ = e.tasks_total;
    complete_ = e.tasks_complete;
    blocked_ = e.tasks_blocked;
    invocations_ = e.invocations;
    cost_micros_ = e.cost_micros;
  }
  switch (e.kind) {
  case progress_kind::task_started:
  case progress_kind::stage_started:
    if (!e.worker.empty()) {
      auto& w = worker(e.worker);
      w.task = e.task;
      w.stage = e.stage;
      w.attempt = e.attempt;
      w.since = e.at;
    }
    break;
  case progress_kind::task_finished:
  case progress_kind::worker_lost: {
    auto* w = e.worker.empty() ? worker_with_task(e.task) : &worker(e.worker);
    if (w != nullptr) {
      *w = worker_state{w->id, {}, {}, 0, {}};
    }
    break;
  }
  case progress_kind::paused:
    state_ = "paused" + reason_part(e.detail);
    break;
  case progress_kind::resumed:
    state_.clear();
    break;
  case progress_kind::halted:
    state_ = "halted" + reason_part(e.detail);
    break;
  case progress_kind::run_started:
  case progress_kind::stage_finished:
  case progress_kind::merged:
  case progress_kind::run_finished:
  case progress_kind::node:
    break;
  }
}

std::vector<std::string> progress_view::block_lines() const {
  std::vector<std::string> lines;
  size_t id_width = 0;
  size_t task_width = 0;
  for (const auto& w : workers_) {
    id_width = std::max(id_width, display_width(printable(w.id)));
    task_width = std::max(task_width, display_width(printable(w.task)));
  }
  for (const auto& w : workers_) {
    auto line = pad(printable(w.id), id_width) + "  ";
    if (w.task.empty()) {
      line += "idle";
    } else {
      line += pad(printable(w.task), task_width) + "  "
              + stage_text(w.stage, w.attempt) + "  "
              + elapsed_text(w.since, now_);
    }
    lines.push_back(fit(line, columns_));
  }
  if (have_totals_) {
    auto line
      = totals_text(total_, complete_, blocked_, invocations_, cost_micros_);
    if (!state_.empty()) {
      line += ", " + state_;
    }
    lines.push_back(fit(line, columns_));
  }
  return lines;
}

std::string progress_view::erase_block() {
  std::string text;
  if (drawn_ > 0) {
    text = "\x1b[" + std::to_string(drawn_) + "A\r\x1b[J";
  }
  drawn_ = 0;
  return text;
}

std::string progress_view::draw_block() {
  auto text = erase_block();
  const auto lines = block_lines();
  for (const auto& line : lines) {
    text += line + '\n';
  }
  drawn_ = lines.size();
  return text;
}

} // namespace tdd::cli
