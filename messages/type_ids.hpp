#pragma once

// Forward declarations and the project's only CAF type-ID block. Include
// messages/all.hpp (complete types) where add_message_types<> is called.

#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>

#include <cstdint>
#include <vector>

namespace tdd::core {
enum class task_status;     // defined in core/task.hpp
enum class task_complexity; // defined in core/task.hpp
struct task_spec;           // defined in core/task.hpp
struct graph_node;          // defined in core/task_graph.hpp
struct circuit_snapshot;    // defined in core/circuit.hpp
struct circuit_event;       // defined in core/circuit.hpp
// defined in core/circuit.hpp
enum class failure_kind : uint8_t;
} // namespace tdd::core

namespace tdd {
struct task_row;           // defined in messages/task.hpp
struct attempt_row;        // defined in messages/task.hpp
struct task_counts;        // defined in messages/task.hpp
struct task_status_update; // defined in messages/task.hpp
struct import_summary;     // defined in messages/task.hpp
struct control_command;    // defined in messages/control.hpp
struct circuit_change;     // defined in messages/circuit_change.hpp
struct dispatch_policy;    // defined in messages/circuit_change.hpp
} // namespace tdd

// Defined in core/run_plan.hpp and core/budget.hpp.
namespace tdd::core {
enum class run_outcome : uint8_t;
struct budget_limits;
struct budget_usage;
} // namespace tdd::core

// Defined in messages/run.hpp.
namespace tdd {
struct run_start;
struct run_finish;
struct task_claim;
struct task_release;
struct task_lease;
struct attempt_start;
struct attempt_finish;
struct worker_registration;
struct worker_update;
} // namespace tdd

// Defined in messages/run_actors.hpp and messages/progress.hpp.
namespace tdd {
struct task_assignment;
struct merge_report;
struct run_summary;
enum class progress_kind : uint8_t;
struct progress_event;
} // namespace tdd

// Defined in messages/monitoring.hpp.
namespace tdd {
struct notification_record;
struct http_reply;
} // namespace tdd

// Defined in messages/cluster.hpp.
namespace tdd {
struct node_hello;
struct node_join;
struct node_welcome;
struct node_registration;
struct node_row;
} // namespace tdd

