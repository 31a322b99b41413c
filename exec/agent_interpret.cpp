// `interpret` for every preset: the outcomes any process can have (timed
// out, cancelled, could not start), the cmd protocol, and the shared text
// helpers. claude, codex and aider output readers live next door.

#include "exec/agent.hpp"
#include "exec/agent_json.hpp"
#include "exec/agent_text.hpp"

#include <algorithm>

namespace tdd::exec {

namespace detail {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end;
    auto line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    out.push_back(line);
    start = end + 1;
  }
  return out;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

std::string lower(std::string_view text) {
  std::string out{text};
  for (auto& ch : out) {
    if (ch >= 'A' && ch <= 'Z') {
      ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  return out;
}

bool contains_any(std::string_view haystack,
                  std::initializer_list<std::string_view> needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [haystack](std::string_view needle) {
                       return haystack.find(needle) != std::string_view::npos;
                     });
}

std::string_view last_line(std::string_view text) {
  const auto lines = split_lines(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!trim(*it).empty()) {
      return trim(*it);
    }
  }
  return {};
}

std::string one_line(std::string_view text) {
  constexpr size_t limit = 400;
  text = trim(text);
  bool cut = false;
  if (text.size() > limit) {
    size_t end = limit;
    // Never split a UTF-8 sequence: back off over continuation bytes.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    text = text.substr(0, end);
    cut = true;
  }
  std::string out{text};
  for (auto& ch : out) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F) {
      ch = ' ';
    }
  }
  return cut ? out + "..." : out;
}

std::string exit_text(int exit_code) {
  if (exit_code > 128 && exit_code <= 128 + 64) {
    return "was killed by signal " + std::to_string(exit_code - 128);
  }
  return "exited with status " + std::to_string(exit_code);
}

int64_t normalize_epoch(int64_t value) {
  constexpr int64_t year_5138_in_seconds = 100'000'000'000;
  return value >= year_5138_in_seconds ? value / 1000 : value;
}

} // namespace detail

namespace {

using detail::contains_any;
using detail::exit_text;
using detail::last_line;
using detail::lower;
using detail::one_line;

agent_report error_report(std::string message, bool fatal = false) {
  agent_report out;
  out.status = agent_report::outcome::agent_error;
  out.message = std::move(message);
  out.fatal = fatal;
  return out;
}

std::string program_name(const agent_spec& agent) {
  if (agent.kind != agent_kind::cmd) {
    return to_string(agent.kind);
  }
  return agent.words.empty() ? std::string{} : agent.words.front();
}

// Could not start. run_command says why: 'program "x" not found', '...
// is not executable: Permission denied', '... has an unknown format', or
// 'cannot chdir to DIR: ...' (the worktree's problem, not the agent's).
agent_report not_started(const agent_spec& agent, const std::string& error) {
  const auto why = lower(error);
  const auto name = core::quote(program_name(agent));
  if (why.rfind("cannot chdir", 0) == 0) {
    return error_report("could not start " + name + ": " + one_line(error));
  }
  if (why.find("not found") != std::string::npos) {
    return error_report(agent.kind == agent_kind::cmd
                          ? "no such program: " + name
                          : "agent program " + name + " not found; "
                              + install_hint(agent.kind),
                        true);
  }
  const bool hopeless = contains_any(
    why, {"not executable", "permission denied", "unknown format"});
  return error_report("cannot run " + name + ": " + one_line(error), hopeless);
}

// A process that never ran to its own end: nothing it printed counts.
std::optional<agent_report> unfinished(const agent_spec& agent,
                                       const command_result& result) {
  if (result.spawn_failed) {
    return not_started(agent, result.error);
  }
  if (result.timed_out) {
    const auto seconds
      = std::chrono::duration_cast<std::chrono::seconds>(result.duration);
    return error_report("agent timed out after "
                        + std::to_string(seconds.count())
                        + " s and was killed");
  }
  if (result.cancelled) {
    return error_report("agent was stopped (cancelled)");
  }
  return std::nullopt;
}

// The cmd protocol's optional last line: {"cost_usd": 0.12, "tokens": 3400,
// "retry_after_s": 60}. Anything else on that line is simply output.
void read_last_line(std::string_view output, agent_report& out,
                    std::optional<int64_t>& retry_after_s) {
  const auto json = parse_json(last_line(output));
  if (!json || !json->is_object()) {
    return;
  }
  if (const auto text = json->number_at("cost_usd")) {
    out.cost = parse_cost_usd(*text).value_or(0);
  }
  if (const auto text = json->number_at("tokens")) {
    out.tokens = scale_decimal(*text, 0, rounding::half_up).value_or(0);
  }
  if (const auto text = json->number_at("retry_after_s")) {
    retry_after_s = scale_decimal(*text, 0, rounding::up);
  }
}

agent_report interpret_cmd(const command_result& result) {
  agent_report out;
  std::optional<int64_t> retry_after_s;
  read_last_line(result.output, out, retry_after_s);
  constexpr int ex_tempfail = 75;
  if (result.exit_code == 0) {
    out.status = agent_report::outcome::done;
    return out;
  }
  if (result.exit_code == ex_tempfail) {
    out.status = agent_report::outcome::usage_limit;
    out.message = "agent reported a usage limit (exit 75)";
    if (retry_after_s) {
      out.retry_after = std::chrono::seconds{*retry_after_s};
    }
    return out;
  }
  out.status = agent_report::outcome::agent_error;
  out.message = "agent " + exit_text(result.exit_code);
  if (const auto line = last_line(result.output); !line.empty()) {
    out.message += ": " + one_line(line);
  }
  return out;
}

} // namespace

std::string to_string(agent_report::outcome x) {
  switch (x) {
  case agent_report::outcome::done:
    return "done";
  case agent_report::outcome::usage_limit:
    return "usage_limit";
  case agent_report::outcome::agent_error:
    return "agent_error";
  }
  return "?";
}

std::optional<core::micro_usd> parse_cost_usd(std::string_view number) {
  constexpr core::micro_usd billion_usd = 1'000'000'000'000'000;
  const auto micros = scale_decimal(number, 6, rounding::half_up);
  if (!micros || *micros >= billion_usd) {
    return std::nullopt;
  }
  return *micros;
}

agent_report interpret(const agent_spec& agent, const command_result& result) {
  if (auto early = unfinished(agent, result)) {
    return std::move(*early);
  }
  switch (agent.kind) {
  case agent_kind::claude:
    return detail::interpret_claude(result);
  case agent_kind::codex:
    return detail::interpret_codex(result);
  case agent_kind::aider:
    return detail::interpret_aider(result);
  case agent_kind::cmd:
    break;
  }
  return interpret_cmd(result);
}

} // namespace tdd::exec
