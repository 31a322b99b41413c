#pragma once

// `run`'s progress view: renders the progress events of a run
// (messages/progress.hpp) as plain timestamped lines (not a TTY) or as a
// live block redrawn in place (TTY). No actors here: the caller feeds
// events and ticks.

#include <caf/timestamp.hpp>

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace tdd {
enum class progress_kind : uint8_t;
struct progress_event;
} // namespace tdd

namespace tdd::cli {

/// `t` as local wall-clock time, `HH:MM:SS` (the process's TZ).
std::string format_clock(caf::timestamp t);

/// The plain line for `e` without a newline, e.g. `19:40:01 worker_1
/// CALC-1 green #2 failed: green_verify_failed (850ms)`. Worker, task and
/// detail text go through printable(); `color` paints the outcome.
std::string progress_line(const progress_event& e, bool color);

/// Events a live view prints as permanent lines above its block:
/// run_started, task_finished, merged, paused, resumed, halted,
/// run_finished.
bool is_milestone(progress_kind kind);

class progress_view {
public:
  /// `live`: redraw a block in place with ANSI escapes (a TTY); otherwise
  /// one progress_line per event. `color`: ANSI colours (the caller
  /// decides, e.g. with use_color). `columns`: terminal width; block lines
  /// are cut to fit so redraws stay in place (0: never cut).
  progress_view(std::ostream& out, bool live, bool color, size_t columns = 0);

  /// Takes one event: prints its line (not live; or live for milestones,
  /// above the block) and updates the block.
  void on_event(const progress_event& e);

  /// Live: redraws the block with stage times as of `now`. Otherwise
  /// nothing.
  void refresh(caf::timestamp now);

  /// Live: draws the final block once and leaves the cursor below it;
  /// later events print plain lines. Call once, at the end of the run.
  void finish();

private:
  struct worker_state {
    std::string id;
    std::string task; ///< empty: idle
    std::string stage;
    int32_t attempt = 0;
    caf::timestamp since; ///< when the stage started
  };

  worker_state& worker(const std::string& id);
  worker_state* worker_with_task(const std::string& task);
  void update(const progress_event& e);
  std::vector<std::string> block_lines() const;
  std::string erase_block();
  std::string draw_block();

  std::ostream& out_;
  bool live_;
  bool color_;
  size_t columns_;
  std::vector<worker_state> workers_; ///< worker_2 before worker_10
  caf::timestamp now_{};
  bool have_totals_ = false;
  int32_t total_ = 0;
  int32_t complete_ = 0;
  int32_t blocked_ = 0;
  int64_t invocations_ = 0;
  int64_t cost_micros_ = 0;
  std::string state_; ///< "paused: ..." or "halted: ..."; empty: running
  size_t drawn_ = 0;  ///< lines of the block on screen
};

} // namespace tdd::cli