// Append entries, never reorder or remove: the IDs travel between nodes.
CAF_BEGIN_TYPE_ID_BLOCK(tdd, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(tdd, (tdd::core::task_status))
  CAF_ADD_TYPE_ID(tdd, (tdd::core::task_complexity))
  CAF_ADD_TYPE_ID(tdd, (tdd::core::task_spec))
  CAF_ADD_TYPE_ID(tdd, (tdd::core::graph_node))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::core::graph_node>))
  CAF_ADD_TYPE_ID(tdd, (tdd::task_row))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::task_row>))
  CAF_ADD_TYPE_ID(tdd, (tdd::attempt_row))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::attempt_row>))
  CAF_ADD_TYPE_ID(tdd, (tdd::task_counts))
  CAF_ADD_TYPE_ID(tdd, (tdd::task_status_update))
  CAF_ADD_TYPE_ID(tdd, (tdd::import_summary))

  // Atoms take no type ID in 0.17; their text is at most 10 characters.
  // `get` and `flush` spell the same atoms as caf::get_atom and
  // caf::flush_atom, so they are the same types.
  CAF_ADD_ATOM(tdd, tdd::atom, status, "status")
  CAF_ADD_ATOM(tdd, tdd::atom, commit, "commit")
  CAF_ADD_ATOM(tdd, tdd::atom, flush, "flush")
  CAF_ADD_ATOM(tdd, tdd::atom, get, "get")
  CAF_ADD_ATOM(tdd, tdd::atom, tasks, "tasks")
  CAF_ADD_ATOM(tdd, tdd::atom, task, "task")
  CAF_ADD_ATOM(tdd, tdd::atom, count, "count")
  CAF_ADD_ATOM(tdd, tdd::atom, graph, "graph")
  CAF_ADD_ATOM(tdd, tdd::atom, attempts, "attempts")

  // Circuits and live control (messages/circuit.hpp, messages/control.hpp).
  // `subscribe` is caf::subscribe_atom, as `get` is caf::get_atom.
  CAF_ADD_TYPE_ID(tdd, (tdd::core::circuit_snapshot))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::core::circuit_snapshot>))
  CAF_ADD_TYPE_ID(tdd, (tdd::core::circuit_event))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::core::circuit_event>))
  CAF_ADD_TYPE_ID(tdd, (tdd::control_command))
  CAF_ADD_ATOM(tdd, tdd::atom, save, "save")
  CAF_ADD_ATOM(tdd, tdd::atom, circuits, "circuits")
  CAF_ADD_ATOM(tdd, tdd::atom, subscribe, "subscribe")
  CAF_ADD_ATOM(tdd, tdd::atom, poll, "poll")
  CAF_ADD_ATOM(tdd, tdd::atom, control, "control")
  // tdd::control_listener_actor (messages/control_listener_actor.hpp),
  // spelled out: a typed handle names atoms, so it follows them.
  CAF_ADD_TYPE_ID(tdd,
                  (caf::typed_actor<
                    caf::reacts_to<tdd::atom::control, tdd::control_command>>))
  // Circuit actors (messages/circuit_actors.hpp, messages/circuit_change.hpp).
  // `reset`, `tick` and `idle` are caf::reset_atom, caf::tick_atom and
  // caf::idle_atom.
  CAF_ADD_TYPE_ID(tdd, (tdd::core::failure_kind))
  CAF_ADD_TYPE_ID(tdd, (tdd::circuit_change))
  CAF_ADD_TYPE_ID(tdd, (tdd::dispatch_policy))
  CAF_ADD_ATOM(tdd, tdd::atom, allow, "allow")
  CAF_ADD_ATOM(tdd, tdd::atom, success, "success")
  CAF_ADD_ATOM(tdd, tdd::atom, failure, "failure")
  CAF_ADD_ATOM(tdd, tdd::atom, reset, "reset")
  CAF_ADD_ATOM(tdd, tdd::atom, tick, "tick")
  CAF_ADD_ATOM(tdd, tdd::atom, idle, "idle")
  CAF_ADD_ATOM(tdd, tdd::atom, changed, "changed")
  CAF_ADD_ATOM(tdd, tdd::atom, stage, "stage")
  CAF_ADD_ATOM(tdd, tdd::atom, worker, "worker")
  CAF_ADD_ATOM(tdd, tdd::atom, system, "system")
  CAF_ADD_ATOM(tdd, tdd::atom, workers, "workers")
  CAF_ADD_ATOM(tdd, tdd::atom, dispatch, "dispatch")
  // The handles are registered by alias: CAF_ADD_TYPE_ID cannot spell types
  // this long. The header defines them here, after the atoms they name (see
  // its first comment).
