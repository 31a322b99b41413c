// database: the nodes of multi-host runs (SPEC.md 7) and, with them, the
// state of their workers.

#include "messages/errc.hpp"
#include "store/database.hpp"
#include "store/database_statements.hpp"
#include "store/time_text.hpp"

#include <sqlite3.h>

#include <optional>
#include <utility>

namespace tdd::store {

namespace {

/// The state a node's workers take with it; nullopt: they keep theirs.
/// Unknown states are refused before this is asked.
std::optional<std::string> worker_state_for(const std::string& node_state) {
  if (node_state == "lost") {
    return "lost";
  }
  if (node_state == "left") {
    return "stopped";
  }
  return std::nullopt;
}

bool is_node_state(const std::string& x) {
  return x == "connected" || x == "lost" || x == "left";
}

/// Columns of the list_nodes statement.
node_row read_node(const statement& s) {
  node_row x;
  x.id = s.column_text(0);
  x.host = s.column_text(1);
  x.address = s.column_text(2);
  x.state = s.column_text(3);
  x.workers = static_cast<int32_t>(s.column_int64(4));
  x.connected_at = s.column_text(5);
  x.heartbeat_at = s.column_text(6);
  return x;
}

caf::error no_node(const std::string& id) {
  return caf::make_error(errc::not_found, "no node " + id);
}

} // namespace

caf::error database::register_node(const node_registration& x) {
  return stmts_->register_node.execute(x.id, x.host, x.address,
                                       static_cast<int64_t>(x.workers),
                                       format_time(x.at));
}

caf::error database::set_node_state(const std::string& id,
                                    const std::string& state,
                                    [[maybe_unused]] core::wall_time at) {
  if (!is_node_state(state)) {
    return caf::make_error(errc::invalid_argument,
                           "unknown node state " + state + " for node " + id
                             + " (connected, lost or left)");
  }
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  if (auto err = stmts_->set_node_state.execute(id, state)) {
    return err;
  }
  if (sqlite3_changes(db_.get()) == 0) {
    return no_node(id);
  }
  if (const auto workers = worker_state_for(state)) {
    if (auto err = stmts_->set_node_workers.execute(id, *workers)) {
      return err; // `scope` undoes the node's new state
    }
  }
  return scope->commit();
}

caf::error database::node_heartbeat(const std::string& id, core::wall_time at) {
  if (auto err = stmts_->node_heartbeat.execute(id, format_time(at))) {
    return err;
  }
  if (sqlite3_changes(db_.get()) > 0) {
    return caf::none;
  }
  // Not connected any more, or never there: only the latter is an error.
  const auto& s = stmts_->node_state;
  auto guard = s.use();
  bool found = false;
  auto err = s.bind_all(id);
  if (!err) {
    err = s.for_each_row([&] { found = true; });
  }
  if (err) {
    return err;
  }
  return found ? caf::none : no_node(id);
}

caf::expected<std::vector<node_row>> database::list_nodes() {
  const auto& s = stmts_->list_nodes;
  auto guard = s.use();
  std::vector<node_row> result;
  if (auto err = s.for_each_row([&] { result.push_back(read_node(s)); })) {
    return err;
  }
  return result;
}

caf::expected<int64_t>
database::lose_connected_nodes([[maybe_unused]] core::wall_time at) {
  auto scope = write_scope::begin(db_.get());
  if (!scope) {
    return std::move(scope.error());
  }
  // Workers first: once the nodes are lost, nothing says which were
  // connected.
  for (const auto* s :
       {&stmts_->lose_connected_workers, &stmts_->lose_connected_nodes}) {
    auto guard = s->use();
    if (auto err = s->run()) {
      return err;
    }
  }
  const auto lost = static_cast<int64_t>(sqlite3_changes(db_.get()));
  if (auto err = scope->commit()) {
    return err;
  }
  return lost;
}

} // namespace tdd::store
