#include "actors/slack_message.hpp"

#include "core/config.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

namespace tdd {

namespace {

using core::notify_event;

// Block Kit limits: a header's text is at most 150 characters, a field's
// 2000 and a section's 3000. Reasons are cut well below.
constexpr size_t header_limit = 150;
constexpr size_t detail_limit = 1000;

/// `text` cut to at most `limit` bytes at a character boundary, with "…"
/// when cut.
std::string clip(std::string text, size_t limit) {
  if (text.size() <= limit) {
    return text;
  }
  size_t cut = limit;
  // Back up over UTF-8 continuation bytes (10xxxxxx): never half a character.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  text.resize(cut);
  return text + "\u2026";
}

/// Slack reads `<...>` as links and mentions (`<!channel>`) and `&` as the
/// start of an entity: these three must be escaped in any text.
std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// A message before it becomes Block Kit. Every string here is already
/// escaped for Slack.
struct message {
  std::string text; ///< the fallback
  std::string header;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string body; ///< a section below the fields; "" for none
};

nlohmann::json render(const message& m) {
  auto blocks = nlohmann::json::array();
  blocks.push_back(
    {{"type", "header"},
     {"text",
      {{"type", "plain_text"}, {"text", clip(m.header, header_limit)}}}});
  if (!m.fields.empty()) {
    auto fields = nlohmann::json::array();
    for (const auto& [name, value] : m.fields) {
      std::string text = "*";
      text.append(name).append("*\n").append(value);
      fields.push_back({{"type", "mrkdwn"}, {"text", std::move(text)}});
    }
    blocks.push_back({{"type", "section"}, {"fields", std::move(fields)}});
  }
  if (!m.body.empty()) {
    blocks.push_back(
      {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", m.body}}}});
  }
  return {{"text", m.text}, {"blocks", std::move(blocks)}};
}

std::string run_name(const slack_notification& x) {
  return x.run_id > 0 ? "Run " + std::to_string(x.run_id) : "The run";
}

std::string detail_of(const slack_notification& x) {
  return escape(clip(x.detail, detail_limit));
}

std::string dollars(int64_t micros) {
  return "$" + core::format_usd(micros);
}

std::string tasks_text(const slack_notification& x) {
  return std::to_string(x.tasks_complete) + " complete, "
         + std::to_string(x.tasks_blocked) + " blocked, "
         + std::to_string(x.tasks_total) + " total";
}

void add_run_field(message& m, const slack_notification& x) {
  if (x.run_id > 0) {
    m.fields.emplace_back("Run", std::to_string(x.run_id));
  }
}

void add_usage_fields(message& m, const slack_notification& x) {
  m.fields.emplace_back("Agent invocations", std::to_string(x.invocations));
  m.fields.emplace_back("Cost", dollars(x.cost_micros));
}

message run_started(const slack_notification& x) {
  message m;
  m.header = run_name(x) + " started";
  m.text = m.header + (x.detail.empty() ? "" : ": " + detail_of(x));
  add_run_field(m, x);
  m.fields.emplace_back("Tasks", std::to_string(x.tasks_total));
  m.body = detail_of(x);
  return m;
}

message run_finished(const slack_notification& x) {
  message m;
  const auto outcome = escape(x.outcome);
  m.header = run_name(x) + " finished: " + outcome;
  m.text = m.header + ". " + tasks_text(x) + "; "
           + std::to_string(x.invocations) + " agent invocations, "
           + dollars(x.cost_micros)
           + (x.duration ? ", " + format_duration(*x.duration) : "");
  add_run_field(m, x);
  m.fields.emplace_back("Outcome", outcome);
  m.fields.emplace_back("Tasks", tasks_text(x));
  add_usage_fields(m, x);
  if (x.duration) {
    m.fields.emplace_back("Duration", format_duration(*x.duration));
  }
  m.body = detail_of(x);
  return m;
}

message circuit_message(const slack_notification& x, const std::string& what) {
  message m;
  const auto circuit = escape(x.subject);
  m.header = what + ": " + circuit;
  m.text
    = m.header
      + (x.run_id > 0 ? " in run " + std::to_string(x.run_id) : std::string{});
  m.fields.emplace_back("Circuit", circuit);
  if (x.event == notify_event::circuit_opened) {
    m.fields.emplace_back("Failures", std::to_string(x.failures));
  }
  add_run_field(m, x);
  m.body = detail_of(x);
  return m;
}

message stage_batch(const slack_notification& x) {
  message m;
  const auto n = x.circuits.size();
  m.header = std::to_string(n) + (n == 1 ? " stage circuit" : " stage circuits")
             + " opened";
  std::string names;
  for (size_t i = 0; i < n && i < slack_max_named_circuits; ++i) {
    names += (i == 0 ? "" : "\n") + ("\u2022 " + escape(x.circuits[i]));
  }
  if (n > slack_max_named_circuits) {
    names += "\nand " + std::to_string(n - slack_max_named_circuits) + " more";
  }
  m.text
    = m.header
      + (x.run_id > 0 ? " in run " + std::to_string(x.run_id) : std::string{});
  add_run_field(m, x);
  m.body = names;
  return m;
}

message halted(const slack_notification& x, const std::string& why) {
  message m;
  m.header = run_name(x) + " halted: " + why;
  m.text = m.header + (x.detail.empty() ? "" : ". " + detail_of(x));
  add_run_field(m, x);
  m.fields.emplace_back("Tasks", tasks_text(x));
  add_usage_fields(m, x);
  m.body = detail_of(x);
  return m;
}

message compose(const slack_notification& x) {
  switch (x.event) {
  case notify_event::run_started:
    return run_started(x);
  case notify_event::run_finished:
    return run_finished(x);
  case notify_event::circuit_opened:
    return circuit_message(x, "Circuit open");
  case notify_event::circuit_recovered:
    return circuit_message(x, "Circuit recovered");
  case notify_event::flapping:
    return circuit_message(x, "Circuit flapping");
  case notify_event::stage_circuits_opened:
    return stage_batch(x);
  case notify_event::system_halt:
    return halted(x, "system circuit open");
  case notify_event::budget_exhausted:
    return halted(x, "budget exhausted");
  }
  return run_started(x);
}

} // namespace

std::string slack_message(const slack_notification& x) {
  // `replace`: a reason holding invalid UTF-8 still makes valid JSON.
  return render(compose(x))
    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto total
    = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto s = std::max<int64_t>(0, total);
  if (s < 60) {
    return std::to_string(s) + "s";
  }
  if (s < 3600) {
    return std::to_string(s / 60) + "m " + std::to_string(s % 60) + "s";
  }
  return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) + "m";
}

} // namespace tdd
