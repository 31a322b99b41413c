#include "store/rows.hpp"

#include "messages/errc.hpp"
#include "store/json_text.hpp"

#include <algorithm>
#include <utility>

namespace tdd::store {

namespace {

caf::error corrupt(const std::string& key, const std::string& what) {
  return caf::make_error(errc::sqlite_failure,
                         "task " + key + " has an invalid " + what);
}

caf::error read_spec_columns(const statement& s, core::task_spec& spec) {
  spec.key = s.column_text(0);
  spec.title = s.column_text(1);
  spec.goal = s.column_text(2);
  auto acceptance = parse_json_array(s.column_text(3));
  if (!acceptance) {
    return corrupt(spec.key, "acceptance (not a JSON array of strings)");
  }
  spec.acceptance = std::move(*acceptance);
  spec.test_file = s.column_text(4);
  spec.impl_file = s.column_text(5);
  spec.verify = s.column_text(6);
  spec.verify_all = s.column_text(7);
  spec.phase = static_cast<int>(s.column_int64(8));
  auto complexity = core::parse_task_complexity(s.column_text(9));
  if (!complexity) {
    return corrupt(spec.key, "complexity");
  }
  spec.complexity = *complexity;
  spec.depends_on = split_sorted(s.column_text(16));
  return caf::none;
}

} // namespace

std::vector<std::string> split_sorted(const std::string& joined) {
  std::vector<std::string> result;
  size_t begin = 0;
  while (begin < joined.size()) {
    auto end = joined.find('\n', begin);
    if (end == std::string::npos) {
      end = joined.size();
    }
    result.emplace_back(joined.substr(begin, end - begin));
    begin = end + 1;
  }
  std::sort(result.begin(), result.end());
  return result;
}

caf::expected<task_row> read_task_row(const statement& s) {
  task_row row;
  if (auto err = read_spec_columns(s, row.spec)) {
    return err;
  }
  auto status = core::parse_task_status(s.column_text(10));
  if (!status) {
    return corrupt(row.spec.key, "status");
  }
  row.status = *status;
  row.blocked_reason = s.column_text(11);
  row.claimed_by = s.column_text(12);
  row.current_stage = s.column_text(13);
  row.created_at = s.column_text(14);
  row.updated_at = s.column_text(15);
  row.stage_commit = s.column_text(17);
  return row;
}

caf::expected<core::graph_node> read_graph_node(const statement& s) {
  core::graph_node node;
  node.key = s.column_text(0);
  node.phase = static_cast<int>(s.column_int64(1));
  auto status = core::parse_task_status(s.column_text(2));
  if (!status) {
    return corrupt(node.key, "status");
  }
  node.status = *status;
  node.depends_on = split_sorted(s.column_text(3));
  return node;
}

attempt_row read_attempt_row(const statement& s) {
  attempt_row row;
  row.id = s.column_int64(0);
  row.task_key = s.column_text(1);
  row.stage = s.column_text(2);
  row.attempt = static_cast<int32_t>(s.column_int64(3));
  row.started_at = s.column_text(4);
  row.duration_ms = s.column_int64(5);
  row.outcome = s.column_text(6);
  row.reason = s.column_text(7);
  row.cost_micros = s.column_int64(8);
  row.tokens = s.column_int64(9);
  row.log_path = s.column_text(10);
  row.worker_id = s.column_text(11);
  return row;
}

} // namespace tdd::store
