#pragma once

// Every message type, complete. Include it where
// `cfg.add_message_types<caf::id_block::tdd>()` is called.

#include "messages/circuit.hpp"
#include "messages/circuit_actors.hpp"
#include "messages/circuit_change.hpp"
#include "messages/cluster.hpp"
#include "messages/control.hpp"
#include "messages/control_listener_actor.hpp"
#include "messages/errc.hpp"
#include "messages/monitoring.hpp"
#include "messages/progress.hpp"
#include "messages/run.hpp"
#include "messages/run_actors.hpp"
#include "messages/store_actor.hpp"
#include "messages/task.hpp"
#include "messages/type_ids.hpp"
