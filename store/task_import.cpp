// database::import_tasks: the all-or-nothing `tasks import`.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/json_text.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace tdd::store {

namespace {

/// Stored dependencies come back sorted and unique; compare likewise.
core::task_spec normalized(core::task_spec x) {
  auto& deps = x.depends_on;
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  return x;
}

caf::error check_keys(const std::vector<core::task_spec>& specs) {
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    if (!core::is_valid_task_key(spec.key)) {
      return caf::make_error(errc::invalid_argument,
                             "invalid task key \"" + spec.key + "\"");
    }
    if (!seen.insert(spec.key).second) {
      return caf::make_error(errc::invalid_argument,
                             "duplicate task key " + spec.key);
    }
    for (const auto& dep : spec.depends_on) {
      if (!core::is_valid_task_key(dep)) {
        return caf::make_error(
          errc::invalid_argument,
          "task " + spec.key + " has an invalid dependency \"" + dep + "\"");
      }
    }
  }
  return caf::none;
}

} // namespace

caf::expected<import_summary>
database::import_tasks(const std::vector<core::task_spec>& specs, bool force) {
  if (auto err = check_keys(specs)) {
    return err;
  }
  auto txn = begin();
  if (!txn) {
    return std::move(txn.error());
  }
  import_summary summary;
  for (const auto& spec : specs) {
    if (auto err = import_one(normalized(spec), force, summary)) {
      return err;
    }
  }
  if (!summary.refused.empty()) {
    return summary; // `txn` rolls back: nothing is written
  }
  if (auto err = check_dependencies(specs)) {
    return err;
  }
  if (auto err = txn->commit()) {
    return err;
  }
  return summary;
}

caf::error database::import_one(const core::task_spec& spec, bool force,
                                import_summary& summary) {
  auto existing = find_task(spec.key);
  if (!existing) {
    return std::move(existing.error());
  }
  if (!*existing) {
    ++summary.added;
    return write_task(spec, false);
  }
  const auto& row = **existing;
  if (row.spec == spec) {
    ++summary.unchanged;
    return caf::none;
  }
  if (row.status != core::task_status::pending && !force) {
    summary.refused.emplace_back(spec.key);
    return caf::none;
  }
  ++summary.updated;
  return write_task(spec, true);
}

caf::error database::write_task(const core::task_spec& spec, bool exists) {
  const auto& s = exists ? stmts_->update_task : stmts_->insert_task;
  if (auto err = s.execute(spec.key, spec.title, spec.goal,
                           to_json_array(spec.acceptance), spec.test_file,
                           spec.impl_file, spec.verify, spec.verify_all,
                           spec.phase, core::to_string(spec.complexity))) {
    return err;
  }
  if (exists) {
    if (auto err = stmts_->delete_deps.execute(spec.key)) {
      return err;
    }
  }
  for (const auto& dep : spec.depends_on) {
    if (auto err = stmts_->insert_dep.execute(spec.key, dep)) {
      return err;
    }
  }
  return caf::none;
}

// The deferred foreign key would refuse an unknown dependency at COMMIT
// too, but without naming it; this check names both tasks.
caf::error
database::check_dependencies(const std::vector<core::task_spec>& specs) {
  const auto& s = stmts_->task_exists;
  for (const auto& spec : specs) {
    for (const auto& dep : spec.depends_on) {
      auto guard = s.use();
      if (auto err = s.bind_all(dep)) {
        return err;
      }
      auto found = s.step();
      if (!found) {
        return std::move(found.error());
      }
      if (!*found) {
        return caf::make_error(errc::not_found, "task " + spec.key
                                                  + " depends on unknown task "
                                                  + dep);
      }
    }
  }
  return caf::none;
}

} // namespace tdd::store
