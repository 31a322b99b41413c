#pragma once

// Schema v3: running totals behind the Prometheus counters and histograms
// (SPEC.md 6), kept by triggers (store/schema_totals.cpp).

#include <string_view>

namespace tdd::store {

/// The v3 migration script: the totals tables, their triggers, and the
/// totals of everything recorded before the migration.
std::string_view schema_v3_totals();

} // namespace tdd::store
