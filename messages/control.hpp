#pragma once

// Live control: commands typed in another shell (`circuits reset`, `tasks
// retry`) reach a live run through the `control` table. The store actor
// polls it and hands each new row to its listeners.

#include "messages/type_ids.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

namespace tdd {

/// One row of `control`.
struct control_command {
  int64_t id = 0;
  std::string command;      ///< circuit_reset, task_retry, ...
  std::string argument;     ///< e.g. `stage:A:red`, `all`, a task key
  std::string created_at;   ///< UTC ISO-8601 with milliseconds
  std::string processed_at; ///< empty while pending
  std::string result;       ///< e.g. "delivered"; empty while pending
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, control_command& x) {
  return f(caf::meta::type_name("control_command"), x.id, x.command, x.argument,
           x.created_at, x.processed_at, x.result);
}

} // namespace tdd
