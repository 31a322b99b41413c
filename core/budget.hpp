#pragma once

// The run's budget (SPEC 4): a hard cap on agent invocations and, with
// `--max-cost`, on the cost the agents report. Every agent call reserves
// one invocation before it starts; what it reported is settled after.

#include "core/config.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace tdd::core {

/// The caps of one run.
struct budget_limits {
  int64_t max_invocations = 100;
  std::optional<micro_usd> max_cost_micros; ///< nullopt: no cost cap
};

/// What the settled calls of one run used.
struct budget_usage {
  int64_t invocations = 0; ///< agent calls that ran (settled)
  micro_usd cost_micros = 0;
  int64_t tokens = 0;
};

/// Counts agent calls against the caps. Calls in flight hold a reservation,
/// so N workers can never start more calls than the cap allows together.
/// Usage-limited calls are retried "uncounted by circuits and budget": their
/// reservation is released, not settled.
class budget {
public:
  /// `used` continues the usage of an earlier run (or 0 for a new one).
  explicit budget(budget_limits limits, budget_usage used = {});

  /// Reserves one invocation for a call about to start. False, and nothing
  /// reserved, when the invocations are spent (settled + reserved reach the
  /// cap) or when the settled cost reached the cost cap.
  [[nodiscard]] bool reserve();

  /// A reserved call ran: counts it and adds what it reported (negative
  /// values count as 0). A settle without a reservation still counts: a
  /// call that ran is never free.
  void settle(micro_usd cost_micros, int64_t tokens);

  /// Gives a reservation back uncounted: the call never started, or hit a
  /// usage limit and will be retried. Without a reservation it does nothing.
  void release();

  /// Invocations that may still be reserved (never negative).
  int64_t invocations_remaining() const;

  /// Cost left under the cap (never negative); nullopt without a cap.
  std::optional<micro_usd> cost_remaining() const;

  /// Calls reserved and not yet settled or released.
  int64_t reserved() const noexcept { return reserved_; }

  const budget_usage& usage() const noexcept { return used_; }

  const budget_limits& limits() const noexcept { return limits_; }

  /// True when reserve() would fail.
  bool is_exhausted() const;

  /// Why reserve() fails, for `status` and the halt message:
  /// "invocation budget of 100 spent" or "cost budget of $5.00 reached
  /// ($5.12 spent)"; the invocation cap is named first when both are
  /// reached. Empty while not exhausted.
  std::string exhausted_reason() const;

private:
  bool invocations_spent() const;
  bool cost_reached() const;

  budget_limits limits_;
  budget_usage used_;
  int64_t reserved_ = 0;
};

/// Micro-dollars as dollars rounded to the cent: "$5.12" (half a cent
/// rounds up).
std::string format_dollars(micro_usd amount);

} // namespace tdd::core
