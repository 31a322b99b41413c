#pragma once

// A temporary repository with the binary's own database and two tasks,
// plus the sqlite3 shell to record states a run would leave behind.

#include "e2e/harness.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace tdd::test {

inline constexpr const char* tasks_yaml = R"(defaults: {verify: "true"}
tasks:
  - {key: CALC-1, title: add, test_file: t1.c, impl_file: calc.c}
  - {key: CALC-2, title: sub, test_file: t2.c, impl_file: calc.c,
     depends_on: [CALC-1]}
)";

/// A repo with the binary's own database and tasks, ready for circuits.
struct circuit_repo {
  temp_repo repo;
  std::string db;

  circuit_repo() : db((repo.dir() / ".orchestrator/orchestrator.db").string()) {
    REQUIRE(repo.orchestrator({"init", "-q"}).code == 0);
    repo.write("tasks.yaml", tasks_yaml);
    REQUIRE(repo.orchestrator({"tasks", "import", "-q", "tasks.yaml"}).code
            == 0);
  }

  /// Runs SQL with the sqlite3 shell, as a user would.
  std::string sql(const std::string& statement) const {
    const auto r = repo.run({"sqlite3", db, statement});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.out;
  }

  /// Records a circuit the way a run leaves it.
  void circuit(const std::string& level, const std::string& id,
               const std::string& state, int failures = 0) const {
    sql("INSERT INTO circuit_breakers (level, identifier, state, "
        "failure_count, consecutive_failures, opened_at) VALUES ('"
        + level + "', '" + id + "', '" + state + "', "
        + std::to_string(failures) + ", " + std::to_string(failures) + ", "
        + (state == "closed" ? "NULL" : "strftime('%Y-%m-%dT%H:%M:%fZ','now')")
        + ")");
  }

  run_result cli(const std::vector<std::string>& args) const {
    return repo.orchestrator(args);
  }
};

} // namespace tdd::test
