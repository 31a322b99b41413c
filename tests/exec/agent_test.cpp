#include "exec/agent.hpp"

#include "store/temp_dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

using namespace tdd::exec;
using words = std::vector<std::string>;

namespace {

words split(std::string_view text) {
  std::string error;
  auto out = split_words(text, error);
  REQUIRE_MESSAGE(out.has_value(), error);
  CHECK(error.empty());
  return *out;
}

std::string split_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(split_words(text, error).has_value());
  return error;
}

agent_spec agent(std::string_view text) {
  std::string error;
  auto out = parse_agent(text, error);
  REQUIRE_MESSAGE(out.has_value(), error);
  return *out;
}

agent_call sample_call(std::string stage) {
  agent_call call;
  call.stage = std::move(stage);
  call.task_key = "CALC-1";
  call.attempt = 2;
  call.worktree = "/repo/.orchestrator/worktrees/worker_1";
  call.prompt_file = "/repo/.orchestrator/logs/r1/CALC-1/prompt.txt";
  call.failure_file = "/repo/.orchestrator/logs/r1/CALC-1/verify-1.log";
  call.test_file = "tests/test_calc.py";
  call.impl_file = "calc.py";
  call.complexity = tdd::core::task_complexity::high;
  return call;
}

bool has(const words& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

} // namespace

TEST_CASE("templates split into words like a shell, with no expansions") {
  CHECK(split("a b\tc\nd") == words{"a", "b", "c", "d"});
  CHECK(split("  lead   trail  ") == words{"lead", "trail"});
  CHECK(split("'a b' \"c d\" e\\ f") == words{"a b", "c d", "e f"});
  CHECK(split("x'a'\"b\"c") == words{"xabc"});
  CHECK(split("'' \"\" end") == words{"", "", "end"});
  CHECK(split("'it\"s' \"it's\"") == words{"it\"s", "it's"});
  CHECK(split("'\\n stays'") == words{"\\n stays"});
  CHECK(split(R"("a\"b" "c\\d" "\$x" "\`y" "\q")")
        == words{"a\"b", "c\\d", "$x", "`y", "\\q"});
  CHECK(split("a\\\nb") == words{"ab"});
  CHECK(split("\"a\\\nb\"") == words{"ab"});
  CHECK(split("\\'x \\\"y") == words{"'x", "\"y"});
  CHECK(split("") == words{});
  CHECK(split(" \t\n") == words{});
}

TEST_CASE("$, backticks, globs and ~ stay literal bytes") {
  CHECK(split("echo $(rm -rf /) `id` $HOME * ~ #x")
        == words{"echo", "$(rm", "-rf", "/)", "`id`", "$HOME", "*", "~", "#x"});
  CHECK(split("'$(rm -rf /)'") == words{"$(rm -rf /)"});
  CHECK(split("\"$(rm -rf /)\"") == words{"$(rm -rf /)"});
}

TEST_CASE("templates that cannot mean what they look like are refused") {
  CHECK(split_error("run 'open")
        == "unbalanced single quote in the agent "
           "template");
  CHECK(split_error("run \"open")
        == "unbalanced double quote in the agent "
           "template");
  CHECK(split_error("run \"a\\\"")
        == "unbalanced double quote in the agent "
           "template");
  CHECK(split_error("run x\\")
        == "the agent template ends with a lone "
           "backslash");
  for (const char* text : {"a | b", "a > log", "a; b", "a && b", "a <in"}) {
    const std::string shown{text};
    CAPTURE(shown);
    CHECK(split_error(text).find("runs without a shell") != std::string::npos);
  }
  CHECK(split("'a | b' \"c > d\" e\\;f") == words{"a | b", "c > d", "e;f"});
}

TEST_CASE("the agent setting parses presets and cmd templates") {
  CHECK(agent("claude").kind == agent_kind::claude);
  CHECK(agent("codex").kind == agent_kind::codex);
  CHECK(agent("aider").kind == agent_kind::aider);
  const auto cmd = agent("cmd:./scripts/fake-agent.sh {stage} 'two words'");
  CHECK(cmd.kind == agent_kind::cmd);
  CHECK(cmd.words == words{"./scripts/fake-agent.sh", "{stage}", "two words"});
  CHECK(to_string(agent_kind::aider) == "aider");

  std::string error;
  CHECK_FALSE(parse_agent("Claude", error));
  CHECK(error
        == "unknown agent \"Claude\": expected claude, codex, aider or"
           " cmd:<argv template>");
  CHECK_FALSE(parse_agent("cmd:", error));
  CHECK(error == "empty agent template after cmd:");
  CHECK_FALSE(parse_agent("cmd:   ", error));
  CHECK(error == "empty agent template after cmd:");
  CHECK_FALSE(parse_agent("cmd:'' x", error));
  CHECK(error == "the agent template names an empty program");
  CHECK_FALSE(parse_agent("cmd:agent 'oops", error));
  CHECK(error == "unbalanced single quote in the agent template");
}

