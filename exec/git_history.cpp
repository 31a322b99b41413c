// Commits, trailers, rebases, merges and moving a branch forward.

#include "core/task.hpp"
#include "exec/git.hpp"
#include "exec/git_internal.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

namespace tdd::exec::git {

using internal::call;
using internal::failure;
using internal::success;
using internal::trim_newlines;
using internal::writer_args;

namespace {

result<> done(const internal::call_result& r) {
  if (!r.error.empty()) {
    return failure<std::monostate>(r.error);
  }
  return {};
}

bool is_option_like(const std::string& x) {
  return !x.empty() && x.front() == '-';
}

/// Runs a writing command (commit, rebase, merge) with our identity
/// fallback and deterministic settings.
internal::call_result write(const std::string& dir,
                            std::vector<std::string> args,
                            const std::string& input = {}) {
  auto full = writer_args(dir, std::move(args));
  if (!full) {
    internal::call_result r;
    r.error = full.error;
    return r;
  }
  return call(dir, full.value, input);
}

/// After a failed rebase or merge: if it stopped on conflicts, records the
/// paths and aborts it; otherwise reports the original failure.
result<conflict_report> settle_conflict(const std::string& dir,
                                        const internal::call_result& failed,
                                        const std::string& abort_command) {
  const auto paths = conflicting_paths(dir);
  const bool stopped = paths && !paths.value.empty();
  const auto aborted = abort_in_progress(dir);
  if (!stopped) {
    // Not a conflict (a dirty tree, a file in the way): already aborted.
    return failure<conflict_report>(failed.error);
  }
  if (!aborted) {
    return failure<conflict_report>(abort_command
                                    + " --abort failed: " + aborted.error);
  }
  return success(conflict_report{true, paths.value});
}

} // namespace

std::string one_line(const std::string& title) {
  std::string line;
  line.reserve(title.size());
  bool in_break = false;
  for (const char c : title) {
    const bool is_break = c == '\n' || c == '\r';
    if (is_break && !in_break) {
      line += ' ';
    } else if (!is_break) {
      line += c;
    }
    in_break = is_break;
  }
  return line;
}

std::string task_commit_message(const std::string& subject,
                                const std::string& body,
                                const std::string& key) {
  auto message = one_line(subject) + "\n\n";
  const auto text = trim_newlines(body);
  if (!text.empty()) {
    message += text + "\n\n";
  }
  // The last paragraph holds only our trailer, so nothing in the body can
  // add to or fake the trailer block (git reads only the last paragraph).
  return message + task_trailer + ": " + key + "\n";
}

result<std::string> commit_all(const std::string& dir,
                               const std::string& subject,
                               const std::string& body,
                               const std::string& key) {
  if (!core::is_valid_task_key(key)) {
    return failure<std::string>("invalid task key: " + core::quote(key));
  }
  if (const auto add = call(dir, {"add", "--all"}); !add.error.empty()) {
    return failure<std::string>(add.error);
  }
  const auto staged = call(dir, {"diff", "--cached", "--quiet"});
  if (staged.ran && staged.exit_code == 0) {
    return failure<std::string>("nothing to commit in " + dir);
  }
  // -F - with verbatim cleanup: the message is stdin bytes, never argv
  // text a shell could see, and lines starting with '#' are kept.
  const auto commit
    = write(dir, {"commit", "--quiet", "--cleanup=verbatim", "-F", "-"},
            task_commit_message(subject, body, key));
  if (!commit.error.empty()) {
    return failure<std::string>(commit.error);
  }
  return resolve_commit(dir, "HEAD");
}

result<bool> has_task_trailer(const std::string& dir, const std::string& rev,
                              const std::string& key) {
  if (!core::is_valid_task_key(key)) {
    return failure<bool>("invalid task key: " + core::quote(key));
  }
  if (rev.empty() || is_option_like(rev)) {
    return failure<bool>("not a revision: \"" + rev + "\"");
  }
  // --grep narrows the walk to messages holding the key; the trailer
  // values then decide exactly (KEY-1 must not match KEY-10).
  const auto r = run(dir, {"log", "--fixed-strings", "--grep=" + key,
                           std::string{"--format=%(trailers:key="}
                             + task_trailer + ",valueonly,separator=%x01)",
                           rev, "--"});
  if (!r) {
    return failure<bool>(r.error);
  }
  for (const auto& line : internal::split(r.value, '\n')) {
    for (auto value : internal::split(line, '\x01')) {
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.pop_back();
      }
      if (value == key) {
        return success(true);
      }
    }
  }
  return success(false);
}

