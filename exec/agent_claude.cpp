// Reading `claude -p --output-format json`: one result object
//   {"type":"result","subtype":"success","is_error":false,"result":"...",
//    "session_id":"...","total_cost_usd":0.0348,"num_turns":6,
//    "usage":{"input_tokens":..,"output_tokens":..,
//             "cache_creation_input_tokens":..,"cache_read_input_tokens":..}}
// A failed API call still says subtype "success" but is_error true, with the
// message in `result` ("Invalid API key · Please run /login", "Claude AI
// usage limit reached|1755615600", "5-hour limit reached ∙ resets 3pm").
// stream-json / --verbose output (one message per line, or one array) is
// accepted too; there a `rate_limit_event` with status "rejected" carries
// the reset time in `rate_limit_info.resetsAt`.

#include "exec/agent_json.hpp"
#include "exec/agent_text.hpp"

#include <array>

namespace tdd::exec::detail {

namespace {

struct claude_scan {
  std::optional<json_value> result; ///< the last "result" message
  bool rejected = false;            ///< a rate_limit_event said "rejected"
  std::optional<int64_t> reset_at;  ///< its resetsAt
};

void collect(const json_value& value, claude_scan& scan) {
  if (value.type == json_value::kind::array) {
    for (const auto& item : value.items) {
      collect(item, scan);
    }
    return;
  }
  if (!value.is_object()) {
    return;
  }
  const auto type = value.string_at("type").value_or("");
  if (type == "result") {
    scan.result = value;
    return;
  }
  const auto* info = value.find("rate_limit_info");
  if (type != "rate_limit_event" || info == nullptr
      || info->string_at("status").value_or("") != "rejected") {
    return;
  }
  scan.rejected = true;
  if (const auto text = info->number_at("resetsAt")) {
    if (const auto epoch = scale_decimal(*text, 0, rounding::up)) {
      scan.reset_at = normalize_epoch(*epoch);
    }
  }
}

// Every line that holds a JSON value, else (pretty-printed output) the text
// from the first line that opens one. Warnings around it are skipped.
claude_scan scan_output(std::string_view output) {
  claude_scan scan;
  std::optional<size_t> first_open;
  for (const auto line : split_lines(output)) {
    const auto text = trim(line);
    if (text.empty() || (text.front() != '{' && text.front() != '[')) {
      continue;
    }
    if (!first_open) {
      first_open = static_cast<size_t>(text.data() - output.data());
    }
    if (const auto value = parse_json(text)) {
      collect(*value, scan);
    }
  }
  if (!scan.result && !scan.rejected && first_open) {
    if (const auto value = parse_json(output.substr(*first_open))) {
      collect(*value, scan);
    }
  }
  return scan;
}

int64_t count_at(const json_value& object, std::string_view key) {
  const auto text = object.number_at(key);
  return text ? scale_decimal(*text, 0, rounding::half_up).value_or(0) : 0;
}

// Cost, tokens and session id: recorded whatever the outcome, since an
// error_max_turns run was paid for too.
void read_accounting(const json_value& result, agent_report& out) {
  auto cost = result.number_at("total_cost_usd");
  if (!cost) {
    cost = result.number_at("cost_usd"); // older releases
  }
  if (cost) {
    out.cost = parse_cost_usd(*cost).value_or(0);
  }
  if (const auto* usage = result.find("usage");
      usage != nullptr && usage->is_object()) {
    out.tokens = count_at(*usage, "input_tokens")
                 + count_at(*usage, "output_tokens")
                 + count_at(*usage, "cache_creation_input_tokens")
                 + count_at(*usage, "cache_read_input_tokens");
  }
  out.session_id = result.string_at("session_id").value_or("");
}

// "Claude AI usage limit reached|1755615600": the epoch after the bar.
std::optional<int64_t> limit_epoch(const std::string& lowered) {
  constexpr std::string_view marker = "usage limit reached|";
  const auto at = lowered.find(marker);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const auto start = at + marker.size();
  auto end = start;
  while (end < lowered.size() && lowered[end] >= '0' && lowered[end] <= '9') {
    ++end;
  }
  const auto epoch = scale_decimal(
    std::string_view{lowered}.substr(start, end - start), 0, rounding::up);
  if (!epoch) {
    return std::nullopt;
  }
  return normalize_epoch(*epoch);
}

// Checked before the fatal words: "You've hit your limit · resets 11am
// (UTC) · /login to switch to an API usage-billed account" names /login
// but only needs waiting.
bool is_limit_text(const std::string& lowered) {
  return contains_any(lowered, {"limit reached", "hit your limit",
                                "usage limit", "rate limit", "rate_limit"});
}

bool is_fatal_text(const std::string& lowered) {
  return contains_any(lowered,
                      {"invalid api key", "/login", "not logged in",
                       "oauth token revoked", "oauth token has expired",
                       "authentication_error", "credit balance is too low",
                       "issue with the selected model", "not_found_error",
                       "permission denied", "eacces"});
}

agent_report usage_limit(agent_report out, std::optional<int64_t> reset_at,
                         std::string_view text) {
  out.status = agent_report::outcome::usage_limit;
  out.reset_at_epoch_s = reset_at;
  // A blank text would leave an error without a message.
  out.message
    = trim(text).empty() ? "claude reported a usage limit" : one_line(text);
  return out;
}

agent_report failure(agent_report out, std::string message,
                     bool fatal = false) {
  out.status = agent_report::outcome::agent_error;
  out.message = std::move(message);
  out.fatal = fatal;
  return out;
}

// No result message: classify the raw output of a failed run.
agent_report without_result(const command_result& result,
                            const claude_scan& scan) {
  agent_report out;
  if (scan.rejected) {
    return usage_limit(out, scan.reset_at, "");
  }
  const auto line = last_line(result.output);
  if (result.exit_code == 0) {
    return failure(out, "claude printed no JSON result: " + one_line(line));
  }
  const auto lowered = lower(result.output);
  if (const auto epoch = limit_epoch(lowered)) {
    return usage_limit(out, epoch, line);
  }
  if (is_limit_text(lowered)) {
    return usage_limit(out, std::nullopt, line);
  }
  return failure(
    out, "claude " + exit_text(result.exit_code) + ": " + one_line(line),
    is_fatal_text(lowered));
}

std::string stop_reason(const json_value& result, std::string_view subtype) {
  std::string out = "claude stopped: " + std::string{subtype};
  if (const auto* errors = result.find("errors")) {
    for (const auto& item : errors->items) {
      if (item.type == json_value::kind::string) {
        out += "; " + item.text;
      }
    }
  }
  return one_line(out);
}

} // namespace

agent_report interpret_claude(const command_result& result) {
  const auto scan = scan_output(result.output);
  if (!scan.result) {
    return without_result(result, scan);
  }
  const auto& message = *scan.result;
  agent_report out;
  read_accounting(message, out);
  const auto text = message.string_at("result").value_or("");
  const auto lowered = lower(text);
  const bool is_error = message.bool_at("is_error").value_or(false);
  if (const auto epoch = limit_epoch(lowered)) {
    return usage_limit(out, epoch, text);
  }
  if (scan.rejected) {
    return usage_limit(out, scan.reset_at, text);
  }
  if (is_error) {
    if (message.number_at("api_error_status").value_or("") == "429"
        || is_limit_text(lowered)) {
      return usage_limit(out, std::nullopt, text);
    }
    return failure(
      out, trim(text).empty() ? "claude reported an error" : one_line(text),
      is_fatal_text(lowered));
  }
  const auto subtype = message.string_at("subtype").value_or("success");
  if (subtype != "success") {
    return failure(out, stop_reason(message, subtype));
  }
  if (result.exit_code != 0) {
    return failure(out, "claude " + exit_text(result.exit_code));
  }
  out.status = agent_report::outcome::done;
  return out;
}

} // namespace tdd::exec::detail
