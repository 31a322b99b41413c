#include "exec/agent.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>

using namespace tdd::exec;
using outcome = agent_report::outcome;

namespace {

std::string sample(const std::string& name) {
  std::ifstream in{std::string{TDD_SOURCE_DIR} + "/tests/exec/samples/" + name};
  REQUIRE_MESSAGE(in.good(), name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

agent_spec agent(std::string_view text) {
  std::string error;
  auto out = parse_agent(text, error);
  REQUIRE_MESSAGE(out.has_value(), error);
  return *out;
}

command_result exited(int code, std::string output = {}) {
  command_result out;
  out.exit_code = code;
  out.output = std::move(output);
  return out;
}

agent_report read(std::string_view preset, int code, const std::string& file) {
  return interpret(agent(preset), exited(code, sample(file)));
}

} // namespace

TEST_CASE("cmd: exit 0 is done, 75 a usage limit, anything else an error") {
  const auto cmd = agent("cmd:agent");
  auto report = interpret(cmd, exited(0, "did it\n"));
  CHECK(report.status == outcome::done);
  CHECK(report.message.empty());
  CHECK_FALSE(report.fatal);

  report = interpret(cmd, exited(75, "busy\n"));
  CHECK(report.status == outcome::usage_limit);
  CHECK_FALSE(report.retry_after.has_value());
  CHECK_FALSE(report.fatal);

  report = interpret(cmd, exited(75, "busy\n{\"retry_after_s\": 120}\n"));
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.retry_after == std::chrono::seconds{120});
  report = interpret(cmd, exited(75, "{\"retry_after_s\": 0.2}"));
  CHECK(report.retry_after == std::chrono::seconds{1}); // never too short

  report = interpret(cmd, exited(3, "boom\nlast words\n"));
  CHECK(report.status == outcome::agent_error);
  CHECK(report.message == "agent exited with status 3: last words");
  CHECK_FALSE(report.fatal);
  report = interpret(cmd, exited(137));
  CHECK(report.message == "agent was killed by signal 9");
  // retry_after only means something for a usage limit.
  CHECK_FALSE(interpret(cmd, exited(1, "{\"retry_after_s\": 5}")).retry_after);
}

TEST_CASE("cmd: a last-line JSON object reports cost and tokens exactly") {
  const auto cmd = agent("cmd:agent");
  auto report = interpret(
    cmd, exited(0, "work\n{\"cost_usd\": 0.12, \"tokens\": 3400}\n"));
  CHECK(report.cost == 120000);
  CHECK(report.tokens == 3400);
  report = interpret(cmd, exited(0, "{\"cost_usd\": 0.000001}"));
  CHECK(report.cost == 1);
  report = interpret(cmd, exited(0, R"({"cost_usd": "1.5e-3"})"
                                    "  \n\n"));
  CHECK(report.cost == 1500);
  // Cost counts on failures too: the money was spent.
  report = interpret(cmd, exited(2, R"({"cost_usd": 2.5, "tokens": 10})"));
  CHECK(report.status == outcome::agent_error);
  CHECK(report.cost == 2500000);
  // Only the last line counts, and nonsense there is just output.
  CHECK(interpret(cmd, exited(0, "{\"cost_usd\": 1}\nbye")).cost == 0);
  CHECK(interpret(cmd, exited(0, "{\"cost_usd\": -1}")).cost == 0);
  CHECK(interpret(cmd, exited(0, "{\"cost_usd\": 0.1")).cost == 0);
  CHECK(interpret(cmd, exited(0, "[0.5]")).cost == 0);
}

TEST_CASE("processes that did not finish on their own are agent errors") {
  command_result timed_out;
  timed_out.timed_out = true;
  timed_out.exit_code = 143;
  timed_out.duration = std::chrono::milliseconds{900'400};
  timed_out.output = "{\"cost_usd\": 1}";
  for (const char* preset : {"claude", "codex", "aider", "cmd:agent"}) {
    const std::string shown{preset};
    CAPTURE(shown);
    auto report = interpret(agent(preset), timed_out);
    CHECK(report.status == outcome::agent_error);
    CHECK(report.message == "agent timed out after 900 s and was killed");
    CHECK_FALSE(report.fatal);
  }
  command_result cancelled;
  cancelled.cancelled = true;
  CHECK(interpret(agent("cmd:agent"), cancelled).message
        == "agent was stopped (cancelled)");
}

TEST_CASE("a missing program is fatal, with how to install it") {
  command_result missing;
  missing.spawn_failed = true;
  missing.exit_code = 127;
  missing.error = "program \"claude\" not found in PATH";
  auto report = interpret(agent("claude"), missing);
  CHECK(report.status == outcome::agent_error);
  CHECK(report.fatal);
  CHECK(report.message
        == "agent program \"claude\" not found; install it with: npm install"
           " -g @anthropic-ai/claude-code");
  missing.error = "program \"./fake-agent.sh\" not found";
  report = interpret(agent("cmd:./fake-agent.sh {stage}"), missing);
  CHECK(report.fatal);
  CHECK(report.message == "no such program: \"./fake-agent.sh\"");
  missing.error = "program \"x\" is not executable: Permission denied";
  report = interpret(agent("cmd:x"), missing);
  CHECK(report.fatal);
  CHECK(report.message
        == "cannot run \"x\": program \"x\" is not executable: Permission"
           " denied");
  // A missing worktree is not the agent's fault and may heal.
  missing.error = "cannot chdir to /w: No such file or directory";
  report = interpret(agent("cmd:x"), missing);
  CHECK_FALSE(report.fatal);
  CHECK(report.message
        == "could not start \"x\": cannot chdir to /w: No such file or "
           "directory");
}

TEST_CASE("claude: a success result gives cost, tokens and session id") {
  const auto report = read("claude", 0, "claude_success.json");
  CHECK(report.status == outcome::done);
  CHECK(report.cost == 34816); // 0.034816499999999996 rounds to micros
  CHECK(report.tokens == 12 + 5536 + 13155 + 812);
  CHECK(report.session_id == "5f1c2a0e-8d3b-4e39-9c55-2b1d7f4e6a10");
  CHECK(report.message.empty());
  CHECK_FALSE(report.fatal);
  // Warnings printed around the JSON do not hide it; a non-zero exit does
  // not pass.
  const auto noisy = "(node:4711) Warning: something\n"
                     + sample("claude_success.json") + "bye\n";
  CHECK(interpret(agent("claude"), exited(0, noisy)).status == outcome::done);
  CHECK(interpret(agent("claude"), exited(1, noisy)).message
        == "claude exited with status 1");
}

TEST_CASE("claude: is_error is an agent error even with exit 0") {
  const auto report = read("claude", 0, "claude_is_error.json");
  CHECK(report.status == outcome::agent_error);
  CHECK_FALSE(report.fatal);
  CHECK(report.message.rfind("API Error: 529", 0) == 0);
  CHECK(report.session_id == "9a2c7e11-3b4d-4f5a-8c6e-1d2f3a4b5c6d");
}

TEST_CASE("claude: usage limits pause dispatch, with the reset time") {
  auto report = read("claude", 1, "claude_usage_limit.json");
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.reset_at_epoch_s == 1755615600);
  CHECK_FALSE(report.fatal);

  report = read("claude", 1, "claude_stream_rate_limit.jsonl");
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.reset_at_epoch_s == 1771390800);
  CHECK(report.session_id == "1ae0af5b-89fa-4075-8156-d5d3702f6505");

