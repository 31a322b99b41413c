#pragma once

// Circuit messages: snapshots and events of the circuit breakers, as the
// circuit actors persist them through the store. The structs live in
// core/circuit.hpp; this header makes them inspectable.

#include "core/circuit.hpp"
#include "core/health.hpp"
#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/optional.hpp>
#include <caf/timestamp.hpp>

#include <optional>
#include <type_traits>

namespace tdd {

// CAF 0.17 serializes system_clock time points (as integer nanoseconds
// since the epoch) and prints them as caf::timestamp does. Actors pass
// times from their clock as caf::timestamp, so both must be one type.
static_assert(std::is_same_v<core::wall_time, caf::timestamp>,
              "core::wall_time must be caf::timestamp");

namespace detail {

/// CAF 0.17 inspects caf::optional but not std::optional: an inspector
/// sees a caf::optional copy of the field, which is written back to it
/// when this object goes out of scope, i.e. after the inspector returned,
/// if the inspector writes state (a deserializer).
template <class T, bool WritesState> class optional_field {
public:
  explicit optional_field(std::optional<T>& x) : field_(x) {
    if (x) {
      value = *x;
    }
  }

  optional_field(const optional_field&) = delete;
  optional_field& operator=(const optional_field&) = delete;

  ~optional_field() {
    if constexpr (WritesState) {
      field_ = value ? std::optional<T>{*value} : std::nullopt;
    }
  }

  caf::optional<T> value;

private:
  std::optional<T>& field_;
};

template <class Inspector, class T>
using optional_field_for = optional_field<T, Inspector::writes_state>;

} // namespace detail

} // namespace tdd

namespace tdd::core {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, circuit_snapshot& x) {
  using field = detail::optional_field_for<Inspector, wall_time>;
  field opened_at{x.opened_at};
  field half_open_at{x.half_open_at};
  field last_failure_at{x.last_failure_at};
  field last_change_at{x.last_change_at};
  return f(caf::meta::type_name("circuit_snapshot"), x.level, x.identifier,
           x.state, x.failure_count, x.consecutive_failures, x.success_count,
           x.extensions, opened_at.value, half_open_at.value,
           last_failure_at.value, last_change_at.value, x.recent_changes,
           x.version);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, circuit_event& x) {
  return f(caf::meta::type_name("circuit_event"), x.type, x.from, x.to,
           x.details, x.at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, state_counts& x) {
  return f(caf::meta::type_name("state_counts"), x.closed, x.open, x.half_open);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_input& x) {
  return f(caf::meta::type_name("health_input"), x.stage, x.worker, x.system,
           x.flapping);
}

} // namespace tdd::core
