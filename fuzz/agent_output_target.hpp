#pragma once

// One input of the agent-output fuzz target. The bytes are, all at once:
// - what an agent printed: `exec::interpret` reads them for every preset,
//   with exit statuses 0, 1, 75 and 137 and as an unfinished run;
// - JSON text for `exec::parse_json`, whose result must print and parse
//   back the same, and whose numbers go through `scale_decimal`;
// - an `agent` setting for `exec::parse_agent` (the cmd preset uses the
//   parsed template when there is one).

#include "exec/agent.hpp"
#include "exec/agent_json.hpp"
#include "exec/command.hpp"
#include "fuzz/findings.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace tdd::fuzz {

namespace agent_output_detail {

/// JSON text for `value`; strings escaped so that parse_json reads back
/// the same bytes.
inline void write_json(const exec::json_value& value, std::string& out) {
  using kind = exec::json_value::kind;
  const auto write_string = [&out](const std::string& text) {
    out += '"';
    for (const char ch : text) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += ch;
      } else if (is_control(ch) && ch != 0x7F) {
        std::array<char, 7> buf{};
        (void)std::snprintf(buf.data(), buf.size(), "\\u%04x",
                            static_cast<unsigned>(ch));
        out += buf.data();
      } else {
        out += ch;
      }
    }
    out += '"';
  };
  switch (value.type) {
  case kind::null:
    out += "null";
    return;
  case kind::boolean:
    out += value.boolean ? "true" : "false";
    return;
  case kind::number:
    out += value.text;
    return;
  case kind::string:
    write_string(value.text);
    return;
  case kind::array:
    out += '[';
    for (size_t i = 0; i < value.items.size(); ++i) {
      out += i == 0 ? "" : ",";
      write_json(value.items[i], out);
    }
    out += ']';
    return;
  case kind::object:
    out += '{';
    for (size_t i = 0; i < value.members.size(); ++i) {
      out += i == 0 ? "" : ",";
      write_string(value.members[i].key);
      out += ':';
      write_json(value.members[i].value, out);
    }
    out += '}';
    return;
  }
}

inline bool same(const exec::json_value& x, const exec::json_value& y) {
  if (x.type != y.type || x.boolean != y.boolean || x.text != y.text
      || x.items.size() != y.items.size()
      || x.members.size() != y.members.size()) {
    return false;
  }
  for (size_t i = 0; i < x.items.size(); ++i) {
    if (!same(x.items[i], y.items[i])) {
      return false;
    }
  }
  for (size_t i = 0; i < x.members.size(); ++i) {
    if (x.members[i].key != y.members[i].key
        || !same(x.members[i].value, y.members[i].value)) {
      return false;
    }
  }
  return true;
}

