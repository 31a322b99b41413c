// The steps of one stage attempt: agent call, check, WIP commit, verdict.

#include "exec/stage_runner_steps.hpp"

#include "core/prompt.hpp"
#include "exec/cancellation.hpp"

#include <cstdio>
#include <fstream>

namespace tdd::exec::detail {

namespace {

/// A file in the worktree's git directory that lives as long as this
/// object: the agent's prompt or failure output, never inside the tree.
class scratch_file {
public:
  scratch_file() = default;
  scratch_file(const scratch_file&) = delete;
  scratch_file& operator=(const scratch_file&) = delete;
  ~scratch_file() {
    if (!path_.empty()) {
      std::remove(path_.c_str());
    }
  }

  /// Writes `text` to `path`; false if it could not be written whole.
  bool write(std::string path, const std::string& text) {
    path_ = std::move(path);
    std::ofstream out{path_, std::ios::binary | std::ios::trunc};
    out << text;
    out.close();
    return static_cast<bool>(out);
  }

  const std::string& path() const { return path_; }

private:
  std::string path_;
};

std::string without_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

/// The agent's command for `req`, its output appended to the attempt's log.
command_spec agent_spec_for(const stage_request& req, const std::string& prompt,
                            const std::string& prompt_path,
                            const std::string& failure_path) {
  agent_call call;
  call.stage = core::to_string(req.stage);
  call.task_key = req.task.key;
  call.attempt = req.attempt;
  call.worktree = req.worktree;
  call.prompt_file = prompt_path;
  call.failure_file = failure_path;
  call.test_file = req.task.test_file;
  call.impl_file = req.task.impl_file;
  call.complexity = req.task.complexity;
  auto spec = agent_command(req.agent, call, prompt, req.timeout);
  spec.log_path = req.log_path;
  spec.kill_grace = req.kill_grace;
  spec.cancel = req.cancel;
  return spec;
}

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string(
           std::chrono::duration_cast<std::chrono::seconds>(d).count())
         + " s";
}

} // namespace

stage_run::stage_run(const stage_request& req) : req_(req) {}

bool stage_run::is_cancelled() const {
  return req_.cancel && req_.cancel->is_cancelled();
}

void stage_run::log(const std::string& line) const {
  append_log(req_.log_path, line + "\n");
}

bool stage_run::begin() {
  if (is_cancelled()) {
    stop();
    return false;
  }
  const auto head = git::resolve_commit(req_.worktree, "HEAD");
  if (!git_ok(head)) {
    return false;
  }
  start_ = head.value;
  const auto chain = read_wip_chain(req_.worktree, req_.task.key, start_);
  if (!git_ok(chain)) {
    return false;
  }
  base_ = chain.value.base;
  task_committed_ = chain.value.is_task_commit;
  return true;
}

bool stage_run::call_agent() {
  const auto stage = core::to_string(req_.stage);
  log("== agent " + stage + " attempt " + std::to_string(req_.attempt) + " ==");
  const auto git_dir
    = git::run(req_.worktree, {"rev-parse", "--absolute-git-dir"});
  if (!git_ok(git_dir)) {
    return false;
  }
  const auto dir = without_newlines(git_dir.value);
  const auto prompt
    = core::build_prompt(req_.task, stage, req_.attempt, req_.failure_output);
  scratch_file prompt_file;
  scratch_file failure_file;
  if (!prompt_file.write(dir + "/tdd-prompt.txt", prompt)
      || (req_.stage == core::stage::fix
          && !failure_file.write(dir + "/tdd-failure.txt",
                                 req_.failure_output))) {
    fail(core::reason::io_error, core::failure_kind::worker,
         "cannot write the agent's input files in " + dir);
    return false;
  }
  const auto result = run_command(
    agent_spec_for(req_, prompt, prompt_file.path(), failure_file.path()));
  out_.duration += result.duration;
  out_.agent = interpret(req_.agent, result);
  if (result.cancelled || is_cancelled()) {
    stop();
    return false;
  }
  return out_.agent->status == agent_report::outcome::done
         || agent_failed(result, *out_.agent);
}

bool stage_run::agent_failed(const command_result& result,
                             const agent_report& report) {
  out_.fatal = report.fatal;
  if (report.status == agent_report::outcome::usage_limit) {
    out_.usage_limit = true;
    out_.retry_after = report.retry_after;
    fail(core::reason::usage_limit, core::failure_kind::usage_limit,
         report.message);
    return false;
  }
  constexpr int signal_base = 128;
  auto reason = core::reason::agent_error;
  if (result.timed_out) {
    reason = core::reason::agent_timeout;
  } else if (!result.spawn_failed && result.exit_code > signal_base) {
    reason = core::reason::agent_killed;
  }
  fail(reason, core::failure_kind::worker, report.message);
  return false;
}

