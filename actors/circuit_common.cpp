#include "actors/circuit_common.hpp"

namespace tdd {

bool is_clean(const core::circuit_snapshot& x) {
  return x.state == core::circuit_state::closed && x.failure_count == 0
         && x.consecutive_failures == 0 && x.extensions == 0;
}

} // namespace tdd