/// Promises of `scale_decimal` and `parse_cost_usd` for any text.
inline void check_decimal(std::string_view text, findings& out) {
  using exec::rounding;
  for (const int digits : {0, 6}) {
    const auto half = exec::scale_decimal(text, digits, rounding::half_up);
    const auto up = exec::scale_decimal(text, digits, rounding::up);
    out.expect(half.has_value() == up.has_value(),
               "scale_decimal accepts by rounding mode");
    if (half && up) {
      out.expect(*half >= 0 && *half <= *up && *up - *half <= 1,
                 "scale_decimal rounds out of range");
      out.expect(*up <= 1'000'000'000'000'001, "scale_decimal over 10^15");
    }
  }
  out.expect(text.empty() || text.front() != '-'
               || !exec::scale_decimal(text, 6, rounding::up),
             "scale_decimal accepts a sign");
  if (const auto cost = exec::parse_cost_usd(text)) {
    out.expect(*cost >= 0 && *cost < 1'000'000'000'000'000,
               "parse_cost_usd out of range");
  }
}

inline void check_numbers(const exec::json_value& value, findings& out) {
  if (value.type == exec::json_value::kind::number) {
    check_decimal(value.text, out);
  }
  for (const auto& item : value.items) {
    check_numbers(item, out);
  }
  for (const auto& member : value.members) {
    check_numbers(member.value, out);
  }
}

inline void check_json(std::string_view data, findings& out) {
  const auto value = exec::parse_json(data);
  const auto again = exec::parse_json(data);
  out.expect(value.has_value() == again.has_value()
               && (!value || same(*value, *again)),
             "two JSON parses differ");
  if (!value) {
    return;
  }
  std::string text;
  write_json(*value, text);
  const auto back = exec::parse_json(text);
  out.expect(back && same(*value, *back), "JSON does not read back the same");
  check_numbers(*value, out);
}

/// The parsed `agent` setting for the cmd preset, or a default one.
inline exec::agent_spec cmd_agent(std::string_view data, findings& out) {
  std::string error;
  const auto spec = exec::parse_agent(data, error);
  if (!spec) {
    out.expect(!error.empty(), "parse_agent failed without a reason");
    out.expect(std::none_of(error.begin(), error.end(), is_control)
                 && (error.empty() || error.back() != '.'),
               "parse_agent's error is not one line without a period");
    return {exec::agent_kind::cmd, {"agent.sh"}};
  }
  out.expect(spec->kind != exec::agent_kind::cmd
               || (!spec->words.empty() && !spec->words.front().empty()),
             "parse_agent returned a template without a program");
  if (spec->kind != exec::agent_kind::cmd) {
    return {exec::agent_kind::cmd, {"agent.sh"}};
  }
  return *spec;
}

inline bool same(const exec::agent_report& x, const exec::agent_report& y) {
  return x.status == y.status && x.cost == y.cost && x.tokens == y.tokens
         && x.session_id == y.session_id && x.retry_after == y.retry_after
         && x.reset_at_epoch_s == y.reset_at_epoch_s && x.fatal == y.fatal
         && x.message == y.message;
}

/// What agent.hpp promises of any report.
inline void check_report(const exec::agent_spec& agent,
                         const exec::command_result& result,
                         const exec::agent_report& report, findings& out) {
  using outcome = exec::agent_report::outcome;
  const auto& m = report.message;
  out.expect((report.status == outcome::done) == m.empty(),
             "a report's message is empty exactly when it is done");
  out.expect(std::none_of(m.begin(), m.end(), is_control),
             "a report's message is not one line");
  out.expect(!report.fatal || report.status == outcome::agent_error,
             "fatal without an agent error");
  out.expect(report.cost >= 0 && report.cost < 1'000'000'000'000'000,
             "a report's cost is out of range");
  out.expect(report.tokens >= 0, "a report's tokens are negative");
  out.expect(!report.retry_after || report.retry_after->count() >= 0,
             "a negative retry_after");
  out.expect(!report.reset_at_epoch_s || *report.reset_at_epoch_s >= 0,
             "a negative reset time");
  out.expect(agent.kind == exec::agent_kind::claude
               || report.session_id.empty(),
             "a session id from another agent than claude");
  out.expect(result.ok() || report.status != outcome::done,
             "a failed run is done");
  if (agent.kind == exec::agent_kind::cmd && result.ok()) {
    out.expect(report.status == outcome::done, "cmd exit 0 is not done");
  }
  if (agent.kind == exec::agent_kind::cmd && result.exit_code == 75
      && !result.timed_out) {
    out.expect(report.status == outcome::usage_limit,
               "cmd exit 75 is not a usage limit");
  }
  if (agent.kind == exec::agent_kind::codex && result.ok()) {
    out.expect(report.status == outcome::done, "codex exit 0 is not done");
  }
}

/// The runs each output is read as: exits 0, 1, 75 and 137, then timed
/// out, cancelled and could not start (the output as the reason).
inline std::array<exec::command_result, 7> results_for(std::string_view data) {
  std::array<exec::command_result, 7> out{};
  const std::array<int, 4> exits{0, 1, 75, 137};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].output = std::string{data};
    out[i].exit_code = i < exits.size() ? exits[i] : 137;
    out[i].duration = std::chrono::milliseconds{1500};
  }
  out[4].timed_out = true;
  out[5].cancelled = true;
  out[6].spawn_failed = true;
  out[6].exit_code = 127;
  out[6].error = std::string{data};
  return out;
}

} // namespace agent_output_detail

/// The first broken invariant for `data` as agent output, JSON and agent
/// setting, "" if none.
inline std::string check_agent_output(std::string_view data) {
  using namespace agent_output_detail;
  findings out;
  check_json(data, out);
  if (data.size() <= 64) {
    check_decimal(data, out);
  }
  const std::array<exec::agent_spec, 4> agents{{
    {exec::agent_kind::claude, {}},
    {exec::agent_kind::codex, {}},
    {exec::agent_kind::aider, {}},
    cmd_agent(data, out),
  }};
  for (const auto& result : results_for(data)) {
    for (const auto& agent : agents) {
      const auto report = exec::interpret(agent, result);
      out.expect(same(report, exec::interpret(agent, result)),
                 "two interpretations differ");
      check_report(agent, result, report, out);
    }
  }
  return out.first();
}

} // namespace tdd::fuzz
