#pragma once

// A database on a temporary file with tasks imported, for the tests of
// runs, leases, attempts, workers and budget.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/raw_sqlite.hpp"
#include "store/task_specs.hpp"
#include "store/temp_dir.hpp"
#include "store/time_text.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace tdd::test {

/// Fails the test with the error's message unless `err` is none.
#define TDD_REQUIRE_OK(expr)                                                   \
  do {                                                                         \
    auto tdd_err_ = (expr);                                                    \
    REQUIRE_MESSAGE(!tdd_err_, describe(tdd_err_));                            \
  } while (false)

/// Unwraps an expected value or fails the test with its error.
template <class T> T value_of(caf::expected<T> x) {
  REQUIRE_MESSAGE(x, describe(x.error()));
  return std::move(*x);
}

struct run_fixture : temp_dir {
  std::string path = file("orchestrator.db");
  store::database db = open();
  /// 2023-11-14T22:13:20.000Z: times in these tests are offsets from it.
  const core::wall_time t0{std::chrono::seconds{1'700'000'000}};

  run_fixture() {
    auto summary = db.import_tasks(
      {make_spec("A"), make_spec("B", {"A"}), make_spec("C")}, false);
    REQUIRE_MESSAGE(summary, describe(summary.error()));
  }

  /// Another read-write connection to the same file (another process).
  store::database open() {
    return value_of(store::database::open(path, store::open_mode::read_write));
  }

  core::wall_time at(int seconds) const {
    return t0 + std::chrono::seconds{seconds};
  }

  std::string text_at(int seconds) const {
    return store::format_time(at(seconds));
  }

  task_lease lease(const std::string& key) {
    for (auto& x : value_of(db.task_leases())) {
      if (x.key == key) {
        return x;
      }
    }
    FAIL("no task " << key);
    return {};
  }

  int64_t start_run(int64_t pid = 4242, std::string host = "build-1") {
    return value_of(
      db.start_run({pid, std::move(host), "main", R"({"workers": 2})", t0}));
  }

  /// The first column of every row of `sql` on a connection of its own.
  std::vector<std::string> column(const std::string& sql) {
    auto raw = open_raw(path);
    return query_column(raw.get(), sql);
  }
};

} // namespace tdd::test
