#include "actors/coordinator_internal.hpp"
#include "actors/worker_git.hpp"
#include "core/log.hpp"
#include "exec/command.hpp"
#include "exec/merge_queue.hpp"
#include "messages/circuit.hpp"
#include "messages/errc.hpp"

#include <exception>
#include <memory>
#include <utility>

namespace tdd::coordinator_detail {

namespace {

/// Runs one merge (blocking; on the merge job's thread).
merge_report merge_now(exec::merge_request req, std::string verify_all,
                       std::chrono::seconds timeout,
                       const std::shared_ptr<exec::cancellation>& cancel) {
  auto verify_output = std::make_shared<std::string>();
  req.reverify = [=](const std::string& worktree) {
    exec::command_spec spec;
    spec.argv = {"/bin/sh", "-c", verify_all};
    spec.cwd = worktree;
    spec.timeout = timeout;
    spec.cancel = cancel;
    auto r = exec::run_command(spec);
    *verify_output = r.output;
    return r.ok();
  };
  auto r = exec::merge_task(req);
  merge_report out;
  out.status = exec::to_string(r.status);
  if (cancel->is_cancelled() && r.status != exec::merge_status::merged
      && r.status != exec::merge_status::already_merged) {
    out.status = "interrupted";
  }
  out.target_commit = std::move(r.target_commit);
  out.conflicts = std::move(r.conflicts);
  out.message = std::move(r.message);
  out.verify_output = std::move(*verify_output);
  return out;
}

} // namespace

void start_merge(self_ptr self) {
  auto& st = self->state;
  if (st.merging || st.merges.empty()) {
    return;
  }
  st.merging = std::move(st.merges.front());
  st.merges.pop_front();
  const auto& key = st.merging->key;
  auto spec_it = st.running.find(key);
  if (spec_it == st.running.end()) {
    st.merging->promise.deliver(
      merge_report{"error", {}, {}, key + " is not leased in this run", {}});
    st.merging.reset();
    start_merge(self);
    return;
  }
  const auto& spec = spec_it->second;
  exec::merge_request req;
  req.repo = st.cfg.repo_root;
  req.target = st.cfg.target;
  req.key = key;
  req.title = spec.title;
  req.task_branch = "tdd/" + key;
  req.single_branch = st.cfg.single_branch;
  auto verify_all = core::expand_placeholders(
    spec.verify_all.empty() ? spec.verify : spec.verify_all, spec);
  // A node's task (no worktree here) was pushed to the shared remote.
  const auto from_remote = st.merging->worktree.empty() ? st.cfg.remote : "";
  st.job.start(self, [req = std::move(req), verify_all = std::move(verify_all),
                      timeout = st.cfg.stage_timeout, from_remote,
                      remote = st.cfg.remote](const auto& cancel) {
    try {
      if (!from_remote.empty()) {
        if (auto err = fetch_task_branch(req.repo, from_remote, req.key);
            !err.empty()) {
          return merge_report{"error", {}, {}, err, {}};
        }
      }
      auto report = merge_now(req, verify_all, timeout, cancel);
      if (!remote.empty() && report.status == "merged") {
        // Nodes fetch the target before each task: dependents see this.
        if (auto err = push_target(req.repo, remote, req.target);
            !err.empty()) {
          core::log_line("warn", "coordinator", 0, "push_failed",
                         {{"task", req.key}, {"error", err}});
        }
      }
      return report;
    } catch (const std::exception& e) {
      // The worker records a git error; the coordinator goes on.
      return merge_report{"error", {}, {}, e.what(), {}};
    }
  });
}

void on_merge_done(self_ptr self, int64_t id) {
  auto& st = self->state;
  auto report = st.job.take(id);
  if (!report || !st.merging) {
    return;
  }
  auto item = std::move(*st.merging);
  st.merging.reset();
  item.promise.deliver(std::move(*report));
  start_merge(self);
  check_end(self);
}

void retry_task(self_ptr self, const std::string& key) {
  auto& st = self->state;
  auto* n = node_of(self, key);
  if (n == nullptr || n->status != core::task_status::blocked) {
    core::log_line("warn", self->name(), self->id(), "retry_ignored",
                   {{"task", key}, {"why", "not a blocked task of this run"}});
    return;
  }
  // The task and every task blocked only through it become pending.
  std::vector<std::string> keys{key};
  for (const auto& other : st.graph.nodes()) {
    if (other.status == core::task_status::blocked
        && st.dependency_blocked[other.key] == key) {
      keys.push_back(other.key);
    }
  }
  for (const auto& k : keys) {
    node_of(self, k)->status = core::task_status::pending;
    st.dependency_blocked.erase(k);
    ++st.versions[k];
    self->send(st.cfg.worker.store, atom::status_v,
               task_status_update{k, core::task_status::pending, {}});
    // A retried task starts over at red.
    self->send(st.cfg.worker.store, atom::stage_v, k, std::string{},
               std::string{});
    st.cfg.resumable.erase(k);
  }
  const auto timeout = st.cfg.worker.request_timeout;
  self->request(st.cfg.worker.hub, timeout, atom::get_v, atom::circuits_v)
    .then(
      [=](std::vector<core::circuit_snapshot>& all) {
        const auto prefix = key + ":";
        for (const auto& c : all) {
          if (c.level == core::circuit_level::stage
              && c.identifier.rfind(prefix, 0) == 0) {
            self
              ->request(self->state.cfg.worker.hub,
                        self->state.cfg.worker.request_timeout, atom::reset_v,
                        "stage:" + c.identifier)
              .then([](std::vector<core::circuit_snapshot>&) {},
                    [=](caf::error& err) {
                      core::log_line(
                        "warn", self->name(), self->id(), "reset_failed",
                        {{"circuit", c.identifier}, {"error", describe(err)}});
                    });
          }
        }
        core::log_line("info", self->name(), self->id(), "task_retried",
                       {{"task", key}});
        dispatch(self);
      },
      [=](caf::error& err) {
        core::log_line("warn", self->name(), self->id(), "retry_failed",
                       {{"task", key}, {"error", describe(err)}});
        dispatch(self);
      });
}

} // namespace tdd::coordinator_detail
