#pragma once

// Circuit breaker vocabulary shared by core/ state machines, the store and
// the actors. Circuits persist across restarts, so their times are wall
// clock (`wall_time`); actors derive them from the actor clock, which is
// virtual under the test coordinator.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tdd::core {

using wall_time = std::chrono::system_clock::time_point;

enum class circuit_level : uint8_t { stage, worker, system };
enum class circuit_state : uint8_t { closed, open, half_open };

/// Why an attempt failed decides which circuit counts it (SPEC.md 5):
/// `task` (the TDD rules said no: red_test_passes, green_modified_test, a
/// failing verify) counts for the stage circuit only; `worker` (agent
/// crash, timeout, non-zero agent exit, worker restart) for the worker
/// circuit only; `usage_limit` for neither.
enum class failure_kind : uint8_t { task, worker, usage_limit };

enum class circuit_event_type : uint8_t {
  state_change,
  failure_recorded,
  success_recorded,
  threshold_reached,
  recovery_started,
  recovery_succeeded,
  recovery_failed,
  manual_reset,
  flapping_detected,
  extension_applied,
};

std::string to_string(circuit_level x);
std::string to_string(circuit_state x);
std::string to_string(failure_kind x);
std::string to_string(circuit_event_type x);
std::optional<circuit_level> parse_circuit_level(std::string_view x);
std::optional<circuit_state> parse_circuit_state(std::string_view x);
std::optional<failure_kind> parse_failure_kind(std::string_view x);
std::optional<circuit_event_type> parse_circuit_event_type(std::string_view x);

/// Everything persisted about one circuit: one row of `circuit_breakers`.
/// `identifier` is `TASK:STAGE` (stage), the worker id (worker) or
/// `system`; users write `stage:TASK:STAGE`, `worker:ID`, `system`.
struct circuit_snapshot {
  circuit_level level = circuit_level::stage;
  std::string identifier;
  circuit_state state = circuit_state::closed;
  int32_t failure_count = 0;        ///< failures since the circuit last closed
  int32_t consecutive_failures = 0; ///< failures since the last success
  int32_t success_count = 0;        ///< successes, ever
  int32_t extensions = 0;           ///< worker: pause doublings applied
  std::optional<wall_time> opened_at;
  std::optional<wall_time> half_open_at;
  std::optional<wall_time> last_failure_at;
  std::optional<wall_time> last_change_at;
  /// State changes within the flapping window (newest last); loaded from
  /// `circuit_breaker_events`, not a column.
  std::vector<wall_time> recent_changes;
  /// Optimistic lock: the version this snapshot was read at (0 = never
  /// stored). A save succeeds only if the row still has this version.
  int64_t version = 0;
};

/// One row of `circuit_breaker_events`.
struct circuit_event {
  circuit_event_type type = circuit_event_type::state_change;
  circuit_state from = circuit_state::closed;
  circuit_state to = circuit_state::closed;
  /// A JSON object, e.g. {"kind":"worker","reason":"timeout"}.
  std::string details;
  wall_time at;
};

/// Builds the `details` of a circuit_event: `{"kind":"worker","n":3}`, keys
/// in the order added. Escapes what JSON requires (`"`, `\`, control
/// bytes); other bytes pass through unchanged, as the store does.
class event_details {
public:
  event_details& add(std::string_view key, std::string_view value);
  event_details& add(std::string_view key, int64_t value);
  std::string text() const { return "{" + body_ + "}"; }

private:
  void start(std::string_view key);
  std::string body_;
};

/// `stage:TASK:STAGE`, `worker:ID` or `system`.
std::string display_id(circuit_level level, const std::string& identifier);

/// Parses a user-typed circuit id; nullopt when it has none of the forms.
/// Does not check that the task, stage or worker exists.
struct circuit_ref {
  circuit_level level = circuit_level::system;
  std::string identifier;
};
std::optional<circuit_ref> parse_circuit_ref(std::string_view text);

} // namespace tdd::core
