#include "core/circuit.hpp"

#include "core/json_string.hpp"
#include "core/stage_rules.hpp"
#include "core/task.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace tdd::core {

namespace {

template <class Enum, size_t N>
using name_table = std::array<std::pair<Enum, std::string_view>, N>;

constexpr name_table<circuit_level, 3> level_names{
  {{circuit_level::stage, "stage"},
   {circuit_level::worker, "worker"},
   {circuit_level::system, "system"}}};

constexpr name_table<circuit_state, 3> state_names{
  {{circuit_state::closed, "closed"},
   {circuit_state::open, "open"},
   {circuit_state::half_open, "half_open"}}};

constexpr name_table<failure_kind, 3> kind_names{
  {{failure_kind::task, "task"},
   {failure_kind::worker, "worker"},
   {failure_kind::usage_limit, "usage_limit"}}};

constexpr name_table<circuit_event_type, 10> event_names{
  {{circuit_event_type::state_change, "state_change"},
   {circuit_event_type::failure_recorded, "failure_recorded"},
   {circuit_event_type::success_recorded, "success_recorded"},
   {circuit_event_type::threshold_reached, "threshold_reached"},
   {circuit_event_type::recovery_started, "recovery_started"},
   {circuit_event_type::recovery_succeeded, "recovery_succeeded"},
   {circuit_event_type::recovery_failed, "recovery_failed"},
   {circuit_event_type::manual_reset, "manual_reset"},
   {circuit_event_type::flapping_detected, "flapping_detected"},
   {circuit_event_type::extension_applied, "extension_applied"}}};

template <class Enum, size_t N>
std::string name_of(const name_table<Enum, N>& xs, Enum x) {
  for (const auto& [value, name] : xs) {
    if (value == x) {
      return std::string{name};
    }
  }
  return "unknown";
}

template <class Enum, size_t N>
std::optional<Enum> value_of(const name_table<Enum, N>& xs,
                             std::string_view x) {
  for (const auto& [value, name] : xs) {
    if (name == x) {
      return value;
    }
  }
  return std::nullopt;
}

/// Worker ids are `worker_N` or `<node>.worker_N`, node names
/// [A-Za-z0-9_-]+: the task key alphabet, without its length limit.
bool is_valid_worker_id(std::string_view id) {
  const auto is_id_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  };
  return !id.empty() && std::all_of(id.begin(), id.end(), is_id_char);
}

/// `TASK:STAGE`: split on the last ':' (keys hold no ':').
std::optional<circuit_ref> parse_stage_ref(std::string_view rest) {
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const auto task = rest.substr(0, colon);
  const bool known_stage = parse_stage(rest.substr(colon + 1)).has_value();
  if (!is_valid_task_key(task) || !known_stage) {
    return std::nullopt;
  }
  return circuit_ref{circuit_level::stage, std::string{rest}};
}

} // namespace

std::string to_string(circuit_level x) {
  return name_of(level_names, x);
}

std::string to_string(circuit_state x) {
  return name_of(state_names, x);
}

std::string to_string(failure_kind x) {
  return name_of(kind_names, x);
}

std::string to_string(circuit_event_type x) {
  return name_of(event_names, x);
}

std::optional<circuit_level> parse_circuit_level(std::string_view x) {
  return value_of(level_names, x);
}

std::optional<circuit_state> parse_circuit_state(std::string_view x) {
  return value_of(state_names, x);
}

std::optional<failure_kind> parse_failure_kind(std::string_view x) {
  return value_of(kind_names, x);
}

std::optional<circuit_event_type> parse_circuit_event_type(std::string_view x) {
  return value_of(event_names, x);
}

event_details& event_details::add(std::string_view key,
                                  std::string_view value) {
  start(key);
  append_json_string(body_, value);
  return *this;
}

event_details& event_details::add(std::string_view key, int64_t value) {
  start(key);
  body_ += std::to_string(value);
  return *this;
}

void event_details::start(std::string_view key) {
  if (!body_.empty()) {
    body_ += ',';
  }
  append_json_string(body_, key);
  body_ += ':';
}

std::string display_id(circuit_level level, const std::string& identifier) {
  if (level == circuit_level::system) {
    return "system";
  }
  return to_string(level) + ":" + identifier;
}

std::optional<circuit_ref> parse_circuit_ref(std::string_view text) {
  constexpr std::string_view stage_prefix = "stage:";
  constexpr std::string_view worker_prefix = "worker:";
  if (text == "system") {
    return circuit_ref{circuit_level::system, "system"};
  }
  if (text.substr(0, stage_prefix.size()) == stage_prefix) {
    return parse_stage_ref(text.substr(stage_prefix.size()));
  }
  if (text.substr(0, worker_prefix.size()) == worker_prefix) {
    const auto id = text.substr(worker_prefix.size());
    if (!is_valid_worker_id(id)) {
      return std::nullopt;
    }
    return circuit_ref{circuit_level::worker, std::string{id}};
  }
  return std::nullopt;
}

} // namespace tdd::core
