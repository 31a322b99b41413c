#pragma once

#include "messages/control.hpp"
#include "messages/type_ids.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace tdd {

/// Whoever acts on live control commands (the coordinator). Subscribes to
/// the store actor with `(atom::subscribe, control_listener_actor)`.
using control_listener_actor = caf::typed_actor<
  /// A command from the `control` table. The store marks it processed
  /// ("delivered") right after sending it, so it arrives once (again only
  /// if the store dies in between).
  caf::reacts_to<atom::control, control_command>>;

static_assert(caf::has_type_id<control_listener_actor>::value,
              "the type-ID block must name this handle's exact type");

} // namespace tdd
