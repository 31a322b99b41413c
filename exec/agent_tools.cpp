// Reading codex and aider, which print for people, not programs. What is
// read, and from where:
// - codex exec: its closing "tokens used" line and the number below it
//   ("12,345"; older releases print "tokens used: 12345"); it prints no
//   cost. Its "ERROR: ..." lines (a "[timestamp] " prefix allowed) on a
//   failed run: "You've hit your usage limit. ... try again in 2 days 3
//   hours 5 minutes." is a usage limit with that wait; an auth failure is
//   fatal. Those lines are only read when codex failed, because codex echoes
//   the prompt (task text) into the same output.
// - aider: "Tokens: 2.3k sent, 120 received. Cost: $0.01 message, $0.04
//   session." lines: cost is the last session total, tokens the sum of
//   sent + received over all lines (aider rounds them: approximate). aider
//   exits 0 even when the API call failed, so litellm exception lines
//   decide: AuthenticationError, NotFoundError (unknown model) and
//   PermissionDeniedError are fatal, RateLimitError a usage limit.

#include "exec/agent_json.hpp"
#include "exec/agent_text.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace tdd::exec::detail {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

// a + b for counts >= 0, stuck at the largest int64 instead of overflowing
// (UB): an output can repeat a count as often as it likes.
int64_t add_counts(int64_t a, int64_t b) {
  constexpr int64_t most = std::numeric_limits<int64_t>::max();
  return b > most - a ? most : a + b;
}

// "12,345" -> 12345; nullopt unless digits and separators only.
std::optional<int64_t> grouped_count(std::string_view text) {
  std::string digits;
  for (const char ch : trim(text)) {
    if (ch == ',' || ch == '_') {
      continue;
    }
    if (!is_digit(ch)) {
      return std::nullopt;
    }
    digits += ch;
  }
  return scale_decimal(digits, 0, rounding::half_up);
}

int64_t codex_tokens(std::string_view output) {
  const auto lines = split_lines(output);
  int64_t tokens = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto line = lower(trim(lines[i]));
    if (starts_with(line, "tokens used:")) {
      tokens
        = grouped_count(std::string_view{line}.substr(12)).value_or(tokens);
    } else if (line == "tokens used" && i + 1 < lines.size()) {
      tokens = grouped_count(lines[i + 1]).value_or(tokens);
    }
  }
  return tokens;
}

// "error: ..." lines, lower-cased, a leading "[...] " timestamp removed.
std::vector<std::string> codex_errors(std::string_view output) {
  std::vector<std::string> out;
  for (const auto line : split_lines(output)) {
    auto text = lower(trim(line));
    if (starts_with(text, "[")) {
      const auto close = text.find("] ");
      text = close == std::string::npos ? text : text.substr(close + 2);
    }
    if (starts_with(text, "error:") || starts_with(text, "error ")) {
      out.push_back(std::move(text));
    }
  }
  return out;
}

int64_t unit_seconds(std::string_view word) {
  for (const auto& [unit, seconds] :
       {std::pair<std::string_view, int64_t>{"day", 86400},
        {"hour", 3600},
        {"minute", 60},
        {"second", 1}}) {
    if (starts_with(word, unit)) {
      return seconds;
    }
  }
  return 0;
}

// "... try again in 5 days 22 hours 11 minutes." -> seconds. Stops at the
// first word that is neither a count, a unit nor "and".
std::optional<int64_t> try_again_in(const std::string& lowered) {
  constexpr std::string_view marker = "try again in ";
  const auto at = lowered.find(marker);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const auto rest = std::string_view{lowered}.substr(at + marker.size());
  if (starts_with(rest, "less than a minute")) {
    return 60;
  }
  int64_t total = 0;
  // A number waiting for its unit; -1 = none. (Not std::optional: g++ 12
  // at -O2 reports a false maybe-uninitialized on it.)
  int64_t count = -1;
  size_t pos = 0;
  while (pos < rest.size()) {
    const auto end = std::min(rest.find_first_of(" ,", pos), rest.size());
    auto word = rest.substr(pos, end - pos);
    pos = end + 1;
    const bool last = !word.empty() && word.back() == '.';
    word.remove_suffix(last ? 1 : 0);
    if (!word.empty() && word.size() < 10
        && word.find_first_not_of("0123456789") == std::string_view::npos) {
      count = scale_decimal(word, 0, rounding::half_up).value_or(-1);
    } else if (count >= 0 && unit_seconds(word) > 0) {
      total = add_counts(total, count * unit_seconds(word));
      count = -1;
    } else if (!word.empty() && word != "and") {
      break;
    }
    if (last) {
      break;
    }
  }
  return total > 0 ? std::optional<int64_t>{total} : std::nullopt;
}