TEST_CASE("placeholders are filled inside words and never re-split") {
  auto call = sample_call("fix");
  call.task_key = "K";
  call.test_file = "tests/my test\n$(rm -rf ~).py";
  const auto spec = agent_command(
    agent("cmd:bin/agent --stage={stage} {test_file} '{impl_file}' "
          "{attempt}{key} {unknown} {failure_file} {prompt_file} {worktree}"),
    call, "prompt", std::chrono::seconds{5});
  CHECK(spec.argv
        == words{"bin/agent", "--stage=fix", "tests/my test\n$(rm -rf ~).py",
                 "calc.py", "2K", "{unknown}", call.failure_file,
                 call.prompt_file, call.worktree});
  // A value that looks like a placeholder is not expanded again.
  call.stage = "{key}";
  CHECK(expand_word("{stage}/{key}", call) == "{key}/K");
  CHECK(expand_word("{stage", call) == "{stage");
}

TEST_CASE("every agent runs in the worktree with the prompt on stdin") {
  for (const char* text : {"claude", "codex", "aider", "cmd:agent"}) {
    const std::string shown{text};
    CAPTURE(shown);
    const auto call = sample_call("green");
    const auto spec = agent_command(agent(text), call, "the prompt\n$(x)",
                                    std::chrono::seconds{900});
    CHECK(spec.cwd == call.worktree);
    CHECK(spec.stdin_data == "the prompt\n$(x)");
    CHECK(spec.timeout == std::chrono::seconds{900});
    CHECK(spec.env.at("TDD_PROMPT_FILE") == call.prompt_file);
    CHECK(spec.env.at("TDD_TASK_KEY") == "CALC-1");
    CHECK(spec.env.at("TDD_STAGE") == "green");
    CHECK(spec.env.at("TDD_ATTEMPT") == "2");
    CHECK(spec.env.at("TDD_TEST_FILE") == "tests/test_calc.py");
    CHECK(spec.env.at("TDD_IMPL_FILE") == "calc.py");
    CHECK(spec.env.at("TDD_WORKTREE") == call.worktree);
    CHECK(spec.env.count("TDD_FAILURE_FILE") == 0);
    CHECK(spec.env_remove == words{"TDD_FAILURE_FILE"});
    CHECK_FALSE(has(spec.argv, "the prompt\n$(x)"));
  }
  const auto fix = agent_command(agent("claude"), sample_call("fix"), "p",
                                 std::chrono::seconds{1});
  CHECK(fix.env.at("TDD_FAILURE_FILE") == sample_call("fix").failure_file);
  CHECK(fix.env.at("TDD_STAGE") == "fix");
  CHECK(fix.env_remove.empty());
  // claude's JSON result is one (possibly long) line at the very end.
  CHECK(fix.capture_limit >= size_t{1} << 20);
}

TEST_CASE("claude runs in print mode with JSON output and scaled turns") {
  auto call = sample_call("red");
  const auto argv = [&call] {
    return agent_command(agent("claude"), call, "p", std::chrono::seconds{1})
      .argv;
  };
  CHECK(argv()
        == words{"claude", "-p", "--output-format", "json", "--permission-mode",
                 "acceptEdits", "--max-turns", "40"});
  call.complexity = tdd::core::task_complexity::low;
  CHECK(argv().back() == "10");
  call.complexity = tdd::core::task_complexity::medium;
  CHECK(argv().back() == "20");
}

TEST_CASE("codex runs `codex exec` reading the prompt from stdin") {
  const auto spec = agent_command(agent("codex"), sample_call("green"), "p",
                                  std::chrono::seconds{1});
  CHECK(spec.argv
        == words{"codex", "exec", "--sandbox", "workspace-write", "--color",
                 "never", "-"});
}

