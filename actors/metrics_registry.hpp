#pragma once

// The Prometheus metrics of SPEC.md 6, in a prometheus-cpp registry that
// lives as long as its owner (the metrics actor, or `orchestrator
// metrics` for one print). Values come from the database
// (store::metrics_data), so `metrics`, `serve` and `run --http` agree and a
// restart loses no count. The only file that includes prometheus-cpp.

#include "store/metrics_data.hpp"

#include <caf/expected.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tdd::store {
class database;
} // namespace tdd::store

namespace tdd {

/// Histogram bounds (seconds) of tdd_stage_duration_seconds and
/// tdd_circuit_breaker_recovery_seconds; the totals tables of
/// store/schema_totals.cpp bucket by the same bounds.
const std::vector<double>& stage_duration_bounds();
const std::vector<double>& recovery_bounds();

/// The Content-Type of the text exposition.
inline constexpr const char* exposition_content_type
  = "text/plain; version=0.0.4; charset=utf-8";

class metrics_registry {
public:
  metrics_registry();
  ~metrics_registry();
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;

  /// Brings every series to the values in `x`. Counters and histograms only
  /// grow; a total lower than before (another database) starts the series
  /// over, which Prometheus reads as a counter reset.
  void update(const store::metrics_data& x);

  /// The text exposition (format 0.0.4) of every family.
  std::string exposition() const;

  /// One scrape: reads `db` (database::metrics_data), updates, and returns
  /// the exposition; the read's error otherwise.
  [[nodiscard]] caf::expected<std::string> scrape(store::database& db);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace tdd
