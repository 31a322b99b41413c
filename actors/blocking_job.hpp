#pragma once

// Blocking work (child processes, git) off the scheduler threads: a job
// runs on a thread of its own and, when it is done, sends its owner
// `(atom::done, id)`; the owner then takes the result. An actor owns at most
// one job at a time. The owner's state destroys the job last: cancelling
// and joining there stops a job still running at shutdown (its processes
// are killed through the cancellation). An exception thrown by a job is
// rethrown by take().

#include "exec/cancellation.hpp"
#include "messages/type_ids.hpp"

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

namespace tdd {

template <class T> class blocking_job {
public:
  blocking_job() = default;
  blocking_job(const blocking_job&) = delete;
  blocking_job& operator=(const blocking_job&) = delete;

  ~blocking_job() { stop(); }

  /// True while a job runs or its result waits to be taken.
  bool busy() const { return thread_.joinable(); }

  /// The id of the running job (what its `done` message carries).
  int64_t id() const { return id_; }

  /// The cancellation the job should honour.
  const std::shared_ptr<exec::cancellation>& cancel() const { return cancel_; }

  /// Starts `fn(cancel)` on a new thread, `cancel` being the job's
  /// cancellation; `owner` gets `(atom::done, id)` when it returns. Returns
  /// the id.
  template <class Handle, class F> int64_t start(const Handle& owner, F fn) {
    stop();
    cancel_ = std::make_shared<exec::cancellation>();
    result_ = std::make_shared<std::optional<T>>();
    auto weak = caf::actor_cast<caf::weak_actor_ptr>(owner);
    const auto id = ++id_;
    failure_ = std::make_shared<std::exception_ptr>();
    thread_ = std::thread{[weak, id, result = result_, failure = failure_,
                           cancel = cancel_, fn = std::move(fn)] {
      // An exception must not end the process (std::terminate): it is
      // handed to the owner, whose take() rethrows it.
      try {
        *result = fn(cancel);
      } catch (...) {
        *failure = std::current_exception();
      }
      if (auto strong = weak.lock()) {
        caf::anon_send(caf::actor_cast<caf::actor>(strong), atom::done_v, id);
      }
    }};
    return id;
  }

  /// Cancels the running job (its commands are killed); the result still
  /// arrives as usual.
  void request_cancel() {
    if (cancel_) {
      cancel_->cancel();
    }
  }

  /// The result of job `id` once its `done` arrived; nullopt for a stale
  /// id. Rethrows what the job threw: in an actor that is a crash, which
  /// its supervisor handles.
  std::optional<T> take(int64_t id) {
    if (id != id_ || !thread_.joinable()) {
      return std::nullopt;
    }
    thread_.join();
    auto out = std::move(*result_);
    result_.reset();
    if (auto failure = std::exchange(*failure_, nullptr)) {
      std::rethrow_exception(failure);
    }
    return out;
  }

private:
  void stop() {
    if (thread_.joinable()) {
      request_cancel();
      thread_.join();
    }
  }

  std::thread thread_;
  std::shared_ptr<exec::cancellation> cancel_;
  std::shared_ptr<std::optional<T>> result_;
  std::shared_ptr<std::exception_ptr> failure_;
  int64_t id_ = 0;
};

} // namespace tdd