  // Mentions /login, but waiting is all it needs; no epoch to read.
  report = read("claude", 1, "claude_hit_limit.json");
  CHECK(report.status == outcome::usage_limit);
  CHECK_FALSE(report.fatal);
  CHECK_FALSE(report.reset_at_epoch_s.has_value());

  // Milliseconds are read as such.
  report = interpret(agent("claude"),
                     exited(1, "{\"type\":\"result\",\"is_error\":true,"
                               "\"result\":\"Claude AI usage limit "
                               "reached|1755615600000\"}"));
  CHECK(report.reset_at_epoch_s == 1755615600);
  report = interpret(agent("claude"),
                     exited(1, "{\"type\":\"result\",\"is_error\":true,"
                               "\"api_error_status\":429,\"result\":\"API "
                               "Error: 429\"}"));
  CHECK(report.status == outcome::usage_limit);
}

TEST_CASE("claude: errors no retry can fix are fatal, in claude's words") {
  auto report = read("claude", 1, "claude_invalid_api_key.json");
  CHECK(report.status == outcome::agent_error);
  CHECK(report.fatal);
  CHECK(report.message == "Invalid API key · Please run /login");

  report = read("claude", 1, "claude_unknown_model.json");
  CHECK(report.fatal);
  CHECK(report.message.find("claude-fable-5") != std::string::npos);

  for (const char* text :
       {"OAuth token revoked · Please run /login", "Credit balance is too low",
        "EACCES: permission denied, open "
        "'/home/u/.claude.json'"}) {
    const std::string shown{text};
    CAPTURE(shown);
    const auto json = std::string{"{\"type\":\"result\",\"is_error\":true,"
                                  "\"result\":\""}
                      + text + "\"}";
    CHECK(interpret(agent("claude"), exited(1, json)).fatal);
  }
}

TEST_CASE("claude: other stops are agent errors that keep their cost") {
  const auto report = read("claude", 1, "claude_max_turns.json");
  CHECK(report.status == outcome::agent_error);
  CHECK_FALSE(report.fatal);
  CHECK(report.message == "claude stopped: error_max_turns");
  CHECK(report.cost == 412050);
  CHECK(report.tokens == 340 + 20480 + 301122 + 9034);
}

