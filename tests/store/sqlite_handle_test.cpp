#include "store/sqlite_handle.hpp"

#include "messages/errc.hpp"
#include "store/raw_sqlite.hpp"
#include "store/temp_dir.hpp"

#include <doctest/doctest.h>

using namespace tdd;

namespace {

struct handle_fixture {
  store::connection_ptr db = test::open_raw(":memory:");

  handle_fixture() { test::exec_sql(db.get(), "CREATE TABLE t (x INTEGER)"); }

  std::string count() {
    return test::query_text(db.get(), "SELECT COUNT(*) FROM t");
  }
};

} // namespace

TEST_CASE_FIXTURE(handle_fixture, "a transaction rolls back unless committed") {
  {
    auto txn = store::transaction::begin(db.get());
    REQUIRE(txn);
    test::exec_sql(db.get(), "INSERT INTO t VALUES (1)");
  }
  CHECK(count() == "0");
  {
    auto txn = store::transaction::begin(db.get());
    REQUIRE(txn);
    test::exec_sql(db.get(), "INSERT INTO t VALUES (1)");
    CHECK(!txn->commit());
    CHECK(!txn->is_active());
    CHECK(txn->commit() == errc::invalid_argument);
  }
  CHECK(count() == "1");
}

TEST_CASE_FIXTURE(handle_fixture, "a moved transaction ends once") {
  auto txn = store::transaction::begin(db.get());
  REQUIRE(txn);
  test::exec_sql(db.get(), "INSERT INTO t VALUES (1)");
  store::transaction moved{std::move(*txn)};
  CHECK(!txn->is_active());
  CHECK(moved.is_active());
  CHECK(!moved.commit());
  CHECK(count() == "1");
}

TEST_CASE_FIXTURE(handle_fixture, "each use starts with fresh bindings") {
  auto stmt = store::statement::prepare(db.get(), "SELECT ?1, ?2");
  REQUIRE(stmt);
  {
    auto guard = stmt->use();
    REQUIRE(!stmt->bind_all(int64_t{42}, "text"));
    REQUIRE(*stmt->step());
    CHECK(stmt->column_int64(0) == 42);
    CHECK(stmt->column_text(1) == "text");
  }
  auto guard = stmt->use();
  REQUIRE(*stmt->step());
  CHECK(stmt->column_is_null(0));
  CHECK(stmt->column_text(1).empty());
}

TEST_CASE_FIXTURE(handle_fixture, "errors carry SQLite's message") {
  auto bad = store::statement::prepare(db.get(), "SELEKT 1");
  REQUIRE(!bad);
  CHECK(bad.error() == errc::sqlite_failure);
  CHECK(describe(bad.error()).find("syntax error") != std::string::npos);
  auto stmt = store::statement::prepare(db.get(), "SELECT ?1");
  REQUIRE(stmt);
  auto guard = stmt->use();
  CHECK(stmt->bind_all(int64_t{1}, int64_t{2}) == errc::sqlite_failure);
}

TEST_CASE_FIXTURE(handle_fixture, "a transaction SQLite ended is not active") {
  auto txn = store::transaction::begin(db.get());
  REQUIRE(txn);
  test::exec_sql(db.get(), "ROLLBACK"); // as SQLite does after SQLITE_FULL
  CHECK(!txn->is_active());
  CHECK(txn->commit() == errc::sqlite_failure);
}

TEST_CASE("a held write lock is errc::busy once the timeout passes") {
  test::temp_dir dir;
  auto first = test::open_raw(dir.file("x.db"));
  auto second = test::open_raw(dir.file("x.db"));
  sqlite3_busy_timeout(second.get(), 0);
  auto held = store::transaction::begin(first.get());
  REQUIRE(held);
  auto blocked = store::transaction::begin(second.get());
  REQUIRE(!blocked);
  CHECK(blocked.error() == errc::busy);
}