result<conflict_report> rebase(const std::string& dir,
                               const std::string& onto) {
  if (onto.empty() || is_option_like(onto)) {
    return failure<conflict_report>("not a revision: \"" + onto + "\"");
  }
  const auto r = write(dir, {"rebase", "--quiet", onto});
  if (r.error.empty()) {
    return success(conflict_report{});
  }
  return settle_conflict(dir, r, "rebase");
}

result<conflict_report> merge_no_ff(const std::string& dir,
                                    const std::string& rev,
                                    const std::string& subject) {
  if (rev.empty() || is_option_like(rev)) {
    return failure<conflict_report>("not a revision: \"" + rev + "\"");
  }
  const auto r
    = write(dir, {"merge", "--quiet", "--no-ff", "--no-edit", "--no-log",
                  "--cleanup=verbatim", "-m", one_line(subject), rev});
  if (r.error.empty()) {
    return success(conflict_report{});
  }
  return settle_conflict(dir, r, "merge");
}

result<std::string> merge_descendant(const std::string& dir,
                                     const std::string& base,
                                     const std::string& tip,
                                     const std::string& subject) {
  const auto descends = is_ancestor(dir, base, tip);
  if (!descends) {
    return failure<std::string>(descends.error);
  }
  if (!descends.value) {
    return failure<std::string>(tip + " does not descend from " + base);
  }
  // tip contains base, so a real merge would produce tip's tree as is:
  // write that commit directly, with no work tree involved.
  const auto r = write(
    dir, {"commit-tree", tip + "^{tree}", "-p", base, "-p", tip, "-F", "-"},
    one_line(subject) + "\n");
  if (!r.error.empty()) {
    return failure<std::string>(r.error);
  }
  return success(trim_newlines(r.output));
}

result<> fast_forward(const std::string& dir, const std::string& rev) {
  if (rev.empty() || is_option_like(rev)) {
    return failure<std::monostate>("not a revision: \"" + rev + "\"");
  }
  return done(write(dir, {"merge", "--quiet", "--ff-only", rev}));
}

result<advance_outcome> advance_branch(const std::string& dir,
                                       const std::string& branch,
                                       const std::string& old_commit,
                                       const std::string& new_commit) {
  const auto holder = worktree_of_branch(dir, branch);
  if (!holder) {
    return failure<advance_outcome>(holder.error);
  }
  if (!holder.value) {
    auto moved
      = update_ref(dir, "refs/heads/" + branch, new_commit, old_commit);
    if (!moved) {
      return failure<advance_outcome>(moved.error);
    }
    return success(advance_outcome::advanced);
  }
  const auto& tree = *holder.value;
  const auto clean = is_clean(tree);
  if (!clean) {
    return failure<advance_outcome>(clean.error);
  }
  if (!clean.value) {
    return success(advance_outcome::tree_dirty);
  }
  const auto head = resolve_commit(tree, "HEAD");
  if (!head) {
    return failure<advance_outcome>(head.error);
  }
  if (head.value != old_commit) {
    return failure<advance_outcome>(branch + " moved to " + head.value
                                    + ", expected " + old_commit);
  }
  // merge --ff-only moves ref, index and files together, and refuses
  // (changing nothing) if an untracked file is in the way.
  const auto ff = fast_forward(tree, new_commit);
  if (ff) {
    return success(advance_outcome::advanced);
  }
  if (ff.error.find("would be overwritten") != std::string::npos) {
    return success(advance_outcome::tree_dirty);
  }
  return failure<advance_outcome>(ff.error);
}

} // namespace tdd::exec::git