TEST_CASE("claude: output that is not JSON is an agent error") {
  auto report = read("claude", 1, "claude_garbage.txt");
  CHECK(report.status == outcome::agent_error);
  CHECK_FALSE(report.fatal);
  CHECK(report.message == "claude exited with status 1: Node.js v22.17.0");
  report = read("claude", 0, "claude_garbage.txt");
  CHECK(report.status == outcome::agent_error);
  CHECK(report.message.rfind("claude printed no JSON result", 0) == 0);
  // Plain-text failures are still classified.
  report = interpret(agent("claude"),
                     exited(1, "Invalid API key · Please run /login\n"));
  CHECK(report.fatal);
  report = interpret(agent("claude"),
                     exited(1, "Claude AI usage limit reached|1755615600\n"));
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.reset_at_epoch_s == 1755615600);
  CHECK(interpret(agent("claude"), exited(0, "")).status
        == outcome::agent_error);
}

TEST_CASE("codex: exit status decides, tokens and limits are read") {
  auto report = read("codex", 0, "codex_success.txt");
  CHECK(report.status == outcome::done);
  CHECK(report.tokens == 12345);
  CHECK(report.cost == 0); // codex prints no cost

  report = read("codex", 1, "codex_usage_limit.txt");
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.retry_after
        == std::chrono::seconds{2 * 86400 + 17 * 3600 + 14 * 60});
  CHECK_FALSE(report.fatal);

  report = interpret(agent("codex"),
                     exited(1, "[2025-09-01T10:00:00] ERROR: You've hit your "
                               "usage limit. Try again in less than a "
                               "minute.\ntokens used: 77\n"));
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.retry_after == std::chrono::seconds{60});
  CHECK(report.tokens == 77);

  report = interpret(agent("codex"),
                     exited(1, "ERROR: unexpected status 401 Unauthorized: "
                               "Missing bearer authentication\n"));
  CHECK(report.fatal);
  CHECK(interpret(agent("codex"),
                  exited(1, "ERROR: The model `gpt-9` does not exist or you do "
                            "not have access to it.\n"))
          .fatal);
  CHECK_FALSE(
    interpret(agent("codex"), exited(1, "ERROR: file x.py does not exist\n"))
      .fatal);
  report = interpret(agent("codex"), exited(1, "something broke\n"));
  CHECK(report.status == outcome::agent_error);
  CHECK_FALSE(report.fatal);
  CHECK(report.message == "codex exited with status 1: something broke");
}

TEST_CASE("aider: cost and tokens from its report lines, errors by name") {
  auto report = read("aider", 0, "aider_session.txt");
  CHECK(report.status == outcome::done);
  CHECK(report.cost == 20000);                    // last "$0.02 session"
  CHECK(report.tokens == 2300 + 120 + 4600 + 85); // rounded by aider

  report = read("aider", 0, "aider_auth_error.txt"); // aider exits 0
  CHECK(report.status == outcome::agent_error);
  CHECK(report.fatal);
  CHECK(report.message.rfind("litellm.AuthenticationError", 0) == 0);

  report = interpret(agent("aider"),
                     exited(0, "litellm.RateLimitError: rate limited\n"));
  CHECK(report.status == outcome::usage_limit);
  report = interpret(agent("aider"), exited(2, "usage: aider [-h]\n"));
  CHECK(report.status == outcome::agent_error);
  CHECK(report.message == "aider exited with status 2: usage: aider [-h]");
}

TEST_CASE("claude: a blank result text still gives the error a message") {
  auto report = interpret(
    agent("claude"),
    exited(1, R"({"type":"result","is_error":true,"result":" \t "})"));
  CHECK(report.status == outcome::agent_error);
  CHECK(report.message == "claude reported an error");
  report
    = interpret(agent("claude"),
                exited(0, "{\"type\":\"rate_limit_event\",\"rate_limit_info\":"
                          "{\"status\":\"rejected\"}}\n"
                          "{\"type\":\"result\",\"result\":\"  \"}\n"));
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.message == "claude reported a usage limit");
}

TEST_CASE("repeated counts saturate instead of overflowing") {
  // Signed overflow (UB) before: over 9223 such items in aider's "Tokens:"
  // lines, or over 106752 "999999999 days" in codex's wait. Both need more
  // than the 64 KiB an agent's output is cut to, unless the limit is raised.
  constexpr auto most = std::numeric_limits<int64_t>::max();
  std::string tokens = "Tokens: 1";
  for (int i = 0; i < 9300; ++i) {
    tokens += "e15 sent, 1";
  }
  auto report = interpret(agent("aider"), exited(0, tokens + " received.\n"));
  CHECK(report.status == outcome::done);
  CHECK(report.tokens == most);

  std::string wait = "ERROR: usage limit reached, try again in";
  for (int i = 0; i < 107000; ++i) {
    wait += " 999999999 days";
  }
  report = interpret(agent("codex"), exited(1, wait + ".\n"));
  CHECK(report.status == outcome::usage_limit);
  CHECK(report.retry_after == std::chrono::seconds{most});
}

TEST_CASE("outcomes have stable names") {
  CHECK(to_string(outcome::done) == "done");
  CHECK(to_string(outcome::usage_limit) == "usage_limit");
  CHECK(to_string(outcome::agent_error) == "agent_error");
}
