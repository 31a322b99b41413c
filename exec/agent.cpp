#include "exec/agent.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace tdd::exec {

namespace {

// The prompt stays on stdin and in $TDD_PROMPT_FILE; argv carries only
// flags, our own file paths and the task's validated file names.

// claude: print mode with one JSON result object; acceptEdits lets it edit
// files without a human to approve, and --max-turns bounds its loop.
std::vector<std::string> claude_argv(const agent_call& call) {
  return {"claude",
          "-p",
          "--output-format",
          "json",
          "--permission-mode",
          "acceptEdits",
          "--max-turns",
          std::to_string(max_turns(call.complexity))};
}

// codex: `exec` is its non-interactive mode (approval policy "never");
// PROMPT "-" reads the prompt from stdin; workspace-write lets it edit the
// worktree (the deprecated --full-auto meant the same); no ANSI colours.
std::vector<std::string> codex_argv() {
  return {"codex",   "exec",  "--sandbox", "workspace-write",
          "--color", "never", "-"};
}

// A file name for aider's argv: one starting with '-' must not read as a
// flag.
std::string aider_path(const std::string& path) {
  return !path.empty() && path.front() == '-' ? "./" + path : path;
}

// aider: --message-file runs one message and exits (it cannot read the
// message from stdin, so it reads our prompt file). --yes-always answers its
// questions; the --no-* flags keep it from committing (the orchestrator
// commits), editing .gitignore, asking about analytics or release notes,
// fetching URLs from task text, and writing history files into the
// worktree. The stage decides which files it may edit.
std::vector<std::string> aider_argv(const agent_call& call) {
  std::vector<std::string> argv{"aider",
                                "--yes-always",
                                "--no-auto-commits",
                                "--no-dirty-commits",
                                "--no-gitignore",
                                "--no-pretty",
                                "--no-check-update",
                                "--no-show-release-notes",
                                "--no-analytics",
                                "--no-detect-urls",
                                "--chat-history-file",
                                "/dev/null",
                                "--input-history-file",
                                "/dev/null",
                                "--message-file",
                                call.prompt_file};
  const auto add = [&argv](const char* flag, const std::string& path) {
    if (!path.empty()) {
      argv.emplace_back(flag);
      argv.push_back(aider_path(path));
    }
  };
  if (call.stage == "red") {
    add("--file", call.test_file);
  } else if (call.stage == "refactor") {
    add("--file", call.impl_file);
    add("--file", call.test_file);
  } else { // green, fix: the test is read-only for them
    add("--file", call.impl_file);
    add("--read", call.test_file);
  }
  return argv;
}

std::string program_of(const agent_spec& agent) {
  switch (agent.kind) {
  case agent_kind::claude:
    return "claude";
  case agent_kind::codex:
    return "codex";
  case agent_kind::aider:
    return "aider";
  case agent_kind::cmd:
    break;
  }
  return agent.words.empty() ? std::string{} : agent.words.front();
}

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)
         && ::access(path.c_str(), X_OK) == 0;
}

// Where `program` would be found, or "" when nowhere.
std::string locate(const std::string& program, const std::string& path_env,
                   const std::string& base_dir) {
  if (program.find('/') != std::string::npos) {
    const auto full = program.front() == '/' || base_dir.empty()
                        ? program
                        : base_dir + "/" + program;
    return is_executable_file(full) ? full : std::string{};
  }
  size_t start = 0;
  while (start <= path_env.size()) {
    auto end = path_env.find(':', start);
    end = end == std::string::npos ? path_env.size() : end;
    auto dir = path_env.substr(start, end - start);
    auto full = (dir.empty() ? std::string{"."} : dir) + "/" + program;
    if (is_executable_file(full)) {
      return full;
    }
    start = end + 1;
  }
  return {};
}

} // namespace

std::string to_string(agent_kind x) {
  switch (x) {
  case agent_kind::claude:
    return "claude";
  case agent_kind::codex:
    return "codex";
  case agent_kind::aider:
    return "aider";
  case agent_kind::cmd:
    return "cmd";
  }
  return "?";
}

int max_turns(core::task_complexity complexity) {
  switch (complexity) {
  case core::task_complexity::low:
    return 10;
  case core::task_complexity::medium:
    return 20;
  case core::task_complexity::high:
    return 40;
  }
  return 20;
}

std::chrono::seconds stage_timeout(std::chrono::seconds base,
                                   core::task_complexity complexity) {
  switch (complexity) {
  case core::task_complexity::low:
    return std::max(std::chrono::seconds{1}, base / 2);
  case core::task_complexity::medium:
    return base;
  case core::task_complexity::high:
    return base * 2;
  }
  return base;
}

command_spec agent_command(const agent_spec& agent, const agent_call& call,
                           const std::string& prompt,
                           std::chrono::seconds timeout) {
  command_spec spec;
  switch (agent.kind) {
  case agent_kind::claude:
    spec.argv = claude_argv(call);
    // Its result is one JSON line at the end; a long final message must not
    // push the line's start out of the captured tail.
    spec.capture_limit = std::max(spec.capture_limit, size_t{1} << 20);
    break;
  case agent_kind::codex:
    spec.argv = codex_argv();
    break;
  case agent_kind::aider:
    spec.argv = aider_argv(call);
    break;
  case agent_kind::cmd:
    for (const auto& word : agent.words) {
      spec.argv.push_back(expand_word(word, call));
    }
    break;
  }
  spec.cwd = call.worktree;
  spec.stdin_data = prompt;
  spec.timeout = timeout;
  spec.env = {{"TDD_PROMPT_FILE", call.prompt_file},
              {"TDD_TASK_KEY", call.task_key},
              {"TDD_STAGE", call.stage},
              {"TDD_ATTEMPT", std::to_string(call.attempt)},
              {"TDD_TEST_FILE", call.test_file},
              {"TDD_IMPL_FILE", call.impl_file},
              {"TDD_WORKTREE", call.worktree}};
  if (call.stage == "fix") {
    spec.env["TDD_FAILURE_FILE"] = call.failure_file;
  } else {
    spec.env_remove.emplace_back("TDD_FAILURE_FILE");
  }
  return spec;
}

std::string install_hint(agent_kind kind) {
  switch (kind) {
  case agent_kind::claude:
    return "install it with: npm install -g @anthropic-ai/claude-code";
  case agent_kind::codex:
    return "install it with: npm install -g @openai/codex";
  case agent_kind::aider:
    return "install it with: python3 -m pip install aider-install &&"
           " aider-install (see https://aider.chat/docs/install.html)";
  case agent_kind::cmd:
    break;
  }
  return "";
}

std::string preflight(const agent_spec& agent, const std::string& path_env,
                      const std::string& base_dir) {
  const auto program = program_of(agent);
  if (!program.empty() && !locate(program, path_env, base_dir).empty()) {
    return "";
  }
  if (expand_word(program, agent_call{}) != program) {
    return ""; // "{worktree}/agent.sh" is known per call: interpret() says
  }
  if (agent.kind == agent_kind::cmd) {
    return "no such program: " + core::quote(program)
           + (program.find('/') == std::string::npos
                ? " (not found in PATH)"
                : " (missing or not executable)");
  }
  return "agent program " + core::quote(program) + " not found in PATH; "
         + install_hint(agent.kind);
}

} // namespace tdd::exec