agent_report with_status(agent_report out, agent_report::outcome status,
                         std::string message, bool fatal = false) {
  out.status = status;
  out.message = std::move(message);
  out.fatal = fatal;
  return out;
}

// "2.3k" -> 2300, "120" -> 120, "1.2M" -> 1200000 (aider's rounding).
int64_t abbreviated_count(std::string_view text) {
  int digits = 0;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) {
    digits = 3;
  } else if (!text.empty() && text.back() == 'M') {
    digits = 6;
  }
  text.remove_suffix(digits > 0 ? 1 : 0);
  return scale_decimal(text, digits, rounding::half_up).value_or(0);
}

// The text after "Tokens: ": "2.3k sent, 1k cache write, 120 received.
// Cost: ...": sent + received.
int64_t aider_line_tokens(std::string_view text) {
  constexpr std::string_view received = "received";
  const auto cut = text.find(received);
  text = text.substr(0, cut == std::string_view::npos ? text.size()
                                                      : cut + received.size());
  int64_t total = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const auto end = std::min(text.find(',', pos), text.size());
    const auto item = trim(text.substr(pos, end - pos));
    pos = end + 1;
    const auto space = item.find(' ');
    if (space == std::string_view::npos) {
      continue;
    }
    const auto word = item.substr(space + 1);
    if (word == "sent" || word == received) {
      total = add_counts(total, abbreviated_count(item.substr(0, space)));
    }
  }
  return total;
}

void aider_accounting(std::string_view output, agent_report& out) {
  for (const auto raw : split_lines(output)) {
    const auto line = trim(raw);
    const auto tokens_at = line.find("Tokens: ");
    if (tokens_at != std::string_view::npos) {
      out.tokens
        = add_counts(out.tokens, aider_line_tokens(line.substr(tokens_at + 8)));
    }
    const auto cost_at = line.find("Cost: $");
    const auto session_at = line.rfind(" session");
    if (cost_at == std::string_view::npos
        || session_at == std::string_view::npos) {
      continue;
    }
    const auto dollar = line.rfind('$', session_at);
    if (dollar != std::string_view::npos && dollar > cost_at) {
      const auto amount = line.substr(dollar + 1, session_at - dollar - 1);
      out.cost = parse_cost_usd(amount).value_or(out.cost);
    }
  }
}

} // namespace

agent_report interpret_codex(const command_result& result) {
  agent_report out;
  out.tokens = codex_tokens(result.output);
  if (result.exit_code == 0) {
    out.status = agent_report::outcome::done;
    return out;
  }
  const auto errors = codex_errors(result.output);
  for (auto it = errors.rbegin(); it != errors.rend(); ++it) {
    if (contains_any(*it, {"usage limit", "rate limit"})) {
      if (const auto wait = try_again_in(*it)) {
        out.retry_after = std::chrono::seconds{*wait};
      }
      return with_status(out, agent_report::outcome::usage_limit,
                         one_line(*it));
    }
    const bool unknown_model = contains_any(*it, {"model_not_found"})
                               || (contains_any(*it, {"model"})
                                   && contains_any(*it, {"does not exist"}));
    if (unknown_model
        || contains_any(
          *it, {"not logged in", "unauthorized", "401", "api key", "login"})) {
      return with_status(out, agent_report::outcome::agent_error, one_line(*it),
                         true);
    }
  }
  const auto why
    = errors.empty() ? std::string{last_line(result.output)} : errors.back();
  return with_status(out, agent_report::outcome::agent_error,
                     "codex " + exit_text(result.exit_code) + ": "
                       + one_line(why));
}

agent_report interpret_aider(const command_result& result) {
  agent_report out;
  aider_accounting(result.output, out);
  for (const auto raw : split_lines(result.output)) {
    const auto line = trim(raw);
    if (starts_with(line, "litellm.AuthenticationError")
        || starts_with(line, "litellm.NotFoundError")
        || starts_with(line, "litellm.PermissionDeniedError")) {
      return with_status(out, agent_report::outcome::agent_error,
                         one_line(line), true);
    }
    if (starts_with(line, "litellm.RateLimitError")) {
      return with_status(out, agent_report::outcome::usage_limit,
                         one_line(line));
    }
  }
  if (result.exit_code != 0) {
    return with_status(out, agent_report::outcome::agent_error,
                       "aider " + exit_text(result.exit_code) + ": "
                         + one_line(last_line(result.output)));
  }
  out.status = agent_report::outcome::done;
  return out;
}

} // namespace tdd::exec::detail
