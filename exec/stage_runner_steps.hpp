#pragma once

// Shared by exec/stage_runner*.cpp only: the steps every stage is built
// from (agent call, check, WIP commit, verdict), and the git helpers for
// work-in-progress commits.

#include "exec/git.hpp"
#include "exec/stage_runner.hpp"

#include <string>
#include <string_view>
#include <utility>

namespace tdd::exec::detail {

/// How far back `read_wip_chain` looks for the task's last WIP commit. A
/// stage adds one commit (plus whatever the agent committed itself).
inline constexpr int wip_search_depth = 1000;

/// What the first-parent history below a commit says about the task.
struct wip_chain {
  /// The commit the task started from: the `TDD-Base` of the nearest WIP
  /// commit of this task, or the commit itself when there is none.
  std::string base;
  /// The commit is the task commit already (`TDD-Task: KEY`, not WIP).
  bool is_task_commit = false;
};

/// Reads the WIP chain of task `key` below `head` in `dir`.
[[nodiscard]] git::result<wip_chain> read_wip_chain(const std::string& dir,
                                                    const std::string& key,
                                                    const std::string& head);

/// Stages everything and commits it as work in progress of `stage` (even
/// when nothing changed, so the chain always ends in a WIP commit); returns
/// the new commit.
[[nodiscard]] git::result<std::string>
commit_wip(const std::string& dir, const std::string& key,
           const std::string& stage, int attempt, const std::string& base);

/// Appends `text` to the log at `path` ("" = no log). Best effort: a log
/// that cannot be written must not fail the stage (run_command reports an
/// unwritable log itself).
void append_log(const std::string& path, const std::string& text);

/// One attempt in progress: the request, the outcome being filled in, and
/// the commit it started from. Every failing step sets the verdict, puts
/// the worktree back and returns false; the caller just returns.
class stage_run {
public:
  explicit stage_run(const stage_request& req);

  /// Checks for cancellation and reads HEAD and the WIP chain.
  bool begin();
  /// Writes the prompt (and failure) file, calls the agent and reads its
  /// result; true when the agent finished its work.
  bool call_agent();
  /// Runs verify (`full_suite`: verify_all), then resets the tree to
  /// `clean_to` so nothing the check wrote is committed later; true when
  /// the check ran to its end (passed, failed or timed out).
  bool run_check(bool full_suite, const std::string& clean_to);
  /// Commits the agent's work as WIP; "" on failure.
  std::string commit_work();
  /// Whether the test file is byte-identical to the end of red.
  git::result<bool> test_file_intact() const;

  /// Applies the stage rules' verdict: a pass records `work` as the head,
  /// a failure (or a restore) puts the tree back. `detail` explains a
  /// failure that no check output explains.
  void judge(const core::stage_verdict& verdict, const std::string& work,
             const std::string& detail = {});
  /// Ends the attempt with a failure no stage rule decided.
  void fail(std::string_view reason, core::failure_kind kind,
            std::string message);
  /// False (and a git_error failure) when `r` failed.
  template <class T> bool git_ok(const git::result<T>& r) {
    if (!r) {
      fail(core::reason::git_error, core::failure_kind::worker, r.error);
      return false;
    }
    return true;
  }

  void log(const std::string& line) const;
  /// Logs the result line and hands over the outcome.
  stage_outcome finish();

  const stage_request& request() const { return req_; }
  const std::string& start() const { return start_; }
  const std::string& base() const { return base_; }
  bool is_task_committed() const { return task_committed_; }
  const stage_outcome& outcome() const { return out_; }
  /// Records a test blob for red.
  void set_test_blob(std::string blob) { out_.test_blob = std::move(blob); }

private:
  bool is_cancelled() const;
  void stop();
  bool agent_failed(const command_result& result, const agent_report& report);
  bool restore(const std::string& rev);
  std::string verify_summary() const;

  const stage_request& req_;
  stage_outcome out_;
  std::string start_;
  std::string base_;
  bool task_committed_ = false;
};

} // namespace tdd::exec::detail
