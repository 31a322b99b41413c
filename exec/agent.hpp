#pragma once

// Agents (SPEC.md 4, "Agents"): the argv, environment and stdin of one agent
// call, and what its exit status and output mean. This file only builds
// `command_spec` values and reads `command_result` values; `run_command`
// runs them, always without a shell. Task text reaches an agent through
// stdin and $TDD_PROMPT_FILE, never through argv.

#include "core/config.hpp"
#include "core/task.hpp"
#include "exec/command.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::exec {

/// The agents of the `agent` setting.
enum class agent_kind { claude, codex, aider, cmd };

std::string to_string(agent_kind x);

/// A parsed `agent` setting.
struct agent_spec {
  agent_kind kind = agent_kind::claude;
  /// `cmd` only: the template split into words; placeholders stay as
  /// written until `agent_command` fills them in.
  std::vector<std::string> words;
};

/// Splits a template into words the way a POSIX shell splits a simple
/// command, with none of its expansions: blanks separate words; '...'
/// keeps everything literally; "..." keeps everything but `\"`, `\\`, `\$`,
/// `` \` `` and backslash-newline, which lose their backslash; an unquoted
/// backslash escapes the next byte. `$`, backticks, globs, `~` and `#` are
/// ordinary bytes. Unquoted `|`, `&`, `;`, `<` and `>` are refused: with no
/// shell they could not mean what they look like. Returns nullopt and sets
/// `error` for those, an unbalanced quote, or a trailing backslash.
[[nodiscard]] std::optional<std::vector<std::string>>
split_words(std::string_view text, std::string& error);

/// Parses "claude", "codex", "aider" or "cmd:<argv template>". Returns
/// nullopt and sets `error` (one line, no trailing period) when the text is
/// none of these, the template is empty or names an empty program, or
/// `split_words` refuses it.
[[nodiscard]] std::optional<agent_spec> parse_agent(std::string_view text,
                                                    std::string& error);

/// One agent invocation: the facts that go into argv placeholders and the
/// environment.
struct agent_call {
  std::string stage;        ///< red, green, fix or refactor
  std::string task_key;     ///< the task's key
  int attempt = 1;          ///< 1 for the first attempt of this stage
  std::string worktree;     ///< the agent's working directory
  std::string prompt_file;  ///< a file holding exactly the prompt
  std::string failure_file; ///< fix: the last verify output; else ""
  std::string test_file;    ///< relative to the worktree
  std::string impl_file;    ///< relative to the worktree
  core::task_complexity complexity = core::task_complexity::medium;
};

/// claude's `--max-turns` for a task: low 10, medium 20, high 40.
int max_turns(core::task_complexity complexity);

/// The timeout of one agent call and of each verify for a task, from the
/// `stage_timeout_s` setting: low complexity half of it (at least 1 s),
/// medium as set, high twice.
std::chrono::seconds stage_timeout(std::chrono::seconds base,
                                   core::task_complexity complexity);

/// Replaces `{stage}`, `{key}`, `{attempt}`, `{worktree}`, `{prompt_file}`,
/// `{failure_file}`, `{test_file}` and `{impl_file}` inside one argv word,
/// in a single pass: a value is never split, re-scanned or interpreted.
/// Other brace text stays as written.
std::string expand_word(std::string_view word, const agent_call& call);

/// The command for one call: the preset's argv (or the expanded template),
/// cwd = the worktree, stdin = `prompt`, and TDD_PROMPT_FILE, TDD_TASK_KEY,
/// TDD_STAGE, TDD_ATTEMPT, TDD_TEST_FILE, TDD_IMPL_FILE, TDD_WORKTREE, plus
/// TDD_FAILURE_FILE for fix (removed for every other stage, so an inherited
/// value cannot leak in). The caller sets `log_path` and `cancel`.
command_spec agent_command(const agent_spec& agent, const agent_call& call,
                           const std::string& prompt,
                           std::chrono::seconds timeout);

/// What one agent call amounted to.
struct agent_report {
  enum class outcome {
    done,        ///< the agent finished; the stage rules judge its work
    usage_limit, ///< not a failure: pause dispatch, retry the same call
    agent_error, ///< counts against the circuits
  };
  outcome status = outcome::agent_error;
  core::micro_usd cost = 0; ///< reported cost, exact micro-dollars
  int64_t tokens = 0;       ///< reported tokens, 0 when unknown
  std::string session_id;   ///< claude's session id, "" otherwise
  /// How long to pause, when the agent said so (`retry_after_s`, codex's
  /// "try again in ...").
  std::optional<std::chrono::seconds> retry_after;
  /// When the limit resets (Unix seconds), when the agent said so.
  std::optional<int64_t> reset_at_epoch_s;
  /// No retry can fix this (not logged in, invalid key, unknown model,
  /// program missing): halt dispatch and show `message`.
  bool fatal = false;
  /// Why, in one line for an error; the agent's own words where it gave
  /// some. Empty for `done`.
  std::string message;
};

std::string to_string(agent_report::outcome x);

/// Reads a finished call. Every preset: timed out, cancelled or failed to
/// start is an agent error; a program that is missing or not executable is
/// also fatal, with an install hint.
/// - cmd: exit 0 done, 75 usage limit, else agent error. The last output
///   line, if it is a JSON object, may report `cost_usd`, `tokens` and
///   `retry_after_s`.
/// - claude: the `--output-format json` result object (a stream-json
///   transcript or a `--verbose` array works too): `total_cost_usd` (or
///   `cost_usd`), `usage` (input + output + cache tokens), `session_id`.
///   `is_error: true` is an agent error whatever the exit status; a usage or
///   rate limit in it (or a rejected `rate_limit_event`) is a usage limit,
///   with the reset time when the text carries an epoch ("Claude AI usage
///   limit reached|1755615600"); login, API key, model and permission
///   errors are fatal. A subtype other than "success" is an agent error.
/// - codex (`codex exec`): exit status; tokens from its closing "tokens
///   used" line (it prints no cost); its "ERROR:" lines for usage limits
///   ("try again in 2 days 3 hours" sets `retry_after`) and auth errors.
/// - aider: exit status; cost from the last "Cost: ... $X session." line,
///   tokens summed from its rounded "Tokens: 1.2k sent, 80 received" lines
///   (approximate); litellm AuthenticationError / NotFoundError lines are
///   fatal and RateLimitError a usage limit, whatever the exit status,
///   because aider exits 0 after a failed API call.
agent_report interpret(const agent_spec& agent, const command_result& result);

/// Dollar amounts as agents print them ("0.12", "1.5e-3", a JSON number's
/// text) to micro-dollars, exactly; below a micro-dollar rounds half up.
/// Nullopt for a sign, non-numbers, or a billion dollars and more.
[[nodiscard]] std::optional<core::micro_usd>
parse_cost_usd(std::string_view number);

/// How to install a preset's program ("install it with: npm ..."); "" for
/// cmd.
std::string install_hint(agent_kind kind);

/// "" if the agent's program can start: found in `path_env` (PATH syntax;
/// an empty entry is the current directory) or, when it holds a '/', at
/// that path (relative ones against `base_dir`, "" = the current
/// directory) as an executable regular file. Otherwise one line naming the
/// program, with the preset's install hint. A cmd program that holds a
/// placeholder ("{worktree}/agent.sh") is only known per call: "" here, and
/// `interpret` reports it if it is missing then.
std::string preflight(const agent_spec& agent, const std::string& path_env,
                      const std::string& base_dir = {});

} // namespace tdd::exec
