#pragma once

// A typed wrapper over the git CLI. Every call is `git -C <dir> ...` run
// through exec::run_command: no shell, GIT_TERMINAL_PROMPT=0, LC_ALL=C,
// literal pathspecs, no optional locks (status never blocks the user's
// own git), and none of GIT_DIR & co. inherited. Blocking: call from a
// detached actor or a thread of its own.
//
// Failures carry git's output. run_command captures stdout and stderr as
// one stream, so `error` holds both (stderr is where git says why).

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tdd::exec::git {

/// `value` on success; otherwise `error` is non-empty: the command line's
/// subcommand, its exit status and git's output.
template <class T = std::monostate> struct result {
  T value{};
  std::string error;

  bool ok() const { return error.empty(); }
  explicit operator bool() const { return ok(); }
};

/// Commits get the identity git would use (GIT_AUTHOR_* / GIT_COMMITTER_*,
/// then user.name / user.email); where the repository's config has none,
/// this one, so commits work on machines without a git identity.
inline constexpr const char* fallback_name = "tdd-orchestrator";
inline constexpr const char* fallback_email = "tdd-orchestrator@localhost";

/// The trailer key of task commits: `TDD-Task: KEY`.
inline constexpr const char* task_trailer = "TDD-Task";

// -- plumbing and queries ---------------------------------------------------

/// Runs `git -C dir args...` with `input` on stdin; `value` is the output.
/// A non-zero exit is an error.
[[nodiscard]] result<std::string> run(const std::string& dir,
                                      const std::vector<std::string>& args,
                                      const std::string& input = {});

/// The top-level directory of the work tree containing `dir`.
[[nodiscard]] result<std::string> top_level(const std::string& dir);

/// The main work tree (the user's), also when `dir` is a linked worktree.
[[nodiscard]] result<std::string> main_worktree(const std::string& dir);

/// The branch checked out in `dir` without `refs/heads/`; "" if detached.
[[nodiscard]] result<std::string> current_branch(const std::string& dir);

/// The commit id `rev` names (a branch, tag, `HEAD`, an id).
[[nodiscard]] result<std::string> resolve_commit(const std::string& dir,
                                                 const std::string& rev);

[[nodiscard]] result<bool> branch_exists(const std::string& dir,
                                         const std::string& branch);

/// True if `ancestor` is `descendant` or one of its ancestors.
[[nodiscard]] result<bool> is_ancestor(const std::string& dir,
                                       const std::string& ancestor,
                                       const std::string& descendant);

[[nodiscard]] result<std::string>
merge_base(const std::string& dir, const std::string& a, const std::string& b);

/// True if tracked files, the index and HEAD agree (`status --porcelain
/// --untracked-files=no` is empty). Untracked files do not count: they
/// cannot be lost by a fast-forward, because git refuses one that would
/// overwrite an untracked file and then changes nothing.
[[nodiscard]] result<bool> is_clean(const std::string& dir);

/// Paths with unresolved conflicts in `dir`'s index.
[[nodiscard]] result<std::vector<std::string>>
conflicting_paths(const std::string& dir);

// -- branches and refs ------------------------------------------------------

/// Creates `branch` at `start`; fails if it exists.
[[nodiscard]] result<> create_branch(const std::string& dir,
                                     const std::string& branch,
                                     const std::string& start);

/// Deletes `branch` even if unmerged; fails while a worktree has it out.
[[nodiscard]] result<> delete_branch(const std::string& dir,
                                     const std::string& branch);

/// Moves `ref` (full name) to `new_commit` if it still is at `old_commit`
/// ("" = must not exist): a compare-and-swap, never a lost update.
[[nodiscard]] result<> update_ref(const std::string& dir,
                                  const std::string& ref,
                                  const std::string& new_commit,
                                  const std::string& old_commit);

// -- worktrees --------------------------------------------------------------

struct worktree_info {
  std::string path;   ///< absolute, as git records it
  std::string head;   ///< commit id; "" in a fresh repository
  std::string branch; ///< without `refs/heads/`; "" if detached or bare
  bool bare = false;
  bool locked = false;
  bool prunable = false; ///< its directory is gone
};

/// Every worktree of the repository, the main one first.
[[nodiscard]] result<std::vector<worktree_info>>
list_worktrees(const std::string& dir);

/// The worktree that has `branch` checked out, or is rebasing it; nullopt
/// if none does.
[[nodiscard]] result<std::optional<std::string>>
worktree_of_branch(const std::string& dir, const std::string& branch);

/// Adds a worktree at `path` with a detached HEAD at `rev`.
[[nodiscard]] result<> add_worktree(const std::string& dir,
                                    const std::string& path,
                                    const std::string& rev);

/// Adds a worktree at `path` on `branch`: an existing branch when `start`
/// is empty, else a new one created at `start` (fails if it exists).
[[nodiscard]] result<> add_branch_worktree(const std::string& dir,
                                           const std::string& path,
                                           const std::string& branch,
                                           const std::string& start = {});

/// Removes the worktree at `path`, discarding its changes (the
/// orchestrator's worktrees hold nothing that is not committed or lost).
[[nodiscard]] result<> remove_worktree(const std::string& dir,
                                       const std::string& path);

/// Forgets worktrees whose directories are gone (`git worktree prune`).
[[nodiscard]] result<> prune_worktrees(const std::string& dir);

/// `reset --hard rev` plus removal of untracked files (ignored ones stay):
/// the worktree becomes exactly `rev`, as at a recorded stage boundary.
/// For the orchestrator's worktrees only, never the user's.
[[nodiscard]] result<> reset_hard(const std::string& dir,
                                  const std::string& rev);

/// Detaches HEAD at its commit, keeping the files (frees the branch).
[[nodiscard]] result<> detach_head(const std::string& dir);

/// The branch a rebase in `dir` is rewriting (left by a crash), or "".
[[nodiscard]] result<std::string> rebasing_branch(const std::string& dir);

/// Aborts a rebase, merge or cherry-pick left in progress in `dir`.
[[nodiscard]] result<> abort_in_progress(const std::string& dir);

// -- files ------------------------------------------------------------------

/// The blob id of `path` (relative to the top level) at `rev`; "" if the
/// revision has no file there.
[[nodiscard]] result<std::string> file_blob(const std::string& dir,
                                            const std::string& rev,
                                            const std::string& path);

/// The blob id the work tree file `path` would get if added now (git's
/// clean filters applied); "" if there is no such file.
[[nodiscard]] result<std::string> worktree_file_blob(const std::string& dir,
                                                     const std::string& path);

/// True if the work tree's `path` differs from `path` at `since_rev`
/// (created, deleted or edited; staged or not, tracked or not).
[[nodiscard]] result<bool> worktree_file_changed(const std::string& dir,
                                                 const std::string& path,
                                                 const std::string& since_rev);

// -- history ----------------------------------------------------------------

/// A subject line: every run of CR/LF in `title` becomes one space. A
/// subject is one line; a line break would make the rest a body that
/// could pass for a trailer. All other bytes are kept as they are.
std::string one_line(const std::string& title);

/// The message of a task commit: `subject` (one line), `body` if any, and
/// a last paragraph that is exactly `TDD-Task: KEY`.
std::string task_commit_message(const std::string& subject,
                                const std::string& body,
                                const std::string& key);

/// Stages everything (`add -A`) and commits it with
/// task_commit_message(); returns the new commit. Fails when nothing
/// changed or `key` is not a valid task key. Hooks run as for the user.
[[nodiscard]] result<std::string> commit_all(const std::string& dir,
                                             const std::string& subject,
                                             const std::string& body,
                                             const std::string& key);

/// True if a commit reachable from `rev` has the trailer `TDD-Task: key`
/// (exact value; merge subjects that merely name the key do not count).
[[nodiscard]] result<bool> has_task_trailer(const std::string& dir,
                                            const std::string& rev,
                                            const std::string& key);

/// A rebase or merge that stopped on conflicts was aborted: `dir` is back
/// where it was, and these paths conflicted.
struct conflict_report {
  bool conflict = false;
  std::vector<std::string> paths;
};

/// Rebases the branch checked out in `dir` onto `onto`. On a conflict the
/// rebase is aborted (branch and worktree as before) and reported.
[[nodiscard]] result<conflict_report> rebase(const std::string& dir,
                                             const std::string& onto);

/// `merge --no-ff rev` in `dir` with the message `subject` (one line, no
/// trailer). On a conflict the merge is aborted and reported.
[[nodiscard]] result<conflict_report> merge_no_ff(const std::string& dir,
                                                  const std::string& rev,
                                                  const std::string& subject);

/// Writes the commit that `merge --no-ff tip` on `base` would make, where
/// `tip` descends from `base`: tip's tree, parents base and tip, message
/// `subject`. Touches no work tree and no ref; returns the new commit.
[[nodiscard]] result<std::string> merge_descendant(const std::string& dir,
                                                   const std::string& base,
                                                   const std::string& tip,
                                                   const std::string& subject);

/// `merge --ff-only rev` in `dir` (its checked-out branch and files move).
[[nodiscard]] result<> fast_forward(const std::string& dir,
                                    const std::string& rev);

/// How advance_branch() ended.
enum class advance_outcome {
  advanced,   ///< `branch` now points at the new commit
  tree_dirty, ///< checked out in a dirty work tree: nothing changed
};

/// Moves `branch` from `old_commit` to its descendant `new_commit`
/// without ever losing a user's change. Not checked out anywhere: a
/// compare-and-swap of the ref. Checked out in a work tree (the user's):
/// only if that tree is clean, by `merge --ff-only` there, so the files
/// follow the ref; a dirty tree, or untracked files in the way, give
/// `tree_dirty` and leave tree and ref untouched.
[[nodiscard]] result<advance_outcome>
advance_branch(const std::string& dir, const std::string& branch,
               const std::string& old_commit, const std::string& new_commit);

} // namespace tdd::exec::git
