#pragma once

// The actor system configuration every command that starts one shares:
// the project's message types and a scheduler tuned for actors that mostly
// wait (on agents, git and the network).

namespace caf {
class actor_system_config;
} // namespace caf

namespace tdd::cli {

/// Adds the tdd message types and tunes CAF's work-stealing scheduler.
///
/// CAF 0.17 lets an idle scheduler thread poll 100 times, then sleep 50 us
/// between 500 more polls, before it waits on a condition variable: ~500
/// `nanosleep` calls each time a thread runs out of work. Here actors wake
/// for a message every few milliseconds at most, so every wake-up paid that
/// price: 16-24 ms of the process's own CPU per stage in bench/overhead,
/// most of it in the kernel. Without the sleeping polls (the busy polls
/// stay) a thread with nothing to do waits on its condition variable, which
/// an enqueue from outside notifies; stealing happens at its 10 ms timeout.
/// Scheduler threads: as many as cores, 2 to 4 (CAF: max(cores, 4)); the
/// blocking work runs on threads of its own (actors/blocking_job.hpp).
/// bench/README.md has the figures: 7-9 ms per stage instead of 15-22.
void configure_actor_system(caf::actor_system_config& cfg);

} // namespace tdd::cli