bool stage_run::run_check(bool full_suite, const std::string& clean_to) {
  if (is_cancelled()) {
    stop();
    return false;
  }
  const auto& task = req_.task;
  const auto& raw
    = full_suite && !task.verify_all.empty() ? task.verify_all : task.verify;
  const auto command = core::expand_placeholders(raw, task);
  log(full_suite ? "== verify_all ==" : "== verify ==");
  log("$ " + command);
  command_spec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.cwd = req_.worktree;
  spec.timeout = req_.timeout;
  spec.kill_grace = req_.kill_grace;
  spec.log_path = req_.log_path;
  spec.cancel = req_.cancel;
  out_.verify = run_command(spec);
  out_.verify_ran = true;
  out_.duration += out_.verify.duration;
  log("== " + verify_summary() + " ==");
  if (out_.verify.cancelled || is_cancelled()) {
    stop();
    return false;
  }
  if (out_.verify.spawn_failed) {
    fail(core::reason::verify_not_started, core::failure_kind::worker,
         "verify could not start: " + out_.verify.error);
    return false;
  }
  if (!restore(clean_to)) {
    fail(core::reason::git_error, core::failure_kind::worker, out_.message);
    return false;
  }
  return true;
}

std::string stage_run::commit_work() {
  const auto wip = commit_wip(req_.worktree, req_.task.key,
                              core::to_string(req_.stage), req_.attempt, base_);
  if (!git_ok(wip)) {
    return {};
  }
  log("== work in progress committed: " + wip.value + " ==");
  return wip.value;
}

git::result<bool> stage_run::test_file_intact() const {
  const auto& path = req_.task.test_file;
  git::result<std::string> expected;
  expected.value = req_.red_commit_blob;
  if (expected.value.empty()) {
    expected = git::file_blob(req_.worktree, start_, path);
  }
  const auto now = git::worktree_file_blob(req_.worktree, path);
  git::result<bool> out;
  out.error = !expected ? expected.error : now.error;
  out.value = out.ok() && now.value == expected.value;
  return out;
}

void stage_run::judge(const core::stage_verdict& verdict,
                      const std::string& work, const std::string& detail) {
  out_.verdict = verdict;
  if (!verdict.passed || verdict.restore_tree) {
    out_.message = std::string{verdict.reason} + ": "
                   + (detail.empty() ? verify_summary() : detail);
  }
  if (verdict.passed && !verdict.restore_tree) {
    out_.head_commit = work;
    return;
  }
  const auto& target = verdict.restore_tree && !req_.restore_commit.empty()
                         ? req_.restore_commit
                         : start_;
  log("== worktree reset to " + target + " ==");
  if (!restore(target)) {
    // Not even a reverted refactor passes then: the tree may still hold
    // work that failed verify_all.
    out_.verdict = {false, core::reason::git_error, core::failure_kind::worker,
                    false, false};
  }
}

void stage_run::fail(std::string_view reason, core::failure_kind kind,
                     std::string message) {
  out_.verdict = core::stage_verdict{false, reason, kind, false, false};
  out_.message = std::move(message);
  restore(start_);
}

void stage_run::stop() {
  out_.cancelled = true;
  out_.verdict = {};
  out_.message = "cancelled";
  restore(start_);
}

// Leaves the verdict alone: a failure stays what it was (with `head_commit`
// empty and the git error in the message), a cancelled attempt stays
// uncounted.
bool stage_run::restore(const std::string& rev) {
  if (rev.empty()) {
    return false;
  }
  const auto reset = git::reset_hard(req_.worktree, rev);
  if (!reset) {
    // The tree is in an unknown state: no head the caller could record.
    out_.head_commit.clear();
    out_.message += (out_.message.empty() ? "" : "; ") + reset.error;
    log("== reset to " + rev + " failed: " + reset.error + " ==");
    return false;
  }
  out_.head_commit = rev;
  return true;
}

std::string stage_run::verify_summary() const {
  if (!out_.verify_ran) {
    return "verify did not run";
  }
  const auto& v = out_.verify;
  if (v.timed_out) {
    return "verify timed out after " + seconds_text(v.duration)
           + " and was killed";
  }
  if (v.cancelled) {
    return "verify was cancelled";
  }
  if (v.spawn_failed) {
    return "verify could not start: " + v.error;
  }
  return "verify exited with status " + std::to_string(v.exit_code);
}

stage_outcome stage_run::finish() {
  const auto& v = out_.verdict;
  if (!v.passed) {
    out_.test_blob.clear(); // reset away with the rest of the attempt
  }
  std::string result = "passed";
  if (out_.cancelled) {
    result = "cancelled";
  } else if (!v.passed) {
    result = "failed: " + std::string{v.reason} + " ("
             + (v.kind ? core::to_string(*v.kind) : std::string{"?"}) + ")";
  } else if (!v.reason.empty()) {
    result = "passed: " + std::string{v.reason};
  }
  log("== result: " + result + " ==");
  if (!out_.message.empty()) {
    log(out_.message);
  }
  return std::move(out_);
}

} // namespace tdd::exec::detail
