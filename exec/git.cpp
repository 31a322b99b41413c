#include "exec/git.hpp"

#include "exec/command.hpp"
#include "exec/git_internal.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace tdd::exec::git {

using internal::call;
using internal::failure;
using internal::success;
using internal::trim_newlines;

namespace internal {

namespace {

/// A git command that runs this long is stuck (a hook, a pinentry); it is
/// killed rather than blocking its worker forever.
constexpr std::chrono::minutes git_timeout{10};
/// Enough for any listing we parse; the default keeps only a 64 KiB tail.
constexpr size_t git_capture_limit = size_t{16} * 1024 * 1024;

/// "git rebase" from "-c x=y rebase --onto …": the subcommand, for errors.
std::string describe(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-c") {
      ++i;
      continue;
    }
    return "git " + args[i];
  }
  return "git";
}

} // namespace

call_result call(const std::string& dir, const std::vector<std::string>& args,
                 const std::string& input) {
  command_spec spec;
  spec.argv = {"git", "-C", dir};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = {{"GIT_TERMINAL_PROMPT", "0"}, {"LC_ALL", "C"},
              {"GIT_OPTIONAL_LOCKS", "0"},  {"GIT_LITERAL_PATHSPECS", "1"},
              {"GIT_EDITOR", "true"},       {"GIT_PAGER", "cat"}};
  // Inherited, these would point every `-C dir` at some other repository.
  spec.env_remove = {"GIT_DIR",        "GIT_WORK_TREE",
                     "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                     "GIT_COMMON_DIR", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
                     "GIT_NAMESPACE",  "GIT_PREFIX"};
  spec.stdin_data = input;
  spec.capture_limit = git_capture_limit;
  spec.timeout = git_timeout;
  spec.kill_grace = std::chrono::seconds{5};
  spec.watched = false; // a git killed mid-write corrupts the repository
  const auto done = run_command(spec);
  call_result r;
  r.output = done.output;
  r.ran = !done.spawn_failed && !done.timed_out && !done.cancelled;
  r.exit_code = done.exit_code;
  if (done.spawn_failed) {
    r.error = "git: cannot run: " + done.error;
  } else if (done.timed_out || done.cancelled) {
    r.error
      = describe(args) + ": " + (done.timed_out ? "timed out" : "cancelled");
  } else if (done.exit_code != 0) {
    r.error = describe(args) + ": exit " + std::to_string(done.exit_code) + ": "
              + trim_newlines(done.output);
  }
  return r;
}

result<std::vector<std::string>> identity_args(const std::string& dir) {
  const auto found
    = call(dir, {"config", "--get-regexp", "^user\\.(name|email)$"});
  // Exit 1: no such key, which is what we are here for.
  if (!found.ran || (found.exit_code != 0 && found.exit_code != 1)) {
    return failure<std::vector<std::string>>(found.error);
  }
  bool has_name = false;
  bool has_email = false;
  for (const auto& line : split(found.output, '\n')) {
    has_name = has_name || line.rfind("user.name ", 0) == 0;
    has_email = has_email || line.rfind("user.email ", 0) == 0;
  }
  std::vector<std::string> args;
  if (!has_name) {
    args.insert(args.end(), {"-c", std::string{"user.name="} + fallback_name});
  }
  if (!has_email) {
    args.insert(args.end(),
                {"-c", std::string{"user.email="} + fallback_email});
  }
  return success(std::move(args));
}

result<std::vector<std::string>>
writer_args(const std::string& dir, std::vector<std::string> git_args) {
  auto args = identity_args(dir);
  if (!args) {
    return args;
  }
  // Unknown keys are ignored by older gits, so these are safe everywhere.
  args.value.insert(args.value.end(),
                    {"-c", "rebase.autoStash=false", "-c",
                     "merge.autoStash=false", "-c", "rerere.enabled=false",
                     "-c", "rebase.updateRefs=false"});
  args.value.insert(args.value.end(), std::make_move_iterator(git_args.begin()),
                    std::make_move_iterator(git_args.end()));
  return args;
}

std::string trim_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(sep, start), text.size());
    if (end > start) {
      parts.emplace_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return parts;
}

} // namespace internal