#include "messages/circuit_actors.hpp"
  CAF_ADD_TYPE_ID(tdd, (tdd::circuit_listener_actor))
  CAF_ADD_TYPE_ID(tdd, (tdd::circuit_actor))
  CAF_ADD_TYPE_ID(tdd, (tdd::system_circuit_actor))
  CAF_ADD_TYPE_ID(tdd, (tdd::circuit_hub_actor))
  // Runs, leases, attempts, workers and budget (messages/run.hpp).
  CAF_ADD_TYPE_ID(tdd, (tdd::core::run_outcome))
  CAF_ADD_TYPE_ID(tdd, (tdd::core::budget_limits))
  CAF_ADD_TYPE_ID(tdd, (tdd::core::budget_usage))
  CAF_ADD_TYPE_ID(tdd, (tdd::run_start))
  CAF_ADD_TYPE_ID(tdd, (tdd::run_finish))
  CAF_ADD_TYPE_ID(tdd, (tdd::task_claim))
  CAF_ADD_TYPE_ID(tdd, (tdd::task_release))
  CAF_ADD_TYPE_ID(tdd, (tdd::task_lease))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::task_lease>))
  CAF_ADD_TYPE_ID(tdd, (tdd::attempt_start))
  CAF_ADD_TYPE_ID(tdd, (tdd::attempt_finish))
  CAF_ADD_TYPE_ID(tdd, (tdd::worker_registration))
  CAF_ADD_TYPE_ID(tdd, (tdd::worker_update))
  CAF_ADD_ATOM(tdd, tdd::atom, run, "run")
  CAF_ADD_ATOM(tdd, tdd::atom, claim, "claim")
  CAF_ADD_ATOM(tdd, tdd::atom, renew, "renew")
  CAF_ADD_ATOM(tdd, tdd::atom, release, "release")
  CAF_ADD_ATOM(tdd, tdd::atom, reclaim, "reclaim")
  CAF_ADD_ATOM(tdd, tdd::atom, leases, "leases")
  CAF_ADD_ATOM(tdd, tdd::atom, attempt, "attempt")
  CAF_ADD_ATOM(tdd, tdd::atom, interrupt, "interrupt")
  CAF_ADD_ATOM(tdd, tdd::atom, heartbeat, "heartbeat")
  CAF_ADD_ATOM(tdd, tdd::atom, budget, "budget")
  // The run's actors and its progress (messages/run_actors.hpp,
  // messages/progress.hpp).
  CAF_ADD_TYPE_ID(tdd, (tdd::task_assignment))
  CAF_ADD_TYPE_ID(tdd, (tdd::merge_report))
  CAF_ADD_TYPE_ID(tdd, (tdd::run_summary))
  CAF_ADD_TYPE_ID(tdd, (tdd::progress_kind))
  CAF_ADD_TYPE_ID(tdd, (tdd::progress_event))
  CAF_ADD_ATOM(tdd, tdd::atom, next, "next")
  CAF_ADD_ATOM(tdd, tdd::atom, done, "done")
  CAF_ADD_ATOM(tdd, tdd::atom, reserve, "reserve")
  CAF_ADD_ATOM(tdd, tdd::atom, settle, "settle")
  CAF_ADD_ATOM(tdd, tdd::atom, pause, "pause")
  CAF_ADD_ATOM(tdd, tdd::atom, halt, "halt")
  CAF_ADD_ATOM(tdd, tdd::atom, merge, "merge")
  CAF_ADD_ATOM(tdd, tdd::atom, wait, "wait")
  CAF_ADD_ATOM(tdd, tdd::atom, stop, "stop")
  CAF_ADD_ATOM(tdd, tdd::atom, progress, "progress")
  // Supervision (actors/supervisor.hpp).
  CAF_ADD_ATOM(tdd, tdd::atom, lost, "lost")
  CAF_ADD_ATOM(tdd, tdd::atom, restart, "restart")
  // Monitoring (messages/monitoring.hpp, actors/metrics.hpp,
  // actors/notifier.hpp).
  CAF_ADD_TYPE_ID(tdd, (tdd::notification_record))
  CAF_ADD_TYPE_ID(tdd, (tdd::http_reply))
  CAF_ADD_ATOM(tdd, tdd::atom, notify, "notify")
  CAF_ADD_ATOM(tdd, tdd::atom, scrape, "scrape")
  CAF_ADD_ATOM(tdd, tdd::atom, health, "health")
  // Multi-host (messages/cluster.hpp).
  CAF_ADD_TYPE_ID(tdd, (tdd::node_hello))
  CAF_ADD_TYPE_ID(tdd, (tdd::node_join))
  CAF_ADD_TYPE_ID(tdd, (tdd::node_welcome))
  CAF_ADD_TYPE_ID(tdd, (tdd::node_registration))
  CAF_ADD_TYPE_ID(tdd, (std::vector<tdd::node_row>))
  CAF_ADD_TYPE_ID(tdd, (tdd::node_row))
  CAF_ADD_ATOM(tdd, tdd::atom, hello, "hello")
  CAF_ADD_ATOM(tdd, tdd::atom, join, "join")
  CAF_ADD_ATOM(tdd, tdd::atom, leave, "leave")
  CAF_ADD_ATOM(tdd, tdd::atom, node, "node")
  CAF_ADD_ATOM(tdd, tdd::atom, nodes, "nodes")
CAF_END_TYPE_ID_BLOCK(tdd)
