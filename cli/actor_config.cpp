#include "cli/actor_config.hpp"

#include "messages/all.hpp"

#include <caf/actor_system_config.hpp>

#include <algorithm>
#include <cstddef>
#include <thread>

namespace tdd::cli {

void configure_actor_system(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::tdd>();
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  // CAF's default is max(cores, 4); the actors here only route messages.
  const size_t cores = std::thread::hardware_concurrency();
  cfg.set("scheduler.max-threads", std::clamp(cores, size_t{2}, size_t{4}));
}

} // namespace tdd::cli