namespace {

/// Arguments starting with '-' would be read as options: refuse them
/// where a ref, revision or branch name is expected.
bool is_option_like(const std::string& x) {
  return !x.empty() && x.front() == '-';
}

result<> done(const internal::call_result& r) {
  if (!r.error.empty()) {
    return failure<std::monostate>(r.error);
  }
  return {};
}

/// Runs a command whose exit 0 means true and 1 means false.
result<bool> predicate(const std::string& dir,
                       const std::vector<std::string>& args) {
  const auto r = call(dir, args);
  if (r.ran && (r.exit_code == 0 || r.exit_code == 1)) {
    return success(r.exit_code == 0);
  }
  return failure<bool>(r.error);
}

} // namespace

result<std::string> run(const std::string& dir,
                        const std::vector<std::string>& args,
                        const std::string& input) {
  auto r = call(dir, args, input);
  if (!r.error.empty()) {
    return failure<std::string>(std::move(r.error));
  }
  return success(std::move(r.output));
}

result<std::string> top_level(const std::string& dir) {
  auto r = run(dir, {"rev-parse", "--show-toplevel"});
  r.value = trim_newlines(std::move(r.value));
  return r;
}

result<std::string> current_branch(const std::string& dir) {
  const auto r = call(dir, {"symbolic-ref", "--quiet", "HEAD"});
  if (r.ran && r.exit_code == 1) {
    return success(std::string{}); // detached
  }
  if (!r.error.empty()) {
    return failure<std::string>(r.error);
  }
  constexpr std::string_view heads = "refs/heads/";
  auto ref = trim_newlines(r.output);
  if (ref.rfind(heads, 0) == 0) {
    ref.erase(0, heads.size());
  }
  return success(std::move(ref));
}

result<std::string> resolve_commit(const std::string& dir,
                                   const std::string& rev) {
  if (rev.empty() || is_option_like(rev)) {
    return failure<std::string>("not a revision: \"" + rev + "\"");
  }
  const auto r
    = call(dir, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"});
  if (!r.error.empty()) {
    return failure<std::string>("unknown revision \"" + rev + "\" (" + r.error
                                + ")");
  }
  return success(trim_newlines(r.output));
}

result<bool> branch_exists(const std::string& dir, const std::string& branch) {
  return predicate(dir,
                   {"show-ref", "--verify", "--quiet", "refs/heads/" + branch});
}

result<bool> is_ancestor(const std::string& dir, const std::string& ancestor,
                         const std::string& descendant) {
  if (is_option_like(ancestor) || is_option_like(descendant)) {
    return failure<bool>("not a revision");
  }
  return predicate(dir, {"merge-base", "--is-ancestor", ancestor, descendant});
}

result<std::string> merge_base(const std::string& dir, const std::string& a,
                               const std::string& b) {
  if (is_option_like(a) || is_option_like(b)) {
    return failure<std::string>("not a revision");
  }
  auto r = run(dir, {"merge-base", a, b});
  r.value = trim_newlines(std::move(r.value));
  return r;
}

result<bool> is_clean(const std::string& dir) {
  const auto r
    = run(dir, {"status", "--porcelain", "-z", "--untracked-files=no"});
  if (!r) {
    return failure<bool>(r.error);
  }
  return success(r.value.empty());
}

result<std::vector<std::string>> conflicting_paths(const std::string& dir) {
  const auto r = run(dir, {"diff", "--name-only", "--diff-filter=U", "-z"});
  if (!r) {
    return failure<std::vector<std::string>>(r.error);
  }
  auto paths = internal::split(r.value, '\0');
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return success(std::move(paths));
}

result<> create_branch(const std::string& dir, const std::string& branch,
                       const std::string& start) {
  if (is_option_like(branch) || is_option_like(start)) {
    return failure<std::monostate>("not a branch name: \"" + branch + "\"");
  }
  return done(call(dir, {"branch", "--no-track", branch, start}));
}

result<> delete_branch(const std::string& dir, const std::string& branch) {
  if (is_option_like(branch)) {
    return failure<std::monostate>("not a branch name: \"" + branch + "\"");
  }
  return done(call(dir, {"branch", "-D", branch}));
}

result<> update_ref(const std::string& dir, const std::string& ref,
                    const std::string& new_commit,
                    const std::string& old_commit) {
  if (is_option_like(ref) || is_option_like(new_commit)
      || is_option_like(old_commit)) {
    return failure<std::monostate>("not a ref: \"" + ref + "\"");
  }
  return done(call(dir, {"update-ref", "-m", "tdd-orchestrator: merge queue",
                         ref, new_commit, old_commit}));
}

} // namespace tdd::exec::git