TEST_CASE("aider reads the prompt file and may edit only the stage's file") {
  const auto argv = [](const std::string& stage, std::string test_file) {
    auto call = sample_call(stage);
    call.test_file = std::move(test_file);
    return agent_command(agent("aider"), call, "p", std::chrono::seconds{1})
      .argv;
  };
  const words common{"aider",
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
                     sample_call("red").prompt_file};
  const auto with = [&common](words tail) {
    auto out = common;
    out.insert(out.end(), tail.begin(), tail.end());
    return out;
  };
  CHECK(argv("red", "t.py") == with({"--file", "t.py"}));
  CHECK(argv("green", "t.py") == with({"--file", "calc.py", "--read", "t.py"}));
  CHECK(argv("fix", "t.py") == with({"--file", "calc.py", "--read", "t.py"}));
  CHECK(argv("refactor", "t.py")
        == with({"--file", "calc.py", "--file", "t.py"}));
  // A file name that looks like a flag stays a file name.
  CHECK(argv("red", "-rf.py") == with({"--file", "./-rf.py"}));
}

TEST_CASE("preflight finds programs in PATH or at a path, else says how") {
  tdd::test::temp_dir dir;
  const auto make = [&dir](const std::string& name, mode_t mode) {
    auto path = dir.file(name);
    std::ofstream{path} << "#!/bin/sh\nexit 0\n";
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    return path;
  };
  make("my-agent", 0755);
  make("plain", 0644);
  make("claude", 0755);
  REQUIRE(::mkdir(dir.file("codex").c_str(), 0755) == 0); // a directory
  const auto path = "/nonexistent-dir:" + dir.path().string();

  CHECK(preflight(agent("cmd:my-agent {stage}"), path) == "");
  CHECK(preflight(agent("claude"), path) == "");
  CHECK(preflight(agent("cmd:" + dir.file("my-agent")), "") == "");
  CHECK(preflight(agent("cmd:./my-agent"), "", dir.path().string()) == "");

  CHECK(preflight(agent("cmd:plain"), path)
        == "no such program: \"plain\" (not found in PATH)");
  CHECK(preflight(agent("cmd:nope"), path)
        == "no such program: \"nope\" (not found in PATH)");
  CHECK(preflight(agent("cmd:./plain"), path, dir.path().string())
        == "no such program: \"./plain\" (missing or not executable)");
  CHECK(preflight(agent("codex"), path)
        == "agent program \"codex\" not found in PATH; install it with: npm"
           " install -g @openai/codex");
  CHECK(preflight(agent("claude"), "/nonexistent-dir")
        == "agent program \"claude\" not found in PATH; install it with: npm"
           " install -g @anthropic-ai/claude-code");
  CHECK(preflight(agent("cmd:{worktree}/bin/agent"), path) == "");
  CHECK(preflight(agent("aider"), path).find("aider-install")
        != std::string::npos);
}

TEST_CASE("a cmd agent really gets its words, environment and prompt") {
  tdd::test::temp_dir dir;
  const auto script = dir.file("agent.sh");
  std::ofstream{script} << "#!/bin/sh\n"
                           "printf '%s|' \"$#\" \"$@\"\n"
                           "printf '%s|' \"$TDD_STAGE\" \"$TDD_TEST_FILE\"\n"
                           "cat\n"
                           "echo '{\"cost_usd\": 0.25, \"tokens\": 7}'\n";
  REQUIRE(::chmod(script.c_str(), 0755) == 0);
  auto call = sample_call("red");
  call.worktree = dir.path().string();
  call.test_file = "t $(id) `id`\n.py";
  const auto spec = agent_command(
    agent("cmd:./agent.sh {stage} '{test_file}' $HOME"), call,
    "prompt with 'quotes' and $(id)\n", std::chrono::seconds{30});
  const auto result = run_command(spec);
  REQUIRE_MESSAGE(result.ok(), result.error);
  CHECK(result.output
        == "3|red|t $(id) `id`\n.py|$HOME|red|t $(id) `id`\n.py|"
           "prompt with 'quotes' and $(id)\n"
           "{\"cost_usd\": 0.25, \"tokens\": 7}\n");
  const auto report = interpret(agent("cmd:./agent.sh"), result);
  CHECK(report.status == agent_report::outcome::done);
  CHECK(report.cost == 250000);
  CHECK(report.tokens == 7);
}

TEST_CASE("stage timeouts scale with the task's complexity") {
  using tdd::core::task_complexity;
  using std::chrono::seconds;
  CHECK(tdd::exec::stage_timeout(seconds{900}, task_complexity::low)
        == seconds{450});
  CHECK(tdd::exec::stage_timeout(seconds{900}, task_complexity::medium)
        == seconds{900});
  CHECK(tdd::exec::stage_timeout(seconds{900}, task_complexity::high)
        == seconds{1800});
  CHECK(tdd::exec::stage_timeout(seconds{1}, task_complexity::low) == seconds{1});
}
